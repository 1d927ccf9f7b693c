"""convcalc sweep on a real Dask cluster: a `dask scheduler` and `dask worker` processes on 127.0.0.1.

Nothing is mocked: the fixture starts the scheduler and three single-threaded
workers as separate processes on free ports and stops them at the end. One test
kills a worker (SIGKILL) while it trains a run; Dask sends that run to another
worker and the sweep still returns every run, with the numbers of a run made
directly with convcalc train's code path.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.cli.main import app
from convcalc.nn import session
from convcalc.sweep import SweepSpec, run_sweep
from convcalc.sweep.runner import THREAD_VARIABLES

try:
    import distributed
except ImportError:  # pragma: no cover - CI installs the extra, and must not skip these tests
    if os.environ.get("CI"):
        raise
    pytest.skip("the dask extra is not installed: pip install 'convcalc[dask]'", allow_module_level=True)

TINY = "conv(2,3) relu pool(2) flatten dense(10) softmax"
DASK = str(Path(sys.executable).with_name("dask"))
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _numbers(epochs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "seconds"} for e in epochs]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, Any]]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, **{name: "1" for name in THREAD_VARIABLES}}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  **quiet)]
    try:
        processes += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                        "--host", "127.0.0.1"], **quiet) for _ in range(WORKERS)]
        client = distributed.Client(address, timeout="30s")
        client.wait_for_workers(WORKERS, timeout=60)
        pids = client.run(os.getpid)  # worker address -> process id
        assert sorted(pids.values()) == sorted(p.pid for p in processes[1:])  # our processes, not some other
        yield {"address": address, "client": client, "workers": {pid: p for p in processes[1:]
                                                                   for pid in [p.pid]}}
        client.close()
    finally:
        _stop(processes)


def test_a_grid_on_a_dask_cluster_gives_the_numbers_of_one_by_one(cluster: dict[str, Any], tmp_path: Path) -> None:
    spec = SweepSpec(base={"model": TINY, "epochs": 1, "limit": 60, "batch_size": 16},
                     grid={"lr": [0.05, 0.5], "seed": [0, 1]})
    result = run_sweep(spec, directory=tmp_path / "s", scheduler=cluster["address"])
    assert result.backend.startswith(f"Dask at {cluster['address']}")
    for run in result.runs:
        record = result.records[run.id]
        direct = session.run(session.TrainConfig(**run.config)).to_dict()
        assert record["status"] == "finished"
        assert record["test_accuracy"] == direct["test_accuracy"] and record["test_loss"] == direct["test_loss"]
        assert _numbers(record["epochs"]) == _numbers(direct["epochs"])
        assert record["pid"] in cluster["workers"]  # trained by a dask worker process, not here
        assert record["blas_threads"] == 1
        # the model came back from the worker and was written into the sweep directory
        assert (result.directory / "runs" / run.id / "model.npz").stat().st_size > 0


def test_killing_a_worker_mid_grid_loses_no_run(cluster: dict[str, Any], tmp_path: Path) -> None:
    client = cluster["client"]
    # runs of a second or more even on an idle machine: the kill lands milliseconds after the worker is seen
    # executing one, long before it ends (no sleeping, no timing assumption beyond that)
    spec = SweepSpec(base={"model": TINY, "epochs": 3, "limit": 4000, "batch_size": 16},
                     grid={"lr": [0.02, 0.05, 0.1, 0.2]})
    outcome: dict[str, Any] = {}
    sweep = threading.Thread(target=lambda: outcome.update(
        result=run_sweep(spec, directory=tmp_path / "s", scheduler=cluster["address"])))
    sweep.start()
    pids = client.run(os.getpid)
    # the task keys a worker is executing now (a lambda: sent by value, the workers cannot import tests/)
    executing_keys = lambda dask_worker: [str(ts.key) for ts in dask_worker.state.executing]  # noqa: E731
    victim, victim_run = None, None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        executing = client.run(executing_keys)  # worker address -> keys it runs now (not only assigned to it)
        for address, keys in executing.items():
            running = [k for k in keys if k.startswith("convcalc-run-")]
            if running and address in pids:
                victim, victim_run = pids[address], running[0].split("-")[2]
                os.kill(victim, signal.SIGKILL)
                break
        time.sleep(0.05)
    sweep.join(timeout=120)
    assert victim is not None, "no worker was seen running a task"
    assert cluster["workers"][victim].wait(timeout=10) == -signal.SIGKILL
    result = outcome["result"]
    assert [result.records[r.id]["status"] for r in result.runs] == ["finished"] * 4
    run = next(r for r in result.runs if r.id == victim_run)  # the run that was on the killed worker
    assert result.records[run.id]["pid"] != victim  # it was trained again, by another worker
    direct = session.run(session.TrainConfig(**run.config)).to_dict()
    assert _numbers(result.records[run.id]["epochs"]) == _numbers(direct["epochs"])
    assert result.records[run.id]["test_accuracy"] == direct["test_accuracy"]


def test_cli_on_a_local_dask_cluster(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sweep", "--model", TINY, "--epochs", "1", "--limit", "40", "--grid",
                                      "lr=0.05,0.5", "--scheduler", "local", "--jobs", "2", "--json", "--dir",
                                      str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    for run in runs:
        direct = session.run(session.TrainConfig(**{k: run["config"][k] for k in ("model", "epochs", "limit", "lr")}))
        assert run["status"] == "finished" and run["test_accuracy"] == direct.test_accuracy
        assert _numbers(run["epochs"]) == _numbers(direct.to_dict()["epochs"])


def test_an_unreachable_scheduler_is_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sweep", "--grid", "lr=0.1,1", "--scheduler", f"tcp://127.0.0.1:{_free_port()}",
                                      "--dir", str(tmp_path / "s")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Cannot reach the Dask scheduler at 'tcp://127.0.0.1:")
