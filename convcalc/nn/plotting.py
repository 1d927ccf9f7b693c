"""Training curves: one figure with loss and accuracy panels, several runs on the same axes.

Like the seed homeworks' plots (``plt.plot(history.history['accuracy'])`` for
each run, a legend naming the runs), drawn with matplotlib, which is an
optional extra (``pip install convcalc[plot]``) imported only here, with the
non-interactive Agg backend so it works without a display.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from convcalc.errors import ConvCalcError, invalid
from convcalc.nn.callbacks import History

__all__ = ["plot_histories", "METRICS"]

#: What can be plotted: each panel shows the training curve (solid) and the validation curve (dashed).
METRICS = ("loss", "accuracy")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ConvCalcError("Plotting needs matplotlib, an optional extra: pip install 'convcalc[plot]' "
                            "(or pip install matplotlib).") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_histories(histories: Sequence[History], path: str | os.PathLike[str], *,
                   labels: Sequence[str] | None = None, metrics: Sequence[str] = METRICS,
                   validation: bool = True, title: str | None = None) -> None:
    """Draw the curves of ``histories`` into one PNG (or any format matplotlib knows from the suffix).

    Parameters
    ----------
    histories : sequence of History
        The runs; each gets one colour.
    path : path
        The image file to write.
    labels : sequence of str, optional
        Legend entries, one per run. Defaults to ``run 1``, ``run 2``, ...
    metrics : sequence of {"loss", "accuracy"}
        One panel per metric. Defaults to both.
    validation : bool
        Also draw ``val_*`` curves (dashed) where the histories have them. Defaults to True.
    title : str, optional
        Figure title.
    """
    if not histories:
        raise invalid("histories", [], "at least one History")
    labels = list(labels) if labels is not None else [f"run {i + 1}" for i in range(len(histories))]
    if len(labels) != len(histories):
        raise invalid("labels", labels, f"{len(histories)} labels, one per history")
    for metric in metrics:
        if metric not in METRICS:
            raise invalid("metrics", list(metrics), "a list of " + ", ".join(repr(m) for m in METRICS))
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 3.2 * len(metrics)), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes[:, 0], metrics):
        for i, (history, label) in enumerate(zip(histories, labels)):
            curves = history.history
            epochs = range(1, len(history.epochs) + 1)
            colour = colours[i % len(colours)]
            if metric in curves:
                ax.plot(epochs, curves[metric], color=colour, marker="o", markersize=3, label=f"{label} (train)")
            if validation and f"val_{metric}" in curves:
                ax.plot(epochs, curves[f"val_{metric}"], color=colour, linestyle="--", marker="s", markersize=3,
                        label=f"{label} (test)")
        ax.set_title({"loss": "Cross-entropy loss", "accuracy": "Classification accuracy"}[metric])
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    from convcalc.nn.files import atomic_write

    kind = os.path.splitext(os.fspath(path))[1][1:].lower() or "png"
    import warnings

    try:
        with warnings.catch_warnings():  # a glyph the font lacks (an emoji in a label) is drawn as a box, silently
            warnings.simplefilter("ignore", UserWarning)
            atomic_write(path, lambda f: fig.savefig(f, format=kind, dpi=110), what="the plot")
    except (OSError, ValueError) as error:
        if isinstance(error, ConvCalcError) and str(error).startswith("Cannot write"):
            raise

        raise ConvCalcError(f"Cannot write the plot to '{path}': {error}") from None
    finally:
        plt.close(fig)
