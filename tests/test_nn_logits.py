"""A model ending in Dense without Softmax is trained from logits (log-softmax inside the loss, as PyTorch's
CrossEntropyLoss): loss against torch.nn.functional.cross_entropy, gradients against a numerical gradient,
accuracy and predictions by argmax, and `convcalc train` says which it did (issue 10)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from convcalc import layers as L
from convcalc.nn import Sequential, session, training

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1)
X = RNG.standard_normal((12, 6))
Y = RNG.integers(0, 4, 12)


def _logits_model(dtype="float64", softmax=False):
    layers = [L.Dense(5), L.ReLU(), L.Dense(4)] + ([L.Softmax()] if softmax else [])
    model = Sequential(layers, (6,), seed=3, dtype=dtype)
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.1)
    return model


def test_the_model_says_its_loss_takes_logits():
    assert _logits_model().loss_input == "logits"
    assert _logits_model(softmax=True).loss_input == "softmax"  # fused with the final Softmax, as before
    prob = Sequential([L.Dense(4), L.Sigmoid()], (6,))
    prob.compile("sgd", "mse")
    assert prob.loss_input == "probabilities"


def test_loss_and_accuracy_equal_torch_cross_entropy_on_the_logits():
    model = _logits_model()
    logits = model.predict(X)  # predict returns what the model computes: the logits
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(Y)).item()
    logs = model.evaluate(X, Y)
    assert logs["loss"] == pytest.approx(expected, rel=1e-12)
    assert logs["accuracy"] == np.mean(logits.argmax(axis=1) == Y)


def test_same_loss_as_the_same_model_with_a_softmax_layer():
    a, b = _logits_model(), _logits_model(softmax=True)
    assert a.evaluate(X, Y)["loss"] == pytest.approx(b.evaluate(X, Y)["loss"], rel=1e-12)
    np.testing.assert_array_equal(a.predict(X).argmax(axis=1), b.predict(X).argmax(axis=1))


def test_gradients_equal_a_numerical_gradient(monkeypatch):
    model = _logits_model()
    monkeypatch.setattr(model.optimizer, "step", lambda params, grads: None)  # keep the weights
    params = model.named_parameters()
    training._step(model, X, Y, params)
    analytic = {k: np.array(g) for i, m in enumerate(model.modules) for k, g in
                ((f"{i}.{name}", grad) for name, grad in m.grads.items())}
    eps = 1e-6
    for name, array in params.items():
        numeric = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            old = array[idx]
            array[idx] = old + eps
            up = model.evaluate(X, Y)["loss"]
            array[idx] = old - eps
            down = model.evaluate(X, Y)["loss"]
            array[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_a_pytorch_style_spec_learns_and_the_output_says_logits(run_cli):
    spec = "conv(4,3) relu pool(2) flatten dense(10)"
    result = run_cli("train", "--model", spec, "--limit", "500", "--epochs", "3", "--batch-size", "20",
                     "--lr", "0.1")
    assert result.exit_code == 0, result.output
    assert "from logits" in result.output
    out = json.loads(run_cli("train", "--model", spec, "--limit", "500", "--epochs", "3", "--batch-size", "20",
                             "--lr", "0.1", "--json").output)
    assert out["loss_input"] == "logits"
    assert out["test_accuracy"] > 0.5  # chance is 0.1; before the fix it stayed there


def test_session_run_with_logits_matches_the_softmax_model():
    base = dict(limit=200, epochs=1, batch_size=50)
    a = session.run(session.TrainConfig(model="conv(4,3) relu pool(2) flatten dense(10)", **base))
    b = session.run(session.TrainConfig(model="conv(4,3) relu pool(2) flatten dense(10) softmax", **base))
    assert a.history.epochs[0]["loss"] == pytest.approx(b.history.epochs[0]["loss"], rel=1e-5)
