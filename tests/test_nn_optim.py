"""Initialisers (Keras's variance scaling), optimiser bookkeeping and regularizers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.engine import numerical_gradient, rel_error
from convcalc.nn import SGD, Adam, L1, L1L2, L2, get_initializer, get_optimizer
from convcalc.nn.init import TRUNCATED_STD, fans

SHAPE = (64, 32, 5, 5)  # fan_in 800, fan_out 1600


@pytest.mark.parametrize("name,std,limit", [
    ("he_normal", math.sqrt(2 / 800), 2 * math.sqrt(2 / 800) / TRUNCATED_STD),
    ("glorot_normal", math.sqrt(2 / 2400), 2 * math.sqrt(2 / 2400) / TRUNCATED_STD),
    ("he_uniform", math.sqrt(2 / 800), math.sqrt(6 / 800)),
    ("glorot_uniform", math.sqrt(2 / 2400), math.sqrt(6 / 2400)),
])
def test_variance_scaling_matches_keras(name, std, limit):
    w = get_initializer(name)(SHAPE, np.random.default_rng(0))
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert abs(w.std() / std - 1) < 0.02  # std after truncation is sqrt(scale / fan), as Keras documents
    assert np.abs(w).max() <= limit * (1 + 1e-6)
    assert np.abs(w).max() > 0.95 * limit  # the bound is reached: the distribution really is that wide
    assert abs(w.mean()) < 0.05 * std


def test_constant_initialisers_and_names():
    assert get_initializer("Ones()")((2, 3), None).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert not get_initializer("zeros")((4,), None).any()
    assert get_initializer("GlorotNormal") is get_initializer("xavier_normal")
    assert get_initializer("HeNormal") is get_initializer("kaiming-normal")
    with pytest.raises(ConvCalcError, match="'init' parameter"):
        get_initializer("orthogonal")


def test_fans_follow_keras_and_torch():
    assert fans((32, 1, 3, 3)) == (9, 288)
    assert fans((10, 84)) == (84, 10)


def test_initialisers_are_reproducible_from_the_generator():
    a = get_initializer("he_normal")((8, 3), np.random.default_rng(4))
    b = get_initializer("he_normal")((8, 3), np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)


def test_sgd_momentum_sequence_by_hand():
    w = {"w": np.array([1.0])}
    opt = SGD(lr=0.1, momentum=0.5)
    for _ in range(3):
        opt.step(w, {"w": np.array([1.0])})
    # buffers 1, 1.5, 1.75 -> w = 1 - 0.1 * (1 + 1.5 + 1.75)
    assert w["w"][0] == pytest.approx(1 - 0.425)


def test_sgd_with_constant_lr_equals_keras_velocity_form():
    """Keras: v = m*v - lr*g; w += v. PyTorch: b = m*b + g; w -= lr*b. Same weights for a constant lr."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((10, 4))
    w = {"w": np.zeros(4)}
    opt = SGD(lr=0.01, momentum=0.9)
    keras_w, v = np.zeros(4), np.zeros(4)
    for g in grads:
        opt.step(w, {"w": g})
        v = 0.9 * v - 0.01 * g
        keras_w = keras_w + v
    np.testing.assert_allclose(w["w"], keras_w, rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    w = {"w": np.array([0.0, 0.0])}
    Adam(lr=0.1).step(w, {"w": np.array([3.0, -0.5])})
    np.testing.assert_allclose(w["w"], [-0.1, 0.1], rtol=1e-6)


def test_optimizer_state_dict_round_trip():
    w1, w2 = {"a": np.ones(3)}, {"a": np.ones(3)}
    opt = Adam(lr=0.01)
    g = {"a": np.array([1.0, -2.0, 0.5])}
    opt.step(w1, g)
    clone = Adam(lr=0.01)
    clone.load_state_dict(opt.state_dict())
    w2["a"][...] = w1["a"]
    opt.step(w1, g)
    clone.step(w2, g)
    np.testing.assert_array_equal(w1["a"], w2["a"])
    assert clone.iterations == 2


@pytest.mark.parametrize("make,match", [
    (lambda: SGD(lr=float("nan")), "lr"),
    (lambda: SGD(lr="0.1"), "lr"),
    (lambda: SGD(momentum=-0.1), "momentum"),
    (lambda: SGD(dampening=2), "dampening"),
    (lambda: SGD(momentum=0.9, nesterov="yes"), "nesterov"),
    (lambda: SGD(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda: Adam(beta2=1.5), "beta2"),
    (lambda: Adam(weight_decay=-1), "weight_decay"),
    (lambda: get_optimizer("adagrad"), "optimizer"),
    (lambda: L2(-0.1), "l2"),
    (lambda: L1(True), "l1"),
])
def test_bad_hyperparameters_are_rejected_at_construction(make, match):
    with pytest.raises(ConvCalcError, match=f"'{match}' parameter"):
        make()


@pytest.mark.parametrize("reg", [L1(0.3), L2(0.2), L1L2(0.1, 0.4)], ids=["l1", "l2", "l1l2"])
def test_regularizer_gradient_is_the_penalty_derivative(reg):
    w = np.random.default_rng(0).standard_normal((3, 4)) + 0.05
    numeric = numerical_gradient(lambda v: np.array(reg.penalty(v)), w, np.array(1.0))
    assert rel_error(reg.gradient(w), numeric) < 1e-7
    g = np.zeros_like(w)
    reg.add_gradient(w, g)
    np.testing.assert_allclose(g, reg.gradient(w))
    assert reg.penalty(w) == pytest.approx(reg.l1 * np.abs(w).sum() + reg.l2 * (w ** 2).sum())
