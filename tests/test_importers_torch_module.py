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
