"""The torchvision agreement table (docs/importing.md) is measured, not written by hand.

torchvision does not load beside the torch 2.13.0 these tests use, so
``examples/torchvision_agreement.py`` runs in a venv of its own (torch 2.14.1,
torchvision 0.29.1, onnx and convcalc), named by ``CONVCALC_TV_PYTHON``
(.ci/run makes it; unset, these tests skip). The cells that agree today must keep agreeing, every
model is in the run, every cell that is not ``ok`` says why, and the table in
docs/importing.md claims no ``ok`` the run does not give.
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
#: (model, format) cells that agree exactly today (2026-12-04, torch 2.14.1, torchvision 0.29.1).
OK_TODAY = {(model, fmt) for model in ("ResNet-18", "ResNet-50", "VGG-16", "AlexNet", "MobileNet v2", "MobileNet v3 small",
                                       "MobileNet v3 large", "GoogLeNet", "DenseNet-121", "EfficientNet-B0",
                                       "SqueezeNet 1.1")
            for fmt in ("ONNX", "from_torch")}
#: Cells whose numbers agree, with rows read on print(model)'s order assumption.
AGREE_PARTIAL_TODAY = {("VGG-16", "print(model)"), ("AlexNet", "print(model)")}


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
            verdict = record["formats"][fmt]["verdict"]
            assert verdict == "ok" or re.match(r"(fails|agrees, partial): \S", verdict), verdict


def test_cells_that_agree_keep_agreeing(records):
    for model, fmt in sorted(OK_TODAY | AGREE_PARTIAL_TODAY):
        got = records[model]["formats"][fmt]
        expected = "ok" if (model, fmt) in OK_TODAY else "agrees, partial"
        assert got["verdict"].startswith(expected), (model, fmt, got["verdict"])
        # the script's own comparison, repeated here against the oracles it recorded
        assert got["params"] == records[model]["params"]
        assert round(got["macs"] / 1e9, 3) == records[model]["gflops"]
        assert got["output"] == records[model]["output"]


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
