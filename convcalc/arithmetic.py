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
from typing import Any, NamedTuple

from convcalc._typing import IntOrTuple, Size, as_tuple, as_value, ceildiv, definitely, floordiv
from convcalc.errors import ConvCalcError, ConvCalcTypeError, invalid
from convcalc.padding import PADDING_MODES, padding_form

__all__ = [
    "FRAMEWORKS",
    "framework_name",
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
    "PADDING_MODES",
    "ceil_window_dropped",
    "check_pool_padding",
    "adjoint_padding",
    "pool_modes",
    "Resolved",
    "PerAxis",
    "per_axis",
    "resolve_geometry",
]

#: Accepted framework names and the convention each one selects.
FRAMEWORKS = {"torch": "torch", "pytorch": "torch", "keras": "keras", "tf": "keras", "tensorflow": "keras"}

Pair = tuple[Size, Size]


# --------------------------------------------------------------------------- checks
def _check_at_least(value: Size, low: int, name: str, what: str = "an int") -> None:
    """Raise unless ``value >= low`` (a symbol that could be either passes)."""
    if definitely(value >= low) is False:
        raise invalid(name, value, f"{what} >= {low}")


def framework_name(framework: str) -> str:
    """The convention a framework name selects: ``"torch"`` or ``"keras"``.

    >>> framework_name("TensorFlow")
    'keras'
    """
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
    out = _ceil_count(n, k, s, p_lo, p_hi, d) if ceil_mode else floordiv(padded - span, s) + 1
    # Ceil mode lets a window hang off the end, so only an empty output is impossible there.
    if definitely(out < 1 if ceil_mode else span > padded) is True:
        raise ConvCalcError(
            f"pool window {k}" + (f" (dilated to {span})" if span != k else "")
            + f" is larger than the padded input {padded}{_axis_suffix(axis)}; use a smaller window or more padding"
        )
    if ceil_mode:
        drop = _starts_in_right_padding(out, n, s, p_lo)
        known = definitely(drop)
        if known is True:
            out = out - 1
        elif known is None:
            import sympy

            out = sympy.Piecewise((out - 1, drop), (out, True))
    return out


def _ceil_count(n: Size, k: Size, s: Size, p_lo: Size, p_hi: Size, d: Size) -> Size:
    """Windows in ceil mode before PyTorch's last-window rule: ``ceil((n + p_lo + p_hi - d*(k-1) - 1)/s) + 1``."""
    return floordiv(n + p_lo + p_hi - effective_kernel(k, d) + s - 1, s) + 1


def _starts_in_right_padding(out: Size, n: Size, s: Size, p_lo: Size) -> Any:
    """PyTorch's ceil-mode rule: the last of ``out`` windows starts at ``(out - 1)*s``, which must be
    inside the input or the left padding (``< n + p_lo``); otherwise it is dropped."""
    return (out - 1) * s >= n + p_lo


def ceil_window_dropped(n: Size, k: Size, s: Size, p_lo: Size = 0, p_hi: Size = 0, d: Size = 1) -> bool:
    """True when PyTorch's ceil mode drops a last window starting in the right padding.

    The same rule :func:`pool_length` applies (one place: ``_starts_in_right_padding``).

    Examples
    --------
    >>> ceil_window_dropped(5, 2, 2, 1, 1), ceil_window_dropped(5, 2, 2)
    (True, False)
    """
    return definitely(_starts_in_right_padding(_ceil_count(n, k, s, p_lo, p_hi, d), n, s, p_lo)) is True


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


def adjoint_padding(k: Size, d: Size, p_lo: Size, p_hi: Size) -> Pair:
    """Padding of the adjoint of a stride-1 correlation, one axis: ``(d*(k - 1) - p_lo, d*(k - 1) - p_hi)``.

    The input gradient of a stride-1 convolution (and a stride-1 transposed convolution) is a
    correlation of the output with the flipped kernel padded by this much (Dumoulin & Visin
    2016, section 4.1, relationship 8 with dilation). A negative value crops instead.

    Examples
    --------
    >>> adjoint_padding(3, 1, 1, 1), adjoint_padding(2, 4, 1, 1)
    ((1, 1), (3, 3))
    """
    full = d * (k - 1)
    return full - p_lo, full - p_hi


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
    if framework_name(framework) == "torch":
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
_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<default>"})()


def _one_of(name: str, value: Any, alias: str, alias_value: Any, default: Any) -> Any:
    """A parameter given under convcalc's name or a framework's (``kernel_size=``, ``strides=``), not both."""
    if value is not _UNSET and alias_value is not _UNSET:
        raise ConvCalcError(f"Give {name}= or {alias}= (the same parameter under another framework's name), "
                            f"not both; got {name}={value!r} and {alias}={alias_value!r}.")
    if value is not _UNSET:
        return value
    return default if alias_value is _UNSET else alias_value


def _required(name: str, value: Any, alias: str) -> Any:
    if value is _UNSET:
        raise ConvCalcTypeError(f"The {name!r} parameter is required (also accepted as {alias}=).")
    return value


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


class PerAxis(NamedTuple):
    """Per-axis values as resolved from scalars and tuples.

    Attributes
    ----------
    ndim : int
        Number of spatial axes.
    as_seq : bool
        Whether the caller gave any value per axis (results are then tuples).
    values : dict of str to tuple
        Each named parameter, one exact int or sympy value per axis.
    """

    ndim: int
    as_seq: bool
    values: dict[str, tuple[Size, ...]]


def per_axis(values: dict[str, Any], padding: Any = 0) -> PerAxis:
    """Resolve scalars and per-axis tuples of several parameters to one value per axis each.

    Examples
    --------
    >>> per_axis({"size": (28, 32), "kernel": 3})
    PerAxis(ndim=2, as_seq=True, values={'size': (28, 32), 'kernel': (3, 3)})
    >>> per_axis({"size": 28, "kernel": 3}, padding=(0, 1)).ndim
    1
    """
    ndim = _ndim(*values.values())
    as_seq = ndim is not None
    if ndim is None:
        ndim = _padding_ndim(padding) or 1
        as_seq = ndim > 1 or (isinstance(padding, (tuple, list)) and not _is_pair(padding))
    elif isinstance(padding, (tuple, list)) and not (ndim == 1 and _is_pair(padding)) and len(padding) != ndim:
        as_tuple(padding, ndim, "padding")  # raises with the standard message
    resolved = {name: tuple(as_value(v, name) for v in as_tuple(x, ndim, name)) for name, x in values.items()}
    return PerAxis(ndim, as_seq, resolved)


def resolve_padding(padding: Any, sizes: Sequence[Size], kernels: Sequence[Size],
                    strides: Sequence[Size], dilations: Sequence[Size],
                    framework: str = "torch", *, modes: tuple[str, ...] = PADDING_MODES,
                    where: str = "") -> tuple[Pair, ...]:
    """Turn every accepted padding form into one ``(lo, hi)`` pair per axis.

    Forms (checked by :func:`convcalc.padding.padding_form`, one place, one message): an int; a
    tuple with an int per axis; a tuple with a ``(lo, hi)`` pair per axis; a bare ``(lo, hi)``
    pair when there is one axis; ``sym(EXPR)`` text or a sympy value; or a mode:
    ``"valid"`` (none), ``"full"`` (``d*(k - 1)`` per side), ``"same"`` (see
    :func:`same_padding_pair`) and ``"causal"`` (Keras ``Conv1D``: all ``d*(k - 1)`` before,
    one axis only). ``modes`` restricts the modes an operation accepts.

    Examples
    --------
    >>> resolve_padding(1, (16, 16), (2, 2), (2, 2), (4, 4))
    ((1, 1), (1, 1))
    >>> resolve_padding("same", (28,), (4,), (1,), (1,))
    ((1, 2),)
    >>> resolve_padding("causal", (10,), (3,), (1,), (2,))
    ((4, 0),)
    """
    ndim = len(sizes)
    form = padding_form(padding, ndim, modes, where=where)
    if not isinstance(form, str):
        return form
    if form == "valid":
        return ((0, 0),) * ndim
    if form == "full":
        return tuple((effective_kernel(k, d) - 1,) * 2 for k, d in zip(kernels, dilations))
    if form == "causal":
        return tuple((effective_kernel(k, d) - 1, 0) for k, d in zip(kernels, dilations))
    return tuple(same_padding_pair(n, k, s, d, framework) for n, k, s, d in zip(sizes, kernels, strides, dilations))


def pool_modes(framework: str) -> tuple[str, ...]:
    """Padding modes pooling accepts: PyTorch only 'valid' (ints otherwise), Keras 'valid' and 'same'.

    >>> pool_modes("torch"), pool_modes("keras")
    (('valid',), ('valid', 'same'))
    """
    return ("valid",) if framework_name(framework) == "torch" else ("valid", "same")


def check_pool_padding(pads: Sequence[Pair], kernels: Sequence[Size], dilations: Sequence[Size]) -> None:
    """PyTorch's limit on pool padding, the one rule every pooling path calls.

    Each side pads at most half the window, ``p <= k // 2`` (ATen ``pool2d_shape_check``),
    and at most half the dilated window, ``p <= (d*(k - 1) + 1) // 2`` (ATen
    ``pooling_output_shape``).

    Examples
    --------
    >>> check_pool_padding([(1, 1)], [3], [2])
    >>> check_pool_padding([(2, 2)], [3], [2])
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'padding' parameter must be at most half the pool window, 3//2 = 1. Got 2. PyTorch rejects larger pool padding
    """
    for (lo, hi), kk, dd in zip(pads, kernels, dilations):
        limit = floordiv(kk, 2)
        for p in (lo, hi):
            if definitely(p > limit) is True:
                raise invalid("padding", p, f"at most half the pool window, {kk}//2 = {limit}",
                              "PyTorch rejects larger pool padding")
            half_span = floordiv(effective_kernel(kk, dd), 2)
            if definitely(p > half_span) is True:
                raise invalid("padding", p, f"at most half the dilated pool window, ({dd}*({kk}-1) + 1)//2 = {half_span}",
                              "PyTorch rejects larger pool padding")


KINDS = ("conv", "pool", "transposed")


class Resolved(NamedTuple):
    """One output-size computation, resolved once: the per-axis values used and the answer.

    Attributes
    ----------
    kind : {"conv", "pool", "transposed"}
    size, kernel, stride, dilation, output_padding : tuple
        One exact value per axis (stride already defaulted: 1, or the kernel for pooling).
    padding : tuple of (lo, hi)
        The padding applied on each axis, modes resolved.
    mode : str or None
        The padding mode the caller named (``"same"``, ...), if any.
    framework : {"torch", "keras"}
    ceil_mode : bool
    output : tuple
        The output size per axis.
    dropped : tuple of bool
        Per axis, whether ceil mode dropped a last window starting in the right padding.
    as_seq : bool
        Whether the caller gave any value per axis (the public functions then return tuples).
    """

    kind: str
    size: tuple[Size, ...]
    kernel: tuple[Size, ...]
    stride: tuple[Size, ...]
    dilation: tuple[Size, ...]
    output_padding: tuple[Size, ...]
    padding: tuple[Pair, ...]
    mode: str | None
    framework: str
    ceil_mode: bool
    output: tuple[Size, ...]
    dropped: tuple[bool, ...]
    as_seq: bool

    def result(self) -> Size | tuple[Size, ...]:
        """The output as the public functions return it: a tuple when any input was per axis."""
        return self.output if self.as_seq else self.output[0]


def resolve_geometry(kind: str, size: Any, kernel: Any, stride: Any = _UNSET, padding: Any = 0, dilation: Any = 1,
                     *, ceil_mode: bool = False, output_padding: Any = 0, framework: str = "torch") -> Resolved:
    """Resolve and check an output-size computation once; every size function and the working call this.

    Parameters are those of :func:`conv_output_size`, :func:`pool_output_size` and
    :func:`transposed_output_size`. The stride defaults to 1, or to the kernel for pooling
    (where ``stride=None`` means the kernel too, as in PyTorch).

    Examples
    --------
    >>> r = resolve_geometry("conv", 16, 2, 2, 1, 4)
    >>> r.output, r.padding, r.result()
    ((7,), ((1, 1),), 7)
    >>> resolve_geometry("pool", 5, 2, padding=1, ceil_mode=True).dropped
    (True,)
    """
    if kind not in KINDS:
        raise invalid("kind", kind, f"one of {', '.join(KINDS)}")
    if not isinstance(ceil_mode, bool):
        raise ConvCalcTypeError(f"The 'ceil_mode' parameter must be True or False. Got {ceil_mode!r}.")
    fw = framework_name(framework)
    if stride is _UNSET or (stride is None and kind == "pool"):
        stride = kernel if kind == "pool" else 1  # PyTorch's MaxPool2d(stride=None) is the kernel
    axes = per_axis({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation,
                     "output_padding": output_padding}, padding)
    n, k, s, d, a = (axes.values[key] for key in ("size", "kernel", "stride", "dilation", "output_padding"))
    ndim = axes.ndim
    where = {"conv": "", "pool": "PyTorch pooling" if fw == "torch" else "Keras pooling",
             "transposed": "a transposed convolution"}[kind]
    modes = {"conv": PADDING_MODES, "pool": pool_modes(fw), "transposed": ("valid",)}[kind]
    if kind == "pool" and fw == "torch" and isinstance(padding, str) and padding.strip().lower() == "same":
        raise invalid("padding", padding, "an int, a per-axis tuple or 'valid' for PyTorch pooling",
                      "Use framework='keras' for 'same' pooling")
    if kind == "conv" and fw == "keras" and any(definitely(x > 1) for x in s) and any(definitely(x > 1) for x in d):
        raise ConvCalcError("Keras does not support stride > 1 together with dilation > 1; "
                            f"got stride {s} and dilation {d}")
    if kind != "transposed" and any(definitely(x != 0) is not False for x in a):
        raise ConvCalcError("output_padding applies to transposed convolutions only")
    pads = resolve_padding(padding, n, k, s, d, fw, modes=modes, where=where)
    label = (lambda i: i if ndim > 1 else None)  # noqa: E731 - axis named in errors only when there are several
    dropped = (False,) * ndim
    if kind == "conv":
        out = tuple(conv_length(n[i], k[i], s[i], *pads[i], d[i], axis=label(i)) for i in range(ndim))
    elif kind == "pool":
        if fw == "torch":
            check_pool_padding(pads, k, d)
        out = tuple(pool_length(n[i], k[i], s[i], *pads[i], d[i], ceil_mode, axis=label(i)) for i in range(ndim))
        if ceil_mode:
            dropped = tuple(ceil_window_dropped(n[i], k[i], s[i], *pads[i], d[i]) for i in range(ndim))
    else:
        out = tuple(transposed_length(n[i], k[i], s[i], *pads[i], d[i], a[i], axis=label(i)) for i in range(ndim))
    mode = padding.strip().lower() if isinstance(padding, str) and padding.strip().lower() in PADDING_MODES else None
    return Resolved(kind, n, k, s, d, a, pads, mode, fw, ceil_mode and kind == "pool", out, dropped, axes.as_seq)


def conv_output_size(size: Any, kernel: Any = _UNSET, stride: Any = _UNSET, padding: Any = _UNSET,
                     dilation: Any = _UNSET, *, framework: str = "torch", kernel_size: Any = _UNSET,
                     strides: Any = _UNSET, dilation_rate: Any = _UNSET) -> Any:
    """Output size of a convolution, per spatial axis.

    ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1) / s) + 1`` on each axis
    (Dumoulin & Visin 2016, rel. 15; PyTorch ``Conv2d``). With
    ``framework="keras"`` and ``padding="same"`` the result is ``ceil(n/s)``
    for any stride.

    Parameters
    ----------
    size, kernel, stride, dilation : int, str, sympy expression or tuple
        One value for every axis, or a tuple with one value per axis. Text in the grammar of
        :mod:`convcalc.expression` (``"n"``, ``"2*n + 1"``) makes the result a sympy
        expression. ``dilation=1`` means no dilation. Defaults: stride 1, dilation 1.
        PyTorch's and Keras's keyword names are accepted too: ``kernel_size=``, ``strides=``,
        ``dilation_rate=`` (giving both spellings is an error).
    padding : int, tuple or {"valid", "same", "full", "causal"}
        Symmetric padding, an int per axis, a ``(lo, hi)`` pair per axis, a mode, or a
        symbolic ``"sym(p)"``. Defaults to 0. ``"causal"`` (Keras ``Conv1D``) pads
        ``d*(k - 1)`` before the input and nothing after, on one axis only.
    framework : {"torch", "keras"}
        Which 'same' rule applies. Defaults to ``"torch"``.

    Returns
    -------
    int, sympy expression, or tuple of them
        A tuple when any argument was given per axis.

    Raises
    ------
    ConvCalcError
        Impossible geometry or a malformed value, naming the parameter, its value and what is valid.
    ConvCalcTypeError
        A value of the wrong type (``float``, ``bool``, ``None``, ``complex``).

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
    >>> conv_output_size(10, kernel_size=3, strides=2, padding="causal")
    5
    """
    kernel = _required("kernel", _one_of("kernel", kernel, "kernel_size", kernel_size, _UNSET), "kernel_size")
    stride = _one_of("stride", stride, "strides", strides, 1)
    dilation = _one_of("dilation", dilation, "dilation_rate", dilation_rate, 1)
    padding = 0 if padding is _UNSET else padding
    return resolve_geometry("conv", size, kernel, stride, padding, dilation, framework=framework).result()


def pool_output_size(size: Any, kernel: Any = _UNSET, stride: Any = _UNSET, padding: Any = _UNSET,
                     dilation: Any = _UNSET, ceil_mode: bool = False, *, framework: str = "torch",
                     kernel_size: Any = _UNSET, pool_size: Any = _UNSET, strides: Any = _UNSET,
                     dilation_rate: Any = _UNSET) -> Any:
    """Output size of max or average pooling, per spatial axis.

    ``o = floor((n + 2p - d*(k - 1) - 1 [+ s - 1 in ceil mode]) / s) + 1``; in
    ceil mode a last window starting in the right padding is dropped (PyTorch
    ``MaxPool2d``; Dumoulin & Visin rel. 7). ``stride`` defaults to the kernel
    (``stride=None`` too, as PyTorch). Padding must be at most half the window
    (PyTorch, :func:`check_pool_padding`). With ``framework="keras"``,
    ``padding="same"`` gives ``ceil(n/s)``. Keyword names of the frameworks are
    accepted: ``kernel_size=`` (PyTorch), ``pool_size=`` and ``strides=`` (Keras),
    ``dilation_rate=``.

    Examples
    --------
    >>> pool_output_size(26, 2)
    13
    >>> pool_output_size(32, 1, stride=2, ceil_mode=True)   # pytorch/pytorch#57178
    16
    >>> pool_output_size((5, 6), 2, ceil_mode=True)
    (3, 3)
    >>> pool_output_size(28, pool_size=2, strides=2, padding="same", framework="keras")
    14
    """
    kernel = _one_of("kernel", kernel, "kernel_size", kernel_size, _UNSET)
    kernel = _required("kernel", _one_of("kernel", kernel, "pool_size", pool_size, _UNSET), "kernel_size or pool_size")
    stride = _one_of("stride", stride, "strides", strides, None)
    dilation = _one_of("dilation", dilation, "dilation_rate", dilation_rate, 1)
    padding = 0 if padding is _UNSET else padding
    return resolve_geometry("pool", size, kernel, stride, padding, dilation, ceil_mode=ceil_mode,
                            framework=framework).result()


def transposed_output_size(size: Any, kernel: Any = _UNSET, stride: Any = _UNSET, padding: Any = _UNSET,
                           dilation: Any = _UNSET, output_padding: Any = 0, *, kernel_size: Any = _UNSET,
                           strides: Any = _UNSET, dilation_rate: Any = _UNSET) -> Any:
    """Output size of a transposed convolution, per spatial axis.

    ``o = (n - 1)*s - 2p + d*(k - 1) + output_padding + 1`` (PyTorch
    ``ConvTranspose2d``; Dumoulin & Visin rel. 14). ``output_padding`` picks
    one of the ``s`` input sizes a strided convolution maps to the same output.
    Keyword names ``kernel_size=``, ``strides=``, ``dilation_rate=`` are accepted too.

    Examples
    --------
    >>> transposed_output_size(7, 3, stride=2, padding=1, output_padding=1)
    14
    >>> transposed_output_size((4, 5), 4, stride=2, padding=1)
    (8, 10)
    """
    kernel = _required("kernel", _one_of("kernel", kernel, "kernel_size", kernel_size, _UNSET), "kernel_size")
    stride = _one_of("stride", stride, "strides", strides, 1)
    dilation = _one_of("dilation", dilation, "dilation_rate", dilation_rate, 1)
    padding = 0 if padding is _UNSET else padding
    return resolve_geometry("transposed", size, kernel, stride, padding, dilation,
                            output_padding=output_padding).result()


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
    axes = per_axis({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation})
    v = axes.values
    pairs = [same_padding_pair(*args, framework=framework)
             for args in zip(v["size"], v["kernel"], v["stride"], v["dilation"])]
    return tuple(pairs) if axes.as_seq else pairs[0]


def full_padding(kernel: IntOrTuple, dilation: IntOrTuple = 1) -> Size | tuple[Size, ...]:
    """Padding per side of a 'full' convolution: ``d*(k - 1)`` (Dumoulin & Visin rel. 4).

    Examples
    --------
    >>> full_padding(3), full_padding((3, 5), 2)
    (2, (4, 8))
    """
    axes = per_axis({"kernel": kernel, "dilation": dilation})
    out = [effective_kernel(kk, dd) - 1 for kk, dd in zip(axes.values["kernel"], axes.values["dilation"])]
    return tuple(out) if axes.as_seq else out[0]
