"""Running a whole sweep: expand the grid, skip what is done, send the rest to a backend, store each result.

:func:`run_sweep` is what ``convcalc sweep`` calls. It never prints: a
``progress`` function receives a :class:`SweepState` when the sweep starts,
about twice a second while runs are going, and after each run.

Examples
--------
>>> import tempfile
>>> from convcalc.sweep import SweepSpec, run_sweep
>>> spec = SweepSpec(base={"model": "conv(2,3) relu pool(2) flatten dense(10) softmax", "epochs": 1, "limit": 50},
...                  grid={"lr": [0.01, 0.1]})
>>> result = run_sweep(spec, directory=tempfile.mkdtemp(), jobs=1)
>>> [(r["config"]["lr"], r["status"]) for r in result.to_json()["runs"]]
[(0.01, 'finished'), (0.1, 'finished')]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError, invalid, shown
from convcalc.sweep.backends import DASK_HINT, make_backend
from convcalc.sweep.grid import DEFAULT_MAX_RUNS, Run, SweepSpec
from convcalc.sweep.store import DONE, SweepStore, default_directory

__all__ = ["run_sweep", "SweepState", "SweepResult", "CONTRACT_KEYS"]

#: The keys every run of ``convcalc sweep --json`` has (DESIGN.md); the others follow them.
CONTRACT_KEYS = ("config", "status", "test_accuracy", "epochs")


@dataclass
class SweepState:
    """Where a sweep stands: counts of runs, and the last record that arrived (None at the start)."""

    total: int
    skipped: int = 0
    done: int = 0
    running: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    last: dict[str, Any] | None = None
    last_label: str = ""
    directory: str = ""

    @property
    def queued(self) -> int:
        """Runs neither done nor running."""
        return max(self.total - self.done - self.running, 0)

    def time_left(self) -> float | None:
        """Seconds left, from the wall time per run so far (None before the first run of this session ends)."""
        ran = self.done - self.skipped
        if ran <= 0:
            return None
        return (time.monotonic() - self.started) / ran * (self.total - self.done)


@dataclass
class SweepResult:
    """The runs of a sweep (in grid order) and their records, by run id."""

    spec: SweepSpec
    runs: list[Run]
    records: dict[str, dict[str, Any]]
    directory: Path
    backend: str = ""
    csv_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"runs": [{"config": {...}, "status": ..., "test_accuracy": ..., "epochs": [...], ...}]}``.

        The contract's keys first; then ``label``, ``id``, ``test_loss``, ``error``, ``last_good_epoch``,
        ``seconds`` (and ``negated_test_accuracy`` when asked for). Runs that did not run are left out.
        """
        out = []
        for run in self.runs:
            record = self.records.get(run.id)
            if record is None:
                continue
            item = {k: record.get(k) for k in CONTRACT_KEYS}
            item["epochs"] = item["epochs"] or []
            item.update(label=run.label, id=run.id)
            for key in ("test_loss", "negated_test_accuracy", "error", "last_good_epoch", "seconds"):
                if key in record:
                    item[key] = record[key]
            out.append(item)
        return {"runs": out}


def max_jobs() -> int:
    """The most worker processes a sweep starts on this machine: 4 per core, at least 16."""
    return max(16, 4 * (os.cpu_count() or 1))


def _check_jobs(jobs: int | None) -> int:
    if jobs is None:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= max_jobs():
        raise invalid("jobs", jobs, f"an int from 1 to {max_jobs()} (4 worker processes per core at most; "
                      "use a Dask cluster for more)")
    return jobs


def _check_scheduler(scheduler: str | None) -> str | None:
    if scheduler is None:
        return None
    text = str(scheduler).strip()
    if text.lower() in ("local", "dask"):
        text = "local"
    elif "://" not in text and ":" not in text:
        raise invalid("scheduler", scheduler, "'local' or a Dask scheduler address such as tcp://host:8786")
    _check_dask()
    return text


def _check_dask() -> None:
    """The install hint before anything is written, when the ``dask`` extra is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ConvCalcError(DASK_HINT) from None


def run_sweep(spec: SweepSpec, *, directory: str | os.PathLike[str] | None = None, jobs: int | None = None,
              scheduler: str | None = None, resume: bool = False, overwrite: bool = False,
              max_runs: int = DEFAULT_MAX_RUNS, checkpoints: bool = True,
              progress: Callable[[SweepState], None] | None = None,
              csv_path: str | os.PathLike[str] | None = None, max_memory: int | str | None = None) -> SweepResult:
    """Run every configuration of ``spec`` and store each result in ``directory`` as it finishes.

    Parameters
    ----------
    spec : SweepSpec
    directory : path, optional
        The sweep directory. Defaults to ``sweep-<hash of the runs>`` in the working folder.
    jobs : int, optional
        Worker processes (or, with ``scheduler="local"``, Dask workers). Defaults to ``os.cpu_count()``.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``) or ``"local"``; runs on Dask instead of a process pool.
    resume : bool
        Keep the finished and diverged runs already in ``directory`` and run the others.
    overwrite : bool
        Start again in a directory that holds results.
    max_runs : int
        Refuse a grid with more runs. Defaults to 1,000.
    checkpoints : bool
        Keep each run's model (``runs/<id>/model.npz``). Defaults to True.
    progress : callable, optional
        Called with a :class:`SweepState`.
    csv_path : path, optional
        Where to write the CSV of every epoch. Defaults to ``directory/epochs.csv``.
    max_memory : int or str, optional
        Each run's memory limit, as ``convcalc train --max-memory`` (a run over it fails with the
        estimate). Defaults to the memory available when the run starts.

    Raises
    ------
    ConvCalcError
        Bad grid, bad options, a directory holding results without ``resume``/``overwrite``.
    KeyboardInterrupt
        Ctrl-C: the runs finished so far are saved; ``resume=True`` runs the rest.
    """
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
        raise invalid("max_runs", max_runs, "an int >= 1")
    jobs = _check_jobs(jobs)
    if max_memory is not None:
        from convcalc.nn.budget import parse_size

        max_memory = parse_size(max_memory)  # a bad size is refused now, not in every run
    scheduler = _check_scheduler(scheduler)
    total = spec.check_size(max_runs)
    runs = spec.runs()
    _check_runs(runs)
    store = SweepStore(directory if directory is not None else default_directory(runs))
    previous = store.check_reuse(resume=resume, overwrite=overwrite)  # refused now, before a cluster starts
    if not resume:
        previous = {}
    todo_count = sum(1 for r in runs if previous.get(r.id, {}).get("status") not in DONE)
    # the backend first: an unreachable scheduler is refused before anything is written
    backend = make_backend(jobs, scheduler, todo_count) if todo_count else None
    try:
        records = dict(store.prepare(spec, runs, resume=resume, overwrite=overwrite))
        state = SweepState(total=total, skipped=len(records), done=len(records), directory=str(store.directory))
        todo = [r for r in runs if r.id not in records]
        labels = {r.id: r.label for r in runs}

        def tell() -> None:
            if progress is not None:
                progress(state)

        def on_done(record: dict[str, Any]) -> None:
            if not checkpoints:
                record.pop("model_bytes", None)
            try:
                saved = store.save(record)
            except OSError as error:  # a full disk, a folder removed under the sweep
                where = shown(str(store.directory))
                raise ConvCalcError(f"Cannot write the result of run {record.get('id')} into {where}: "
                                    f"{error.strerror or error}; the runs saved so far are kept (--resume).") from None
            records[saved["id"]] = saved
            state.done += 1
            state.running = min(state.running, state.total - state.done)  # a queued run takes the free slot
            state.statuses[saved["status"]] = state.statuses.get(saved["status"], 0) + 1
            state.last, state.last_label = saved, labels.get(saved["id"], "")
            tell()

        def on_tick(running: int) -> None:
            state.running = running
            tell()

        tell()
        payloads = []
        for run in todo:
            store.run_dir(run.id).mkdir(parents=True, exist_ok=True)
            checkpoint = str(store.model_path(run.id)) if scheduler is None and checkpoints else None
            payloads.append({"id": run.id, "config": run.config, "checkpoint": checkpoint, "keep_model": checkpoints,
                             "max_memory": max_memory})
        try:
            if payloads and backend is not None:
                backend.run(payloads, on_done, on_tick)
        finally:
            result = SweepResult(spec, runs, records, store.directory,
                                 backend.description if backend is not None else "nothing to run")
            result.csv_path = store.write_csv(runs, records, csv_path)
    finally:
        if backend is not None and hasattr(backend, "close"):
            backend.close()
    return result


def _check_runs(runs: list[Run]) -> None:
    """What can be checked before any training: each optimiser, and each model text (a preset or a spec)."""
    from convcalc.nn.session import TrainConfig
    from convcalc.spec import load_stack

    models: dict[str, None] = {}
    for run in runs:
        config = TrainConfig(**run.config)
        config.learning_rate()  # an unknown optimiser is an error naming it
        models.setdefault(config.model)
    for model in models:
        try:
            load_stack(model, require_shape=False)
        except ConvCalcError as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ConvCalcError(f"model {model!r}: {first}") from None
