"""The layer registry: every registered layer has every piece, and the new vocabulary matches PyTorch and the tools.

- Completeness: a registered class without spec names, without its own shape/parameter/MAC/
  convention/receptive-field answers, without a trainer or a reason, without an example in this
  file, or missing from docs/stacks.md's name table fails here.
- The new layers: output shape and parameter count against the PyTorch module built the same way
  (a forward pass on zeros, ``sum(p.numel())``), and MACs under each convention against the figures
  torchinfo 1.8.0, thop 0.1.1.post2209072238, ptflops 0.7.5 and fvcore 0.1.5.post20221221 printed
  for those modules (benchmarks/measure_conventions.py; the tools are not needed to run this file).
- A ``Layer`` subclass whose ``macs()`` returns 14,112 shows 14,112 under every convention (it
  showed 0 under all of them before the registry).
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest

from convcalc import ConvCalcError
from convcalc import layers as L
from convcalc.layers import REGISTRY, Layer
from convcalc.layers.conventions import CONVENTIONS, count_macs
from convcalc.spec import parse_spec
from convcalc.spec.names import _ALIASES
from convcalc.stack import summarize
from tests.test_layers import VALID

torch = pytest.importorskip("torch")
nn = torch.nn

DOCS = Path(__file__).resolve().parents[1] / "docs"


class _Slice(nn.Module):
    def __init__(self, start: int, stop: int) -> None:
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x):  # noqa: ANN001, ANN201
        return x[:, self.start:self.stop]


class _Permute(nn.Module):
    def __init__(self, *dims: int) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x):  # noqa: ANN001, ANN201
        return x.permute(*self.dims)


# class name -> (spec, input shape, PyTorch module or None when tests/test_layers.py's VALID table covers it)
EXAMPLES = {
    "DepthwiseConv2D": (L.DepthwiseConv2D(3, padding=1, depth_multiplier=2), (4, 8, 8),
                        lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4)),
    "SeparableConv2D": (L.SeparableConv2D(6, 3), (4, 8, 8),
                        lambda: nn.Sequential(nn.Conv2d(4, 4, 3, groups=4, bias=False), nn.Conv2d(4, 6, 1))),
    "Upsample": (L.Upsample(scale_factor=2), (3, 4, 5), lambda: nn.Upsample(scale_factor=2)),
    "UpSampling2D": (L.UpSampling2D((2, 3), interpolation="bilinear"), (3, 4, 5),
                     lambda: nn.Upsample(scale_factor=(2, 3), mode="bilinear")),
    "PixelShuffle": (L.PixelShuffle(2), (8, 4, 5), lambda: nn.PixelShuffle(2)),
    "PixelUnshuffle": (L.PixelUnshuffle(2), (2, 4, 6), lambda: nn.PixelUnshuffle(2)),
    "AdaptiveMaxPool2D": (L.AdaptiveMaxPool2D((2, 2)), (3, 8, 8), lambda: nn.AdaptiveMaxPool2d((2, 2))),
    "Identity": (L.Identity(), (3, 4, 4), lambda: nn.Identity()),
    "Reshape": (L.Reshape((3, 4, 4)), (48,), lambda: nn.Unflatten(1, (3, 4, 4))),
    "Permute": (L.Permute((1, 3, 2)), (8, 4, 5), lambda: _Permute(0, 1, 3, 2)),
    "LayerNorm": (L.LayerNorm((3, 4, 4)), (3, 4, 4), lambda: nn.LayerNorm((3, 4, 4))),
    "GroupNorm": (L.GroupNorm(2), (4, 4, 4), lambda: nn.GroupNorm(2, 4)),
    "InstanceNorm1D": (L.InstanceNorm1D(), (4, 6), lambda: nn.InstanceNorm1d(4)),
    "InstanceNorm2D": (L.InstanceNorm2D(), (4, 4, 4), lambda: nn.InstanceNorm2d(4)),
    "InstanceNorm3D": (L.InstanceNorm3D(scale=True, bias=True), (2, 3, 4, 5), lambda: nn.InstanceNorm3d(2, affine=True)),
    "GELU": (L.GELU(), (3, 4, 4), lambda: nn.GELU()),
    "SiLU": (L.SiLU(), (3, 4, 4), lambda: nn.SiLU()),
    "ReLU6": (L.ReLU6(), (3, 4, 4), lambda: nn.ReLU6()),
    "Hardswish": (L.Hardswish(), (3, 4, 4), lambda: nn.Hardswish()),
    "PReLU": (L.PReLU(3), (3, 4, 4), lambda: nn.PReLU(3)),
    "Dropout2D": (L.Dropout2D(0.1), (3, 4, 4), lambda: nn.Dropout2d(0.1)),
    "Hardsigmoid": (L.Hardsigmoid(), (3, 4, 4), lambda: nn.Hardsigmoid()),
    "StochasticDepth": (L.StochasticDepth(0.2), (3, 4, 4), lambda: nn.Identity()),  # torchvision's, identity in eval
    "ChannelSlice": (L.ChannelSlice(1, 5), (6, 4, 4), lambda: _Slice(1, 5)),
    "ChannelChunk": (L.ChannelChunk(4, 2), (7, 4, 4), lambda: _Slice(4, 6)),  # torch.chunk(x, 4, 1)[2]
    "ChannelShuffle": (L.ChannelShuffle(2), (6, 4, 4), lambda: nn.ChannelShuffle(2)),
}
for _layer, _shape in VALID:
    EXAMPLES.setdefault(type(_layer).__name__, (_layer, _shape, None))
EXAMPLES.setdefault("Cropping1D", (L.Cropping1D((1, 2)), (3, 5), None))  # tests/test_layers.py: test_cropping_*
EXAMPLES.setdefault("Cropping2D", (L.Cropping2D(1), (3, 5, 5), None))
EXAMPLES.setdefault("Cropping3D", (L.Cropping3D(1), (1, 3, 4, 5), None))


def _torch_params(module: nn.Module) -> tuple[int, int]:
    buffers = sum(b.numel() for n, b in module.named_buffers() if n.endswith(("running_mean", "running_var")))
    return sum(p.numel() for p in module.parameters()), buffers


def _torch_out(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    module.eval()
    with torch.no_grad():
        return tuple(module(torch.zeros(2, *shape)).shape[1:])


# --------------------------------------------------------------------------- every piece of every registered layer
OWN = ("output_shape", "param_count", "macs", "macs_under", "rf_step")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_registered_layer_has_every_piece(name: str) -> None:
    info = REGISTRY[name]
    cls = info.cls
    assert info.names, "no spec names"
    fields = {f.name for f in dataclasses.fields(cls)}
    for order in (info.positional, *info.name_positional.values()):
        assert {n for n in order if not n.startswith("_")} <= fields | set(info.extra_args) | {"activation"}, order
    assert set(info.name_positional) <= set(info.names)
    if info.torch_positional is not None:
        assert set(info.torch_positional) <= fields | set(info.extra_args) | {"in_channels", "in_features"} \
            | {n for n in info.torch_positional if n.startswith("_")}, info.torch_positional
    for method in OWN:  # declared by the class or its family, never Layer's generic default
        assert getattr(cls, method) is not getattr(Layer, method), f"{name} uses Layer.{method}"
    if info.trains is None:
        assert info.not_trained, "neither a trainer nor a reason"
    else:
        module, _, attribute = info.trains.rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), info.trains
    assert name in EXAMPLES, f"add an example of {name} to EXAMPLES (and its PyTorch module)"
    layer, shape, _ = EXAMPLES[name]
    out = layer.output_shape(shape)
    layer.param_count(shape)
    layer.rf_step(shape)
    assert layer.activation_size(shape, out) >= 1
    for convention in CONVENTIONS:
        assert count_macs(layer, convention, shape, out, 2) >= 0
    with pytest.raises(ConvCalcError, match="does not say how convention 'tflops'"):
        layer.macs_under("tflops", shape, out)
    assert f"`{name}`" in (DOCS / "stacks.md").read_text(), f"{name} is missing from docs/stacks.md's name table"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_spec_name_builds_its_class(name: str) -> None:
    info = REGISTRY[name]
    layer, _, _ = EXAMPLES[name]
    needed = [f.name for f in dataclasses.fields(info.cls) if f.repr and getattr(layer, f.name) != f.default]
    args = ", ".join(f"{n}={getattr(layer, n)!r}" for n in needed)
    for spelling in info.names:
        built = parse_spec(f"{spelling}({args})")
        assert type(built[0]) is info.cls or info.adapt is not None, spelling


def test_argument_aliases_point_at_real_fields() -> None:
    fields = {f.name for info in REGISTRY.values() for f in dataclasses.fields(info.cls)}
    assert set(_ALIASES) - fields <= {"activation", "in_channels", "in_features", "num_features", "input_shape"}


# --------------------------------------------------------------------------- 14,112 under every convention
@dataclasses.dataclass(frozen=True)
class _Custom(Layer):
    """A user's layer that only says its MACs (as a downstream package would write one)."""

    def macs(self, in_shape: tuple[int, ...]) -> int:
        return 14_112


def test_a_new_layer_with_macs_is_never_counted_as_zero() -> None:
    for convention in CONVENTIONS:
        total = summarize([_Custom()], (2, 7, 7), convention=convention).total_macs
        assert total == (2 * 14_112 if convention == "flops" else 14_112), convention
    assert summarize([_Custom()], (2, 7, 7), convention="thop", batch=3).total_macs == 3 * 14_112
    with pytest.raises(ConvCalcError, match="'convention'"):
        summarize([_Custom()], (2, 7, 7), convention="tflops")


# --------------------------------------------------------------------------- the new layers against PyTorch
NEW = [name for name, (_, _, make) in EXAMPLES.items() if make is not None]


@pytest.mark.parametrize("name", NEW)
def test_new_layers_match_pytorch_shapes_and_parameters(name: str) -> None:
    layer, shape, make = EXAMPLES[name]
    module = make()
    assert layer.output_shape(shape) == _torch_out(module, shape)
    trainable, buffers = _torch_params(module)
    counted = layer.param_count(shape)
    assert (counted.trainable, counted.non_trainable) == (trainable, buffers)


# Per sample, measured with benchmarks/measure_conventions.py on the PyTorch modules of EXAMPLES' cases
# (torchinfo, thop and fvcore count the batch: they doubled at batch 2; ptflops reports one sample).
MEASURED = {
    "depthwise": (L.DepthwiseConv2D(3, padding=1, depth_multiplier=2), (4, 8, 8), dict(torchinfo=5120, thop=4608, ptflops=5120,
                                                                  fvcore=4608)),
    "separable": (L.SeparableConv2D(6, 3, depth_multiplier=2), (4, 8, 8),
                  dict(torchinfo=4536, thop=4320, ptflops=4536, fvcore=4320)),
    "upsample-nearest": (L.Upsample(scale_factor=2), (3, 4, 5), dict(torchinfo=0, thop=240, ptflops=480, fvcore=240)),
    "upsample-bilinear": (L.Upsample(scale_factor=2, mode="bilinear"), (3, 4, 5),
                          dict(torchinfo=0, thop=2640, ptflops=480, fvcore=960)),
    "pixelshuffle": (L.PixelShuffle(2), (8, 4, 5), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "pixelunshuffle": (L.PixelUnshuffle(2), (2, 4, 6), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "zeropad": (L.ZeroPad2D(1), (3, 4, 5), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "adaptivemaxpool": (L.AdaptiveMaxPool2D((2, 2)), (3, 8, 8), dict(torchinfo=0, thop=0, ptflops=384, fvcore=0)),
    "adaptiveavgpool": (L.AdaptiveAvgPool2D((2, 2)), (3, 8, 8), dict(torchinfo=0, thop=204, ptflops=384, fvcore=192)),
    "globalmaxpool": (L.GlobalMaxPool2D(keepdims=True), (3, 8, 8), dict(torchinfo=0, thop=0, ptflops=384, fvcore=0)),
    "identity": (L.Identity(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "flatten": (L.Flatten(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "reshape": (L.Reshape((3, 16)), (48,), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "layernorm": (L.LayerNorm((3, 4, 4)), (3, 4, 4), dict(torchinfo=96, thop=192, ptflops=48, fvcore=240)),
    "groupnorm": (L.GroupNorm(2), (4, 4, 4), dict(torchinfo=8, thop=0, ptflops=128, fvcore=320)),
    "instancenorm": (L.InstanceNorm2D(), (4, 4, 4), dict(torchinfo=0, thop=128, ptflops=64, fvcore=256)),
    "instancenorm-affine": (L.InstanceNorm2D(scale=True, bias=True), (4, 4, 4),
                            dict(torchinfo=8, thop=256, ptflops=128, fvcore=320)),
    "batchnorm-nobias": (L.BatchNorm2D(bias=False), (4, 4, 4), dict(torchinfo=4, thop=256, ptflops=128, fvcore=128)),
    "batchnorm-noaffine": (L.BatchNorm2D(scale=False, bias=False), (4, 4, 4),
                           dict(torchinfo=0, thop=128, ptflops=64, fvcore=64)),
    "gelu": (L.GELU(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=96, fvcore=0)),
    "silu": (L.SiLU(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=48, fvcore=0)),
    "relu6": (L.ReLU6(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=48, fvcore=0)),
    "hardswish": (L.Hardswish(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "leakyrelu": (L.LeakyReLU(0.1), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=48, fvcore=0)),
    "prelu": (L.PReLU(), (3, 4, 4), dict(torchinfo=1, thop=48, ptflops=96, fvcore=0)),
    "prelu-c": (L.PReLU(3), (3, 4, 4), dict(torchinfo=3, thop=48, ptflops=96, fvcore=0)),
    "elu": (L.ELU(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=96, fvcore=0)),
    "sigmoid": (L.Sigmoid(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "tanh": (L.Tanh(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "dropout2d": (L.Dropout2D(0.1), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
    "hardsigmoid": (L.Hardsigmoid(), (3, 4, 4), dict(torchinfo=0, thop=0, ptflops=0, fvcore=0)),
}


@pytest.mark.parametrize("case", MEASURED)
def test_new_layers_reproduce_the_tools(case: str) -> None:
    layer, shape, expected = MEASURED[case]
    for convention, count in expected.items():
        assert summarize([layer], shape, convention=convention).total_macs == count, convention
        batched = 2 * count if convention != "ptflops" else count
        assert summarize([layer], shape, convention=convention, batch=2).total_macs == batched, convention
    assert summarize([layer], shape).total_macs == layer.macs(shape)


def test_separable_is_the_sum_of_its_two_convolutions() -> None:
    """Keras SeparableConv2D(64, 3) on 32 channels: 32*9 depthwise + 32*64 pointwise + 64 bias = 2,400."""
    layer = L.SeparableConv2D(64, 3, padding="same")
    assert layer.param_count((32, 56, 56)).trainable == 32 * 9 + 32 * 64 + 64
    assert layer.macs((32, 56, 56)) == (32 * 9 + 32 * 64) * 56 * 56
    assert layer.activation_size((32, 56, 56), (64, 56, 56)) == (32 + 64) * 56 * 56


# --------------------------------------------------------------------------- spelling conventions of the new names
SPELLINGS = [
    ("DepthwiseConv2D(3, 2, 'same', 2)", L.DepthwiseConv2D(3, stride=2, padding="same", depth_multiplier=2)),
    ("dwconv(3, p=1)", L.DepthwiseConv2D(3, padding=1)),
    ("SeparableConv2D(64, 3, padding='same')", L.SeparableConv2D(64, 3, padding="same")),
    ("gconv(64, 3, g=4)", L.Conv2D(64, 3, groups=4)),
    ("nn.Upsample(scale_factor=2, mode='nearest')", L.Upsample(scale_factor=2)),
    ("Upsample(scale_factor=2.0, mode='nearest')", L.Upsample(scale_factor=2.0)),
    ("UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')", L.Upsample(scale_factor=2.0, mode="bilinear")),
    ("UpSampling2D(size=(2, 2), interpolation='bilinear')", L.UpSampling2D((2, 2), interpolation="bilinear")),
    ("PixelShuffle(upscale_factor=2)", L.PixelShuffle(2)),
    ("AdaptiveMaxPool2d(output_size=1)", L.AdaptiveMaxPool2D(1)),
    ("Reshape((7, 7, 64))", L.Reshape((7, 7, 64), channels_last=True)),
    ("Permute((2, 1, 3))", L.Permute((2, 1, 3), channels_last=True)),
    ("LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)", L.LayerNorm((8,))),
    ("LayerNormalization(axis=-1, epsilon=0.001, center=True, scale=True)", L.LayerNorm()),
    ("GroupNorm(2, 8, eps=1e-05, affine=True, bias=True)", L.GroupNorm(2)),
    ("GroupNormalization(groups=4)", L.GroupNorm(4)),
    ("InstanceNorm2d(8, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)",
     L.InstanceNorm2D()),
    ("GELU(approximate='none') SiLU() swish hardswish ReLU6()", [L.GELU(), L.SiLU(), L.SiLU(), L.Hardswish(), L.ReLU6()]),
    ("nn.PReLU(num_parameters=1)", L.PReLU()),
    ("layers.PReLU()", L.PReLU("element")),
    ("PReLU(shared_axes=[1, 2])", L.PReLU("channel")),
    ("ReLU(max_value=6)", L.ReLU6()),
    ("layers.ReLU(6) keras.layers.ReLU(None, 0.2) nn.ReLU(True)", [L.ReLU6(), L.LeakyReLU(0.2), L.ReLU()]),
    ("BatchNormalization(-1) LayerNormalization(-1) GroupNormalization(4, -1)",
     [L.BatchNorm2D(), L.LayerNorm(), L.GroupNorm(4)]),
    ("UpSampling2D((2, 2), None, 'bilinear')", L.UpSampling2D((2, 2), interpolation="bilinear")),
    ("nn.Softmax(1) nn.Dropout(0.5, True) nn.LeakyReLU(0.1, True) nn.Flatten(1, -1)",
     [L.Softmax(), L.Dropout(0.5), L.LeakyReLU(0.1), L.Flatten()]),
    ("ReLU(negative_slope=0.0, threshold=0.0, max_value=None)", L.ReLU()),
    ("ReLU(negative_slope=0.2)", L.LeakyReLU(0.2)),
    ("Dropout2d(p=0.1, inplace=False) SpatialDropout2D(0.2)", [L.Dropout2D(0.1), L.Dropout2D(0.2)]),
    ("Identity()", L.Identity()),
    ("Hardsigmoid() StochasticDepth(p=0.2, mode=row) conv(8, 3, activation='hard_sigmoid')",
     [L.Hardsigmoid(), L.StochasticDepth(0.2), L.Conv2D(8, 3), L.Hardsigmoid()]),
    ("dense(10, activation='gelu')", [L.Dense(10), L.GELU()]),
    ("conv(8, 3, activation='hard_swish')", [L.Conv2D(8, 3), L.Hardswish()]),
    ("LazyConv2d(0, 8, kernel_size=(3, 3), stride=(1, 1))", L.Conv2D(8, (3, 3), stride=(1, 1))),
    ("LazyConv2d(8, 3)", L.Conv2D(8, 3)),
    ("LazyLinear(in_features=0, out_features=3, bias=True)", L.Dense(3)),
    ("LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)", L.BatchNorm2D()),
]


@pytest.mark.parametrize(("text", "expected"), SPELLINGS, ids=[t for t, _ in SPELLINGS])
def test_new_spellings(text: str, expected: object) -> None:
    assert parse_spec(text) == (expected if isinstance(expected, list) else [expected])


REFUSED = [
    ("PReLU()", r"reads two ways: PyTorch's nn.PReLU\(\) has 1 parameter"),
    ("ReLU(6)", r"ReLU\(6\) reads two ways: PyTorch's ReLU\(inplace\) and Keras's ReLU\(max_value"),
    ("BatchNormalization(1)", "axis=1 is not modelled"),
    ("UpSampling2D(2, 'bilinear')", "data_format='bilinear' is not modelled"),
    ("conv2d(3, 8, 3)", r"ambiguous: in Keras's order it reads filters=3, kernel_size=8, stride=3; in PyTorch's it "
                        r"reads in_channels=3, filters=8, kernel_size=3"),
    ("linear(784, 10)", r"ambiguous.*in_features=784, units=10"),
    ("Upsample(scale_factor=2, mode='bicubic')", "'mode' parameter must be 'nearest' or 'bilinear'"),
    ("Upsample(size=4, scale_factor=2)", "exactly one of the two"),
    ("ReLU(max_value=4)", "max_value=4"),
    ("ReLU(threshold=1.0)", "threshold=1.0 is not modelled"),
    ("Permute((1, 1, 2))", "'dims'"),
    ("Reshape((7, -1, -1))", "'target_shape'"),
    ("nn.Flatten(start_dim=2)", "start_dim=2 is not modelled"),
    ("nn.Conv2d(3, 8, 3, padding_mode='mirror')", "padding_mode='mirror' is not modelled"),
    ("dwconv(3, depth_multiplier=0)", "'depth_multiplier'"),
]


@pytest.mark.parametrize(("text", "match"), REFUSED, ids=[t for t, _ in REFUSED])
def test_refused_spellings(text: str, match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        parse_spec(text)


BAD_INPUTS = [
    (L.PixelShuffle(2), (6, 4, 4), "divisible by 4"),
    (L.PixelUnshuffle(2), (1, 5, 4), "divisible by 2"),
    (L.GroupNorm(3), (4, 4, 4), "'groups'"),
    (L.Reshape((5, 5)), (3, 4, 4), "cannot reshape"),
    (L.LayerNorm((4, 4)), (3, 4, 5), "normalized_shape"),
    (L.PReLU(4), (3, 4, 4), "'num_parameters'"),
    (L.Upsample(scale_factor=2, mode="bilinear"), (3, 4), r"\(C, H, W\)"),
]


@pytest.mark.parametrize(("layer", "shape", "match"), BAD_INPUTS, ids=[str(b[0]) for b in BAD_INPUTS])
def test_impossible_inputs_raise(layer: Layer, shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        layer.param_count(shape)


# --------------------------------------------------------------------------- fractional receptive-field steps
def test_upsampling_and_pixel_shuffle_carry_a_fractional_jump() -> None:
    from fractions import Fraction

    summary = summarize(parse_spec("conv(8, 3, p=1) upsample(scale_factor=2) conv(8, 3, p=1)"), (1, 8, 8))
    assert summary.layers[1].jump == (Fraction(1, 2), Fraction(1, 2))
    assert summary.layers[2].rf == (4, 4)  # 3 + (3 - 1) * 1/2
    shuffled = summarize([L.Conv2D(16, 3, padding=1), L.PixelShuffle(2)], (1, 8, 8))
    assert shuffled.layers[1].jump == (Fraction(1, 2), Fraction(1, 2))
    assert L.PixelUnshuffle(2).rf_step((1, 4, 4)) == (L.RFStep(2, 2, 0),) * 2
    assert L.Upsample(size=(7, 9)).rf_step((1, 4, 4)) is None  # not a whole scale: no shift-invariant field


def test_docs_name_table_lists_every_spec_name() -> None:
    table = (DOCS / "stacks.md").read_text()
    rows = [line for line in table.splitlines() if re.match(r"\| `[A-Z]", line)]
    text = "\n".join(rows).lower().replace("_", "")
    missing = sorted({n for info in REGISTRY.values() for n in info.names if f"`{n}`" not in text})
    assert not missing, f"docs/stacks.md's name table lacks {missing}"


def test_docs_name_table_is_the_registry_table() -> None:
    from convcalc.spec.names import name_table

    assert name_table() in (DOCS / "stacks.md").read_text(), "regenerate the table: print(name_table())"


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_nearest_upsampling_steps_as_the_transposed_convolution_it_is(scale: int) -> None:
    """Nearest upsampling by s is ConvTranspose2d(C, C, kernel s, stride s, groups=C) with all-ones weights, so
    its receptive-field step must be that layer's (the fractional step of convcalc.receptive); PixelShuffle(s)
    reads input i // s the same way."""
    from fractions import Fraction

    up = L.Upsample(scale_factor=scale).rf_step((2, 5, 5))
    assert up == L.ConvTranspose2D(2, scale, stride=scale, groups=2).rf_step((2, 5, 5))
    assert up == L.PixelShuffle(scale).rf_step((2 * scale * scale, 5, 5))
    assert up[0].stride == Fraction(1, scale)
    module = nn.Upsample(scale_factor=scale)
    x = torch.zeros(1, 1, 5, 5, requires_grad=True)
    module(x)[0, 0, 0, scale - 1].backward()  # the last output unit that still reads input (0, 0)
    assert x.grad[0, 0].nonzero().tolist() == [[0, 0]]


def test_cropping_of_a_symbolic_size_is_symbolic() -> None:
    import sympy

    n = sympy.Symbol("n", positive=True, integer=True)
    assert L.Cropping2D(((4, 4), (4, 4))).output_shape((8, n, n)) == (8, n - 8, n - 8)
    with pytest.raises(ConvCalcError, match="leaves nothing"):
        L.Cropping2D(((4, 4), (0, 0))).output_shape((8, 8, n))


# Measured with benchmarks/measure_conventions.py (batch 1): upsampling beyond whole 2-d scales.
UPSAMPLE_MEASURED = [
    (L.Upsample(scale_factor=1.5), (3, 5, 7), dict(ptflops=446, fvcore=210, thop=210, torchinfo=0)),
    (L.Upsample(scale_factor=1.5, mode="bilinear"), (2, 5, 7), dict(ptflops=297, fvcore=560, thop=1540)),
    (L.Upsample(scale_factor=(1.5, 2)), (2, 5, 7), dict(ptflops=336, fvcore=196, thop=196)),
    (L.Upsample(size=(9, 11)), (2, 5, 7), dict(ptflops=396, fvcore=198, thop=198)),
    (L.Upsample(scale_factor=2), (3, 5), dict(ptflops=60, fvcore=0, thop=30)),
    (L.Upsample(scale_factor=2), (2, 3, 4, 5), dict(ptflops=1920, fvcore=0, thop=960)),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), UPSAMPLE_MEASURED, ids=[str(u[0]) + str(u[1])
                                                                                  for u in UPSAMPLE_MEASURED])
def test_upsampling_counts_reproduce_the_tools(layer: Layer, shape: tuple[int, ...], expected: dict) -> None:
    """ptflops adds its F.interpolate hook (prod(in) * scale**ndim, int64 scales for a tuple); fvcore has
    handles for 2-d upsampling only."""
    for convention, count in expected.items():
        assert summarize([layer], shape, convention=convention).total_macs == count, convention
