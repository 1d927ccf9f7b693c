"""2D transposed convolution, forward and backward, as PyTorch's ``conv_transpose2d``.

Each input pixel scatters ``x[n, c, y, x] * w[c, :, i, j]`` onto output
position ``(y*sh + i*dh - p_lo, x*sw + j*dw - p_lo)``; the output length is
``(n - 1)*s - (p_lo + p_hi) + d*(k - 1) + output_padding + 1`` per axis
(:func:`convcalc.arithmetic.transposed_length`; PyTorch ``ConvTranspose2d``;
Dumoulin & Visin 2016, rel. 14). It is the adjoint of :func:`conv2d_forward`
with the same weight array, so the forward pass is a convolution's input
gradient and the backward pass is a convolution forward plus its weight
gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from convcalc.arithmetic import transposed_length
from convcalc.engine import _kernels
from convcalc.engine._geometry import (Geometry, as_array, check_bias, check_dout, check_groups,
                                       float_dtype, int_tuple, padding_pairs, window_at)
from convcalc.errors import ConvCalcError

__all__ = [
    "ConvTransposeCache",
    "conv_transpose2d_forward",
    "conv_transpose2d_backward",
    "conv_transpose2d_forward_naive",
    "conv_transpose2d_backward_naive",
]


class ConvTransposeCache(NamedTuple):
    """What :func:`conv_transpose2d_backward` needs from the forward pass.

    Attributes
    ----------
    x : ndarray
        The input ``(N, C_in, H, W)`` in the computation dtype.
    w : ndarray
        The weights ``(C_in, C_out/groups, kh, kw)`` (PyTorch layout).
    has_bias : bool
        Whether a bias was given.
    groups : int
        Number of channel groups.
    geom : Geometry
        Geometry of the adjoint convolution: ``in_size`` is the transposed
        output ``(Ho, Wo)``, ``out_size`` the transposed input ``(H, W)``.
    """

    x: np.ndarray
    w: np.ndarray
    has_bias: bool
    groups: int
    geom: Geometry


def _prepare(x: object, w: object, b: object, stride: object, padding: object, output_padding: object,
             dilation: object, groups: object) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int, Geometry]:
    dtype = float_dtype(x)
    xa = as_array(x, "x", 4, "(N, C_in, H, W)", dtype)
    wa = as_array(w, "w", 4, "(C_in, C_out/groups, kh, kw)", dtype)
    if xa.shape[1] != wa.shape[0]:
        raise ConvCalcError(
            f"The input has {xa.shape[1]} channels but the weights expect {wa.shape[0]} (their first axis): "
            f"input shape {xa.shape}, weight shape {wa.shape}."
        )
    if 0 in wa.shape or 0 in xa.shape:
        raise ConvCalcError(f"Empty arrays are not supported: input shape {xa.shape}, weight shape {wa.shape}.")
    g = check_groups(groups, xa.shape[1], xa.shape[1], xa.shape, wa.shape)
    bias = check_bias(b, wa.shape[1] * g, wa.shape, dtype)
    in_size, kernel = tuple(xa.shape[2:]), tuple(wa.shape[2:])
    s = int_tuple(stride, 2, "stride", 1)
    d = int_tuple(dilation, 2, "dilation", 1)
    a = int_tuple(output_padding, 2, "output_padding", 0)
    pads = padding_pairs(padding, in_size, kernel, s, d, modes=("valid",), where="a transposed convolution")
    out = tuple(transposed_length(n, k, ss, lo, hi, dd, aa, axis=i)
                for i, (n, k, ss, (lo, hi), dd, aa) in enumerate(zip(in_size, kernel, s, pads, d, a)))
    # The adjoint convolution reads windows of the output at the input's positions.
    return xa, wa, bias, g, Geometry(out, kernel, s, d, pads, in_size)


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                             stride: object = 1, padding: object = 0, output_padding: object = 0,
                             dilation: object = 1, groups: int = 1) -> tuple[np.ndarray, ConvTransposeCache]:
    """2D transposed convolution of a batch, as PyTorch's ``conv_transpose2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
        Input batch. float32 stays float32; any other dtype runs in float64.
    w : ndarray, shape (C_in, C_out/groups, kh, kw)
        Weights in PyTorch's layout.
    b : ndarray, shape (C_out,), optional
        Bias. Defaults to None.
    stride, dilation : int or (int, int)
        Per axis; ``dilation=1`` means no dilation. Defaults to 1.
    padding : int, (int, int), ((lo, hi), (lo, hi)) or "valid"
        Cropped from each side of the full output. Defaults to 0.
    output_padding : int or (int, int)
        Extra rows/columns on the bottom/right, ``< max(stride, dilation)``.
        Defaults to 0.
    groups : int
        Channel groups. Defaults to 1.

    Returns
    -------
    out : ndarray, shape (N, C_out, Ho, Wo)
        Sizes from ``arithmetic.transposed_length``.
    cache : ConvTransposeCache

    Examples
    --------
    >>> out, _ = conv_transpose2d_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    >>> out[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    xa, wa, bias, g, geom = _prepare(x, w, b, stride, padding, output_padding, dilation, groups)
    n, c_out = xa.shape[0], wa.shape[1] * g
    out = _kernels.input_grad(xa.reshape(n, xa.shape[1], -1), wa, geom, g, c_out)
    if bias is not None:
        out += bias[:, None, None]
    return out, ConvTransposeCache(xa, wa, bias is not None, g, geom)


def conv_transpose2d_backward(dout: np.ndarray,
                              cache: ConvTransposeCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv_transpose2d_forward`: ``dx (N, C_in, H, W)``, ``dw``, ``db``.

    Examples
    --------
    >>> out, cache = conv_transpose2d_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), np.zeros(1))
    >>> dx, dw, db = conv_transpose2d_backward(np.ones_like(out), cache)
    >>> dx[0, 0], db
    (array([[4., 4.],
           [4., 4.]]), array([9.]))
    """
    x, w, has_bias, g, geom = cache
    n, c_out = x.shape[0], w.shape[1] * g
    d = check_dout(dout, (n, c_out) + geom.in_size, x.dtype)
    dx = _kernels.forward(d, w, geom, g)[0].reshape(x.shape)
    dw, _ = _kernels.weight_grad(d, x.reshape(n, x.shape[1], -1), geom, g, w.shape)
    db = _kernels.bias_grad(d.reshape(n, c_out, -1)) if has_bias else None
    return dx, dw, db


# --------------------------------------------------------------------------- naive twins
def conv_transpose2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                                   stride: object = 1, padding: object = 0, output_padding: object = 0,
                                   dilation: object = 1, groups: int = 1) -> tuple[np.ndarray, ConvTransposeCache]:
    """Loop twin of :func:`conv_transpose2d_forward`: scatter one input pixel at a time."""
    xa, wa, bias, g, geom = _prepare(x, w, b, stride, padding, output_padding, dilation, groups)
    n, c_in = xa.shape[:2]
    cg_in, cg_out = c_in // g, wa.shape[1]
    full = np.zeros((n, cg_out * g) + _full_size(geom), dtype=xa.dtype)
    for b_i in range(n):
        for c in range(c_in):
            outs = slice((c // cg_in) * cg_out, (c // cg_in + 1) * cg_out)
            for y in range(geom.out_size[0]):
                for x_ in range(geom.out_size[1]):
                    full[(b_i, outs) + window_at(y, x_, geom)] += xa[b_i, c, y, x_] * wa[c]
    out = _crop(full, geom)
    if bias is not None:
        out += bias[:, None, None]
    return out, ConvTransposeCache(xa, wa, bias is not None, g, geom)


def conv_transpose2d_backward_naive(dout: np.ndarray,
                                    cache: ConvTransposeCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loop twin of :func:`conv_transpose2d_backward`: gather one input pixel at a time."""
    x, w, has_bias, g, geom = cache
    n, c_in = x.shape[:2]
    cg_in, cg_out = c_in // g, w.shape[1]
    d = check_dout(dout, (n, cg_out * g) + geom.in_size, x.dtype)
    dfull = np.zeros((n, cg_out * g) + _full_size(geom), dtype=x.dtype)
    (hlo, _), (wlo, _) = geom.padding
    h, wd = geom.in_size
    dfull[:, :, hlo:hlo + h, wlo:wlo + wd] = d
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for b_i in range(n):
        for c in range(c_in):
            outs = slice((c // cg_in) * cg_out, (c // cg_in + 1) * cg_out)
            for y in range(geom.out_size[0]):
                for x_ in range(geom.out_size[1]):
                    patch = dfull[(b_i, outs) + window_at(y, x_, geom)]
                    dx[b_i, c, y, x_] = np.sum(patch * w[c])
                    dw[c] += patch * x[b_i, c, y, x_]
    return dx, dw, (d.sum(axis=(0, 2, 3)) if has_bias else None)


def _full_size(geom: Geometry) -> tuple[int, ...]:
    """Uncropped scatter length, long enough for the padding and output_padding."""
    return tuple(max(s, lo + n) for s, (lo, _), n in zip(geom.span, geom.padding, geom.in_size))


def _crop(full: np.ndarray, geom: Geometry) -> np.ndarray:
    (hlo, _), (wlo, _) = geom.padding
    h, wd = geom.in_size
    return full[:, :, hlo:hlo + h, wlo:wlo + wd].copy()

