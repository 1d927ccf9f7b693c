"""Training-mode batch norm (+ ReLU) of the engine against its textbook twins, numerical gradients and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.engine import (batch_norm_backward, batch_norm_backward_naive, batch_norm_forward,
                             batch_norm_forward_naive, numerical_gradient, rel_error)

SHAPES = [(4, 3), (5, 2, 7), (3, 4, 5, 6), (2, 16, 7, 7), (1, 3, 2, 2)]


def _case(shape, seed, offset=0.0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0) + offset
    c = shape[1]
    return x, rng.uniform(0.5, 2.0, c), rng.standard_normal(c), rng.standard_normal(shape)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_the_textbook_twin_in_float64(shape, relu):
    for seed in range(3):
        x, gamma, beta, dout = _case(shape, seed, offset=2.0 * seed)
        out, cache, mean, var = batch_norm_forward(x, gamma, beta, 1e-5, relu=relu)
        ref, ref_cache, ref_mean, ref_var = batch_norm_forward_naive(x, gamma, beta, 1e-5, relu=relu)
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(var, ref_var, rtol=1e-12, atol=1e-12)
        dx, dgamma, dbeta = batch_norm_backward(dout, cache)
        rdx, rdgamma, rdbeta = batch_norm_backward_naive(dout, ref_cache)
        np.testing.assert_allclose(dx, rdx, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dgamma, rdgamma, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dbeta, rdbeta, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("relu", [False, True])
def test_numerical_gradients(relu):
    x, gamma, beta, dout = _case((3, 2, 3, 3), 7)
    out, cache, _, _ = batch_norm_forward(x, gamma, beta, relu=relu)
    dx, dgamma, dbeta = batch_norm_backward(dout, cache)
    assert rel_error(dx, numerical_gradient(lambda v: batch_norm_forward(v, gamma, beta, relu=relu)[0], x, dout)) < 1e-7
    assert rel_error(dgamma, numerical_gradient(lambda g: batch_norm_forward(x, g, beta, relu=relu)[0], gamma,
                                                dout)) < 1e-7
    assert rel_error(dbeta, numerical_gradient(lambda b: batch_norm_forward(x, gamma, b, relu=relu)[0], beta,
                                               dout)) < 1e-7


def test_float32_statistics_stay_accurate_for_a_large_mean():
    """Row sums in float32 combined in float64, and the variance of the centred input: no cancellation."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 4, 12, 12)) * 0.01 + 100.0).astype(np.float32)
    _, _, mean, var = batch_norm_forward(x, np.ones(4, np.float32), np.zeros(4, np.float32))
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=(0, 2, 3)), rtol=1e-7)
    np.testing.assert_allclose(var, x64.var(axis=(0, 2, 3)), rtol=1e-3)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", SHAPES[1:])
def test_matches_pytorch_autograd(shape, relu):
    torch = pytest.importorskip("torch")
    x, gamma, beta, dout = _case(shape, 11)
    out, cache, _, _ = batch_norm_forward(x, gamma, beta, relu=relu)
    dx, dgamma, dbeta = batch_norm_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tg, tb = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    ty = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5)
    if relu:
        ty = torch.relu(ty)
    ty.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(dgamma, tg.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dbeta, tb.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("threads", [2, 3])
def test_split_over_threads_equals_the_twin(threads):
    """Inside engine_threads(n) the passes run over sample ranges: the same answers."""
    from convcalc.engine import engine_threads

    with engine_threads(threads):
        test_matches_the_textbook_twin_in_float64((5, 3, 4, 4), True)
        test_matches_the_textbook_twin_in_float64((2, 16, 7, 7), False)
