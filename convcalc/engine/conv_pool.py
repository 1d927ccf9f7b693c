"""A convolution followed by disjoint max pooling (and optionally a ReLU), forward and backward in one pass.

``conv2d_maxpool2d_forward(x, w, b, pool=2) -> (out, ConvPoolCache)`` returns

``out = maxpool(conv2d(x, w, b))``, or ``relu(maxpool(conv2d(x, w, b)))`` with ``relu=True``,

for a max pooling whose windows tile the convolution's output (stride equal
to the window, no padding or dilation, floor mode: the LeNet-5 and HW5
blocks). ``relu(maxpool(z)) == maxpool(relu(z))`` in value and gradient, so
this is also the ``Conv -> ReLU -> MaxPool`` block of PyTorch and Keras.

Why a fused pass: the separate layers write the whole convolution output,
read it again to pool it, and in backward write a mostly-zero gradient of the
same size and read it again for the weight gradient. Here the im2col columns
are laid out *pooling phase first*: column ``(a, b, i, j, n)`` holds the input
window of convolution output ``(ph*i + a, pw*j + b)``, so one matrix product
gives the ``ph*pw`` candidates of every pooling window as contiguous slabs.
The maximum is then a reduction over one short axis, the gradient reaches
only the winning slab, and the convolution output rows and columns that no
pooling window covers are never computed (their gradient is zero anyway).

Ties go to the first maximum in row-major window order and a NaN wins
(the last NaN of a window), as PyTorch's ``max_pool2d``; a window of ``-inf``
sends its gradient to its first cell. Sizes come from
:func:`convcalc.arithmetic.conv_length` and :func:`convcalc.arithmetic.pool_length`.
:func:`conv2d_maxpool2d_forward_naive` composes the loop twins of the two
layers and is the test oracle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcalc.arithmetic import pool_length
from convcalc.engine import _blas
from convcalc.engine._geometry import Geometry, check_dout, int_tuple
from convcalc.engine._im2col import crop_from_span, pad_to_span
from convcalc.engine.conv import _prepare, conv2d_backward_naive, conv2d_forward_naive
from convcalc.engine.pool import _max_taps
from convcalc.engine.pool_naive import max_pool2d_backward_naive, max_pool2d_forward_naive

__all__ = ["ConvPoolCache", "conv2d_maxpool2d_forward", "conv2d_maxpool2d_backward",
           "conv2d_maxpool2d_forward_naive", "conv2d_maxpool2d_backward_naive"]


class ConvPoolCache(NamedTuple):
    """What :func:`conv2d_maxpool2d_backward` needs from the forward pass.

    Attributes
    ----------
    x_shape : tuple of int
        Shape of the input ``(N, C, H, W)``.
    w : ndarray
        The weights ``(F, C, kh, kw)``.
    has_bias : bool
        Whether a bias was given (``db`` is None otherwise).
    geom : Geometry
        The convolution's geometry restricted to the output rows and columns
        the pooling windows cover (``out_size = (ph*Hp, pw*Wp)``).
    pool : (int, int)
        The pooling window (equal to its stride).
    cols : ndarray, shape (C*kh*kw, ph*pw*Hp*Wp*N)
        Phase-first, batch-innermost im2col columns.
    winner : ndarray of uint8, shape (F, Hp*Wp*N)
        The window cell ``a*pw + b`` each pooling window took its maximum from.
    out : ndarray, shape (N, F, Hp, Wp)
        The layer's output (after bias and, with ``relu``, the ReLU).
    relu : bool
        Whether a ReLU follows the pooling.
    """

    x_shape: tuple[int, ...]
    w: np.ndarray
    has_bias: bool
    geom: Geometry
    pool: tuple[int, int]
    cols: np.ndarray
    winner: np.ndarray
    out: np.ndarray
    relu: bool


def _pooled_size(conv_out: tuple[int, ...], pool: tuple[int, int]) -> tuple[int, int]:
    """``(Hp, Wp)`` of a disjoint floor-mode pooling, from ``arithmetic.pool_length``."""
    return tuple(pool_length(o, p, p, axis=i) for i, (o, p) in enumerate(zip(conv_out, pool)))  # type: ignore[return-value]


#: Products with at most this many rows of columns (``C*kh*kw``) run in blocks of about
#: :data:`_BLOCK` columns: OpenBLAS packs a long thin product badly, and a batch of short
#: ones takes its small-matrix path (measured on the seed shapes, 1 thread: HW5's
#: (32 x 9) @ (9 x 21632) 0.24 -> 0.17 ms, its weight gradient 0.42 -> 0.22 ms; LeNet-5's
#: first layer 0.54 -> 0.27 ms and 0.90 -> 0.30 ms; no gain from 150 rows up).
_THIN_ROWS = 32
_BLOCK = 1536


def _blocks(ckk: int, m: int) -> int:
    """How many equal blocks to split ``m`` columns into (1: one product)."""
    if ckk > _THIN_ROWS or m < 2 * _BLOCK:
        return 1
    divisors = [b for b in range(2, m // 256 + 1) if m % b == 0]
    return min(divisors, key=lambda b: abs(np.log(m / b / _BLOCK)), default=1)


def _product(w2: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``w2 @ cols`` ``(F, M)``, in blocks of columns when ``cols`` is thin."""
    ckk, m = cols.shape
    blocks = _blocks(ckk, m)
    if blocks == 1:
        return w2 @ cols
    out = np.empty((w2.shape[0], m), dtype=cols.dtype)
    np.matmul(w2, cols.reshape(ckk, blocks, -1).transpose(1, 0, 2),
              out=out.reshape(w2.shape[0], blocks, -1).transpose(1, 0, 2))
    return out


def _weight_product(dconv: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``dconv @ cols.T`` ``(F, C*kh*kw)``: a sum of block products when ``cols`` is thin."""
    ckk, m = cols.shape
    blocks = _blocks(ckk, m)
    if blocks == 1:
        return np.ascontiguousarray((cols @ dconv.T).T)
    per_block = np.matmul(dconv.reshape(dconv.shape[0], blocks, -1).transpose(1, 0, 2),
                          cols.reshape(ckk, blocks, -1).transpose(1, 2, 0))
    return per_block.sum(axis=0)


def _phase_columns(xp: np.ndarray, geom: Geometry, pool: tuple[int, int], pooled: tuple[int, int]) -> np.ndarray:
    """Phase-first, batch-innermost im2col columns ``(C*kh*kw, ph*pw*Hp*Wp*N)`` of the padded input:
    ``cols[(c, ki, kj), (a, b, i, j, n)] = xp[n, c, sh*(ph*i + a) + dh*ki, sw*(pw*j + b) + dw*kj]``.

    Copied from a ``(C, H, W, N)`` transpose of the input, so every run of the copy is a
    contiguous batch of ``N`` values (a run of ``Wp`` strided values is several times slower).
    """
    xt = _to_batch_last(xp).reshape(xp.shape[1:] + xp.shape[:1])
    sc, sh, sw, sn = xt.strides
    (kh, kw), (st_h, st_w), (dh, dw) = geom.kernel, geom.stride, geom.dilation
    (ph, pw), (hp, wp) = pool, pooled
    shape = (xt.shape[0], kh, kw, ph, pw, hp, wp, xt.shape[3])
    strides = (sc, dh * sh, dw * sw, st_h * sh, st_w * sw, st_h * ph * sh, st_w * pw * sw, sn)
    return as_strided(xt, shape, strides, writeable=False).reshape(xt.shape[0] * kh * kw, -1)


def conv2d_maxpool2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, pool: object = 2,
                             stride: object = 1, padding: object = 0, dilation: object = 1,
                             relu: bool = False) -> tuple[np.ndarray, ConvPoolCache]:
    """``maxpool(conv2d(x, w, b))`` (``relu(...)`` of it with ``relu=True``) for a pooling window equal to its stride.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch. float32 stays float32; any other dtype runs in float64.
    w : ndarray, shape (F, C, kh, kw)
        Filters (PyTorch layout; one group).
    b : ndarray, shape (F,), optional
        Bias. Defaults to None.
    pool : int or (int, int)
        The pooling window, also its stride (PyTorch's ``MaxPool2d(pool)``,
        Keras's ``MaxPooling2D(pool)``), floor mode, no padding. Defaults to 2.
    stride, padding, dilation
        The convolution's, as in :func:`convcalc.engine.conv2d_forward`.
    relu : bool
        Apply a ReLU after the pooling. Defaults to False.

    Returns
    -------
    out : ndarray, shape (N, F, Hp, Wp)
        ``Hp = floor(Ho / ph)`` from ``arithmetic.pool_length``, ``Ho`` from
        ``arithmetic.conv_length``.
    cache : ConvPoolCache

    Raises
    ------
    ConvCalcError
        Mismatched shapes, bad parameters, or a pooling window larger than the
        convolution's output.

    Examples
    --------
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> out, cache = conv2d_maxpool2d_forward(x, np.ones((1, 1, 2, 2)), pool=2)
    >>> out[0, 0]
    array([[36., 44.],
           [76., 84.]])
    """
    xa, wa, bias, _, full = _prepare(x, w, b, stride, padding, dilation, 1)
    pool2 = int_tuple(pool, 2, "pool", 1)
    pooled = _pooled_size(full.out_size, pool2)  # type: ignore[arg-type]
    geom = Geometry(full.in_size, full.kernel, full.stride, full.dilation, full.padding,
                    tuple(p * o for p, o in zip(pool2, pooled)))
    n, f = xa.shape[0], wa.shape[0]
    cols = _phase_columns(pad_to_span(xa, geom), geom, pool2, pooled)
    pooled_fm, winner = _pool_phases(wa.reshape(f, -1), cols, pool2[0] * pool2[1])
    if bias is not None:
        pooled_fm += bias[:, None]
    if relu:
        np.maximum(pooled_fm, pooled_fm.dtype.type(0), out=pooled_fm)
    out = _to_batch_first(pooled_fm, n).reshape((n, f) + pooled)
    return out, ConvPoolCache(xa.shape, wa, bias is not None, geom, pool2, cols, winner, out, bool(relu))


#: Rows of the convolution output computed and pooled at a time: about this many bytes of
#: candidates, so that they are still in the core's L2 cache when the maximum reads them.
_CHUNK_BYTES = 1 << 21


def _pool_phases(w2: np.ndarray, cols: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """``(maximum, winner)`` over the ``cells`` window cells of ``w2 @ cols``, a few filters at a time.

    ``winner`` (uint8) is the cell PyTorch's max pooling picks: the first maximum in
    row-major window order, or in a window holding NaN its last NaN.
    """
    f, m = w2.shape[0], cols.shape[1] // cells
    peak = np.empty((f, m), dtype=cols.dtype)
    winner = np.empty((f, m), dtype=np.uint8)
    step = max(1, _CHUNK_BYTES // (cols.shape[1] * cols.itemsize))
    for a in range(0, f, step):
        b = min(a + step, f)
        phases = _product(w2[a:b], cols).reshape(b - a, cells, m)
        views = [phases[:, t] for t in range(cells)]
        _max_taps(views, peak[a:b], winner[a:b], np.empty((b - a, m), dtype=bool), np.empty((b - a, m), np.uint8))
        if np.isnan(peak[a:b]).any():  # np.maximum kept the NaN; PyTorch's pick is the last NaN
            for t, view in enumerate(views):
                np.copyto(winner[a:b], np.uint8(t), where=np.isnan(view))
    return peak, winner


def _to_batch_first(a: np.ndarray, n: int) -> np.ndarray:
    """``(R, N)`` -> ``(N, R)``: the batch-innermost layout back to batch-first (a blocked transpose)."""
    out = np.empty((n, a.size // n), dtype=a.dtype)
    _blas.transpose(a.reshape(-1, n), out)
    return out


def _to_batch_last(a: np.ndarray) -> np.ndarray:
    """``(N, ...)`` -> ``(R, N)`` (a blocked transpose)."""
    n = a.shape[0]
    src = np.ascontiguousarray(a).reshape(n, -1)
    out = np.empty(src.shape[::-1], dtype=a.dtype)
    _blas.transpose(src, out)
    return out


def _scatter_to_winners(d: np.ndarray, winner: np.ndarray, cells: int) -> np.ndarray:
    """``dconv[:, t] = d`` where ``winner == t``, else 0: ``(F, cells, M)``."""
    dconv = np.empty((d.shape[0], cells, d.shape[1]), dtype=d.dtype)
    hit = np.empty(winner.shape, dtype=bool)
    for t in range(cells):
        np.equal(winner, t, out=hit)
        np.multiply(d, hit, out=dconv[:, t])
    return dconv


def conv2d_maxpool2d_backward(dout: np.ndarray, cache: ConvPoolCache, *,
                              input_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d_maxpool2d_forward`: each window's gradient to its winning cell, then through
    the convolution (``dw = dconv @ cols.T``, ``dx = col2im(w.T @ dconv)``).

    Parameters
    ----------
    dout : ndarray, shape (N, F, Hp, Wp)
        Upstream gradient.
    cache : ConvPoolCache
        From the forward pass.
    input_grad : bool, optional
        Compute ``dx`` (a network's first layer does not need it). Defaults to True.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), or None when ``input_grad=False``
    dw : ndarray, shape (F, C, kh, kw)
    db : ndarray, shape (F,), or None when the forward had no bias

    Examples
    --------
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> out, cache = conv2d_maxpool2d_forward(x, np.ones((1, 1, 2, 2)), np.zeros(1), pool=2)
    >>> dx, dw, db = conv2d_maxpool2d_backward(np.ones_like(out), cache)
    >>> dw[0, 0], db
    (array([[48., 52.],
           [68., 72.]]), array([4.]))
    """
    x_shape, w, has_bias, geom, pool, cols, winner, out, relu = cache
    f = w.shape[0]
    d = check_dout(dout, out.shape, w.dtype)
    if relu:
        d = d * (out > 0)
    d = _to_batch_last(d).reshape(f, -1)  # (F, Hp*Wp*N), the layout of winner
    db = (d @ np.ones(d.shape[1], dtype=d.dtype)) if has_bias else None  # a matrix-vector product: 3x a sum
    dconv = _scatter_to_winners(d, winner, pool[0] * pool[1])
    dw = _weight_product(dconv.reshape(f, -1), cols).reshape(w.shape)
    if not input_grad:
        return None, dw, db
    return _input_grad(dconv.reshape(f, -1), w, geom, pool, out.shape[2:]), dw, db


def _input_grad(dconv: np.ndarray, w: np.ndarray, geom: Geometry, pool: tuple[int, int],
                pooled: tuple[int, int]) -> np.ndarray:
    """``col2im(w.T @ dconv)`` on the batch-innermost padded input, cropped and back in NCHW.

    Each tap ``(ki, kj)`` adds its plane of columns to the input cells it read, one per
    ``(c, a, b, i, j, n)``; within a tap they are distinct, so ``+=`` is exact, and the
    runs are contiguous batches of ``N`` (2x faster on the seed shapes than the
    convolution engine's NCHW input gradient, which would also need a transposed copy).
    """
    c, kh, kw = w.shape[1:]
    (ph, pw), (hp, wp), n = pool, pooled, dconv.shape[1] // (pool[0] * pool[1] * pooled[0] * pooled[1])
    dcols = (w.reshape(w.shape[0], -1).T @ dconv).reshape(c, kh, kw, ph, pw, hp, wp, n)
    dxt = np.zeros((c,) + geom.span + (n,), dtype=dconv.dtype)
    sc, sh, sw, sn = dxt.strides
    (st_h, st_w), (dh, dw) = geom.stride, geom.dilation
    for ki in range(kh):
        for kj in range(kw):
            view = as_strided(dxt[:, ki * dh:, kj * dw:], (c, ph, pw, hp, wp, n),
                              (sc, st_h * sh, st_w * sw, st_h * ph * sh, st_w * pw * sw, sn))
            view += dcols[:, ki, kj]
    return crop_from_span(_to_batch_first(dxt, n).reshape((n, c) + geom.span), geom)


def conv2d_maxpool2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, pool: object = 2,
                                   stride: object = 1, padding: object = 0, dilation: object = 1,
                                   relu: bool = False) -> tuple[np.ndarray, tuple]:
    """Loop twin: the naive convolution, then the naive max pooling, then the ReLU (test oracle)."""
    z, conv_cache = conv2d_forward_naive(x, w, b, stride=stride, padding=padding, dilation=dilation)
    out, pool_cache = max_pool2d_forward_naive(z, pool)
    if relu:
        out = np.maximum(out, 0)
    return out, (conv_cache, pool_cache, out, relu)


def conv2d_maxpool2d_backward_naive(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loop twin of :func:`conv2d_maxpool2d_backward`."""
    conv_cache, pool_cache, out, relu = cache
    d = dout * (out > 0) if relu else dout
    return conv2d_backward_naive(max_pool2d_backward_naive(d, pool_cache), conv_cache)
