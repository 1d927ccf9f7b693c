"""The three matrix products of a grouped convolution, over im2col columns.

With ``cols[n]`` the ``(C*kh*kw, Ho*Wo)`` columns of sample ``n``'s padded
input and the weights viewed per group as ``W_g`` of shape
``(F/G, C/G*kh*kw)``:

- forward:      ``out[n, g] = W_g @ cols[n, g]``
- weight grad:  ``dW_g = sum_n dout[n, g] @ cols[n, g].T``
- input grad:   ``dcols[n, g] = W_g.T @ dout[n, g]``, then ``col2im``; for
  stride 1 (when ``dout`` is no bigger than the input) instead the
  correlation of the padded ``dout`` with the flipped, transposed filters,
  whose columns also give the weight gradient.

These are the per-sample kernels; :func:`path` sends stride-1 layers with
many channels to :mod:`convcalc.engine._shifted` and few-channel layers with
big kernels and batches to :mod:`convcalc.engine._batch_inner`.

How it is made fast (measured, see ``docs/engine.md``): the columns are built
a chunk of samples at a time into a reused per-thread buffer (never
page-faulted in again), the products are batched ``np.matmul`` calls that
write straight into the NCHW output (``out=``), so no transposes, and the
bias rides in the product. A transposed convolution is the adjoint of the
convolution with the same weight array and runs on these same functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcalc.arithmetic import adjoint_padding
from convcalc.engine import _batch_inner, _shifted
from convcalc.engine._geometry import Geometry, conv_geometry
from convcalc.engine._im2col import crop_from_span, needs_padding, pad_to_span, window_slice, windows
from convcalc.engine._runtime import workspace

#: Target size of one chunk of columns: big enough for efficient products, small enough for the cache.
CHUNK_BYTES = 8 << 20
#: Forward columns up to this size are kept for the backward pass instead of being rebuilt
#: (32 MiB is glibc's largest dynamic mmap threshold: bigger blocks are page-faulted in on every call).
KEEP_COLS_BYTES = 32 << 20


def _chunk(n: int, per_sample: int) -> int:
    return max(1, min(n, CHUNK_BYTES // max(per_sample, 1)))


def fill_cols(x: np.ndarray, geom: Geometry, start: int, stop: int, dest: np.ndarray) -> None:
    """Columns of samples ``start:stop`` of the unpadded input into ``dest`` ``(n, C, kh, kw, Ho, Wo)``."""
    xs = x[start:stop]
    if needs_padding(geom):
        xs = pad_to_span(xs, geom, out=workspace("pad", xs.shape[:2] + geom.span, x.dtype))
    np.copyto(dest, windows(xs, geom))


def _cols_chunks(x: np.ndarray, geom: Geometry, keep: np.ndarray | None = None, filled: bool = False,
                 ones: bool = False) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, cols)``: the columns ``(n, C*kh*kw [+ 1], Ho*Wo)`` of each chunk of samples.

    The chunks live in a reused buffer, or in ``keep`` (already holding the
    columns when ``filled``). With ``ones`` a last row of ones is appended, so
    that a bias column on the weights adds the bias inside the product.
    """
    n, c = x.shape[:2]
    (kh, kw), (ho, wo) = geom.kernel, geom.out_size
    ckk, p = c * kh * kw, ho * wo
    step = _chunk(n, (ckk + ones) * p * x.itemsize)
    buf = workspace("cols", (step, ckk + ones, p), x.dtype) if keep is None else None
    for a in range(0, n, step):
        b = min(a + step, n)
        cols = buf[:b - a] if keep is None else keep[a:b]
        if not filled:
            dest = cols[:, :ckk].reshape(b - a, c, kh, kw, ho, wo)
            assert dest.base is not None, "the column buffer is filled in place"
            fill_cols(x, geom, a, b, dest)
            if ones:
                cols[:, ckk] = 1
        yield a, b, cols


def path(x_shape: tuple[int, ...], filters: int, geom: Geometry, groups: int, dtype: np.dtype) -> str:
    """Which kernels a convolution runs on, by shape (each rule measured, see docs/engine.md):

    - ``"shifted"``: stride 1, no groups, many channels: shifted products on a flat
      grid (:mod:`convcalc.engine._shifted`);
    - ``"batch_inner"``: few channels, a big kernel and batch: one product for the
      whole batch in a batch-innermost layout (:mod:`convcalc.engine._batch_inner`);
    - ``"per_sample"``: im2col per sample (this module), whose input gradient is
      the flipped correlation or ``col2im`` (:func:`_takes_flipped_path`).
    """
    c = x_shape[1]
    if _shifted.eligible(c, filters, geom, groups, dtype):
        return "shifted"
    if _batch_inner.eligible(x_shape, filters, geom, groups, np.dtype(dtype).itemsize,
                             _takes_flipped_path(c, filters, geom)):
        return "batch_inner"
    return "per_sample"


def keeps_cols(x_shape: tuple[int, ...], filters: int, geom: Geometry, dtype: np.dtype, groups: int = 1) -> bool:
    """Whether the forward pass keeps its columns for the backward pass: the per-sample
    kernels do, up to :data:`KEEP_COLS_BYTES`, unless the backward takes the flipped path."""
    n, c = x_shape[:2]
    size = n * c * geom.kernel[0] * geom.kernel[1] * geom.out_size[0] * geom.out_size[1] * np.dtype(dtype).itemsize
    return (size <= KEEP_COLS_BYTES and not _takes_flipped_path(c, filters, geom)
            and path(x_shape, filters, geom, groups, dtype) == "per_sample")


def forward(x: np.ndarray, w: np.ndarray, geom: Geometry, groups: int, bias: np.ndarray | None = None,
            keep: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """``(N, F, Ho*Wo)`` outputs of filters ``w`` ``(F, C/G, kh, kw)`` (plus ``bias``) over ``x``
    ``(N, C, H, W)``, and the columns when ``keep`` (else None).

    Without groups the bias rides in the product as an extra weight column
    against a row of ones (kept columns then carry that row too); this saves
    a pass over the output.
    """
    n = x.shape[0]
    f = w.shape[0]
    kind = "per_sample" if keep else path(x.shape, f, geom, groups, x.dtype)
    if kind == "shifted":
        return _shifted.forward(x, w, geom, bias), None
    if kind == "batch_inner":
        return _batch_inner.forward(x, w, geom, bias), None
    p = geom.out_size[0] * geom.out_size[1]
    fold = bias is not None and groups == 1
    out = np.empty((n, f, p), dtype=x.dtype)
    rows = x.shape[1] * geom.kernel[0] * geom.kernel[1] + fold
    kept = np.empty((n, rows, p), dtype=x.dtype) if keep else None
    wg = w.reshape(groups, f // groups, -1)
    if fold:
        wg = np.concatenate([wg[0], bias[:, None]], axis=1)[None]
    for a, b, cols in _cols_chunks(x, geom, kept, ones=fold):
        if groups == 1:
            np.matmul(wg[0], cols, out=out[a:b])
        else:
            np.matmul(wg, cols.reshape(b - a, groups, -1, p), out=out[a:b].reshape(b - a, groups, f // groups, p))
    if bias is not None and not fold:
        out += bias[:, None]
    return out, kept


def weight_grad(x: np.ndarray, dout: np.ndarray, geom: Geometry, groups: int, w_shape: tuple[int, ...],
                cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``dW`` of shape ``w_shape`` from the input ``x`` (or its kept ``cols``) and ``dout`` ``(N, F, Ho*Wo)``;
    also ``db`` when the kept columns carry the row of ones (else None)."""
    f, p = dout.shape[1], dout.shape[2]
    if cols is None and _shifted.eligible(x.shape[1], f, geom, groups, x.dtype):
        return _shifted.weight_grad(x, dout, geom, w_shape), None
    ckk = w_shape[1] * w_shape[2] * w_shape[3]
    ones = groups == 1 and cols is not None and cols.shape[1] == ckk + 1
    dw = np.zeros((groups, f // groups, ckk + ones), dtype=x.dtype)
    for a, b, c in _cols_chunks(x, geom, cols, filled=cols is not None, ones=ones):
        d = dout[a:b].reshape(b - a, groups, f // groups, p)
        dw += np.matmul(d, c.reshape(b - a, groups, -1, p).transpose(0, 1, 3, 2)).sum(axis=0)
    db = dw[0, :, ckk].copy() if ones else None
    return np.ascontiguousarray(dw[:, :, :ckk]).reshape(w_shape), db


def bias_grad(dout: np.ndarray) -> np.ndarray:
    """``db = sum over samples and positions of dout (N, F, P)``, as a matrix-vector product
    (about 7x faster than ``dout.sum(axis=(0, 2))`` on the benchmark shapes)."""
    n, f, p = dout.shape
    return (dout.reshape(n * f, p) @ np.ones(p, dtype=dout.dtype)).reshape(n, f).sum(axis=0)


def backward(x: np.ndarray, dout: np.ndarray, w: np.ndarray, geom: Geometry, groups: int,
             cols: np.ndarray | None, has_bias: bool,
             need_dx: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """``(dx, dw, db)`` of a convolution; ``cols`` are the forward's kept columns, if any.

    With ``need_dx=False`` (a network's first layer) ``dx`` is None and only ``dW`` and
    ``db`` are computed, from the input's columns."""
    kind = "per_sample" if cols is not None else path(x.shape, w.shape[0], geom, groups, x.dtype)
    if not need_dx:
        dw, db = weight_grad(x, dout, geom, groups, w.shape, cols)
        if has_bias and db is None:
            db = bias_grad(dout)
        return None, dw, db if has_bias else None
    if kind == "shifted":
        dx, dw = _shifted.backward(x, dout, w, geom)
        db = None
    elif kind == "batch_inner":
        dx, dw, db = _batch_inner.backward(x, dout, w, geom, has_bias)
    elif _takes_flipped_path(x.shape[1], w.shape[0], geom):
        dx, dw = _flipped_backward(x, dout, w, geom, groups)
        db = None
    else:
        dw, db = weight_grad(x, dout, geom, groups, w.shape, cols)
        dx = _col2im_grad(dout, w, geom, groups, x.shape[1])
    if has_bias and db is None:
        db = bias_grad(dout)
    return dx, dw, db if has_bias else None


def input_grad(dout: np.ndarray, w: np.ndarray, geom: Geometry, groups: int, channels: int) -> np.ndarray:
    """Gradient ``(N, C, H, W)`` on the unpadded input from ``dout`` ``(N, F, Ho*Wo)``."""
    if _shifted.eligible(channels, dout.shape[1], geom, groups, dout.dtype):
        return _shifted.input_grad(dout, w, geom)
    if _takes_flipped_path(channels, dout.shape[1], geom):
        n, f = dout.shape[:2]
        flipped = _flipped_geometry(geom)
        dx, _ = forward(dout.reshape((n, f) + geom.out_size), _flip_weights(w, groups, channels), flipped, groups)
        return dx.reshape((n, channels) + geom.in_size)
    return _col2im_grad(dout, w, geom, groups, channels)


def _takes_flipped_path(channels: int, filters: int, geom: Geometry) -> bool:
    """Stride 1 and no more ``dout`` than input: the input gradient as a correlation with
    the flipped filters (copies ``F*kh*kw*H*W`` per sample) beats ``col2im`` (writes and
    adds ``C*kh*kw*Ho*Wo``). Measured on the benchmark shapes, see docs/engine.md."""
    if _flipped_geometry(geom) is None:
        return False
    return filters * geom.in_size[0] * geom.in_size[1] <= channels * geom.out_size[0] * geom.out_size[1]


def _flip_weights(w: np.ndarray, groups: int, channels: int) -> np.ndarray:
    """``(F, C/G, kh, kw)`` -> ``(C, F/G, kh, kw)`` per group, taps reversed on both axes."""
    f = w.shape[0]
    w2 = w.reshape(groups, f // groups, channels // groups, *w.shape[2:]).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return np.ascontiguousarray(w2).reshape(channels, f // groups, *w.shape[2:])


def _flipped_backward(x: np.ndarray, dout: np.ndarray, w: np.ndarray, geom: Geometry,
                      groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Stride-1 backward from one set of columns of the padded ``dout``.

    With ``dcols[n]`` the ``(F*kh*kw, H*W)`` columns of ``dout`` padded by
    ``d*(k - 1) - lo`` / ``d*(k - 1) - hi``: ``dx[n] = flip(W)^T @ dcols[n]``
    and ``dW[f, c, i, j] = sum_n (x[n] @ dcols[n].T)[c, f, kh-1-i, kw-1-j]``,
    so the input's columns are never rebuilt.
    """
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // groups, f // groups
    kk = w.shape[2] * w.shape[3]
    flipped = _flipped_geometry(geom)
    hw = geom.in_size[0] * geom.in_size[1]
    w2 = _flip_weights(w, groups, c).reshape(groups, cg, fg * kk)
    d4 = dout.reshape((n, f) + geom.out_size)
    dx = np.empty((n, c, hw), dtype=x.dtype)
    dw2 = np.zeros((groups, cg, fg * kk), dtype=x.dtype)
    for a, b, dcols in _cols_chunks(d4, flipped):
        dg = dcols.reshape(b - a, groups, fg * kk, hw)
        np.matmul(w2, dg, out=dx[a:b].reshape(b - a, groups, cg, hw))
        xg = x[a:b].reshape(b - a, groups, cg, hw)
        dw2 += np.matmul(xg, dg.transpose(0, 1, 3, 2)).sum(axis=0)
    # dw2[g, c, (f, i', j')] holds dW[g*fg + f, c, kh-1-i', kw-1-j']
    dw = dw2.reshape(groups, cg, fg, *w.shape[2:]).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return dx.reshape(x.shape), np.ascontiguousarray(dw).reshape(w.shape)


@lru_cache(maxsize=256)
def _flipped_geometry(geom: Geometry) -> Geometry | None:
    """For stride 1, the input gradient is a correlation of ``dout`` padded by
    ``d*(k - 1) - lo`` (before) and ``d*(k - 1) - hi`` (after) with the flipped
    filters; None when that padding would be negative or the stride is not 1."""
    if any(s != 1 for s in geom.stride):
        return None
    if geom.span != tuple(n + lo + hi for n, (lo, hi) in zip(geom.in_size, geom.padding)):
        return None  # a transposed convolution's output_padding: rows no window reads
    pads = tuple(adjoint_padding(k, d, lo, hi) for k, d, (lo, hi) in zip(geom.kernel, geom.dilation, geom.padding))
    if any(p < 0 for pair in pads for p in pair):
        return None
    flipped = conv_geometry(geom.out_size, geom.kernel, 1, pads, geom.dilation)
    assert flipped.out_size == geom.in_size, "a stride-1 convolution's adjoint restores the input size"
    return flipped


def ckk_g(channels: int, groups: int, geom: Geometry) -> int:
    """Rows of one group's columns: ``C/G*kh*kw``."""
    return channels // groups * geom.kernel[0] * geom.kernel[1]


def _col2im_grad(dout: np.ndarray, w: np.ndarray, geom: Geometry, groups: int, channels: int) -> np.ndarray:
    """Input gradient by ``dcols = W.T @ dout`` and adding the ``kh*kw`` column planes back.

    With unit horizontal stride the products are taken on "wide" rows: ``dout``
    is padded with zero columns to the padded input's width ``Ws``, so each
    plane lands on the flattened padded input as one long contiguous run
    (``Ho*Ws`` elements when the vertical stride is 1) instead of ``Ho`` runs
    of ``Wo``; the zero columns add nothing.
    """
    n, f, p = dout.shape
    (kh, kw), (ho, wo), (hs, ws) = geom.kernel, geom.out_size, geom.span
    # wide rows pay a copy of dout: worth it when dout is smaller than the column planes
    wide = geom.stride[1] == 1 and f // groups < ckk_g(channels, groups, geom)
    row = ws if wide else wo
    ckk = channels * kh * kw
    wt = w.reshape(groups, f // groups, -1).transpose(0, 2, 1)
    dx = np.empty((n, channels) + geom.in_size, dtype=dout.dtype)
    step = _chunk(n, ckk * ho * row * dout.itemsize)
    for a in range(0, n, step):
        b = min(a + step, n)
        d = dout[a:b]
        if wide and ws != wo:
            dw_ = workspace("dout_wide", (b - a, f, ho, ws), dout.dtype)
            dw_[..., wo:] = 0
            dw_[..., :wo] = d.reshape(b - a, f, ho, wo)
            d = dw_
        dcols = workspace("dcols", (b - a, groups, ckk // groups, ho * row), dout.dtype)
        np.matmul(wt, d.reshape(b - a, groups, f // groups, ho * row), out=dcols)
        c6 = dcols.reshape(b - a, channels, kh, kw, ho, row)
        if wide:
            sh = geom.stride[0]
            dxp = workspace("dxp", (b - a, channels, (hs + sh) * ws), dout.dtype)  # slack rows for the run-off
            dxp[...] = 0
            for i in range(kh):
                for j in range(kw):
                    off = i * geom.dilation[0] * ws + j * geom.dilation[1]
                    rows = as_strided(dxp[:, :, off:], shape=(b - a, channels, ho, ws),
                                      strides=dxp.strides[:2] + (sh * ws * dxp.itemsize, dxp.itemsize))
                    rows += c6[:, :, i, j]
            span = dxp[:, :, :hs * ws].reshape((b - a, channels) + geom.span)
        else:
            span = workspace("dxp", (b - a, channels) + geom.span, dout.dtype)
            span[...] = 0
            for i in range(kh):
                for j in range(kw):
                    span[window_slice(i, j, geom)] += c6[:, :, i, j]
        crop_from_span(span, geom, out=dx[a:b])
    return dx
