"""The files around `convcalc train` and `convcalc plot` (issue 17): existing outputs are kept unless
--overwrite, output paths are checked before the first batch, a write that fails at the end still prints
the results, and stale temporary files of dead writers are cleaned."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys

import pytest

from convcalc.nn import Callback, Sequential, TrainingInterrupted, files, session

TINY = "conv(4, 3) relu pool(2) flatten dense(10) softmax"
FAST = ["--model", TINY, "--limit", "200", "--epochs", "1", "--batch-size", "50"]


def _lines(result):
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.fixture
def interrupted(tmp_path):
    """run1.npz: a run of 5 epochs interrupted in epoch 3 (as Ctrl-C leaves it)."""
    path = tmp_path / "run1.npz"

    class Stop(Callback):
        def on_epoch_begin(self, epoch, logs):
            self.epoch = epoch

        def on_batch_end(self, batch, logs):
            if self.epoch == 2 and batch == 1:
                raise KeyboardInterrupt

    config = session.TrainConfig(model=TINY, limit=200, epochs=5, batch_size=50)
    with pytest.raises(TrainingInterrupted):
        session.run(config, [Stop()], checkpoint=path)
    return path


def test_a_resumable_run_is_kept_and_the_refusal_says_what_it_holds(run_cli, interrupted):
    before = interrupted.read_bytes()
    result = run_cli("train", *FAST, "--save", str(interrupted))
    assert result.exit_code == 2, result.output
    line = _lines(result)[0]
    assert "run1.npz" in line and "a resumable run at epoch 3 of 5" in line and "--overwrite" in line
    assert "epoch 1/1" not in result.output  # refused before training
    assert interrupted.read_bytes() == before
    assert run_cli("train", *FAST, "--save", str(interrupted), "--overwrite").exit_code == 0
    assert Sequential.load(interrupted).resume_state is None


def test_a_run_may_write_its_own_resume_file(run_cli, interrupted):
    result = run_cli("train", "--resume", str(interrupted), "--save", str(interrupted), "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["epochs"]) == 5


@pytest.mark.parametrize("option,name,content,holds", [
    ("--history", "h.json", json.dumps({"epochs": [{"loss": 1}, {"loss": 0.5}]}), "a training history of 2 epochs"),
    ("--plot", "c.png", "x" * 50, "an image of 50 bytes"),
    ("--save", "m.npz", "not a zip", "9 bytes"),
])
def test_existing_outputs_are_kept(run_cli, tmp_path, option, name, content, holds):
    path = tmp_path / name
    path.write_text(content)
    result = run_cli("train", *FAST, option, str(path))
    assert result.exit_code == 2 and holds in result.output and name in result.output, result.output
    assert path.read_text() == content


def test_plot_out_is_kept_unless_overwrite(run_cli, tmp_path):
    pytest.importorskip("matplotlib")
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5}]}))
    out = tmp_path / "curves.png"
    out.write_bytes(b"old")
    result = run_cli("plot", str(hist), "--out", str(out))
    assert result.exit_code == 2 and "curves.png" in result.output and "--overwrite" in result.output
    assert out.read_bytes() == b"old"
    assert run_cli("plot", str(hist), "--out", str(out), "--overwrite").exit_code == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_the_interrupt_file_of_another_run_is_kept(run_cli, tmp_path, monkeypatch):
    """Ctrl-C without --save writes ./convcalc-interrupted.npz, or the next free name if it exists."""
    from convcalc.nn import training

    monkeypatch.chdir(tmp_path)
    (tmp_path / "convcalc-interrupted.npz").write_bytes(b"someone else's")
    real_step, calls = training._step, []

    def step_then_ctrl_c(*args):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # deferred to the end of this step
        return real_step(*args)

    monkeypatch.setattr(training, "_step", step_then_ctrl_c)
    result = run_cli("train", *FAST)
    assert result.exit_code == 130
    assert (tmp_path / "convcalc-interrupted.npz").read_bytes() == b"someone else's"
    assert "convcalc-interrupted-2.npz" in result.output.replace("\n", "")


@pytest.mark.parametrize("option", ["--save", "--history", "--plot"])
def test_a_missing_folder_is_refused_before_the_first_batch(run_cli, tmp_path, option):
    path = tmp_path / "nodir" / "out.file"
    result = run_cli("train", *FAST, option, str(path))
    assert result.exit_code == 2, result.output
    assert _lines(result) == [f"error: {option} '{path}': the folder '{path.parent}' does not exist."]


def test_a_folder_where_a_file_is_expected(run_cli, tmp_path):
    result = run_cli("train", *FAST, "--history", str(tmp_path))
    assert result.exit_code == 2 and "is a folder" in result.output and "epoch" not in result.output


def test_an_unwritable_folder(run_cli, tmp_path):
    """A read-only folder, for real (as root too: CI runs as root)."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        try:
            result = run_cli("train", *FAST, "--history", str(folder / "h.json"))
        finally:
            folder.chmod(0o700)
        assert result.exit_code == 2 and "not writable" in result.output
        return
    # Root writes into any folder whatever its mode, but not into a read-only file system: the command runs
    # in a mount namespace of its own (unshare -m) where the folder is a read-only tmpfs.
    folder = tmp_path / "ro"
    folder.mkdir()
    command = (f"mount -t tmpfs -o ro,size=64k tmpfs {folder} && exec {sys.executable} -m convcalc train "
               + " ".join(f"'{a}'" for a in FAST) + f" --history {folder / 'h.json'}")
    done = subprocess.run(["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "not writable" in done.stderr and "epoch" not in done.stdout


def test_an_unwritable_folder_as_seen_by_os_access(run_cli, tmp_path, monkeypatch):
    real = os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real(p, mode))
    result = run_cli("train", *FAST, "--history", str(tmp_path / "h.json"))
    assert result.exit_code == 2 and "is not writable" in result.output and "epoch" not in result.output


def test_the_same_file_for_two_outputs(run_cli, tmp_path):
    path = tmp_path / "x.json"
    result = run_cli("train", *FAST, "--history", str(path), "--plot", str(path))
    assert result.exit_code == 2 and "same file" in result.output


def test_a_full_disk_at_the_end_still_prints_the_results(run_cli, tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    hist = tmp_path / "h.json"
    result = run_cli("train", *FAST, "--history", str(hist))
    assert result.exit_code == 2
    assert "test accuracy:" in result.output  # the results
    assert f"error: Cannot write the history '{hist}': no space left on the device." in result.output
    assert os.listdir(tmp_path) == []  # no h.json, no temporary file left behind


def test_a_full_disk_while_checkpointing_keeps_training(run_cli, tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    model = tmp_path / "m.npz"
    result = run_cli("train", *FAST, "--epochs", "2", "--save", str(model), "--json")
    assert result.exit_code == 2
    out = json.loads(result.output[:result.output.rindex("}") + 1])
    assert len(out["epochs"]) == 2
    assert f"Cannot write the model '{model}'" in result.output and os.listdir(tmp_path) == []


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_stale_temporary_files_of_dead_writers_are_cleaned(run_cli, tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    other = tmp_path / "other"
    other.mkdir()
    stale = [tmp_path / f".m.npz.{dead}.0a1b2c3d.tmp", tmp_path / f"h.json.tmp-{dead}"]
    kept = [tmp_path / f".m.npz.{alive}.0a1b2c3d.tmp", tmp_path / f".x.npz.{dead}.0a1b2c3d.tmp",
            other / f".m.npz.{dead}.0a1b2c3d.tmp", tmp_path / "m.npz.tmp-notapid"]
    for path in stale + kept:
        path.write_bytes(b"leftover")
    result = run_cli("train", *FAST, "--save", str(tmp_path / "m.npz"), "--history", str(tmp_path / "h.json"))
    assert result.exit_code == 0, result.output
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


def test_sigkill_during_a_checkpoint_write_leaves_a_temp_file_the_next_run_removes(tmp_path):
    """A writer killed inside the write: the target is untouched, its temp file stays until the next run."""
    target = tmp_path / "m.npz"
    target.write_bytes(b"previous")
    script = ("import os, signal, sys\n"
              "from convcalc.nn.files import atomic_write\n"
              "def write(f):\n"
              "    f.write(b'half')\n"
              "    f.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n"
              f"atomic_write({str(target)!r}, write)\n")
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert child.returncode == -9
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and target.read_bytes() == b"previous"
    assert files.clean_stale_temps(target) == leftovers and not leftovers[0].exists()


@pytest.mark.parametrize("content,match", [
    (b"[" * 100_000 + b"]" * 100_000, "Cannot read the history file"),
    (b"\xff\xfe not utf-8", "Cannot read the history file"),
    (b'{"epochs": [1, 2]}', "epoch 1 that is not an object of numbers"),
    (b'{"epochs": [{"loss": "x"}]}', "epoch 1 that is not an object of numbers"),
])
def test_plot_refuses_hostile_histories_with_one_line(run_cli, tmp_path, content, match):
    hist = tmp_path / "h.json"
    hist.write_bytes(content)
    result = run_cli("plot", str(hist), "--out", str(tmp_path / "c.png"))
    assert result.exit_code == 2 and match in result.output and "h.json" in result.output, result.output
    assert len(_lines(result)) == 1


def test_divergence_keeps_the_last_good_checkpoint(run_cli, tmp_path, monkeypatch):
    """The loss turns NaN in epoch 2: the message says so, the checkpoint still holds epoch 1, resumable."""
    from convcalc.nn import training

    real_step, calls = training._step, []

    def nan_in_epoch_2(*args):
        calls.append(1)
        loss, out = real_step(*args)
        return (float("nan") if len(calls) == 6 else loss), out  # 4 batches per epoch

    monkeypatch.setattr(training, "_step", nan_in_epoch_2)
    path = tmp_path / "m.npz"
    result = run_cli("train", *FAST, "--epochs", "3", "--save", str(path))
    assert result.exit_code == 2
    assert "diverged" in result.output and "epoch 2, batch 2" in result.output
    assert f"last good checkpoint is kept in '{path}'" in result.output.replace("\n", "")
    state = Sequential.load(path).resume_state
    assert (state["epoch"], state["batch"]) == (1, 0) and len(state["history"]) == 1


@pytest.mark.parametrize("name,words", [("h\x00.json", "NUL"), ("n" * 300 + ".json", "too long")])
def test_odd_output_names_are_one_error_line(run_cli, tmp_path, name, words):
    result = run_cli("train", *FAST, "--history", str(tmp_path / name) if "\x00" not in name else name)
    assert result.exit_code == 2 and words in result.output.lower().replace("nul", "NUL"), result.output
    assert len(_lines(result)) == 1 and "internal error" not in result.output


@pytest.mark.parametrize("command", [["evaluate", "/dev/zero"], ["train", "--resume", "/dev/zero"],
                                     ["plot", "/dev/zero"]])
def test_a_device_that_never_ends_is_refused(run_cli, tmp_path, command):
    result = run_cli(*command, *(["--out", str(tmp_path / "c.png")] if command[0] == "plot" else []))
    assert result.exit_code == 2 and "not a regular file" in result.output, result.output


def test_a_history_with_nan_is_refused(run_cli, tmp_path):
    hist = tmp_path / "nan.json"
    hist.write_text('{"epochs": [{"loss": NaN, "accuracy": Infinity}]}')
    result = run_cli("plot", str(hist), "--out", str(tmp_path / "c.png"))
    assert result.exit_code == 2 and "not finite" in result.output


def test_plot_checks_its_labels_before_the_output_file(run_cli, tmp_path):
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5}]}))
    out = tmp_path / "c.png"
    out.write_bytes(b"old")
    result = run_cli("plot", str(hist), "--out", str(out), "--labels", "a,b")
    assert result.exit_code == 2 and "labels" in _lines(result)[0] and "already exists" not in result.output


@pytest.mark.parametrize("option", ["--labels", "--title"])
def test_plot_refuses_a_label_or_title_too_long_to_draw(run_cli, tmp_path, option):
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5}]}))
    result = run_cli("plot", str(hist), "--out", str(tmp_path / "c.png"), option, "a" * 10_000)
    assert result.exit_code == 2 and option.strip("-") in _lines(result)[0] and "200 characters" in result.output


def test_a_data_dir_name_too_long_is_one_error_line(run_cli):
    result = run_cli("train", *FAST, "--data", "mnist", "--data-dir", "a" * 100_000)
    assert result.exit_code == 2 and "--data-dir" in result.output and "internal error" not in result.output
    assert len(_lines(result)) == 1


def test_a_history_of_too_many_epochs_is_refused_quickly(run_cli, tmp_path):
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5}] * 200_000}))
    result = run_cli("plot", str(hist), "--out", str(tmp_path / "c.png"))
    assert result.exit_code == 2 and "200,000 epochs" in result.output and "10,000" in result.output


def test_ctrl_c_on_a_full_disk_says_the_checkpoint_could_not_be_written(run_cli, tmp_path, monkeypatch):
    from convcalc.nn import training

    real_step, calls = training._step, []

    def step_then_ctrl_c(*args):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(*args)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(training, "_step", step_then_ctrl_c)
    monkeypatch.setattr(files.os, "fsync", full)
    path = tmp_path / "m.npz"
    result = run_cli("train", *FAST, "--save", str(path))
    assert result.exit_code == 130
    out = result.output.replace("\n", "")
    assert "no checkpoint could be written" in out and "no space left on the device" in out
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("option,value", [("--labels", "16\x00"), ("--title", "a\x1b[2Jb")])
def test_plot_refuses_control_characters_in_labels_and_title(run_cli, tmp_path, option, value):
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5}]}))
    result = run_cli("plot", str(hist), "--out", str(tmp_path / "c.png"), option, value)
    assert result.exit_code == 2 and option.strip("-") in result.output and "control characters" in result.output
    assert "\x00" not in result.output and "\x1b" not in result.output
