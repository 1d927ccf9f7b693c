"""2D (and 1D) max and average pooling, forward and backward, as PyTorch's.

Sizes come from :func:`convcalc.arithmetic.pool_output_size`:
``o = floor((n + 2p - d*(k - 1) - 1 [+ s - 1 in ceil mode]) / s) + 1``, and
in ceil mode a last window that would start in the right padding is dropped.
Windows may hang off the end in ceil mode.

- **Max pooling** pads with ``-inf``: the maximum of the ``kh*kw`` strided
  views. In the backward pass the gradient of a window goes to its *first*
  maximum in row-major window order, as PyTorch's CPU kernel
  (``val > maxval || isnan(val)``): ties go to the first, a window holding
  NaN sends it to its last NaN, and a window of ``-inf`` only to its first
  cell inside the input. Disjoint windows (stride >= dilated window) run
  separably, columns then rows, and keep the winners as uint8 indices.
- **Average pooling** (no dilation, as PyTorch) divides the window sum by,
  with ``count_include_pad=True``, the number of cells of the window inside
  the *padded* input (cells hanging off its end in ceil mode do not count),
  and otherwise by the number of cells inside the input (ATen
  ``avg_pool2d``: ``pool_size = (hend - hstart) * (wend - wstart)`` with
  ``hend = min(hstart + kH, H + padH)``).

The ``*_naive`` loop twins (test oracles) are in :mod:`convcalc.engine.pool_naive`, the 1D
functions in :mod:`convcalc.engine.pool1d`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convcalc.arithmetic import effective_kernel, pool_output_size
from convcalc.engine._geometry import Geometry, as_array, check_dout, float_dtype, int_tuple, padding_pairs
from convcalc.engine._im2col import crop_from_span, pad_to_span, window_slice

__all__ = [
    "PoolCache",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
]


class PoolCache(NamedTuple):
    """What the pooling backward passes need from the forward pass.

    Attributes
    ----------
    x : ndarray
        The input ``(N, C, H, W)`` in the computation dtype.
    xp : ndarray
        The input padded (``-inf`` for max, 0 for average) to the span the
        windows read; ``x`` itself when there is no padding.
    geom : Geometry
        Kernel, stride, dilation, resolved ``(lo, hi)`` padding and sizes.
    out : ndarray or None
        Max pooling's output (the maxima); None for average pooling.
    divisor : ndarray or None
        Average pooling's divisor per window, shape ``(Ho, Wo)``; None for max.
    count_include_pad : bool
        The average-pooling divisor rule (True for max pooling).
    winners : tuple of two ndarrays or None
        Max pooling over disjoint windows: the uint8 (int64 past 256 taps) index of the winning
        column of every window row, shape ``(N, C, Hs, Wo)``, and of the
        winning row, shape ``(N, C, Ho, Wo)`` (first maximum in window order).
        None otherwise.
    """

    x: np.ndarray
    xp: np.ndarray
    geom: Geometry
    out: np.ndarray | None
    divisor: np.ndarray | None
    count_include_pad: bool
    winners: tuple[np.ndarray, np.ndarray] | None = None


def _pool_geometry(x: object, kernel: object, stride: object, padding: object, dilation: object,
                   ceil_mode: bool) -> tuple[np.ndarray, Geometry]:
    xa = as_array(x, "x", 4, "(N, C, H, W)", float_dtype(x))
    size = tuple(xa.shape[2:])
    k = int_tuple(kernel, 2, "kernel", 1)
    s = k if stride is None else int_tuple(stride, 2, "stride", 1)
    d = int_tuple(dilation, 2, "dilation", 1)
    out = pool_output_size(size, k, s, padding, d, bool(ceil_mode))
    pads = padding_pairs(padding, size, k, s, d)
    return xa, Geometry(size, k, s, d, pads, tuple(out))


def _taps(geom: Geometry) -> list[tuple[int, int]]:
    return [(i, j) for i in range(geom.kernel[0]) for j in range(geom.kernel[1])]


# --------------------------------------------------------------------------- max
def max_pool2d_forward(x: np.ndarray, kernel: object, stride: object = None, padding: object = 0,
                       dilation: object = 1, ceil_mode: bool = False) -> tuple[np.ndarray, PoolCache]:
    """Max pooling of a batch ``(N, C, H, W)``, as PyTorch's ``max_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        float32 stays float32; any other dtype runs in float64.
    kernel : int or (int, int)
        Window size.
    stride : int or (int, int), optional
        Defaults to ``kernel``.
    padding : int, (int, int) or ((lo, hi), (lo, hi))
        Implicit ``-inf`` padding, at most half the window. Defaults to 0.
    dilation : int or (int, int)
        ``1`` means no dilation. Defaults to 1.
    ceil_mode : bool
        PyTorch's ceil rule for the output size. Defaults to False.

    Returns
    -------
    out : ndarray, shape (N, C, Ho, Wo)
    cache : PoolCache

    Examples
    --------
    >>> out, _ = max_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    >>> out[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    xa, geom = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode)
    xp = pad_to_span(xa, geom, fill=-np.inf)
    if _disjoint(geom):
        out, winners = _max_disjoint(xp, geom)
        return out, PoolCache(xa, xp, geom, out, None, True, winners)
    taps = _taps(geom)
    out = xp[window_slice(*taps[0], geom)].copy()
    for t in taps[1:]:
        np.maximum(out, xp[window_slice(*t, geom)], out=out)
    return out, PoolCache(xa, xp, geom, out, None, True)


# Disjoint windows are pooled separably, one axis at a time: the maximum over each
# window row's kw taps (the winning column kept as uint8: one byte per window row), then over the kh row maxima
# (the winning row). Comparing with ``>`` against the running maximum keeps the first
# maximum of a row, then the first row holding the window's maximum: the first maximum
# in row-major window order, PyTorch's tie rule. The batch runs in chunks of about
# _CHUNK_BYTES of input so that one chunk's temporaries stay in the L2 cache
# (backward on 32x32x26x26 float32: 0.9 ms in one piece, 0.7 ms in chunks).
_CHUNK_BYTES = 1 << 19


def _chunks(n: int, sample_bytes: int) -> list[slice]:
    step = max(1, _CHUNK_BYTES // max(1, sample_bytes))
    return [slice(i, i + step) for i in range(0, n, step)]


def _axis_views(a: np.ndarray, axis: int, geom: Geometry) -> list[np.ndarray]:
    """The ``k`` strided views of tap ``t`` along ``axis`` (2 = rows, 3 = columns), each ``o`` long."""
    g = axis - 2
    k, s, d, o = geom.kernel[g], geom.stride[g], geom.dilation[g], geom.out_size[g]
    index = [slice(None)] * 4
    views = []
    for t in range(k):
        index[axis] = slice(t * d, t * d + (o - 1) * s + 1, s)
        views.append(a[tuple(index)])
    return views


def _max_taps(views: list[np.ndarray], out: np.ndarray, win: np.ndarray, gt: np.ndarray,
              tmp: np.ndarray) -> None:
    """``out`` = maximum of ``views``, ``win`` = index of the first view holding it (``>`` rule)."""
    if len(views) == 1:
        np.copyto(out, views[0])
        win[...] = 0
        return
    if win.dtype == np.uint8:
        np.greater(views[1], views[0], out=win.view(bool))
    else:
        np.copyto(win, np.greater(views[1], views[0], out=gt))
    np.maximum(views[0], views[1], out=out)
    for t in range(2, len(views)):
        np.greater(views[t], out, out=gt)
        np.multiply(gt, win.dtype.type(t), out=tmp)
        np.maximum(win, tmp, out=win)  # t exceeds every earlier index
        np.maximum(out, views[t], out=out)


def _max_disjoint(xp: np.ndarray, geom: Geometry) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Separable max pooling of disjoint windows: ``(out, (column winners, row winners))``."""
    n, c, hs, _ = xp.shape
    ho, wo = geom.out_size
    out = np.empty((n, c, ho, wo), dtype=xp.dtype)
    index = np.uint8 if max(geom.kernel) <= 256 else np.int64
    col_win = np.empty((n, c, hs, wo), dtype=index)
    row_win = np.empty((n, c, ho, wo), dtype=index)
    for sl in _chunks(n, xp[:1].nbytes):
        xc = xp[sl]
        rows = np.empty(col_win[sl].shape, dtype=xp.dtype)
        _max_taps(_axis_views(xc, 3, geom), rows, col_win[sl], np.empty(rows.shape, dtype=bool),
                  np.empty(rows.shape, dtype=index))
        _max_taps(_axis_views(rows, 2, geom), out[sl], row_win[sl], np.empty(out[sl].shape, dtype=bool),
                  np.empty(out[sl].shape, dtype=index))
    return out, (col_win, row_win)


def _max_disjoint_backward(d: np.ndarray, xp_shape: tuple[int, ...], geom: Geometry,
                           winners: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Adjoint of :func:`_max_disjoint`: ``dout`` to the winning row, then to its winning column."""
    col_win, row_win = winners
    tiles = [s == k and dl == 1 for s, k, dl in zip(geom.stride, geom.kernel, geom.dilation)]
    dxp = (np.empty if all(tiles) else np.zeros)(xp_shape, dtype=d.dtype)
    for sl in _chunks(xp_shape[0], dxp[:1].nbytes):
        drows = (np.empty if tiles[0] else np.zeros)(col_win[sl].shape, dtype=d.dtype)
        hit = np.empty(row_win[sl].shape, dtype=bool)
        for t, view in enumerate(_axis_views(drows, 2, geom)):
            np.equal(row_win[sl], t, out=hit)
            np.multiply(d[sl], hit, out=view)
        hit = np.empty(drows.shape, dtype=bool)
        for t, view in enumerate(_axis_views(dxp[sl], 3, geom)):
            np.equal(col_win[sl], t, out=hit)
            np.multiply(drows, hit, out=view)
    return dxp


def _winning_tap(cache: PoolCache) -> np.ndarray:
    """Index ``i*kw + j`` of the tap that wins each window (PyTorch's tie rule)."""
    xp, geom, out = cache.xp, cache.geom, cache.out
    taps = _taps(geom)
    idx = np.full(out.shape, len(taps), dtype=np.int16)
    for t in reversed(range(len(taps))):  # the first maximum is written last
        np.copyto(idx, t, where=xp[window_slice(*taps[t], geom)] == out)
    if np.isnan(out).any():  # a NaN wins, and the last NaN of a window is PyTorch's pick
        nan_out = np.isnan(out)
        for t, tap in enumerate(taps):
            np.copyto(idx, t, where=nan_out & np.isnan(xp[window_slice(*tap, geom)]))
    if np.isneginf(out).any():  # a window of -inf: its first cell inside the input
        neg = np.isneginf(out)
        first = np.full(out.shape, len(taps), dtype=np.int16)
        for t in reversed(range(len(taps))):
            np.copyto(first, t, where=neg & _inside(taps[t], geom))
        np.copyto(idx, first, where=neg)
    return idx


def _inside(tap: tuple[int, int], geom: Geometry) -> np.ndarray:
    """``(Ho, Wo)`` mask: does tap ``(i, j)`` of each window fall inside the unpadded input?"""
    axes = []
    for i, o, s, d, (lo, _), n in zip(tap, geom.out_size, geom.stride, geom.dilation, geom.padding, geom.in_size):
        pos = np.arange(o) * s + i * d - lo
        axes.append((pos >= 0) & (pos < n))
    return axes[0][:, None] & axes[1][None, :]


def max_pool2d_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Gradient of :func:`max_pool2d_forward`: each window's gradient goes to its first maximum.

    Examples
    --------
    >>> x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    >>> out, cache = max_pool2d_forward(x, 2)
    >>> max_pool2d_backward(np.ones_like(out), cache)[0, 0]
    array([[0., 1.],
           [0., 0.]])
    """
    x, xp, geom, out = cache.x, cache.xp, cache.geom, cache.out
    d = check_dout(dout, out.shape, x.dtype)
    if cache.winners is not None and not np.isnan(out).any() and not (xp is not x and np.isneginf(out).any()):
        return crop_from_span(_max_disjoint_backward(d, xp.shape, geom, cache.winners), geom)
    disjoint = _disjoint(geom)
    dxp = _grad_buffer(xp.shape, x.dtype, geom)
    taken = np.zeros(out.shape, dtype=bool)
    hit = np.empty(out.shape, dtype=bool)
    for tap in _taps(geom):
        view = xp[window_slice(*tap, geom)]
        np.equal(view, out, out=hit)
        np.greater(hit, taken, out=hit)  # a maximum no earlier tap of the window has claimed
        np.logical_or(taken, hit, out=taken)
        if disjoint:
            np.multiply(d, hit, out=dxp[window_slice(*tap, geom)])
        else:
            dxp[window_slice(*tap, geom)] += d * hit
    if not taken.all() or (xp is not x and np.isneginf(out).any()):
        # NaN windows (no tap equals its NaN maximum) or -inf windows that may start in the padding
        dxp[...] = 0
        idx = _winning_tap(cache)
        for t, tap in enumerate(_taps(geom)):
            dxp[window_slice(*tap, geom)] += np.where(idx == t, d, 0)
    return crop_from_span(dxp, geom)


def _grad_buffer(shape: tuple[int, ...], dtype: np.dtype, geom: Geometry) -> np.ndarray:
    """The padded input's gradient buffer: uninitialised when the windows tile it exactly
    (stride = window, no dilation: every cell is written once), else zeros."""
    if all(s == k and d == 1 for s, k, d in zip(geom.stride, geom.kernel, geom.dilation)):
        return np.empty(shape, dtype=dtype)
    return np.zeros(shape, dtype=dtype)


def _disjoint(geom: Geometry) -> bool:
    """No input cell lies in two windows: stride >= the dilated window on every axis."""
    return all(s >= effective_kernel(k, d) for s, k, d in zip(geom.stride, geom.kernel, geom.dilation))


# --------------------------------------------------------------------------- average
def avg_pool2d_forward(x: np.ndarray, kernel: object, stride: object = None, padding: object = 0,
                       ceil_mode: bool = False, count_include_pad: bool = True) -> tuple[np.ndarray, PoolCache]:
    """Average pooling of a batch ``(N, C, H, W)``, as PyTorch's ``avg_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel``.
    padding : int, (int, int) or ((lo, hi), (lo, hi))
        Zero padding, at most half the window. Defaults to 0.
    ceil_mode : bool
        Defaults to False.
    count_include_pad : bool
        Count padding cells in the divisor (never cells past the padded
        input). Defaults to True.

    Returns
    -------
    out : ndarray, shape (N, C, Ho, Wo)
    cache : PoolCache

    Examples
    --------
    >>> out, _ = avg_pool2d_forward(np.ones((1, 1, 3, 3)), 2, padding=1)
    >>> out[0, 0]
    array([[0.25, 0.5 ],
           [0.5 , 1.  ]])
    >>> avg_pool2d_forward(np.ones((1, 1, 3, 3)), 2, padding=1, count_include_pad=False)[0][0, 0]
    array([[1., 1.],
           [1., 1.]])
    """
    xa, geom = _pool_geometry(x, kernel, stride, padding, 1, ceil_mode)
    xp = pad_to_span(xa, geom, fill=0.0)
    taps = _taps(geom)
    out = xp[window_slice(*taps[0], geom)].copy()
    for t in taps[1:]:
        out += xp[window_slice(*t, geom)]
    divisor = _divisor(geom, bool(count_include_pad)).astype(xa.dtype)
    out /= divisor
    return out, PoolCache(xa, xp, geom, None, divisor, bool(count_include_pad))


def _divisor(geom: Geometry, count_include_pad: bool) -> np.ndarray:
    """``(Ho, Wo)`` divisors, separable per axis (ATen ``avg_pool2d`` bounds)."""
    counts = []
    for o, s, k, (lo, hi), n in zip(geom.out_size, geom.stride, geom.kernel, geom.padding, geom.in_size):
        start = np.arange(o) * s - lo
        end = np.minimum(start + k, n + hi)
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, n) - np.maximum(start, 0))
    return counts[0][:, None] * counts[1][None, :]


def avg_pool2d_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Gradient of :func:`avg_pool2d_forward`: ``dout / divisor`` spread over each window.

    Examples
    --------
    >>> out, cache = avg_pool2d_forward(np.ones((1, 1, 2, 2)), 2)
    >>> avg_pool2d_backward(np.ones_like(out), cache)[0, 0]
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    x, xp, geom, divisor = cache.x, cache.xp, cache.geom, cache.divisor
    d = check_dout(dout, x.shape[:2] + geom.out_size, x.dtype) / divisor
    disjoint = _disjoint(geom)
    dxp = _grad_buffer(xp.shape, x.dtype, geom)
    for tap in _taps(geom):
        if disjoint:
            dxp[window_slice(*tap, geom)] = d
        else:
            dxp[window_slice(*tap, geom)] += d
    return crop_from_span(dxp, geom)
