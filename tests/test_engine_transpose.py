"""conv_transpose2d against its scatter loop twin, the adjoint identity with conv2d,
numerical gradients and the arithmetic core's sizes. (PyTorch sweeps: test_engine_torch.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import ConvCalcError, transposed_output_size
from convcalc.engine import (
    conv2d_forward,
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_forward,
    conv_transpose2d_forward_naive,
    numerical_gradient,
    rel_error,
)

# (id, x shape, w shape (C_in, C_out/groups, kh, kw), keyword arguments)
CASES = [
    ("plain", (2, 3, 4, 5), (3, 2, 3, 3), {}),
    ("stride2_pad1", (2, 2, 4, 4), (2, 3, 4, 4), {"stride": 2, "padding": 1}),
    ("output_padding", (1, 2, 3, 4), (2, 2, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("op_from_dilation", (1, 1, 3, 3), (1, 1, 2, 2), {"stride": 1, "dilation": 3, "output_padding": 2}),
    ("per_axis", (2, 2, 3, 5), (2, 1, 2, 3), {"stride": (3, 1), "padding": (0, 1), "dilation": (2, 1)}),
    ("asymmetric", (1, 2, 4, 4), (2, 2, 3, 3), {"stride": 2, "padding": ((1, 0), (0, 2))}),
    ("groups", (2, 4, 3, 3), (4, 3, 2, 2), {"groups": 2, "stride": 2}),
    ("batch1_1x1", (1, 3, 2, 2), (3, 4, 1, 1), {}),
]
IDS = [c[0] for c in CASES]


def _data(xs, ws, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(xs), rng.standard_normal(ws)


def _bias(ws, kw, seed=0):
    return np.random.default_rng(seed + 100).standard_normal(ws[1] * kw.get("groups", 1))


@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_forward_and_backward_equal_the_scatter_twin(name, xs, ws, kw):
    x, w = _data(xs, ws)
    b = _bias(ws, kw)
    out, cache = conv_transpose2d_forward(x, w, b, **kw)
    ref, ref_cache = conv_transpose2d_forward_naive(x, w, b, **kw)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    for got, want in zip(conv_transpose2d_backward(dout, cache), conv_transpose2d_backward_naive(dout, ref_cache)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_output_shape_is_the_calculators(name, xs, ws, kw):
    x, w = _data(xs, ws)
    out, _ = conv_transpose2d_forward(x, w, **kw)
    predicted = transposed_output_size(xs[2:], ws[2:], kw.get("stride", 1), kw.get("padding", 0),
                                       kw.get("dilation", 1), kw.get("output_padding", 0))
    assert out.shape == (xs[0], ws[1] * kw.get("groups", 1)) + tuple(predicted)


@pytest.mark.parametrize("name,xs,ws,kw", CASES, ids=IDS)
def test_every_gradient_matches_the_numerical_gradient(name, xs, ws, kw):
    """Linear in each argument: a large step has no truncation error."""
    x, w = _data(xs, ws, seed=2)
    b = _bias(ws, kw, seed=2)
    out, cache = conv_transpose2d_forward(x, w, b, **kw)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    dx, dw, db = conv_transpose2d_backward(dout, cache)
    f = conv_transpose2d_forward
    assert rel_error(dx, numerical_gradient(lambda v: f(v, w, b, **kw)[0], x, dout, h=1e-3)) < 1e-7
    assert rel_error(dw, numerical_gradient(lambda v: f(x, v, b, **kw)[0], w, dout, h=1e-3)) < 1e-7
    assert rel_error(db, numerical_gradient(lambda v: f(x, w, v, **kw)[0], b, dout, h=1e-3)) < 1e-7


@pytest.mark.parametrize("name,xs,ws,kw", [c for c in CASES if "output_padding" not in c[3]],
                         ids=[c[0] for c in CASES if "output_padding" not in c[3]])
def test_transposed_is_the_adjoint_of_conv2d(name, xs, ws, kw):
    """<conv2d(y, w), x> == <y, conv_transpose2d(x, w)> for the same weight array."""
    x, w = _data(xs, ws, seed=4)
    out, _ = conv_transpose2d_forward(x, w, **kw)
    y = np.random.default_rng(5).standard_normal(out.shape)
    conv_kw = {k: v for k, v in kw.items() if k != "output_padding"}
    cy, _ = conv2d_forward(y, w, **conv_kw)
    assert cy.shape == x.shape
    np.testing.assert_allclose(np.vdot(cy, x), np.vdot(y, out), rtol=1e-12)


def test_integers_equal_the_scatter_twin_exactly():
    rng = np.random.default_rng(6)
    x = rng.integers(-9, 10, size=(2, 2, 4, 3)).astype(np.float64)
    w = rng.integers(-5, 6, size=(2, 3, 3, 2)).astype(np.float64)
    kw = {"stride": 2, "padding": 1, "output_padding": 1}
    assert np.array_equal(conv_transpose2d_forward(x, w, **kw)[0], conv_transpose2d_forward_naive(x, w, **kw)[0])


def test_float32_stays_float32():
    x, w = _data((1, 2, 3, 3), (2, 2, 3, 3))
    out, cache = conv_transpose2d_forward(x.astype(np.float32), w.astype(np.float32), stride=2)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in conv_transpose2d_backward(np.ones_like(out), cache)[:2])


INVALID = [
    ("channels", (1, 3, 4, 4), (2, 2, 3, 3), {}, r"\(1, 3, 4, 4\).*\(2, 2, 3, 3\)"),
    ("groups", (1, 3, 4, 4), (3, 2, 3, 3), {"groups": 2}, r"groups=2.*\(1, 3, 4, 4\).*\(3, 2, 3, 3\)"),
    ("output_padding", (1, 1, 4, 4), (1, 1, 3, 3), {"stride": 2, "output_padding": 2}, "'output_padding'"),
    ("same", (1, 1, 4, 4), (1, 1, 3, 3), {"padding": "same"}, "'padding'"),
    ("too_much_padding", (1, 1, 1, 1), (1, 1, 1, 1), {"padding": 1}, "padding"),
]


@pytest.mark.parametrize("name,xs,ws,kw,match", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_raises(name, xs, ws, kw, match):
    with pytest.raises(ConvCalcError, match=match):
        conv_transpose2d_forward(np.zeros(xs), np.zeros(ws), **kw)


def test_bias_length_names_the_shapes():
    with pytest.raises(ConvCalcError, match=r"\(4,\).*\(2, 2, 3, 3\).*\(3,\)"):
        conv_transpose2d_forward(np.zeros((1, 2, 4, 4)), np.zeros((2, 2, 3, 3)), np.zeros(3), groups=2)
