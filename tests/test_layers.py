"""Layer specs: shapes and parameter counts against PyTorch modules, validation, labels, RF steps."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from math import prod

import pytest

from convcalc import ConvCalcError
from convcalc.layers import (
    ELU,
    AdaptiveAvgPool2D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    BatchNorm1D,
    BatchNorm2D,
    BatchNorm3D,
    Conv1D,
    Conv2D,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Conv3D,
    ConvTranspose1D,
    ConvTranspose2D,
    ConvTranspose3D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    Layer,
    LeakyReLU,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    Params,
    ReLU,
    RFStep,
    Sigmoid,
    Softmax,
    Tanh,
    ZeroPad1D,
    ZeroPad2D,
    ZeroPad3D,
)

torch = pytest.importorskip("torch")
nn = torch.nn


# --------------------------------------------------------------------------- spec -> torch (test oracle only)
def _pairs(padding: object, ndim: int) -> list[tuple[int, int]] | None:
    """Per-axis (lo, hi) for int/tuple paddings; None for the string modes."""
    if isinstance(padding, str):
        return None
    if isinstance(padding, int):
        return [(padding, padding)] * ndim
    if ndim == 1 and len(padding) == 2 and all(isinstance(v, int) for v in padding):
        return [tuple(padding)]
    return [tuple(p) if isinstance(p, tuple) else (p, p) for p in padding]


def _padded(module: nn.Module, pairs: list[tuple[int, int]] | None, ndim: int) -> nn.Module:
    """Put asymmetric padding in a ConstantPad in front (PyTorch convs take one value per axis)."""
    if pairs is None or all(lo == hi for lo, hi in pairs):
        return module
    flat = [v for lo_hi in reversed(pairs) for v in lo_hi]  # F.pad order: last axis first
    pad = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d, 3: nn.ConstantPad3d}[ndim](tuple(flat), 0.0)
    return nn.Sequential(pad, module)


def torch_layer(layer: Layer, in_shape: tuple[int, ...]) -> nn.Module:
    """Build the PyTorch module a spec describes, from its fields (independently of its methods)."""
    name = type(layer).__name__
    ndim = getattr(layer, "ndim", 2)
    channels = in_shape[0]
    if name.startswith("Conv") and "Transpose" not in name:
        cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[ndim]
        padding = layer.padding
        if padding == "full":  # d*(k - 1) per side (Dumoulin & Visin rel. 4)
            k, d = (v if isinstance(v, tuple) else (v,) * ndim for v in (layer.kernel_size, layer.dilation))
            padding = tuple(dd * (kk - 1) for kk, dd in zip(k, d))
        pairs = _pairs(padding, ndim)
        symmetric = padding if pairs is None else (
            tuple(lo for lo, _ in pairs) if all(lo == hi for lo, hi in pairs) else 0)
        return _padded(cls(channels, layer.filters, layer.kernel_size, layer.stride, symmetric, layer.dilation,
                           layer.groups, layer.bias), pairs, ndim)
    if name.startswith("ConvTranspose"):
        cls = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[ndim]
        return cls(channels, layer.filters, layer.kernel_size, layer.stride, layer.padding, layer.output_padding,
                   layer.groups, layer.bias, layer.dilation)
    if name.startswith("MaxPool"):
        cls = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}[ndim]
        return cls(layer.pool_size, layer.stride, layer.padding, layer.dilation, ceil_mode=layer.ceil_mode)
    if name.startswith("AvgPool"):
        cls = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[ndim]
        return cls(layer.pool_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    if name.startswith("ZeroPad"):
        pairs = _pairs(layer.padding, ndim) if not (isinstance(layer.padding, tuple)
                                                   and len(layer.padding) == 2 * ndim and ndim > 1) else None
        flat = layer.padding if pairs is None else tuple(v for lo_hi in reversed(pairs) for v in lo_hi)
        return {1: nn.ConstantPad1d, 2: nn.ConstantPad2d, 3: nn.ConstantPad3d}[ndim](flat, 0.0)
    simple = {
        "AdaptiveAvgPool2D": lambda: nn.AdaptiveAvgPool2d(layer.output_size),
        "GlobalAvgPool2D": lambda: nn.Sequential(nn.AdaptiveAvgPool2d(1), *([] if layer.keepdims else [nn.Flatten()])),
        "GlobalMaxPool2D": lambda: nn.Sequential(nn.AdaptiveMaxPool2d(1), *([] if layer.keepdims else [nn.Flatten()])),
        "BatchNorm1D": lambda: nn.BatchNorm1d(channels), "BatchNorm2D": lambda: nn.BatchNorm2d(channels),
        "BatchNorm3D": lambda: nn.BatchNorm3d(channels),
        "Flatten": nn.Flatten, "Dense": lambda: nn.Linear(channels, layer.units, layer.bias),
        "Dropout": lambda: nn.Dropout(layer.rate), "ReLU": nn.ReLU,
        "LeakyReLU": lambda: nn.LeakyReLU(layer.negative_slope), "ELU": lambda: nn.ELU(layer.alpha),
        "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Softmax": lambda: nn.Softmax(dim=1),
    }
    return simple[name]()


def torch_counts(module: nn.Module) -> Params:
    """Trainable parameters and BN running statistics, as PyTorch holds them."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    buffers = sum(b.numel() for n, b in module.named_buffers() if n.endswith(("running_mean", "running_var")))
    return Params(trainable, buffers)


def torch_output_shape(module: nn.Module, in_shape: tuple[int, ...]) -> tuple[int, ...]:
    module.eval()
    with torch.no_grad():
        return tuple(module(torch.zeros(2, *in_shape)).shape[1:])


# --------------------------------------------------------------------------- valid table
VALID = [
    (Conv2D(32, 3), (1, 28, 28)),
    (Conv2D(8, 3, stride=2, padding=1), (3, 32, 32)),
    (Conv2D(8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)), (3, 17, 23)),
    (Conv2D(6, 4, padding="same"), (2, 9, 10)),
    (Conv2D(6, 3, padding="valid", dilation=3, groups=2, bias=False), (4, 16, 16)),
    (Conv2D(4, 3, padding=((0, 1), (2, 0))), (1, 7, 7)),
    (Conv2D(4, 3, padding="full"), (1, 7, 7)),
    (Conv2D(5, 7, padding=3), (2, 7, 7)),
    (Conv2D(4, 2, stride=3), (1, 11, 11)),
    (Conv1D(4, 5, stride=2, padding=2, dilation=2), (3, 30)),
    (Conv1D(4, 3, padding=(0, 2)), (3, 10)),
    (Conv3D(2, 3, stride=(1, 2, 2), padding=1), (1, 5, 8, 9)),
    (ConvTranspose2D(16, 3, stride=2, padding=1, output_padding=1), (32, 7, 7)),
    (ConvTranspose2D(4, (4, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), (6, 5, 6)),
    (ConvTranspose1D(3, 4, stride=3, output_padding=2), (2, 5)),
    (ConvTranspose3D(2, 2, stride=2, bias=False), (3, 2, 3, 4)),
    (MaxPool2D(2), (32, 26, 26)),
    (MaxPool2D(3, stride=2, ceil_mode=True), (64, 56, 56)),
    (MaxPool2D(3, stride=2, padding=1, dilation=2), (2, 15, 16)),
    (MaxPool2D((2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True), (1, 5, 7)),
    (MaxPool1D(2, ceil_mode=True), (2, 7)),
    (MaxPool3D(2, stride=1), (1, 4, 5, 6)),
    (AvgPool2D(2, stride=1), (6, 28, 28)),
    (AvgPool2D(3, stride=2, padding=1, ceil_mode=True), (2, 10, 10)),
    (AvgPool1D(3), (2, 10)),
    (AvgPool3D(2, ceil_mode=True), (1, 5, 5, 5)),
    (AdaptiveAvgPool2D((6, 6)), (256, 6, 6)),
    (AdaptiveAvgPool2D((7, 7)), (512, 7, 7)),
    (AdaptiveAvgPool2D(3), (2, 9, 10)),
    (GlobalAvgPool2D(), (512, 7, 7)),
    (GlobalAvgPool2D(keepdims=True), (8, 3, 5)),
    (GlobalMaxPool2D(), (8, 3, 5)),
    (ZeroPad2D(2), (1, 28, 28)),
    (ZeroPad2D(((0, 1), (2, 3))), (1, 28, 28)),
    (ZeroPad2D((2, 3, 0, 1)), (1, 28, 28)),
    (ZeroPad1D((1, 2)), (3, 5)),
    (ZeroPad3D(1), (1, 2, 3, 4)),
    (BatchNorm2D(), (64, 56, 56)),
    (BatchNorm1D(), (100,)),
    (BatchNorm1D(), (4, 9)),
    (BatchNorm3D(), (2, 3, 4, 5)),
    (Flatten(), (32, 13, 13)),
    (Dense(100), (5408,)),
    (Dense(7, bias=False), (3,)),
    (Dropout(0.25), (3, 4, 4)),
    (ReLU(), (3, 4, 4)),
    (LeakyReLU(0.2), (5,)),
    (ELU(), (3, 4)),
    (Sigmoid(), (2, 3, 3)),
    (Tanh(), (2,)),
    (Softmax(), (10,)),
]


@pytest.mark.parametrize(("layer", "in_shape"), VALID, ids=[f"{layer}-{s}" for layer, s in VALID])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_shape_and_params_match_pytorch(layer: Layer, in_shape: tuple[int, ...]) -> None:
    module = torch_layer(layer, in_shape)
    assert layer.output_shape(in_shape) == torch_output_shape(module, in_shape)
    assert layer.param_count(in_shape) == torch_counts(module)


CONVS = [(layer, shape) for layer, shape in VALID if isinstance(layer, (Conv1D, Conv2D, Conv3D))]


@pytest.mark.parametrize(("layer", "in_shape"), CONVS, ids=[str(layer) for layer, _ in CONVS])
def test_conv_macs_are_weight_volume_times_output_positions(layer: Layer, in_shape: tuple[int, ...]) -> None:
    module = torch_layer(layer, in_shape)
    conv = module if not isinstance(module, nn.Sequential) else module[1]
    out = torch_output_shape(module, in_shape)
    assert layer.macs(in_shape) == conv.weight.numel() * prod(out[1:])


def test_transposed_macs_count_every_input_against_the_whole_kernel() -> None:
    layer, shape = ConvTranspose2D(16, 3, stride=2, padding=1, output_padding=1), (32, 7, 7)
    weight = torch_layer(layer, shape).weight
    assert tuple(weight.shape) == (32, 16, 3, 3)  # PyTorch layout (C, filters/groups, kh, kw)
    assert layer.macs(shape) == weight.numel() * 7 * 7


def test_dense_macs_and_layout() -> None:
    assert Dense(100).macs((5408,)) == 540_800
    assert tuple(nn.Linear(5408, 100).weight.shape) == (100, 5408)  # weight (units, in), as documented


@pytest.mark.parametrize("layer", [ReLU(), MaxPool2D(2), BatchNorm2D(), Flatten(), Dropout(0.5), ZeroPad2D(1)])
def test_layers_without_weights_have_no_weight_macs(layer: Layer) -> None:
    assert layer.macs((4, 8, 8)) == 0


# --------------------------------------------------------------------------- 'same' under TensorFlow's rule
def test_same_with_stride_follows_tensorflow() -> None:
    """TF tf.nn docs: in 5, filter 3, stride 2 -> 3 (pad 1 + 1); in 2, filter 2, stride 1 -> 2 (pad 0 + 1)."""
    assert Conv2D(1, 3, stride=2, padding="same").output_shape((1, 5, 5)) == (1, 3, 3)
    assert Conv2D(1, 3, stride=2, padding="same").rf_step((1, 5, 5))[0] == RFStep(3, 2, 1, 1)
    assert Conv2D(1, 2, padding="same").output_shape((1, 2, 2)) == (1, 2, 2)
    assert Conv2D(1, 2, padding="same").rf_step((1, 2, 2))[0].padding_lo == 0
    assert Conv2D(1, 7, stride=2, padding="same").output_shape((3, 224, 224)) == (1, 112, 112)
    assert MaxPool2D(3, stride=2, padding="same").output_shape((1, 7, 7)) == (1, 4, 4)


# --------------------------------------------------------------------------- receptive-field steps
RF_STEPS = [
    (Conv2D(8, 3), (1, 9, 9), (RFStep(3, 1, 0, 1),) * 2),
    (Conv2D(8, (3, 5), stride=(1, 2), padding=(1, 2), dilation=(2, 1)), (1, 9, 9),
     (RFStep(3, 1, 1, 2), RFStep(5, 2, 2, 1))),
    (Conv2D(8, 4, padding="same"), (1, 9, 9), (RFStep(4, 1, 1, 1),) * 2),
    (Conv2D(8, 3, padding=((2, 0), (0, 1))), (1, 9, 9), (RFStep(3, 1, 2, 1), RFStep(3, 1, 0, 1))),
    (MaxPool2D(3, stride=2, padding=1), (1, 9, 9), (RFStep(3, 2, 1, 1),) * 2),
    (AvgPool1D(2), (1, 9), (RFStep(2, 2, 0, 1),)),
    (ZeroPad2D(((1, 0), (3, 2))), (1, 4, 4), (RFStep(1, 1, 1, 1), RFStep(1, 1, 3, 1))),
    (GlobalAvgPool2D(), (3, 7, 5), (RFStep(7, 1, 0, 1), RFStep(5, 1, 0, 1))),
    (AdaptiveAvgPool2D((2, 5)), (3, 8, 5), (RFStep(4, 4, 0, 1), RFStep(1, 1, 0, 1))),
    (AdaptiveAvgPool2D(3), (3, 8, 9), None),
    # stride 2: each output reads floor(2/2) + 1 = 2 inputs, 1/2 input step per output step (Fraction jump)
    (ConvTranspose2D(4, 3, stride=2), (1, 5, 5), (RFStep(2, Fraction(1, 2), 1, 1),) * 2),
    (ConvTranspose2D(4, 3, padding=1), (1, 5, 5), (RFStep(3, 1, 1, 1),) * 2),
    (Dense(10), (4, 6, 5), (RFStep(6, 1, 0, 1), RFStep(5, 1, 0, 1))),
    (Dense(10), (4,), ()),
    (ReLU(), (4, 6, 5), (RFStep(1, 1, 0, 1),) * 2),
    (Flatten(), (4, 6, 5), (RFStep(1, 1, 0, 1),) * 2),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), RF_STEPS, ids=[str(r[0]) for r in RF_STEPS])
def test_rf_step(layer: Layer, shape: tuple[int, ...], expected: tuple | None) -> None:
    assert layer.rf_step(shape) == expected


def test_effective_kernel_of_a_step() -> None:
    assert RFStep(3, 1, 0, 2).effective_kernel == 5
    assert RFStep(2, 2, 1, 4).effective_kernel == 5


# --------------------------------------------------------------------------- labels
LABELS = [
    (Conv2D(32, 3), "Conv2D(32, 3, s=1, p=0)"),
    (Conv2D(64, (3, 5), stride=2, padding="same", dilation=2, groups=2, bias=False),
     "Conv2D(64, 3x5, s=2, p=same, d=2, g=2, bias=False)"),
    (Conv2D(8, (3, 3), padding=((0, 1), (0, 1))), "Conv2D(8, 3, s=1, p=((0,1),(0,1)))"),
    (ConvTranspose2D(16, 3, stride=2, padding=1, output_padding=1), "ConvTranspose2D(16, 3, s=2, p=1, op=1)"),
    (MaxPool2D(2), "MaxPool2D(2)"),
    (MaxPool2D(3, stride=2, padding=1, ceil_mode=True), "MaxPool2D(3, s=2, p=1, ceil)"),
    (AvgPool2D(2, stride=2), "AvgPool2D(2)"),
    (Dense(100), "Dense(100)"),
    (Dense(10, bias=False), "Dense(10, bias=False)"),
    (Dropout(0.5), "Dropout(0.5)"),
    (LeakyReLU(0.2), "LeakyReLU(0.2)"),
    (ReLU(), "ReLU"),
    (Flatten(), "Flatten()"),
    (AdaptiveAvgPool2D((6, 6)), "AdaptiveAvgPool2D(6)"),
    (ZeroPad2D(1), "ZeroPad2D(1)"),
]


@pytest.mark.parametrize(("layer", "label"), LABELS, ids=[label for _, label in LABELS])
def test_describe_and_str(layer: Layer, label: str) -> None:
    assert layer.describe() == label == str(layer)


# --------------------------------------------------------------------------- invalid specs
INVALID = [
    (lambda: Conv2D(0, 3), "filters"),
    (lambda: Conv2D(8.0, 3), "filters"),
    (lambda: Conv2D(8, 0), "kernel_size"),
    (lambda: Conv2D(8, (3, 3, 3)), "kernel_size"),
    (lambda: Conv2D(8, 3, stride=0), "stride"),
    (lambda: Conv2D(8, 3, padding=-1), "padding"),
    (lambda: Conv2D(8, 3, padding="half"), "padding"),
    (lambda: Conv2D(8, 3, padding=(1, 2, 3)), "padding"),
    (lambda: Conv2D(8, 3, dilation=0), "dilation"),
    (lambda: Conv2D(8, 3, groups=3), "groups"),
    (lambda: Conv2D(8, 3, bias="yes"), "bias"),
    (lambda: Conv1D(8, (3, 3)), "kernel_size"),
    (lambda: ConvTranspose2D(8, 3, padding="same"), "padding"),
    (lambda: ConvTranspose2D(8, 3, output_padding=-1), "output_padding"),
    (lambda: MaxPool2D(0), "pool_size"),
    (lambda: MaxPool2D(2, stride=0), "stride"),
    (lambda: MaxPool2D(2, padding="full"), "padding"),
    (lambda: MaxPool2D(2, ceil_mode=1), "ceil_mode"),
    (lambda: AvgPool2D(2, padding=-1), "padding"),
    (lambda: AdaptiveAvgPool2D(0), "output_size"),
    (lambda: ZeroPad2D(-1), "padding"),
    (lambda: Dense(0), "units"),
    (lambda: Dense(10, bias=None), "bias"),
    (lambda: Dropout(1.0), "rate"),
    (lambda: Dropout(-0.1), "rate"),
    (lambda: LeakyReLU("x"), "negative_slope"),
    (lambda: ELU(None), "alpha"),
]


@pytest.mark.parametrize(("make", "name"), INVALID, ids=[f"{i}-{name}" for i, (_, name) in enumerate(INVALID)])
def test_invalid_fields_raise_naming_the_parameter(make, name: str) -> None:
    with pytest.raises(ConvCalcError, match=f"'{name}'"):
        make()


BAD_INPUTS = [
    (Conv2D(64, 5), (3, 4, 4), "kernel 5 is larger than the padded input 4"),
    (Conv2D(8, 3), (784,), r"needs an input of shape \(C, H, W\)"),
    (Conv2D(8, 3, groups=2), (3, 8, 8), "groups"),
    (Conv1D(8, 3), (3, 8, 8), r"\(C, L\)"),
    (Dense(10), (32, 13, 13), "add Flatten"),
    (MaxPool2D(3, padding=2), (1, 8, 8), "half the pool window"),
    (MaxPool2D(4), (1, 3, 3), "larger than the padded input"),
    (ConvTranspose2D(4, 3, stride=2, output_padding=2), (1, 5, 5), "output_padding"),
    (BatchNorm2D(), (3,), r"\(C, H, W\)"),
    (GlobalAvgPool2D(), (3, 4), r"\(C, H, W\)"),
    (Conv2D(8, 3, stride=2, dilation=2, padding="same"), (1, 9, 9), "stride > 1 together with dilation > 1"),
]


@pytest.mark.parametrize(("layer", "shape", "match"), BAD_INPUTS, ids=[str(b[0]) for b in BAD_INPUTS])
def test_an_input_that_cannot_pass_raises(layer: Layer, shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        layer.output_shape(shape)


def test_pytorch_agrees_that_the_bad_conv_input_is_impossible() -> None:
    with pytest.raises(RuntimeError):
        torch_output_shape(torch_layer(Conv2D(64, 5), (3, 4, 4)), (3, 4, 4))


# --------------------------------------------------------------------------- dataclass discipline
def test_specs_are_frozen_hashable_and_compare_by_value() -> None:
    conv = Conv2D(32, [3, 3], padding=[1, 1])
    assert conv == Conv2D(32, (3, 3), padding=(1, 1))
    assert conv != Conv1D(32, 3) and Conv1D(32, 3) != Conv2D(32, 3)
    assert len({conv, Conv2D(32, (3, 3), padding=(1, 1)), MaxPool2D(2)}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        conv.filters = 8  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(ConvTranspose2D)] == [
        "filters", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "bias", "in_channels"]
    assert [f.name for f in dataclasses.fields(MaxPool2D)] == ["pool_size", "stride", "padding", "dilation",
                                                               "ceil_mode"]
    assert [f.name for f in dataclasses.fields(AvgPool2D)] == ["pool_size", "stride", "padding", "ceil_mode"]


def test_params_total() -> None:
    assert BatchNorm2D().param_count((64, 8, 8)).total == 256
    assert Params(3).total == 3


# --------------------------------------------------------------------------- cropping (U-Net's skips)
CROPS = [(Cropping2D(((4, 4), (4, 4))), (8, 64, 64)), (Cropping2D(((1, 0), (2, 3))), (2, 9, 10)),
         (Cropping2D((1, 2)), (3, 10, 10)), (Cropping2D(3), (1, 7, 7)), (Cropping1D((1, 2)), (3, 5)),
         (Cropping3D(1), (1, 3, 4, 5))]


@pytest.mark.parametrize(("layer", "in_shape"), CROPS, ids=[str(c) for c, _ in CROPS])
def test_cropping_matches_a_negative_pad_in_pytorch(layer: Layer, in_shape: tuple[int, ...]) -> None:
    """PyTorch has no crop module; F.pad with negative amounts crops (keras.layers.Cropping2D's shapes)."""
    pairs = layer.cropping_pairs()
    flat = tuple(-v for lo_hi in reversed(pairs) for v in lo_hi)
    with torch.no_grad():
        out = torch.nn.functional.pad(torch.zeros(1, *in_shape), flat)
    assert layer.output_shape(in_shape) == tuple(out.shape[1:])
    assert layer.param_count(in_shape) == Params(0) and layer.macs(in_shape) == 0
    assert layer.rf_step(in_shape) == tuple(RFStep(1, 1, -lo) for lo, _ in pairs)


def test_cropping_everything_is_an_error() -> None:
    with pytest.raises(ConvCalcError, match="leaves nothing"):
        Cropping2D(((3, 2), (0, 0))).output_shape((1, 5, 9))
    with pytest.raises(ConvCalcError, match="'cropping'"):
        Cropping2D(-1)
