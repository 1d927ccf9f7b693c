"""`convcalc sweep`: a grid of training runs, in parallel here or on a Dask cluster, in one table."""

# No `from __future__ import annotations` here: Typer evaluates the annotations.
import shlex
import sys
from typing import Annotated, Any, List, Optional

import typer

from convcalc.cli._console import console, err_console, print_json
from convcalc.cli._types import AsciiInt

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay


def _duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def _status_text(statuses: dict) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(statuses.items(), key=lambda item: item[0] != "finished"))


class _Progress:
    """Runs done / running / queued and the time left: a Rich bar on a terminal, one line per run otherwise (stderr)."""

    def __init__(self) -> None:
        self.live: Any = None
        self.task: Any = None
        self.seen = False
        self.done = 0
        self.state: Any = None
        self.plain = not sys.stderr.isatty()

    def __call__(self, state: Any) -> None:
        self.state = state
        if self.plain:
            self._line(state)
            return
        if self.live is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.live = Progress(TextColumn("[bold]sweep"), BarColumn(bar_width=20),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                                 TextColumn("{task.fields[left]}"),
                                 console=Console(stderr=True, highlight=False), transient=False)
            self.live.start()
            self.task = self.live.add_task("sweep", total=state.total, counts="", left="")
        bad = {k: v for k, v in state.statuses.items() if k != "finished"}
        counts = (f"{state.done}/{state.total} done, {state.running} running, {state.queued} queued"
                  + (f" ({_status_text(bad)})" if bad else ""))
        left = state.time_left()
        self.live.update(self.task, completed=state.done, counts=counts,
                         left="" if state.done == state.total else f"~{_duration(left)} left")

    def _line(self, state: Any) -> None:
        if not self.seen:
            self.seen = True
            sys.stderr.write(f"sweep: {state.total} runs, {state.skipped} already done\n")
        if state.last is not None and state.done > self.done:
            self.done = state.done
            record = state.last
            acc = record.get("test_accuracy")
            what = f"test accuracy {acc:.4f}" if isinstance(acc, float) else (record.get("error") or "")
            sys.stderr.write(f"[{state.done}/{state.total}] {state.last_label}: {record['status']}, {what} "
                             f"({record.get('seconds', 0):.1f} s; {state.running} running, {state.queued} queued, "
                             f"~{_duration(state.time_left())} left)\n")
        sys.stderr.flush()

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _fmt(value: Optional[float], digits: int = 4) -> str:
    if value is None:
        return "--"
    return f"{value:.3g}" if abs(value) >= 1e4 else f"{value:.{digits}f}"


def _table(result: Any) -> Any:
    from rich.table import Table

    from convcalc.sweep import summarize
    from convcalc.sweep.grid import show_value

    from rich.markup import escape

    rows = summarize(result)
    names = list(dict.fromkeys(k for row in rows for k in row.values))
    table = Table(title=escape(f"sweep of {len(result.runs)} runs ({result.directory})"), title_justify="left")
    table.add_column("", justify="center")
    for name in names or ["configuration"]:
        table.add_column(escape(name))
    troubled = any(set(row.statuses) - {"finished"} for row in rows)
    negated = any(row.negated for row in rows)
    heads = ["runs", *(["status"] if troubled else []), "test acc", "± std", "min-max",
             *(["negated acc"] if negated else []), "train loss", "epochs", "s/run"]
    for head in heads:
        table.add_column(head, justify="right")
    for row in rows:
        cells = [escape(show_value(row.values.get(n, ""))) for n in names] if names else [escape(row.label)]
        spread = f"{_fmt(row.low)}-{_fmt(row.high)}" if len(row.accuracies) > 1 else "--"
        epochs = sorted(set(row.epochs))
        seconds = sum(row.seconds) / len(row.seconds) if row.seconds else None
        status = [_status_text(row.statuses)] if troubled else []
        table.add_row("*" if row.best else "", *cells, str(row.runs), *status,
                      f"[bold]{_fmt(row.mean)}[/bold]" if row.best else _fmt(row.mean), _fmt(row.std), spread,
                      *([_fmt(row.negated_mean)] if negated else []), _fmt(row.train_loss),
                      "/".join(map(str, epochs)) if epochs else "0", _fmt(seconds, 1))
    return table, rows


def _check_output(option: str, path: str, suffixes: Optional[tuple] = None, replace: bool = False) -> None:
    """An output file's folder must exist now (not after hours of training), its suffix be known, and an
    existing file be replaced only when asked (``--overwrite``, or ``--resume`` which writes them again);
    a device or any other non-regular file is never replaced."""
    import os
    import stat
    from pathlib import Path

    from convcalc.errors import ConvCalcError, shown

    named = f"{option} {shown(str(path))}"
    if "\x00" in str(path):
        raise ConvCalcError(f"{named}: a file name cannot hold a NUL character.")
    target = Path(path)
    if len(target.name.encode("utf-8", "surrogateescape")) > 255:
        raise ConvCalcError(f"{named}: the file name is longer than 255 bytes.")
    try:
        folder = target.is_dir() or not str(path).strip()
        parent = target.parent.is_dir()
    except OSError as error:  # a folder name too long, a loop of links
        raise ConvCalcError(f"{named}: {error.strerror or error}.") from None
    if folder:
        raise ConvCalcError(f"{named} is a folder or empty; give a file name.")
    if not parent:
        raise ConvCalcError(f"{named}: the folder {shown(str(target.parent))} does not exist.")
    if suffixes is not None and target.suffix.lower() not in suffixes:
        raise ConvCalcError(f"{named}: the file name must end in one of {', '.join(suffixes)}.")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise ConvCalcError(f"{named}: {error.strerror or error}.") from None
    if not stat.S_ISREG(mode):
        raise ConvCalcError(f"{named} exists and is not a regular file (a device, a pipe...); give another name.")
    if not replace:
        raise ConvCalcError(f"{named} already exists; pass --overwrite (or --resume) to replace it.")


def _spec_from(file: Optional[str], grid: List[str], base: dict) -> Any:
    """The sweep of a file (if any) with the command line over it: ``--grid NAME`` replaces the file's
    NAME (fixed or gridded), and so does a fixed ``--NAME``; an option one of the file's variants sets
    is refused (it would apply to the other runs only)."""
    from convcalc.errors import ConvCalcError
    from convcalc.sweep import SweepSpec, load_sweep_file, parse_grid

    spec = load_sweep_file(file) if file is not None else SweepSpec()
    given = parse_grid(grid)
    for name in given:
        if name in base:
            raise ConvCalcError(f"{name!r} is given both as --{name.replace('_', '-')} and in --grid; "
                                "give it in one place.")
    for name in [*base, *given]:
        labels = [v.get("label") or "?" for v in spec.variants if name in v]
        if labels:  # a variant's own value would win over the option for those runs: refuse, never half-apply
            option = f"--{name.replace('_', '-')}" if name in base else f"--grid {name}"
            raise ConvCalcError(f"{option} would not apply to the sweep file's variants that set {name!r} "
                                f"themselves ({', '.join(labels)}); edit the file instead.")
    file_base = {k: v for k, v in spec.base.items() if k not in given}
    file_grid = {k: v for k, v in spec.grid.items() if k not in base}
    return SweepSpec(base={**file_base, **base}, grid={**file_grid, **given}, variants=spec.variants)


def _base_options(**given: Any) -> dict:
    return {k: v for k, v in given.items() if v is not None}


@app.command()
def sweep(
    file: Annotated[Optional[str], typer.Argument(help="A sweep file (TOML: [train], [grid], [[variants]]), "
                                                  "e.g. examples/hw5_sweep.toml.")] = None,
    grid: Annotated[Optional[List[str]], typer.Option("--grid", "-g", help="NAME=V1,V2,...: a train option and "
                                                      "its values; repeat for more (every combination runs).")]
    = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="As convcalc train: a preset or a spec.")]
    = None,
    data: Annotated[Optional[str], typer.Option("--data", "-d", help="mnist5k, fashion-mnist, mnist, cifar10.")]
    = None,
    data_dir: Annotated[Optional[str], typer.Option("--data-dir", help="Folder holding the dataset.")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", "-e", click_type=AsciiInt(min=1), help="Epochs of every run.")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", "-b", click_type=AsciiInt(min=1), help="Samples per step.")] = None,
    optimizer: Annotated[Optional[str], typer.Option("--optimizer", help="sgd or adam.")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate.")] = None,
    momentum: Annotated[Optional[float], typer.Option("--momentum", help="SGD momentum.")] = None,
    nesterov: Annotated[Optional[bool], typer.Option("--nesterov/--no-nesterov", help="Nesterov momentum.")]
    = None,
    init: Annotated[Optional[str], typer.Option("--init", help="Kernel initialiser.")] = None,
    l2: Annotated[Optional[float], typer.Option("--l2", help="Keras L2(l2) on every kernel.")] = None,
    dropout: Annotated[Optional[float], typer.Option("--dropout", help="Dropout before the last dense layer.")]
    = None,
    early_stopping: Annotated[Optional[int], typer.Option("--early-stopping", click_type=AsciiInt(min=0), help="Patience on val_loss.")] = None,
    augment_negative: Annotated[Optional[bool], typer.Option("--augment-negative/--no-augment-negative",
                                                             help="Negate half of each training class.")] = None,
    negate_test: Annotated[Optional[bool], typer.Option("--negate-test/--no-negate-test",
                                                        help="Also test on negated images.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", click_type=AsciiInt(min=10), help="Train on a stratified subset of N samples.")]
    = None,
    seed: Annotated[Optional[int], typer.Option("--seed", click_type=AsciiInt(min=0), help="Seed (use --grid seed=0,1,2 for repeats).")] = None,
    max_memory: Annotated[Optional[str], typer.Option("--max-memory", help="Each run's memory limit, as convcalc "
                                                      "train (default: what is available when it starts).")]
    = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", click_type=AsciiInt(), help="Runs at once on this machine (default: "
                                                "the number of cores); with --scheduler local, Dask workers.")]
    = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Run on Dask: a scheduler address "
                                                     "(tcp://host:8786) or 'local' (needs convcalc[dask]).")]
    = None,
    directory: Annotated[Optional[str], typer.Option("--dir", help="The sweep directory (default: sweep-<hash> "
                                                     "here; the same grid finds the same one).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Keep the runs already done in the sweep directory "
                                         "and run the rest.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Start again in a directory holding results.")]
    = False,
    max_runs: Annotated[int, typer.Option("--max-runs", click_type=AsciiInt(), help="Refuse a grid of more runs.")] = 1000,
    no_checkpoints: Annotated[bool, typer.Option("--no-checkpoints", help="Do not keep each run's model file.")]
    = False,
    csv: Annotated[Optional[str], typer.Option("--csv", help="Write every epoch of every run here "
                                               "(default: DIR/epochs.csv).")] = None,
    markdown: Annotated[Optional[str], typer.Option("--markdown", help="Also write the table as Markdown here "
                                                    "(for a report).")] = None,
    plot: Annotated[Optional[str], typer.Option("--plot", help="Draw the curves, grouped by the varied "
                                                "parameters, into this PNG (needs convcalc[plot]).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: {runs: [...]}.")] = False,
) -> None:
    """Train every combination of a grid of options, in parallel, and compare them in one table.

    Example: convcalc sweep --model hw5 --epochs 3 --grid lr=0.01,1,1e-5 --grid momentum=0,0.9 --grid seed=0,1
    """
    from convcalc.errors import invalid
    from convcalc.sweep import plot_sweep, run_sweep
    from convcalc.sweep.report import check_plotting

    if max_runs < 1:
        raise invalid("max-runs", max_runs, "an int >= 1")
    for option, path in (("--csv", csv), ("--plot", plot), ("--markdown", markdown)):
        if path is not None:
            _check_output(option, path, (".png", ".svg", ".pdf", ".jpg", ".jpeg") if option == "--plot" else None,
                          replace=overwrite or resume)
    if plot is not None:
        check_plotting()  # the install hint now, not after the training
    base = _base_options(model=model, data=data, data_dir=data_dir, epochs=epochs, batch_size=batch_size,
                         optimizer=optimizer, lr=lr, momentum=momentum, nesterov=nesterov, init=init, l2=l2,
                         dropout=dropout, early_stopping=early_stopping, augment_negative=augment_negative,
                         negate_test=negate_test, limit=limit, seed=seed)
    spec = _spec_from(file, grid or [], base)
    progress = _Progress()
    try:
        result = run_sweep(spec, directory=directory, jobs=jobs, scheduler=scheduler, resume=resume,
                           overwrite=overwrite, max_runs=max_runs, checkpoints=not no_checkpoints,
                           progress=progress, csv_path=csv, max_memory=max_memory)
    except KeyboardInterrupt:
        progress.stop()
        again = [a for a in sys.argv[1:] if a not in ("--resume", "--overwrite")] + ["--resume"]
        state = progress.state
        saved = (f"{state.done} of {state.total} runs are done and saved in {state.directory}"
                 if state is not None else "nothing was saved")
        err_console.print(f"Interrupted; {saved}.\nContinue with: convcalc {shlex.join(again)}",
                          soft_wrap=True, markup=False)
        raise typer.Exit(code=130) from None
    finally:
        progress.stop()
    if plot is not None:
        plot_sweep(result, plot)
    if markdown is not None:
        from convcalc.sweep.report import markdown_table, summarize
        from convcalc.sweep.store import write_atomic

        write_atomic(markdown, markdown_table(summarize(result)) + "\n")
    failed = [r for r in result.records.values() if r.get("status") == "failed"]
    if as_json:
        print_json(result.to_json())
    else:
        table, rows = _table(result)
        console.print(table)
        best = next((row for row in rows if row.best), None)
        if best is not None:
            from rich.markup import escape

            console.print(f"best: [bold]{escape(best.label)}[/bold], test accuracy {best.mean:.4f}"
                          + (f" (mean of {len(best.accuracies)} seeds)" if len(best.accuracies) > 1 else ""))
        for record in failed[:5]:
            label = next((r.label for r in result.runs if r.id == record["id"]), record["id"])
            console.print(f"failed: {label}: {record.get('error')}", markup=False, soft_wrap=True)
        console.print(f"results: {result.directory}/runs/*/result.json; every epoch: {result.csv_path}"
                      + (f"; curves: {plot}" if plot else "") + (f"; Markdown table: {markdown}" if markdown else ""),
                      markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(code=1)
