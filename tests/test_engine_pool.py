"""max/avg pooling against exact pooling, the loop twins, numerical gradients and the
arithmetic core's sizes. (PyTorch sweeps: test_engine_torch.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import ConvCalcError, exact, pool_output_size
from convcalc.engine import (
    avg_pool1d_backward,
    avg_pool1d_forward,
    avg_pool2d_backward,
    avg_pool2d_backward_naive,
    avg_pool2d_forward,
    avg_pool2d_forward_naive,
    max_pool1d_backward,
    max_pool1d_forward,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_forward,
    max_pool2d_forward_naive,
    numerical_gradient,
    rel_error,
)

# (id, x shape, keyword arguments shared by max and average pooling)
CASES = [
    ("k2", (2, 3, 8, 8), {"kernel": 2}),
    ("odd_input", (1, 2, 7, 5), {"kernel": 2}),
    ("ceil", (2, 2, 7, 5), {"kernel": 2, "ceil_mode": True}),
    ("ceil_overhang_padding", (1, 2, 5, 5), {"kernel": 2, "padding": 1, "ceil_mode": True}),
    ("ceil_tiny_input", (1, 1, 1, 3), {"kernel": 2, "stride": 2, "ceil_mode": True}),
    ("overlap", (2, 2, 9, 8), {"kernel": 3, "stride": 1}),
    ("overlap_padded", (2, 2, 6, 7), {"kernel": 3, "stride": 2, "padding": 1}),
    ("stride_gt_kernel", (1, 2, 9, 9), {"kernel": 2, "stride": 3}),
    ("kernel_equals_input", (2, 2, 4, 5), {"kernel": (4, 5)}),
    ("per_axis", (2, 1, 9, 6), {"kernel": (3, 2), "stride": (2, 1), "padding": (1, 0), "ceil_mode": True}),
    ("asymmetric", (1, 2, 6, 6), {"kernel": 3, "stride": 2, "padding": ((0, 1), (1, 0))}),
    ("batch1", (1, 1, 4, 4), {"kernel": 2}),
    ("disjoint_k3_cropped", (2, 3, 9, 10), {"kernel": 3}),
    ("disjoint_padded", (2, 2, 7, 6), {"kernel": 2, "padding": 1}),
    ("disjoint_per_axis", (1, 2, 8, 9), {"kernel": (1, 3), "stride": (2, 4)}),
]
IDS = [c[0] for c in CASES]
DILATED = [
    ("dilated", (2, 2, 9, 9), {"kernel": 3, "stride": 2, "dilation": 2, "padding": 1}),
    ("dilated_ceil", (1, 2, 8, 7), {"kernel": 2, "dilation": (2, 3), "ceil_mode": True, "stride": 2}),
    ("dilated_disjoint", (2, 2, 10, 11), {"kernel": 2, "dilation": 2, "stride": 3, "padding": 1}),
]


def _distinct(shape, seed):
    """Distinct values with gaps >> the gradient-check step (no ties, so max is differentiable)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 + rng.uniform(0, 0.001, size=shape)


def _ties(shape, seed):
    return np.random.default_rng(seed).integers(0, 3, size=shape).astype(np.float64)


@pytest.mark.parametrize("name,xs,kw", CASES + DILATED, ids=IDS + [c[0] for c in DILATED])
@pytest.mark.parametrize("values", [_distinct, _ties], ids=["distinct", "ties"])
def test_max_pool_equals_the_loop_twin(name, xs, kw, values):
    x = values(xs, 0)
    out, cache = max_pool2d_forward(x, **kw)
    ref, ref_cache = max_pool2d_forward_naive(x, **kw)
    np.testing.assert_array_equal(out, ref)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    np.testing.assert_allclose(max_pool2d_backward(dout, cache), max_pool2d_backward_naive(dout, ref_cache),
                               rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name,xs,kw", CASES, ids=IDS)
@pytest.mark.parametrize("include", [True, False], ids=["include_pad", "exclude_pad"])
def test_avg_pool_equals_the_loop_twin(name, xs, kw, include):
    x = np.random.default_rng(2).standard_normal(xs)
    out, cache = avg_pool2d_forward(x, count_include_pad=include, **kw)
    ref, ref_cache = avg_pool2d_forward_naive(x, count_include_pad=include, **kw)
    np.testing.assert_allclose(out, ref, rtol=1e-14, atol=1e-14)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    np.testing.assert_allclose(avg_pool2d_backward(dout, cache), avg_pool2d_backward_naive(dout, ref_cache),
                               rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name,xs,kw", CASES + DILATED, ids=IDS + [c[0] for c in DILATED])
def test_max_pool_equals_exact_pooling(name, xs, kw):
    x = np.random.default_rng(4).integers(-20, 20, size=xs[2:])
    out, _ = max_pool2d_forward(x[None, None].astype(np.float64), **kw)
    assert out[0, 0].tolist() == [[float(v) for v in row] for row in exact.max_pool(x.tolist(), **kw)]


@pytest.mark.parametrize("name,xs,kw", CASES, ids=IDS)
@pytest.mark.parametrize("include", [True, False], ids=["include_pad", "exclude_pad"])
def test_avg_pool_equals_exact_pooling(name, xs, kw, include):
    """An exact integer sum divided once by an integer divisor is correctly rounded, and so
    is float(Fraction): the two agree to the last bit."""
    x = np.random.default_rng(5).integers(-20, 20, size=xs[2:])
    out, _ = avg_pool2d_forward(x[None, None].astype(np.float64), count_include_pad=include, **kw)
    want = exact.avg_pool(x.tolist(), count_include_pad=include, **kw)
    assert out[0, 0].tolist() == [[float(v) for v in row] for row in want]


@pytest.mark.parametrize("name,xs,kw", CASES + DILATED, ids=IDS + [c[0] for c in DILATED])
def test_shapes_are_the_calculators(name, xs, kw):
    x = np.zeros(xs)
    predicted = pool_output_size(xs[2:], kw["kernel"], kw.get("stride"), kw.get("padding", 0),
                                 kw.get("dilation", 1), kw.get("ceil_mode", False))
    assert max_pool2d_forward(x, **kw)[0].shape == xs[:2] + tuple(predicted)
    if "dilation" not in kw:
        assert avg_pool2d_forward(x, **kw)[0].shape == xs[:2] + tuple(predicted)


@pytest.mark.parametrize("name,xs,kw", CASES + DILATED, ids=IDS + [c[0] for c in DILATED])
def test_max_pool_gradient_is_numerical(name, xs, kw):
    x = _distinct(xs, 6)
    out, cache = max_pool2d_forward(x, **kw)
    dout = np.random.default_rng(7).standard_normal(out.shape)
    num = numerical_gradient(lambda v: max_pool2d_forward(v, **kw)[0], x, dout, h=1e-6)
    assert rel_error(max_pool2d_backward(dout, cache), num) < 1e-7


@pytest.mark.parametrize("name,xs,kw", CASES, ids=IDS)
@pytest.mark.parametrize("include", [True, False], ids=["include_pad", "exclude_pad"])
def test_avg_pool_gradient_is_numerical(name, xs, kw, include):
    """Average pooling is linear, so a large difference step has no truncation error."""
    x = np.random.default_rng(8).standard_normal(xs)
    out, cache = avg_pool2d_forward(x, count_include_pad=include, **kw)
    dout = np.random.default_rng(9).standard_normal(out.shape)
    num = numerical_gradient(lambda v: avg_pool2d_forward(v, count_include_pad=include, **kw)[0], x, dout, h=1e-3)
    assert rel_error(avg_pool2d_backward(dout, cache), num) < 1e-7


def test_ties_send_the_gradient_to_the_first_maximum():
    x = np.array([[[[2.0, 2.0, 1.0], [2.0, 0.0, 1.0], [1.0, 1.0, 1.0]]]])
    out, cache = max_pool2d_forward(x, 2, stride=1)
    dx = max_pool2d_backward(np.ones_like(out), cache)
    # windows (0,0) and (1,0) pick x[0,0] and x[1,0]; (0,1) picks x[0,1]; (1,1) picks x[1,2] (first 1)
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 0], [1, 0, 1], [0, 0, 0]])


DISJOINT = [{"kernel": 2}, {"kernel": 3, "ceil_mode": True}, {"kernel": 2, "padding": 1},
            {"kernel": (2, 3), "stride": (3, 4), "dilation": (1, 2), "ceil_mode": True},
            {"kernel": 2, "stride": 3, "dilation": 2, "padding": 1}]


@pytest.mark.parametrize("kw", DISJOINT, ids=[str(i) for i in range(len(DISJOINT))])
def test_disjoint_windows_with_ties_nan_and_minus_inf_follow_torch(kw):
    """The separable path for disjoint windows (stride >= dilated window) against PyTorch, on
    float32 values full of ties, NaN and -inf (and windows of -inf in the padding)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    x = rng.choice(np.array([-np.inf, -1.0, 0.0, 0.0, 2.0, np.nan], dtype=np.float32), size=(3, 4, 11, 13),
                   p=[0.2, 0.2, 0.25, 0.25, 0.08, 0.02])
    for values in (x, np.where(np.isnan(x), np.float32(1), x)):  # with and without NaN
        out, cache = max_pool2d_forward(values, **kw)
        tx = torch.from_numpy(values.copy()).requires_grad_(True)
        tout = torch.nn.functional.max_pool2d(tx, kw["kernel"], kw.get("stride"), kw.get("padding", 0),
                                              kw.get("dilation", 1), ceil_mode=kw.get("ceil_mode", False))
        np.testing.assert_array_equal(out, tout.detach().numpy())
        dout = rng.integers(1, 9, size=out.shape).astype(np.float32)
        tout.backward(torch.from_numpy(dout))
        np.testing.assert_array_equal(max_pool2d_backward(dout, cache), tx.grad.numpy())


def test_disjoint_windows_longer_than_a_byte_index():
    """300 taps per window: the winners' index outgrows uint8."""
    x = _ties((2, 1, 2, 650), 14)
    for kw in ({"kernel": (1, 300)}, {"kernel": (2, 300), "ceil_mode": True}):
        out, cache = max_pool2d_forward(x, **kw)
        ref, ref_cache = max_pool2d_forward_naive(x, **kw)
        np.testing.assert_array_equal(out, ref)
        dout = np.random.default_rng(15).standard_normal(out.shape)
        np.testing.assert_array_equal(max_pool2d_backward(dout, cache), max_pool2d_backward_naive(dout, ref_cache))


def test_a_window_only_in_padding_gives_minus_inf_and_no_gradient():
    """Input height 1, dilation 2, padding 1: the taps land on rows -1 and 1, outside the input."""
    x = np.arange(4.0).reshape(1, 1, 1, 4)
    kw = {"kernel": (2, 3), "stride": 1, "padding": 1, "dilation": (2, 1)}
    out, cache = max_pool2d_forward(x, **kw)
    ref, ref_cache = max_pool2d_forward_naive(x, **kw)
    assert np.isneginf(out).all() and np.array_equal(out, ref)
    assert not max_pool2d_backward(np.ones_like(out), cache).any()
    assert not max_pool2d_backward_naive(np.ones_like(out), ref_cache).any()


def test_float32_stays_float32():
    x = np.random.default_rng(10).standard_normal((2, 3, 6, 6)).astype(np.float32)
    for fwd, bwd in ((max_pool2d_forward, max_pool2d_backward), (avg_pool2d_forward, avg_pool2d_backward)):
        out, cache = fwd(x, 2, padding=1)
        assert out.dtype == np.float32 and bwd(np.ones_like(out), cache).dtype == np.float32


def test_1d_pools_are_the_2d_kernels_on_one_row():
    x = np.random.default_rng(11).standard_normal((2, 3, 11))
    out, cache = max_pool1d_forward(x, 3, 2, 1, 2, True)
    ref, _ = max_pool2d_forward_naive(x[:, :, None], (1, 3), (1, 2), ((0, 0), (1, 1)), (1, 2), True)
    np.testing.assert_array_equal(out, ref[:, :, 0])
    dout = np.random.default_rng(12).standard_normal(out.shape)
    assert rel_error(max_pool1d_backward(dout, cache),
                     numerical_gradient(lambda v: max_pool1d_forward(v, 3, 2, 1, 2, True)[0], x, dout, h=1e-6)) < 1e-7
    out, cache = avg_pool1d_forward(x, 4, 3, 2, True, False)
    ref, _ = avg_pool2d_forward_naive(x[:, :, None], (1, 4), (1, 3), ((0, 0), (2, 2)), True, False)
    np.testing.assert_allclose(out, ref[:, :, 0], rtol=1e-14)
    assert avg_pool1d_backward(np.ones_like(out), cache).shape == x.shape


INVALID = [
    ("padding_gt_half", {"kernel": 2, "padding": 2}, "'padding'"),
    ("kernel_zero", {"kernel": 0}, "'kernel'"),
    ("stride_zero", {"kernel": 2, "stride": 0}, "'stride'"),
    ("same", {"kernel": 3, "padding": "same"}, "'padding'"),
    ("too_big", {"kernel": 9}, "larger than the padded input"),
]


@pytest.mark.parametrize("name,kw,match", INVALID, ids=[c[0] for c in INVALID])
@pytest.mark.parametrize("forward", [max_pool2d_forward, avg_pool2d_forward], ids=["max", "avg"])
def test_invalid_pooling_raises(name, kw, match, forward):
    with pytest.raises(ConvCalcError, match=match):
        forward(np.zeros((1, 1, 5, 5)), **kw)


def test_pool_input_must_be_nchw():
    with pytest.raises(ConvCalcError, match=r"'x' array must have 4 axes.*\(5, 5\)"):
        max_pool2d_forward(np.zeros((5, 5)), 2)
