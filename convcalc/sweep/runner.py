"""One run of a sweep, wherever it executes: in this process, a worker process, or a Dask worker.

:func:`execute` is the only thing a backend calls. It trains with
``convcalc train``'s own code path, :func:`convcalc.nn.session.run` on a
:class:`~convcalc.nn.session.TrainConfig` (or :func:`~convcalc.nn.session.resume`
from the run's own checkpoint after an interruption), with BLAS on one thread,
and returns a plain record -- never raises for a run that goes wrong:

- ``finished``: ``test_accuracy`` and ``test_loss`` from the test set;
- ``diverged``: the loss became NaN or infinite; ``epochs`` holds the finished
  epochs, ``last_good_epoch`` their count, and ``test_accuracy`` is the last good
  epoch's ``val_accuracy`` (the trainer validates on the test set, and puts the
  weights back to that epoch), or None when no epoch finished;
- ``failed``: any other error; ``error`` is its one line.

This module imports nothing heavy at the top: a worker process sets its
thread counts (:func:`init_worker`) before numpy is first imported.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from typing import Any

__all__ = ["execute", "init_worker", "THREAD_VARIABLES"]

#: Environment variables that pin BLAS/OpenMP pools to one thread (read when numpy's BLAS loads).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "CONVCALC_BLAS_THREADS")

_worker_state: dict[str, Any] = {}


def init_worker() -> None:
    """Initialiser of a sweep worker process: one BLAS thread, Ctrl-C left to the parent.

    The variables must be set before numpy loads its BLAS: this module imports nothing heavy, and
    :func:`execute` reports the process's own BLAS thread count (``blas_threads``) to prove it.
    """
    import signal

    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    # Ctrl-C is the parent's: it stops the pool and keeps what finished. Out of the terminal's
    # process group, a worker never sees the SIGINT (the trainer would otherwise stop its run).
    try:
        os.setpgrp()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX, or not the main thread
        pass


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _epoch_recorder() -> Any:
    """A callback keeping every finished epoch's logs (so a failed run still reports them)."""
    from convcalc.nn.callbacks import Callback

    class EpochRecorder(Callback):
        def __init__(self) -> None:
            self.epochs: list[dict[str, float]] = []

        def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
            self.epochs.append({k: float(v) for k, v in logs.items()})

    return EpochRecorder()


def _train(config_dict: dict[str, Any], checkpoint: str | None, recorder: Any, max_memory: Any) -> Any:
    from convcalc.errors import ConvCalcError
    from convcalc.nn import session

    config = session.TrainConfig(**config_dict)
    if checkpoint and os.path.exists(checkpoint):
        try:  # continue an interrupted run from its last finished epoch, bit for bit
            return session.resume(checkpoint, [recorder], epochs=config.epochs, checkpoint=checkpoint,
                                  max_memory=max_memory), True
        except (ConvCalcError, OSError, KeyError, ValueError):
            recorder.epochs.clear()  # unreadable or already finished: train afresh
    return session.run(config, [recorder], checkpoint=checkpoint, max_memory=max_memory), False


def execute(payload: dict[str, Any]) -> dict[str, Any]:
    """Train one run and return its record.

    Parameters
    ----------
    payload : dict
        ``id``; ``config`` (TrainConfig fields); ``checkpoint``: the path of the run's model
        file (written after every epoch, the finished model at the end), or None to write it
        to a temporary file and return its bytes as ``model_bytes`` (a worker on another
        machine cannot write into the sweep directory); ``keep_model`` (default True): False trains
        without any model file (no checkpoint, nothing to resume from); ``max_memory``, as ``convcalc train
        --max-memory`` (None: the memory available when the run starts, which the runs already
        going have taken their share of).

    Returns
    -------
    dict
        ``id``, ``config`` (with ``lr`` resolved), ``status``, ``test_accuracy``, ``epochs``
        (as ``convcalc train --json`` prints them), ``test_loss``, ``error``,
        ``last_good_epoch``, ``seconds``, ``resumed``, ``host``, ``pid``, ``blas_threads`` and, when the
        run had no checkpoint path, ``model_bytes``.
    """
    start = time.perf_counter()
    config_dict = dict(payload["config"])
    record: dict[str, Any] = {"id": payload["id"], "config": config_dict, "status": "failed", "test_accuracy": None,
                              "epochs": [], "test_loss": None, "error": None, "last_good_epoch": None,
                              "resumed": False, "host": socket.gethostname(), "pid": os.getpid()}
    keep = payload.get("keep_model", True)
    own_file = keep and payload.get("checkpoint") is None
    tmpdir = tempfile.mkdtemp(prefix="convcalc-run-") if own_file else None
    checkpoint = os.path.join(tmpdir, "model.npz") if tmpdir else payload.get("checkpoint") if keep else None
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        from convcalc.engine import tune_malloc
        from convcalc.nn import TrainingDiverged, session

        # the process's own BLAS thread count (1 in a sweep worker: init_worker's variables)
        record["blas_threads"] = max((int(pool["num_threads"]) for pool in threadpool_info()
                                      if pool.get("user_api") == "blas"), default=None)

        if not _worker_state.get("malloc_tuned"):
            tune_malloc()  # as convcalc train does, once per process
            _worker_state["malloc_tuned"] = True
        recorder = _epoch_recorder()
        try:
            record["config"] = session.TrainConfig(**config_dict).to_dict()
            with threadpool_limits(limits=1, user_api="blas"):
                result, record["resumed"] = _train(config_dict, checkpoint, recorder, payload.get("max_memory"))
            if checkpoint is not None:
                result.model.save(checkpoint, extra=result.model.extra)  # the finished model, no resume point
            out = result.to_dict()
            record.update(status="finished", test_accuracy=out["test_accuracy"], epochs=out["epochs"],
                          test_loss=out["test_loss"], last_good_epoch=len(out["epochs"]),
                          config=out["config"])
            if "negated_test_accuracy" in out:
                record["negated_test_accuracy"] = out["negated_test_accuracy"]
        except TrainingDiverged as error:
            epochs = error.history.to_dict()["epochs"] if error.history is not None else recorder.epochs
            good = len(epochs)
            message = _one_line(error).split(" The last good checkpoint")[0]  # the sweep keeps the model itself
            record.update(status="diverged", epochs=epochs, last_good_epoch=good, error=message,
                          test_accuracy=epochs[-1].get("val_accuracy") if epochs else None,
                          test_loss=epochs[-1].get("val_loss") if epochs else None)
        except Exception as error:  # a failed run is recorded, never lost, and the sweep goes on
            record.update(status="failed", epochs=list(recorder.epochs), last_good_epoch=len(recorder.epochs),
                          error=_one_line(error))
        if own_file and checkpoint is not None and os.path.exists(checkpoint):
            with open(checkpoint, "rb") as f:
                record["model_bytes"] = f.read()
    except Exception as error:  # pragma: no cover - the installation itself is broken
        record.update(status="failed", error=_one_line(error))
    finally:
        if tmpdir is not None:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)
    record["seconds"] = time.perf_counter() - start
    return record
