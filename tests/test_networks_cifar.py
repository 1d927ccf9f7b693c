"""He et al. 2016's CIFAR networks (``resnet8``, ``resnet20``, ``plain8``, ``plain20``) against PyTorch.

Each preset is built again as a PyTorch module written independently of
``convcalc.networks`` (the usual CIFAR ResNet reimplementation: ``BasicBlock``
with a 1x1-conv + BN shortcut where the shape changes, option B); on 1x28x28 and 3x32x32
inputs the leaf modules' output shapes (in call order) equal the graph's non-merge nodes'
shapes, ``sum(p.numel())`` the trainable parameters, the BN buffers the non-trainable
ones, and hook-counted weight MACs the MACs. A second hand-built module with option A
shortcuts (zero-padded channels, as the paper's CIFAR nets) has 269,722 parameters on
3x32x32, the paper's "0.27M" (Table 6): ``plain20``'s count, 2,752 below ``resnet20``'s.
The study script's pieces (a run, the JSON, the section and the figure) run on a tiny subset.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from convcalc.graph import Merge
from convcalc.presets import is_preset, preset
from convcalc.stack import summarize

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from tests.test_networks import run_torch  # noqa: E402  (after the torch skip)

ROOT = Path(__file__).resolve().parent.parent


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the shortcut, then ReLU (He et al. section 4.2)."""

    def __init__(self, cin: int, cout: int, stride: int, shortcut: str | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.kind, self.pad = shortcut, (cout - cin) // 2
        changes = stride != 1 or cin != cout
        self.project = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                        if shortcut == "B" and changes else None)
        self.option_a = shortcut == "A" and changes
        self.relu2 = nn.ReLU()

    def forward(self, x):  # type: ignore[no-untyped-def]
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        if self.kind is not None:
            if self.project is not None:
                short = self.project(x)
            elif self.option_a:  # subsample, then zero channels on both sides (akamaster's LambdaLayer)
                short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
            else:
                short = x
            y = y + short
        return self.relu2(y)


class CifarNet(nn.Module):
    def __init__(self, n: int, channels: int, shortcut: str | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        blocks, cin = [], 16
        for stage, planes in enumerate((16, 32, 64)):
            for unit in range(n):
                blocks.append(BasicBlock(cin, planes, 2 if stage and not unit else 1, shortcut))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.fc(self.flatten(self.pool(self.blocks(self.relu(self.bn1(self.conv1(x)))))))


NETS = {"resnet8": (1, "B"), "resnet20": (3, "B"), "plain8": (1, None), "plain20": (3, None)}


def _leaf_shapes(seen: list) -> list:
    """Torch leaves as convcalc nodes: the pool + flatten pair is one global average pool."""
    shapes = [s for kind, s in seen if kind != "Flatten"]
    return shapes


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
@pytest.mark.parametrize("name", list(NETS))
def test_cifar_preset_matches_pytorch_layer_by_layer(name: str, shape: tuple[int, ...]) -> None:
    n, shortcut = NETS[name]
    graph, own = preset(name)
    assert own == (1, 28, 28)
    summary = summarize(graph, shape)
    module = CifarNet(n, shape[0], shortcut)
    seen, macs = run_torch(module, shape)
    ours = [row.output_shape for row in summary.layers if not isinstance(row.layer, Merge)]
    theirs = _leaf_shapes(seen)
    # PyTorch's AdaptiveAvgPool2d keeps (64, 1, 1) where convcalc's global pool gives (64,)
    assert [s for s in theirs if s != (64, 1, 1)] == [s for s in ours if s != (64,)]
    assert len(ours) == len(theirs) and summary.output_shape == (10,)
    assert summary.trainable_params == sum(p.numel() for p in module.parameters())
    assert summary.non_trainable_params == sum(b.numel() for k, b in module.named_buffers() if "running" in k)
    assert summary.total_macs == macs
    assert sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in module.modules()) - (2 if shortcut else 0) == 6 * n + 2


def test_cifar_counts_and_option_a() -> None:
    """The paper's 0.27M (Table 6) is option A's 269,722 = plain20's count; option B adds 2 x (1x1 conv + BN)."""
    cifar = {name: summarize(preset(name)[0], (3, 32, 32)).trainable_params for name in NETS}
    assert cifar == {"resnet8": 78_042, "resnet20": 272_474, "plain8": 75_290, "plain20": 269_722}
    option_a = {n: sum(p.numel() for p in CifarNet(n, 3, "A").parameters()) for n in (1, 3)}
    assert option_a == {1: cifar["plain8"], 3: cifar["plain20"]} and round(option_a[3] / 1e6, 2) == 0.27
    assert cifar["resnet20"] - option_a[3] == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    fashion = {name: summarize(*preset(name)).trainable_params for name in NETS}
    assert {k: cifar[k] - v for k, v in fashion.items()} == dict.fromkeys(NETS, 2 * 16 * 9)  # 1 channel, not 3
    assert round(summarize(preset("resnet20")[0], (3, 32, 32)).total_macs / 1e6) == 41  # the usual "41M"
    assert all(is_preset(a) for a in ("ResNet-20", "resnet-8", "Plain-20", "plain8"))


def test_option_a_shortcut_shapes() -> None:
    """The option-A twin runs (zero channels added at each stride-2 block) and ends in 10 logits."""
    with torch.no_grad():
        out = CifarNet(3, 3, "A").eval()(torch.zeros(2, 3, 32, 32))
    assert tuple(out.shape) == (2, 10)


def test_cli_stack_and_train(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = run_cli("stack", "resnet20", "--in", "3x32x32", "--json")
    assert table.exit_code == 0, table.output
    assert json.loads(table.output)["trainable_params"] == 272_474
    plain = run_cli("stack", "plain8")
    assert plain.exit_code == 0 and "75,002" in plain.output
    run = run_cli("train", "--model", "resnet8", "--data", "mnist5k", "--limit", "64", "--epochs", "1",
                  "--batch-size", "32", "--momentum", "0.9", "--lr", "0.05", "--init", "he_normal")
    assert run.exit_code == 0, run.output
    assert "test" in run.output.lower()


def _study():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("degradation_study", ROOT / "examples" / "degradation_study.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_study_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run on 60 mnist5k images, 2 epochs; the JSON; the section and figure written from it into a temp doc."""
    study = _study()
    from convcalc.data import load_dataset

    data = load_dataset("mnist5k")
    pieces = (data.x_train[:60], data.y_train[:60], data.x_test[:40], data.y_test[:40])
    runs = [study.train(name, pieces, epochs=2, seed=0, lr=0.05, batch=20) for name in ("plain8", "resnet8")]
    for run in runs:
        assert [e["epoch"] for e in run["epochs"]] == [1, 2]
        assert all(0 <= e["train_error"] <= 1 and 0 <= e["test_error"] <= 1 for e in run["epochs"])
        assert np.isfinite(run["final_train_loss"]) and run["test_error"] == run["epochs"][-1]["test_error"]
    assert (runs[0]["params"], runs[1]["params"]) == (75_002, 77_754)
    result = {"config": {"limit": 60, "test": 40, "epochs": 2, "lr": 0.05, "batch": 20, "momentum": 0.9,
                         "seeds": [0, 1], "models": ["plain8", "resnet8"]}, "runs": runs}
    result = json.loads(json.dumps(result))  # what the study writes and reads back
    assert study.complete_seeds(result) == [0]  # seed 1 never ran: left out of the means
    monkeypatch.setattr(study.ex, "ROOT", tmp_path)
    monkeypatch.setattr(study.ex, "DOC", tmp_path / "experiments.md")
    monkeypatch.setattr(study.ex, "IMG", tmp_path / "img")
    study.ex.write_section("degradation", study.section(result))
    text = (tmp_path / "experiments.md").read_text()
    assert "<!-- degradation:begin -->" in text and "| plain-8 | 8 | 75,002 |" in text
    assert (tmp_path / "img" / "degradation.png").stat().st_size > 1000
    claims = study.findings(result)
    assert list(claims) == []  # no 20-layer runs: nothing to claim
    wrong = json.loads(json.dumps(result))
    for run, error in zip(wrong["runs"], (0.1, 0.2)):
        run["model"] = {"plain8": "plain20", "resnet8": "resnet20"}[run["model"]]
        run["final_train_error"] = error
    wrong["config"]["models"] = ["plain20", "resnet20"]
    assert study.findings(wrong)["ResNet-20 has a lower final training error (eval mode) than plain-20"] is False
