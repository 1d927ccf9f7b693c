"""conv2d / conv1d against independent oracles: exact correlation, SciPy, the loop twin,
numerical gradients and the arithmetic core's sizes. (PyTorch sweeps: test_engine_torch.py.)"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import signal

from convcalc import ConvCalcError, conv_output_size, exact
from convcalc.engine import (
    conv1d_backward,
    conv1d_forward,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    numerical_gradient,
    rel_error,
)

# (id, x shape, w shape, keyword arguments): the edge cases the issue names, and a few more.
CASES = [
    ("pad0", (2, 3, 7, 6), (4, 3, 3, 3), {}),
    ("kernel_equals_input", (2, 2, 5, 4), (3, 2, 5, 4), {}),
    ("stride_gt_kernel", (1, 2, 9, 8), (2, 2, 2, 2), {"stride": 3}),
    ("even_kernel_same", (2, 2, 6, 7), (3, 2, 4, 2), {"padding": "same"}),
    ("even_kernel_same_dilated", (1, 2, 7, 7), (2, 2, 2, 4), {"padding": "same", "dilation": 2}),
    ("batch1", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": 1}),
    ("full", (2, 1, 4, 3), (2, 1, 3, 2), {"padding": "full"}),
    ("asymmetric", (2, 2, 6, 5), (3, 2, 3, 2), {"padding": ((0, 2), (1, 0))}),
    ("per_axis", (2, 2, 9, 7), (2, 2, 3, 2), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}),
    ("groups", (2, 6, 6, 6), (4, 3, 3, 3), {"groups": 2, "padding": 1}),
    ("depthwise", (2, 3, 5, 6), (6, 1, 3, 3), {"groups": 3, "stride": 2}),
    ("unused_tail", (1, 2, 8, 8), (2, 2, 3, 3), {"stride": 3, "padding": ((0, 3), (2, 2))}),
    ("one_by_one", (3, 4, 3, 3), (5, 4, 1, 1), {}),
]
IDS = [c[0] for c in CASES]


def _data(xs, ws, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype),
            rng.standard_normal(ws[0]).astype(dtype))


@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_forward_and_backward_equal_the_loop_twin(name, xs, ws, kw):
    x, w, b = _data(xs, ws)
    out, cache = conv2d_forward(x, w, b, **kw)
    ref, ref_cache = conv2d_forward_naive(x, w, b, **kw)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    for got, want in zip(conv2d_backward(dout, cache), conv2d_backward_naive(dout, ref_cache)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_output_shape_is_the_calculators(name, xs, ws, kw):
    x, w, _ = _data(xs, ws)
    out, _ = conv2d_forward(x, w, **kw)
    predicted = conv_output_size(xs[2:], ws[2:], kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1))
    assert out.shape == (xs[0], ws[0]) + tuple(predicted)


def _num(f, x, dout):
    """Centred differences. A convolution is linear in each argument, so the difference
    quotient has no truncation error and a large step only shrinks the rounding error."""
    return numerical_gradient(f, x, dout, h=1e-3)


@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_every_gradient_matches_the_numerical_gradient(name, xs, ws, kw):
    x, w, b = _data(xs, ws, seed=2)
    out, cache = conv2d_forward(x, w, b, **kw)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert rel_error(dx, _num(lambda v: conv2d_forward(v, w, b, **kw)[0], x, dout)) < 1e-7
    assert rel_error(dw, _num(lambda v: conv2d_forward(x, v, b, **kw)[0], w, dout)) < 1e-7
    assert rel_error(db, _num(lambda v: conv2d_forward(x, w, v, **kw)[0], b, dout)) < 1e-7


EXACT_CASES = [
    ("valid", {}, {}),
    ("stride_dilation", {"stride": 2, "dilation": 2}, {"stride": 2, "dilation": 2}),
    ("same_even", {"padding": "same"}, {"mode": "same"}),
    ("full", {"padding": "full"}, {"mode": "full"}),
    ("asymmetric", {"padding": ((2, 0), (1, 3)), "stride": (1, 2)}, {"padding": ((2, 0), (1, 3)), "stride": (1, 2)}),
]


@pytest.mark.parametrize("name,engine_kw,exact_kw", EXACT_CASES, ids=[c[0] for c in EXACT_CASES])
def test_forward_equals_exact_correlation_on_integers(name, engine_kw, exact_kw):
    """Small integers keep every float64 product and sum exact, so equality is exact."""
    rng = np.random.default_rng(4)
    x = rng.integers(-9, 10, size=(8, 9))
    f = rng.integers(-5, 6, size=(4, 3))
    out, _ = conv2d_forward(x[None, None].astype(np.float64), f[None, None].astype(np.float64), **engine_kw)
    want = exact.correlate(x.tolist(), f.tolist(), **exact_kw)
    assert out[0, 0].tolist() == [[float(v) for v in row] for row in want]


def test_multichannel_integers_equal_the_loop_twin_exactly():
    rng = np.random.default_rng(5)
    x = rng.integers(-9, 10, size=(2, 4, 7, 7)).astype(np.float64)
    w = rng.integers(-5, 6, size=(6, 2, 3, 3)).astype(np.float64)
    kw = {"groups": 2, "stride": 2, "padding": 1}
    assert np.array_equal(conv2d_forward(x, w, **kw)[0], conv2d_forward_naive(x, w, **kw)[0])


@pytest.mark.parametrize("seed", range(6))
def test_forward_equals_scipy_correlate(seed):
    """Valid multi-channel correlation of one filter = scipy.signal.correlate over (C, H, W)."""
    rng = np.random.default_rng(seed)
    c, h, wd, kh, kw_ = rng.integers(1, 4), rng.integers(3, 12), rng.integers(3, 12), rng.integers(1, 4), rng.integers(1, 4)
    stride, pad = int(rng.integers(1, 3)), int(rng.integers(0, 3))
    x, w = rng.standard_normal((1, c, h, wd)), rng.standard_normal((1, c, kh, kw_))
    xp = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))
    want = signal.correlate(xp, w[0], mode="valid", method="direct")[0, ::stride, ::stride]
    got, _ = conv2d_forward(x, w, stride=stride, padding=pad)
    np.testing.assert_allclose(got[0, 0], want, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_close_to_float64():
    x, w, b = _data((2, 3, 9, 9), (4, 3, 3, 3), dtype=np.float32)
    out, cache = conv2d_forward(x, w, b, padding=1)
    assert out.dtype == np.float32
    grads = conv2d_backward(np.ones_like(out), cache)
    assert all(g.dtype == np.float32 for g in grads)
    ref, _ = conv2d_forward(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), padding=1)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_no_bias_gives_no_db():
    out, cache = conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    assert conv2d_backward(np.ones_like(out), cache)[2] is None


def test_conv1d_is_the_2d_kernel_on_one_row():
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 4, 17)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    kw = {"stride": 2, "padding": (2, 1), "dilation": 2, "groups": 2}
    out, cache = conv1d_forward(x, w, b, **kw)
    assert out.shape == (2, 6, conv_output_size(17, 3, 2, ((2, 1),), 2)[0])
    ref, _ = conv2d_forward_naive(x[:, :, None], w[:, :, None], b, stride=(1, 2), padding=((0, 0), (2, 1)),
                                  dilation=(1, 2), groups=2)
    np.testing.assert_allclose(out, ref[:, :, 0], rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv1d_backward(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape
    assert rel_error(dx, _num(lambda v: conv1d_forward(v, w, b, **kw)[0], x, dout)) < 1e-7
    assert rel_error(dw, _num(lambda v: conv1d_forward(x, v, b, **kw)[0], w, dout)) < 1e-7


def test_integer_input_runs_in_float64():
    out, _ = conv2d_forward(np.arange(16).reshape(1, 1, 4, 4), np.ones((1, 1, 2, 2), dtype=int))
    assert out.dtype == np.float64 and out[0, 0, 0, 0] == 10


def test_fraction_free_exact_oracle_agrees_on_a_rational_example():
    """exact.correlate with Fractions vs the float engine on dyadic values (exact in binary)."""
    x = [[Fraction(1, 2), 2, 3], [4, Fraction(-1, 4), 6], [7, 8, Fraction(9, 8)]]
    f = [[Fraction(1, 2), 1], [-1, Fraction(1, 4)]]
    want = exact.correlate(x, f, padding=1)
    got, _ = conv2d_forward(np.array(x, dtype=float)[None, None], np.array(f, dtype=float)[None, None], padding=1)
    assert got[0, 0].tolist() == [[float(v) for v in row] for row in want]


# (id, x shape, w shape, keyword arguments, what the message must mention)
INVALID = [
    ("channels", (1, 3, 5, 5), (2, 2, 3, 3), {}, r"\(1, 3, 5, 5\).*\(2, 2, 3, 3\)"),
    ("groups_in", (1, 3, 5, 5), (2, 1, 3, 3), {"groups": 2}, r"groups=2.*\(1, 3, 5, 5\).*\(2, 1, 3, 3\)"),
    ("groups_out", (1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, r"groups=2.*\(1, 4, 5, 5\).*\(3, 2, 3, 3\)"),
    ("bias", (1, 1, 5, 5), (2, 1, 3, 3), {"b": np.zeros(3)}, r"\(2,\).*\(2, 1, 3, 3\).*\(3,\)"),
    ("stride", (1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, "'stride'"),
    ("dilation", (1, 1, 5, 5), (1, 1, 3, 3), {"dilation": (1, 0)}, "'dilation'"),
    ("padding", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": -1}, "'padding'"),
    ("padding_text", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": "n"}, "'padding'"),
    ("same_strided", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2}, "stride 1"),
    ("too_big", (1, 1, 3, 3), (1, 1, 5, 5), {}, "larger than the padded input"),
    ("x_rank", (1, 5, 5), (1, 1, 3, 3), {}, "'x' array must have 4 axes"),
    ("w_rank", (1, 1, 5, 5), (1, 3, 3), {}, "'w' array must have 4 axes"),
    ("groups_zero", (1, 1, 5, 5), (1, 1, 3, 3), {"groups": 0}, "'groups'"),
]


@pytest.mark.parametrize("name,xs,ws,kw,match", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_raises_convcalc_error(name, xs, ws, kw, match):
    kw = dict(kw)
    b = kw.pop("b", None)
    with pytest.raises(ConvCalcError, match=match):
        conv2d_forward(np.zeros(xs), np.zeros(ws), b, **kw)


def test_dout_of_the_wrong_shape_is_refused():
    out, cache = conv2d_forward(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ConvCalcError, match="dout"):
        conv2d_backward(np.ones((1, 1, 2, 2)), cache)


@pytest.mark.parametrize("shape,w_shape,kw", [
    ((4, 1, 28, 28), (32, 1, 3, 3), {}),                       # the HW5 first layer
    ((3, 1, 32, 32), (6, 1, 5, 5), {}),                        # LeNet-5's first layer
    ((2, 16, 9, 9), (16, 16, 3, 3), {"padding": 1}),           # a shifted-product layer
    ((2, 4, 11, 10), (6, 2, 3, 2), {"stride": 2, "groups": 2, "dilation": (1, 2)}),
])
def test_backward_without_input_grad_gives_the_same_weight_gradients(shape, w_shape, kw) -> None:
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out, cache = conv2d_forward(x, w, b, **kw)
    dout = rng.standard_normal(out.shape)
    _, dw, db = conv2d_backward(dout, cache)
    dx_none, dw_only, db_only = conv2d_backward(dout, cache, input_grad=False)
    assert dx_none is None
    np.testing.assert_allclose(dw_only, dw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db_only, db, rtol=1e-10, atol=1e-10)
