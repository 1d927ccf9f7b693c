"""Kernel regularizers with Keras semantics: a penalty added to the loss.

``L1(l1)`` adds ``l1 * sum(|w|)``, ``L2(l2)`` adds ``l2 * sum(w**2)`` and
``L1L2(l1, l2)`` both, for every kernel (convolution and dense weights, never
biases), as ``keras.regularizers``. The model adds the penalty to the loss it
reports and its gradient (``l1 * sign(w)``, ``2 * l2 * w``) to the kernel
gradients before the optimiser step. Note the factor 2: Keras's ``L2(0.001)``
is PyTorch's ``weight_decay=0.002`` on the kernels.

Examples
--------
>>> import numpy as np
>>> reg = L2(0.001)
>>> w = np.array([1.0, -2.0])
>>> reg.penalty(w), reg.gradient(w)
(0.005, array([ 0.002, -0.004]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convcalc.errors import invalid

__all__ = ["Regularizer", "L1", "L2", "L1L2", "get_regularizer"]


def _strength(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not np.isfinite(value) or value < 0:
        raise invalid(name, value, "a finite number >= 0")
    return float(value)


class Regularizer:
    """``l1 * sum(|w|) + l2 * sum(w**2)``; subclasses only set the defaults."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _strength("l1", l1)
        self.l2 = _strength("l2", l2)

    def penalty(self, w: np.ndarray) -> float:
        """The value added to the loss."""
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.sum(np.abs(w), dtype=np.float64))
        if self.l2:
            total += self.l2 * float(np.sum(np.square(w, dtype=np.float64)))
        return total

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """``d penalty / dw``: ``l1 * sign(w) + 2 * l2 * w``."""
        g = np.zeros_like(w)
        if self.l1:
            g += w.dtype.type(self.l1) * np.sign(w)
        if self.l2:
            g += w.dtype.type(2 * self.l2) * w
        return g

    def add_gradient(self, w: np.ndarray, grad: np.ndarray) -> None:
        """``grad += d penalty / dw``, in place."""
        if self.l1:
            grad += w.dtype.type(self.l1) * np.sign(w)
        if self.l2:
            grad += w.dtype.type(2 * self.l2) * w

    def config(self) -> dict[str, Any]:
        """``{"l1": ..., "l2": ...}``."""
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        parts = [f"l1={self.l1:g}"] * bool(self.l1) + [f"l2={self.l2:g}"] * bool(self.l2)
        return f"{type(self).__name__}({', '.join(parts)})"


class L1(Regularizer):
    """``l1 * sum(|w|)``, Keras ``regularizers.L1``."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)


class L2(Regularizer):
    """``l2 * sum(w**2)``, Keras ``regularizers.L2`` (the seed's ``L2(0.001)``)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``, Keras ``regularizers.L1L2``."""


def get_regularizer(reg: Regularizer | dict[str, float] | None) -> Regularizer | None:
    """A :class:`Regularizer` from an instance, a ``{"l1": .., "l2": ..}`` dict, or None."""
    if reg is None or isinstance(reg, Regularizer):
        return reg
    if isinstance(reg, dict) and set(reg) <= {"l1", "l2"}:
        return L1L2(**reg)
    raise invalid("kernel_regularizer", reg, "None, a Regularizer such as L2(0.001), or {'l1': .., 'l2': ..}")
