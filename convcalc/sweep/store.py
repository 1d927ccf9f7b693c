"""The sweep directory: every finished run's result and model, written atomically as it finishes.

Layout::

    SWEEP_DIR/sweep.json              the sweep: options, grid, variants, every run's id and label
    SWEEP_DIR/runs/<id>/result.json   one run's record (see convcalc.sweep.runner.execute)
    SWEEP_DIR/runs/<id>/model.npz     its model (after every epoch a resume point, at the end the model)
    SWEEP_DIR/epochs.csv              every epoch of every run (rewritten at the end of the sweep)

Every file is written to a temporary name in the same folder and moved over the
target with ``os.replace``, so a killed process leaves either the old file or
the new one, never half of one. A run is *done* when its ``result.json`` says
``finished`` or ``diverged`` (both are deterministic); ``--resume`` reruns the
others (never started, interrupted, or ``failed``, which may have been the
machine's fault), each from its own last finished epoch when its model file
holds a resume point. The id of a run is a hash of its options, so a resumed
sweep finds its runs whatever their order.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError, shown
from convcalc.sweep.grid import Run, SweepSpec

__all__ = ["SweepStore", "write_atomic", "default_directory", "DONE", "EPOCH_COLUMNS"]

#: Statuses that count as done (``--resume`` does not rerun them).
DONE = ("finished", "diverged")
#: Per-epoch columns of the CSV, after the run's id, label, status and options.
EPOCH_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def default_directory(runs: list[Run]) -> Path:
    """``sweep-<8 hex digits>`` in the working folder, from the runs' ids: the same grid finds the same folder."""
    from hashlib import sha1

    return Path(f"sweep-{sha1(' '.join(sorted(r.id for r in runs)).encode()).hexdigest()[:8]}")


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    """NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


class SweepStore:
    """The files of one sweep directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        if "\x00" in str(directory):
            raise ConvCalcError(f"The sweep directory name {shown(str(directory))} has a NUL character.")
        self.directory = Path(directory)

    def run_dir(self, run_id: str) -> Path:
        return self.directory / "runs" / run_id

    def model_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "model.npz"

    def result_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "result.json"

    def existing(self) -> dict[str, dict[str, Any]]:
        """Every readable ``result.json`` in the directory, by run id (unreadable ones are skipped)."""
        out: dict[str, dict[str, Any]] = {}
        runs = self.directory / "runs"
        if not runs.is_dir():
            return out
        for path in sorted(runs.glob("*/result.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and "status" in record:
                out[path.parent.name] = record
        return out

    def check_reuse(self, *, resume: bool, overwrite: bool) -> dict[str, dict[str, Any]]:
        """The results already in the directory; a ConvCalcError if there are some and neither flag is given."""
        try:
            os.stat(self.directory)
        except FileNotFoundError:
            return {}
        except OSError as error:  # a name too long, a folder that cannot be entered
            raise ConvCalcError(f"Cannot use the sweep directory {shown(str(self.directory))}: "
                                f"{error.strerror or error}.") from None
        if self.directory.exists() and not self.directory.is_dir():
            raise ConvCalcError(f"The sweep directory {shown(str(self.directory))} exists and is not a folder; "
                                "choose another --dir.")
        previous = self.existing()
        if previous and not resume and not overwrite:
            raise ConvCalcError(f"The sweep directory {shown(str(self.directory))} already holds {len(previous)} run "
                                "result(s); continue it with --resume, or start again with --overwrite.")
        return previous

    def prepare(self, spec: SweepSpec, runs: list[Run], *, resume: bool, overwrite: bool) -> dict[str, dict]:
        """Create the directory (or check it may be reused); returns the records of runs already done.

        A directory holding results is refused unless ``resume`` (keep them, run the rest)
        or ``overwrite`` (run everything again) is given.
        """
        previous = self.check_reuse(resume=resume, overwrite=overwrite)
        try:
            (self.directory / "runs").mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConvCalcError(f"Cannot create the sweep directory {shown(str(self.directory))}: "
                                f"{error.strerror or error}.") from None
        manifest = {"train": spec.base, "grid": spec.grid, "variants": spec.variants,
                    "runs": [{"id": r.id, "label": r.label, "values": r.values} for r in runs]}
        write_atomic(self.directory / "sweep.json", _json(_finite(manifest)))
        wanted = {r.id for r in runs}
        if overwrite and not resume:
            for run_id in previous:
                for path in (self.result_path(run_id), self.model_path(run_id)):
                    if path.exists():
                        path.unlink()
            return {}
        return {k: v for k, v in previous.items() if k in wanted and v.get("status") in DONE}

    def save(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write one run's result (and its model, when the record carries its bytes); returns it without the bytes."""
        record = dict(record)
        model = record.pop("model_bytes", None)
        folder = self.run_dir(record["id"])
        folder.mkdir(parents=True, exist_ok=True)
        if model is not None:
            write_atomic(self.model_path(record["id"]), model)
        record = _finite(record)
        write_atomic(self.result_path(record["id"]), _json(record))
        return record

    def write_csv(self, runs: list[Run], records: dict[str, dict[str, Any]],
                  path: str | os.PathLike[str] | None = None) -> Path:
        """Every epoch of every run as CSV rows (run id, label, status, every option, then the epoch's numbers)."""
        target = Path(path) if path is not None else self.directory / "epochs.csv"
        names = list(runs[0].config) if runs else []
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["run", "label", "status", *names, *EPOCH_COLUMNS])
        for run in runs:
            record = records.get(run.id)
            if record is None:
                continue
            config = {**run.config, **record.get("config", {})}
            for i, epoch in enumerate(record.get("epochs") or [], 1):
                row = [run.id, run.label, record["status"], *(_cell(config.get(n)) for n in names), i]
                row += [_cell(epoch.get(k)) for k in EPOCH_COLUMNS[1:]]
                writer.writerow(row)
        write_atomic(target, buffer.getvalue())
        return target


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value
