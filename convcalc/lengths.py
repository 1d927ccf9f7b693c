"""Per-axis size formulas: the output length of a convolution, a pooling and a transposed convolution
along one axis, PyTorch's ceil-mode rule, 'same' padding and the adjoint padding, once each.

They work on ``int`` and on ``sympy`` expressions alike. :mod:`convcalc.arithmetic` maps them over
the axes (and re-exports them); every other module calls them from there.

Notation (one axis): input length ``n``, kernel ``k``, stride ``s``, padding ``p_lo`` before and
``p_hi`` after (``2p`` when symmetric), dilation ``d`` (``d = 1`` means no dilation, as in
PyTorch), effective kernel ``d*(k - 1) + 1``.

Sources: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016),
relationships 1-15; PyTorch's ``Conv2d``, ``ConvTranspose2d`` and ``MaxPool2d`` documentation and
ATen's ``pooling_output_shape_pad_lr``; TensorFlow's ``tf.nn`` padding documentation for 'SAME'.
"""

from __future__ import annotations

from typing import Any

from convcalc._typing import Size, ceildiv, definitely, floordiv
from convcalc.errors import ConvCalcError, invalid

__all__ = [
    "FRAMEWORKS",
    "Pair",
    "framework_name",
    "effective_kernel",
    "conv_length",
    "pool_length",
    "ceil_window_dropped",
    "transposed_length",
    "adjoint_padding",
    "same_padding_pair",
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
