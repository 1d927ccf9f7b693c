"""Reading real models: ResNet-50 from ONNX, torch.fx and print(model), VGG-16 from print(model), read and summarised.

Goal (issue "Read the models people already have"): reading ResNet-50's ``print(model)`` text or
ONNX file and summarising it under 200 ms. ResNet-50 is written here from its paper's description
(He et al. 2016, torchvision's v1.5 layout: stride 2 in the 3x3 conv of a bottleneck), since
torchvision does not load beside the PyTorch installed here; its classes and attributes carry
torchvision's names (``ResNet``, ``layer1``..``layer4``, ``Bottleneck``), so its ``print(model)``
text is torchvision's and reads as a graph. Needs torch and onnx.

Run: ``python benchmarks/bench_import.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from convcalc import from_torch, summarize
from convcalc.importers import read_model


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        cout = width * 4
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1, self.relu = nn.BatchNorm2d(64), nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for stage, (width, count, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), 1):
            blocks = []
            for i in range(count):
                blocks.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def vgg16() -> nn.Module:
    layers: list[nn.Module] = []
    cin = 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, int(v), 3, padding=1), nn.ReLU(inplace=True)]
            cin = int(v)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d((7, 7)), nn.Flatten(), nn.Linear(512 * 49, 4096),
                         nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
                         nn.Linear(4096, 1000))


def timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    resnet, vgg = ResNet().eval(), vgg16().eval()
    expected = sum(p.numel() for p in resnet.parameters())
    with tempfile.TemporaryDirectory() as folder:
        onnx_path = Path(folder) / "resnet50.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(resnet, (torch.zeros(1, 3, 224, 224),), str(onnx_path), dynamo=False,
                              do_constant_folding=False)
        text_path = Path(folder) / "vgg16.txt"
        text_path.write_text(str(vgg))
        resnet_text_path = Path(folder) / "resnet50.txt"
        resnet_text_path.write_text(str(resnet))

        def onnx_read():
            model = read_model(str(onnx_path))
            return summarize(model.graph(), model.input_shape)

        def fx_read():
            model = from_torch(resnet, (3, 224, 224))
            return summarize(model.graph(), model.input_shape)

        def text_read():
            model = read_model(str(text_path))
            return summarize(model.layers, (3, 224, 224))

        def resnet_text_read():
            model = read_model(str(resnet_text_path))
            assert not model.partial, model.partial[:1]  # every row exact: torchvision's classes, read as a graph
            return summarize(model.graph(), (3, 224, 224))

        for name, function, params in (("ResNet-50, .onnx (98 MB)", onnx_read, expected),
                                       ("ResNet-50, torch.fx trace", fx_read, expected),
                                       ("ResNet-50, print(model) text", resnet_text_read, expected),
                                       ("VGG-16, print(model) text", text_read,
                                        sum(p.numel() for p in vgg.parameters()))):
            summary = function()
            assert summary.trainable_params == params, (name, summary.trainable_params, params)
            print(f"{name:30s} {timed(function, args.repeats):8.1f} ms   params {summary.trainable_params:,} "
                  f"(= PyTorch's)   MACs {summary.total_macs:,}")


if __name__ == "__main__":
    main()
