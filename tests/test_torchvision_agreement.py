"""The torchvision agreement table (docs/importing.md) is measured, not written by hand.

torchvision does not load beside the torch 2.13.0 these tests use, so
``examples/torchvision_agreement.py`` runs in a venv of its own (torch 2.14.1,
torchvision 0.29.1, onnx and convcalc), named by ``CONVCALC_TV_PYTHON``
(.ci/run makes it; unset, these tests skip). The cells that agree today must keep agreeing, every
model is in the run, every cell that is not ``ok`` says why, an ``ok`` cell has every row's shape
equal to the forward pass's, and the table in docs/importing.md claims no ``ok`` the run does not give.
The row comparison itself is checked here too, under the tests' torch 2.13 (no torchvision needed):
on small modules with a row made wrong on purpose, it must find that row.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "torchvision_agreement.py"
FORMATS = ("print(model)", "ONNX", "from_torch")
MODELS = ["ResNet-18", "ResNet-50", "VGG-16", "AlexNet", "MobileNet v2", "MobileNet v3 small", "MobileNet v3 large",
          "GoogLeNet", "DenseNet-121", "EfficientNet-B0", "SqueezeNet 1.1", "ShuffleNet v2 x1.0"]
#: (model, format) cells that agree exactly today, every row's shape included (2026-12-04 20:10, torch 2.14.1,
#: torchvision 0.29.1): all 36, with H1's torchvision block classes for print(model) and H2's channel split and
#: shuffle for ShuffleNet's ONNX and from_torch readings.
OK_TODAY = {(model, fmt) for model in MODELS for fmt in FORMATS}
#: Cells whose numbers and row shapes agree, with rows read on an assumption (none today).
AGREE_PARTIAL_TODAY: set[tuple[str, str]] = set()


def _python() -> str:
    python = os.environ.get("CONVCALC_TV_PYTHON", "")
    if not python:  # .ci/run sets it once it makes the venv; until then this is the one skip
        pytest.skip("CONVCALC_TV_PYTHON is not set (a python with torchvision: examples/torchvision_agreement.py)")
    if not Path(python).exists():
        pytest.fail(f"CONVCALC_TV_PYTHON={python!r} does not exist: the torchvision venv was not made")
    return python


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("tv") / "records.json"
    run = subprocess.run([_python(), str(SCRIPT), "--json", str(out)], capture_output=True, text=True, timeout=900,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    return {record["model"]: record for record in json.loads(out.read_text(encoding="utf-8"))}


def test_every_model_and_format_is_in_the_table(records):
    assert list(records) == MODELS
    for record in records.values():
        assert record["output"] == [1000]
        assert record["params"] == record["published_params"]  # the untrained build is the published model
        for fmt in FORMATS:
            got = record["formats"][fmt]
            verdict = got["verdict"]
            assert verdict == "ok" or re.match(r"(fails|agrees, partial): \S", verdict), verdict
            if "shapes" in got:  # the reader read the model: every row is accounted for in the comparison
                rows = got["shapes"]
                assert rows["rows"] == got["rows"] > 0
                assert rows["compared"] + rows["no_shape"] + rows["no_oracle"] == rows["rows"], rows
                assert rows["matched"] <= rows["compared"]
                assert rows["all"] == (rows["matched"] == rows["rows"])
            if verdict == "ok" or verdict.startswith("agrees"):  # agreeing needs every row's shape
                assert got["shapes"]["all"] and not got["shapes"]["first_mismatch"], (record["model"], fmt, got)
        agreement = record["agreement"]  # readings that agree with the run agree with each other, module by module
        ok = [f for f in FORMATS if record["formats"][f]["verdict"] == "ok"]
        for i, a in enumerate(ok):
            for b in ok[i + 1:]:
                both, differ = agreement["pairs"][f"{a} / {b}"]
                assert both > 0 and differ == 0, (record["model"], a, b, agreement)
        if len(ok) == agreement["readings"] >= 2:
            assert agreement["same_totals"], (record["model"], agreement)


def test_cells_that_agree_keep_agreeing(records):
    for model, fmt in sorted(OK_TODAY | AGREE_PARTIAL_TODAY):
        got = records[model]["formats"][fmt]
        expected = "ok" if (model, fmt) in OK_TODAY else "agrees, partial"
        assert got["verdict"].startswith(expected), (model, fmt, got["verdict"])
        # the script's own comparison, repeated here against the oracles it recorded
        assert got["params"] == records[model]["params"]
        assert round(got["macs"] / 1e9, 3) == records[model]["gflops"]
        assert got["output"] == records[model]["output"]
        assert got["shapes"]["compared"] == got["shapes"]["matched"] == got["rows"] > 0, (model, fmt, got["shapes"])


def test_docs_claim_no_ok_the_run_does_not_give(records):
    text = (ROOT / "docs" / "importing.md").read_text(encoding="utf-8")
    table = text.split("<!-- torchvision-agreement:start -->", 1)[1].split("<!-- torchvision-agreement:end -->")[0]
    claimed = 0
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] in records and len(cells) == 4:
            for fmt, cell in zip(FORMATS, cells[1:]):
                if cell == "ok":
                    claimed += 1
                    assert records[cells[0]]["formats"][fmt]["verdict"] == "ok", (cells[0], fmt)
    assert claimed >= len(OK_TODAY)


def _script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("torchvision_agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_row_comparison_finds_a_wrong_row():
    """print(model) and from_torch rows against hooks and ShapeProp; a row made wrong is found, by name."""
    torch = pytest.importorskip("torch")
    from torch import nn

    import convcalc
    from convcalc.importers import ImportedModel, ImportedRow, read_torch_print
    from convcalc.importers._model import build_layers

    script = _script()
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Dropout(), nn.Linear(8 * 4 * 4, 10)).eval()
    x = torch.zeros(1, 3, 8, 8)
    modules = script.module_oracle(model, x)
    assert modules["0"] == [(8, 8, 8)] and modules["2"] == [(8, 4, 4)] and modules["5"] == [(10,)]
    imported = read_torch_print(str(model))
    good = script.compare_rows(imported, script.print_oracle(imported, modules),
                               script.row_shapes(imported, (3, 8, 8)))
    assert good["all"] and good["compared"] == good["matched"] == 6
    wrong = list(imported.rows)  # the pool read as stride 1: its row and every row after it differ
    wrong[2] = ImportedRow("2", "MaxPool2d(2, stride=1)", "ok", "", build_layers("MaxPool2d(2, stride=1)"))
    bad_model = ImportedModel(wrong)
    bad = script.compare_rows(bad_model, script.print_oracle(bad_model, modules), script.row_shapes(bad_model, (3, 8, 8)))
    assert not bad["all"] and bad["first_mismatch"] == "2: (8, 7, 7), forward pass (8, 4, 4)"
    assert bad["matched"] == 2 and bad["no_shape"] == 1 and bad["stop"]  # Linear(128) cannot take 392: no shape

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.relu, self.fc = nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(), nn.Linear(3 * 8 * 8, 4)

        def forward(self, x):
            y = self.relu(self.conv(x)) + x
            return self.fc(torch.flatten(self.relu(y), 1))

    net = Residual().eval()
    traced = convcalc.from_torch(net, (3, 8, 8))
    oracle = script.fx_oracle(net, x, traced)
    assert [row.path for row in traced.rows][:3] == ["conv", "relu", "call_function add"]
    assert oracle[2] == [(3, 8, 8)] and oracle[-1] == [(4,)]
    assert script.compare_rows(traced, oracle, script.row_shapes(traced, (3, 8, 8)))["all"]
    rows = list(traced.rows)
    rows[0] = ImportedRow("conv", "Conv2d(3, 3, 3)", "ok", "", build_layers("Conv2d(3, 3, 3)"), rows[0].inputs)
    broken = ImportedModel(rows, (3, 8, 8))
    result = script.compare_rows(broken, oracle, script.row_shapes(broken, (3, 8, 8)))
    assert result["first_mismatch"] == "conv: (3, 6, 6), forward pass (3, 8, 8)"
    assert result["no_shape"] > 0  # the add of (3, 6, 6) and (3, 8, 8) cannot be computed: the rows after it


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
