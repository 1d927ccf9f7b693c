"""convcalc sweep running for real (tiny models, small subsets, one or two epochs).

The oracle for every number is convcalc train's own code path called directly,
one run at a time: :func:`convcalc.nn.session.run` on the same TrainConfig.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.cli.main import app
from convcalc.nn import TrainingDiverged, session
from convcalc.sweep import SweepSpec, run_sweep

TINY = "conv(2,3) relu pool(2) flatten dense(10) softmax"
#: Without a ReLU, a huge learning rate gives NaN losses (a ReLU network just dies instead).
LINEAR = "conv(2,3) flatten dense(10) softmax"
runner = CliRunner()


def _numbers(epochs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The epochs without their wall times (the only thing allowed to differ); NaN as None, as JSON stores it."""
    return [{k: None if v != v else v for k, v in e.items() if k != "seconds"} for e in epochs]


def _direct(config: dict[str, Any]) -> dict[str, Any]:
    """convcalc train's code path, called directly: what the sweep must reproduce bit for bit."""
    return session.run(session.TrainConfig(**config)).to_dict()


def _grid() -> SweepSpec:
    return SweepSpec(base={"model": TINY, "epochs": 1, "limit": 60, "batch_size": 16},
                     grid={"lr": [0.05, 0.5], "seed": [0, 1]})


def test_parallel_runs_equal_one_by_one_bit_for_bit(tmp_path: Path) -> None:
    parallel = run_sweep(_grid(), directory=tmp_path / "j2", jobs=2)
    serial = run_sweep(_grid(), directory=tmp_path / "j1", jobs=1)
    assert [r.id for r in parallel.runs] == [r.id for r in serial.runs]
    workers = set()
    for run in parallel.runs:
        p, s = parallel.records[run.id], serial.records[run.id]
        direct = _direct(run.config)
        assert p["status"] == s["status"] == "finished"
        assert p["test_accuracy"] == s["test_accuracy"] == direct["test_accuracy"]  # exactly, not approximately
        assert p["test_loss"] == s["test_loss"] == direct["test_loss"]
        assert _numbers(p["epochs"]) == _numbers(s["epochs"]) == _numbers(direct["epochs"])
        assert p["config"] == s["config"] == direct["config"]
        workers.add(p["pid"])
        assert p["blas_threads"] == 1  # pinned before numpy loaded, not only by threadpoolctl
        assert s["pid"] == os.getpid()
    assert os.getpid() not in workers and len(workers) <= 2
    # the models kept are the runs' finished models
    model = parallel.directory / "runs" / parallel.runs[0].id / "model.npz"
    assert model.exists()
    saved = session.evaluate_saved(model, "mnist5k")
    assert saved["accuracy"] == parallel.records[parallel.runs[0].id]["test_accuracy"]


def test_json_is_the_contract_and_epochs_are_train_json_epochs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sweep", "--model", TINY, "--epochs", "2", "--limit", "40", "--grid",
                                 "lr=0.05,0.2", "--jobs", "1", "--json", "--dir", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # only JSON on stdout; progress went to stderr
    assert list(out) == ["runs"] and len(out["runs"]) == 2
    for run, lr in zip(out["runs"], (0.05, 0.2)):
        assert list(run)[:4] == ["config", "status", "test_accuracy", "epochs"]
        assert run["config"]["lr"] == lr and run["status"] == "finished"
        train = runner.invoke(app, ["train", "--model", TINY, "--epochs", "2", "--limit", "40", "--lr", str(lr),
                                    "--json"])
        assert train.exit_code == 0, train.output
        expected = json.loads(train.stdout)
        assert _numbers(run["epochs"]) == _numbers(expected["epochs"])
        assert list(run["epochs"][0]) == list(expected["epochs"][0])  # the same keys, in the same order
        assert run["test_accuracy"] == expected["test_accuracy"] and run["config"] == expected["config"]
    assert "[2/2]" in result.stderr


def test_a_diverged_run_keeps_its_last_good_epoch_and_a_failed_run_its_error(tmp_path: Path) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    spec = SweepSpec(base={"model": LINEAR, "epochs": 3, "limit": 100, "data_dir": str(empty)},
                     grid={"data": ["mnist5k", "fashion-mnist"], "lr": [0.01, 1e5]})
    result = run_sweep(spec, directory=tmp_path / "s", jobs=2)
    by = {(r.config["data"], r.config["lr"]): result.records[r.id] for r in result.runs}
    assert by[("mnist5k", 0.01)]["status"] == "finished"
    diverged = by[("mnist5k", 1e5)]
    with pytest.raises(TrainingDiverged) as oracle:
        session.run(session.TrainConfig(model=LINEAR, epochs=3, limit=100, lr=1e5, data_dir=str(empty)))
    good = oracle.value.history.epochs
    assert len(good) == 1  # this configuration diverges in its second epoch
    assert diverged["status"] == "diverged" and diverged["last_good_epoch"] == 1
    assert _numbers(diverged["epochs"]) == _numbers(good)
    assert diverged["test_accuracy"] == good[-1]["val_accuracy"]  # the test set is the validation set
    assert diverged["error"].startswith("TrainingDiverged: Training diverged: the loss became nan at epoch 2")
    for lr in (0.01, 1e5):
        failed = by[("fashion-mnist", lr)]
        assert failed["status"] == "failed" and failed["test_accuracy"] is None and failed["epochs"] == []
        assert "\n" not in failed["error"] and "fashion-mnist" in failed["error"].lower()
    # each run's record is on disk, as JSON (NaN-free)
    for run in result.runs:
        assert json.loads((result.directory / "runs" / run.id / "result.json").read_text())["status"] == \
            result.records[run.id]["status"]


def test_the_cli_reports_failed_runs_and_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    result = runner.invoke(app, ["sweep", "--model", TINY, "--epochs", "1", "--limit", "20", "--data-dir",
                                 str(empty), "--grid", "data=mnist5k,fashion-mnist", "--jobs", "1", "--dir",
                                 str(tmp_path / "s"), "--markdown", str(tmp_path / "t.md")])
    assert result.exit_code == 1, result.output
    assert "failed: data=fashion-mnist:" in result.stdout and "best: data=mnist5k" in result.stdout
    record = next(json.loads(p.read_text()) for p in (tmp_path / "s").glob("runs/*/result.json")
                  if json.loads(p.read_text())["status"] == "finished")
    table = (tmp_path / "t.md").read_text().splitlines()
    assert table[0].startswith("| data | runs | status | test acc |")
    assert table[2].startswith(f"| mnist5k | 1 | 1 finished | **{record['test_accuracy']:.4f}** |")
    assert table[3].startswith("| fashion-mnist | 1 | 1 failed | -- |")


def test_resume_reruns_only_what_did_not_finish(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    first = run_sweep(_grid(), directory=folder, jobs=1)
    ids = [r.id for r in first.runs]
    lost = folder / "runs" / ids[2] / "result.json"
    lost.unlink()  # as if the process had been killed before this run finished
    kept = {i: (folder / "runs" / i / "result.json").stat().st_mtime_ns for i in ids if i != ids[2]}
    refused = runner.invoke(app, ["sweep", "--model", TINY, "--epochs", "1", "--limit", "60", "--batch-size", "16",
                                  "--grid", "lr=0.05,0.5", "--grid", "seed=0,1", "--dir", str(folder)])
    assert refused.exit_code == 2 and "already holds 3 run result(s); continue it with --resume" in refused.stderr
    states = []
    again = run_sweep(_grid(), directory=folder, jobs=1, resume=True,
                      progress=lambda s: states.append((s.skipped, s.done)))
    assert states[0] == (3, 3) and states[-1] == (3, 4)  # three skipped, one run
    assert {i: (folder / "runs" / i / "result.json").stat().st_mtime_ns for i in kept} == kept
    assert _numbers(again.records[ids[2]]["epochs"]) == _numbers(first.records[ids[2]]["epochs"])
    assert again.records[ids[2]]["test_accuracy"] == first.records[ids[2]]["test_accuracy"]


def test_resume_continues_an_interrupted_run_from_its_checkpoint(tmp_path: Path) -> None:
    spec = SweepSpec(base={"model": TINY, "epochs": 2, "limit": 60, "batch_size": 16}, grid={"lr": [0.05, 0.5]})
    run = spec.runs()[1]
    folder = tmp_path / "s"
    checkpoint = folder / "runs" / run.id / "model.npz"
    checkpoint.parent.mkdir(parents=True)
    # the run stopped after its first epoch: its checkpoint holds the resume point
    session.run(session.TrainConfig(**{**run.config, "epochs": 1}), checkpoint=checkpoint)
    result = run_sweep(spec, directory=folder, jobs=1, resume=True)
    record = result.records[run.id]
    assert record["resumed"] is True and result.records[spec.runs()[0].id]["resumed"] is False
    direct = _direct(run.config)  # uninterrupted
    assert _numbers(record["epochs"]) == _numbers(direct["epochs"])
    assert record["test_accuracy"] == direct["test_accuracy"]


def test_csv_has_every_epoch_of_every_run(tmp_path: Path) -> None:
    spec = SweepSpec(base={"model": TINY, "epochs": 2, "limit": 40}, grid={"lr": [0.05, 0.5]})
    result = run_sweep(spec, directory=tmp_path / "s", jobs=1, csv_path=tmp_path / "all.csv", checkpoints=False)
    assert not list((tmp_path / "s").glob("runs/*/model.npz"))  # --no-checkpoints: no model file at all
    rows = list(csv.DictReader((tmp_path / "all.csv").open()))
    assert len(rows) == 4
    for row in rows:
        record = result.records[row["run"]]
        epoch = record["epochs"][int(row["epoch"]) - 1]
        assert float(row["val_accuracy"]) == epoch["val_accuracy"] and float(row["loss"]) == epoch["loss"]
        assert float(row["lr"]) == record["config"]["lr"] and row["status"] == "finished"


def test_plot_draws_one_panel_per_varied_parameter(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from convcalc.sweep import plot_sweep

    spec = SweepSpec(base={"model": TINY, "epochs": 2, "limit": 20},
                     grid={"lr": [0.05, 0.5], "momentum": [0.0, 0.9], "seed": [0, 1]})
    result = run_sweep(spec, directory=tmp_path / "s", jobs=1)
    assert plot_sweep(result, tmp_path / "c.png") == ["lr", "momentum"]
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_killed_worker_processes_lose_no_run(tmp_path: Path) -> None:
    import multiprocessing

    folder = tmp_path / "s"
    spec = SweepSpec(base={"model": TINY, "epochs": 3, "limit": 4000, "batch_size": 16},
                     grid={"lr": [0.05, 0.1, 0.2, 0.4]})
    killed: list[int] = []
    first: list[str] = []

    def kill_workers_mid_run() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            done = list(folder.glob("runs/*/model.npz"))  # a run finished its first of three epochs
            if done:
                first.append(done[0].parent.name)
                for process in multiprocessing.active_children():
                    try:
                        os.kill(process.pid, signal.SIGKILL)
                        killed.append(process.pid)
                    except (ProcessLookupError, TypeError):
                        pass
            time.sleep(0.005)

    killer = threading.Thread(target=kill_workers_mid_run)
    killer.start()
    result = run_sweep(spec, directory=folder, jobs=2)
    killer.join()
    assert killed, "no worker process was seen to kill"
    assert [result.records[r.id]["status"] for r in result.runs] == ["finished"] * 4
    record = result.records[first[0]]
    assert record["pid"] not in killed and record["resumed"] is True  # continued from its own checkpoint
    run = next(r for r in result.runs if r.id == first[0])
    direct = _direct(run.config)
    assert _numbers(record["epochs"]) == _numbers(direct["epochs"])
    assert record["test_accuracy"] == direct["test_accuracy"]


def test_ctrl_c_keeps_what_finished_and_resume_runs_the_rest(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "s"
    args = [sys.executable, "-m", "convcalc", "sweep", "--model", TINY, "--epochs", "2", "--limit", "2000", "--grid",
            "lr=0.02,0.04,0.06,0.08", "--jobs", "2", "--dir", str(folder)]
    # a new session, as a terminal's foreground job: Ctrl-C is a SIGINT to its whole process group
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(folder.glob("runs/*/result.json")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    done = len(list(folder.glob("runs/*/result.json")))
    assert process.returncode == 130, err
    assert f"Interrupted; {done} of 4 runs are done and saved in {folder}." in err
    assert "--resume" in err.splitlines()[-1]
    assert 1 <= done < 4
    resumed = subprocess.run(args + ["--resume", "--json"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"sweep: 4 runs, {done} already done" in resumed.stderr
    runs = json.loads(resumed.stdout)["runs"]
    assert [r["status"] for r in runs] == ["finished"] * 4
    direct = _direct({"model": TINY, "epochs": 2, "limit": 2000, "lr": 0.08})
    assert _numbers(runs[3]["epochs"]) == _numbers(direct["epochs"])


def test_a_run_over_max_memory_fails_with_the_estimate_and_the_sweep_goes_on(tmp_path: Path) -> None:
    spec = SweepSpec(base={"model": TINY, "epochs": 1, "limit": 20}, grid={"lr": [0.1, 0.2]})
    result = run_sweep(spec, directory=tmp_path / "s", jobs=1, max_memory="1K")
    for run in result.runs:
        record = result.records[run.id]
        with pytest.raises(Exception) as oracle:  # convcalc train's own refusal, called directly
            session.run(session.TrainConfig(**run.config), max_memory="1K")
        assert record["status"] == "failed" and record["error"] == f"ConvCalcError: {oracle.value}"
