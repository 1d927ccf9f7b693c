"""Callbacks' state in resume points: an interrupted and resumed run stops, and keeps its best, as if never interrupted.

The oracle is always the same run without interruption: the resumed run must give the same
history (all but ``seconds``), the same stopped epoch, the same best value and the same final
weights, bit for bit. Interruptions are a ``KeyboardInterrupt`` raised by a callback between two
steps (as in ``tests/test_nn_model.py``) and, through the command line, a real SIGINT sent while a
step runs (as in ``tests/test_cli_train.py``).
"""

from __future__ import annotations

import json
import math
import os
import signal
import zipfile

import numpy as np
import pytest

from convcalc import layers as L
from convcalc.nn import EarlyStopping, LambdaCallback, ModelCheckpoint, Sequential, TrainingInterrupted
from convcalc.nn.callbacks import callback_states, restore_callback_states
from convcalc.nn.serialize import read_archive
from tests.test_nn_model import InterruptAfter, _same_weights

SPECS = [L.Conv2D(4, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dropout(0.3), L.Dense(16), L.ReLU(),
         L.Dense(3), L.Softmax()]
SHAPE = (1, 8, 8)
BATCHES = 6  # 90 samples in batches of 16
EPOCHS = 12


def _data(n, seed):
    """Three classes (bright top, bright bottom, dark), a quarter of the labels redrawn: val_loss goes up and down."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.uniform(0, 0.3, (n, *SHAPE)).astype(np.float32)
    x[y == 0, :, :4] += 0.7
    x[y == 1, :, 4:] += 0.7
    flip = rng.random(n) < 0.25
    y[flip] = rng.integers(0, 3, int(flip.sum()))
    return x, y


TRAIN, VAL = _data(90, 0), _data(40, 1)


def _model():
    model = Sequential(SPECS, SHAPE, seed=0, init="he_normal")
    model.compile("sgd", "sparse_categorical_crossentropy", lr=0.5, momentum=0.9)
    return model


def _fit(model, callbacks, **options):
    return model.fit(*TRAIN, batch_size=16, epochs=EPOCHS, validation_data=VAL, callbacks=callbacks, **options)


def _interrupted(path, k, make_callbacks):
    """Run until ``k`` batches are done, save the resume point at ``path``, return the state saved."""
    with pytest.raises(TrainingInterrupted) as info:
        _fit(_model(), [*make_callbacks(), InterruptAfter(k)], checkpoint=path)
    assert info.value.checkpoint == path
    return info.value.state


def _without_seconds(history):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history.epochs]


def _points(stopper, val_losses):
    """Batches done at each interruption: mid-epoch and after the last batch, in every epoch the run trains.

    The run must stop early and some epoch must not improve, so that some points fall while the
    stopper waits (where a fresh stopper would have forgotten its wait)."""
    assert stopper.stopped_epoch is not None and stopper.stopped_epoch + 1 < EPOCHS, "the run must stop early"
    waited = [e for e in range(1, len(val_losses)) if val_losses[e] >= min(val_losses[:e])]
    assert waited, "some epoch must not improve"
    points = {e * BATCHES + 3 for e in range(stopper.stopped_epoch + 1)}
    points |= {(e + 1) * BATCHES for e in range(stopper.stopped_epoch + 1)}
    return sorted(points)


@pytest.mark.parametrize("restore", [False, True], ids=["plain", "restore_best_weights"])
def test_early_stopping_interrupted_anywhere_stops_where_the_uninterrupted_run_stops(tmp_path, restore):
    def make():
        return [EarlyStopping("val_loss", patience=2, restore_best_weights=restore)]

    reference_model, reference_cbs = _model(), make()
    reference = _fit(reference_model, reference_cbs)
    want = reference_cbs[0]
    carried_wait = False
    for k in _points(want, reference.history["val_loss"]):
        path = tmp_path / f"at{k}.npz"
        saved = _interrupted(path, k, make)
        carried_wait |= saved["callbacks"]["EarlyStopping#0"]["wait"] > 0
        if restore and saved["epoch"] > 0:  # the best weights travel as arrays beside the JSON
            assert any(name.startswith("meta/") for name in zipfile.ZipFile(path).namelist())
        resumed, stopper = Sequential.load(path), make()[0]
        history = _fit(resumed, [stopper], resume=True)
        assert _without_seconds(history) == _without_seconds(reference), k
        assert history.stopped_early and stopper.stopped_epoch == want.stopped_epoch, k
        assert (stopper.best, stopper.wait) == (want.best, want.wait), k
        _same_weights(reference_model, resumed)
    assert carried_wait  # some interruption fell while the stopper was waiting


def test_model_checkpoint_best_only_keeps_the_same_best_after_a_resume(tmp_path):
    reference_path = tmp_path / "best-reference.npz"
    want = ModelCheckpoint(reference_path, monitor="val_loss")
    reference_model = _model()
    reference = _fit(reference_model, [want, EarlyStopping(patience=2)])
    assert len(want.saved_epochs) >= 2 and want.saved_epochs[-1] < len(reference.epochs) - 1  # later epochs were worse
    for k in (want.saved_epochs[1] * BATCHES + 2, (want.saved_epochs[-1] + 1) * BATCHES + 3):
        best_path = tmp_path / f"best{k}.npz"
        _interrupted(tmp_path / "resume.npz", k, lambda: [ModelCheckpoint(best_path), EarlyStopping(patience=2)])
        got = ModelCheckpoint(best_path)
        resumed = Sequential.load(tmp_path / "resume.npz")
        history = _fit(resumed, [got, EarlyStopping(patience=2)], resume=True)
        assert _without_seconds(history) == _without_seconds(reference)
        assert got.best == want.best == min(reference.history["val_loss"])
        assert got.saved_epochs == want.saved_epochs
        _same_weights(Sequential.load(reference_path), Sequential.load(best_path))
        _same_weights(reference_model, resumed)


def test_a_checkpoint_without_callback_states_still_resumes(tmp_path):
    """The resume point as written before callbacks' states were saved: training resumes bit for bit,
    callbacks start afresh (so early stopping counts its patience again from the resume)."""
    reference_model = _model()
    reference = _fit(reference_model, [])
    path = tmp_path / "old.npz"
    state = _interrupted(path, 2 * BATCHES + 3, lambda: [EarlyStopping(patience=2)])
    old = {k: v for k, v in state.items() if k not in ("callbacks", "stopped")}
    model = Sequential.load(path)
    model.save(path, state=old, extra=model.extra)
    meta, arrays = read_archive(path)
    assert "callbacks" not in meta["train_state"] and not any(name.startswith("meta/") for name in arrays)

    resumed = Sequential.load(path)
    history = _fit(resumed, [], resume=True)  # no callbacks: all epochs, as the reference
    assert _without_seconds(history) == _without_seconds(reference)
    _same_weights(reference_model, resumed)

    stopper = EarlyStopping(patience=2)
    history = _fit(Sequential.load(path), [stopper], resume=True)
    val = history.history["val_loss"]
    assert stopper.best == min(val[2:])  # it saw only the epochs after the resume


def test_resuming_with_other_callbacks_restores_what_matches(tmp_path):
    path = tmp_path / "c.npz"
    saved = _interrupted(path, 2 * BATCHES + 3,
                         lambda: [EarlyStopping(patience=2), ModelCheckpoint(tmp_path / "b.npz")])
    assert set(saved["callbacks"]) == {"EarlyStopping#0", "ModelCheckpoint#0"}
    best = saved["callbacks"]["EarlyStopping#0"]["best"]
    assert best == min(saved["history"][e]["val_loss"] for e in range(2))

    progress = LambdaCallback(on_batch_end=lambda batch, logs: None)
    same, other = EarlyStopping(patience=2), EarlyStopping(monitor="val_accuracy", patience=2)
    model = Sequential.load(path)
    model.resume_state["epoch"] = len(saved["history"])  # stop right after on_train_begin: inspect the restore
    model.resume_state["perm"], model.resume_state["batch"] = None, 0
    restored = []
    spy = LambdaCallback(on_train_end=lambda logs: restored.append((same.best, same.wait, other.best)))
    # a progress callback first, a second EarlyStopping that was not saved, no ModelCheckpoint
    model.fit(*TRAIN, batch_size=16, epochs=2, validation_data=VAL, callbacks=[progress, same, other, spy],
              resume=True)
    assert restored == [(best, saved["callbacks"]["EarlyStopping#0"]["wait"], -math.inf)]


def test_the_saved_state_is_matched_by_class_and_occurrence():
    first, second = EarlyStopping(patience=1), EarlyStopping(monitor="loss", patience=3)
    first.best, first.wait, second.best = 0.5, 1, 0.25
    states = callback_states([LambdaCallback(), first, second])
    assert list(states) == ["EarlyStopping#0", "EarlyStopping#1"]
    assert json.loads(json.dumps(states)) == states
    a, b = EarlyStopping(patience=1), EarlyStopping(monitor="loss", patience=3)
    assert restore_callback_states([a, b], states) == ["EarlyStopping#0", "EarlyStopping#1"]
    assert (a.best, a.wait, b.best) == (0.5, 1, 0.25)
    swapped_b, swapped_a = EarlyStopping(monitor="loss"), EarlyStopping()  # other monitors: left fresh
    restore_callback_states([swapped_b, swapped_a], states)
    assert (swapped_b.best, swapped_a.best) == (math.inf, math.inf)
    assert restore_callback_states([a], None) == [] and restore_callback_states([a], {}) == []


def test_resuming_a_run_that_early_stopping_ended_trains_no_further(tmp_path):
    stopper = EarlyStopping(patience=2)
    model = _model()
    history = _fit(model, [stopper], checkpoint=tmp_path / "last.npz")
    assert history.stopped_early
    resumed, again = Sequential.load(tmp_path / "last.npz"), EarlyStopping(patience=2)
    more = _fit(resumed, [again], resume=True)
    assert more.stopped_early and _without_seconds(more) == _without_seconds(history)
    assert again.stopped_epoch == stopper.stopped_epoch
    _same_weights(model, resumed)


def test_arrays_inside_the_metadata_round_trip_with_their_dtype(tmp_path):
    model = _model()
    weights = {"0.kernel": np.arange(6, dtype=np.float32).reshape(2, 3), "x/y": np.array([1, 2], np.int64)}
    rng = np.random.default_rng(0).bit_generator.state
    state = {"epoch": 1, "batch": 0, "samples": 10, "batch_size": 5, "shuffle": True, "shuffle_rng": rng,
             "dropout_rng": rng, "loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0, "history": [],
             "callbacks": {"EarlyStopping#0": {"best": 0.5, "best_weights": weights}}}
    model.save(tmp_path / "m.npz", state=state)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert archive["meta/train_state/callbacks/EarlyStopping#0/best_weights/0.kernel"].dtype == np.float32
    back = Sequential.load(tmp_path / "m.npz").resume_state["callbacks"]["EarlyStopping#0"]["best_weights"]
    assert back.keys() == weights.keys()
    for key in weights:
        assert back[key].dtype == weights[key].dtype
        np.testing.assert_array_equal(back[key], weights[key])


# ---------------------------------------------------------------- through the command line
TINY = "conv(4, 3) relu pool(2) flatten dense(10) softmax"
EARLY = ["--model", TINY, "--limit", "300", "--epochs", "8", "--batch-size", "50", "--lr", "0.05", "--momentum",
         "0.9", "--early-stopping", "2"]


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_early_stopping_interrupted_by_ctrl_c_and_resumed_stops_at_the_same_epoch(run_cli, tmp_path, monkeypatch):
    """A real SIGINT during a step of the epoch after the best one (the stopper is waiting)."""
    from convcalc.nn import training

    expected = _json(run_cli("train", *EARLY, "--json"))
    val = [e["val_loss"] for e in expected["epochs"]]
    assert expected["stopped_early"] and len(val) < 8
    best = val.index(min(val))
    assert best + 1 < len(val) - 1  # at least two epochs after the best one
    real_step, calls = training._step, []
    stop_at = (best + 2) * 6 + 3  # 6 steps per epoch: batch 3 of the second epoch after the best

    def step_then_ctrl_c(*args):
        calls.append(1)
        if len(calls) == stop_at:
            os.kill(os.getpid(), signal.SIGINT)  # deferred to the end of this step
        return real_step(*args)

    monkeypatch.setattr(training, "_step", step_then_ctrl_c)
    path = tmp_path / "ckpt.npz"
    assert run_cli("train", *EARLY, "--save", str(path)).exit_code == 130
    point = Sequential.load(path).resume_state
    assert (point["epoch"], point["batch"]) == (best + 2, 3)
    assert point["callbacks"]["EarlyStopping#0"]["wait"] == 1
    monkeypatch.setattr(training, "_step", real_step)
    out = _json(run_cli("train", "--resume", str(path), "--json"))
    assert out["stopped_early"]
    assert [e["val_loss"] for e in out["epochs"]] == val
    assert [e["loss"] for e in out["epochs"]] == [e["loss"] for e in expected["epochs"]]
    assert out["test_accuracy"] == expected["test_accuracy"]
