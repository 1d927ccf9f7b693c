"""2D (and 1D) convolution, forward and backward, NCHW, as pure function pairs.

``conv2d_forward(x, w, b) -> (out, ConvCache)`` and
``conv2d_backward(dout, cache) -> (dx, dw, db)``, in the cs231n style. Like
PyTorch's ``Conv2d`` this is a cross-correlation:

``out[n, f, y, x] = b[f] + sum_{c, i, j} w[f, c, i, j] * xp[n, g*C/G + c, y*sh + i*dh, x*sw + j*dw]``

with ``xp`` the zero-padded input and ``g`` the group of filter ``f``.
Output sizes come from :func:`convcalc.arithmetic.conv_length`
(``o = floor((n + p_lo + p_hi - d*(k - 1) - 1)/s) + 1``, Dumoulin & Visin
2016, rel. 15). ``conv2d_forward_naive`` / ``conv2d_backward_naive`` are
loop twins used as test oracles.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convcalc.engine import _kernels
from convcalc.engine._geometry import (Geometry, as_array, check_bias, check_dout, check_groups,
                                       conv_geometry, float_dtype, int_tuple, padding_pairs, window_at)
from convcalc.errors import ConvCalcError

__all__ = [
    "ConvCache",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_forward_naive",
    "conv2d_backward_naive",
    "conv1d_forward",
    "conv1d_backward",
]


class ConvCache(NamedTuple):
    """What :func:`conv2d_backward` needs from the forward pass.

    Attributes
    ----------
    x : ndarray
        The input ``(N, C, H, W)`` in the computation dtype.
    w : ndarray
        The weights ``(F, C/groups, kh, kw)``.
    has_bias : bool
        Whether a bias was given (``db`` is None otherwise).
    groups : int
        Number of channel groups.
    geom : Geometry
        Stride, dilation, resolved ``(lo, hi)`` padding and sizes.

    cols : ndarray or None
        The im2col columns ``(N, C*kh*kw, Ho*Wo)`` when the forward pass kept
        them (small layers whose backward needs them); otherwise the backward
        pass rebuilds what it needs a chunk at a time (see ``docs/engine.md``).
    """

    x: np.ndarray
    w: np.ndarray
    has_bias: bool
    groups: int
    geom: Geometry
    cols: np.ndarray | None = None


def _prepare(x: object, w: object, b: object, stride: object, padding: object, dilation: object,
             groups: object) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int, Geometry]:
    dtype = float_dtype(x)
    xa = as_array(x, "x", 4, "(N, C, H, W)", dtype)
    wa = as_array(w, "w", 4, "(F, C/groups, kh, kw)", dtype)
    g = check_groups(groups, xa.shape[1], wa.shape[0], xa.shape, wa.shape)
    if xa.shape[1] != wa.shape[1] * g:
        raise ConvCalcError(
            f"The input has {xa.shape[1]} channels but the weights expect {wa.shape[1]}*groups = "
            f"{wa.shape[1] * g}: input shape {xa.shape}, weight shape {wa.shape}, groups={g}."
        )
    if 0 in wa.shape or 0 in xa.shape:
        raise ConvCalcError(f"Empty arrays are not supported: input shape {xa.shape}, weight shape {wa.shape}.")
    bias = check_bias(b, wa.shape[0], wa.shape, dtype)
    geom = conv_geometry(xa.shape[2:], wa.shape[2:], stride, padding, dilation)
    return xa, wa, bias, g, geom


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: object = 1,
                   padding: object = 0, dilation: object = 1, groups: int = 1) -> tuple[np.ndarray, ConvCache]:
    """2D cross-correlation of a batch, as PyTorch's ``conv2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input batch. float32 stays float32; any other dtype runs in float64.
    w : ndarray, shape (F, C/groups, kh, kw)
        Filters (PyTorch layout).
    b : ndarray, shape (F,), optional
        Bias. Defaults to None (no bias; ``db`` is then None).
    stride, dilation : int or (int, int)
        Per axis. ``dilation=1`` means no dilation. Defaults to 1.
    padding : int, (int, int), ((lo, hi), (lo, hi)) or {"valid", "same", "full"}
        Zero padding, resolved by ``arithmetic.resolve_padding`` ('same' is
        PyTorch's: stride 1, the odd pixel on the bottom/right). Defaults to 0.
    groups : int
        Channel groups; must divide C and F. Defaults to 1.

    Returns
    -------
    out : ndarray, shape (N, F, Ho, Wo)
        ``Ho, Wo`` from ``arithmetic.conv_length``.
    cache : ConvCache
        For :func:`conv2d_backward`.

    Raises
    ------
    ConvCalcError
        Mismatched shapes (naming both), bad parameters, impossible geometry.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> out, cache = conv2d_forward(x, np.ones((1, 1, 2, 2)), stride=2)
    >>> out[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    xa, wa, bias, g, geom = _prepare(x, w, b, stride, padding, dilation, groups)
    keep = _kernels.keeps_cols(xa.shape, wa.shape[0], geom, xa.dtype, g)
    out, cols = _kernels.forward(xa, wa, geom, g, bias, keep=keep)
    out = out.reshape((xa.shape[0], wa.shape[0]) + geom.out_size)
    return out, ConvCache(xa, wa, bias is not None, g, geom, cols)


def conv2d_backward(dout: np.ndarray, cache: ConvCache, *,
                    input_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv2d_forward`.

    Parameters
    ----------
    dout : ndarray, shape (N, F, Ho, Wo)
        Upstream gradient.
    cache : ConvCache
        From the forward pass.
    input_grad : bool, optional
        Compute ``dx``. A network's first layer does not need it (nothing is
        upstream), and skipping it saves most of that layer's backward time.
        Defaults to True.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), or None when ``input_grad=False``
    dw : ndarray, shape (F, C/groups, kh, kw)
    db : ndarray, shape (F,), or None when the forward had no bias

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> out, cache = conv2d_forward(x, np.ones((1, 1, 2, 2)), np.zeros(1))
    >>> dx, dw, db = conv2d_backward(np.ones_like(out), cache)
    >>> dx[0, 0], db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4.]))
    """
    x, w, has_bias, g, geom, cols = cache
    n, f = x.shape[0], w.shape[0]
    d = check_dout(dout, (n, f) + geom.out_size, x.dtype).reshape(n, f, -1)
    return _kernels.backward(x, d, w, geom, g, cols, has_bias, need_dx=input_grad)


# --------------------------------------------------------------------------- 1D
def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: object = 1,
                   padding: object = 0, dilation: object = 1, groups: int = 1) -> tuple[np.ndarray, ConvCache]:
    """1D cross-correlation ``(N, C, L) -> (N, F, Lo)``: :func:`conv2d_forward` with ``H = 1``.

    ``w`` has shape ``(F, C/groups, k)``; padding is an int, a ``(lo, hi)``
    pair or a mode. The cache is a 2D :class:`ConvCache`.

    Examples
    --------
    >>> out, _ = conv1d_forward(np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, -1.0]]]))
    >>> out
    array([[[-1., -1., -1.]]])
    """
    dtype = float_dtype(x)
    xa = as_array(x, "x", 3, "(N, C, L)", dtype)
    wa = as_array(w, "w", 3, "(F, C/groups, k)", dtype)
    s = stride[0] if isinstance(stride, (tuple, list)) and len(stride) == 1 else stride
    d = dilation[0] if isinstance(dilation, (tuple, list)) and len(dilation) == 1 else dilation
    s1, d1 = int_tuple(s, 1, "stride", 1), int_tuple(d, 1, "dilation", 1)
    pad = padding_pairs(padding, xa.shape[2:], wa.shape[2:], s1, d1)
    out, cache = conv2d_forward(xa[:, :, None, :], wa[:, :, None, :], b, stride=(1, s1[0]),
                                padding=((0, 0), pad[0]), dilation=(1, d1[0]), groups=groups)
    return out[:, :, 0, :], cache


def conv1d_backward(dout: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv1d_forward`: ``dx (N, C, L)``, ``dw (F, C/groups, k)``, ``db``."""
    d = np.asarray(dout)
    dx, dw, db = conv2d_backward(d.reshape(d.shape[:2] + (1,) + d.shape[2:]), cache)
    return dx[:, :, 0, :], dw[:, :, 0, :], db


# --------------------------------------------------------------------------- naive twins
def conv2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: object = 1,
                         padding: object = 0, dilation: object = 1,
                         groups: int = 1) -> tuple[np.ndarray, ConvCache]:
    """Loop twin of :func:`conv2d_forward` (a test oracle): one window at a time.

    Examples
    --------
    >>> out, _ = conv2d_forward_naive(np.arange(16.0).reshape(1, 1, 4, 4), np.ones((1, 1, 2, 2)), stride=2)
    >>> out[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    xa, wa, bias, g, geom = _prepare(x, w, b, stride, padding, dilation, groups)
    xp = np.pad(xa, ((0, 0), (0, 0)) + geom.padding)
    n, f = xa.shape[0], wa.shape[0]
    cg, fg = wa.shape[1], f // g
    out = np.zeros((n, f) + geom.out_size, dtype=xa.dtype)
    for b_i in range(n):
        for k in range(f):
            chans = slice((k // fg) * cg, (k // fg + 1) * cg)
            for y in range(geom.out_size[0]):
                for x_ in range(geom.out_size[1]):
                    out[b_i, k, y, x_] = np.sum(xp[(b_i, chans) + window_at(y, x_, geom)] * wa[k])
            if bias is not None:
                out[b_i, k] += bias[k]
    return out, ConvCache(xa, wa, bias is not None, g, geom)


def conv2d_backward_naive(dout: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loop twin of :func:`conv2d_backward` (a test oracle): scatter one window at a time."""
    x, w, has_bias, g, geom, _ = cache
    n, f = x.shape[0], w.shape[0]
    d = check_dout(dout, (n, f) + geom.out_size, x.dtype)
    xp = np.pad(x, ((0, 0), (0, 0)) + geom.padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    cg, fg = w.shape[1], f // g
    for b_i in range(n):
        for k in range(f):
            chans = slice((k // fg) * cg, (k // fg + 1) * cg)
            for y in range(geom.out_size[0]):
                for x_ in range(geom.out_size[1]):
                    win = (b_i, chans) + window_at(y, x_, geom)
                    dxp[win] += w[k] * d[b_i, k, y, x_]
                    dw[k] += xp[win] * d[b_i, k, y, x_]
    (hlo, _), (wlo, _) = geom.padding
    h, wd = geom.in_size
    db = d.sum(axis=(0, 2, 3)) if has_bias else None
    return dxp[:, :, hlo:hlo + h, wlo:wlo + wd], dw, db

