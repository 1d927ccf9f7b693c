"""torchvision's block classes read from ``print(model)`` text, checked row by row against PyTorch 2.13.

torchvision does not load beside the PyTorch 2.13 the tests use, so each
block is built here by hand with torchvision's class name, children and
``forward()`` (small widths, small inputs): its printed text is what
torchvision's would be. The text is read back by convcalc, and

- every row's output shape equals what a forward pass gives at the place the
  row names (a forward hook on that module: ``"m"`` is module ``m``'s output,
  ``"m (input)"`` the input it receives, ``"m (x1)"`` the first half of it);
- the output shape equals the forward pass's, the parameters
  ``sum(p.numel() for p in model.parameters())``;
- every row is ``ok``: the block's forward() is known exactly.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest

from convcalc import summarize
from convcalc.importers import read_torch_print

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


# --- shared pieces ---------------------------------------------------------------------------------

class Conv2dNormActivation(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, groups=1, act=nn.ReLU):
        layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        super().__init__(*layers, *([act(inplace=True)] if act is not None else []))


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze, act=nn.ReLU, gate=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = act()
        self.scale_activation = gate()

    def forward(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


class StochasticDepth(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p, self.mode = p, "row"

    def forward(self, x):
        return x  # eval mode

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p}, mode={self.mode})"


# --- ResNet ----------------------------------------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride=1):
        super().__init__()
        cout = width * 4
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, bottleneck=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 8
        for i, width in enumerate((8, 16, 16, 32), 1):
            stride = 1 if i == 1 else 2
            if bottleneck:
                blocks = [Bottleneck(cin, width, stride), Bottleneck(width * 4, width)]
                cin = width * 4
            else:
                blocks = [BasicBlock(cin, width, stride), BasicBlock(width, width)]
                cin = width
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# --- VGG, AlexNet ----------------------------------------------------------------------------------

class VGG(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(True),
                                      nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(True),
                                      nn.MaxPool2d(2, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((3, 3))
        self.classifier = nn.Sequential(nn.Linear(16 * 9, 32), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class AlexNet(VGG):
    def __init__(self):
        super().__init__()
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(16 * 9, 32), nn.ReLU(True), nn.Linear(32, 10))


# --- MobileNet v2 / v3 -----------------------------------------------------------------------------

class InvertedResidualV2(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res_connect = stride == 1 and cin == cout
        layers = [Conv2dNormActivation(cin, hidden, 1, act=nn.ReLU6)] if expand != 1 else []
        layers += [Conv2dNormActivation(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   nn.Conv2d(hidden, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


InvertedResidualV2.__name__ = "InvertedResidual"


class MobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(Conv2dNormActivation(3, 8, 3, 2, act=nn.ReLU6),
                                      InvertedResidualV2(8, 8, 1, 1), InvertedResidualV2(8, 16, 2, 6),
                                      InvertedResidualV2(16, 16, 1, 6), Conv2dNormActivation(16, 32, 1, act=nn.ReLU6))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), (1, 1)), 1))


class InvertedResidualV3(nn.Module):
    def __init__(self, cin, kernel, hidden, cout, se, act, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        layers = [Conv2dNormActivation(cin, hidden, 1, act=act)] if hidden != cin else []
        layers.append(Conv2dNormActivation(hidden, hidden, kernel, stride, groups=hidden, act=act))
        if se:
            layers.append(SqueezeExcitation(hidden, 8, gate=nn.Hardsigmoid))
        layers.append(Conv2dNormActivation(hidden, cout, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        result = self.block(x)
        return result + x if self.use_res_connect else result


InvertedResidualV3.__name__ = "InvertedResidual"


class MobileNetV3(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(Conv2dNormActivation(3, 8, 3, 2, act=nn.Hardswish),
                                      InvertedResidualV3(8, 3, 8, 8, True, nn.ReLU, 2),
                                      InvertedResidualV3(8, 3, 24, 16, False, nn.ReLU, 2),
                                      InvertedResidualV3(16, 5, 32, 16, True, nn.Hardswish, 1),
                                      Conv2dNormActivation(16, 48, 1, act=nn.Hardswish))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(48, 32), nn.Hardswish(True), nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# --- EfficientNet ----------------------------------------------------------------------------------

class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, expand, p):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        hidden = cin * expand
        layers = [Conv2dNormActivation(cin, hidden, 1, act=nn.SiLU)] if hidden != cin else []
        layers += [Conv2dNormActivation(hidden, hidden, kernel, stride, groups=hidden, act=nn.SiLU),
                   SqueezeExcitation(hidden, max(1, cin // 4), act=nn.SiLU),
                   Conv2dNormActivation(hidden, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(p)

    def forward(self, x):
        result = self.block(x)
        return self.stochastic_depth(result) + x if self.use_res_connect else result


class EfficientNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            Conv2dNormActivation(3, 8, 3, 2, act=nn.SiLU),
            nn.Sequential(MBConv(8, 8, 3, 1, 1, 0.0)),
            nn.Sequential(MBConv(8, 16, 3, 2, 6, 0.05), MBConv(16, 16, 5, 1, 6, 0.1)),
            Conv2dNormActivation(16, 64, 1, act=nn.SiLU))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2, inplace=True), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# --- GoogLeNet -------------------------------------------------------------------------------------

class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool):
        super().__init__()
        self.branch1 = BasicConv2d(cin, c1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, c3r, kernel_size=1), BasicConv2d(c3r, c3, kernel_size=3,
                                                                                        padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(cin, c5r, kernel_size=1), BasicConv2d(c5r, c5, kernel_size=3,
                                                                                        padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), BasicConv2d(cin, pool, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = BasicConv2d(3, 8, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(8, 8, kernel_size=1)
        self.conv3 = BasicConv2d(8, 16, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        cin = 16
        for name in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"):
            setattr(self, f"inception{name}", Inception(cin, 4, 4, 8, 2, 4, 4))
            cin = 20
            if name == "3b":
                self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            if name == "4e":
                self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(20, 10)

    def forward(self, x):
        x = self.maxpool2(self.conv3(self.conv2(self.maxpool1(self.conv1(x)))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for name in ("4a", "4b", "4c", "4d", "4e"):
            x = getattr(self, f"inception{name}")(x)
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


# --- DenseNet --------------------------------------------------------------------------------------

class _DenseLayer(nn.Module):
    def __init__(self, cin, growth, bn_size):
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, 1, 1, bias=False)

    def forward(self, features):
        x = torch.cat(features if isinstance(features, list) else [features], 1)
        return self.conv2(self.relu2(self.norm2(self.conv1(self.relu1(self.norm1(x))))))


class _DenseBlock(nn.ModuleDict):
    def __init__(self, layers, cin, growth):
        super().__init__()
        for i in range(layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(cin + i * growth, growth, 2))

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm, self.relu = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, 1, 1, bias=False)
        self.pool = nn.AvgPool2d(2, 2)


class DenseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, 8, 7, 2, 3, bias=False)), ("norm0", nn.BatchNorm2d(8)),
            ("relu0", nn.ReLU(inplace=True)), ("pool0", nn.MaxPool2d(3, 2, 1)),
            ("denseblock1", _DenseBlock(3, 8, 4)), ("transition1", _Transition(20, 10)),
            ("denseblock2", _DenseBlock(2, 10, 4)), ("norm5", nn.BatchNorm2d(18))]))
        self.classifier = nn.Linear(18, 10)

    def forward(self, x):
        out = torch.flatten(F.adaptive_avg_pool2d(F.relu(self.features(x), inplace=True), (1, 1)), 1)
        return self.classifier(out)


# --- SqueezeNet ------------------------------------------------------------------------------------

class Fire(nn.Module):
    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.squeeze, self.squeeze_activation = nn.Conv2d(cin, squeeze, 1), nn.ReLU(inplace=True)
        self.expand1x1, self.expand1x1_activation = nn.Conv2d(squeeze, e1, 1), nn.ReLU(inplace=True)
        self.expand3x3, self.expand3x3_activation = nn.Conv2d(squeeze, e3, 3, padding=1), nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, 2), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, ceil_mode=True), Fire(16, 4, 8, 8), Fire(16, 4, 8, 8),
                                      nn.MaxPool2d(3, 2, ceil_mode=True), Fire(16, 8, 16, 16))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(32, 10, 1), nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


# --- ShuffleNet v2 ---------------------------------------------------------------------------------

class InvertedResidualShuffle(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        half = cout // 2
        self.stride = stride
        self.branch1 = nn.Sequential() if stride == 1 else nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
            nn.Conv2d(cin, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        self.branch2 = nn.Sequential(
            nn.Conv2d(cin if stride > 1 else half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        n, c, h, w = out.shape
        return out.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


InvertedResidualShuffle.__name__ = "InvertedResidual"


class ShuffleNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stage2 = nn.Sequential(InvertedResidualShuffle(8, 16, 2), InvertedResidualShuffle(16, 16, 1))
        self.stage3 = nn.Sequential(InvertedResidualShuffle(16, 32, 2), InvertedResidualShuffle(32, 32, 1))
        self.stage4 = nn.Sequential(InvertedResidualShuffle(32, 32, 2))
        self.conv5 = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


# --- MNASNet, RegNet ------------------------------------------------------------------------------

class _InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        self.apply_residual = cin == cout and stride == 1
        mid = cin * expand
        self.layers = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
                                    nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid),
                                    nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.layers(x) + x if self.apply_residual else self.layers(x)


class MNASNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                                    nn.Sequential(_InvertedResidual(8, 16, 2, 3), _InvertedResidual(16, 16, 1, 3)),
                                    nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(0.2, inplace=True), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.layers(x).mean([2, 3]))


class SimpleStemIN(Conv2dNormActivation):
    pass


class BottleneckTransform(nn.Sequential):
    def __init__(self, cin, cout, stride, se):
        layers = OrderedDict(a=Conv2dNormActivation(cin, cout, 1),
                             b=Conv2dNormActivation(cout, cout, 3, stride, groups=cout // 4))
        if se:
            layers["se"] = SqueezeExcitation(cout, cin // 4)
        layers["c"] = Conv2dNormActivation(cout, cout, 1, act=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    def __init__(self, cin, cout, stride, se):
        super().__init__()
        self.proj = Conv2dNormActivation(cin, cout, 1, stride, act=None) if cin != cout or stride != 1 else None
        self.f = BottleneckTransform(cin, cout, stride, se)
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.activation((self.proj(x) if self.proj is not None else x) + self.f(x))


class AnyStage(nn.Sequential):
    def __init__(self, cin, cout, depth, se):
        super().__init__()
        for i in range(depth):
            self.add_module(f"block1-{i}", ResBottleneckBlock(cin if i == 0 else cout, cout, 2 if i == 0 else 1, se))


class RegNet(nn.Module):
    def __init__(self, se=True):
        super().__init__()
        self.stem = SimpleStemIN(3, 8, 3, 2)
        self.trunk_output = nn.Sequential(OrderedDict(block1=AnyStage(8, 16, 2, se), block2=AnyStage(16, 32, 1, se)))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.avgpool(self.trunk_output(self.stem(x))).flatten(start_dim=1))


# --- the check -------------------------------------------------------------------------------------

MODELS = [
    ("resnet-basic", lambda: ResNet(), (3, 64, 64)),
    ("resnet-bottleneck", lambda: ResNet(bottleneck=True), (3, 64, 64)),
    ("vgg", VGG, (3, 32, 32)),
    ("alexnet", AlexNet, (3, 32, 32)),
    ("mobilenet-v2", MobileNetV2, (3, 32, 32)),
    ("mobilenet-v3", MobileNetV3, (3, 32, 32)),
    ("efficientnet", EfficientNet, (3, 32, 32)),
    ("googlenet", GoogLeNet, (3, 64, 64)),
    ("densenet", DenseNet, (3, 32, 32)),
    ("squeezenet", SqueezeNet, (3, 63, 63)),
    ("shufflenet-v2", ShuffleNetV2, (3, 64, 64)),
    ("mnasnet", MNASNet, (3, 32, 32)),
    ("regnet-y", RegNet, (3, 32, 32)),
    ("regnet-x", lambda: RegNet(se=False), (3, 32, 32)),
]


def _row_shapes(imported, shape):
    """convcalc's output shape of every row, as the graph built from the rows gives it."""
    from convcalc.graph import Graph, Node
    from convcalc.graph.analysis import analyse

    nodes, last, node_of, previous = [Node(0, "input", None, ())], {"": 0}, [], ""
    for row in imported.rows:
        inputs = tuple(last[name] for name in (row.inputs if row.inputs is not None else (previous,)))
        for layer in row.layers:
            nodes.append(Node(len(nodes), row.path, layer, inputs))
            inputs = (len(nodes) - 1,)
        assert len(inputs) == 1, row
        last[row.path] = inputs[0]
        node_of.append(inputs[0])
        previous = row.path
    analysed = []
    analyse(Graph(tuple(nodes)), shape, rows=analysed)
    shape_of = {0: tuple(shape), **{row.index: tuple(row.output_shape) for row in analysed}}
    return [shape_of[node] for node in node_of]


def _forward_shapes(model, shape):
    """Every named module's output and input shapes (no batch), one per call, from one forward pass."""
    seen: dict[str, list[tuple[int, ...]]] = {}

    def hook(name):
        def record(_module, inputs, output):
            seen.setdefault(name, []).append(tuple(output.shape[1:]))
            if not isinstance(inputs[0], torch.Tensor):  # a _DenseLayer takes a list of features
                return
            seen.setdefault(f"{name} (input)", []).append(tuple(inputs[0].shape[1:]))
            c, *rest = inputs[0].shape[1:]
            seen.setdefault(f"{name} (x1)", []).append((-(-c // 2), *rest))  # torch.chunk's first part
        return record

    handles = [m.register_forward_hook(hook(name)) for name, m in model.named_modules()]
    try:
        with torch.no_grad():
            out = model(torch.zeros(1, *shape))
    finally:
        for handle in handles:
            handle.remove()
    seen[type(model).__name__] = seen[""]  # the outermost module's rows are named by its class
    return out, seen


@pytest.mark.parametrize("name, factory, shape", MODELS, ids=[m[0] for m in MODELS])
def test_torchvision_block_rows_match_a_forward_pass(name, factory, shape):
    torch.manual_seed(0)
    model = factory().eval()
    imported = read_torch_print(str(model))
    assert [row for row in imported.rows if row.status != "ok"] == []
    out, seen = _forward_shapes(model, shape)
    for row, got in zip(imported.rows, _row_shapes(imported, shape)):
        assert row.path in seen, f"{row.path}: no place in the forward pass"
        assert got in seen[row.path], (row.path, got, seen[row.path])
    summary = summarize(imported.graph() if imported.branches else imported.layers, shape)
    assert summary.output_shape == tuple(out.shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def test_residuals_follow_the_constructor():
    """A residual add exactly where torchvision's use_res_connect is true (stride 1, same channels)."""
    adds = {row.path for row in read_torch_print(str(MobileNetV2())).rows if row.source == "a + b"}
    assert adds == {"features.1", "features.3"}  # 8->8 s1 and 16->16 s1; 8->16 s2 has none
    adds = {row.path for row in read_torch_print(str(MobileNetV3())).rows if row.source == "a + b"}
    assert adds == {"features.3"}
    imported = read_torch_print(str(EfficientNet()))
    assert {row.path for row in imported.rows if row.source == "a + b"} == {"features.1.0", "features.2.1"}
    assert imported.notes == ["features.2.0.stochastic_depth: not called (MBConv has no residual: stride 2 or "
                              "new channels)"]
    adds = {row.path for row in read_torch_print(str(MNASNet())).rows if row.source == "a + b"}
    assert adds == {"layers.3.1"}
    adds = {row.path for row in read_torch_print(str(RegNet())).rows if row.source == "a + b"}
    assert adds == {f"trunk_output.{block}.activation (input)"  # with or without proj
                    for block in ("block1.block1-0", "block1.block1-1", "block2.block1-0")}
    assert {row.path for row in read_torch_print(str(ResNet())).rows if row.source == "a + b"} == {
        f"layer{i}.{j}.relu (input)" for i in range(1, 5) for j in range(2)}


def test_a_block_whose_children_differ_is_read_in_order_and_partial():
    """A class named BasicBlock without torchvision's children: its forward() is not known, rows say so."""
    class BasicBlock(nn.Module):  # noqa: N801 - torchvision's name, other children
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3)

    imported = read_torch_print(str(nn.Sequential(BasicBlock(), nn.ReLU())))
    assert [row.status for row in imported.rows] == ["partial", "partial", "ok"]
    assert "not torchvision's" in imported.rows[0].reason and "no 'bn1'" in imported.rows[0].reason
    assert not imported.branches


def test_a_known_block_inside_a_custom_module_keeps_the_assumption():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = BasicBlock(4, 4)

    rows = read_torch_print(str(Wrapper())).rows
    assert {row.status for row in rows} == {"partial"} and all("Wrapper" in row.reason for row in rows)
    assert any(row.source == "a + b" for row in rows)


def test_googlenet_aux_heads_are_noted_not_counted():
    model = GoogLeNet()
    model.aux1 = nn.Sequential(nn.Conv2d(20, 4, 1))
    imported = read_torch_print(str(model))
    assert all(row.status == "ok" for row in imported.rows)
    assert not any(row.path.startswith("aux1") for row in imported.rows)
    assert imported.notes and imported.notes[0].startswith("aux1: not called in eval mode")


def test_repeated_containers_expand_with_their_paths():
    """PyTorch collapses equal children of a ModuleList: ``(0-2): 3 x BasicBlock(`` is three blocks."""
    text = str(nn.ModuleList([BasicBlock(4, 4) for _ in range(3)]))
    assert "(0-2): 3 x BasicBlock(" in text
    rows = read_torch_print(text).rows
    assert [row.path for row in rows if row.source == "a + b"] == [f"{i}.relu (input)" for i in range(3)]
    assert rows[-1].path == "2.relu" and rows[-1].inputs == ("2.relu (input)",)


@pytest.mark.parametrize("cls, child", [("InvertedResidual", "conv"), ("MBConv", "block"), ("_DenseLayer", "norm1")])
def test_nested_refused_blocks_are_read_once(cls, child):
    """A block refused for its children is refused before it emits rows: 60 nested refusals read in linear
    time (checking after running the children would read the innermost 2**60 times)."""
    depth = 60
    text = "".join("  " * i + (f"{cls}(\n" if i == 0 else f"({child}): {cls}(\n") for i in range(depth))
    text += "  " * depth + "(x): ReLU()\n" + "".join("  " * i + ")\n" for i in reversed(range(depth)))
    rows = read_torch_print(text).rows
    assert len(rows) == 1 and rows[0].status == "partial" and "not torchvision's" in rows[0].reason


def test_convcalc_stack_shows_the_notes(tmp_path):
    """What forward() never calls is said under the table (and in --json), not silently left out."""
    import json

    from typer.testing import CliRunner

    from convcalc.cli.main import app

    model = GoogLeNet()
    model.aux1 = nn.Sequential(nn.Conv2d(20, 4, 1))
    path = tmp_path / "googlenet.txt"
    path.write_text(str(model), encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(app, ["stack", str(path), "--in", "3x64x64"])
    assert shown.exit_code == 0, shown.output
    assert "note: aux1: not called in eval mode" in shown.output
    data = json.loads(runner.invoke(app, ["stack", str(path), "--in", "3x64x64", "--json"]).output)
    assert data["import"]["notes"][0].startswith("aux1: not called in eval mode")
