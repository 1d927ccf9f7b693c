"""Output sizes of convolutions, transposed convolutions and pooling, exactly.

Every size formula of convcalc lives here, once, per axis, working on ``int``
and on ``sympy`` expressions alike. The public functions take an int or a tuple
per spatial axis and map the per-axis formula over the axes.

Notation (one axis): input length ``n``, kernel ``k``, stride ``s``, padding
``p_lo`` before and ``p_hi`` after (``2p`` when symmetric), dilation ``d``
(``d = 1`` means no dilation, as in PyTorch), effective kernel
``d*(k - 1) + 1``.

Sources: Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning" (2016), relationships 1-15; PyTorch's ``Conv2d``, ``ConvTranspose2d``
and ``MaxPool2d`` documentation and ATen's ``pooling_output_shape_pad_lr``;
TensorFlow's ``tf.nn`` padding documentation for 'SAME'.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from convcalc._typing import IntOrTuple, Size, as_tuple, as_value, ceildiv, definitely, floordiv
from convcalc.errors import ConvCalcError, invalid

__all__ = [
    "FRAMEWORKS",
    "effective_kernel",
    "conv_length",
    "pool_length",
    "transposed_length",
    "same_padding_pair",
    "resolve_padding",
    "conv_output_size",
    "pool_output_size",
    "transposed_output_size",
    "same_padding",
    "full_padding",
]

#: Accepted framework names and the convention each one selects.
FRAMEWORKS = {"torch": "torch", "pytorch": "torch", "keras": "keras", "tf": "keras", "tensorflow": "keras"}
PADDING_MODES = ("valid", "same", "full")

Pair = tuple[Size, Size]


# --------------------------------------------------------------------------- checks
def _check_at_least(value: Size, low: int, name: str, what: str = "an int") -> None:
    """Raise unless ``value >= low`` (a symbol that could be either passes)."""
    if definitely(value >= low) is False:
        raise invalid(name, value, f"{what} >= {low}")


def _framework(framework: str) -> str:
    try:
        return FRAMEWORKS[str(framework).lower()]
    except KeyError:
        raise invalid("framework", framework, "one of 'torch' or 'keras'") from None


def _axis_suffix(axis: int | None) -> str:
    return "" if axis is None else f" on axis {axis}"


# --------------------------------------------------------------------------- per-axis formulas
def effective_kernel(k: Size, d: Size = 1) -> Size:
    """Span of a dilated kernel: ``d*(k - 1) + 1`` (Dumoulin & Visin, rel. 15).

    Examples
    --------
    >>> effective_kernel(2, 4)
    5
    """
    return d * (k - 1) + 1


def conv_length(n: Size, k: Size, s: Size = 1, p_lo: Size = 0, p_hi: Size = 0, d: Size = 1,
                *, axis: int | None = None) -> Size:
    """Output length of a convolution along one axis.

    ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1) / s) + 1``
    (Dumoulin & Visin 2016, relationship 15; PyTorch ``Conv2d``).

    Raises
    ------
    ConvCalcError
        If a parameter is out of range or the dilated kernel is larger than the
        padded input.

    Examples
    --------
    >>> conv_length(16, 2, 2, 1, 1, 4)     # the seed's HW5 question 5
    7
    >>> conv_length(32, 3, 2, 1, 1)
    16
    """
    _check_geometry(n, k, s, p_lo, p_hi, d)
    span = effective_kernel(k, d)
    padded = n + p_lo + p_hi
    if definitely(span > padded) is True:
        dilated = f" (dilated to {span})" if span != k else ""
        raise ConvCalcError(
            f"kernel {k}{dilated} is larger than the padded input {padded}{_axis_suffix(axis)}; "
            f"use padding >= {ceildiv(span - n, 2)} per side"
            + (" or a smaller dilation" if d != 1 else " or a smaller kernel")
        )
    return floordiv(padded - span, s) + 1


def pool_length(n: Size, k: Size, s: Size, p_lo: Size = 0, p_hi: Size = 0, d: Size = 1,
                ceil_mode: bool = False, *, axis: int | None = None) -> Size:
    """Output length of a pooling window along one axis, PyTorch's rule.

    ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1 + (s - 1 if ceil_mode)) / s) + 1``,
    then, in ceil mode, ``o -= 1`` when ``(o - 1)*s >= n + p_lo``: a last window
    that would start in the right padding is dropped (ATen
    ``pooling_output_shape_pad_lr``; PyTorch ``MaxPool2d`` note).

    Examples
    --------
    >>> pool_length(5, 2, 2), pool_length(5, 2, 2, ceil_mode=True)
    (2, 3)
    >>> pool_length(5, 2, 2, 1, 1, ceil_mode=True)   # a 4th window would start in the padding
    3
    """
    _check_geometry(n, k, s, p_lo, p_hi, d)
    span = effective_kernel(k, d)
    padded = n + p_lo + p_hi
    out = floordiv(padded - span + (s - 1 if ceil_mode else 0), s) + 1
    # Ceil mode lets a window hang off the end, so only an empty output is impossible there.
    if definitely(out < 1 if ceil_mode else span > padded) is True:
        raise ConvCalcError(
            f"pool window {k}" + (f" (dilated to {span})" if span != k else "")
            + f" is larger than the padded input {padded}{_axis_suffix(axis)}; use a smaller window or more padding"
        )
    if ceil_mode:
        drop = (out - 1) * s >= n + p_lo
        known = definitely(drop)
        if known is True:
            out = out - 1
        elif known is None:
            import sympy

            out = sympy.Piecewise((out - 1, drop), (out, True))
    return out


def ceil_window_dropped(n: Size, k: Size, s: Size, p_lo: Size = 0, p_hi: Size = 0, d: Size = 1) -> bool:
    """True when PyTorch's ceil mode drops a last window starting in the right padding.

    Examples
    --------
    >>> ceil_window_dropped(5, 2, 2, 1, 1), ceil_window_dropped(5, 2, 2)
    (True, False)
    """
    span = effective_kernel(k, d)
    naive = floordiv(n + p_lo + p_hi - span + s - 1, s) + 1
    return definitely((naive - 1) * s >= n + p_lo) is True


def transposed_length(n: Size, k: Size, s: Size = 1, p_lo: Size = 0, p_hi: Size = 0, d: Size = 1,
                      output_padding: Size = 0, *, axis: int | None = None) -> Size:
    """Output length of a transposed convolution along one axis.

    ``o = (n - 1)*s - (p_lo + p_hi) + d*(k - 1) + output_padding + 1``
    (PyTorch ``ConvTranspose2d``; Dumoulin & Visin rel. 14 with ``a = output_padding``).
    ``output_padding`` must be smaller than ``max(s, d)``, as PyTorch requires.

    Examples
    --------
    >>> transposed_length(7, 3, 2, 1, 1), transposed_length(7, 3, 2, 1, 1, output_padding=1)
    (13, 14)
    """
    _check_geometry(n, k, s, p_lo, p_hi, d)
    _check_at_least(output_padding, 0, "output_padding")
    limit = s if definitely(s >= d) is not False else d
    if definitely(output_padding < limit) is False:
        raise invalid("output_padding", output_padding,
                      f"smaller than max(stride, dilation) = {limit}")
    out = (n - 1) * s - (p_lo + p_hi) + d * (k - 1) + output_padding + 1
    if definitely(out >= 1) is False:
        raise ConvCalcError(
            f"padding {p_lo + p_hi} in total removes more than the transposed convolution produces: "
            f"the output length would be {out}{_axis_suffix(axis)}; use less padding"
        )
    return out


def _check_geometry(n: Size, k: Size, s: Size, p_lo: Size, p_hi: Size, d: Size) -> None:
    _check_at_least(n, 1, "size")
    _check_at_least(k, 1, "kernel")
    _check_at_least(s, 1, "stride")
    _check_at_least(d, 1, "dilation", "an int (1 means no dilation)")
    _check_at_least(p_lo, 0, "padding")
    _check_at_least(p_hi, 0, "padding")


def same_padding_pair(n: Size, k: Size, s: Size = 1, d: Size = 1, framework: str = "torch") -> Pair:
    """Padding ``(lo, hi)`` of 'same' along one axis.

    PyTorch: stride 1 only; ``total = d*(k - 1)``, ``lo = total // 2``,
    ``hi = total - lo`` (the odd pixel goes to the right; ATen ``convolution_same``).
    Keras/TF: ``o = ceil(n/s)``, ``total = max((o - 1)*s + d*(k - 1) + 1 - n, 0)``,
    same split, extra pixel bottom/right (TensorFlow ``tf.nn`` docs).

    Examples
    --------
    >>> same_padding_pair(28, 4)
    (1, 2)
    >>> same_padding_pair(5, 3, 2, framework="keras")
    (1, 1)
    """
    _check_geometry(n, k, s, 0, 0, d)
    span = effective_kernel(k, d)
    if _framework(framework) == "torch":
        if definitely(s == 1) is not True:
            raise ConvCalcError(
                f"padding='same' needs stride 1 under PyTorch's rule; got stride {s}. "
                "Use framework='keras' for TensorFlow's ceil(n/s) rule"
            )
        total = span - 1
    else:
        total = (ceildiv(n, s) - 1) * s + span - n
        known = definitely(total >= 0)
        if known is False:
            total = 0
        elif known is None:
            import sympy

            total = sympy.Max(total, 0)
    lo = floordiv(total, 2)
    return lo, total - lo


# --------------------------------------------------------------------------- multi-axis API
def _ndim(*args: object) -> int | None:
    lengths = {len(a) for a in args if isinstance(a, (tuple, list))}
    if len(lengths) > 1:
        raise ConvCalcError(
            f"The per-axis parameters disagree on the number of spatial axes: got lengths {sorted(lengths)}."
        )
    return lengths.pop() if lengths else None


def _is_pair(x: object) -> bool:
    return isinstance(x, (tuple, list)) and len(x) == 2 and not any(isinstance(v, (tuple, list)) for v in x)


def _padding_ndim(padding: object) -> int | None:
    """Axes implied by the padding alone (a bare ``(lo, hi)`` pair is one axis)."""
    if not isinstance(padding, (tuple, list)):
        return None
    if _is_pair(padding):
        return 1
    return len(padding)


def resolve_padding(padding: Any, sizes: Sequence[Size], kernels: Sequence[Size],
                    strides: Sequence[Size], dilations: Sequence[Size],
                    framework: str = "torch") -> tuple[Pair, ...]:
    """Turn every accepted padding form into one ``(lo, hi)`` pair per axis.

    Accepted: an int; a tuple with an int per axis; a tuple with a ``(lo, hi)``
    pair per axis; a bare ``(lo, hi)`` pair when there is one axis; or one of
    ``"valid"``, ``"same"``, ``"full"`` (``full`` pads ``d*(k - 1)`` per side).

    Examples
    --------
    >>> resolve_padding(1, (16, 16), (2, 2), (2, 2), (4, 4))
    ((1, 1), (1, 1))
    >>> resolve_padding("same", (28,), (4,), (1,), (1,))
    ((1, 2),)
    """
    ndim = len(sizes)
    if isinstance(padding, str) and padding.strip().lower() in PADDING_MODES:
        mode = padding.strip().lower()
        if mode == "valid":
            return ((0, 0),) * ndim
        if mode == "full":
            return tuple((effective_kernel(k, d) - 1,) * 2 for k, d in zip(kernels, dilations))
        return tuple(same_padding_pair(n, k, s, d, framework)
                     for n, k, s, d in zip(sizes, kernels, strides, dilations))
    if ndim == 1 and _is_pair(padding):
        per_axis: tuple = (tuple(padding),)
    else:
        per_axis = as_tuple(padding, ndim, "padding")
    pairs = []
    for p in per_axis:
        if _is_pair(p):
            pairs.append((as_value(p[0], "padding"), as_value(p[1], "padding")))
        elif isinstance(p, (tuple, list)):
            raise invalid("padding", padding, "an int, an int per axis, a (lo, hi) pair per axis, "
                          "or one of 'valid', 'same', 'full'")
        else:
            v = _padding_value(p, padding)
            pairs.append((v, v))
    return tuple(pairs)


def _padding_value(p: object, whole: object) -> Size:
    if isinstance(p, str) and p.strip().lower() not in PADDING_MODES and not p.strip().lstrip("+-").isdigit():
        if not p.strip().isidentifier():
            raise invalid("padding", whole, "an int, an int per axis, a (lo, hi) pair per axis, "
                          "or one of 'valid', 'same', 'full'")
    return as_value(p, "padding")


def _axes(size: Any, kernel: Any, stride: Any, dilation: Any, padding: Any,
          extra: Any = 0) -> tuple[int, bool]:
    """Number of axes, and whether the caller gave any tuple (result is a tuple)."""
    ndim = _ndim(size, kernel, stride, dilation, extra)
    as_seq = ndim is not None
    if ndim is None:
        ndim = _padding_ndim(padding) or 1
        as_seq = ndim > 1 or (isinstance(padding, (tuple, list)) and not _is_pair(padding))
    elif isinstance(padding, (tuple, list)) and not (ndim == 1 and _is_pair(padding)) and len(padding) != ndim:
        as_tuple(padding, ndim, "padding")  # raises with the standard message
    return ndim, as_seq


def _values(x: Any, ndim: int, name: str) -> tuple[Size, ...]:
    return tuple(as_value(v, name) for v in as_tuple(x, ndim, name))


def _result(values: list[Size], as_seq: bool) -> Size | tuple[Size, ...]:
    return tuple(values) if as_seq else values[0]


def conv_output_size(size: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple = 1, padding: Any = 0,
                     dilation: IntOrTuple = 1, *, framework: str = "torch") -> Size | tuple[Size, ...]:
    """Output size of a convolution, per spatial axis.

    ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1) / s) + 1`` on each axis
    (Dumoulin & Visin 2016, rel. 15; PyTorch ``Conv2d``). With
    ``framework="keras"`` and ``padding="same"`` the result is ``ceil(n/s)``
    for any stride.

    Parameters
    ----------
    size, kernel, stride, dilation : int, str, sympy expression or tuple
        One value for every axis, or a tuple with one value per axis. A name
        such as ``"n"`` makes the result a sympy expression. ``dilation=1``
        means no dilation. Defaults: stride 1, dilation 1.
    padding : int, tuple or {"valid", "same", "full"}
        Symmetric padding, an int per axis, a ``(lo, hi)`` pair per axis, or a
        mode. Defaults to 0.
    framework : {"torch", "keras"}
        Which 'same' rule applies. Defaults to ``"torch"``.

    Returns
    -------
    int, sympy expression, or tuple of them
        A tuple when any argument was given per axis.

    Raises
    ------
    ConvCalcError
        Impossible geometry, naming the parameter, its value and what is valid.

    Examples
    --------
    >>> conv_output_size(16, 2, stride=2, padding=1, dilation=4)
    7
    >>> conv_output_size((28, 32), 3, padding="same")
    (28, 32)
    >>> conv_output_size(5, 3, stride=2, padding="same", framework="keras")
    3
    >>> conv_output_size("n", 3, padding=1)
    n
    """
    ndim, as_seq = _axes(size, kernel, stride, dilation, padding)
    n, k, s, d = (_values(v, ndim, name) for v, name in
                  ((size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation")))
    fw = _framework(framework)
    if fw == "keras" and any(definitely(x > 1) for x in s) and any(definitely(x > 1) for x in d):
        raise ConvCalcError("Keras does not support stride > 1 together with dilation > 1; "
                            f"got stride {s} and dilation {d}")
    pads = resolve_padding(padding, n, k, s, d, fw)
    out = [conv_length(*args, axis=i if ndim > 1 else None)
           for i, args in enumerate(zip(n, k, s, (p[0] for p in pads), (p[1] for p in pads), d))]
    return _result(out, as_seq)


def _check_pool_padding(pads: Sequence[Pair], k: Sequence[Size], d: Sequence[Size]) -> None:
    """PyTorch pools pad at most half the kernel: ``p <= k // 2`` (ATen ``pool2d_shape_check``)
    and ``p <= (d*(k - 1) + 1) // 2`` (``pooling_output_shape``)."""
    for (lo, hi), kk, dd in zip(pads, k, d):
        limit = floordiv(kk, 2)
        for p in (lo, hi):
            if definitely(p > limit) is True:
                raise invalid("padding", p, f"at most half the pool window, {kk}//2 = {limit}",
                              "PyTorch rejects larger pool padding")
            if definitely(p > floordiv(effective_kernel(kk, dd), 2)) is True:
                raise invalid("padding", p, "at most half the effective pool window")


def pool_output_size(size: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple | None = None,
                     padding: Any = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
                     *, framework: str = "torch") -> Size | tuple[Size, ...]:
    """Output size of max or average pooling, per spatial axis.

    ``o = floor((n + 2p - d*(k - 1) - 1 [+ s - 1 in ceil mode]) / s) + 1``; in
    ceil mode a last window starting in the right padding is dropped (PyTorch
    ``MaxPool2d``; Dumoulin & Visin rel. 7). ``stride`` defaults to the kernel.
    Padding must be at most half the window (PyTorch). With
    ``framework="keras"``, ``padding="same"`` gives ``ceil(n/s)``.

    Examples
    --------
    >>> pool_output_size(26, 2)
    13
    >>> pool_output_size(32, 1, stride=2, ceil_mode=True)   # pytorch/pytorch#57178
    16
    >>> pool_output_size((5, 6), 2, ceil_mode=True)
    (3, 3)
    """
    if stride is None:
        stride = kernel
    ndim, as_seq = _axes(size, kernel, stride, dilation, padding)
    n, k, s, d = (_values(v, ndim, name) for v, name in
                  ((size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation")))
    fw = _framework(framework)
    if isinstance(padding, str) and padding.strip().lower() in ("same", "full") and fw == "torch":
        raise invalid("padding", padding, "an int, a per-axis tuple or 'valid' for PyTorch pooling",
                      "Use framework='keras' for 'same' pooling")
    pads = resolve_padding(padding, n, k, s, d, fw)
    if fw == "torch":
        _check_pool_padding(pads, k, d)
    out = [pool_length(nn, kk, ss, lo, hi, dd, ceil_mode, axis=i if ndim > 1 else None)
           for i, (nn, kk, ss, (lo, hi), dd) in enumerate(zip(n, k, s, pads, d))]
    return _result(out, as_seq)


def transposed_output_size(size: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple = 1, padding: Any = 0,
                           dilation: IntOrTuple = 1, output_padding: IntOrTuple = 0) -> Size | tuple[Size, ...]:
    """Output size of a transposed convolution, per spatial axis.

    ``o = (n - 1)*s - 2p + d*(k - 1) + output_padding + 1`` (PyTorch
    ``ConvTranspose2d``; Dumoulin & Visin rel. 14). ``output_padding`` picks
    one of the ``s`` input sizes a strided convolution maps to the same output.

    Examples
    --------
    >>> transposed_output_size(7, 3, stride=2, padding=1, output_padding=1)
    14
    >>> transposed_output_size((4, 5), 4, stride=2, padding=1)
    (8, 10)
    """
    ndim, as_seq = _axes(size, kernel, stride, dilation, padding, output_padding)
    n, k, s, d, a = (_values(v, ndim, name) for v, name in
                     ((size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation"),
                      (output_padding, "output_padding")))
    if isinstance(padding, str) and padding.strip().lower() != "valid":
        raise invalid("padding", padding, "an int, a per-axis tuple, (lo, hi) pairs or 'valid' "
                      "for a transposed convolution")
    pads = resolve_padding(padding, n, k, s, d)
    out = [transposed_length(nn, kk, ss, lo, hi, dd, aa, axis=i if ndim > 1 else None)
           for i, (nn, kk, ss, (lo, hi), dd, aa) in enumerate(zip(n, k, s, pads, d, a))]
    return _result(out, as_seq)


def same_padding(size: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple = 1, dilation: IntOrTuple = 1,
                 *, framework: str = "torch") -> Pair | tuple[Pair, ...]:
    """The ``(lo, hi)`` padding of 'same', per axis.

    PyTorch (stride 1 only): ``total = d*(k - 1)``, odd pixel on the right.
    Keras/TF: output ``ceil(n/s)`` for any stride, extra pixel bottom/right.

    Examples
    --------
    >>> same_padding(28, 3)
    (1, 1)
    >>> same_padding(28, 4)
    (1, 2)
    >>> same_padding((224, 224), 7, 2, framework="keras")
    ((2, 3), (2, 3))
    """
    ndim, as_seq = _axes(size, kernel, stride, dilation, 0)
    n, k, s, d = (_values(v, ndim, name) for v, name in
                  ((size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation")))
    pairs = [same_padding_pair(*args, framework=framework) for args in zip(n, k, s, d)]
    return tuple(pairs) if as_seq else pairs[0]


def full_padding(kernel: IntOrTuple, dilation: IntOrTuple = 1) -> Size | tuple[Size, ...]:
    """Padding per side of a 'full' convolution: ``d*(k - 1)`` (Dumoulin & Visin rel. 4).

    Examples
    --------
    >>> full_padding(3), full_padding((3, 5), 2)
    (2, (4, 8))
    """
    ndim, as_seq = _axes(1, kernel, 1, dilation, 0)
    k, d = _values(kernel, ndim, "kernel"), _values(dilation, ndim, "dilation")
    return _result([effective_kernel(kk, dd) - 1 for kk, dd in zip(k, d)], as_seq)
