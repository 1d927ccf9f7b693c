"""Stride-1 convolution as shifted products on a flattened padded grid: no im2col.

Layout. Every channel of the batch becomes one flat row of a ``(C, total)``
array: the images are stacked as an ``(N*Hg, Wg)`` grid with ``Wg = W + gw``
and ``Hg = H + gh``, each sample's first ``gh`` rows and each row's first
``gw`` columns zero. In the flat row the zero columns at the start of a grid
row follow the end of the previous one, so they are the right padding of one
row and the left padding of the next (``gw = max(p_lo, p_hi)``), and the zero
rows of a sample are the bottom padding of the one before.

Products. With ``q = (n*Hg + y)*Wg + x`` the output position ``(n, y, x)``,
tap ``(i, j)`` of its window reads flat element ``base + q + i*dh*Wg + j*dw``
(``base = (gh - ph_lo)*Wg + gw - pw_lo``), so for every tap the input it needs
is the *view* ``X[:, base + off : base + off + Lq]``, a matrix with unit inner
stride that BLAS reads in place:

- forward:     ``out_grid (F, Lq) = sum_ij W[:, :, i, j] @ X[:, s_ij : s_ij + Lq]``
- weight grad: ``dW[:, :, i, j] = D @ X[:, s_ij : s_ij + Lq].T``
- input grad:  ``dX[:, s_ij : s_ij + Lq] += W[:, :, i, j].T @ D`` (the adjoint)

with ``D`` the upstream gradient on the output grid, zero at the grid
positions that are not outputs (``y >= Ho`` or ``x >= Wo``). Each product has
``K = C`` (or ``F``), so this pays when the channels are many (measured in
``docs/engine.md``); the grid costs ``Hg*Wg/(Ho*Wo)`` extra work (6% on a
32x32 image with padding 1). The sums over taps run inside BLAS
(``beta = 1``, :mod:`convcalc.engine._blas`); the only copies are the grid
itself and the final crop to NCHW.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convcalc.engine import _blas
from convcalc.engine._geometry import Geometry
from convcalc.engine._runtime import marked_workspace, parallel, split, threads, workspace

#: Smallest channel count (input and output) for which the shifted products beat im2col.
MIN_CHANNELS = 16
#: Give the gradient products a whole row of taps at once (``K = F*kw``) from ``kw`` shifted copies of ``dout``.
SHIFT_DOUT = True


class GridLayout(NamedTuple):
    """Where a batch of ``n`` images sits on the flat grid (all Python ints)."""

    n: int
    in_size: tuple[int, int]
    out_size: tuple[int, int]
    gap: tuple[int, int]
    grid: tuple[int, int]
    base: int
    offsets: tuple[int, ...]
    lq: int
    total: int


def eligible(channels: int, filters: int, geom: Geometry, groups: int, dtype: np.dtype) -> bool:
    """Whether a convolution takes the shifted-product kernels: stride 1, no groups,
    at least :data:`MIN_CHANNELS` input and output channels, and BLAS callable directly."""
    return (groups == 1 and all(s == 1 for s in geom.stride) and len(geom.in_size) == 2
            and min(channels, filters) >= MIN_CHANNELS and np.dtype(dtype) in (np.float32, np.float64)
            and _blas.available())


def layout(geom: Geometry, n: int) -> GridLayout:
    """The grid of ``n`` images for this (stride-1) geometry."""
    (h, w), (ho, wo) = geom.in_size, geom.out_size
    (phl, phh), (pwl, pwh) = geom.padding
    # the gaps are each side's padding, and big enough to hold an output row/plane
    gh, gw = max(phl, phh, ho - h, 0), max(pwl, pwh, wo - w, 0)
    hg, wg = h + gh, w + gw
    base = (gh - phl) * wg + gw - pwl
    offsets = tuple(i * geom.dilation[0] * wg + j * geom.dilation[1]
                    for i in range(geom.kernel[0]) for j in range(geom.kernel[1]))
    lq = n * hg * wg
    return GridLayout(n, (h, w), (ho, wo), (gh, gw), (hg, wg), base, offsets, lq, base + offsets[-1] + lq)


def _grid(c: int, lay: GridLayout, dtype: np.dtype, ones: bool = False) -> np.ndarray:
    """A zero-padded grid buffer ``(c + 1, total)`` (reused) for :func:`_fill`: its gaps are zero and, with
    ``ones``, its last row is ones (against a bias column in the weights), else undefined.

    The gaps are only written when the buffer did not last hold a grid of the same layout (a
    strided fill of one column per row costs a third of the copy itself).
    """
    (gh, gw), (hg, wg) = lay.gap, lay.grid
    g, same = marked_workspace("grid_x", (c + 1, lay.total), dtype, lay)
    if not same:
        body = g[:c, :lay.lq].reshape(c, lay.n, hg, wg)
        body[:, :, :gh] = 0
        body[:, :, gh:, :gw] = 0
        g[:c, lay.lq:] = 0
    if ones:
        g[c] = 1
    return g


def _fill(g: np.ndarray, x: np.ndarray, lay: GridLayout, a: int, b: int) -> None:
    """Copy samples ``a:b`` of ``x`` ``(N, C, H, W)`` into their cells of the grid ``g`` (:func:`_grid`)."""
    c = x.shape[1]
    (gh, gw), (hg, wg) = lay.gap, lay.grid
    body = g[:c, :lay.lq].reshape(c, lay.n, hg, wg)
    np.copyto(body[:, a:b, gh:, gw:], x[a:b].reshape((b - a, c) + lay.in_size).transpose(1, 0, 2, 3))


def _to_grid(x: np.ndarray, lay: GridLayout, ones: bool = False) -> np.ndarray:
    """``x`` ``(N, C, H, W)`` on a zero-padded grid ``(C + 1, total)`` (see :func:`_grid`), filled by
    :func:`_runtime.threads` threads."""
    g = _grid(x.shape[1], lay, x.dtype, ones)
    parallel(lambda a, b: _fill(g, x, lay, a, b), split(lay.n, threads()))
    return g


def _dout_grid(dout: np.ndarray, lay: GridLayout, geom: Geometry, shifted: bool) -> np.ndarray:
    """``dout`` ``(N, F, Ho*Wo)`` on the output grid, zero off the outputs (a reused buffer).

    Returns ``D`` ``(F, 1, Lq)``, or with ``shifted`` ``D3`` ``(F, kw, Lq + (kw - 1)*dw)`` with
    ``D3[f, j, q] = D[f, q - j*dw]`` (zero outside), whose rows ``(f, j)`` give the products
    over a whole row of taps ``K = F*kw`` instead of ``F``. The copies run on :func:`_runtime.threads`
    threads: the samples of ``D``, then column ranges of the shifted rows (which read ``D`` across
    sample boundaries).
    """
    f = dout.shape[1]
    (ho, wo), (hg, wg) = lay.out_size, lay.grid
    kw, dw = (geom.kernel[1], geom.dilation[1]) if shifted else (1, 1)
    width = lay.lq + (kw - 1) * dw
    d3, same = marked_workspace("grid_dout", (f, kw, width), dout.dtype, lay)
    body = d3[:, 0, :lay.lq].reshape(f, lay.n, hg, wg)
    if not same:  # else the zeros off the outputs are still there (see _grid)
        body[:, :, ho:] = 0
        body[:, :, :ho, wo:] = 0
        d3[:, 0, lay.lq:] = 0
    d4 = dout.reshape((lay.n, f) + lay.out_size)

    def fill(a: int, b: int) -> None:
        np.copyto(body[:, a:b, :ho, :wo], d4[a:b].transpose(1, 0, 2, 3))

    parallel(fill, split(lay.n, threads()))
    if kw > 1:
        def shift(a: int, b: int) -> None:
            for j in range(1, kw):
                lo = max(a, j * dw)
                if a < lo:
                    d3[:, j, a:min(lo, b)] = 0
                if lo < b:
                    d3[:, j, lo:b] = d3[:, 0, lo - j * dw:b - j * dw]

        parallel(shift, split(width, threads()))
    return d3


def _taps(w: np.ndarray) -> np.ndarray:
    """``(F, C, kh, kw)`` -> ``(kh*kw, F, C)``, one contiguous matrix per tap."""
    f, c = w.shape[:2]
    return np.ascontiguousarray(w.transpose(2, 3, 0, 1)).reshape(-1, f, c)


def forward(x: np.ndarray, w: np.ndarray, geom: Geometry, bias: np.ndarray | None = None) -> np.ndarray:
    """``(N, F, Ho*Wo)`` outputs of filters ``w`` ``(F, C, kh, kw)`` (plus ``bias``) over ``x`` ``(N, C, H, W)``.

    With :func:`_runtime.threads` > 1 each thread fills, multiplies and crops its own samples: the
    outputs of a sample read only its own grid cells and the zero gap rows after it.
    """
    n, c, f = x.shape[0], x.shape[1], w.shape[0]
    lay = layout(geom, n)
    xg = _grid(c, lay, x.dtype, ones=bias is not None)
    og = workspace("grid_out", (f, lay.lq), x.dtype)
    taps = _taps(w)
    first = np.concatenate([taps[0], bias[:, None]], axis=1) if bias is not None else taps[0]
    (ho, wo), (hg, wg) = lay.out_size, lay.grid
    per = hg * wg
    out = np.empty((n, f, ho, wo), dtype=x.dtype)

    def part(a: int, b: int) -> None:
        _fill(xg, x, lay, a, b)
        u, v = a * per, b * per
        for t, (wt, off) in enumerate(zip(taps, lay.offsets)):
            s = lay.base + off
            if t == 0:  # the bias rides in the first product, against the row of ones
                _blas.gemm(first, xg[:first.shape[1], s + u:s + v], og[:, u:v])
            else:
                _blas.gemm(wt, xg[:c, s + u:s + v], og[:, u:v], beta=1.0)
        np.copyto(out[a:b], og[:, u:v].reshape(f, b - a, hg, wg)[:, :, :ho, :wo].transpose(1, 0, 2, 3))

    parallel(part, split(n, threads()))
    return out.reshape(n, f, ho * wo)


def _row_offsets(lay: GridLayout, geom: Geometry, d3: np.ndarray) -> tuple[int, ...]:
    """Grid offsets of the products over ``d3``: one per tap, or one per row of taps when it is shifted."""
    return lay.offsets if d3.shape[1] == 1 else lay.offsets[::geom.kernel[1]]


def _input_weights(w: np.ndarray, geom: Geometry, shifts: int) -> np.ndarray:
    """The weights of the adjoint products: ``(taps, F, C)`` (used transposed), or with shifted rows
    ``(kh, C, F*kw)``: row ``i`` of the taps against the rows ``(f, j)`` of ``d3``."""
    f, c = w.shape[:2]
    if shifts == 1:
        return _taps(w)
    return np.ascontiguousarray(w.transpose(2, 1, 0, 3)).reshape(geom.kernel[0], c, f * shifts)


def _input_grad_part(d3: np.ndarray, wd: np.ndarray, lay: GridLayout, geom: Geometry, dxg: np.ndarray,
                     dx: np.ndarray, a: int, b: int) -> None:
    """``dx`` of samples ``a:b``: the grid columns of those samples from every adjoint product that
    writes them (``dX[:, s + q] += W_s.T @ D[:, q]``), then the crop."""
    c = dxg.shape[0]
    shifts, width = d3.shape[1:]
    (gh, gw), (hg, wg) = lay.gap, lay.grid
    per = hg * wg
    u, v = a * per, b * per
    arr = d3.reshape(-1, width)
    for t, off in enumerate(_row_offsets(lay, geom, d3)):
        s = lay.base + off
        lo, hi = max(u - s, 0), min(v - s, width)  # the columns of d3 landing in [u, v)
        if t == 0:  # beta = 0: zero what the first product does not write
            dxg[:, u:max(lo + s, u)] = 0
            dxg[:, max(hi + s, u):v] = 0
        if lo < hi:
            _blas.gemm(wd[t], arr[:, lo:hi], dxg[:, lo + s:hi + s], beta=1.0 if t else 0.0, trans_a=shifts == 1)
    np.copyto(dx[a:b], dxg[:, u:v].reshape(c, b - a, hg, wg)[:, :, gh:, gw:].transpose(1, 0, 2, 3))


def _input_grad(d3: np.ndarray, w: np.ndarray, lay: GridLayout, geom: Geometry) -> np.ndarray:
    """The adjoint products from the gridded ``dout`` (see :func:`_dout_grid`): ``dx`` ``(N, C, H, W)``,
    each thread computing the grid columns of its own samples."""
    c = w.shape[1]
    wd = _input_weights(w, geom, d3.shape[1])
    dxg = workspace("grid_dx", (c, lay.lq), d3.dtype)
    dx = np.empty((lay.n, c) + lay.in_size, dtype=d3.dtype)
    parallel(lambda a, b: _input_grad_part(d3, wd, lay, geom, dxg, dx, a, b), split(lay.n, threads()))
    return dx


def _weight_grad(xg: np.ndarray, d3: np.ndarray, w_shape: tuple[int, ...], lay: GridLayout,
                 geom: Geometry) -> np.ndarray:
    """``dW`` ``(F, C, kh, kw)`` from the gridded input and the gridded ``dout``; each thread sums the
    products over its own range of grid columns, then the partial sums are added."""
    f, c, kh, kw = w_shape
    shifts, width = d3.shape[1:]
    a_ = d3.reshape(f * shifts, width)
    offsets = _row_offsets(lay, geom, d3)
    ranges = split(width, threads())
    parts = np.empty((len(ranges), len(offsets), f * shifts, c), dtype=xg.dtype)

    def part(k: int) -> None:
        u, v = ranges[k]
        for t, off in enumerate(offsets):
            s = lay.base + off
            _blas.gemm(a_[:, u:v], xg[:c, s + u:s + v], parts[k, t], trans_b=True)

    parallel(lambda a, b: part(a), [(k, k + 1) for k in range(len(ranges))])
    dwt = parts[0] if len(ranges) == 1 else parts.sum(axis=0)
    if shifts == 1:  # dwt[(i, j), f, c]
        return np.ascontiguousarray(dwt.reshape(kh, kw, f, c).transpose(2, 3, 0, 1))
    return np.ascontiguousarray(dwt.reshape(kh, f, kw, c).transpose(1, 3, 0, 2))  # dwt[i, (f, j), c]


def input_grad(dout: np.ndarray, w: np.ndarray, geom: Geometry) -> np.ndarray:
    """Gradient ``(N, C, H, W)`` on the input from ``dout`` ``(N, F, Ho*Wo)``."""
    lay = layout(geom, dout.shape[0])
    return _input_grad(_dout_grid(dout, lay, geom, SHIFT_DOUT), w, lay, geom)


def weight_grad(x: np.ndarray, dout: np.ndarray, geom: Geometry, w_shape: tuple[int, ...]) -> np.ndarray:
    """``dW`` from the input ``x`` ``(N, C, H, W)`` and ``dout`` ``(N, F, Ho*Wo)``."""
    lay = layout(geom, x.shape[0])
    return _weight_grad(_to_grid(x, lay), _dout_grid(dout, lay, geom, SHIFT_DOUT), w_shape, lay, geom)


def backward(x: np.ndarray, dout: np.ndarray, w: np.ndarray, geom: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """``(dx, dw)`` from one gridded copy each of the input and of ``dout``."""
    lay = layout(geom, x.shape[0])
    d3 = _dout_grid(dout, lay, geom, SHIFT_DOUT)
    dw = _weight_grad(_to_grid(x, lay), d3, w.shape, lay, geom)
    return _input_grad(d3, w, lay, geom), dw
