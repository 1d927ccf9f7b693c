"""The three matrix products of a grouped convolution, over im2col columns.

With ``cols`` the ``(N, C*kh*kw, P)`` columns of the padded input and the
weights viewed per group as ``W_g`` of shape ``(F/G, C/G*kh*kw)``:

- forward:      ``out[n, g] = W_g @ cols[n, g]``
- weight grad:  ``dW_g = sum_n dout[n, g] @ cols[n, g].T``
- input grad:   ``dcols[n, g] = W_g.T @ dout[n, g]``, then ``col2im``

A transposed convolution is the adjoint of the convolution with the same
weight array, so it runs on these same three products.
"""

from __future__ import annotations

import numpy as np

from convcalc.engine._geometry import Geometry
from convcalc.engine._im2col import col2im


def _grouped_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """``(F, C/G, kh, kw)`` -> ``(G, F/G, C/G*kh*kw)`` (a view)."""
    f = w.shape[0]
    return w.reshape(groups, f // groups, -1)


def forward_cols(w: np.ndarray, cols: np.ndarray, groups: int) -> np.ndarray:
    """``(N, F, P)`` outputs of weights ``w`` over columns ``(N, C*kh*kw, P)``."""
    n, ckk, p = cols.shape
    wg = _grouped_weight(w, groups)
    out = np.matmul(wg, cols.reshape(n, groups, ckk // groups, p))
    return out.reshape(n, w.shape[0], p)


def weight_grad(dout: np.ndarray, cols: np.ndarray, w_shape: tuple[int, ...], groups: int) -> np.ndarray:
    """``dW`` of shape ``w_shape`` from ``dout`` ``(N, F, P)`` and columns ``(N, C*kh*kw, P)``."""
    n, ckk, p = cols.shape
    f = dout.shape[1]
    dg = dout.reshape(n, groups, f // groups, p)
    cg = cols.reshape(n, groups, ckk // groups, p)
    dw = np.matmul(dg, cg.transpose(0, 1, 3, 2)).sum(axis=0)
    return dw.reshape(w_shape)


def input_grad(dout: np.ndarray, w: np.ndarray, groups: int, channels: int, geom: Geometry) -> np.ndarray:
    """Gradient on the padded span ``(N, C, Hs, Ws)`` from ``dout`` ``(N, F, P)``."""
    n, f, p = dout.shape
    wg = _grouped_weight(w, groups)
    dcols = np.matmul(wg.transpose(0, 2, 1), dout.reshape(n, groups, f // groups, p))
    return col2im(dcols.reshape(n, -1, p), channels, geom)
