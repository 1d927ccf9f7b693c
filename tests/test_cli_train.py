"""`convcalc train`, `evaluate` and `plot` on tiny subsets of the embedded mnist5k."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from convcalc.nn import Callback, Sequential, TrainingInterrupted, session

TINY = "conv(4, 3) relu pool(2) flatten dense(10) softmax"
FAST = ["--model", TINY, "--limit", "300", "--epochs", "2", "--batch-size", "50"]


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_train_json_has_the_documented_keys(run_cli):
    out = _json(run_cli("train", *FAST, "--json", "--negate-test"))
    assert len(out["epochs"]) == 2
    for epoch in out["epochs"]:
        assert set(epoch) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert 0 <= out["test_accuracy"] <= 1 and 0 <= out["negated_test_accuracy"] <= 1
    assert out["test_accuracy"] == out["epochs"][-1]["val_accuracy"]  # the test set is the validation set
    assert out["config"]["lr"] == 0.01 and out["config"]["limit"] == 300


def test_train_is_deterministic_for_a_seed(run_cli):
    a = _json(run_cli("train", *FAST, "--json", "--seed", "3"))
    b = _json(run_cli("train", *FAST, "--json", "--seed", "3"))
    assert [e["loss"] for e in a["epochs"]] == [e["loss"] for e in b["epochs"]]


def test_train_prints_a_table_and_the_test_accuracy(run_cli):
    result = run_cli("train", *FAST, "--optimizer", "adam", "--init", "he_normal", "--l2", "0.001",
                     "--dropout", "0.2")
    assert result.exit_code == 0, result.output
    assert "epoch 2/2" in result.output and "val_accuracy" in result.output
    assert "test accuracy:" in result.output


def test_save_evaluate_history_and_plot(run_cli, tmp_path):
    model, hist, png = tmp_path / "m.npz", tmp_path / "h.json", tmp_path / "c.png"
    pytest.importorskip("matplotlib")
    out = _json(run_cli("train", *FAST, "--json", "--save", str(model), "--history", str(hist), "--plot", str(png)))
    assert png.stat().st_size > 1000
    saved = Sequential.load(model)
    assert saved.resume_state is None and saved.extra["train_config"]["model"] == TINY
    evaluated = _json(run_cli("evaluate", str(model), "--json"))
    assert evaluated["accuracy"] == pytest.approx(out["test_accuracy"])
    assert json.loads(hist.read_text())["epochs"] == out["epochs"]
    result = run_cli("plot", str(hist), str(hist), "--labels", "a,b", "--out", str(tmp_path / "two.png"),
                     "--metric", "accuracy")
    assert result.exit_code == 0 and "wrote" in result.output and (tmp_path / "two.png").exists()
    assert "accuracy" in run_cli("evaluate", str(model), "--negate").output


def test_lenet5_pads_28_to_32(run_cli):
    out = _json(run_cli("train", "--model", "lenet5", "--limit", "100", "--epochs", "1", "--batch-size", "50",
                        "--json"))
    assert len(out["epochs"]) == 1


def test_resume_from_an_interrupted_run_equals_the_uninterrupted_run(run_cli, tmp_path):
    config = session.TrainConfig(model=TINY, limit=300, epochs=2, batch_size=50, momentum=0.9)
    expected = session.run(config)

    class Stop(Callback):
        def on_batch_end(self, batch, logs):
            if batch == 3:
                raise KeyboardInterrupt

    path = tmp_path / "interrupted.npz"
    with pytest.raises(TrainingInterrupted) as info:
        session.run(config, [Stop()], interrupt_path=path)
    assert info.value.checkpoint == path
    out = _json(run_cli("train", "--resume", str(path), "--json"))
    assert [e["loss"] for e in out["epochs"]] == [e["loss"] for e in expected.history.epochs]
    assert out["test_accuracy"] == expected.test_accuracy


def test_resume_refuses_a_finished_model(run_cli, tmp_path):
    path = tmp_path / "done.npz"
    assert run_cli("train", *FAST, "--json", "--save", str(path)).exit_code == 0
    result = run_cli("train", "--resume", str(path))
    assert result.exit_code == 2 and "nothing to resume" in result.output


def test_divergence_exits_nonzero_with_a_message(run_cli, tmp_path):
    result = run_cli("train", *FAST, "--lr", "1e30", "--save", str(tmp_path / "m.npz"))
    assert result.exit_code == 2
    assert "diverged" in result.output and "learning rate lr=1e+30" in result.output


@pytest.mark.parametrize("args,match", [
    (["--optimizer", "rmsprop"], "optimizer"),
    (["--init", "orthogonal"], "init"),
    (["--momentum", "0.9", "--optimizer", "adam"], "momentum"),
    (["--data", "cifar10", "--data-dir", "/nonexistent/folder"], "not found"),
    (["--model", "conv(4, 3) pool(2"], "syntax error"),
    (["--dropout", "1.5"], "dropout"),
])
def test_bad_options_exit_2_with_one_line(run_cli, args, match):
    result = run_cli("train", *FAST, *args)
    assert result.exit_code == 2 and match in result.output, result.output


def test_plot_without_matplotlib_says_how_to_get_it(run_cli, tmp_path, monkeypatch):
    hist = tmp_path / "h.json"
    hist.write_text(json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5}]}))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = run_cli("plot", str(hist), "--out", str(tmp_path / "x.png"))
    assert result.exit_code == 2 and "convcalc[plot]" in result.output


def test_plot_rejects_a_file_that_is_not_a_history(run_cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = run_cli("plot", str(bad))
    assert result.exit_code == 2 and "no 'epochs'" in result.output


def test_default_training_options():
    config = session.TrainConfig()
    assert (config.model, config.data, config.epochs, config.batch_size, config.optimizer) == \
        ("hw5", "mnist5k", 5, 32, "sgd")
    assert config.learning_rate() == 0.01 and session.TrainConfig(optimizer="adam").learning_rate() == 0.001


def test_half_negated_training_set_is_used_with_augment_negative():
    base = session.prepare_data(session.TrainConfig(model=TINY, limit=100))
    aug = session.prepare_data(session.TrainConfig(model=TINY, limit=100, augment_negative=True))
    changed = np.any(base[0] != aug[0], axis=(1, 2, 3))
    assert changed.sum() == sum(np.sum(base[1] == c) // 2 for c in range(10))
    np.testing.assert_array_equal(aug[0][changed], 1 - base[0][changed])


def test_ctrl_c_saves_a_checkpoint_that_resume_finishes(run_cli, tmp_path, monkeypatch):
    """A real SIGINT in the middle of a step: the step finishes, the checkpoint is written, exit 130."""
    import os
    import signal

    from convcalc.nn import training

    expected = _json(run_cli("train", *FAST, "--json"))
    real_step, calls = training._step, []

    def step_then_ctrl_c(*args):
        calls.append(1)
        if len(calls) == 4:
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the step runs: deferred to the next boundary
        return real_step(*args)

    monkeypatch.setattr(training, "_step", step_then_ctrl_c)
    path = tmp_path / "ckpt.npz"
    result = run_cli("train", *FAST, "--save", str(path))
    assert result.exit_code == 130
    assert f"convcalc train --resume {path}" in result.output.replace("\n", "")
    assert Sequential.load(path).resume_state["batch"] == 4
    monkeypatch.setattr(training, "_step", real_step)
    out = _json(run_cli("train", "--resume", str(path), "--json"))
    assert [e["loss"] for e in out["epochs"]] == [e["loss"] for e in expected["epochs"]]


def test_divergence_names_the_option_to_lower(run_cli):
    """A huge --lr or --l2: the message names lr= or l2= (the options a user would lower)."""
    result = run_cli("train", *FAST, "--l2", "1e300")
    assert result.exit_code == 2 and "regularization factor l2=1e+300" in result.output, result.output
    assert "learning rate lr=0.01" in result.output


@pytest.mark.parametrize("option", ["--epochs", "--batch-size", "--seed", "--limit", "--early-stopping"])
@pytest.mark.parametrize("value", ["\u0661\u0666", "\uff11\uff16"])  # Arabic-Indic and fullwidth 16
def test_int_options_take_ascii_digits_only(run_cli, option, value):
    result = run_cli("train", *FAST, option, value)
    assert result.exit_code == 2 and option in result.output and "digits 0-9" in result.output
