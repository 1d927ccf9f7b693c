"""The fused convolution + max pooling (+ ReLU) against its loop twins, PyTorch and the numerical gradient.

Oracles: ``conv2d_maxpool2d_*_naive`` compose the naive convolution and naive max
pooling (themselves checked against PyTorch in test_engine_torch.py); integer data makes
the comparison exact and full of ties, where the first-maximum rule matters. PyTorch's
``Conv2d -> ReLU -> MaxPool2d`` autograd is the independent oracle for NaN, -inf and
random geometry.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.engine import (axpy, conv2d_maxpool2d_backward, conv2d_maxpool2d_backward_naive,
                             conv2d_maxpool2d_forward, conv2d_maxpool2d_forward_naive, numerical_gradient,
                             rel_error)
from convcalc.engine import _blas, conv_pool


def _random_case(rng: np.random.Generator) -> dict:
    return {
        "n": int(rng.integers(1, 4)), "c": int(rng.integers(1, 4)), "f": int(rng.integers(1, 4)),
        "kernel": tuple(int(v) for v in rng.integers(1, 4, 2)),
        "stride": tuple(int(v) for v in rng.integers(1, 3, 2)),
        "dilation": tuple(int(v) for v in rng.integers(1, 3, 2)),
        "padding": tuple(int(v) for v in rng.integers(0, 3, 2)),
        "pool": tuple(int(v) for v in rng.integers(1, 4, 2)),
        "size": tuple(int(v) for v in rng.integers(5, 13, 2)),
        "relu": bool(rng.integers(0, 2)),
    }


def _arrays(case: dict, rng: np.random.Generator, integer: bool = True):
    x_shape = (case["n"], case["c"]) + case["size"]
    w_shape = (case["f"], case["c"]) + case["kernel"]
    if integer:  # small integers: exact sums, and many tied maxima
        return (rng.integers(-2, 3, x_shape).astype(float), rng.integers(-1, 2, w_shape).astype(float),
                rng.integers(-1, 2, case["f"]).astype(float))
    return rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(case["f"])


def _kw(case: dict) -> dict:
    return {k: case[k] for k in ("pool", "stride", "padding", "dilation", "relu")}


def test_exactly_the_naive_twins_on_integers_with_ties():
    rng = np.random.default_rng(0)
    checked = 0
    while checked < 250:
        case = _random_case(rng)
        x, w, b = _arrays(case, rng)
        try:
            ref, ref_cache = conv2d_maxpool2d_forward_naive(x, w, b, **_kw(case))
        except ConvCalcError:
            with pytest.raises(ConvCalcError):
                conv2d_maxpool2d_forward(x, w, b, **_kw(case))
            continue
        out, cache = conv2d_maxpool2d_forward(x, w, b, **_kw(case))
        np.testing.assert_array_equal(out, ref, err_msg=str(case))
        dout = rng.integers(-3, 4, out.shape).astype(float)
        dx, dw, db = conv2d_maxpool2d_backward(dout, cache)
        rdx, rdw, rdb = conv2d_maxpool2d_backward_naive(dout, ref_cache)
        np.testing.assert_array_equal(dx, rdx, err_msg=str(case))
        np.testing.assert_array_equal(dw, rdw, err_msg=str(case))
        np.testing.assert_array_equal(db, rdb, err_msg=str(case))
        none, dw2, _ = conv2d_maxpool2d_backward(dout, cache, input_grad=False)
        assert none is None
        np.testing.assert_array_equal(dw2, dw)
        checked += 1


@pytest.mark.parametrize("shape", [
    (16, 1, 28, 28, 8, 3),   # HW5's first layer: thin columns, blocked products
    (8, 1, 32, 32, 6, 5),    # LeNet-5's first layer
    (4, 6, 14, 14, 16, 5),   # LeNet-5's second layer: one product
    (4, 8, 13, 13, 12, 3),   # hw5-2conv's second layer: a dropped row and column
])
def test_seed_layer_shapes_against_the_twins(shape):
    n, c, h, f, k = shape[0], shape[1], shape[2], shape[4], shape[5]
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((n, c, h, h)), rng.standard_normal((f, c, k, k)), rng.standard_normal(f)
    out, cache = conv2d_maxpool2d_forward(x, w, b, relu=True)
    ref, ref_cache = conv2d_maxpool2d_forward_naive(x, w, b, relu=True)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(conv2d_maxpool2d_backward(dout, cache), conv2d_maxpool2d_backward_naive(dout, ref_cache)):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


def test_blocked_products_are_used_and_agree():
    """HW5-sized thin columns split into blocks; the result does not depend on the split."""
    assert conv_pool._blocks(9, 4 * 169 * 32) > 1
    assert conv_pool._blocks(288, 4 * 25 * 32) == 1
    rng = np.random.default_rng(2)
    w2, cols = rng.standard_normal((7, 9)), rng.standard_normal((9, 4 * 169 * 32))
    np.testing.assert_allclose(conv_pool._product(w2, cols), w2 @ cols, rtol=1e-12)
    d = rng.standard_normal((7, cols.shape[1]))
    np.testing.assert_allclose(conv_pool._weight_product(d, cols), d @ cols.T, rtol=1e-11)


def test_filter_chunks_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((4, 2, 12, 12)), rng.standard_normal((9, 2, 3, 3)), rng.standard_normal(9)
    whole, _ = conv2d_maxpool2d_forward(x, w, b, relu=True)
    monkeypatch.setattr(conv_pool, "_CHUNK_BYTES", 1)  # one filter at a time
    chunked, cache = conv2d_maxpool2d_forward(x, w, b, relu=True)
    np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-13)  # products of other sizes: other rounding
    ref, ref_cache = conv2d_maxpool2d_forward_naive(x, w, b, relu=True)
    dout = rng.standard_normal(whole.shape)
    for got, want in zip(conv2d_maxpool2d_backward(dout, cache), conv2d_maxpool2d_backward_naive(dout, ref_cache)):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("pool", [(2, 2), (3, 3), (2, 3), (1, 2)])
def test_numerical_gradient(pool):
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 2, 9, 10)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    out, cache = conv2d_maxpool2d_forward(x, w, b, pool=pool, padding=1, relu=True)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_maxpool2d_backward(dout, cache)

    def f(_):
        return conv2d_maxpool2d_forward(x, w, b, pool=pool, padding=1, relu=True)[0]

    assert rel_error(dx, numerical_gradient(f, x, dout)) < 1e-7
    assert rel_error(dw, numerical_gradient(f, w, dout)) < 1e-7
    assert rel_error(db, numerical_gradient(f, b, dout)) < 1e-7


def test_dtype_and_shapes():
    x = np.ones((2, 3, 10, 10), np.float32)
    out, cache = conv2d_maxpool2d_forward(x, np.ones((4, 3, 3, 3), np.float32), np.zeros(4, np.float32), pool=(2, 4))
    assert out.dtype == np.float32 and out.shape == (2, 4, 4, 2)  # conv 8x8, floor(8/2) x floor(8/4)
    dx, dw, db = conv2d_maxpool2d_backward(np.ones_like(out), cache)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    assert dx.shape == x.shape and dw.shape == (4, 3, 3, 3) and db.shape == (4,)
    out, cache = conv2d_maxpool2d_forward(np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)))
    assert out.dtype == np.float64 and conv2d_maxpool2d_backward(np.ones_like(out), cache)[2] is None


def test_errors_name_the_parameter():
    x, w = np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3))
    with pytest.raises(ConvCalcError, match="pool"):
        conv2d_maxpool2d_forward(x, w, pool=0)
    with pytest.raises(ConvCalcError):  # a 5x5 window on a 4x4 convolution output
        conv2d_maxpool2d_forward(x, w, pool=5)
    with pytest.raises(ConvCalcError, match="channels"):
        conv2d_maxpool2d_forward(np.ones((1, 2, 6, 6)), w)
    out, cache = conv2d_maxpool2d_forward(x, w)
    with pytest.raises(ConvCalcError):
        conv2d_maxpool2d_backward(np.ones((1, 1, 3, 3)), cache)


def test_axpy_matches_numpy_with_and_without_blas(monkeypatch):
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        x, y = rng.standard_normal((7, 9)).astype(dtype), rng.standard_normal((7, 9)).astype(dtype)
        want = y + dtype(-0.3) * x
        got = y.copy()
        axpy(-0.3, x, got)
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-15)
    monkeypatch.setattr(_blas, "_funcs", lambda: None)
    got = y.copy()
    axpy(-0.3, x, got)
    np.testing.assert_allclose(got, want, rtol=1e-15)
    with pytest.raises(ValueError):
        axpy(1.0, x[:, ::2], np.zeros((7, 5)))


# --------------------------------------------------------------------------- PyTorch
def _torch_block(x, w, b, case):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    z = torch.nn.functional.conv2d(xt, wt, bt, stride=case["stride"], padding=case["padding"],
                                   dilation=case["dilation"])
    if case["relu"]:
        z = torch.relu(z)
    out = torch.nn.functional.max_pool2d(z, case["pool"])
    return out, (xt, wt, bt)


def test_against_torch_random_geometry():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    checked = 0
    while checked < 150:
        case = _random_case(rng)
        case["padding"] = tuple(min(p, (k - 1) * d // 2 + 1) for p, k, d in
                                zip(case["padding"], case["kernel"], case["dilation"]))
        x, w, b = _arrays(case, rng, integer=bool(checked % 2))
        try:
            out, cache = conv2d_maxpool2d_forward(x, w, b, **_kw(case))
        except ConvCalcError:
            continue
        ref, leaves = _torch_block(x, w, b, case)
        np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=str(case))
        dout = rng.standard_normal(out.shape)
        ref.backward(torch.tensor(dout))
        for got, leaf in zip(conv2d_maxpool2d_backward(dout, cache), leaves):
            np.testing.assert_allclose(got, leaf.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=str(case))
        checked += 1


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # 0 * -inf in dw, as in PyTorch
@pytest.mark.parametrize("special", ["nan", "two_nans", "neg_inf", "all_neg_inf"])
def test_nan_and_infinity_follow_torch(special):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    case = {"stride": 1, "padding": 0, "dilation": 1, "pool": 2, "relu": False}
    x = rng.standard_normal((2, 1, 7, 7))
    w = np.ones((2, 1, 1, 1))  # 1x1 filters: the convolution output is the input, cell for cell
    w[1] = -1.0
    b = np.zeros(2)
    if special == "nan":
        x[0, 0, 2, 3] = np.nan
    elif special == "two_nans":
        x[0, 0, 2, 2] = x[0, 0, 3, 3] = np.nan
    elif special == "neg_inf":
        x[1, 0, 0, 0] = -np.inf
    else:
        x[1, 0, 0:2, 0:2] = -np.inf
        w[1] = 1.0
    out, cache = conv2d_maxpool2d_forward(x, w, b, pool=2)
    ref, (xt, wt, bt) = _torch_block(x, w, b, case)
    np.testing.assert_array_equal(out, ref.detach().numpy())
    dout = rng.standard_normal(out.shape)
    ref.backward(torch.tensor(dout))
    dx, dw, db = conv2d_maxpool2d_backward(dout, cache)
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-12)  # NaN where PyTorch has NaN
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-12)
