"""Batch normalisation in training mode, forward and backward, optionally followed by a ReLU.

``batch_norm_forward(x, gamma, beta, eps, relu=False) -> (out, BatchNormCache)`` and
``batch_norm_backward(dout, cache) -> (dx, dgamma, dbeta)``, PyTorch's ``BatchNorm*d`` in
training mode (Ioffe & Szegedy 2015, algorithm 1), over every axis but axis 1 (the channels):

``y = gamma * (x - mean) / sqrt(var + eps) + beta``, ``mean`` and the *biased* ``var`` per
channel over the batch and the positions; with ``relu``, ``out = max(y, 0)``.

The backward pass, with ``xc = x - mean``, ``s = 1/sqrt(var + eps)``, ``g`` the gradient
reaching ``y`` (``dout`` where ``out > 0`` with ``relu``) and ``M`` the values per channel:

``dbeta = sum g``, ``dgamma = s * sum(g * xc)``,
``dx = gamma*s * (g - dbeta/M - xc * s^2 * sum(g * xc)/M)``.

How it is made fast (``docs/engine.md``): the statistics take two reads of the input (the
row sums of the ``(N*C, H*W)`` matrix as a BLAS matrix-vector product, then the row sums of
squares of ``xc`` as dot products), row sums in the input's dtype combined per channel in
float64; the centred input ``xc`` is the only array kept for the backward pass; the output is
``xc * (gamma*s) + beta`` with the ReLU applied in place, and the backward pass folds the ReLU's
mask into one pass and writes ``dx`` as ``k1*g + k2*xc + k3`` per channel, in place where it can.
``batch_norm_forward_naive`` / ``batch_norm_backward_naive`` are the textbook formulas (the
cs231n layout), the test oracles.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convcalc.engine._runtime import parallel, split, threads

__all__ = ["BatchNormCache", "batch_norm_forward", "batch_norm_backward", "batch_norm_forward_naive",
           "batch_norm_backward_naive"]


class BatchNormCache(NamedTuple):
    """What :func:`batch_norm_backward` needs.

    Attributes
    ----------
    xc : ndarray
        The centred input ``x - mean``, shape of ``x``.
    inv_std : ndarray
        ``1/sqrt(var + eps)`` per channel, float64.
    gamma : ndarray
        The scale, ``(C,)``.
    out : ndarray or None
        The output, with ``relu`` (its positive cells are where the gradient passes).
    """

    xc: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    out: np.ndarray | None


def _rows(a: np.ndarray) -> np.ndarray:
    """``(N, C, ...)`` as the C-contiguous ``(N*C, P)`` matrix of its channel rows."""
    return np.ascontiguousarray(a).reshape(a.shape[0] * a.shape[1], -1)


def _bcast(v: np.ndarray, ndim: int, dtype: np.dtype) -> np.ndarray:
    return v.astype(dtype, copy=False).reshape((1, -1) + (1,) * (ndim - 2))


def _per_channel(rows: np.ndarray, n: int) -> np.ndarray:
    """Row results ``(N*C,)`` added per channel over the N samples, in float64."""
    return rows.reshape(n, -1).sum(axis=0, dtype=np.float64)


def batch_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5, *,
                       relu: bool = False) -> tuple[np.ndarray, BatchNormCache, np.ndarray, np.ndarray]:
    """Training-mode batch norm (and a ReLU after it) of ``x`` ``(N, C, ...)``.

    Inside :func:`convcalc.engine.engine_threads` the passes are split over sample ranges.

    Parameters
    ----------
    x : ndarray, shape (N, C, ...)
        Float input (at least 2 axes).
    gamma, beta : ndarray, shape (C,)
        Scale and shift.
    eps : float
        Added to the variance. Defaults to 1e-5 (PyTorch).
    relu : bool
        Return ``max(y, 0)``. Defaults to False.

    Returns
    -------
    out : ndarray
        Same shape and dtype as ``x``.
    cache : BatchNormCache
    mean, var : ndarray, shape (C,), float64
        The batch mean and biased variance (for the running statistics).

    Examples
    --------
    >>> x = np.array([[1.0, 10.0], [3.0, 14.0]])
    >>> out, cache, mean, var = batch_norm_forward(x, np.ones(2), np.zeros(2), eps=0.0)
    >>> out, mean, var
    (array([[-1., -1.],
           [ 1.,  1.]]), array([ 2., 12.]), array([1., 4.]))
    """
    n, c = x.shape[:2]
    count = x.size // c
    rows = _rows(x)
    ones = np.ones(rows.shape[1], dtype=rows.dtype)
    sums, dots = np.empty(n * c, dtype=rows.dtype), np.empty(n * c, dtype=rows.dtype)
    ranges = split(n, threads())
    parallel(lambda a, b: np.matmul(rows[a * c:b * c], ones, out=sums[a * c:b * c]), ranges)
    mean = _per_channel(sums, n) / count
    xc = np.empty_like(rows).reshape(x.shape)
    xr = xc.reshape(rows.shape)
    m = _bcast(mean, x.ndim, x.dtype)

    def centre(a: int, b: int) -> None:
        np.subtract(x[a:b], m, out=xc[a:b])
        np.einsum("ij,ij->i", xr[a * c:b * c], xr[a * c:b * c], out=dots[a * c:b * c])

    parallel(centre, ranges)
    var = _per_channel(dots, n) / count
    inv_std = 1.0 / np.sqrt(var + eps)
    out = np.empty_like(xc)
    scale, shift = _bcast(gamma * inv_std, x.ndim, x.dtype), _bcast(beta, x.ndim, x.dtype)

    def normalize(a: int, b: int) -> None:
        np.multiply(xc[a:b], scale, out=out[a:b])
        out[a:b] += shift
        if relu:
            np.maximum(out[a:b], out.dtype.type(0), out=out[a:b])

    parallel(normalize, ranges)
    return out, BatchNormCache(xc, inv_std, gamma, out if relu else None), mean, var


def batch_norm_backward(dout: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dgamma, dbeta)`` of :func:`batch_norm_forward` (the cache is used up: ``xc`` is
    overwritten).

    Examples
    --------
    >>> x = np.array([[1.0], [3.0]])
    >>> out, cache, _, _ = batch_norm_forward(x, np.ones(1), np.zeros(1), eps=0.0)
    >>> dx, dgamma, dbeta = batch_norm_backward(np.array([[1.0], [0.0]]), cache)
    >>> dx.ravel(), dgamma, dbeta
    (array([0., 0.]), array([-1.]), array([1.]))
    """
    xc, inv_std, gamma, out = cache
    n, c = xc.shape[:2]
    count = xc.size // c
    dtype = xc.dtype
    d = np.asarray(dout, dtype=dtype).reshape(xc.shape)
    g = np.empty_like(xc)
    grows, xrows = g.reshape(n * c, -1), xc.reshape(n * c, -1)
    ones = np.ones(grows.shape[1], dtype=dtype)
    sums, dots = np.empty(n * c, dtype=dtype), np.empty(n * c, dtype=dtype)
    ranges = split(n, threads())

    def stats(a: int, b: int) -> None:
        if out is not None:  # the ReLU's gradient mask, one pass
            np.multiply(d[a:b], out[a:b] > 0, out=g[a:b])
        else:
            g[a:b] = d[a:b]
        r = slice(a * c, b * c)
        np.matmul(grows[r], ones, out=sums[r])
        np.einsum("ij,ij->i", grows[r], xrows[r], out=dots[r])

    parallel(stats, ranges)
    dbeta, sgx = _per_channel(sums, n), _per_channel(dots, n)
    dgamma = sgx * inv_std
    k1 = gamma * inv_std
    k2 = -k1 * inv_std * inv_std * sgx / count
    k3 = -k1 * dbeta / count
    b1, b2, b3 = (_bcast(k, xc.ndim, dtype) for k in (k1, k2, k3))

    def grad(a: int, b: int) -> None:  # dx = k1*g + k2*xc + k3, in the cache's xc
        np.multiply(xc[a:b], b2, out=xc[a:b])
        xc[a:b] += b3
        g[a:b] *= b1
        xc[a:b] += g[a:b]

    parallel(grad, ranges)
    return xc, dgamma.astype(dtype), dbeta.astype(dtype)


# --------------------------------------------------------------------------- naive twins
def batch_norm_forward_naive(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5, *,
                             relu: bool = False) -> tuple[np.ndarray, tuple, np.ndarray, np.ndarray]:
    """The textbook forward pass, one channel at a time (mean, then the mean squared deviation)."""
    out = np.empty_like(x)
    c = x.shape[1]
    mean, var = np.empty(c), np.empty(c)
    xhat = np.empty_like(x)
    for k in range(c):
        v = x[:, k]
        mean[k] = v.mean()
        var[k] = ((v - mean[k]) ** 2).mean()
        xhat[:, k] = (v - mean[k]) / np.sqrt(var[k] + eps)
        out[:, k] = gamma[k] * xhat[:, k] + beta[k]
    if relu:
        out = np.maximum(out, 0)
    return out, (xhat, var, gamma, eps, out if relu else None), mean, var


def batch_norm_backward_naive(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cs231n's backward pass through ``xhat``, one channel at a time."""
    xhat, var, gamma, eps, out = cache
    g = dout if out is None else dout * (out > 0)
    c = xhat.shape[1]
    dx = np.empty_like(xhat)
    dgamma, dbeta = np.empty(c), np.empty(c)
    for k in range(c):
        gk, xk = g[:, k], xhat[:, k]
        m = gk.size
        dbeta[k] = gk.sum()
        dgamma[k] = (gk * xk).sum()
        dxhat = gk * gamma[k]
        dx[:, k] = (m * dxhat - dxhat.sum() - xk * (dxhat * xk).sum()) / (m * np.sqrt(var[k] + eps))
    return dx, dgamma, dbeta
