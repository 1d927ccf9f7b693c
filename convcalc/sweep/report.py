"""What a sweep found: one row per configuration (mean and spread over seeds), and the curves.

A *configuration* is a run's options without its ``seed``; runs differing only
by seed are its repeats. :func:`summarize` gives, per configuration, the mean
test accuracy of its runs that have one (finished runs, and diverged runs
with a good epoch), the sample standard deviation (``ddof=1``, None for a
single run) and the range; the best configuration (highest mean) is marked.

Examples
--------
>>> rows = summarize_records([({"lr": 0.1}, {"status": "finished", "test_accuracy": 0.5, "epochs": []}),
...                           ({"lr": 0.1}, {"status": "finished", "test_accuracy": 0.7, "epochs": []}),
...                           ({"lr": 1.0}, {"status": "diverged", "test_accuracy": None, "epochs": []})])
>>> [(r.label, r.runs, round(r.mean, 3), round(r.std, 4), r.best) for r in rows[:1]], rows[1].statuses
([('lr=0.1', 2, 0.6, 0.1414, True)], {'diverged': 1})
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass, field
from typing import Any

from convcalc.errors import ConvCalcError

__all__ = ["ConfigRow", "summarize", "summarize_records", "plot_sweep", "markdown_table"]


@dataclass
class ConfigRow:
    """One configuration: its varied values, how its runs ended, and its test accuracy over seeds."""

    label: str
    values: dict[str, Any]
    runs: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    accuracies: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    negated: list[float] = field(default_factory=list)
    best: bool = False

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.accuracies) if self.accuracies else None

    @property
    def std(self) -> float | None:
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else None

    @property
    def low(self) -> float | None:
        return min(self.accuracies) if self.accuracies else None

    @property
    def high(self) -> float | None:
        return max(self.accuracies) if self.accuracies else None

    @property
    def negated_mean(self) -> float | None:
        """Mean accuracy on the negated test set (runs with ``negate_test``), or None."""
        return statistics.fmean(self.negated) if self.negated else None

    @property
    def train_loss(self) -> float | None:
        good = [x for x in self.losses if math.isfinite(x)]
        return statistics.fmean(good) if good else None


def _label(values: dict[str, Any]) -> str:
    from convcalc.sweep.grid import show_value

    return " ".join(f"{k}={show_value(v)}" if k != "variant" else str(v) for k, v in values.items()) or "(all)"


def summarize_records(items: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[ConfigRow]:
    """Rows from ``(varied values, record)`` pairs; ``seed`` is left out of the values to group by."""
    rows: dict[str, ConfigRow] = {}
    for values, record in items:
        key_values = {k: v for k, v in values.items() if k != "seed"}
        label = _label(key_values)
        row = rows.setdefault(label, ConfigRow(label, key_values))
        row.runs += 1
        row.statuses[record["status"]] = row.statuses.get(record["status"], 0) + 1
        if isinstance(record.get("test_accuracy"), (int, float)):
            row.accuracies.append(float(record["test_accuracy"]))
        epochs = record.get("epochs") or []
        row.epochs.append(len(epochs))
        if epochs and isinstance(epochs[-1].get("loss"), (int, float)):
            row.losses.append(float(epochs[-1]["loss"]))
        if isinstance(record.get("seconds"), (int, float)):
            row.seconds.append(float(record["seconds"]))
        if isinstance(record.get("negated_test_accuracy"), (int, float)):
            row.negated.append(float(record["negated_test_accuracy"]))
    out = list(rows.values())
    scored = [(r.mean, i) for i, r in enumerate(out) if r.mean is not None]
    if scored:
        out[max(scored, key=lambda item: item[0])[1]].best = True  # the first of equal means
    return out


def summarize(result: Any) -> list[ConfigRow]:
    """The rows of a :class:`~convcalc.sweep.orchestrate.SweepResult` (runs without a record are left out)."""
    return summarize_records([(run.values, result.records[run.id]) for run in result.runs if run.id in result.records])


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConvCalcError("The sweep figure needs matplotlib, an optional extra: pip install 'convcalc[plot]' "
                            "(or pip install matplotlib).") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def check_plotting() -> None:
    """Raise the install hint now (before hours of training) when matplotlib is missing."""
    _pyplot()


def plot_sweep(result: Any, path: str | os.PathLike[str], *, metric: str = "val_accuracy") -> list[str]:
    """Curves of every configuration, one panel per varied parameter, coloured by that parameter's value.

    Each line is a configuration's ``metric`` per epoch, averaged over its seeds (the band shows the
    lowest and highest seed when there are several). Returns the parameters drawn.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    from convcalc.sweep.grid import show_value

    runs = [run for run in result.runs if run.id in result.records]
    if not runs:
        raise ConvCalcError("No run has finished yet, so there are no curves to draw.")
    names = [n for n in dict.fromkeys(k for run in runs for k in run.values) if n != "seed"] or ["seed"]
    groups: dict[str, list[Any]] = {}
    for run in runs:
        key = _label({k: v for k, v in run.values.items() if k != "seed"}) if names != ["seed"] else run.label
        groups.setdefault(key, []).append(run)
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4), squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, name in zip(axes[0], names):
        values = list(dict.fromkeys(show_value(run.values.get(name)) for run in runs))
        shown = set()
        for key, members in groups.items():
            curves = [[e.get(metric, math.nan) for e in result.records[r.id].get("epochs") or []] for r in members]
            length = max((len(c) for c in curves), default=0)
            if not length:
                continue
            xs = list(range(1, length + 1))
            columns = [[c[i] for c in curves if i < len(c) and c[i] is not None and math.isfinite(c[i])]
                       for i in range(length)]
            mean = [statistics.fmean(col) if col else math.nan for col in columns]
            value = show_value(members[0].values.get(name))
            colour = cmap(values.index(value) % 10)
            ax.plot(xs, mean, color=colour, marker="o", markersize=3, linewidth=1.4,
                    label=(value if name == "variant" else f"{name}={value}") if value not in shown else None)
            shown.add(value)
            if len(members) > 1:
                ax.fill_between(xs, [min(c) if c else math.nan for c in columns],
                                [max(c) if c else math.nan for c in columns], color=colour, alpha=0.15)
        ax.set_title(f"by {name}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("val_", "test ").replace("_", " "))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return names


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "--"
    return f"{value:.3g}" if abs(value) >= 1e4 else f"{value:.{digits}f}"


def markdown_table(rows: list[ConfigRow]) -> str:
    """The comparison table as Markdown (one row per configuration, the best in bold).

    Examples
    --------
    >>> rows = summarize_records([({"lr": 0.1, "seed": 0}, {"status": "finished", "test_accuracy": 0.5,
    ...                            "epochs": [{"loss": 1.0}]})])
    >>> print(markdown_table(rows))
    | lr | runs | status | test acc | ± std | min-max | train loss | epochs |
    | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |
    | 0.1 | 1 | 1 finished | **0.5000** | -- | -- | 1.0000 | 1 |
    """
    from convcalc.sweep.grid import show_value

    names = list(dict.fromkeys(k for row in rows for k in row.values)) or ["configuration"]
    head = " | ".join(names)
    negated = any(row.negated for row in rows)
    lines = [f"| {head} | runs | status | test acc | ± std | min-max |{' negated test acc |' if negated else ''}"
             " train loss | epochs |",
             "| " + " | ".join(["---"] * len(names)) + " | ---: | --- | ---: | ---: | ---: |"
             + (" ---: |" if negated else "") + " ---: | ---: |"]
    for row in rows:
        cells = [show_value(row.values.get(n, "")) for n in names] if row.values else [row.label]
        status = ", ".join(f"{n} {s}" for s, n in sorted(row.statuses.items(), key=lambda i: i[0] != "finished"))
        mean = _number(row.mean)
        spread = f"{_number(row.low)}-{_number(row.high)}" if len(row.accuracies) > 1 else "--"
        epochs = "/".join(str(e) for e in sorted(set(row.epochs))) or "0"
        cells = [c.replace("|", "\\|") for c in cells]
        extra = f" {_number(row.negated_mean)} |" if negated else ""
        lines.append(f"| {' | '.join(cells)} | {row.runs} | {status} | {f'**{mean}**' if row.best else mean} | "
                     f"{_number(row.std)} | {spread} |{extra} {_number(row.train_loss)} | {epochs} |")
    return "\n".join(lines)
