"""Where the runs of a sweep execute: this process, a pool of worker processes, or a Dask cluster.

Each backend sends every payload to :func:`convcalc.sweep.runner.execute` (the
same function whatever the backend, so the same numbers) and hands each record
back, in the calling thread, as soon as it arrives:

- :class:`Serial` (``--jobs 1``): one run after another in this process.
- :class:`ProcessPool` (``--jobs N``): N worker processes started with
  ``spawn`` (a fresh interpreter: nothing of this process's threads or BLAS
  state is inherited), each pinned to one BLAS thread before numpy loads
  (:func:`~convcalc.sweep.runner.init_worker`). A worker that dies (killed, out
  of memory) breaks the pool: a new pool is started and the runs that had not
  finished are sent again, each at most :data:`MAX_ATTEMPTS` times.
- :class:`DaskBackend` (``--scheduler tcp://host:port`` or ``local``): the runs
  are Dask tasks (``client.submit``); Dask itself sends the task of a worker that
  dies to another worker. Workers should run one thread each
  (``dask worker ADDRESS --nthreads 1``; ``local`` starts one single-threaded
  worker process per job). Needs the optional extra ``convcalc[dask]``.

On Ctrl-C every backend stops its workers and lets the ``KeyboardInterrupt``
through; the results already handed back are saved, the rest run on ``--resume``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from convcalc.errors import ConvCalcError, shown
from convcalc.sweep.runner import execute, init_worker

__all__ = ["Serial", "ProcessPool", "DaskBackend", "make_backend", "MAX_ATTEMPTS", "DASK_HINT"]

#: How many times a run is sent to a new worker pool after its worker died.
MAX_ATTEMPTS = 3
#: What to do when Dask is missing.
DASK_HINT = ("Running on Dask needs the optional extra: pip install 'convcalc[dask]' "
             "(or pip install 'dask[distributed]').")

Done = Callable[[dict[str, Any]], None]
Tick = Callable[[int], None]


def _failed(payload: dict[str, Any], message: str) -> dict[str, Any]:
    return {"id": payload["id"], "config": payload["config"], "status": "failed", "test_accuracy": None,
            "epochs": [], "test_loss": None, "error": message, "last_good_epoch": 0, "resumed": False}


class Serial:
    """One run after another, in this process."""

    slots = 1
    description = "1 process"

    def run(self, payloads: list[dict[str, Any]], on_done: Done, on_tick: Tick) -> None:
        for payload in payloads:
            on_tick(1)
            on_done(execute(payload))


class ProcessPool:
    """``jobs`` worker processes on this machine, one BLAS thread each."""

    def __init__(self, jobs: int) -> None:
        self.slots = jobs
        self.description = f"{jobs} worker processes"

    def run(self, payloads: list[dict[str, Any]], on_done: Done, on_tick: Tick) -> None:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        context = multiprocessing.get_context("spawn")
        attempts = {p["id"]: 0 for p in payloads}
        pending = list(payloads)
        while pending:
            pool = ProcessPoolExecutor(max_workers=min(self.slots, len(pending)), mp_context=context,
                                       initializer=init_worker)
            futures = {pool.submit(execute, p): p for p in pending}
            pending = []
            waiting = set(futures)
            try:
                while waiting:
                    finished, waiting = wait(waiting, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in finished:
                        payload = futures[future]
                        try:
                            record = future.result()
                        except Exception as error:  # the worker process died under this run
                            attempts[payload["id"]] += 1
                            if attempts[payload["id"]] < MAX_ATTEMPTS:
                                pending.append(payload)
                                continue
                            record = _failed(payload, f"its worker process died {MAX_ATTEMPTS} times "
                                                      f"({type(error).__name__}: killed, or out of memory?)")
                        on_done(record)
                    on_tick(min(sum(1 for f in waiting if f.running()), self.slots))  # queued calls count as running
            except BaseException:
                _stop_pool(pool)
                raise
            pool.shutdown(wait=True)


def _stop_pool(pool: Any) -> None:
    """Terminate the pool's worker processes now (their models on disk are written atomically)."""
    processes = list(getattr(pool, "_processes", {}).values())  # CPython keeps them here
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


class DaskBackend:
    """The runs as tasks of a Dask distributed cluster (``address``), or of a new local cluster (``"local"``)."""

    def __init__(self, address: str, jobs: int) -> None:
        try:
            import distributed
        except ImportError:
            raise ConvCalcError(DASK_HINT) from None
        logging.getLogger("distributed").setLevel(logging.ERROR)
        self.cluster = None
        if address == "local":
            self.cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                    dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        else:
            _reachable(address)
            try:
                self.client = distributed.Client(address, timeout="10s")
            except (OSError, TimeoutError, ValueError, TypeError) as error:
                reason = " ".join(str(error).split())
                raise ConvCalcError(f"Cannot reach the Dask scheduler at {shown(address)}: {reason} (start one with: "
                                    "dask scheduler; then dask worker ADDRESS --nthreads 1).") from None
        self.address = address
        threads = self.threads()
        self.slots = max(threads, 1)
        self.description = f"Dask at {self.client.scheduler.address} ({threads} worker threads)"

    def threads(self) -> int:
        try:
            return int(sum(self.client.nthreads().values()))
        except Exception:  # pragma: no cover - the scheduler went away
            return 0

    def run(self, payloads: list[dict[str, Any]], on_done: Done, on_tick: Tick) -> None:
        from distributed import as_completed

        live, by_key = [], {}
        for payload in payloads:
            key = f"convcalc-run-{payload['id']}-{os.urandom(4).hex()}"
            live.append(self.client.submit(execute, payload, pure=False, key=key))
            by_key[key] = payload
        remaining = len(live)
        on_tick(min(self.slots, remaining))
        try:
            for future in as_completed(live):
                payload = by_key[future.key]
                try:
                    record = future.result()
                except Exception as error:  # e.g. KilledWorker: the workers running it died too often
                    record = _failed(payload, f"on Dask: {type(error).__name__}: {' '.join(str(error).split())}")
                future.release()
                remaining -= 1
                on_done(record)
                on_tick(min(max(self.threads(), 1), remaining))
        except BaseException:
            for future in live:
                try:
                    future.cancel()
                except Exception:  # pragma: no cover - the client is closing
                    pass
            raise

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _reachable(address: str) -> None:
    """Fail at once (not after Dask's 10 s of retries) when nothing listens at a TCP scheduler address."""
    import socket

    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp") or ":" not in rest:
        return
    host, _, port = rest.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConvCalcError(f"Cannot reach the Dask scheduler at {shown(address)}: {reason} (start one with: "
                            "dask scheduler; then dask worker ADDRESS --nthreads 1).") from None


def make_backend(jobs: int, scheduler: str | None, runs: int) -> Any:
    """The backend for ``--jobs`` / ``--scheduler`` (``--jobs`` beyond the number of runs is cut to it)."""
    if scheduler is not None:
        return DaskBackend(scheduler.strip(), max(1, min(jobs, runs)))
    jobs = max(1, min(jobs, runs))
    return Serial() if jobs == 1 else ProcessPool(jobs)
