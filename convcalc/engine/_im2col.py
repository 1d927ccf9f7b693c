"""Padding and window views over NCHW arrays: what the im2col kernels are built from.

Layouts (``P = Ho*Wo``): the window view of a padded input is
``(N, C, kh, kw, Ho, Wo)``, a strided view that copies nothing; its
contiguous copy is the column matrix ``(N, C*kh*kw, P)``, so that one
sample's columns are a ``(C*kh*kw, P)`` matrix whose rows are whole output
planes (the transposed im2col layout of cs231n, copied a whole output row at
a time). The adjoint (``col2im``) adds the ``kh*kw`` column planes back onto
strided slices (:func:`window_slice`) of a zero input, no ``np.add.at``; the
kernels in ``_kernels.py`` and ``conv_pool.py`` do both in place.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcalc.engine._geometry import Geometry


def needs_padding(geom: Geometry) -> bool:
    """False when the windows read exactly the unpadded input."""
    return any(lo for lo, _ in geom.padding) or geom.span != geom.in_size


def pad_to_span(x: np.ndarray, geom: Geometry, fill: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
    """Place ``x`` (N, C, H, W) at offset ``lo`` in an array of the span the windows read.

    The span can be shorter than ``lo + H + hi`` (rows no window reaches are
    dropped) or, for ceil-mode pooling, longer (filled with ``fill``).
    Returns ``x`` itself when no padding or cropping is needed; writes into
    ``out`` (shape ``(N, C) + span``) when given.
    """
    span = geom.span
    lows = tuple(lo for lo, _ in geom.padding)
    if not needs_padding(geom):
        return x
    xp = np.empty(x.shape[:2] + span, dtype=x.dtype) if out is None else out
    inner = tuple(slice(min(lo, s), min(lo + n, s)) for lo, n, s in zip(lows, x.shape[2:], span))
    src = tuple(slice(0, sl.stop - sl.start) for sl in inner)
    # fill only the border, not the whole array
    (h0, h1), (w0, w1) = ((sl.start, sl.stop) for sl in inner)
    xp[:, :, :h0] = fill
    xp[:, :, h1:] = fill
    xp[:, :, h0:h1, :w0] = fill
    xp[:, :, h0:h1, w1:] = fill
    xp[(slice(None), slice(None)) + inner] = x[(slice(None), slice(None)) + src]
    return xp


def crop_from_span(dxp: np.ndarray, geom: Geometry, out: np.ndarray | None = None) -> np.ndarray:
    """Adjoint of :func:`pad_to_span`: the gradient on the unpadded input (into ``out`` if given)."""
    lows = tuple(lo for lo, _ in geom.padding)
    size = geom.in_size
    if not needs_padding(geom):
        if out is None:
            return dxp
        np.copyto(out, dxp)
        return out
    inner = tuple(slice(min(lo, s), min(lo + n, s)) for lo, n, s in zip(lows, size, dxp.shape[2:]))
    dx = np.empty(dxp.shape[:2] + size, dtype=dxp.dtype) if out is None else out
    src = tuple(slice(0, sl.stop - sl.start) for sl in inner)
    if not all(sl.stop - sl.start == n for sl, n in zip(inner, size)):
        dx[...] = 0  # input rows or columns that no window reads
    dx[(slice(None), slice(None)) + src] = dxp[(slice(None), slice(None)) + inner]
    return dx


def windows(xp: np.ndarray, geom: Geometry) -> np.ndarray:
    """Read-only view ``(N, C, kh, kw, Ho, Wo)``: ``v[n, c, i, j, y, x] = xp[n, c, y*sh + i*dh, x*sw + j*dw]``."""
    sn, sc, sh, sw = xp.strides
    (kh, kw), (dh, dw), (th, tw), (ho, wo) = geom.kernel, geom.dilation, geom.stride, geom.out_size
    return as_strided(xp, shape=xp.shape[:2] + (kh, kw, ho, wo),
                      strides=(sn, sc, dh * sh, dw * sw, th * sh, tw * sw), writeable=False)


def window_slice(i: int, j: int, geom: Geometry) -> tuple[slice, slice, slice, slice]:
    """Basic-slicing index of kernel tap ``(i, j)`` over all windows: a writable strided view."""
    (dh, dw), (th, tw), (ho, wo) = geom.dilation, geom.stride, geom.out_size
    return (slice(None), slice(None),
            slice(i * dh, i * dh + (ho - 1) * th + 1, th),
            slice(j * dw, j * dw + (wo - 1) * tw + 1, tw))

