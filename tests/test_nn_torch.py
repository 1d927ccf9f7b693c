"""PyTorch as the oracle: losses, and whole training steps (same weights, same batches) for every optimiser."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import layers as L
from convcalc.nn import L2, Sequential
from convcalc.nn.losses import (BinaryCrossentropy, CategoricalCrossentropy, MeanAbsoluteError, MeanSquaredError,
                                SparseCategoricalCrossentropy)

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _torch_grad(fn, pred, target):
    p = torch.tensor(pred, requires_grad=True)
    value = fn(p, torch.tensor(target))
    value.backward()
    return value.item(), p.grad.numpy()


def _check(ours, theirs, rtol=1e-10):
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=rtol, atol=1e-14)


RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 5)) * 3
LABELS = RNG.integers(0, 5, 6)
SOFT = RNG.dirichlet(np.ones(5), 6)
PROBS = 1 / (1 + np.exp(-RNG.standard_normal((6, 3))))
BINARY = RNG.integers(0, 2, (6, 3)).astype(np.float64)


def test_sparse_cross_entropy_from_logits_is_torch_cross_entropy():
    ours = SparseCategoricalCrossentropy().from_logits(LOGITS, LABELS)
    _check(ours, _torch_grad(torch.nn.functional.cross_entropy, LOGITS, LABELS))


def test_categorical_cross_entropy_with_soft_targets_is_torch_cross_entropy():
    ours = CategoricalCrossentropy().from_logits(LOGITS, SOFT)
    _check(ours, _torch_grad(torch.nn.functional.cross_entropy, LOGITS, SOFT))


def test_cross_entropy_on_probabilities_is_keras_formula():
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    value, grad = CategoricalCrossentropy()(probs, SOFT)
    clipped = np.clip(probs, 1e-7, 1 - 1e-7)
    assert value == pytest.approx(-np.mean(np.sum(SOFT * np.log(clipped), axis=1)), rel=1e-12)
    _check((value, grad), _torch_grad(lambda p, t: -(t * torch.log(p)).sum(dim=1).mean(), probs, SOFT))


def test_fused_and_unfused_cross_entropy_agree_through_softmax():
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
    fused = SparseCategoricalCrossentropy().from_logits(LOGITS, LABELS)
    plain, dprobs = SparseCategoricalCrossentropy()(probs, LABELS)
    dlogits = probs * (dprobs - (dprobs * probs).sum(axis=1, keepdims=True))  # softmax backward
    assert plain == pytest.approx(fused[0], rel=1e-12)
    np.testing.assert_allclose(dlogits, fused[1], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("ours,theirs", [
    (BinaryCrossentropy(), torch.nn.functional.binary_cross_entropy),
    (MeanSquaredError(), torch.nn.functional.mse_loss),
    (MeanAbsoluteError(), torch.nn.functional.l1_loss),
], ids=["bce", "mse", "l1"])
def test_elementwise_losses_equal_torch(ours, theirs):
    _check(ours(PROBS, BINARY), _torch_grad(theirs, PROBS, BINARY))


def test_bce_clamps_its_logs_like_torch():
    pred, target = np.array([[0.0, 1.0, 0.5]]), np.array([[1.0, 0.0, 1.0]])
    value, _ = BinaryCrossentropy()(pred, target)
    assert value == pytest.approx(torch.nn.functional.binary_cross_entropy(
        torch.tensor(pred), torch.tensor(target)).item(), rel=1e-12)


# --------------------------------------------------------------------------- training steps
SMALL_CNN = [L.Conv2D(4, 3), L.ReLU(), L.MaxPool2D(2), L.Conv2D(6, 2, padding=1), L.ReLU(), L.Flatten(),
             L.Dense(12), L.ReLU(), L.Dense(5), L.Softmax()]
BN_CNN = [L.ZeroPad2D(1), L.Conv2D(3, 3, stride=2, bias=False), L.BatchNorm2D(), L.Tanh(), L.AvgPool2D(2, stride=1),
          L.Flatten(), L.Dense(8), L.ELU(), L.Dense(5), L.Softmax()]
SHAPE = (2, 9, 9)


def _torch_model(specs, shape):
    """The same network in torch, built layer by layer from the specs."""
    mods, c = [], shape[0]
    for spec, in_shape in zip(specs, _shapes(specs, shape)):
        t = type(spec)
        if t is L.Conv2D:
            pad = spec.padding_pairs(in_shape[1:])
            mods.append(torch.nn.ZeroPad2d((pad[1][0], pad[1][1], pad[0][0], pad[0][1])))
            mods.append(torch.nn.Conv2d(in_shape[0], spec.filters, spec.kernel_size, stride=spec.stride, bias=spec.bias))
        elif t is L.ZeroPad2D:
            mods.append(torch.nn.ZeroPad2d(spec.padding))
        elif t is L.MaxPool2D:
            mods.append(torch.nn.MaxPool2d(spec.pool_size))
        elif t is L.AvgPool2D:
            mods.append(torch.nn.AvgPool2d(spec.pool_size, stride=spec.stride))
        elif t is L.BatchNorm2D:
            mods.append(torch.nn.BatchNorm2d(in_shape[0]))
        elif t is L.Dense:
            mods.append(torch.nn.Linear(in_shape[0], spec.units))
        elif t is L.Flatten:
            mods.append(torch.nn.Flatten())
        elif t is L.Softmax:
            continue  # torch's cross_entropy takes the logits
        else:
            mods.append({L.ReLU: torch.nn.ReLU, L.Tanh: torch.nn.Tanh, L.ELU: torch.nn.ELU}[t]())
    return torch.nn.Sequential(*mods).double()


def _shapes(specs, shape):
    out = []
    for spec in specs:
        out.append(shape)
        shape = spec.output_shape(shape)
    return out


def _copy_weights(model, tmodel):
    ours = [m for m in model.modules if m.params]
    theirs = [m for m in tmodel if any(True for _ in m.parameters())]
    assert len(ours) == len(theirs)
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            b.weight.copy_(torch.tensor(a.params["weight"]))
            if "bias" in a.params:
                b.bias.copy_(torch.tensor(a.params["bias"]))
    return list(zip(ours, theirs))


OPTIMIZERS = [  # (id, convcalc optimiser, its settings, the torch optimiser)
    ("sgd", "sgd", {"lr": 0.1}, lambda p: torch.optim.SGD(p, lr=0.1)),
    ("momentum", "sgd", {"lr": 0.05, "momentum": 0.9}, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    ("nesterov", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    ("weight_decay", "sgd", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, weight_decay=0.01)),
    ("adam", "adam", {"lr": 0.01}, lambda p: torch.optim.Adam(p, lr=0.01)),
    ("adam_keras_eps", "adam", {"lr": 5e-4, "eps": 1e-7, "beta2": 0.99, "weight_decay": 0.001},
     lambda p: torch.optim.Adam(p, lr=5e-4, eps=1e-7, betas=(0.9, 0.99), weight_decay=0.001)),
]


@pytest.mark.parametrize("l2", [0.0, 0.01], ids=["no_l2", "l2"])
@pytest.mark.parametrize("name,optimizer,config,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
@pytest.mark.parametrize("specs", [SMALL_CNN, BN_CNN], ids=["cnn", "bn_cnn"])
def test_training_steps_equal_torch(specs, name, optimizer, config, make, l2):
    model = Sequential(specs, SHAPE, init="he_normal", seed=3, dtype="float64",
                       kernel_regularizer=L2(l2) if l2 else None)
    model.compile(optimizer, "sparse_categorical_crossentropy", **config)
    tmodel = _torch_model(specs, SHAPE)
    pairs = _copy_weights(model, tmodel)
    opt = make(tmodel.parameters())
    rng = np.random.default_rng(7)
    x = rng.standard_normal((24, *SHAPE))
    y = rng.integers(0, 5, 24)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False)  # three steps
    tlosses = []
    for i in range(0, 24, 8):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x[i:i + 8])), torch.tensor(y[i:i + 8]))
        if l2:  # Keras's kernel_regularizer: l2 * sum(w**2) for every kernel, never the biases
            loss = loss + l2 * sum((t.weight ** 2).sum() for ours, t in pairs if ours.regularized)
        loss.backward()
        opt.step()
        tlosses.append(loss.item())
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.params["weight"], theirs.weight.detach().numpy(), rtol=1e-9, atol=1e-12)
        if "bias" in ours.params:
            np.testing.assert_allclose(ours.params["bias"], theirs.bias.detach().numpy(), rtol=1e-9, atol=1e-12)
    # the epoch loss is the mean of the batch losses *before* each step; the penalty is the one after the last step
    if not l2:
        assert history.epochs[0]["loss"] == pytest.approx(np.mean(tlosses), rel=1e-9)


def test_float32_step_matches_torch_float32():
    model = Sequential(SMALL_CNN, SHAPE, seed=1)
    model.compile("adam", "sparse_categorical_crossentropy", lr=1e-3)
    tmodel = _torch_model(SMALL_CNN, SHAPE).float()
    pairs = _copy_weights(model, tmodel)
    opt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, *SHAPE)).astype(np.float32)
    y = rng.integers(0, 5, 16)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False)
    for _ in range(2):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()
    for ours, theirs in pairs:
        assert ours.params["weight"].dtype == np.float32
        np.testing.assert_allclose(ours.params["weight"], theirs.weight.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_inference_equals_torch_forward_with_softmax():
    model = Sequential(BN_CNN, SHAPE, seed=4, dtype="float64")
    tmodel = _torch_model(BN_CNN, SHAPE)
    _copy_weights(model, tmodel)
    x = np.random.default_rng(5).standard_normal((7, *SHAPE))
    tmodel.eval()
    expected = torch.softmax(tmodel(torch.tensor(x)), dim=1).detach().numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-10)
