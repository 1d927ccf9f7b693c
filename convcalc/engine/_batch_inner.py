"""Convolution with the batch as the innermost axis: one product for the whole batch.

For few channels (LeNet-5's second layer: 6 in, 16 out, 5x5 on 14x14) the
im2col columns are the big array and their copy is what costs: in NCHW order
a column copy moves one output row (``Wo`` elements, 10 there) at a time.
Here the input is first transposed to ``(C, H, W, N)`` (one blocked
transpose, :func:`convcalc.engine._blas.transpose`), so the columns

``cols[(c, i, j), (y, x, n)] = xp[c, y*sh + i*dh, x*sw + j*dw, n]``

are copied ``Wo*N`` elements at a time (``N`` with a horizontal stride), and
the whole batch is one product ``W (F, C*kh*kw) @ cols -> (F, Ho*Wo*N)``
(instead of one small product per sample), transposed back to NCHW at the
end. The backward pass is the same in reverse: ``dW = dout_t @ cols.T``,
``dcols = W.T @ dout_t`` added back onto the ``(C, Hs, Ws, N)`` input, whose
rows are again long runs. The bias rides in the product (a row of ones in
the columns), so its gradient comes out of the weight-gradient product.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcalc.engine import _blas
from convcalc.engine._geometry import Geometry
from convcalc.engine._im2col import needs_padding, window_slice
from convcalc.engine._runtime import workspace

#: Smallest batch for which the batch-innermost layout pays (its copies move ``N`` elements at least).
MIN_BATCH = 16
#: Smallest kernel area for which it pays: its gain is the cheaper ``col2im`` of many column planes.
MIN_TAPS = 16
#: Largest column array (bytes) built in one piece; bigger batches use the per-sample kernels.
MAX_COLS_BYTES = 64 << 20


def eligible(x_shape: tuple[int, ...], filters: int, geom: Geometry, groups: int, itemsize: int,
             flipped: bool) -> bool:
    """Whether a convolution takes this layout.

    Measured against the per-sample kernels (``docs/engine.md``): it pays only
    where their input gradient is a ``col2im`` of many planes (``flipped`` is
    False, a kernel of at least :data:`MIN_TAPS` taps) and the batch is big
    (:data:`MIN_BATCH`), as in LeNet-5's second layer (1.3x faster forward+backward);
    it needs no groups, and no more filters than column rows (the output is the
    transposed side).
    """
    n, c = x_shape[:2]
    taps = geom.kernel[0] * geom.kernel[1]
    p = geom.out_size[0] * geom.out_size[1]
    return (groups == 1 and len(geom.in_size) == 2 and not flipped and n >= MIN_BATCH and taps >= MIN_TAPS
            and filters <= c * taps and n * (c * taps + 1) * p * itemsize <= MAX_COLS_BYTES)


def _to_batch_inner(x: np.ndarray, geom: Geometry, name: str) -> np.ndarray:
    """``x`` ``(N, C, H, W)`` as the padded span ``(C, Hs, Ws, N)`` (a reused buffer)."""
    n, c = x.shape[:2]
    xc = workspace(name + "_t", (c,) + geom.in_size + (n,), x.dtype)
    _blas.transpose(np.ascontiguousarray(x).reshape(n, -1), xc.reshape(-1, n))
    if not needs_padding(geom):
        return xc
    span = workspace(name + "_span", (c,) + geom.span + (n,), x.dtype)
    (hl, _), (wl, _) = geom.padding
    hs, ws = geom.span
    h, w = geom.in_size
    rows = slice(min(hl, hs), min(hl + h, hs))
    cols = slice(min(wl, ws), min(wl + w, ws))
    span[:, :rows.start] = 0
    span[:, rows.stop:] = 0
    span[:, rows, :cols.start] = 0
    span[:, rows, cols.stop:] = 0
    span[:, rows, cols] = xc[:, :rows.stop - rows.start, :cols.stop - cols.start]
    return span


def _cols(xs: np.ndarray, geom: Geometry, ones: bool) -> np.ndarray:
    """Columns ``(C*kh*kw [+ 1], Ho*Wo*N)`` of the batch-innermost span (a reused buffer)."""
    c, n = xs.shape[0], xs.shape[-1]
    (kh, kw), (ho, wo), (dh, dw), (sh, sw) = geom.kernel, geom.out_size, geom.dilation, geom.stride
    ckk, q = c * kh * kw, ho * wo * n
    cols = workspace("bi_cols", (ckk + ones, q), xs.dtype)
    sc, sy, sx, sn = xs.strides
    view = as_strided(xs, shape=(c, kh, kw, ho, wo, n),
                      strides=(sc, dh * sy, dw * sx, sh * sy, sw * sx, sn), writeable=False)
    np.copyto(cols[:ckk].reshape(c, kh, kw, ho, wo, n), view)
    if ones:
        cols[ckk] = 1
    return cols


def forward(x: np.ndarray, w: np.ndarray, geom: Geometry, bias: np.ndarray | None) -> np.ndarray:
    """``(N, F, Ho*Wo)`` outputs of ``w`` ``(F, C, kh, kw)`` (plus ``bias``) over ``x`` ``(N, C, H, W)``."""
    n, f = x.shape[0], w.shape[0]
    cols = _cols(_to_batch_inner(x, geom, "bi_x"), geom, ones=bias is not None)
    wm = w.reshape(f, -1)
    if bias is not None:
        wm = np.concatenate([wm, bias[:, None]], axis=1)
    og = workspace("bi_out", (f, cols.shape[1]), x.dtype)
    np.matmul(wm, cols, out=og)
    out = np.empty((n, f * geom.out_size[0] * geom.out_size[1]), dtype=x.dtype)
    _blas.transpose(og.reshape(-1, n), out)
    return out.reshape(n, f, -1)


def backward(x: np.ndarray, dout: np.ndarray, w: np.ndarray, geom: Geometry,
             has_bias: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(dx, dw, db)`` from ``dout`` ``(N, F, Ho*Wo)``; the columns are rebuilt (cheap in this layout)."""
    n, c = x.shape[:2]
    f = w.shape[0]
    (kh, kw), (ho, wo) = geom.kernel, geom.out_size
    ckk, q = c * kh * kw, ho * wo * n
    dt = workspace("bi_dout", (f, q), x.dtype)
    _blas.transpose(np.ascontiguousarray(dout).reshape(n, -1), dt.reshape(-1, n))
    cols = _cols(_to_batch_inner(x, geom, "bi_x"), geom, ones=has_bias)
    dwb = np.matmul(dt, cols.T)  # (F, C*kh*kw [+ 1]): the bias gradient is the product with the ones
    db = dwb[:, ckk].copy() if has_bias else None
    dw = np.ascontiguousarray(dwb[:, :ckk]).reshape(w.shape)
    dcols = workspace("bi_dcols", (ckk, q), x.dtype)
    np.matmul(w.reshape(f, ckk).T, dt, out=dcols)
    dspan = workspace("bi_dspan", (c,) + geom.span + (n,), x.dtype)
    dspan[...] = 0
    c6 = dcols.reshape(c, kh, kw, ho, wo, n)
    for i in range(kh):
        for j in range(kw):
            dspan[window_slice(i, j, geom)[1:] + (slice(None),)] += c6[:, i, j]
    if needs_padding(geom):
        (hl, _), (wl, _) = geom.padding
        hs, ws = geom.span
        h, w_ = geom.in_size
        inner = workspace("bi_dx_t", (c, h, w_, n), x.dtype)
        rows, cols_ = min(hl + h, hs) - min(hl, hs), min(wl + w_, ws) - min(wl, ws)
        if rows < h or cols_ < w_:
            inner[...] = 0  # input rows or columns that no window reads
        inner[:, :rows, :cols_] = dspan[:, min(hl, hs):min(hl, hs) + rows, min(wl, ws):min(wl, ws) + cols_]
    else:
        inner = dspan
    dx = np.empty((n, c) + geom.in_size, dtype=x.dtype)
    _blas.transpose(inner.reshape(-1, n), dx.reshape(n, -1))
    return dx, dw, db
