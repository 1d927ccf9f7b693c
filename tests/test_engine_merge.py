"""Engine merges (add, multiply, concat): vectorised forward/backward against naive loop twins
and centred-difference numerical gradients, float64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from convcalc.engine import (add_backward, add_forward, concat_backward, concat_forward, multiply_backward,
                             multiply_forward, numerical_gradient, rel_error)

SHAPES = [  # (output shape, input shapes): equal shapes, a (N, C, 1, 1) gate, a (C, H, W) without batch
    ((2, 3, 4, 5), [(2, 3, 4, 5), (2, 3, 4, 5)]),
    ((2, 3, 4, 5), [(2, 3, 4, 5), (2, 3, 1, 1)]),
    ((2, 3, 4, 5), [(2, 3, 4, 5), (2, 3, 4, 5), (3, 4, 5)]),
    ((3, 2, 2), [(3, 1, 2), (1, 2, 1)]),
]


def _naive_elementwise(xs, out_shape, op):
    """Loop over every output index; each input read at its broadcast index (size-1 axes at 0)."""
    out = np.zeros(out_shape)
    for idx in itertools.product(*map(range, out_shape)):
        values = []
        for x in xs:
            lead = len(out_shape) - x.ndim
            values.append(x[tuple(0 if n == 1 else i for i, n in zip(idx[lead:], x.shape))])
        acc = values[0]
        for v in values[1:]:
            acc = op(acc, v)
        out[idx] = acc
    return out


def _naive_elementwise_backward(dout, xs, kind):
    """Per output index, add dout (times the other inputs' values for a product) into each input's read cell."""
    grads = [np.zeros(x.shape) for x in xs]
    for idx in itertools.product(*map(range, dout.shape)):
        cells = []
        for x in xs:
            lead = dout.ndim - x.ndim
            cells.append(tuple(0 if n == 1 else i for i, n in zip(idx[lead:], x.shape)))
        for k, (x, cell) in enumerate(zip(xs, cells)):
            g = dout[idx]
            if kind == "mul":
                for j, (other, ocell) in enumerate(zip(xs, cells)):
                    if j != k:
                        g = g * other[ocell]
            grads[k][cell] += g
    return grads


def _naive_concat(xs):
    n, _, *rest = xs[0].shape
    out = np.zeros((n, sum(x.shape[1] for x in xs), *rest))
    c0 = 0
    for x in xs:
        for b in range(n):
            for c in range(x.shape[1]):
                out[b, c0 + c] = x[b, c]
        c0 += x.shape[1]
    return out


@pytest.mark.parametrize("out_shape,shapes", SHAPES)
@pytest.mark.parametrize("kind", ["add", "mul"])
def test_elementwise_merges_match_loops_and_numerical_gradients(out_shape, shapes, kind):
    rng = np.random.default_rng(len(shapes) + len(out_shape))
    xs = [rng.standard_normal(s) for s in shapes]
    forward = add_forward if kind == "add" else multiply_forward
    out = forward(xs)
    naive = _naive_elementwise(xs, out_shape, (lambda a, b: a + b) if kind == "add" else (lambda a, b: a * b))
    assert out.shape == out_shape
    np.testing.assert_allclose(out, naive, rtol=0, atol=1e-12)
    dout = rng.standard_normal(out_shape)
    grads = add_backward(dout, shapes) if kind == "add" else multiply_backward(dout, xs)
    loops = _naive_elementwise_backward(dout, xs, kind)
    for i, x in enumerate(xs):
        assert grads[i].shape == x.shape
        np.testing.assert_allclose(grads[i], loops[i], rtol=1e-12, atol=1e-12)
        numeric = numerical_gradient(lambda v, i=i: forward([v if j == i else xs[j] for j in range(len(xs))]),
                                     x, dout)
        assert rel_error(grads[i], numeric) < 1e-8


@pytest.mark.parametrize("channels", [(1, 2), (3, 1, 4), (5,)])
def test_concat_matches_loops_and_numerical_gradients(channels):
    rng = np.random.default_rng(sum(channels))
    xs = [rng.standard_normal((2, c, 3, 4)) for c in channels]
    out = concat_forward(xs)
    np.testing.assert_array_equal(out, _naive_concat(xs))
    dout = rng.standard_normal(out.shape)
    grads = concat_backward(dout, channels)
    for i, x in enumerate(xs):
        assert grads[i].shape == x.shape and grads[i].flags.c_contiguous
        numeric = numerical_gradient(lambda v, i=i: concat_forward([v if j == i else xs[j] for j in range(len(xs))]),
                                     x, dout)
        assert rel_error(grads[i], numeric) < 1e-8


def test_merges_leave_their_inputs_alone_and_concat_checks_sizes():
    a, b = np.ones((1, 2, 2, 2)), np.full((1, 2, 2, 2), 3.0)
    add_forward([a, b, b])
    multiply_forward([a, b, b])
    assert (a == 1).all() and (b == 3).all()
    assert add_forward([a, b, b])[0, 0, 0, 0] == 7 and multiply_forward([a, b, b])[0, 0, 0, 0] == 9
    with pytest.raises(ValueError, match="do not add up"):
        concat_backward(np.ones((1, 4, 2, 2)), [1, 2])
