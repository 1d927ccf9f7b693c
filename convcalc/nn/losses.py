"""Loss functions with mean reduction, each returning ``(loss, dloss/dprediction)``.

Every loss is called as ``loss(y_pred, y_true) -> (value, grad)`` where
``value`` is a Python float and ``grad`` has the shape of ``y_pred``. The
reduction is the mean, as Keras and PyTorch (``reduction="mean"``) do:

- categorical cross-entropy ``-mean_n sum_k y[n, k] log p[n, k]`` (one-hot or
  soft targets ``(N, K)``); sparse categorical cross-entropy
  ``-mean_n log p[n, y[n]]`` (integer labels ``(N,)``);
- binary cross-entropy ``-mean(y log p + (1 - y) log(1 - p))``;
- mean squared error ``mean((p - y)**2)``; L1 ``mean(|p - y|)`` (over every
  element: Keras's mean over the last axis then the batch is the same number).

**Fused with softmax.** When a model ends in :class:`~convcalc.nn.Softmax` and
the loss is a cross-entropy, :class:`~convcalc.nn.Sequential` hands the loss the
*logits* instead (:meth:`CrossEntropy.from_logits`): ``log p = z - logsumexp(z)``
and ``dL/dz = (softmax(z) - y) / N``. That is PyTorch's ``CrossEntropyLoss``
exactly and never takes the log of a rounded-to-zero probability. On
probabilities (no fusion) cross-entropies clip ``p`` to ``[1e-7, 1 - 1e-7]`` as
Keras does; binary cross-entropy clamps each log at ``-100`` as PyTorch's ``BCELoss``.

Examples
--------
>>> import numpy as np
>>> loss = SparseCategoricalCrossentropy()
>>> value, grad = loss.from_logits(np.zeros((2, 4)), np.array([0, 3]))
>>> round(value, 6) == round(float(np.log(4)), 6), grad[0].tolist()
(True, [-0.375, 0.125, 0.125, 0.125])
"""

from __future__ import annotations

import numpy as np

from convcalc.errors import ConvCalcError, invalid
from convcalc.nn.activations import log_softmax, softmax

__all__ = [
    "Loss",
    "CrossEntropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "BinaryCrossentropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "get_loss",
    "LOSSES",
]

_CLIP = 1e-7  # Keras's backend epsilon, for cross-entropies on probabilities


class Loss:
    """Base: ``loss(y_pred, y_true) -> (value, grad)``; ``name`` is the Keras string name."""

    name = "loss"

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def _same_shape(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y = np.asarray(y_true)
        if y.shape != y_pred.shape:
            if y.size == y_pred.size:
                return y.reshape(y_pred.shape).astype(y_pred.dtype, copy=False)
            raise ConvCalcError(
                f"The {self.name} loss needs targets shaped like the predictions {y_pred.shape}; got {y.shape}."
            )
        return y.astype(y_pred.dtype, copy=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropy(Loss):
    """What the two categorical cross-entropies share; subclasses say how targets look."""

    def _targets(self, y_true: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Targets as an ``(N, K)`` array of class probabilities."""
        raise NotImplementedError

    def from_logits(self, logits: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss of ``softmax(logits)`` and its gradient with respect to the logits.

        ``L = -mean_n sum_k y[n, k] (z[n, k] - logsumexp(z[n]))``,
        ``dL/dz = (softmax(z) * sum_k y[n, k] - y) / N`` (``(softmax(z) - y) / N`` for one-hot targets).
        """
        y = self._targets(y_true, logits.shape, logits.dtype)
        n = logits.shape[0]
        value = -float(np.sum(y * log_softmax(logits), dtype=np.float64)) / n
        grad = softmax(logits)
        total = y.sum(axis=1, keepdims=True)  # 1 for one-hot targets
        grad *= total
        grad -= y
        grad *= logits.dtype.type(1.0 / n)
        return value, grad

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        y = self._targets(y_true, y_pred.shape, y_pred.dtype)
        n = y_pred.shape[0]
        p = np.clip(y_pred, _CLIP, 1 - _CLIP)
        value = -float(np.sum(y * np.log(p), dtype=np.float64)) / n
        grad = np.where((y_pred >= _CLIP) & (y_pred <= 1 - _CLIP), -y / p, 0).astype(y_pred.dtype)
        grad *= y_pred.dtype.type(1.0 / n)
        return value, grad


class CategoricalCrossentropy(CrossEntropy):
    """Cross-entropy with one-hot (or soft) targets ``(N, K)``, as Keras's ``categorical_crossentropy``."""

    name = "categorical_crossentropy"

    def _targets(self, y_true: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        y = np.asarray(y_true)
        if y.shape != tuple(shape):
            hint = (" Integer labels need sparse_categorical_crossentropy (or convcalc.data.one_hot)."
                    if y.ndim == 1 else "")
            raise ConvCalcError(f"categorical_crossentropy needs one-hot targets of shape {tuple(shape)}; "
                                f"got {y.shape}.{hint}")
        return y.astype(dtype, copy=False)


class SparseCategoricalCrossentropy(CrossEntropy):
    """Cross-entropy with integer labels ``(N,)``, as PyTorch's ``CrossEntropyLoss``."""

    name = "sparse_categorical_crossentropy"

    def _targets(self, y_true: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        y = np.asarray(y_true)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (shape[0],) or (y.size and y.dtype.kind not in "iu"):
            raise ConvCalcError(f"sparse_categorical_crossentropy needs integer labels of shape ({shape[0]},); "
                                f"got {y.dtype} {y.shape}.")
        if y.size and (y.min() < 0 or y.max() >= shape[1]):
            raise ConvCalcError(f"Labels must be in 0..{shape[1] - 1} for {shape[1]} outputs; "
                                f"got labels from {y.min()} to {y.max()}.")
        out = np.zeros(shape, dtype=dtype)
        out[np.arange(shape[0]), y] = 1
        return out


class BinaryCrossentropy(Loss):
    """``-mean(y log p + (1 - y) log(1 - p))`` on probabilities, each log clamped at -100 (PyTorch ``BCELoss``)."""

    name = "binary_crossentropy"

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        y = self._same_shape(y_pred, y_true)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(y_pred), -100)
            log_q = np.maximum(np.log1p(-y_pred), -100)
        value = -float(np.mean(y * log_p + (1 - y) * log_q, dtype=np.float64))
        grad = ((y_pred - y) / np.maximum(y_pred * (1 - y_pred), 1e-12)).astype(y_pred.dtype)  # ATen's eps
        grad *= y_pred.dtype.type(1.0 / y_pred.size)
        return value, grad


class MeanSquaredError(Loss):
    """``mean((p - y)**2)``, PyTorch ``MSELoss`` / Keras ``mean_squared_error``."""

    name = "mean_squared_error"

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        diff = y_pred - self._same_shape(y_pred, y_true)
        value = float(np.mean(np.square(diff, dtype=np.float64)))
        return value, diff * diff.dtype.type(2.0 / diff.size)


class MeanAbsoluteError(Loss):
    """``mean(|p - y|)``, PyTorch ``L1Loss`` / Keras ``mean_absolute_error``; gradient ``sign(p - y)/size``."""

    name = "mean_absolute_error"

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        diff = y_pred - self._same_shape(y_pred, y_true)
        value = float(np.mean(np.abs(diff), dtype=np.float64))
        return value, np.sign(diff) * diff.dtype.type(1.0 / diff.size)


#: Loss names accepted by :func:`get_loss` (Keras names, plus short and PyTorch-style aliases).
LOSSES: dict[str, type[Loss]] = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "cross_entropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "l1": MeanAbsoluteError,
}


def get_loss(loss: str | Loss) -> Loss:
    """A :class:`Loss` from an instance or a name such as ``"categorical_crossentropy"``.

    Examples
    --------
    >>> get_loss("mse")
    MeanSquaredError()
    """
    if isinstance(loss, Loss):
        return loss
    key = str(loss).strip().lower().replace("-", "_")
    if key not in LOSSES:
        raise invalid("loss", loss, "a Loss or one of " + ", ".join(repr(k) for k in LOSSES))
    return LOSSES[key]()
