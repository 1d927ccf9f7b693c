"""Activation functions and their modules: relu, leaky_relu, elu, sigmoid, tanh, softmax.

Each function maps an array elementwise (softmax: over axis 1, the
feature/channel axis, PyTorch's ``dim=1``) and keeps the dtype. The modules
store their output (or input) in ``forward`` and apply the derivative in
``backward``. Derivatives at the kink follow PyTorch: ReLU passes no gradient at
0, LeakyReLU passes ``negative_slope``.

Examples
--------
>>> import numpy as np
>>> relu(np.array([-1.0, 0.0, 2.0]))
array([0., 0., 2.])
>>> np.round(softmax(np.array([[0.0, np.log(3.0)]])), 6)
array([[0.25, 0.75]])
"""

from __future__ import annotations

import numpy as np

from convcalc.nn.module import Module

__all__ = [
    "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "log_softmax",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax",
]  # fmt: skip


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``."""
    return np.maximum(x, x.dtype.type(0))


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``x if x > 0 else negative_slope * x`` (PyTorch default slope 0.01; Keras 3 uses 0.3)."""
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``x if x > 0 else alpha * (exp(x) - 1)`` (Clevert et al. 2015)."""
    return np.where(x > 0, x, x.dtype.type(alpha) * np.expm1(np.minimum(x, 0)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed as ``(1 + tanh(x/2)) / 2`` so it never overflows.

    Examples
    --------
    >>> sigmoid(np.array([0.0, -1000.0, 1000.0]))
    array([0.5, 0. , 1. ])
    """
    half = x.dtype.type(0.5)
    return half * np.tanh(half * x) + half


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(x)


def log_softmax(x: np.ndarray) -> np.ndarray:
    """``x - logsumexp(x)`` over axis 1, shifted by the maximum for stability."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(x: np.ndarray) -> np.ndarray:
    """``exp(x_i) / sum_j exp(x_j)`` over axis 1, shifted by the maximum for stability."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


class _Elementwise(Module):
    """An activation that keeps one array from ``forward`` for ``backward``."""

    def __init__(self) -> None:
        super().__init__()
        self._saved: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Elementwise):
    """``max(x, 0)``; gradient 1 where the output is positive, else 0.

    A model runs ``ReLU -> MaxPool2D`` as pool-then-ReLU (:mod:`convcalc.nn.fusion`), which gives
    the same values and gradients (``relu`` and ``max`` commute); this module itself always applies it.
    """

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out = relu(x)
        self._saved = out if training else None
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (self._saved > 0)


class LeakyReLU(_Elementwise):
    """``x if x > 0 else negative_slope * x``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._saved = x if training else None
        return leaky_relu(x, self.negative_slope)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self._saved > 0, dout, dout * dout.dtype.type(self.negative_slope))


class ELU(_Elementwise):
    """``x if x > 0 else alpha * (exp(x) - 1)``; gradient ``out + alpha`` for ``x <= 0``."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out = elu(x, self.alpha)
        self._saved = (x, out) if training else None  # type: ignore[assignment]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, out = self._saved  # type: ignore[misc]
        return np.where(x > 0, dout, dout * (out + out.dtype.type(self.alpha)))


class _SavesOutput(_Elementwise):
    """An activation whose derivative is written with its output: ``forward`` keeps ``function(x)``."""

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out = self.function(x)
        self._saved = out if training else None
        return out


class Sigmoid(_SavesOutput):
    """Logistic sigmoid; gradient ``s * (1 - s)``."""

    function = staticmethod(sigmoid)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._saved
        return dout * s * (1 - s)


class Tanh(_SavesOutput):
    """Hyperbolic tangent; gradient ``1 - t**2``."""

    function = staticmethod(np.tanh)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        t = self._saved
        return dout * (1 - t * t)


class Softmax(_SavesOutput):
    """Softmax over axis 1; gradient ``s * (dout - sum(dout * s))``.

    Before a cross-entropy loss the model skips this module and lets the loss
    work on the logits (see :mod:`convcalc.nn.losses`), which is exact and stable.
    """

    function = staticmethod(softmax)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._saved
        return s * (dout - (dout * s).sum(axis=1, keepdims=True))
