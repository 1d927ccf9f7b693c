"""``convcalc.from_torch``: a live module read through ``torch.fx`` tracing, checked against its forward pass."""

from __future__ import annotations

import pytest

import convcalc
from convcalc import summarize
from convcalc.errors import ConvCalcError, ConvCalcTypeError

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


class MnistNet(nn.Module):
    """The PyTorch MNIST example: functional relu and max-pool, flatten in forward()."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


class ViewNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.MaxPool2d(3, stride=2, ceil_mode=True))
        self.head = nn.Linear(8 * 8 * 8, 4)

    def forward(self, x):
        x = self.features(x)
        return self.head(x.view(x.size(0), -1))


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x) + x)


@pytest.mark.parametrize("factory, shape", [(MnistNet, (1, 28, 28)), (ViewNet, (3, 32, 32))])
def test_traced_module_matches_its_forward(factory, shape):
    model = factory().eval()
    imported = convcalc.from_torch(model, shape)
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.layers, imported.input_shape)
    with torch.no_grad():
        out = model(torch.zeros(1, *shape))
    assert summary.output_shape == tuple(out.shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


class Inception(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(4, 3, 1)
        self.b = nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 5, 3, padding=1))
        self.pool = nn.MaxPool2d(3, stride=1, padding=1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x), self.pool(x)], dim=1)


@pytest.mark.parametrize("factory, shape", [(Residual, (4, 8, 8)), (Inception, (4, 9, 9))])
def test_branching_modules_are_graphs(factory, shape):
    model = factory().eval()
    imported = convcalc.from_torch(model, shape)
    assert imported.branches and {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.graph(), imported.input_shape)
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(1, *shape)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def test_untraceable_forward_is_one_error():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ConvCalcError, match="torch.fx cannot trace Branchy"):
        convcalc.from_torch(Branchy())


def test_not_a_module():
    with pytest.raises(ConvCalcTypeError, match="torch.nn.Module"):
        convcalc.from_torch("resnet18")


class _EvalBlock(nn.Module):
    """torchvision's EfficientNet/ShuffleNet idioms: stochastic depth (identity in eval, torchvision's
    ``stochastic_depth(x, p, mode, training)`` written out here), dropout given ``training=self.training``,
    and sizes read with ``x.size()`` whose items feed arithmetic."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        batch, channels, height, width = x.size()
        y = stochastic_depth(self.conv(x), 0.2, "row", self.training)
        x = nn.functional.dropout(y + x, 0.5, training=self.training)
        x = nn.functional.adaptive_avg_pool2d(x, 1).view(batch, channels // 1)
        return self.head(x)


class _Shuffle(nn.Module):
    """ShuffleNet's channel shuffle: a view to (batch, groups, C/groups, H, W) is not a flatten."""

    def forward(self, x):
        batch, channels, height, width = x.size()
        x = x.view(batch, 2, channels // 2, height, width)
        return x.view(x.shape[0], -1)


def test_views_from_computed_sizes():
    rows = convcalc.from_torch(_Shuffle(), (4, 3, 3)).rows
    assert [(row.status, row.source) for row in rows] == [("unsupported", "view"), ("ok", "Flatten()")]
    assert "only flattening views" in rows[0].reason


def stochastic_depth(x, p, mode, training=True):
    """torchvision.ops.stochastic_depth's signature (fx records the call by this name)."""
    if not training or p == 0.0:
        return x
    keep = torch.empty([x.shape[0]] + [1] * (x.ndim - 1)).bernoulli_(1 - p)
    return x * keep / (1 - p)


torch.fx.wrap("stochastic_depth")


def test_eval_identities_and_shape_arithmetic():
    model = _EvalBlock().eval()
    imported = convcalc.from_torch(model, (4, 6, 5))
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    assert not any("getitem" in row.path or "floordiv" in row.path for row in imported.rows)
    summary = summarize(imported.graph(), (4, 6, 5))
    with torch.no_grad():
        assert summary.output_shape == tuple(model(torch.zeros(2, 4, 6, 5)).shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())
    kept = [row.source for row in imported.rows if row.status == "ok"]
    assert kept.count("stochastic_depth") == 1 and kept.count("dropout") == 1  # identity rows, no layers
    assert all(not row.layers for row in imported.rows if row.source in ("stochastic_depth", "dropout"))


def test_stochastic_depth_in_training_mode_is_a_row():
    imported = convcalc.from_torch(_EvalBlock().train(), (4, 6, 5))
    row = next(r for r in imported.rows if "stochastic_depth" in r.path)
    assert row.status == "unsupported" and "model.eval()" in row.reason


class _Split(nn.Module):
    def forward(self, x):
        left, right = x.chunk(2, dim=1)
        return left + right


def test_channel_split_says_why():
    rows = convcalc.from_torch(_Split(), (4, 3, 3)).rows
    assert rows[0].status == "unsupported" and "no split layer" in rows[0].reason
