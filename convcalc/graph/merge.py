"""Merge nodes: :class:`Add`, :class:`Multiply` and :class:`Concat`, the joins of a branching graph.

A merge takes the outputs of two or more nodes. ``Add`` and ``Multiply`` need
shapes that broadcast (NumPy's rule, as PyTorch's ``+``/``*``: equal sizes, or
1 on one side, as a squeeze-and-excitation gate ``(C, 1, 1)`` times
``(C, H, W)``); ``Concat(axis)`` joins along ``axis`` of the channels-first
shape without the batch (``0``, the channels, by default; ``-1`` counts from
the end) and needs every other size equal. A mismatch raises
:class:`~convcalc.ConvCalcError` naming each input and its shape.

Merges have no parameters and no multiply-accumulates under any counting
convention (an elementwise add is not a multiply-accumulate). For receptive
fields a merge is a kernel-1 step on every input (Araujo et al. 2019): the
field of a merged unit is the largest field over its inputs, and the inputs
must be aligned (equal jump and centre), which :mod:`convcalc.graph.analysis`
checks.

Examples
--------
>>> Add().merge_shape([(64, 56, 56), (64, 56, 56)])
(64, 56, 56)
>>> Concat().merge_shape([(64, 28, 28), (32, 28, 28)])
(96, 28, 28)
>>> Multiply().merge_shape([(64, 28, 28), (64, 1, 1)])
(64, 28, 28)
>>> Add().merge_shape([(64, 56, 56), (64, 28, 28)], ["conv3", "shortcut"])
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: Add: the shapes of its inputs do not broadcast: conv3 gives (64, 56, 56), shortcut gives (64, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers import Layer

Shape = tuple[int, ...]

__all__ = ["Merge", "Add", "Multiply", "Concat"]


def _names(shapes: Sequence[Shape], names: Sequence[str] | None) -> list[str]:
    return list(names) if names is not None else [f"input {i + 1}" for i in range(len(shapes))]


def _listing(shapes: Sequence[Shape], names: Sequence[str] | None) -> str:
    return ", ".join(f"{n} gives {tuple(s)}" for n, s in zip(_names(shapes, names), shapes))


@dataclass(frozen=True)
class Merge(Layer):
    """A node with several inputs. Subclasses define :meth:`merge_shape`."""

    def merge_shape(self, shapes: Sequence[Shape], names: Sequence[str] | None = None) -> Shape:
        """The output shape for the input ``shapes`` (one per input, no batch axis)."""
        raise NotImplementedError

    def output_shape(self, in_shape: Shape) -> Shape:
        """One input: the shape itself (a merge of one branch is the identity)."""
        return self.merge_shape([tuple(in_shape)])

    def broadcast_inputs(self, shapes: Sequence[Shape]) -> tuple[bool, ...]:
        """For each input, whether it is broadcast (a size-1 axis stretched): its field is not aligned."""
        return (False,) * len(shapes)

    def describe(self) -> str:
        return f"{type(self).__name__}()"


@dataclass(frozen=True)
class _Elementwise(Merge):
    def merge_shape(self, shapes: Sequence[Shape], names: Sequence[str] | None = None) -> Shape:
        if not shapes:
            raise ConvCalcError(f"{self.describe()} needs at least one input")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ConvCalcError(f"{type(self).__name__}: its inputs have different ranks: {_listing(shapes, names)}")
        out = []
        for sizes in zip(*shapes):
            big = set(sizes) - {1}
            if len(big) > 1:
                raise ConvCalcError(f"{type(self).__name__}: the shapes of its inputs do not broadcast: "
                                    f"{_listing(shapes, names)}")
            out.append(big.pop() if big else 1)
        return tuple(out)

    def broadcast_inputs(self, shapes: Sequence[Shape]) -> tuple[bool, ...]:
        out = self.merge_shape(shapes)
        return tuple(tuple(s) != out for s in shapes)


@dataclass(frozen=True)
class Add(_Elementwise):
    """Elementwise sum of its inputs (``keras.layers.Add``, PyTorch's ``a + b``): a residual join."""


@dataclass(frozen=True)
class Multiply(_Elementwise):
    """Elementwise product of its inputs (``keras.layers.Multiply``, ``a * b``), e.g. a gate."""


@dataclass(frozen=True)
class Concat(Merge):
    """Concatenation along ``axis`` of the channels-first shape without the batch (``torch.cat(dim=axis+1)``).

    ``axis=0`` (the default) joins channels, as GoogLeNet's Inception blocks and
    U-Net's skips; a negative axis counts from the end.
    """

    axis: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.axis, int) or isinstance(self.axis, bool):
            raise invalid("axis", self.axis, "an int (0 joins channels)")

    def merge_shape(self, shapes: Sequence[Shape], names: Sequence[str] | None = None) -> Shape:
        if not shapes:
            raise ConvCalcError("Concat needs at least one input")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ConvCalcError(f"Concat: its inputs have different ranks: {_listing(shapes, names)}")
        if not -rank <= self.axis < rank:
            raise invalid("axis", self.axis, f"an axis of the {rank}-d inputs, from {-rank} to {rank - 1}")
        axis = self.axis % rank
        others = {tuple(s[:axis]) + tuple(s[axis + 1:]) for s in shapes}
        if len(others) > 1:
            raise ConvCalcError(f"Concat(axis={self.axis}): the inputs differ outside axis {self.axis}: "
                                f"{_listing(shapes, names)}")
        first = shapes[0]
        return (*first[:axis], sum(s[axis] for s in shapes), *first[axis + 1:])

    def describe(self) -> str:
        return "Concat()" if self.axis == 0 else f"Concat(axis={self.axis})"
