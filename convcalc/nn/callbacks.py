"""Training callbacks and the history a fit returns.

A :class:`Callback` gets the model (``set_model``) and is called at the start
and end of training, of each epoch, and after each batch. The library never
prints: progress bars are callbacks that the command line supplies.
:class:`EarlyStopping` and :class:`ModelCheckpoint` follow Keras's semantics.

``logs`` passed to the hooks:

- ``on_batch_end(batch, logs)``: ``loss`` and ``accuracy`` (running means over
  the epoch so far), ``seen`` (samples this epoch), ``samples`` (per epoch),
  ``batches`` (per epoch), ``size`` (this batch);
- ``on_epoch_end(epoch, logs)``: ``loss``, ``accuracy``, ``val_loss``,
  ``val_accuracy`` (when there is validation data) and ``seconds``.

**State in resume points.** A callback that carries training state between
epochs returns it from :meth:`Callback.get_state` (a dict of JSON values and
NumPy arrays) and takes it back in :meth:`Callback.set_state`. :meth:`Sequential.fit`
stores :func:`callback_states` in every resume point and, on ``resume=True``,
hands them back with :func:`restore_callback_states` after ``set_model`` and
``on_train_begin``. States are keyed by class name and occurrence among the
callbacks of that class (``"EarlyStopping#0"``), so other callbacks (progress
bars) may come and go between the run and its resume; a saved state no callback
matches is ignored, and a callback with no saved state keeps its fresh one.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from convcalc.errors import ConvCalcError, invalid

if TYPE_CHECKING:  # pragma: no cover
    from convcalc.nn.model import Sequential

__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "LambdaCallback", "callback_states",
           "restore_callback_states"]

#: Keys of one epoch in a :class:`History`, in order.
EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


class Callback:
    """Base class: every hook does nothing. ``self.model`` is the model being trained."""

    model: Sequential | None = None

    def set_model(self, model: Sequential) -> None:
        """Called once before training."""
        self.model = model

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        """Before the first batch (``logs`` has ``epochs``, ``samples``, ``batches``, ``initial_epoch``)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        """Before epoch ``epoch`` (0-based)."""

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        """After the optimiser step of batch ``batch`` (0-based within the epoch)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        """After the epoch and its validation."""

    def on_train_end(self, logs: dict[str, Any]) -> None:
        """After the last epoch, or when training stops early."""

    def get_state(self) -> dict[str, Any]:
        """The training state a resume point keeps (JSON values and NumPy arrays); none here."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back a :meth:`get_state` of an interrupted run (called after ``on_train_begin``)."""


def _callback_keys(callbacks: list[Callback]) -> list[str]:
    """``"<class name>#<occurrence among callbacks of that class>"`` for each callback, in order."""
    seen: dict[str, int] = {}
    keys = []
    for cb in callbacks:
        name = type(cb).__name__
        keys.append(f"{name}#{seen.get(name, 0)}")
        seen[name] = seen.get(name, 0) + 1
    return keys


def callback_states(callbacks: list[Callback]) -> dict[str, dict[str, Any]]:
    """``{"EarlyStopping#0": {...}, ...}``: the non-empty :meth:`Callback.get_state` of each callback.

    Examples
    --------
    >>> callback_states([LambdaCallback(), EarlyStopping(patience=2)])
    {'EarlyStopping#0': {'monitor': 'val_loss', 'mode': 'min', 'best': inf, 'wait': 0, 'stopped_epoch': None}}
    """
    states = {key: cb.get_state() for key, cb in zip(_callback_keys(callbacks), callbacks)}
    return {key: state for key, state in states.items() if state}


def restore_callback_states(callbacks: list[Callback], states: dict[str, dict[str, Any]] | None) -> list[str]:
    """Give each callback its saved state (matched as in :func:`callback_states`); returns the keys given.

    Saved states that match no callback are ignored, and so are callbacks with none (a
    resume point written before callbacks' states were saved has none at all).
    """
    if not states:
        return []
    given = []
    for key, cb in zip(_callback_keys(callbacks), callbacks):
        if isinstance(states.get(key), dict):
            cb.set_state(states[key])
            given.append(key)
    return given


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_batch_end=lambda batch, logs: ...)``."""

    def __init__(self, **hooks: Any) -> None:
        names = {"on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end"}
        for name, hook in hooks.items():
            if name not in names:
                raise invalid(name, hook, "passed as one of " + ", ".join(sorted(names)))
            setattr(self, name, hook)


@dataclass
class History:
    """What :meth:`Sequential.fit` returns: one dict per epoch with the keys of :data:`EPOCH_KEYS`.

    ``history.history`` gives Keras's view (a list per key), ``to_dict()`` /
    ``save(path)`` the JSON that ``convcalc train --history`` writes and
    ``convcalc plot`` reads.

    Examples
    --------
    >>> h = History([{"loss": 2.0, "accuracy": 0.5, "seconds": 1.0}])
    >>> h.history["loss"], h.stopped_early
    ([2.0], False)
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    #: Files that could not be written during training (a checkpoint on a full disk), one message each.
    problems: list[str] = field(default_factory=list)

    @property
    def history(self) -> dict[str, list[float]]:
        """``{"loss": [...], "accuracy": [...], ...}`` as Keras's ``History.history``."""
        keys = [k for k in EPOCH_KEYS if any(k in e for e in self.epochs)]
        return {k: [e.get(k, math.nan) for e in self.epochs] for k in keys}

    def to_dict(self) -> dict[str, Any]:
        """``{"epochs": [...], **meta}``, JSON-ready."""
        return {**self.meta, "epochs": [dict(e) for e in self.epochs], "stopped_early": self.stopped_early}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON (atomically)."""
        from convcalc.nn.files import atomic_write

        text = json.dumps(self.to_dict(), indent=2, default=_json_default).encode("utf-8")
        atomic_write(path, lambda f: f.write(text), what="the history")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> History:
        """Read a history JSON written by :meth:`save` (or any ``{"epochs": [...]}`` object)."""
        from convcalc.nn.files import regular_file

        try:
            size = regular_file(path, "read as a history")
            if size > _MAX_HISTORY_BYTES:
                raise ConvCalcError(f"The history file '{path}' is {size:,} bytes; a history is "
                                    f"far smaller (the limit is {_MAX_HISTORY_BYTES:,}).")
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except ConvCalcError:
            raise
        except (OSError, ValueError, RecursionError) as error:  # JSON and UTF-8 errors are ValueErrors
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise ConvCalcError(f"Cannot read the history file '{path}': {reason}") from None
        if not isinstance(data, dict) or not isinstance(data.get("epochs"), list):
            raise ConvCalcError(f"The history file '{path}' has no 'epochs' list; write it with convcalc train --history.")
        if len(data["epochs"]) > _MAX_HISTORY_EPOCHS:
            raise ConvCalcError(f"The history file '{path}' has {len(data['epochs']):,} epochs; convcalc reads "
                                f"histories of at most {_MAX_HISTORY_EPOCHS:,}.")
        for i, epoch in enumerate(data["epochs"], 1):
            if not isinstance(epoch, dict) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in epoch.values()):
                raise ConvCalcError(f"The history file '{path}' has an epoch {i} that is not an object of numbers.")
            if not all(math.isfinite(v) for v in epoch.values()):
                raise ConvCalcError(f"The history file '{path}' has a value that is not finite (NaN or infinite) in "
                                    f"epoch {i}; a finished run's history has none.")
        meta = {k: v for k, v in data.items() if k not in ("epochs", "stopped_early")}
        return cls(list(data["epochs"]), bool(data.get("stopped_early", False)), meta)


#: Largest history file :meth:`History.load` reads (a 1,000-epoch history is about 200 kB).
_MAX_HISTORY_BYTES = 64 * 2**20
#: Most epochs :meth:`History.load` reads (plotting 200,000 took about 10 s).
_MAX_HISTORY_EPOCHS = 10_000


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _monitor_mode(monitor: str, mode: str) -> str:
    mode = str(mode).lower()
    if mode not in ("auto", "min", "max"):
        raise invalid("mode", mode, "one of 'auto', 'min', 'max'")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


class _Monitor(Callback):
    """Tracks the best value of one logged quantity (Keras's ``monitor``/``mode``/``min_delta``)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        self.monitor = monitor
        self.mode = _monitor_mode(monitor, mode)
        self.min_delta = abs(float(min_delta))
        self.best = math.inf if self.mode == "min" else -math.inf

    def _value(self, logs: dict[str, Any]) -> float:
        if self.monitor not in logs:
            hint = "; pass validation data or monitor='loss'" if self.monitor.startswith("val_") else ""
            raise ConvCalcError(f"{type(self).__name__} monitors {self.monitor!r}, which this training does not "
                                f"log (it logs {', '.join(sorted(logs))}){hint}.")
        return float(logs[self.monitor])

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def get_state(self) -> dict[str, Any]:
        """``monitor``, ``mode`` and ``best`` (the best value so far)."""
        return {"monitor": self.monitor, "mode": self.mode, "best": self.best}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back the state, unless it monitored another quantity or direction (then keep the fresh one)."""
        if self._matches(state):
            self.best = float(state["best"])

    def _matches(self, state: dict[str, Any]) -> bool:
        return (state.get("monitor"), state.get("mode")) == (self.monitor, self.mode) and "best" in state


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (Keras semantics).

    Parameters
    ----------
    monitor : str
        A key of the epoch logs. Defaults to ``"val_loss"``.
    patience : int
        Epochs without improvement before stopping. Defaults to 0.
    min_delta : float
        Smallest change that counts as an improvement. Defaults to 0.
    mode : {"auto", "min", "max"}
        ``"auto"`` maximises accuracies and minimises the rest. Defaults to ``"auto"``.
    restore_best_weights : bool
        Put back the weights of the best epoch when stopping. Defaults to False.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False) -> None:
        super().__init__(monitor, mode, min_delta)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise invalid("patience", patience, "an int >= 0")
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_weights: dict[str, np.ndarray] | None = None

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        """Start afresh, as Keras does (a resumed fit then puts the saved state back)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.stopped_epoch, self._best_weights = 0, None, None

    def get_state(self) -> dict[str, Any]:
        """``best``, ``wait``, ``stopped_epoch`` and, with ``restore_best_weights``, ``best_weights`` (arrays)."""
        state = {**super().get_state(), "wait": self.wait, "stopped_epoch": self.stopped_epoch}
        if self.restore_best_weights and self._best_weights is not None:
            state["best_weights"] = self._best_weights
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back the state, unless it monitored another quantity or direction (then keep the fresh one)."""
        if not self._matches(state):
            return
        super().set_state(state)
        self.wait = int(state.get("wait", 0))
        stopped = state.get("stopped_epoch")
        self.stopped_epoch = None if stopped is None else int(stopped)
        weights = state.get("best_weights")
        if self.restore_best_weights and isinstance(weights, dict):
            self._best_weights = {k: np.array(v) for k, v in weights.items()}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        value = self._value(logs)
        if self._improved(value):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self._best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self._best_weights is not None:
                self.model.set_weights(self._best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model to ``path`` after an epoch, by default only when ``monitor`` improved (the best model).

    Parameters
    ----------
    path : str or os.PathLike
        Where :meth:`Sequential.save` writes (atomically).
    monitor : str
        Defaults to ``"val_loss"``.
    save_best_only : bool
        Save only on improvement. Defaults to True.
    mode : {"auto", "min", "max"}
        Defaults to ``"auto"``.
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss", save_best_only: bool = True,
                 mode: str = "auto") -> None:
        super().__init__(monitor, mode, 0.0)
        self.path = path
        self.save_best_only = save_best_only
        self.saved_epochs: list[int] = []

    def get_state(self) -> dict[str, Any]:
        """``best`` and ``saved_epochs``."""
        return {**super().get_state(), "saved_epochs": list(self.saved_epochs)}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back the state, unless it monitored another quantity or direction (then keep the fresh one)."""
        if self._matches(state):
            super().set_state(state)
            self.saved_epochs = [int(e) for e in state.get("saved_epochs", [])]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.save_best_only:
            value = self._value(logs)
            if not self._improved(value):
                return
            self.best = value
        self.model.save(self.path)
        self.saved_epochs.append(epoch)
