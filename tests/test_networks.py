"""The branching presets against PyTorch modules built by hand the same way (torchvision does not load here).

For each preset: the leaf modules' output shapes, in the order PyTorch runs them, equal the
non-merge nodes' shapes in topological order; trainable parameters equal ``parameters()``;
non-trainable equal the batch-norm running statistics; the MACs equal weight MACs counted by
forward hooks on the PyTorch module (conv: weight elements x output positions; transposed conv:
x input positions; linear: weight elements). ResNet-18/50 also equal torchvision's published
figures (11,689,512 / 25,557,032 parameters, 1.814 / 4.089 GMACs), and resnet50-slim reproduces
the receptive-field table of google-research/receptive_field (the Distill article's numbers).
"""

from __future__ import annotations

from math import prod

import pytest

from convcalc.graph import Merge
from convcalc.presets import preset
from convcalc.stack import summarize

torch = pytest.importorskip("torch")
nn = torch.nn


def cbr(cin: int, cout: int, k: int, s: int = 1, p: int = 0, g: int = 1, relu: bool = True, act=None) -> list:
    layers = [nn.Conv2d(cin, cout, k, s, p, groups=g, bias=False), nn.BatchNorm2d(cout)]
    return layers + [(act or nn.ReLU)()] if relu else layers


class Residual(nn.Module):
    """``relu(body(x) + shortcut(x))`` with the shortcut run after the body, as torchvision's blocks."""

    def __init__(self, body: list, shortcut: list | None, relu: bool = True, shortcut_first: bool = False) -> None:
        super().__init__()
        self.shortcut_first = shortcut_first
        self.body = nn.Sequential(*body)
        self.shortcut = nn.Sequential(*shortcut) if shortcut else None
        self.relu = nn.ReLU() if relu else None

    def forward(self, x):  # type: ignore[no-untyped-def]
        if self.shortcut_first:  # TF-Slim's bottleneck computes the shortcut first
            short = self.shortcut(x) if self.shortcut is not None else x
            y = self.body(x) + short
        else:
            y = self.body(x)
            y = y + (self.shortcut(x) if self.shortcut is not None else x)
        return self.relu(y) if self.relu is not None else y


class Branches(nn.Module):
    def __init__(self, *branches: list) -> None:
        super().__init__()
        self.branches = nn.ModuleList(nn.Sequential(*b) for b in branches)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return torch.cat([b(x) for b in self.branches], 1)


def head(cin: int, dropout: float | None = None) -> list:
    return [nn.AdaptiveAvgPool2d(1), nn.Flatten(), *([nn.Dropout(dropout)] if dropout else []), nn.Linear(cin, 1000)]


def torch_resnet(depth: int) -> nn.Module:
    units, bottleneck = {18: ((2, 2, 2, 2), False), 34: ((3, 4, 6, 3), False), 50: ((3, 4, 6, 3), True)}[depth]
    expansion = 4 if bottleneck else 1
    layers = [*cbr(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for stage, (count, planes) in enumerate(zip(units, (64, 128, 256, 512)), start=1):
        for unit in range(count):
            s = 2 if stage > 1 and unit == 0 else 1
            out = planes * expansion
            if bottleneck:
                body = cbr(cin, planes, 1) + cbr(planes, planes, 3, s, 1) + cbr(planes, out, 1, relu=False)
            else:
                body = cbr(cin, planes, 3, s, 1) + cbr(planes, planes, 3, 1, 1, relu=False)
            layers.append(Residual(body, cbr(cin, out, 1, s, relu=False) if s != 1 or cin != out else None))
            cin = out
    return nn.Sequential(*layers, *head(cin))


def torch_resnet50_slim() -> nn.Module:
    layers = [*cbr(3, 64, 7, 2, 3), nn.ZeroPad2d((0, 1, 0, 1)), nn.MaxPool2d(3, 2)]  # TF 'SAME' on 112: (0, 1)
    cin = 64
    for base, count, stride in ((64, 3, 2), (128, 4, 2), (256, 6, 2), (512, 3, 1)):
        for unit in range(count):
            s = stride if unit == count - 1 else 1
            if cin == base * 4:
                shortcut = [nn.MaxPool2d(1, s)] if s > 1 else None
            else:
                shortcut = cbr(cin, base * 4, 1, s, relu=False)
            body = cbr(cin, base, 1) + cbr(base, base, 3, s, 1) + cbr(base, base * 4, 1, relu=False)
            layers.append(Residual(body, shortcut, shortcut_first=True))
            cin = base * 4
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Conv2d(2048, 1000, 1), nn.Flatten())


def torch_mobilenet_v1() -> nn.Module:
    layers, cin = cbr(3, 32, 3, 2, 1), 32
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for cout, s in plan:
        layers += cbr(cin, cin, 3, s, 1, g=cin) + cbr(cin, cout, 1)
        cin = cout
    return nn.Sequential(*layers, *head(cin))


def torch_mobilenet_v2() -> nn.Module:
    layers, cin = cbr(3, 32, 3, 2, 1, act=nn.ReLU6), 32
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        for unit in range(n):
            stride, hidden = (s if unit == 0 else 1), cin * t
            body = (cbr(cin, hidden, 1, act=nn.ReLU6) if t != 1 else []) + cbr(
                hidden, hidden, 3, stride, 1, g=hidden, act=nn.ReLU6) + cbr(
                hidden, c, 1, relu=False)
            layers.append(Residual(body, None, relu=False) if stride == 1 and cin == c else nn.Sequential(*body))
            cin = c
    return nn.Sequential(*layers, *cbr(cin, 1280, 1, act=nn.ReLU6), *head(1280, 0.2))


def torch_googlenet() -> nn.Module:
    def inception(cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool: int) -> nn.Module:
        return Branches(cbr(cin, c1, 1), cbr(cin, c3r, 1) + cbr(c3r, c3, 3, 1, 1), cbr(cin, c5r, 1) + cbr(
            c5r, c5, 3, 1, 1), [nn.MaxPool2d(3, 1, 1, ceil_mode=True), *cbr(cin, pool, 1)])

    return nn.Sequential(
        *cbr(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, ceil_mode=True), *cbr(64, 64, 1), *cbr(64, 192, 3, 1, 1),
        nn.MaxPool2d(3, 2, ceil_mode=True), inception(192, 64, 96, 128, 16, 32, 32),
        inception(256, 128, 128, 192, 32, 96, 64), nn.MaxPool2d(3, 2, ceil_mode=True),
        inception(480, 192, 96, 208, 16, 48, 64), inception(512, 160, 112, 224, 24, 64, 64),
        inception(512, 128, 128, 256, 24, 64, 64), inception(512, 112, 144, 288, 32, 64, 64),
        inception(528, 256, 160, 320, 32, 128, 128), nn.MaxPool2d(2, 2, ceil_mode=True),
        inception(832, 256, 160, 320, 32, 128, 128), inception(832, 384, 192, 384, 48, 128, 128), *head(1024, 0.2))


class TorchUNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def twice(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.Conv2d(cout, cout, 3), nn.ReLU())

        self.down = nn.ModuleList([twice(1, 64), twice(64, 128), twice(128, 256), twice(256, 512)])
        self.pool = nn.ModuleList([nn.MaxPool2d(2) for _ in range(4)])
        self.bottom = twice(512, 1024)
        self.up = nn.ModuleList([nn.ConvTranspose2d(c * 2, c, 2, 2) for c in (512, 256, 128, 64)])
        self.crop = nn.ModuleList([nn.ZeroPad2d(-c) for c in (4, 16, 40, 88)])  # negative padding crops
        self.convs = nn.ModuleList([twice(c * 2, c) for c in (512, 256, 128, 64)])
        self.last = nn.Conv2d(64, 2, 1)

    def forward(self, x):  # type: ignore[no-untyped-def]
        skips = []
        for down, pool in zip(self.down, self.pool):
            x = down(x)
            skips.append(x)
            x = pool(x)
        x = self.bottom(x)
        for up, crop, convs, skip in zip(self.up, self.crop, self.convs, reversed(skips)):
            x = up(x)
            x = convs(torch.cat([crop(skip), x], 1))
        return self.last(x)


def torch_dcgan() -> nn.Module:
    layers, cin = [], 100
    for cout, s, p in ((512, 1, 0), (256, 2, 1), (128, 2, 1), (64, 2, 1)):
        layers += [nn.ConvTranspose2d(cin, cout, 4, s, p, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    return nn.Sequential(*layers, nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())


BUILT = {
    "resnet18": lambda: torch_resnet(18), "resnet34": lambda: torch_resnet(34), "resnet50": lambda: torch_resnet(50),
    "resnet50-slim": torch_resnet50_slim, "mobilenet_v1": torch_mobilenet_v1, "mobilenet_v2": torch_mobilenet_v2,
    "googlenet": torch_googlenet, "unet": TorchUNet, "dcgan-generator": torch_dcgan,
}
SKIPPED_LEAVES = (nn.ZeroPad2d,)  # TF 'SAME' padding / U-Net's crop written as a separate torch module


def run_torch(module: nn.Module, shape: tuple[int, ...]) -> tuple[list, int]:
    """Leaf (type, output shape) in call order, and weight MACs counted by forward hooks."""
    seen: list = []
    macs = [0]

    def hook(m, inputs, output):  # type: ignore[no-untyped-def]
        if isinstance(m, nn.ConvTranspose2d):
            macs[0] += m.weight.numel() * prod(inputs[0].shape[2:])
        elif isinstance(m, nn.Conv2d):
            macs[0] += m.weight.numel() * prod(output.shape[2:])
        elif isinstance(m, nn.Linear):
            macs[0] += m.weight.numel()
        if not isinstance(m, SKIPPED_LEAVES):
            seen.append((type(m).__name__, tuple(output.shape[1:])))

    handles = [m.register_forward_hook(hook) for m in module.modules() if not list(m.children())]
    module.eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small inputs: thread start-up and contention cost more than they save
    try:
        with torch.no_grad():
            module(torch.zeros(1, *shape))
    finally:
        torch.set_num_threads(threads)
        for h in handles:
            h.remove()
    return seen, macs[0]


@pytest.mark.parametrize("name", list(BUILT))
def test_preset_matches_pytorch_layer_by_layer(name: str) -> None:
    graph, shape = preset(name)
    if name == "unet":
        shape = (1, 188, 188)  # the smallest input every crop of the 572 network fits; 572 costs 150 GMACs
    elif shape[1:] == (224, 224):
        shape = (3, 64, 64)  # every count scales with the input; 64x64 keeps the test fast
    summary = summarize(graph, shape)
    module = BUILT[name]()
    seen, macs = run_torch(module, shape)
    ours = [row.output_shape for row in summary.layers if not isinstance(row.layer, Merge)
            and type(row.layer).__name__ != "Cropping2D"]
    assert ours == [s for _, s in seen]
    assert summary.trainable_params == sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for n, b in module.named_buffers() if "running" in n)
    assert summary.non_trainable_params == buffers
    assert summary.total_macs == macs


def test_published_resnet_figures() -> None:
    """torchvision's model table: ResNet-18 11,689,512 params 1.81 GFLOPS; ResNet-50 25,557,032, 4.09."""
    r18, r50 = summarize(*preset("resnet18")), summarize(*preset("resnet50"))
    assert (r18.trainable_params, round(r18.total_macs / 1e9, 3)) == (11_689_512, 1.814)
    assert (r50.trainable_params, round(r50.total_macs / 1e9, 3)) == (25_557_032, 4.089)


def test_unet_572_gives_388() -> None:
    summary = summarize(*preset("unet"))
    assert summary.input_shape == (1, 572, 572) and summary.output_shape == (2, 388, 388)


# google-research/receptive_field RECEPTIVE_FIELD_TABLE.md, resnet_v1_50 (rf, effective stride, effective padding)
SLIM_TABLE = {
    224: {"block1": (35, 8, 15), "block2": (99, 16, 47), "block3": (291, 32, 143), "block4": (483, 32, 239)},
    321: {"block1": (35, 8, 17), "block2": (99, 16, 49), "block3": (291, 32, 145), "block4": (483, 32, 241)},
}


@pytest.mark.parametrize("resolution", [224, 321])
def test_resnet50_slim_reproduces_the_receptive_field_table(resolution: int) -> None:
    """Effective padding P = (rf - 1)/2 - start (Distill): the centre of the first unit sits P - (rf-1)/2 in."""
    graph, _ = preset("resnet50-slim")
    rows = {row.node: row for row in summarize(graph, (3, resolution, resolution)).layers}
    for block, (rf, stride, padding) in SLIM_TABLE[resolution].items():
        row = rows[block]
        assert row.rf == (rf, rf) and row.jump == (stride, stride)
        assert row.start == ((rf - 1) // 2 - padding,) * 2


def test_mobilenet_v1_receptive_fields_match_the_table() -> None:
    """receptive_field's table, mobilenet_v1 Conv2d_1_pointwise ... Conv2d_13_pointwise (rf, effective stride)."""
    table = [(7, 2), (11, 4), (19, 4), (27, 8), (43, 8), (59, 16), (91, 16), (123, 16), (155, 16), (187, 16),
             (219, 16), (251, 32), (315, 32)]
    rows = summarize(*preset("mobilenet_v1")).layers
    pointwise = [r for r in rows if r.scope and r.name.startswith("ReLU")][1::2]
    assert [(r.rf[0], r.jump[0]) for r in pointwise] == table
