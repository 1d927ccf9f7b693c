"""Sequential: determinism, save/load, divergence, Ctrl-C and bit-for-bit resume, callbacks, errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc import layers as L
from convcalc.nn import (L2, Callback, EarlyStopping, History, LambdaCallback, ModelCheckpoint, Sequential,
                         TrainingDiverged, TrainingInterrupted)
from convcalc.stack import summarize

SPECS = [L.Conv2D(4, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dropout(0.3), L.Dense(16), L.ReLU(),
         L.Dense(3), L.Softmax()]
SHAPE = (1, 8, 8)


def _data(n=96, seed=0):
    """Three learnable classes: bright top, bright bottom, dark."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.uniform(0, 0.3, (n, *SHAPE)).astype(np.float32)
    x[y == 0, :, :4] += 0.7
    x[y == 1, :, 4:] += 0.7
    return x, y


def _model(seed=0, **compile_options):
    model = Sequential(SPECS, SHAPE, seed=seed, init="he_normal", kernel_regularizer=L2(1e-4))
    options = {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy", "lr": 0.05, "momentum": 0.9}
    options.update(compile_options)
    model.compile(**options)
    return model


def _same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


def test_model_learns_and_reports_keras_style_history():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, batch_size=16, epochs=8, validation_split=0.25)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "seconds"]
    assert history.epochs[-1]["accuracy"] > 0.9 and history.epochs[-1]["val_accuracy"] > 0.9
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]
    logs = model.evaluate(x[72:], y[72:])
    assert logs["accuracy"] == pytest.approx(history.epochs[-1]["val_accuracy"])
    assert logs["loss"] == pytest.approx(history.epochs[-1]["val_loss"])
    probs = model.predict(x)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_same_seed_same_run_different_seed_different_run():
    x, y = _data()
    a, b, c = _model(seed=1), _model(seed=1), _model(seed=2)
    for m in (a, b, c):
        m.fit(x, y, batch_size=16, epochs=2)
    _same_weights(a, b)
    assert not np.array_equal(a.get_weights()["0.weight"], c.get_weights()["0.weight"])


def test_summary_is_the_stack_table():
    model = Sequential.from_spec("hw5")
    assert model.summary() == summarize(*__import__("convcalc.presets", fromlist=["preset"]).preset("hw5"))
    assert model.count_params() == model.summary().total_params == 542230
    for module_shape, row in zip(model.shapes[1:], model.summary().layers):
        assert module_shape == row.output_shape


def test_engine_output_shapes_equal_the_stack_predictions():
    model = Sequential.from_spec("lenet5", fuse=False)  # every module as written
    x = np.zeros((2, 1, 32, 32), np.float32)
    for module, row in zip(model.modules, model.summary().layers):
        x = module.forward(x)
        assert x.shape[1:] == row.output_shape


def test_save_load_round_trip(tmp_path):
    x, y = _data()
    model = Sequential(SPECS, SHAPE, seed=0, kernel_regularizer=L2(1e-3))
    model.compile("adam", "sparse_categorical_crossentropy", lr=1e-3)
    model.fit(x, y, batch_size=16, epochs=1)
    path = tmp_path / "m.npz"
    model.save(path, extra={"note": "hello"})
    loaded = Sequential.load(path)
    _same_weights(model, loaded)
    assert loaded.layers == model.layers and loaded.input_shape == model.input_shape
    assert loaded.optimizer.config() == model.optimizer.config() and loaded.optimizer.iterations == 6
    assert loaded.kernel_regularizer.l2 == 1e-3 and loaded.extra == {"note": "hello"}
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # continuing both gives the same weights: the Adam moments were saved too
    model.fit(x, y, batch_size=16, epochs=1, seed=5)
    loaded.fit(x, y, batch_size=16, epochs=1, seed=5)
    _same_weights(model, loaded)
    assert not list(tmp_path.glob(".*tmp"))  # the temporary file was moved into place


def test_load_rejects_files_that_are_not_models(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ConvCalcError, match="not a convcalc model"):
        Sequential.load(tmp_path / "other.npz")
    with pytest.raises(ConvCalcError, match="not a readable"):
        Sequential.load(tmp_path / "junk.npz")
    with pytest.raises(ConvCalcError, match="No saved model"):
        Sequential.load(tmp_path / "missing.npz")


def test_divergence_stops_with_a_clear_error_and_restores_the_last_good_epoch(tmp_path):
    x, y = _data()
    model = _model(lr=0.01, momentum=0.0)
    path = tmp_path / "ckpt.npz"

    class Explode(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                self.model.optimizer.lr = 1e30  # the next steps overflow to inf, then NaN

    with pytest.raises(TrainingDiverged, match=r"loss became (nan|inf) at epoch 3.*learning rate lr=1e\+30") as info:
        model.fit(x, y, batch_size=16, epochs=5, callbacks=[Explode()], checkpoint=path)
    assert len(info.value.history.epochs) == 2 and isinstance(info.value, ConvCalcError)
    good = Sequential.load(path)  # the checkpoint still holds epoch 2
    assert good.resume_state["epoch"] == 2
    _same_weights(model, good)
    assert all(np.isfinite(v).all() for v in model.get_weights().values())


class InterruptAfter(Callback):
    """Raise KeyboardInterrupt after ``k`` batches in total (as a Ctrl-C between two steps)."""

    def __init__(self, k):
        self.k, self.count = k, 0

    def on_batch_end(self, batch, logs):
        self.count += 1
        if self.count == self.k:
            raise KeyboardInterrupt


@pytest.mark.parametrize("k", [1, 5, 6, 13], ids=["first_batch", "mid_epoch", "epoch_end", "later_epoch"])
def test_interrupt_and_resume_is_bit_for_bit(tmp_path, k):
    x, y = _data(90)  # 6 batches of 16 per epoch, the last one of 10
    reference = _model()
    expected = reference.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:20], y[:20]))

    model = _model()
    path = tmp_path / "interrupted.npz"
    with pytest.raises(TrainingInterrupted) as info:
        model.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:20], y[:20]), callbacks=[InterruptAfter(k)],
                  checkpoint=path)
    assert isinstance(info.value, KeyboardInterrupt) and info.value.checkpoint == path
    assert (info.value.state["epoch"], info.value.state["batch"]) == ((k - 1) // 6, (k - 1) % 6 + 1)
    resumed = Sequential.load(path)
    history = resumed.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:20], y[:20]), resume=True)
    _same_weights(reference, resumed)
    for got, want in zip(history.epochs, expected.epochs):
        assert {k: v for k, v in got.items() if k != "seconds"} == {k: v for k, v in want.items() if k != "seconds"}
    assert resumed.resume_state is None


def test_resume_needs_the_same_data_and_batch_size(tmp_path):
    x, y = _data(64)
    model = _model()
    with pytest.raises(TrainingInterrupted):
        model.fit(x, y, batch_size=16, epochs=2, callbacks=[InterruptAfter(2)], checkpoint=tmp_path / "c.npz")
    resumed = Sequential.load(tmp_path / "c.npz")
    with pytest.raises(ConvCalcError, match="batch_size=16"):
        resumed.fit(x, y, batch_size=8, epochs=2, resume=True)
    with pytest.raises(ConvCalcError, match="no resume point"):
        _model().fit(x, y, resume=True)


def test_early_stopping_follows_keras_patience():
    x, y = _data()
    losses = iter([1.0, 0.5, 0.6, 0.55, 0.4, 0.3])

    class FakeValLoss(Callback):
        def on_epoch_end(self, epoch, logs):
            logs_val = next(losses)
            stopper.on_epoch_end(epoch, {"val_loss": logs_val})

    stopper = EarlyStopping(patience=2)
    model = _model()
    stopper.set_model(model)
    history = model.fit(x, y, batch_size=32, epochs=6, callbacks=[FakeValLoss()])
    # best 0.5 at epoch 1; epochs 2 and 3 do not improve: stop after epoch 3 (4 epochs run)
    assert len(history.epochs) == 4 and history.stopped_early and stopper.stopped_epoch == 3


def test_early_stopping_restores_the_best_weights_and_needs_its_monitor():
    x, y = _data()
    model = _model(lr=0.5)
    stopper = EarlyStopping(monitor="loss", patience=0, restore_best_weights=True, min_delta=10.0)
    model.fit(x, y, batch_size=32, epochs=3, callbacks=[stopper])
    assert stopper.stopped_epoch == 1
    with pytest.raises(ConvCalcError, match="monitors 'val_loss'.*validation"):
        _model().fit(x, y, epochs=1, callbacks=[EarlyStopping()])


def test_model_checkpoint_saves_the_best_epoch(tmp_path):
    x, y = _data()
    path = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(path, monitor="val_accuracy")
    model = _model()
    seen = []
    model.fit(x, y, batch_size=16, epochs=4, validation_split=0.25, callbacks=[
        checkpoint, LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["val_accuracy"]))])
    best = max(range(4), key=lambda i: (seen[i], -i))
    assert checkpoint.saved_epochs[-1] == best
    assert Sequential.load(path).evaluate(x[72:], y[72:])["accuracy"] == pytest.approx(seen[best])


def test_history_json_round_trip(tmp_path):
    history = History([{"loss": 1.0, "accuracy": 0.5, "seconds": 0.1}], meta={"model": "hw5"})
    history.save(tmp_path / "h.json")
    assert json.loads((tmp_path / "h.json").read_text())["model"] == "hw5"
    assert History.load(tmp_path / "h.json") == history


def test_one_hot_targets_with_categorical_crossentropy():
    x, y = _data()
    model = _model(loss="categorical_crossentropy")
    history = model.fit(x, np.eye(3, dtype=np.float32)[y], batch_size=16, epochs=3)
    assert history.epochs[-1]["accuracy"] > 0.6
    with pytest.raises(ConvCalcError, match="sparse_categorical_crossentropy"):
        model.fit(x, y, epochs=1)


@pytest.mark.parametrize("call,match", [
    (lambda m, x, y: m.fit(x, y, batch_size=0), "batch_size"),
    (lambda m, x, y: m.fit(x, y, epochs=0), "epochs"),
    (lambda m, x, y: m.fit(x[:, :, :4], y), r"expects inputs of shape \(N, 1, 8, 8\)"),
    (lambda m, x, y: m.fit(x, y[:5]), "96 samples but y has 5"),
    (lambda m, x, y: m.fit(x, y, validation_split=1.5), "validation_split"),
    (lambda m, x, y: m.compile("rmsprop"), "optimizer"),
    (lambda m, x, y: m.compile("sgd", "hinge"), "loss"),
    (lambda m, x, y: m.compile("sgd", lr=-1), "lr"),
    (lambda m, x, y: m.compile("sgd", momentum=1.0), "momentum"),
    (lambda m, x, y: m.compile("sgd", nesterov=True), "nesterov"),
    (lambda m, x, y: m.compile("adam", beta1=1.0), "beta1"),
    (lambda m, x, y: m.compile("adam", eps=0), "eps"),
    (lambda m, x, y: m.compile("sgd", metrics=["f1"]), "metrics"),
], ids=["batch_size", "epochs", "shape", "lengths", "split", "optimizer", "loss", "lr", "momentum", "nesterov",
        "beta1", "eps", "metrics"])
def test_bad_arguments_raise_convcalc_errors(call, match):
    x, y = _data()
    with pytest.raises(ConvCalcError, match=match):
        call(_model(), x, y)


def test_bad_models_raise_convcalc_errors():
    with pytest.raises(ConvCalcError, match="layer 3"):
        Sequential([L.Conv2D(2, 3), L.ReLU(), L.Flatten(), L.Conv2D(2, 3)], SHAPE)
    with pytest.raises(ConvCalcError, match="init"):
        Sequential(SPECS, SHAPE, init="lecun_fancy")
    with pytest.raises(ConvCalcError, match="compile"):
        Sequential(SPECS, SHAPE).fit(*_data())
    with pytest.raises(ConvCalcError, match="seed"):
        Sequential(SPECS, SHAPE, seed=-1)


def test_ones_initialisation_cannot_break_symmetry():
    """Keras Ones(): every filter and unit starts (and stays) identical, the seed's failed run."""
    x, y = _data()
    model = Sequential([s for s in SPECS if not isinstance(s, L.Dropout)], SHAPE, init="ones", seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", lr=5e-4)
    model.fit(x, y, batch_size=16, epochs=2)
    w = model.modules[0].params["weight"]
    np.testing.assert_allclose(w, np.broadcast_to(w[:1], w.shape))


def test_binary_classifier_with_sigmoid_and_bce():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float32)[:, None]
    model = Sequential([L.Dense(1), L.Sigmoid()], (2,), seed=0)
    model.compile("adam", "binary_crossentropy", lr=0.05)
    history = model.fit(x, y, batch_size=20, epochs=10)
    assert history.epochs[-1]["accuracy"] > 0.95  # a probability above 0.5 counts as class 1


def test_regression_without_metrics():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((128, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)) + 0.3
    model = Sequential([L.Dense(1)], (3,), seed=0)
    model.compile("sgd", "mse", metrics=(), lr=0.1)
    history = model.fit(x, y, batch_size=16, epochs=30)
    assert set(history.epochs[-1]) == {"loss", "seconds"} and history.epochs[-1]["loss"] < 1e-4
    np.testing.assert_allclose(model.modules[0].params["weight"], [[1.0, -2.0, 0.5]], atol=1e-2)
    assert set(model.evaluate(x, y)) == {"loss"}


def test_fuse_must_be_a_bool():
    with pytest.raises(ConvCalcError, match="'fuse'.*True or False"):
        Sequential(SPECS, SHAPE, fuse="yes")
