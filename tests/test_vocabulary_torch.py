"""The modern vocabulary against PyTorch 2.13: more configurations than the registry's examples, and
``print(model)`` text of every new module read back (the repr PyTorch 2.13 prints, BatchNorm's
``bias=True`` included).

Each case builds the PyTorch module the spec describes, runs a forward pass on zeros and compares the
output shape, ``sum(p.numel())`` and the running statistics; the printed model is read through
:func:`convcalc.importers.torch_text.read_torch_print` and summarised, then compared layer by layer.
"""

from __future__ import annotations

from math import prod

import pytest

from convcalc import layers as L
from convcalc.stack import summarize

torch = pytest.importorskip("torch")
nn = torch.nn


class _Lambda(nn.Module):
    def __init__(self, fn) -> None:  # noqa: ANN001
        super().__init__()
        self.fn = fn

    def forward(self, x):  # noqa: ANN001, ANN201
        return self.fn(x)


CASES = [
    (L.DepthwiseConv2D(3, stride=2, padding=1), (8, 9, 9), lambda: nn.Conv2d(8, 8, 3, 2, 1, groups=8)),
    (L.DepthwiseConv2D((3, 5), padding=(1, 2), depth_multiplier=3, bias=False), (2, 7, 8),
     lambda: nn.Conv2d(2, 6, (3, 5), padding=(1, 2), groups=2, bias=False)),
    (L.DepthwiseConv2D(3, padding="same", dilation=2), (4, 9, 9), lambda: nn.Conv2d(4, 4, 3, padding="same", dilation=2,
                                                                                   groups=4)),
    (L.SeparableConv2D(16, 3, stride=2, padding=1, depth_multiplier=2, bias=False), (4, 11, 11),
     lambda: nn.Sequential(nn.Conv2d(4, 8, 3, 2, 1, groups=4, bias=False), nn.Conv2d(8, 16, 1, bias=False))),
    (L.Conv2D(12, 3, groups=3), (6, 8, 8), lambda: nn.Conv2d(6, 12, 3, groups=3)),
    (L.Upsample(scale_factor=1.5), (3, 5, 7), lambda: nn.Upsample(scale_factor=1.5)),
    (L.Upsample(size=(7, 9), mode="bilinear"), (3, 4, 5), lambda: nn.Upsample(size=(7, 9), mode="bilinear")),
    (L.Upsample(scale_factor=(2, 3)), (1, 3, 4), lambda: nn.Upsample(scale_factor=(2, 3))),
    (L.Upsample(scale_factor=2), (3, 5), lambda: nn.Upsample(scale_factor=2)),
    (L.Upsample(scale_factor=2), (2, 3, 4, 5), lambda: nn.Upsample(scale_factor=2)),
    (L.UpSampling2D(3), (2, 4, 4), lambda: nn.Upsample(scale_factor=3)),
    (L.PixelUnshuffle(3), (2, 6, 9), lambda: nn.PixelUnshuffle(3)),
    (L.PixelShuffle(3), (18, 2, 3), lambda: nn.PixelShuffle(3)),
    (L.AdaptiveMaxPool2D((3, 2)), (2, 7, 5), lambda: nn.AdaptiveMaxPool2d((3, 2))),
    (L.GlobalMaxPool2D(keepdims=True), (3, 5, 6), lambda: nn.AdaptiveMaxPool2d(1)),
    (L.GlobalAvgPool2D(), (3, 5, 6), lambda: nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())),
    (L.GroupNorm(4, scale=False, bias=False), (8, 3, 3), lambda: nn.GroupNorm(4, 8, affine=False)),
    (L.GroupNorm(1), (6, 4), lambda: nn.GroupNorm(1, 6)),
    (L.LayerNorm(6), (4, 6), lambda: nn.LayerNorm(6)),
    (L.LayerNorm((5, 6), bias=False), (3, 5, 6), lambda: nn.LayerNorm((5, 6), bias=False)),
    (L.LayerNorm((5, 6), scale=False, bias=False), (3, 5, 6), lambda: nn.LayerNorm((5, 6), elementwise_affine=False)),
    (L.InstanceNorm2D(scale=True, bias=True, track_running_stats=True), (4, 3, 3),
     lambda: nn.InstanceNorm2d(4, affine=True, track_running_stats=True)),
    (L.BatchNorm2D(bias=False), (4, 3, 3), lambda: nn.BatchNorm2d(4, bias=False)),
    (L.BatchNorm1D(scale=False, bias=False, track_running_stats=False), (5,),
     lambda: nn.BatchNorm1d(5, affine=False, track_running_stats=False)),
    (L.PReLU("channel"), (5, 3, 3), lambda: nn.PReLU(5)),
    (L.GELU("tanh"), (3, 4), lambda: nn.GELU("tanh")),
    (L.Permute((2, 1)), (3, 4), lambda: _Lambda(lambda x: x.permute(0, 2, 1))),
    (L.Permute((2, 3, 1)), (3, 4, 5), lambda: _Lambda(lambda x: x.permute(0, 2, 3, 1))),
    (L.Reshape((-1, 2)), (3, 4, 4), lambda: _Lambda(lambda x: x.reshape(x.shape[0], -1, 2))),
    (L.Reshape((4, 4, 3), channels_last=True), (48,),
     lambda: _Lambda(lambda x: x.reshape(x.shape[0], 4, 4, 3).permute(0, 3, 1, 2))),
    (L.Cropping2D(((1, 2), (0, 3))), (2, 6, 7), lambda: _Lambda(lambda x: x[:, :, 1:-2, 0:-3])),
    (L.Identity(), (3, 2), lambda: nn.Identity()),
]


def _buffers(module: nn.Module) -> int:
    return sum(b.numel() for n, b in module.named_buffers() if n.endswith(("running_mean", "running_var")))


@pytest.mark.parametrize(("layer", "shape", "make"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_shape_and_counts_match_pytorch(layer: L.Layer, shape: tuple[int, ...], make) -> None:  # noqa: ANN001
    module = make().eval()
    with torch.no_grad():
        out = tuple(module(torch.zeros(2, *shape)).shape[1:])
    assert layer.output_shape(shape) == out
    counted = layer.param_count(shape)
    assert (counted.trainable, counted.non_trainable) == (sum(p.numel() for p in module.parameters()), _buffers(module))
    assert layer.activation_size(shape, out) >= prod(out)


def test_printed_pytorch_213_model_reads_back_layer_by_layer() -> None:
    from convcalc.importers.torch_text import read_torch_print

    modules = [nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.GELU(), nn.Upsample(scale_factor=2),
               nn.PixelShuffle(2), nn.GroupNorm(2, 2), nn.InstanceNorm2d(2), nn.PReLU(), nn.Dropout2d(0.1),
               nn.Hardswish(), nn.SiLU(), nn.ReLU6(), nn.Conv2d(2, 4, 3, groups=2), nn.UpsamplingBilinear2d(scale_factor=2),
               nn.PixelUnshuffle(2), nn.LeakyReLU(0.2), nn.ELU(), nn.ZeroPad2d((1, 0, 2, 1)), nn.AdaptiveMaxPool2d(1),
               nn.Identity(), nn.Flatten(), nn.LayerNorm(16), nn.Linear(16, 10), nn.BatchNorm1d(10, affine=False)]
    model = nn.Sequential(*modules).eval()
    text = str(model)
    assert "BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)" in text
    imported = read_torch_print(text)
    assert [row.status for row in imported.rows] == ["ok"] * len(modules), imported.rows
    rows = summarize(list(imported.layers), (3, 8, 8)).layers
    x = torch.zeros(1, 3, 8, 8)
    with torch.no_grad():
        for module, row in zip(modules, rows):
            x = module(x)
            assert row.output_shape == tuple(x.shape[1:]), row.name
            assert (row.trainable, row.non_trainable) == (sum(p.numel() for p in module.parameters()),
                                                          _buffers(module)), row.name


# --------------------------------------------------------------------------- every PyTorch spelling, as PyTorch 2.13 prints it
# spelling -> (module, input shape): the module's own print(module) text is parsed back.
PRINTED = {
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), (3, 11)),
    "Conv2d": (lambda: nn.Conv2d(3, 4, (3, 5), padding=(1, 2), groups=1, bias=False), (3, 9, 9)),
    "Conv3d": (lambda: nn.Conv3d(2, 4, 3, padding=1), (2, 4, 5, 6)),
    "LazyConv1d": (lambda: nn.LazyConv1d(4, 3), (3, 11)),
    "LazyConv2d": (lambda: nn.LazyConv2d(4, 3, stride=2), (3, 9, 9)),
    "LazyConv3d": (lambda: nn.LazyConv3d(4, 2), (2, 4, 5, 6)),
    "ConvTranspose1d": (lambda: nn.ConvTranspose1d(3, 4, 3, stride=2, output_padding=1), (3, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2), (4, 5, 5)),
    "ConvTranspose3d": (lambda: nn.ConvTranspose3d(2, 3, 2, stride=2), (2, 2, 3, 4)),
    "LazyConvTranspose1d": (lambda: nn.LazyConvTranspose1d(4, 3), (3, 5)),
    "LazyConvTranspose2d": (lambda: nn.LazyConvTranspose2d(4, 3, stride=2), (3, 5, 5)),
    "LazyConvTranspose3d": (lambda: nn.LazyConvTranspose3d(3, 2), (2, 2, 3, 4)),
    "MaxPool1d": (lambda: nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 10)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, 2, 1, dilation=2), (2, 11, 11)),
    "MaxPool3d": (lambda: nn.MaxPool3d(2), (1, 4, 4, 4)),
    "AvgPool1d": (lambda: nn.AvgPool1d(3, 2, 1), (2, 10)),
    # print() does not show AvgPool's ceil_mode (nor count_include_pad): a printed AvgPool reads as floor mode
    "AvgPool2d": (lambda: nn.AvgPool2d(2, count_include_pad=False), (2, 7, 7)),
    "AvgPool3d": (lambda: nn.AvgPool3d(2, 1), (1, 4, 4, 4)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 7, 5)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(1), (2, 7, 5)),
    "ZeroPad1d": (lambda: nn.ZeroPad1d((1, 2)), (2, 5)),
    "ZeroPad2d": (lambda: nn.ZeroPad2d((1, 0, 2, 3)), (2, 5, 5)),
    "ZeroPad3d": (lambda: nn.ZeroPad3d(1), (1, 2, 3, 4)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(6), (6,)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(4, bias=False), (4, 3, 3)),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2, affine=False), (2, 2, 3, 3)),
    "LazyBatchNorm1d": (lambda: nn.LazyBatchNorm1d(), (6, 4)),
    "LazyBatchNorm2d": (lambda: nn.LazyBatchNorm2d(), (4, 3, 3)),
    "LazyBatchNorm3d": (lambda: nn.LazyBatchNorm3d(), (2, 2, 3, 3)),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(4, affine=True), (4, 6)),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(4, track_running_stats=True), (4, 3, 3)),
    "InstanceNorm3d": (lambda: nn.InstanceNorm3d(2), (2, 2, 3, 3)),
    "LazyInstanceNorm1d": (lambda: nn.LazyInstanceNorm1d(), (4, 6)),
    "LazyInstanceNorm2d": (lambda: nn.LazyInstanceNorm2d(affine=True), (4, 3, 3)),
    "LazyInstanceNorm3d": (lambda: nn.LazyInstanceNorm3d(), (2, 2, 3, 3)),
    "LayerNorm": (lambda: nn.LayerNorm((3, 3), elementwise_affine=False), (4, 3, 3)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4, affine=False), (4, 3, 3)),
    "Linear": (lambda: nn.Linear(6, 3, bias=False), (6,)),
    "LazyLinear": (lambda: nn.LazyLinear(3), (6,)),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 3)),
    "Dropout": (lambda: nn.Dropout(0.3), (2, 3)),
    "Dropout2d": (lambda: nn.Dropout2d(0.3), (2, 3, 3)),
    "Identity": (lambda: nn.Identity(), (2, 3)),
    "Upsample": (lambda: nn.Upsample(size=(5, 7), mode="bilinear"), (2, 3, 3)),
    "UpsamplingNearest2d": (lambda: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 3)),
    "UpsamplingBilinear2d": (lambda: nn.UpsamplingBilinear2d(size=(5, 6)), (2, 3, 3)),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), (8, 3, 3)),
    "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), (2, 4, 6)),
    "ChannelShuffle": (lambda: nn.ChannelShuffle(2), (6, 3, 3)),
    "ReLU": (lambda: nn.ReLU(inplace=True), (2, 3)),
    "ReLU6": (lambda: nn.ReLU6(), (2, 3)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), (2, 3)),
    "ELU": (lambda: nn.ELU(0.5), (2, 3)),
    "GELU": (lambda: nn.GELU("tanh"), (2, 3)),
    "SiLU": (lambda: nn.SiLU(), (2, 3)),
    "Hardswish": (lambda: nn.Hardswish(), (2, 3)),
    "Hardsigmoid": (lambda: nn.Hardsigmoid(), (2, 3)),
    "PReLU": (lambda: nn.PReLU(2), (2, 3)),
    "Sigmoid": (lambda: nn.Sigmoid(), (2, 3)),
    "Tanh": (lambda: nn.Tanh(), (2, 3)),
    "Softmax": (lambda: nn.Softmax(dim=1), (5,)),
}


def test_every_registered_pytorch_spelling_has_a_printed_case() -> None:
    from convcalc.layers import REGISTRY

    spellings = {s for info in REGISTRY.values() for s in info.torch_names}
    assert spellings == set(PRINTED), sorted(spellings ^ set(PRINTED))


@pytest.mark.parametrize("spelling", sorted(PRINTED))
def test_pytorch_213_prints_each_module_in_a_form_the_spec_reads(spelling: str) -> None:
    from convcalc.spec import parse_spec

    make, shape = PRINTED[spelling]
    module = make().eval()
    text = repr(module)  # before the forward pass: a Lazy module prints its uninitialised size as 0
    assert text.startswith(spelling), text
    with torch.no_grad():
        out = tuple(module(torch.zeros(2, *shape)).shape[1:])  # the forward pass sizes the Lazy modules
    layers = parse_spec("nn." + text)
    assert len(layers) == 1, (text, layers)
    assert layers[0].output_shape(shape) == out, text
    counted = layers[0].param_count(shape)
    assert (counted.trainable, counted.non_trainable) == (sum(p.numel() for p in module.parameters()),
                                                          _buffers(module)), text
