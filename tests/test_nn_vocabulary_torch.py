"""The newer layer vocabulary trains: each module against PyTorch's own layer and autograd (float64, 1e-10).

Nearest upsampling (Upsample and UpSampling2D, whole factors), depthwise and grouped convolutions,
GELU (exact and tanh), SiLU, LeakyReLU, LayerNorm (PyTorch's normalized_shape, and Keras's channel
axis, written out with torch ops), GroupNorm, each with and without scale/shift where the spec
allows it: outputs, the input gradient and every parameter gradient; and one model mixing them
trained for two SGD steps with momentum against the same PyTorch model.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import layers as L
from convcalc.errors import ConvCalcError
from convcalc.nn import Sequential
from convcalc.nn.build import build_module

torch = pytest.importorskip("torch")
F = torch.nn.functional

SHAPE = (6, 5, 4)


def _keras_layer_norm(x, w, b):
    mean = x.mean(dim=1, keepdim=True)
    var = x.var(dim=1, unbiased=False, keepdim=True)
    y = (x - mean) / torch.sqrt(var + 1e-5)
    return y * w.view(1, -1, 1, 1) + b.view(1, -1, 1, 1)


CASES = {  # spec, its PyTorch function of (x, params dict)
    "upsample2": (L.Upsample(scale_factor=2), lambda x, p: F.interpolate(x, scale_factor=2, mode="nearest")),
    "upsample_size": (L.Upsample(size=(10, 12)), lambda x, p: F.interpolate(x, size=(10, 12), mode="nearest")),
    "upsampling2d": (L.UpSampling2D((3, 2)), lambda x, p: F.interpolate(x, scale_factor=(3, 2), mode="nearest")),
    "depthwise": (L.DepthwiseConv2D(3, padding=1, depth_multiplier=2),
                  lambda x, p: F.conv2d(x, p["weight"], p["bias"], padding=1, groups=6)),
    "depthwise_strided": (L.DepthwiseConv2D(2, stride=2, bias=False),
                          lambda x, p: F.conv2d(x, p["weight"], None, stride=2, groups=6)),
    "grouped": (L.Conv2D(4, 3, padding=1, groups=2), lambda x, p: F.conv2d(x, p["weight"], p["bias"], padding=1,
                                                                           groups=2)),
    "separable": (L.SeparableConv2D(5, 3, padding=1, depth_multiplier=2),
                  lambda x, p: F.conv2d(F.conv2d(x, p["depthwise_weight"], None, padding=1, groups=6),
                                        p["pointwise_weight"], p["bias"])),
    "separable_strided": (L.SeparableConv2D(3, 2, stride=2, bias=False),
                          lambda x, p: F.conv2d(F.conv2d(x, p["depthwise_weight"], None, stride=2, groups=6),
                                                p["pointwise_weight"])),
    "gelu": (L.GELU(), lambda x, p: F.gelu(x)),
    "gelu_tanh": (L.GELU("tanh"), lambda x, p: F.gelu(x, approximate="tanh")),
    "silu": (L.SiLU(), lambda x, p: F.silu(x)),
    "leaky_relu": (L.LeakyReLU(0.2), lambda x, p: F.leaky_relu(x, 0.2)),
    "layer_norm_chw": (L.LayerNorm(SHAPE), lambda x, p: F.layer_norm(x, SHAPE, p["weight"], p["bias"])),
    "layer_norm_last": (L.LayerNorm(4), lambda x, p: F.layer_norm(x, (4,), p["weight"], p["bias"])),
    "layer_norm_plain": (L.LayerNorm((5, 4), scale=False, bias=False), lambda x, p: F.layer_norm(x, (5, 4))),
    "layer_norm_keras": (L.LayerNorm(), lambda x, p: _keras_layer_norm(x, p["weight"], p["bias"])),
    "group_norm": (L.GroupNorm(3), lambda x, p: F.group_norm(x, 3, p["weight"], p["bias"])),
    "group_norm_one": (L.GroupNorm(1), lambda x, p: F.group_norm(x, 1, p["weight"], p["bias"])),
    "group_norm_plain": (L.GroupNorm(6, scale=False, bias=False), lambda x, p: F.group_norm(x, 6)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_matches_torch_autograd(name):
    spec, theirs = CASES[name]
    rng = np.random.default_rng(len(name))
    module = build_module(spec, SHAPE, rng=rng, dropout_rng=rng, init="he_normal", dtype=np.float64)
    for k, v in module.params.items():  # move scales and shifts off their ones and zeros
        v[...] = rng.standard_normal(v.shape)
    x = rng.standard_normal((3, *SHAPE))
    out = module.forward(x, True)
    assert out.shape[1:] == tuple(spec.output_shape(SHAPE))
    dout = rng.standard_normal(out.shape)
    dx = module.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in module.params.items()}
    tp.setdefault("bias", None)
    t_out = theirs(tx, tp)
    t_out.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert module.grads.keys() == module.params.keys()
    for k in module.params:
        np.testing.assert_allclose(module.grads[k], tp[k].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


def test_a_model_of_the_new_vocabulary_trains_as_pytorch_does():
    spec = ("conv(4,3,p=1) gelu depthwiseconv(3, p=1) groupnorm(2) silu upsample(scale_factor=2) "
            "conv(4,3,s=2,p=1,groups=2) layernorm leakyrelu(0.1) gap dense(3)")
    model = Sequential.from_spec(spec, (2, 6, 6), seed=0, dtype="float64")
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.1, momentum=0.9)
    nn = torch.nn
    tmodel = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.GELU(), nn.Conv2d(4, 4, 3, padding=1, groups=4),
                           nn.GroupNorm(2, 4), nn.SiLU(), nn.Upsample(scale_factor=2),
                           nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=2), _ChannelNorm(4), nn.LeakyReLU(0.1),
                           _Gap(), nn.Linear(4, 3)).double()
    mapping = {}
    for i, module in enumerate(model.modules):
        for k, v in module.params.items():
            target = getattr(tmodel[i], k)
            with torch.no_grad():
                target.copy_(torch.from_numpy(v))
            mapping[f"{i}.{k}"] = target
    opt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(1)
    params = model.named_parameters()
    for _ in range(2):
        x, y = rng.standard_normal((5, 2, 6, 6)), rng.integers(0, 3, 5)
        out = model.forward(x, True)
        loss, d = model.loss.from_logits(out, y)
        model.backward(d)
        grads = {f"{i}.{k}": g for i, m in enumerate(model.modules) for k, g in m.grads.items()}
        model.optimizer.step(params, grads)
        opt.zero_grad()
        t_loss = F.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y))
        t_loss.backward()
        opt.step()
        assert abs(loss - t_loss.item()) < 1e-10
        for name, value in params.items():
            np.testing.assert_allclose(value, mapping[name].detach().numpy(), rtol=1e-9, atol=1e-10, err_msg=name)


class _Gap(torch.nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class _ChannelNorm(torch.nn.Module):
    """Keras's LayerNormalization (axis=-1) on channels-last data, written channels first."""

    def __init__(self, channels):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(channels, dtype=torch.float64))
        self.bias = torch.nn.Parameter(torch.zeros(channels, dtype=torch.float64))

    def forward(self, x):
        return _keras_layer_norm(x, self.weight, self.bias)


def test_what_the_trainer_cannot_compute_is_one_clear_error():
    with pytest.raises(ConvCalcError, match="whole factors"):
        Sequential.from_spec("upsample(scale_factor=1.5) flatten dense(2)", (1, 4, 4))
    with pytest.raises(ConvCalcError, match="cannot train"):
        Sequential.from_spec("upsample(scale_factor=2, mode=bilinear) flatten dense(2)", (1, 4, 4))


def test_a_separable_first_layer_trains_saves_and_loads(tmp_path):
    model = Sequential.from_spec("separableconv2d(4, 3, p=1) relu gap dense(2)", (2, 5, 5), seed=0)
    assert model.modules[0].input_grad is False  # nothing upstream of the input
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.1)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 2, 5, 5)).astype(np.float32), rng.integers(0, 2, 16)
    before = model.get_weights()
    model.fit(x, y, 8, 2)
    assert all(not np.array_equal(before[k], v) for k, v in model.get_weights().items())
    model.save(tmp_path / "sep.npz")
    np.testing.assert_array_equal(Sequential.load(tmp_path / "sep.npz").predict(x), model.predict(x))
