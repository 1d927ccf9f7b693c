"""The trainable-module contract: parameters and gradients in dicts, forward then backward.

A :class:`Module` keeps its trainable arrays in ``params`` and, after
:meth:`Module.backward`, their gradients under the same names in ``grads``
(micrograd's two-method contract, cs231n's forward/backward pairs). ``forward``
stores exactly what ``backward`` needs from the last call; ``backward(dout)``
returns the gradient with respect to the input. Shapes carry the batch axis
first. Non-trainable state (batch-norm running statistics) lives in ``buffers``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["Module"]


class Module:
    """Base of every trainable layer.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable arrays (``"weight"``, ``"bias"``, ...), updated in place by the optimiser.
    grads : dict of str to ndarray
        Gradients of the loss with respect to ``params``, filled by :meth:`backward`.
    buffers : dict of str to ndarray
        Non-trainable state saved with the model (e.g. running mean and variance).
    regularized : tuple of str
        The names in ``params`` that a kernel regularizer applies to (``("weight",)``
        for convolutions and dense layers, as Keras's ``kernel_regularizer``).
    """

    regularized: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Output for a batch ``x``; with ``training`` keep what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradient with respect to the last ``forward`` input; fills :attr:`grads`."""
        raise NotImplementedError

    def parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` for every trainable array."""
        return iter(self.params.items())

    def zero_grad(self) -> None:
        """Forget the gradients of the last backward pass."""
        self.grads = {}

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.forward(x, training)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"
