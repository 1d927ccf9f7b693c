"""The training loop behind :meth:`Sequential.fit`: steps, validation, divergence, Ctrl-C and resume.

:func:`fit` reads top to bottom: a :class:`_Run` holds the data and the position (epoch,
next batch, sample order, running sums), is reseeded or restored from a resume point,
``begin`` starts the callbacks, ``train`` runs ``begin_epoch``, ``train_batch`` for each
batch and ``end_epoch`` (validation, history, callbacks, checkpoint) for every epoch, and
``finish`` (or ``interrupted`` on Ctrl-C) ends it.

One step: forward through every module (stopping before a final Softmax when
the loss is a fused cross-entropy; a cross-entropy after a final Dense layer
takes its logits, see :attr:`Sequential.loss_input`), the loss and its gradient, backward in
reverse order, the regularizer's gradient added to the kernels, one optimiser
step. The loss of every batch is checked: a NaN or infinite loss stops
training with :class:`TrainingDiverged`, and the weights and optimiser state
go back to the end of the last good epoch.

**Ctrl-C.** While :func:`fit` runs, the first SIGINT only sets a flag, checked
after each batch, so the interruption always lands between two optimiser steps
(a second Ctrl-C interrupts at once, without a checkpoint). At that boundary
the model is saved with its *resume point*: epoch, next batch, the epoch's
sample order, the states of the shuffling and dropout generators, the epoch's
running sums and the history so far. ``Sequential.load(path)`` then
``fit(..., resume=True)`` replays nothing and skips nothing: the remaining
batches see exactly the weights, optimiser state and random numbers they would
have seen, so the final weights are bit-for-bit those of an uninterrupted run.
The resume point also holds the callbacks' states (:meth:`Callback.get_state`:
early stopping's best value, epochs waited, stopped epoch and best weights;
the best value and saved epochs of a best-only :class:`ModelCheckpoint`), put back
after ``on_train_begin``, so a resumed run stops at the same epoch and keeps the
same best model. They are matched by class name and occurrence
(``"EarlyStopping#0"``): states no callback matches are ignored, callbacks
without a saved state (or a resume point written before states were saved) keep
their fresh state. A run that early stopping ended is finished: resuming its last
checkpoint trains no further epoch.
"""

from __future__ import annotations

import math
import os
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from convcalc.errors import ConvCalcError, invalid
from convcalc.nn.callbacks import Callback, History, callback_states, restore_callback_states
from convcalc.nn.interrupts import DeferInterrupt, TrainingDiverged, TrainingInterrupted
from convcalc.nn.perf import blas_threads
from convcalc.nn.serialize import check_train_state

if TYPE_CHECKING:  # pragma: no cover
    from convcalc.nn.model import Sequential

__all__ = ["TrainingDiverged", "TrainingInterrupted", "fit", "evaluate"]


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise invalid(name, value, f"an int >= {low}")
    return int(value)


def _labels(y: np.ndarray) -> np.ndarray:
    """Class indices for accuracy: ``y`` itself, or the argmax of one-hot rows."""
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]


def _correct(out: np.ndarray, labels: np.ndarray, fused: bool) -> int:
    if out.ndim == 2 and out.shape[1] > 1:
        return int(np.count_nonzero(out.argmax(axis=1) == labels))
    flat = out.reshape(len(out))
    return int(np.count_nonzero((flat > (0 if fused else 0.5)) == (labels > 0.5)))


def _penalty(model: Sequential) -> float:
    reg = model.kernel_regularizer
    if reg is None:
        return 0.0
    return sum(reg.penalty(m.params[k]) for m in model.modules for k in m.regularized if k in m.params)


def _step(model: Sequential, xb: np.ndarray, yb: np.ndarray, params: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """One optimiser step on a batch; returns the batch loss (without penalty) and the outputs."""
    out = model.forward(xb, True, stop=model.loss_stop)
    loss, d = model.loss.from_logits(out, yb) if model.from_logits else model.loss(out, yb)
    model.backward(d, stop=model.loss_stop)
    modules = model.modules[:model.loss_stop]  # the gradients, named as the parameters (fused steps share them)
    grads = {f"{i}.{k}": g for i, m in enumerate(modules) for k, g in m.grads.items()}
    reg = model.kernel_regularizer
    if reg is not None:
        for i, m in enumerate(modules):
            for k in m.regularized:
                if k in m.params:
                    reg.add_gradient(m.params[k], grads[f"{i}.{k}"])
    model.optimizer.step(params, grads)
    return loss, out


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> dict[str, float]:
    """Mean loss (plus the regularizer's penalty) and accuracy of ``model`` on ``(x, y)``."""
    if len(y) != len(x):
        raise ConvCalcError(f"x has {len(x)} samples but y has {len(y)}.")
    if len(x) == 0:
        raise ConvCalcError("Cannot evaluate on an empty set.")
    labels = _labels(y)
    stop, logits = model.loss_stop, model.from_logits
    total, correct = 0.0, 0
    for i in range(0, len(x), batch_size):
        out = model.forward(x[i:i + batch_size], stop=stop)
        yb = y[i:i + batch_size]
        loss, _ = model.loss.from_logits(out, yb) if logits else model.loss(out, yb)
        total += loss * len(yb)
        correct += _correct(out, labels[i:i + batch_size], logits)
    logs = {"loss": total / len(x) + _penalty(model)}
    if "accuracy" in model.metrics:
        logs["accuracy"] = correct / len(x)
    return logs


def _split(model: Sequential, x: np.ndarray, y: np.ndarray, validation_data: Any,
           validation_split: float) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    x = model.check_input(x)
    y = np.asarray(y)
    if len(y) != len(x):
        raise ConvCalcError(f"x has {len(x)} samples but y has {len(y)}.")
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0 <= validation_split < 1:
        raise invalid("validation_split", validation_split, "a number in [0, 1)")
    if validation_split and validation_data is not None:
        raise ConvCalcError("Pass validation_data or validation_split, not both.")
    if validation_split:
        cut = int(len(x) * (1 - validation_split))  # Keras: the last samples, before shuffling
        if cut < 1 or cut == len(x):
            raise invalid("validation_split", validation_split, f"a fraction leaving samples on both sides of {len(x)}")
        return x[:cut], y[:cut], (x[cut:], y[cut:])
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise invalid("validation_data", type(validation_data).__name__, "a pair (x_val, y_val)")
        return x, y, (model.check_input(validation_data[0], "x_val"), np.asarray(validation_data[1]))
    return x, y, None


def _rng_state(rng: np.random.Generator) -> dict[str, Any]:
    return rng.bit_generator.state


def _fresh_sums() -> dict[str, Any]:
    """The running sums of an epoch: what its logs are computed from (also part of a resume point)."""
    return {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}


class _Run:
    """One call of :func:`fit`: its data, its position (epoch, batch, sample order, running sums) and its
    steps, each a method, in the order :meth:`train` calls them."""

    def __init__(self, model: Sequential, x: np.ndarray, y: np.ndarray, val: tuple[np.ndarray, np.ndarray] | None,
                 batch_size: int, epochs: int, callbacks: list[Callback], shuffle: bool,
                 checkpoint: str | os.PathLike[str] | None) -> None:
        self.model, self.x, self.y, self.val = model, x, y, val
        self.labels = _labels(y)
        self.batch_size, self.epochs, self.end = batch_size, epochs, epochs
        self.callbacks, self.shuffle, self.checkpoint = callbacks, bool(shuffle), checkpoint
        self.n = len(x)
        self.batches = math.ceil(self.n / batch_size)
        self.history = History()
        self.epoch0, self.batch0 = 0, 0
        self.perm: np.ndarray | None = None
        self.sums = _fresh_sums()
        #: Where a Ctrl-C would resume: (epoch, next batch), or None in the middle of a step.
        self.boundary: tuple[int, int] | None = None

    # ---------------------------------------------------------------- before the first epoch
    def reseed(self, seed: int) -> None:
        """``fit(seed=...)``: new shuffling and dropout streams."""
        shuffle_seq, dropout_seq = np.random.SeedSequence(_check_int("seed", seed, 0)).spawn(2)
        self.model.shuffle_rng.bit_generator.state = np.random.default_rng(shuffle_seq).bit_generator.state
        self.model.dropout_rng.bit_generator.state = np.random.default_rng(dropout_seq).bit_generator.state

    def restore(self) -> None:
        """Take the position back from the model's resume point."""
        st = self.model.resume_state
        if st is None:
            raise ConvCalcError("resume=True but the model has no resume point; load it with Sequential.load(path) "
                                "from a checkpoint written by an interrupted fit.")
        check_train_state(st, st.get("perm"), self.model.loaded_from or "the model's resume point")
        if (st["samples"], st["batch_size"], st["shuffle"]) != (self.n, self.batch_size, self.shuffle):
            raise ConvCalcError(
                f"The checkpoint was trained on {st['samples']} samples, batch_size={st['batch_size']}, "
                f"shuffle={st['shuffle']}; this fit has {self.n}, {self.batch_size}, {self.shuffle}. Resume with "
                "the same data and settings.")
        self.epoch0, self.batch0, self.perm = st["epoch"], st["batch"], st.get("perm")
        self.model.shuffle_rng.bit_generator.state = st["shuffle_rng"]
        self.model.dropout_rng.bit_generator.state = st["dropout_rng"]
        self.sums = {k: st[k] for k in self.sums}
        self.history.epochs = [dict(e) for e in st["history"]]
        if st.get("stopped"):  # early stopping had ended the run
            self.end, self.history.stopped_early = self.epoch0, self.epoch0 < self.epochs

    def begin(self, resume: bool) -> None:
        """Snapshot the last good weights, start the callbacks (and give them back their saved states)."""
        model = self.model
        self.params = model.named_parameters()
        self.good = (model.get_weights(), model.optimizer.state_dict())
        model.stop_training = False
        for cb in self.callbacks:
            cb.set_model(model)
            cb.on_train_begin({"epochs": self.epochs, "samples": self.n, "batches": self.batches,
                               "batch_size": self.batch_size, "initial_epoch": self.epoch0})
        if resume:  # after on_train_begin, which starts callbacks afresh
            restore_callback_states(self.callbacks, model.resume_state.get("callbacks"))

    # ---------------------------------------------------------------- the loop
    def train(self, sigint: DeferInterrupt) -> None:
        """Every remaining epoch: its batches, then its end (validation, callbacks, checkpoint)."""
        for epoch in range(self.epoch0, self.end):
            start = self.begin_epoch(epoch)
            for b in range(self.batch0, self.batches):
                self.train_batch(epoch, b, start)
                if sigint.requested:
                    raise KeyboardInterrupt
            if self.end_epoch(epoch, start):
                break

    def begin_epoch(self, epoch: int) -> float:
        """The epoch's sample order; returns its start time (earlier by the seconds a resumed epoch already ran)."""
        if self.perm is None:
            self.perm = self.model.shuffle_rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        self.boundary = (epoch, self.batch0)
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, {"batches": self.batches, "samples": self.n})
        return time.perf_counter() - self.sums["seconds"]

    def train_batch(self, epoch: int, b: int, start: float) -> None:
        """One optimiser step on batch ``b``; a NaN/inf loss puts the last good epoch back and raises."""
        idx = self.perm[b * self.batch_size:(b + 1) * self.batch_size]
        self.boundary = None
        loss, out = _step(self.model, self.x[idx], self.y[idx], self.params)
        if not math.isfinite(loss):
            self.diverged(loss, epoch, b)
        sums = self.sums
        sums["loss_sum"] += loss * len(idx)
        sums["correct"] += _correct(out, self.labels[idx], self.model.from_logits)
        sums["seen"] += len(idx)
        self.boundary = (epoch, b + 1)
        sums["seconds"] = time.perf_counter() - start
        logs = {"loss": sums["loss_sum"] / sums["seen"], "accuracy": sums["correct"] / sums["seen"],
                "seen": sums["seen"], "samples": self.n, "batches": self.batches, "size": len(idx)}
        for cb in self.callbacks:
            cb.on_batch_end(b, logs)

    def diverged(self, loss: float, epoch: int, b: int) -> None:
        model = self.model
        model.set_weights(self.good[0])
        model.optimizer.load_state_dict(self.good[1])
        last = f"the end of epoch {epoch}" if epoch else "their initial values"
        reg = model.kernel_regularizer
        factors = [f"{name}={getattr(reg, name):g}" for name in ("l1", "l2") if getattr(reg, name, 0)]
        suspects = f"learning rate lr={model.optimizer.lr:g}" + "".join(
            f" or regularization factor {factor}" for factor in factors)
        raise TrainingDiverged(
            f"Training diverged: the loss became {loss} at epoch {epoch + 1}, batch {b + 1} of "
            f"{self.batches} (the {suspects} is probably too large). The weights "
            f"were put back to {last}.", self.history, epoch, b)

    def epoch_logs(self, start: float) -> dict[str, float]:
        """The epoch's loss (with the regularizer's penalty) and accuracy, then the validation pair."""
        model, sums = self.model, self.sums
        logs = {"loss": sums["loss_sum"] / sums["seen"] + _penalty(model)}
        if "accuracy" in model.metrics:
            logs["accuracy"] = sums["correct"] / sums["seen"]
        if self.val is not None:
            logs.update({f"val_{k}": v for k, v in evaluate(model, *self.val, max(self.batch_size, 256)).items()})
        logs["seconds"] = time.perf_counter() - start
        return logs

    def end_epoch(self, epoch: int, start: float) -> bool:
        """Validation, history, callbacks, the last-good snapshot and the checkpoint; True to stop training."""
        model = self.model
        self.boundary = None
        logs = self.epoch_logs(start)
        self.history.epochs.append(logs)
        self.perm, self.batch0, self.sums = None, 0, _fresh_sums()
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, dict(logs))
        self.good = (model.get_weights(), model.optimizer.state_dict())
        if self.checkpoint is not None:
            try:
                model.save(self.checkpoint, state=self.state(epoch + 1, 0), extra=model.extra)
            except ConvCalcError as error:  # e.g. a full disk: keep training, say so at the end
                self.history.problems.append(str(error))
        self.boundary = (epoch + 1, 0)
        if model.stop_training:
            self.history.stopped_early = epoch + 1 < self.epochs
            return True
        return False

    # ---------------------------------------------------------------- resume points
    def state(self, epoch: int, batch: int) -> dict[str, Any]:
        """The resume point at (epoch, next batch)."""
        model = self.model
        return {"epoch": epoch, "batch": batch, "samples": self.n, "batch_size": self.batch_size,
                "shuffle": self.shuffle, "shuffle_rng": _rng_state(model.shuffle_rng),
                "dropout_rng": _rng_state(model.dropout_rng), **self.sums,
                "history": [dict(e) for e in self.history.epochs], "perm": self.perm,
                "callbacks": callback_states(self.callbacks), "stopped": batch == 0 and bool(model.stop_training)}

    def interrupted(self) -> TrainingInterrupted:
        """Ctrl-C: the resume point at the last boundary (saved to the checkpoint), or none mid-step."""
        if self.boundary is None:
            self.model.resume_state = None
            return TrainingInterrupted(None, None, self.history)
        point = self.state(*self.boundary)
        self.model.resume_state = point
        if self.checkpoint is None:
            return TrainingInterrupted(None, point, self.history)
        try:
            self.model.save(self.checkpoint, state=point, extra=self.model.extra)
        except ConvCalcError as error:  # e.g. a full disk: the resume point stays in model.resume_state
            self.history.problems.append(str(error))
            return TrainingInterrupted(None, point, self.history)
        return TrainingInterrupted(self.checkpoint, point, self.history)

    def finish(self) -> History:
        self.model.resume_state = None
        for cb in self.callbacks:
            cb.on_train_end({"history": self.history})
        return self.history


def fit(model: Sequential, x: np.ndarray, y: np.ndarray, *, batch_size: int, epochs: int, validation_data: Any,
        validation_split: float, callbacks: list[Callback], shuffle: bool, seed: int | None,
        checkpoint: str | os.PathLike[str] | None, resume: bool) -> History:
    """See :meth:`Sequential.fit`."""
    batch_size = _check_int("batch_size", batch_size, 1)
    epochs = _check_int("epochs", epochs, 1)
    x, y, val = _split(model, x, y, validation_data, validation_split)
    if len(x) == 0:
        raise ConvCalcError("Cannot train on an empty set.")
    run = _Run(model, x, y, val, batch_size, epochs, callbacks, shuffle, checkpoint)
    if seed is not None:
        run.reseed(seed)
    if resume:
        run.restore()
    run.begin(resume)
    # overflow on the way to a diverging loss is reported once, as TrainingDiverged, not as warnings
    with DeferInterrupt() as sigint, np.errstate(over="ignore", invalid="ignore", divide="ignore"), blas_threads():
        try:
            run.train(sigint)
        except KeyboardInterrupt:
            raise run.interrupted() from None
    return run.finish()
