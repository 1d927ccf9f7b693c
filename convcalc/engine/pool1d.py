"""1D max and average pooling ``(N, C, L)``: the 2D kernels of :mod:`convcalc.engine.pool` with ``H = 1``."""

from __future__ import annotations

import numpy as np

from convcalc.engine._geometry import as_array, float_dtype, int_tuple, padding_pairs
from convcalc.engine.pool import (PoolCache, avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward,
                                  max_pool2d_forward)

__all__ = ["max_pool1d_forward", "max_pool1d_backward", "avg_pool1d_forward", "avg_pool1d_backward"]


def _as_2d(x: object, kernel: object, stride: object, padding: object,
           dilation: object) -> tuple[np.ndarray, tuple, tuple | None, tuple, tuple]:
    """A 1D pooling call ``(N, C, L)`` as a 2D one with ``H = 1``."""
    xa = as_array(x, "x", 3, "(N, C, L)", float_dtype(x))
    one = (lambda v: v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v)
    k = int_tuple(one(kernel), 1, "kernel", 1)
    s = k if stride is None else int_tuple(one(stride), 1, "stride", 1)
    d = int_tuple(one(dilation), 1, "dilation", 1)
    pad = padding_pairs(padding, xa.shape[2:], k, s, d)
    return xa[:, :, None, :], (1,) + k, (1,) + s, ((0, 0), pad[0]), (1,) + d


def max_pool1d_forward(x: np.ndarray, kernel: object, stride: object = None, padding: object = 0,
                       dilation: object = 1, ceil_mode: bool = False) -> tuple[np.ndarray, PoolCache]:
    """Max pooling ``(N, C, L) -> (N, C, Lo)``: :func:`max_pool2d_forward` with ``H = 1``.

    Examples
    --------
    >>> max_pool1d_forward(np.array([[[1.0, 5.0, 2.0, 4.0, 3.0]]]), 2, ceil_mode=True)[0]
    array([[[5., 4., 3.]]])
    """
    x2, k, s, p, d = _as_2d(x, kernel, stride, padding, dilation)
    out, cache = max_pool2d_forward(x2, k, s, p, d, ceil_mode)
    return out[:, :, 0, :], cache


def max_pool1d_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Gradient of :func:`max_pool1d_forward`, shape ``(N, C, L)``."""
    return max_pool2d_backward(np.asarray(dout)[:, :, None, :], cache)[:, :, 0, :]


def avg_pool1d_forward(x: np.ndarray, kernel: object, stride: object = None, padding: object = 0,
                       ceil_mode: bool = False, count_include_pad: bool = True) -> tuple[np.ndarray, PoolCache]:
    """Average pooling ``(N, C, L) -> (N, C, Lo)``: :func:`avg_pool2d_forward` with ``H = 1``.

    Examples
    --------
    >>> avg_pool1d_forward(np.array([[[1.0, 5.0, 2.0, 4.0]]]), 2)[0]
    array([[[3., 3.]]])
    """
    x2, k, s, p, _ = _as_2d(x, kernel, stride, padding, 1)
    out, cache = avg_pool2d_forward(x2, k, s, p, ceil_mode, count_include_pad)
    return out[:, :, 0, :], cache


def avg_pool1d_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Gradient of :func:`avg_pool1d_forward`, shape ``(N, C, L)``."""
    return avg_pool2d_backward(np.asarray(dout)[:, :, None, :], cache)[:, :, 0, :]


