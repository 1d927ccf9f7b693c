"""What the two experiment scripts share: running a configuration, tables, and their section of docs/experiments.md.

Each script owns one section of ``docs/experiments.md``, between
``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``, and rewrites only that part.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from convcalc.nn import Callback, History, TrainingDiverged
from convcalc.nn import session
from convcalc.nn.plotting import plot_histories

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "experiments.md"
IMG = ROOT / "docs" / "img"


class ExtraTestSet(Callback):
    """Evaluate on one more labelled set after every epoch and keep the accuracies (e.g. negated test images)."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y, self.accuracy = x, y, []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.accuracy.append(self.model.evaluate(self.x, self.y)["accuracy"])


def run(label: str, config: session.TrainConfig, callbacks: list[Callback] = ()) -> dict[str, Any]:
    """Train one configuration; a diverging run is recorded with the epochs it finished."""
    start = time.perf_counter()
    note = ""
    try:
        result = session.run(config, list(callbacks))
        history, test = result.history, result.test_accuracy
    except TrainingDiverged as error:
        history, test, note = error.history, float("nan"), str(error).split(". The weights")[0]
    seconds = time.perf_counter() - start
    print(f"{label}: test accuracy {test:.4f} ({seconds:.0f} s) {note}", flush=True)
    return {"label": label, "config": config, "history": history, "test": test, "note": note, "seconds": seconds}


def table(runs: list[dict[str, Any]], extra: dict[str, list[str]] | None = None) -> str:
    """A Markdown table: one row per run with its final figures."""
    extra = extra or {}
    head = ["run", "epochs", "train loss", "train acc", "test loss", "test acc", *extra, "s/epoch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for i, r in enumerate(runs):
        h: History = r["history"]
        last = h.epochs[-1] if h.epochs else {}
        cells = [r["label"] + (f" ({r['note']})" if r["note"] else ""), str(len(h.epochs))]
        cells += [f"{last[k]:.4f}" if k in last else "--" for k in ("loss", "accuracy", "val_loss", "val_accuracy")]
        cells += [values[i] for values in extra.values()]
        per_epoch = np.mean([e["seconds"] for e in h.epochs]) if h.epochs else float("nan")
        cells.append(f"{per_epoch:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def curves(runs: list[dict[str, Any]], name: str, title: str, **options: Any) -> str:
    """Plot ``runs`` into docs/img/NAME.png; returns the Markdown image line."""
    IMG.mkdir(parents=True, exist_ok=True)
    plot_histories([r["history"] for r in runs], IMG / f"{name}.png", labels=[r["label"] for r in runs],
                   title=title, **options)
    return f"![{title}](img/{name}.png)"


def write_section(name: str, text: str) -> None:
    """Replace this script's section of docs/experiments.md (creating the file or the section if needed)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    doc = DOC.read_text() if DOC.exists() else "# Reproducing the seed experiments\n"
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(doc)
    print(f"wrote the {name} section of {DOC.relative_to(ROOT)}")
