"""Presets against PyTorch modules built the same way (torchvision's architectures written out by hand)."""

from __future__ import annotations

import pytest

from convcalc import ConvCalcError
from convcalc.presets import PRESETS, is_preset, preset
from convcalc.stack import summarize

torch = pytest.importorskip("torch")
nn = torch.nn


def _hw5() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(5408, 100), nn.ReLU(), nn.Linear(100, 10), nn.Softmax(dim=1))


def _hw5_2conv() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 100), nn.ReLU(), nn.Linear(100, 10),
                         nn.Softmax(dim=1))


def _lenet5() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10), nn.Softmax(dim=1))


def _alexnet() -> nn.Sequential:
    """torchvision.models.AlexNet: features, avgpool, flatten, classifier (flattened into one Sequential)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(),
        nn.Dropout(p=0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(p=0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, 1000),
    )


def _vgg16() -> nn.Sequential:
    """torchvision.models.vgg16: make_layers(cfgs["D"]) + AdaptiveAvgPool2d((7, 7)) + classifier."""
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers: list[nn.Module] = []
    channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = v
    layers += [nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(),
               nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
               nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers)


TORCH = {"hw5": _hw5, "hw5-2conv": _hw5_2conv, "lenet5": _lenet5, "alexnet": _alexnet, "vgg16": _vgg16}
# Published parameter counts: the seed's Keras summaries and torchvision's model documentation.
PUBLISHED_PARAMS = {"hw5": 542_230, "hw5-2conv": 179_926, "lenet5": 61_706, "alexnet": 61_100_840,
                    "vgg16": 138_357_544}


@pytest.mark.parametrize("name", list(TORCH))
def test_preset_matches_pytorch_layer_by_layer(name: str) -> None:
    layers, shape = preset(name)
    with torch.device("meta"):  # shapes and counts without allocating or computing (VGG16 has 138M weights)
        module = TORCH[name]()
    summary = summarize(layers, shape)
    assert len(module) == len(layers) == len(summary.layers)
    shapes = []
    hooks = [child.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:]))) for child in module]
    module.eval()
    with torch.no_grad():
        module(torch.zeros(1, *shape, device="meta"))
    for hook in hooks:
        hook.remove()
    assert [row.output_shape for row in summary.layers] == shapes
    assert [row.params for row in summary.layers] == [sum(p.numel() for p in c.parameters()) for c in module]
    assert summary.total_params == sum(p.numel() for p in module.parameters()) == PUBLISHED_PARAMS[name]


def test_torchvision_published_gflops() -> None:
    """torchvision's model table: AlexNet 0.71 GFLOPS, VGG16 15.47 GFLOPS (weight MACs, batch 1)."""
    assert round(summarize(*preset("alexnet")).total_macs / 1e9, 2) == 0.71
    assert round(summarize(*preset("vgg16")).total_macs / 1e9, 2) == 15.47


# Totals measured with the tools on the PyTorch modules above (batch 1 / batch 2); versions as in test_stack.py.
MEASURED_TOTALS = {
    "hw5": dict(torchinfo=(758230, 1516460), thop=(736517, 1473034), ptflops=(844968, 844968),
                fvcore=(736488, 1472976)),
    "hw5-2conv": dict(torchinfo=(2615446, 5230892), thop=(2585989, 5171978), ptflops=(2733160, 2733160),
                      fvcore=(2585960, 5171920)),
    "lenet5": dict(torchinfo=(423038, 846076), thop=(416549, 833098), ptflops=(448672, 448672),
                   fvcore=(416520, 833040)),
    "alexnet": dict(torchinfo=(714682664, 1429365328), thop=(714206912, 1428413824),
                    ptflops=(716441128, 716441128), fvcore=(714197696, 1428395392)),
    "vgg16": dict(torchinfo=(15483821032, 30967642064), thop=(15470314496, 30940628992),
                  ptflops=(15523225576, 15523225576), fvcore=(15470289408, 30940578816)),
}


@pytest.mark.parametrize("name", list(MEASURED_TOTALS))
def test_preset_totals_reproduce_each_tool(name: str) -> None:
    layers, shape = preset(name)
    for convention, (one, two) in MEASURED_TOTALS[name].items():
        assert summarize(layers, shape, convention=convention).total_macs == one, convention
        assert summarize(layers, shape, convention=convention, batch=2).total_macs == two, convention


def test_vgg16_classifier_sees_404_pixels() -> None:
    """The 7x7 'FC as conv' receptive field: 212 + (7 - 1)*32 = 404 (pool5 is 212, stride 32)."""
    rows = summarize(*preset("vgg16")).layers
    assert rows[-1].rf == (404, 404) and rows[-1].jump == (32, 32)


def test_names_and_errors() -> None:
    assert list(PRESETS) == ["hw5", "hw5-2conv", "lenet5", "alexnet", "vgg16", "resnet18", "resnet34", "resnet50",
                             "resnet50-slim", "mobilenet_v1", "mobilenet_v2", "googlenet", "unet", "dcgan-generator",
                             "resnet8", "resnet20", "plain8", "plain20"]
    assert preset("LeNet-5") == preset("lenet5") and preset("HW5_2CONV")[1] == (1, 28, 28)
    assert preset("hw5")[0] is not preset("hw5")[0]  # a fresh list each call
    assert is_preset("vgg16") and not is_preset("conv(8,3)")
    with pytest.raises(ConvCalcError, match="'preset'.*hw5, hw5-2conv, lenet5, alexnet, vgg16"):
        preset("resnet51")
