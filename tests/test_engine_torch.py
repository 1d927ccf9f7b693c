"""The engine against PyTorch (a test oracle only) on thousands of random configurations.

Every sweep draws shapes, strides, paddings (symmetric, asymmetric through
``F.pad``, 'same', 'full'), dilations, groups, ceil_mode and count_include_pad
from a fixed seed, skips the geometries the arithmetic core rejects, and
compares forward outputs and every gradient. Tolerance in float64:
``rtol = atol = 1e-10`` (the two sides sum the same products in different
orders); in float32: ``rtol = atol = 1e-4``.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.engine import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    conv2d_backward,
    conv2d_forward,
    conv_transpose2d_backward,
    conv_transpose2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional
# Tiny shapes gain nothing from threads, and PyTorch's spinning OpenMP workers next to OpenBLAS's
# slow both down several-fold when the two cores are shared.
torch.set_num_threads(1)

TOL64 = {"rtol": 1e-10, "atol": 1e-10}
TOL32 = {"rtol": 1e-4, "atol": 1e-4}
N_CONV, N_TRANSPOSED, N_POOL = 1500, 800, 1500


def _t(a: np.ndarray) -> "torch.Tensor":
    return torch.from_numpy(np.ascontiguousarray(a)).requires_grad_(True)


def _close(got: np.ndarray, want: "torch.Tensor", tol: dict) -> None:
    np.testing.assert_allclose(got, want.detach().numpy(), **tol)


def _conv_config(rng: np.random.Generator) -> tuple:
    g = int(rng.choice([1, 1, 2, 3]))
    n, cg, fg = (int(v) for v in rng.integers(1, 4, size=3))
    h, w = (int(v) for v in rng.integers(1, 10, size=2))
    k = tuple(int(v) for v in rng.integers(1, 5, size=2))
    s = tuple(int(v) for v in rng.integers(1, 4, size=2))
    d = tuple(int(v) for v in rng.integers(1, 4, size=2))
    kind = rng.integers(0, 5)
    if kind == 0:
        padding: object = int(rng.integers(0, 3))
    elif kind == 1:
        padding = tuple(tuple(int(v) for v in rng.integers(0, 4, size=2)) for _ in range(2))
    elif kind == 2:
        padding, s = "same", (1, 1)
    elif kind == 3:
        padding = "full"
    else:
        padding = "valid"
    return (n, g * cg, h, w), (g * fg, cg) + k, s, padding, d, g


def _torch_padding(padding: object, k: tuple, d: tuple) -> tuple[tuple[int, int, int, int], object]:
    """(F.pad amounts, conv2d padding) that realise the engine's padding in PyTorch."""
    if padding == "full":
        return (0, 0, 0, 0), tuple(dd * (kk - 1) for kk, dd in zip(k, d))
    if isinstance(padding, tuple):
        (hl, hh), (wl, wh) = padding
        return (wl, wh, hl, hh), 0
    return (0, 0, 0, 0), padding


@pytest.mark.parametrize("dtype,tol,count", [(np.float64, TOL64, N_CONV), (np.float32, TOL32, 200)],
                         ids=["float64", "float32"])
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_conv2d_matches_torch(dtype, tol, count):
    rng = np.random.default_rng(10)
    done = 0
    while done < count:
        xs, ws, s, padding, d, g = _conv_config(rng)
        x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[0]).astype(dtype) if rng.random() < 0.7 else None
        try:
            out, cache = conv2d_forward(x, w, b, stride=s, padding=padding, dilation=d, groups=g)
        except ConvCalcError:
            continue  # geometry the arithmetic core rejects (kernel larger than the padded input)
        done += 1
        pad, tpad = _torch_padding(padding, ws[2:], d)
        tx, tw = _t(x), _t(w)
        tb = _t(b) if b is not None else None
        tout = F.conv2d(F.pad(tx, pad), tw, tb, stride=s, padding=tpad, dilation=d, groups=g)
        _close(out, tout, tol)
        dout = rng.standard_normal(out.shape).astype(dtype)
        tout.backward(torch.from_numpy(dout))
        dx, dw, db = conv2d_backward(dout, cache)
        _close(dx, tx.grad, tol)
        _close(dw, tw.grad, tol)
        if b is not None:
            _close(db, tb.grad, tol)


def test_conv_transpose2d_matches_torch():
    rng = np.random.default_rng(11)
    done = 0
    while done < N_TRANSPOSED:
        g = int(rng.choice([1, 1, 2, 3]))
        n, cg_in, cg_out = (int(v) for v in rng.integers(1, 4, size=3))
        h, w_ = (int(v) for v in rng.integers(1, 7, size=2))
        k = tuple(int(v) for v in rng.integers(1, 5, size=2))
        s = tuple(int(v) for v in rng.integers(1, 4, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        p = tuple(int(v) for v in rng.integers(0, 3, size=2))
        op = tuple(int(rng.integers(0, max(ss, dd))) for ss, dd in zip(s, d))
        x = rng.standard_normal((n, g * cg_in, h, w_))
        w = rng.standard_normal((g * cg_in, cg_out) + k)
        b = rng.standard_normal(g * cg_out) if rng.random() < 0.7 else None
        kw = {"stride": s, "padding": p, "output_padding": op, "dilation": d, "groups": g}
        try:
            out, cache = conv_transpose2d_forward(x, w, b, **kw)
        except ConvCalcError:
            continue  # padding larger than the transposed output
        done += 1
        tx, tw = _t(x), _t(w)
        tb = _t(b) if b is not None else None
        tout = F.conv_transpose2d(tx, tw, tb, **kw)
        _close(out, tout, TOL64)
        dout = rng.standard_normal(out.shape)
        tout.backward(torch.from_numpy(dout))
        dx, dw, db = conv_transpose2d_backward(dout, cache)
        _close(dx, tx.grad, TOL64)
        _close(dw, tw.grad, TOL64)
        if b is not None:
            _close(db, tb.grad, TOL64)


def _pool_config(rng: np.random.Generator, dilated: bool) -> tuple:
    n, c = (int(v) for v in rng.integers(1, 4, size=2))
    h, w = (int(v) for v in rng.integers(1, 11, size=2))
    k = tuple(int(v) for v in rng.integers(1, 5, size=2))
    s = tuple(int(v) for v in rng.integers(1, 5, size=2)) if rng.random() < 0.7 else None
    p = tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k)
    d = tuple(int(v) for v in rng.integers(1, 3, size=2)) if dilated else (1, 1)
    return (n, c, h, w), k, s, p, d, bool(rng.random() < 0.5)


def _ties(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values with many ties (small integers) half of the time, to exercise the first-max rule."""
    if rng.random() < 0.5:
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    return rng.standard_normal(shape)


def _window_misses_input(cache) -> bool:
    """Some dilated window has every tap in the padding along an axis. PyTorch 2.13 reads
    out of bounds there (it aborted with ``munmap_chunk(): invalid pointer`` on input
    1x4, kernel (2, 3), padding 1, dilation (2, 1)), so such cases are tested on their own."""
    geom = cache.geom
    for o, s, k, d, (lo, _), n in zip(geom.out_size, geom.stride, geom.kernel, geom.dilation, geom.padding,
                                       geom.in_size):
        taps = np.arange(o)[:, None] * s - lo + np.arange(k)[None, :] * d
        if not ((taps >= 0) & (taps < n)).any(axis=1).all():
            return True
    return False


def test_max_pool2d_matches_torch_including_ties():
    rng = np.random.default_rng(12)
    done = 0
    while done < N_POOL:
        xs, k, s, p, d, ceil = _pool_config(rng, dilated=True)
        x = _ties(rng, xs)
        try:
            out, cache = max_pool2d_forward(x, k, s, p, d, ceil)
        except ConvCalcError:
            continue
        if _window_misses_input(cache):
            continue
        done += 1
        tx = _t(x)
        tout = F.max_pool2d(tx, k, s if s is not None else k, p, d, ceil_mode=ceil)
        _close(out, tout, TOL64)
        dout = rng.standard_normal(out.shape)
        tout.backward(torch.from_numpy(dout))
        _close(max_pool2d_backward(dout, cache), tx.grad, TOL64)


def test_avg_pool2d_matches_torch():
    rng = np.random.default_rng(13)
    done = 0
    while done < N_POOL:
        xs, k, s, p, _, ceil = _pool_config(rng, dilated=False)
        include = bool(rng.random() < 0.5)
        x = rng.standard_normal(xs)
        try:
            out, cache = avg_pool2d_forward(x, k, s, p, ceil, include)
        except ConvCalcError:
            continue
        done += 1
        tx = _t(x)
        tout = F.avg_pool2d(tx, k, s if s is not None else k, p, ceil_mode=ceil, count_include_pad=include)
        _close(out, tout, TOL64)
        dout = rng.standard_normal(out.shape)
        tout.backward(torch.from_numpy(dout))
        _close(avg_pool2d_backward(dout, cache), tx.grad, TOL64)


def test_max_pool2d_special_values_follow_torch():
    """NaN wins its window (PyTorch sends the gradient to the last NaN); a window of
    -inf sends it to its first cell inside the input."""
    x = np.array([[[[1.0, np.nan, 3.0, -np.inf], [np.nan, 0.0, -np.inf, -np.inf], [2.0, 2.0, 5.0, 5.0]]]])
    for kw in ({"kernel": 2}, {"kernel": 2, "stride": 1, "padding": 1}, {"kernel": 3, "ceil_mode": True}):
        out, cache = max_pool2d_forward(x, **kw)
        tx = _t(x)
        tout = F.max_pool2d(tx, kw["kernel"], kw.get("stride"), kw.get("padding", 0),
                            ceil_mode=kw.get("ceil_mode", False))
        np.testing.assert_array_equal(out, tout.detach().numpy())
        dout = np.arange(1.0, out.size + 1).reshape(out.shape)
        tout.backward(torch.from_numpy(dout))
        np.testing.assert_array_equal(max_pool2d_backward(dout, cache), tx.grad.numpy())
