"""`convcalc train` progress: 'starting' until the first batch ends, Keras's val_loss/val_acc words, and a
heavy model said up front with its estimated time per epoch (issue 10)."""

from __future__ import annotations

import io

import pytest

from convcalc.cli import train as cli_train
from convcalc.nn import Sequential, budget

TINY = "conv(4, 3) relu pool(2) flatten dense(10) softmax"


def _rendered(progress) -> str:
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=False)
    console.print(progress.get_renderable())
    return out.getvalue()


def test_the_bar_says_starting_until_the_first_batch_ends(monkeypatch, capsys):
    callback = cli_train._progress_callback(plain=False)
    model = Sequential.from_spec(TINY, (1, 28, 28))
    callback.set_model(model)
    callback.on_train_begin({"epochs": 2, "samples": 100, "batches": 4, "batch_size": 25})
    try:
        callback.on_epoch_begin(0, {"batches": 4, "samples": 100})
        before = _rendered(callback.progress)
        assert "starting" in before and "nan" not in before and "0/s" not in before
        callback.on_batch_end(0, {"loss": 2.25, "accuracy": 0.125, "seen": 25, "samples": 100, "batches": 4,
                                  "size": 25})
        after = _rendered(callback.progress)
        assert "starting" not in after and "loss 2.2500 acc 0.1250" in after
        callback.on_epoch_end(0, {"loss": 2.0, "accuracy": 0.25, "val_loss": 1.31, "val_accuracy": 0.758,
                                  "seconds": 1.0})
        assert "val_loss 1.3100 val_acc 0.7580" in _rendered(callback.progress)
    finally:
        callback.stop()


def test_plain_lines_use_kerass_words(run_cli):
    result = run_cli("train", "--model", TINY, "--limit", "100", "--epochs", "1", "--batch-size", "50")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("epoch 1/1:"))
    assert "val_loss " in line and "val_acc " in line and "val " not in line.replace("val_", "")


def test_a_light_model_gets_no_heavy_note():
    assert cli_train.heavy_note(736488, 4000, 32) is None  # HW5 on mnist5k: well under a second per epoch


def test_vgg16_is_said_to_be_heavy_with_its_estimated_time():
    from convcalc.presets import preset
    from convcalc.stack import summarize

    layers, shape = preset("vgg16")
    macs = summarize(layers, shape).total_macs
    note = cli_train.heavy_note(macs, 4000, 32)
    low, high = budget.estimate_epoch_seconds(macs, 4000)
    assert note is not None and "heavy for the CPU trainer" in note and "per epoch" in note
    assert "bench_train.py" in note and f"{macs:,} MACs per image" in note
    assert low > 3600 and "h per epoch" in note  # hours, not a divergence-looking stall


def test_the_heavy_note_is_printed_before_training(run_cli, monkeypatch):
    monkeypatch.setattr(budget, "HEAVY_EPOCH_SECONDS", 0.0)
    result = run_cli("train", "--model", TINY, "--limit", "100", "--epochs", "1", "--batch-size", "50")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "heavy for the CPU trainer" in out and out.index("heavy for the CPU") < out.index("epoch 1/1:")


@pytest.mark.parametrize("seconds,text", [(0.5, "0.5 s"), (45, "45 s"), (600, "10 min"), (7200, "2 h")])
def test_durations(seconds, text):
    assert cli_train._duration(seconds) == text


def test_the_readme_epoch_time_is_what_bench_train_printed():
    """README's seconds per epoch are the figures of benchmarks/bench_train.py recorded in docs/performance.md."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = " ".join((root / "README.md").read_text().split())
    said = re.search(r"HW5 CNN takes ([\d.]+) s on a two-core machine where PyTorch 2\.13 takes ([\d.]+) s",
                     readme).groups()
    table = (root / "docs" / "performance.md").read_text()
    row = re.search(r"^\| hw5 \| SGD, batch 32 \| ([\d.]+) \| \d+ \| ([\d.]+) \|", table, re.M)
    for text, measured in zip(said, row.groups()):
        digits = len(text.split(".")[1]) if "." in text else 0
        assert float(text) == round(float(measured), digits), (text, measured)


def test_with_json_the_heavy_note_goes_to_stderr(monkeypatch, capsys):
    import json

    from convcalc.cli.main import app

    monkeypatch.setattr(budget, "HEAVY_EPOCH_SECONDS", 0.0)
    with pytest.raises(SystemExit) as info:
        app(["train", "--model", TINY, "--limit", "100", "--epochs", "1", "--batch-size", "50", "--json"])
    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["epochs"] and err.startswith("note: heavy for the CPU trainer")
