"""Trainable merge modules: the joins of a branching model (:mod:`convcalc.graph.merge` specs).

A merge takes a *list* of inputs and its :meth:`~MergeModule.backward` returns a list of
gradients, one per input (:func:`convcalc.nn.nodes.forward` and :func:`~convcalc.nn.nodes.backward`
call them so). The arithmetic is :mod:`convcalc.engine.merge`'s: ``Add`` is the residual join
``a + b``, ``Multiply`` a gate ``a * b`` (both broadcast as PyTorch's ``+``/``*``), ``Concat``
``torch.cat`` along an axis of the channels-first sample (the channels by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convcalc import engine
from convcalc.nn.module import Module

__all__ = ["MergeModule", "AddMerge", "MultiplyMerge", "ConcatMerge"]


class MergeModule(Module):
    """A module of several inputs: ``forward(list_of_arrays, training)``, ``backward(dout) -> list``."""

    def forward(self, xs: Sequence[np.ndarray], training: bool = False) -> np.ndarray:  # type: ignore[override]
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> list[np.ndarray]:  # type: ignore[override]
        raise NotImplementedError


class AddMerge(MergeModule):
    """``xs[0] + xs[1] + ...``; each input's gradient is ``dout`` summed over its broadcast axes."""

    def __init__(self) -> None:
        super().__init__()
        self._shapes: list[tuple[int, ...]] = []

    def forward(self, xs: Sequence[np.ndarray], training: bool = False) -> np.ndarray:  # type: ignore[override]
        self._shapes = [x.shape for x in xs]
        return engine.add_forward(xs)

    def backward(self, dout: np.ndarray) -> list[np.ndarray]:  # type: ignore[override]
        return engine.add_backward(dout, self._shapes)


class MultiplyMerge(MergeModule):
    """``xs[0] * xs[1] * ...``; each input's gradient is ``dout`` times the other inputs."""

    def __init__(self) -> None:
        super().__init__()
        self._xs: list[np.ndarray] | None = None

    def forward(self, xs: Sequence[np.ndarray], training: bool = False) -> np.ndarray:  # type: ignore[override]
        self._xs = list(xs) if training else None
        return engine.multiply_forward(xs)

    def backward(self, dout: np.ndarray) -> list[np.ndarray]:  # type: ignore[override]
        return engine.multiply_backward(dout, self._xs)  # type: ignore[arg-type]


class ConcatMerge(MergeModule):
    """Concatenation along ``axis`` of the sample (0, the channels, is the batch's axis 1)."""

    def __init__(self, axis: int, rank: int) -> None:
        super().__init__()
        self.axis = axis % rank + 1  # the batch axis comes first
        self._sizes: list[int] = []

    def forward(self, xs: Sequence[np.ndarray], training: bool = False) -> np.ndarray:  # type: ignore[override]
        self._sizes = [x.shape[self.axis] for x in xs]
        return engine.concat_forward(xs, self.axis)

    def backward(self, dout: np.ndarray) -> list[np.ndarray]:  # type: ignore[override]
        return engine.concat_backward(dout, self._sizes, self.axis)
