"""How a training run stops early: divergence, Ctrl-C, and the deferred Ctrl-C between two steps.

:class:`TrainingDiverged` (a ``ConvCalcError``) is raised when the loss becomes NaN or
infinite; :class:`TrainingInterrupted` (a ``KeyboardInterrupt``) on Ctrl-C, with the resume
point and where it was saved. :class:`DeferInterrupt` turns the first SIGINT into a flag that
the training loop checks between two optimiser steps (a second one interrupts at once).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.nn.callbacks import History

__all__ = ["TrainingDiverged", "TrainingInterrupted", "DeferInterrupt"]


class TrainingDiverged(ConvCalcError):
    """The loss became NaN or infinite. ``history`` holds the finished epochs; ``epoch``/``batch`` say where."""

    def __init__(self, message: str, history: History, epoch: int, batch: int) -> None:
        super().__init__(message)
        self.history, self.epoch, self.batch = history, epoch, batch


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :meth:`Sequential.fit`.

    ``checkpoint`` is the path the resume point was saved to (None when no
    checkpoint path was given or the interruption was not at a batch boundary),
    ``state`` the resume point itself (also in ``model.resume_state``), ``history``
    the finished epochs.
    """

    def __init__(self, checkpoint: str | os.PathLike[str] | None, state: dict[str, Any] | None,
                 history: History) -> None:
        super().__init__("training interrupted")
        self.checkpoint, self.state, self.history = checkpoint, state, history


class DeferInterrupt:
    """Turn the first SIGINT into a flag (checked between batches); a second one interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self._old: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> DeferInterrupt:
        if threading.current_thread() is threading.main_thread():
            try:
                self._old = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except ValueError:  # pragma: no cover - not the main interpreter
                self._installed = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._old)
