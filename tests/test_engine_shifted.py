"""The shifted-product kernels (stride 1, many channels) against the loop twins and PyTorch.

``convcalc.engine._shifted`` runs a stride-1 convolution as one matrix
product per kernel tap over shifted views of a flattened padded grid, summed
inside BLAS (``convcalc.engine._blas.gemm`` with ``beta = 1``). These tests
force that path on small shapes (``MIN_CHANNELS = 1``) and compare it with
``conv2d_*_naive`` in float64, check the layer sizes where it is chosen by
default against PyTorch, and check the direct BLAS call itself against NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.engine import (
    _blas,
    _kernels,
    _shifted,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_forward,
    conv_transpose2d_forward_naive,
    numerical_gradient,
    rel_error,
)
from tests.oracles import kernel_fits

pytestmark = pytest.mark.skipif(not _blas.available(), reason="NumPy's OpenBLAS is not callable here")

TOL = {"rtol": 1e-12, "atol": 1e-12}

# (id, x shape, w shape, keyword arguments): every one stride 1
CASES = [
    ("pad1", (3, 4, 7, 6), (5, 4, 3, 3), {"padding": 1}),
    ("valid_5x5", (2, 3, 9, 9), (4, 3, 5, 5), {}),
    ("asymmetric_dilated", (2, 3, 8, 9), (2, 3, 2, 3), {"padding": ((2, 0), (1, 3)), "dilation": (2, 1)}),
    ("full", (1, 2, 5, 4), (3, 2, 3, 2), {"padding": "full"}),
    ("same_even_dilated", (2, 2, 7, 7), (3, 2, 4, 2), {"padding": "same", "dilation": 2}),
    ("padding_beyond_kernel", (2, 2, 4, 5), (2, 2, 2, 2), {"padding": 3}),
    ("kernel_is_input", (2, 3, 4, 5), (2, 3, 4, 5), {}),
    ("one_by_one", (2, 3, 4, 4), (5, 3, 1, 1), {"padding": (0, 1)}),
    ("one_row", (3, 2, 1, 9), (2, 2, 1, 3), {"padding": ((0, 0), (2, 1))}),
    ("batch_1", (1, 4, 6, 6), (4, 4, 3, 3), {"padding": 1}),
]
IDS = [c[0] for c in CASES]


@pytest.fixture
def shifted_everywhere(monkeypatch):
    monkeypatch.setattr(_shifted, "MIN_CHANNELS", 1)


def _check(xs, ws, kw, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    out, cache = conv2d_forward(x, w, b, **kw)
    assert _shifted.eligible(xs[1], ws[0], cache.geom, 1, x.dtype) and cache.cols is None
    ref, ref_cache = conv2d_forward_naive(x, w, b, **kw)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, **TOL)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(conv2d_backward(dout, cache), conv2d_backward_naive(dout, ref_cache)):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("shift_dout", [True, False], ids=["dout_shifted", "dout_plain"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_shifted_products_equal_the_loop_twins(name, xs, ws, kw, bias, shift_dout, shifted_everywhere,
                                               monkeypatch):
    monkeypatch.setattr(_shifted, "SHIFT_DOUT", shift_dout)
    _check(xs, ws, kw, bias)


@pytest.mark.parametrize("name,xs,ws,kw", CASES[:5], ids=IDS[:5])
def test_shifted_transposed_convolution_equals_the_scatter_twin(name, xs, ws, kw, shifted_everywhere):
    """conv_transpose2d runs on the same products (its forward is the input gradient)."""
    rng = np.random.default_rng(1)
    kw = {k: v for k, v in kw.items() if not isinstance(v, str)}
    # transposed weights are (C_in, C_out, kh, kw): reuse the case's w as (x channels, out channels)
    x, w, b = rng.standard_normal(xs), rng.standard_normal((xs[1],) + ws[:1] + ws[2:]), rng.standard_normal(ws[0])
    out, cache = conv_transpose2d_forward(x, w, b, **kw)
    ref, ref_cache = conv_transpose2d_forward_naive(x, w, b, **kw)
    np.testing.assert_allclose(out, ref, **TOL)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(conv_transpose2d_backward(dout, cache), conv_transpose2d_backward_naive(dout, ref_cache)):
        np.testing.assert_allclose(got, want, **TOL)


def test_default_choice():
    """Taken for stride 1, no groups and >= MIN_CHANNELS channels each side; otherwise im2col."""
    m = _shifted.MIN_CHANNELS

    def geom(**kw):
        return conv2d_forward(np.zeros((1, m, 6, 6)), np.zeros((m, m, 3, 3)), **kw)[1].geom

    assert _shifted.eligible(m, m, geom(padding=1), 1, np.float32)
    assert _shifted.eligible(m, m, geom(dilation=2), 1, np.float64)
    assert not _shifted.eligible(m, m, geom(stride=(1, 2)), 1, np.float32)
    assert not _shifted.eligible(m, m, geom(), 2, np.float32)
    assert not _shifted.eligible(m - 1, m, geom(), 1, np.float32)
    assert not _shifted.eligible(m, m - 1, geom(), 1, np.float32)
    assert not _kernels.keeps_cols((1, m, 6, 6), m, geom(), np.float32)


def test_layer_sized_case_and_numerical_gradient():
    """A case that takes the path by default: loop twins, then a float64 numerical gradient."""
    m = _shifted.MIN_CHANNELS
    _check((2, m, 5, 6), (m + 2, m, 3, 3), {"padding": 1}, seed=4)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((1, m, 4, 4)), rng.standard_normal((m, m, 3, 3))
    out, cache = conv2d_forward(x, w, padding=1)
    dout = rng.standard_normal(out.shape)
    dx, dw, _ = conv2d_backward(dout, cache)
    assert rel_error(dx, numerical_gradient(lambda v: conv2d_forward(v, w, padding=1)[0], x, dout, h=1e-3)) < 1e-8
    assert rel_error(dw, numerical_gradient(lambda v: conv2d_forward(x, v, padding=1)[0], w, dout, h=1e-3)) < 1e-8


def test_without_direct_blas_the_im2col_kernels_answer(monkeypatch, shifted_everywhere):
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    out, cache = conv2d_forward(x, w, padding=1)
    monkeypatch.setattr(_blas, "available", lambda: False)
    out2, cache2 = conv2d_forward(x, w, padding=1)
    np.testing.assert_allclose(out, out2, **TOL)
    dout = rng.standard_normal(out.shape)
    for a, b in zip(conv2d_backward(dout, cache)[:2], conv2d_backward(dout, cache2)[:2]):
        np.testing.assert_allclose(a, b, **TOL)


def test_non_contiguous_inputs(shifted_everywhere):
    rng = np.random.default_rng(7)
    x = np.ascontiguousarray(rng.standard_normal((2, 6, 7, 3))).transpose(0, 3, 1, 2)
    w = rng.standard_normal((4, 3, 3, 3))[:, :, ::-1, :]
    out, cache = conv2d_forward(x, w, padding=1)
    ref, ref_cache = conv2d_forward_naive(np.ascontiguousarray(x), np.ascontiguousarray(w), padding=1)
    np.testing.assert_allclose(out, ref, **TOL)
    dout = rng.standard_normal(out.shape[:2] + (2 * out.shape[2], out.shape[3]))[:, :, ::2]
    for got, want in zip(conv2d_backward(dout, cache), conv2d_backward_naive(np.ascontiguousarray(dout), ref_cache)):
        if want is not None:
            np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5])
def test_gemm_on_strided_views_equals_numpy(dtype, trans_a, trans_b, beta):
    rng = np.random.default_rng(8)
    m, n, k = 5, 7, 3
    big = rng.standard_normal((12, 40)).astype(dtype)
    a = big[1:1 + (k if trans_a else m), 2:2 + (m if trans_a else k)]
    b = big[3:3 + (n if trans_b else k), 9:9 + (k if trans_b else n)]
    c0 = rng.standard_normal((m, 2 * n)).astype(dtype)
    c = c0.copy()
    _blas.gemm(a, b, c[:, 3:3 + n], beta=beta, trans_a=trans_a, trans_b=trans_b)
    want = c0.copy()
    want[:, 3:3 + n] = (a.T if trans_a else a) @ (b.T if trans_b else b) + beta * c0[:, 3:3 + n]
    np.testing.assert_allclose(c, want, rtol=1e-5 if dtype == np.float32 else 1e-13)


def test_gemm_refuses_what_blas_cannot_read():
    a, b = np.ones((3, 4)), np.ones((4, 2))
    with pytest.raises(ValueError, match="unit inner stride"):
        _blas.gemm(a[:, ::2], b[:2], np.empty((3, 2)))
    with pytest.raises(ValueError, match="do not match"):
        _blas.gemm(a, b, np.empty((3, 3)))
    with pytest.raises(ValueError, match="do not match"):
        _blas.gemm(a, b.astype(np.float32), np.empty((3, 2)))


def test_gemm_with_empty_sum():
    c = np.full((2, 3), np.nan)
    _blas.gemm(np.ones((2, 0)), np.ones((0, 3)), c)
    np.testing.assert_array_equal(c, 0.0)


# --------------------------------------------------------------------------- PyTorch
def _torch_sweep(dtype, count, tol, seed):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    F = torch.nn.functional
    rng = np.random.default_rng(seed)
    m = _shifted.MIN_CHANNELS
    done = 0
    while done < count:
        n, c, f = int(rng.integers(1, 3)), int(rng.integers(m, m + 5)), int(rng.integers(m, m + 5))
        h, w = (int(v) for v in rng.integers(1, 9, size=2))
        k = tuple(int(v) for v in rng.integers(1, 4, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        pads = tuple(tuple(int(v) for v in rng.integers(0, 3, size=2)) for _ in range(2))
        if not all(kernel_fits(hw, kk, dd, lo, hi) for hw, (lo, hi), kk, dd in zip((h, w), pads, k, d)):
            continue
        x = rng.standard_normal((n, c, h, w)).astype(dtype)
        wt = rng.standard_normal((f, c) + k).astype(dtype)
        b = rng.standard_normal(f).astype(dtype)
        out, cache = conv2d_forward(x, wt, b, padding=pads, dilation=d)
        assert _shifted.eligible(c, f, cache.geom, 1, x.dtype)
        dout = rng.standard_normal(out.shape).astype(dtype)
        tx, tw, tb = (torch.from_numpy(a).requires_grad_(True) for a in (x, wt, b))
        (hl, hh), (wl, wh) = pads
        tout = F.conv2d(F.pad(tx, (wl, wh, hl, hh)), tw, tb, dilation=d)
        tout.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), **tol)
        for got, want in zip(conv2d_backward(dout, cache), (tx, tw, tb)):
            np.testing.assert_allclose(got, want.grad.numpy(), **tol)
        done += 1


def test_against_torch_float64():
    _torch_sweep(np.float64, 120, {"rtol": 1e-10, "atol": 1e-10}, seed=10)


def test_against_torch_float32():
    _torch_sweep(np.float32, 30, {"rtol": 1e-4, "atol": 1e-4}, seed=11)


def test_transposed_against_torch_float64():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(12)
    m = _shifted.MIN_CHANNELS
    for _ in range(40):
        n, c, f = int(rng.integers(1, 3)), int(rng.integers(m, m + 4)), int(rng.integers(m, m + 4))
        h, w = (int(v) for v in rng.integers(1, 7, size=2))
        k = tuple(int(v) for v in rng.integers(1, 4, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        p = int(rng.integers(0, 2))
        x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((c, f) + k), rng.standard_normal(f)
        try:
            out, cache = conv_transpose2d_forward(x, wt, b, padding=p, dilation=d)
        except ValueError:
            continue  # geometry the arithmetic core rejects
        dout = rng.standard_normal(out.shape)
        tx, tw, tb = (torch.from_numpy(a).requires_grad_(True) for a in (x, wt, b))
        tout = torch.nn.functional.conv_transpose2d(tx, tw, tb, padding=p, dilation=d)
        tout.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-10)
        for got, want in zip(conv_transpose2d_backward(dout, cache), (tx, tw, tb)):
            np.testing.assert_allclose(got, want.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_grid_buffers_shared_by_layers_of_a_network(shifted_everywhere):
    """Forward through three layers, backward in reverse, twice: each layer's grids reuse the same
    buffers with other layouts in between, and skip re-zeroing only when the layout is unchanged."""
    rng = np.random.default_rng(13)
    layers = [((2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}), ((2, 4, 7, 6), (4, 4, 2, 3), {"padding": (2, 0)}),
              ((2, 4, 8, 6), (3, 4, 3, 3), {"dilation": 2, "padding": 2})]
    params = [(rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0]), kw)
              for xs, ws, kw in layers]
    for _ in range(2):
        caches = [conv2d_forward(x, w, b, **kw) for x, w, b, kw in params]
        douts = [rng.standard_normal(out.shape) for out, _ in caches]
        grads = [conv2d_backward(d, cache) for d, (_, cache) in reversed(list(zip(douts, caches)))][::-1]
        for (x, w, b, kw), (out, _), d, got in zip(params, caches, douts, grads):
            ref, ref_cache = conv2d_forward_naive(x, w, b, **kw)
            np.testing.assert_allclose(out, ref, **TOL)
            for g, r in zip(got, conv2d_backward_naive(d, ref_cache)):
                np.testing.assert_allclose(g, r, **TOL)


def test_marked_workspace():
    from convcalc.engine._runtime import marked_workspace, release_workspaces

    release_workspaces()
    assert not marked_workspace("t", (2, 3), np.float64, "a")[1]
    assert marked_workspace("t", (2, 3), np.float64, "a")[1]
    assert not marked_workspace("t", (2, 3), np.float64, "b")[1]
    assert not marked_workspace("t", (3, 2), np.float64, "b")[1]
    assert marked_workspace("t", (3, 2), np.float64, "b")[1]
    assert not marked_workspace("t", (30, 2), np.float64, "b")[1]  # grown: new memory
    release_workspaces()
    assert not marked_workspace("t", (30, 2), np.float64, "b")[1]


@pytest.mark.parametrize("threads", [2, 3, 7])
@pytest.mark.parametrize("shift_dout", [True, False], ids=["dout_shifted", "dout_plain"])
@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_split_over_threads_equals_the_loop_twins(name, xs, ws, kw, shift_dout, threads, shifted_everywhere,
                                                  monkeypatch):
    """Inside engine_threads(n) each thread fills, multiplies and crops its own samples (forward, input
    gradient) or sums the weight gradient over its own grid columns: the same answers as the twins, also
    with more threads than samples, and for the transposed convolution that runs on the same products."""
    from convcalc.engine._runtime import engine_threads

    monkeypatch.setattr(_shifted, "SHIFT_DOUT", shift_dout)
    with engine_threads(threads):
        _check(xs, ws, kw, bias=True, seed=threads)
        if name in IDS[:5]:
            test_shifted_transposed_convolution_equals_the_scatter_twin(name, xs, ws, kw, None)
