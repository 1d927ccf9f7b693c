"""`convcalc train`, `convcalc evaluate`, `convcalc plot`: the small-CNN trainer on the command line."""

# No `from __future__ import annotations` here: Typer evaluates the annotations.
import sys
import time
from typing import Annotated, Any, List, Optional

import typer

from convcalc.cli._console import console, err_console, print_json
from convcalc.cli._types import AsciiInt

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay


INTERRUPT_FILE = "convcalc-interrupted.npz"
#: Longest legend entry or title `convcalc plot` draws (matplotlib's layout of a 10,000-character one takes minutes).
MAX_LABEL = 200


def _duration(seconds: float) -> str:
    """``"45 s"``, ``"3.2 min"``, ``"1.4 h"``."""
    if seconds < 90:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.2g} min"
    return f"{seconds / 3600:.2g} h"


def heavy_note(forward_macs: int, samples: int, batch_size: int) -> Optional[str]:
    """A line saying a model is heavy for the CPU trainer (with the estimated time per epoch), or None."""
    from convcalc.nn.budget import HEAVY_EPOCH_SECONDS, TRAIN_MACS_PER_SECOND, estimate_epoch_seconds

    low, high = estimate_epoch_seconds(forward_macs, samples)
    if high < HEAVY_EPOCH_SECONDS:
        return None
    first_low, first_high = estimate_epoch_seconds(forward_macs, min(batch_size, samples))
    rates = "-".join(f"{r / 1e9:.1f}" for r in TRAIN_MACS_PER_SECOND)
    return (f"heavy for the CPU trainer: about {_duration(low)} to {_duration(high)} per epoch "
            f"({forward_macs:,} MACs per image x {samples:,} images at the {rates} billion MACs/s that "
            f"benchmarks/bench_train.py measured on the seed models, docs/performance.md); the first batch alone "
            f"takes about {_duration(first_low)} to {_duration(first_high)}, so progress shows 'starting' until "
            "then. Use --limit N, a smaller --batch-size or a smaller model for a quick run.")


def _heavy_note_callback() -> Any:
    """With --json (stdout is the JSON object): say on stderr, before the first batch, that a model is heavy."""
    from convcalc.nn import Callback

    class HeavyNote(Callback):
        def on_train_begin(self, logs: dict) -> None:
            note = heavy_note(self.model.summary().total_macs, logs["samples"], logs.get("batch_size", 32))
            if note is not None:
                sys.stderr.write(f"note: {note}\n")
                sys.stderr.flush()

    return HeavyNote()


def _stats(logs: Optional[dict], rate: float) -> str:
    """The progress bar's numbers: ``starting`` until the epoch's first batch has ended."""
    if logs is None:
        return "starting"
    return f"loss {logs['loss']:.4f} acc {logs.get('accuracy', float('nan')):.4f} {rate:,.0f}/s"


def _val(logs: dict) -> str:
    """Keras's words for the validation pair: ``val_loss 1.3100 val_acc 0.7580``."""
    if "val_loss" not in logs:
        return ""
    acc = f" val_acc {logs['val_accuracy']:.4f}" if "val_accuracy" in logs else ""
    return f"val_loss {logs['val_loss']:.4f}{acc}"


def _progress_callback(plain: bool) -> Any:
    """A Callback that shows one Rich progress bar per epoch (or one plain line per epoch off a terminal)."""
    from convcalc.nn import Callback

    class RichProgress(Callback):
        progress: Any = None

        def on_train_begin(self, logs: dict) -> None:
            from convcalc.cli._stack_render import emit, summary_table, terminal_width

            self.epochs = logs["epochs"]
            self.progress = None
            summary = self.model.summary()  # convcalc stack's table, from the same specs
            emit(summary_table(summary, max_width=terminal_width()))
            from convcalc.nn.session import describe_loss

            lines = [describe_loss(self.model)]
            note = heavy_note(summary.total_macs, logs["samples"], logs.get("batch_size", 32))
            if note is not None:
                lines.append(note)
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
            if not plain:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                self.progress = Progress(
                    TextColumn("[bold]{task.description}"), BarColumn(bar_width=10),
                    TextColumn("{task.fields[stats]}"),
                    TimeRemainingColumn(compact=True), TextColumn("{task.fields[val]}"),
                    console=Console(highlight=False))
                self.progress.start()

        def on_epoch_begin(self, epoch: int, logs: dict) -> None:
            self.start = time.perf_counter()
            self.done_before, self.rate = None, 0.0
            if self.progress is not None:
                self.task = self.progress.add_task(f"Epoch {epoch + 1}/{self.epochs}", total=logs["samples"],
                                                   stats=_stats(None, 0.0), val="")

        def on_batch_end(self, batch: int, logs: dict) -> None:
            if self.done_before is None:  # a resumed epoch starts part-way
                self.done_before = logs["seen"] - logs["size"]
            if self.progress is not None:
                elapsed = max(time.perf_counter() - self.start, 1e-9)
                self.rate = (logs["seen"] - self.done_before) / elapsed
                self.progress.update(self.task, completed=logs["seen"], stats=_stats(logs, self.rate))

        def on_epoch_end(self, epoch: int, logs: dict) -> None:
            val = _val(logs)
            if self.progress is not None:
                self.progress.update(self.task, stats=_stats(logs, self.rate), val=val)
            else:
                sys.stdout.write(f"epoch {epoch + 1}/{self.epochs}: loss {logs['loss']:.4f}  "
                                 f"acc {logs.get('accuracy', float('nan')):.4f}  {val}  ({logs['seconds']:.1f} s)\n")
                sys.stdout.flush()

        def on_train_end(self, logs: dict) -> None:
            self.stop()

        def stop(self) -> None:
            if self.progress is not None:
                self.progress.stop()
                self.progress = None

    return RichProgress()


def _epoch_table(result: Any) -> Any:
    from rich.table import Table

    table = Table(title=f"{result.config.model} on {result.config.data}", title_justify="left")
    for name in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
        table.add_column(name, justify="right")
    for i, e in enumerate(result.history.epochs, 1):
        cells = [f"{e[k]:.4f}" if k in e else "--" for k in ("loss", "accuracy", "val_loss", "val_accuracy")]
        table.add_row(str(i), *cells, f"{e.get('seconds', 0):.1f}")
    return table


def _report(result: Any) -> None:
    console.print(_epoch_table(result))
    console.print(f"test accuracy: [bold]{result.test_accuracy:.4f}[/bold]  (loss {result.test_loss:.4f})")
    if result.negated_test_accuracy is not None:
        console.print(f"negated test accuracy: [bold]{result.negated_test_accuracy:.4f}[/bold]")
    if result.history.stopped_early:
        console.print(f"stopped early after {len(result.history.epochs)} epochs")


@app.command()
def train(
    model: Annotated[str, typer.Option("--model", "-m", help="hw5, hw5-2conv, lenet5, resnet20, ... (a preset) or a spec such as "
                                       "'conv(32,3) relu pool(2) flatten dense(10) softmax'.")] = "hw5",
    data: Annotated[str, typer.Option("--data", "-d", help="mnist5k (embedded), fashion-mnist, mnist, cifar10.")]
    = "mnist5k",
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", help="Folder holding the dataset.")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", "-e", click_type=AsciiInt(min=1), help="Epochs (default 5).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", click_type=AsciiInt(min=1), help="Samples per step.")] = 32,
    optimizer: Annotated[str, typer.Option("--optimizer", help="sgd or adam.")] = "sgd",
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate (default: sgd 0.01, adam 0.001).")]
    = None,
    momentum: Annotated[float, typer.Option("--momentum", help="SGD momentum.")] = 0.0,
    nesterov: Annotated[bool, typer.Option("--nesterov", help="Nesterov momentum.")] = False,
    init: Annotated[str, typer.Option("--init", help="glorot_uniform, glorot_normal, he_normal, he_uniform, ones, "
                                      "zeros.")] = "glorot_uniform",
    l2: Annotated[float, typer.Option("--l2", help="Keras L2(l2) on every kernel.")] = 0.0,
    dropout: Annotated[float, typer.Option("--dropout", help="Dropout rate before the last dense layer.")] = 0.0,
    early_stopping: Annotated[Optional[int], typer.Option("--early-stopping", click_type=AsciiInt(min=0),
                                                          help="Stop after N epochs without a better val_loss.")]
    = None,
    augment_negative: Annotated[bool, typer.Option("--augment-negative",
                                                   help="Negate a random half of each training class.")] = False,
    negate_test: Annotated[bool, typer.Option("--negate-test", help="Also test on negated images.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", click_type=AsciiInt(min=10), help="Train on a stratified subset of N samples.")]
    = None,
    seed: Annotated[int, typer.Option("--seed", click_type=AsciiInt(min=0), help="Seed of weights, shuffling, dropout, augmentation.")]
    = 0,
    save: Annotated[Optional[str], typer.Option("--save", help="Save the model here (also a checkpoint each epoch).")]
    = None,
    resume: Annotated[Optional[str], typer.Option("--resume", help="Continue an interrupted run from its checkpoint "
                                                  "(its own options apply; --epochs may extend it).")] = None,
    history: Annotated[Optional[str], typer.Option("--history", help="Write the per-epoch history as JSON.")] = None,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Draw the training curves into a PNG.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing --save, --history and --plot "
                                            "files (they are kept otherwise).")] = False,
    max_memory: Annotated[Optional[str], typer.Option("--max-memory", help="Refuse to train when the memory "
                          "estimated from the model and batch exceeds this (e.g. 8G, 512MB; default: the memory "
                          "available on this machine).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Train a CNN on a dataset with a progress bar per epoch, then test it.

    Example: convcalc train --model lenet5 --data fashion-mnist --optimizer adam --lr 5e-4 --init he_normal
    """
    from convcalc.nn import TrainingInterrupted, session
    from convcalc.engine import tune_malloc

    tune_malloc()
    interrupt_path = _check_outputs(save, history, plot, resume, overwrite)
    progress = _progress_callback(plain=as_json or not sys.stdout.isatty())
    callbacks = [_heavy_note_callback()] if as_json else [progress]  # --json: the note goes to stderr
    try:
        if resume is not None:
            result = session.resume(resume, callbacks, epochs=epochs, checkpoint=save, max_memory=max_memory)
        else:
            config = session.TrainConfig(
                model=model, data=data, data_dir=data_dir, epochs=epochs if epochs is not None else 5,
                batch_size=batch_size, optimizer=optimizer, lr=lr, momentum=momentum, nesterov=nesterov, init=init,
                l2=l2, dropout=dropout, early_stopping=early_stopping, augment_negative=augment_negative,
                negate_test=negate_test, limit=limit, seed=seed)
            result = session.run(config, callbacks, checkpoint=save, interrupt_path=interrupt_path,
                                 max_memory=max_memory)
    except TrainingInterrupted as stop:
        progress.stop()
        where = stop.checkpoint
        done = f"epoch {stop.state['epoch'] + 1}, batch {stop.state['batch']}" if stop.state else "mid-step"
        if where is None:
            why = "".join(f" {problem}" for problem in stop.history.problems)
            err_console.print(f"Interrupted ({done}); no checkpoint could be written.{why}")
        else:
            err_console.print(f"Interrupted at {done}; checkpoint saved to {where}.\n"
                              f"Continue with: convcalc train --resume {where}")
        raise typer.Exit(code=130) from None
    finally:
        progress.stop()
    problems = _write_outputs(result, save, history, plot)
    if as_json:
        print_json(result.to_dict())
    else:
        _report(result)
    if problems:  # the results are printed; say which files could not be written
        from convcalc.cli._console import print_error

        for problem in problems:
            print_error(problem)
        raise typer.Exit(code=2)


def _check_outputs(save: Optional[str], history: Optional[str], plot: Optional[str], resume: Optional[str],
                   overwrite: bool) -> Any:
    """Before any training: every output path writable and new (or --overwrite, or the run's own --resume file),
    stale temporary files of dead writers removed; returns where Ctrl-C saves when there is no --save."""
    import os

    from convcalc.errors import ConvCalcError
    from convcalc.nn.files import check_output, clean_stale_temps, free_name

    given = [(option, path) for option, path in (("--save", save), ("--history", history), ("--plot", plot))
             if path is not None]
    seen: dict = {}
    for option, path in given:
        key = os.path.abspath(path)
        if key in seen:
            raise ConvCalcError(f"{seen[key]} and {option} name the same file '{path}'; give each its own.")
        seen[key] = option
    for option, path in given:
        check_output(path, option, overwrite=overwrite, own=resume if option == "--save" else None)
        clean_stale_temps(path)
    if resume is not None:
        clean_stale_temps(resume)
    if plot is not None:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise ConvCalcError("--plot needs matplotlib: pip install 'convcalc[plot]' (checked before training).")
    if save is not None or resume is not None:
        return None
    clean_stale_temps(INTERRUPT_FILE)
    return INTERRUPT_FILE if overwrite else str(free_name(INTERRUPT_FILE))


def _write_outputs(result: Any, save: Optional[str], history: Optional[str], plot: Optional[str]) -> List[str]:
    """Write the finished run's files; a write that fails is returned as a message, not raised."""
    from convcalc.errors import ConvCalcError

    problems = list(getattr(result.history, "problems", []))
    writes = []
    if save is not None:
        writes.append(lambda: result.model.save(save, extra=result.model.extra))  # finished: no resume point
    if history is not None:
        writes.append(lambda: result.history.save(history))
    if plot is not None:
        from convcalc.nn.plotting import plot_histories

        writes.append(lambda: plot_histories([result.history], plot, labels=[result.config.model],
                                             title=f"{result.config.model} on {result.config.data}"))
    for write in writes:
        try:
            write()
        except ConvCalcError as error:
            problems.append(str(error))
    return list(dict.fromkeys(problems))


@app.command()
def evaluate(
    model: Annotated[str, typer.Argument(help="A model saved by convcalc train --save.")],
    data: Annotated[str, typer.Option("--data", "-d", help="mnist5k, fashion-mnist, mnist, cifar10.")] = "mnist5k",
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", help="Folder holding the dataset.")] = None,
    negate: Annotated[bool, typer.Option("--negate", help="Test on the negated images.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Test accuracy and loss of a saved model on a dataset's test set.

    Example: convcalc evaluate hw5.npz --data mnist5k --negate
    """
    from convcalc.nn.session import evaluate_saved

    result = evaluate_saved(model, data, data_dir=data_dir, negate_images=negate)
    if as_json:
        print_json(result)
        return
    what = "negated test set" if negate else "test set"
    console.print(f"{model} on the {result['dataset']} {what} ({result['samples']:,} images): "
                  f"accuracy [bold]{result['accuracy']:.4f}[/bold], loss {result['loss']:.4f}")


@app.command()
def plot(
    histories: Annotated[List[str], typer.Argument(help="History JSON files from convcalc train --history.")],
    out: Annotated[str, typer.Option("--out", "-o", help="Image to write (.png, .svg, .pdf).")] = "curves.png",
    labels: Annotated[Optional[str], typer.Option("--labels", help="Comma-separated legend entries.")] = None,
    metric: Annotated[str, typer.Option("--metric", help="accuracy, loss or both.")] = "both",
    no_val: Annotated[bool, typer.Option("--no-val", help="Training curves only.")] = False,
    title: Annotated[Optional[str], typer.Option("--title", help="Figure title.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out if it exists (kept otherwise).")]
    = False,
) -> None:
    """Training curves of one or several runs on one figure (needs matplotlib: pip install 'convcalc[plot]').

    Example: convcalc plot lr0.01.json lr1.json lr1e-5.json --labels "lr=0.01,lr=1,lr=1e-5" --metric accuracy
    """
    from convcalc.errors import invalid
    from convcalc.nn import History
    from convcalc.nn.plotting import plot_histories

    metrics = {"both": ("loss", "accuracy"), "loss": ("loss",), "accuracy": ("accuracy",)}.get(metric.lower())
    if metrics is None:
        raise invalid("metric", metric, "one of 'accuracy', 'loss', 'both'")
    from convcalc.nn.files import check_output, clean_stale_temps

    runs = [History.load(path) for path in histories]
    names = [s.strip() for s in labels.split(",")] if labels is not None else [_label(path) for path in histories]
    if len(names) != len(runs):
        raise invalid("labels", labels, f"{len(runs)} comma-separated labels, one per history file")
    if any(len(name) > MAX_LABEL for name in names):
        raise invalid("labels", labels, f"labels of at most {MAX_LABEL} characters each")
    if title is not None and len(title) > MAX_LABEL:
        raise invalid("title", title, f"a title of at most {MAX_LABEL} characters")
    for name, texts in (("labels", names), ("title", [title or ""])):
        if any(ch < " " or "\x7f" <= ch <= "\x9f" for text in texts for ch in text):
            raise invalid(name, labels if name == "labels" else title, "text without control characters")
    check_output(out, "--out", overwrite=overwrite)  # after the options, before any drawing
    clean_stale_temps(out)
    plot_histories(runs, out, labels=names, metrics=metrics, validation=not no_val, title=title)
    console.print(f"wrote {out} ({len(runs)} run{'s' * (len(runs) != 1)})")


def _label(path: str) -> str:
    from pathlib import Path

    return Path(path).stem
