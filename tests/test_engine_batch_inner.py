"""The batch-innermost kernels (few channels, big kernels, big batches) against the loop twins and PyTorch.

``convcalc.engine._batch_inner`` transposes the batch to the innermost axis,
builds one set of columns for the whole batch and runs one product. These
tests force it on small shapes (``MIN_BATCH = MIN_TAPS = 1``, and the
per-sample kernels' flipped input gradient switched off so that every
geometry qualifies) and compare with ``conv2d_*_naive`` in float64; then a
sweep of shapes that take it by default is checked against PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.engine import (
    _batch_inner,
    _blas,
    _kernels,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
)
from tests.oracles import kernel_fits

TOL = {"rtol": 1e-12, "atol": 1e-12}

CASES = [
    ("valid_5x5", (3, 2, 9, 8), (4, 2, 5, 5), {}),
    ("pad2", (2, 3, 7, 7), (2, 3, 5, 5), {"padding": 2}),
    ("strided", (3, 2, 9, 9), (3, 2, 3, 3), {"stride": 2, "padding": 1}),
    ("strided_per_axis_dilated", (2, 2, 11, 9), (2, 2, 3, 2), {"stride": (2, 1), "dilation": (1, 2)}),
    ("asymmetric", (2, 2, 6, 7), (3, 2, 3, 3), {"padding": ((2, 0), (1, 3))}),
    ("rows_no_window_reads", (2, 2, 9, 9), (2, 2, 3, 3), {"stride": 3, "padding": (0, 1)}),
    ("padding_beyond_kernel", (2, 2, 5, 5), (2, 2, 2, 2), {"padding": 3}),
    ("same_even", (2, 3, 6, 6), (2, 3, 4, 4), {"padding": "same"}),
    ("batch_1", (1, 2, 6, 6), (2, 2, 3, 3), {"padding": 1}),
    ("one_by_one", (3, 4, 5, 5), (2, 4, 1, 1), {}),
]
IDS = [c[0] for c in CASES]


@pytest.fixture
def batch_inner_everywhere(monkeypatch):
    monkeypatch.setattr(_batch_inner, "MIN_BATCH", 1)
    monkeypatch.setattr(_batch_inner, "MIN_TAPS", 1)
    monkeypatch.setattr(_kernels, "_takes_flipped_path", lambda c, f, g: False)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_batch_inner_equals_the_loop_twins(name, xs, ws, kw, bias, batch_inner_everywhere):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    out, cache = conv2d_forward(x, w, b, **kw)
    assert _batch_inner.eligible(xs, ws[0], cache.geom, 1, 8, False) and cache.cols is None
    ref, ref_cache = conv2d_forward_naive(x, w, b, **kw)
    np.testing.assert_allclose(out, ref, **TOL)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(conv2d_backward(dout, cache), conv2d_backward_naive(dout, ref_cache)):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, **TOL)


def test_default_choice():
    """LeNet-5's second layer takes it; a 3x3 kernel, a small batch, groups or the flipped path do not."""
    def geom(xs, ws, **kw):
        return conv2d_forward(np.zeros(xs), np.zeros(ws), **kw)[1].geom

    lenet = geom((64, 6, 14, 14), (16, 6, 5, 5))
    assert _batch_inner.eligible((64, 6, 14, 14), 16, lenet, 1, 4, False)
    assert not _batch_inner.eligible((8, 6, 14, 14), 16, lenet, 1, 4, False)
    assert not _batch_inner.eligible((64, 6, 14, 14), 16, lenet, 2, 4, False)
    assert not _batch_inner.eligible((64, 6, 14, 14), 16, lenet, 1, 4, True)
    assert not _batch_inner.eligible((64, 6, 14, 14), 16, geom((64, 6, 14, 14), (16, 6, 3, 3)), 1, 4, False)
    assert not _batch_inner.eligible((64, 1, 14, 14), 32, lenet, 1, 4, False)  # more filters than column rows


def test_lenet_layer_against_the_per_sample_kernels(monkeypatch):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((16, 6, 14, 14)), rng.standard_normal((16, 6, 5, 5)), rng.standard_normal(16)
    out, cache = conv2d_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    got = conv2d_backward(dout, cache)
    monkeypatch.setattr(_batch_inner, "MIN_BATCH", 10**9)
    out2, cache2 = conv2d_forward(x, w, b)
    assert cache2.cols is not None  # the per-sample kernels kept their columns
    np.testing.assert_allclose(out, out2, **TOL)
    for a, b_ in zip(got, conv2d_backward(dout, cache2)):
        np.testing.assert_allclose(a, b_, **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transpose_helper(dtype, monkeypatch):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((7, 12)).astype(dtype)[:, 2:9]
    out = np.empty((7, 7), dtype)
    _blas.transpose(a, out)
    np.testing.assert_array_equal(out, a.T)
    monkeypatch.setattr(_blas, "_funcs", lambda: None)  # NumPy's copy when OpenBLAS is not callable
    out[...] = 0
    _blas.transpose(a, out)
    np.testing.assert_array_equal(out, a.T)
    with pytest.raises(ValueError, match="do not match"):
        _blas.transpose(a, np.empty((7, 6), dtype))


def test_against_torch():
    """Shapes that take the path by default (batch >= MIN_BATCH, >= MIN_TAPS taps), float64 and float32."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    done = 0
    while done < 40:
        dtype, tol = (np.float64, 1e-10) if done % 4 else (np.float32, 1e-4)
        n = _batch_inner.MIN_BATCH + int(rng.integers(0, 3))
        c, f = int(rng.integers(1, 5)), int(rng.integers(1, 9))
        h, w = (int(v) for v in rng.integers(4, 12, size=2))
        k = (int(rng.integers(4, 6)), int(rng.integers(4, 6)))
        s = tuple(int(v) for v in rng.integers(1, 3, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        pads = tuple(tuple(int(v) for v in rng.integers(0, 3, size=2)) for _ in range(2))
        if not all(kernel_fits(hw, kk, dd, lo, hi) for hw, (lo, hi), kk, dd in zip((h, w), pads, k, d)):
            continue
        x = rng.standard_normal((n, c, h, w)).astype(dtype)
        wt = rng.standard_normal((f, c) + k).astype(dtype)
        b = rng.standard_normal(f).astype(dtype)
        out, cache = conv2d_forward(x, wt, b, stride=s, padding=pads, dilation=d)
        flipped = _kernels._takes_flipped_path(c, f, cache.geom)
        if not _batch_inner.eligible(x.shape, f, cache.geom, 1, x.itemsize, flipped):
            continue
        dout = rng.standard_normal(out.shape).astype(dtype)
        tx, tw, tb = (torch.from_numpy(a).requires_grad_(True) for a in (x, wt, b))
        (hl, hh), (wl, wh) = pads
        tout = F.conv2d(F.pad(tx, (wl, wh, hl, hh)), tw, tb, stride=s, dilation=d)
        tout.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=tol, atol=tol)
        for got, want in zip(conv2d_backward(dout, cache), (tx, tw, tb)):
            np.testing.assert_allclose(got, want.grad.numpy(), rtol=tol, atol=tol)
        done += 1
