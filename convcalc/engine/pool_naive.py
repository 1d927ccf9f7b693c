"""Loop twins of the pooling kernels (test oracles): one window at a time, each cell of the input read
where the window's geometry (:mod:`convcalc.engine.pool`'s, from :mod:`convcalc.arithmetic`) puts it."""

from __future__ import annotations

import numpy as np

from convcalc.arithmetic import effective_kernel
from convcalc.engine._geometry import Geometry, check_dout
from convcalc.engine.pool import PoolCache, _pool_geometry

__all__ = ["max_pool2d_forward_naive", "max_pool2d_backward_naive", "avg_pool2d_forward_naive",
           "avg_pool2d_backward_naive"]


def _window_cells(y: int, x: int, geom: Geometry) -> tuple[list[int], list[int], int, int]:
    """Rows and columns of window ``(y, x)`` inside the input, and its PyTorch extents.

    The extents are the window's length per axis clipped to the padded input
    (``min(start + k*d, n + hi) - start`` in ATen's terms, for the average
    divisor with ``count_include_pad``).
    """
    cells, extents = [], []
    for o, s, k, d, (lo, hi), n in zip((y, x), geom.stride, geom.kernel, geom.dilation, geom.padding,
                                       geom.in_size):
        start = o * s - lo
        cells.append([start + i * d for i in range(k) if 0 <= start + i * d < n])
        extents.append(min(start + effective_kernel(k, d), n + hi) - start)
    return cells[0], cells[1], extents[0], extents[1]


def max_pool2d_forward_naive(x: np.ndarray, kernel: object, stride: object = None, padding: object = 0,
                             dilation: object = 1, ceil_mode: bool = False) -> tuple[np.ndarray, PoolCache]:
    """Loop twin of :func:`max_pool2d_forward`: the maximum over each window's cells in the input."""
    xa, geom = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode)
    out = np.empty(xa.shape[:2] + geom.out_size, dtype=xa.dtype)
    for y in range(geom.out_size[0]):
        for x_ in range(geom.out_size[1]):
            rows, cols, _, _ = _window_cells(y, x_, geom)
            if not rows or not cols:  # a dilated window that only touches padding
                out[:, :, y, x_] = -np.inf
                continue
            out[:, :, y, x_] = xa[:, :, rows][:, :, :, cols].max(axis=(2, 3))
    return out, PoolCache(xa, xa, geom, out, None, True)


def max_pool2d_backward_naive(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Loop twin of :func:`max_pool2d_backward`: ``np.argmax`` (first maximum) of each window."""
    x, geom, out = cache.x, cache.geom, cache.out
    d = check_dout(dout, out.shape, x.dtype)
    dx = np.zeros_like(x)
    n, c = x.shape[:2]
    ii, jj = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for y in range(geom.out_size[0]):
        for x_ in range(geom.out_size[1]):
            rows, cols, _, _ = _window_cells(y, x_, geom)
            if not rows or not cols:
                continue
            patch = x[:, :, rows][:, :, :, cols].reshape(n, c, -1)
            first = patch.argmax(axis=2)
            dx[ii, jj, np.array(rows)[first // len(cols)], np.array(cols)[first % len(cols)]] += d[:, :, y, x_]
    return dx


def avg_pool2d_forward_naive(x: np.ndarray, kernel: object, stride: object = None, padding: object = 0,
                             ceil_mode: bool = False, count_include_pad: bool = True) -> tuple[np.ndarray, PoolCache]:
    """Loop twin of :func:`avg_pool2d_forward`: each window's sum over its divisor."""
    xa, geom = _pool_geometry(x, kernel, stride, padding, 1, ceil_mode)
    out = np.empty(xa.shape[:2] + geom.out_size, dtype=xa.dtype)
    divisor = np.empty(geom.out_size, dtype=xa.dtype)
    for y in range(geom.out_size[0]):
        for x_ in range(geom.out_size[1]):
            rows, cols, eh, ew = _window_cells(y, x_, geom)
            divisor[y, x_] = eh * ew if count_include_pad else len(rows) * len(cols)
            out[:, :, y, x_] = xa[:, :, rows][:, :, :, cols].sum(axis=(2, 3)) / divisor[y, x_]
    return out, PoolCache(xa, xa, geom, None, divisor, bool(count_include_pad))


def avg_pool2d_backward_naive(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Loop twin of :func:`avg_pool2d_backward`: spread one window at a time."""
    x, geom, divisor = cache.x, cache.geom, cache.divisor
    d = check_dout(dout, x.shape[:2] + geom.out_size, x.dtype)
    dx = np.zeros_like(x)
    for y in range(geom.out_size[0]):
        for x_ in range(geom.out_size[1]):
            rows, cols, _, _ = _window_cells(y, x_, geom)
            dx[:, :, np.array(rows)[:, None], np.array(cols)[None, :]] += (d[:, :, y, x_] / divisor[y, x_])[:, :, None, None]
    return dx
