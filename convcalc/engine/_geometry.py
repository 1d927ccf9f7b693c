"""Argument checking and window geometry shared by every engine kernel.

Nothing here re-derives a size: output lengths come from
:mod:`convcalc.arithmetic` (``conv_length``, ``pool_length``,
``transposed_length``, ``resolve_padding``). This module only turns the
user's arguments into checked Python ints and records them in a
:class:`Geometry` that the kernels and the caches share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convcalc._typing import as_tuple
from convcalc.arithmetic import PADDING_MODES, conv_length, effective_kernel, resolve_padding
from convcalc.errors import ConvCalcError, invalid

Pair = tuple[int, int]



@dataclass(frozen=True)
class Geometry:
    """Window geometry of one layer over its spatial axes (all Python ints).

    Attributes
    ----------
    in_size : tuple of int
        Spatial size of the input, ``(H, W)``.
    kernel, stride, dilation : tuple of int
        Per axis; ``dilation=1`` means no dilation.
    padding : tuple of (int, int)
        ``(lo, hi)`` per axis as resolved by ``arithmetic.resolve_padding``.
    out_size : tuple of int
        Number of window positions per axis (from ``arithmetic``).
    """

    in_size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    padding: tuple[Pair, ...]
    out_size: tuple[int, ...]

    @property
    def span(self) -> tuple[int, ...]:
        """Padded length the windows actually read: ``(o - 1)*s + d*(k - 1) + 1`` per axis."""
        return tuple((o - 1) * s + effective_kernel(k, d)
                     for o, s, k, d in zip(self.out_size, self.stride, self.kernel, self.dilation))


def float_dtype(x: object) -> np.dtype:
    """Computation dtype: float32 stays float32, anything else runs in float64."""
    dtype = getattr(x, "dtype", None)
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def as_array(x: object, name: str, ndim: int, layout: str, dtype: np.dtype) -> np.ndarray:
    """``x`` as an ndarray of ``dtype`` with ``ndim`` axes, or a ConvCalcError."""
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError):
        raise invalid(name, type(x).__name__, f"a real-valued array of shape {layout}") from None
    if arr.ndim != ndim:
        raise ConvCalcError(f"The {name!r} array must have {ndim} axes {layout}. Got shape {arr.shape}.")
    return arr


def int_tuple(value: object, ndim: int, name: str, low: int) -> tuple[int, ...]:
    """One checked int ``>= low`` per axis (a scalar is repeated)."""
    values = as_tuple(value, ndim, name)
    out = []
    for v in values:
        if isinstance(v, (bool, float, str)) or not hasattr(v, "__index__"):
            raise invalid(name, value, f"an int >= {low} or a tuple of {ndim} such ints")
        v = int(v.__index__())
        if v < low:
            raise invalid(name, value, f"an int >= {low} or a tuple of {ndim} such ints")
        out.append(v)
    return tuple(out)


def padding_pairs(padding: object, in_size: tuple[int, ...], kernel: tuple[int, ...],
                  stride: tuple[int, ...], dilation: tuple[int, ...], *, modes: tuple[str, ...] = PADDING_MODES,
                  where: str = "") -> tuple[Pair, ...]:
    """``arithmetic.resolve_padding`` (the one check of padding forms, non-negative included) restricted to
    concrete ints: arrays cannot be padded by a symbol."""
    pairs = resolve_padding(padding, in_size, kernel, stride, dilation, modes=modes, where=where)
    if not all(isinstance(p, int) for pair in pairs for p in pair):
        raise invalid("padding", padding, "concrete ints (no symbols) for the NumPy engine")
    return tuple((int(lo), int(hi)) for lo, hi in pairs)


def conv_geometry(in_size: tuple[int, ...], kernel: tuple[int, ...], stride: object,
                  padding: object, dilation: object) -> Geometry:
    """Check a convolution's arguments and size its output with ``arithmetic.conv_length``."""
    ndim = len(in_size)
    s = int_tuple(stride, ndim, "stride", 1)
    d = int_tuple(dilation, ndim, "dilation", 1)
    pads = padding_pairs(padding, in_size, kernel, s, d)
    out = tuple(conv_length(n, k, ss, lo, hi, dd, axis=i if ndim > 1 else None)
                for i, (n, k, ss, (lo, hi), dd) in enumerate(zip(in_size, kernel, s, pads, d)))
    return Geometry(in_size, kernel, s, d, pads, out)


def check_groups(groups: object, c_in: int, c_out: int, x_shape: tuple, w_shape: tuple) -> int:
    """``groups`` must divide both channel counts."""
    g = int_tuple(groups, 1, "groups", 1)[0]
    if c_in % g or c_out % g:
        raise ConvCalcError(
            f"groups={g} must divide both the input channels and the output channels; "
            f"got input shape {x_shape} and weight shape {w_shape}."
        )
    return g


def check_bias(b: object, n_out: int, w_shape: tuple, dtype: np.dtype) -> np.ndarray | None:
    """The bias as a ``(n_out,)`` array, or None."""
    if b is None:
        return None
    bias = np.asarray(b, dtype=dtype)
    if bias.shape != (n_out,):
        raise ConvCalcError(
            f"The bias must have shape ({n_out},), one value per output channel of weight shape "
            f"{w_shape}. Got bias shape {bias.shape}."
        )
    return bias


def check_dout(dout: object, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """The upstream gradient, which must have the forward output's shape."""
    arr = np.asarray(dout, dtype=dtype)
    if arr.shape != tuple(shape):
        raise ConvCalcError(f"dout must have the forward output's shape {tuple(shape)}. Got {arr.shape}.")
    return arr


def window_at(y: int, x: int, geom: Geometry) -> tuple[slice, slice]:
    """Rows and columns of the padded input under output position ``(y, x)`` (for loop twins)."""
    (sh, sw), (dh, dw), (kh, kw) = geom.stride, geom.dilation, geom.kernel
    return (slice(y * sh, y * sh + (kh - 1) * dh + 1, dh), slice(x * sw, x * sw + (kw - 1) * dw + 1, dw))
