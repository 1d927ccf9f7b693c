"""``Cropping2D``: cut rows and columns off the edges (Keras's ``Cropping2D``), as U-Net crops its skips.

Until the layer vocabulary has its own cropping layer this one lives here; it
keeps the :class:`~convcalc.layers.Layer` contract. Output per axis
``n - lo - hi``; no parameters; receptive-field step a kernel-1 window with
padding ``-lo`` (a crop is negative padding in Distill's notation: the first
output unit is input unit ``lo``).

Examples
--------
>>> Cropping2D(88).output_shape((64, 568, 568))
(64, 392, 392)
>>> Cropping2D(((1, 2), (3, 4))).output_shape((8, 10, 10))
(8, 7, 3)
>>> Cropping2D(6).output_shape((8, 10, 10))
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: cropping 6 + 6 leaves nothing of the input size 10
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers import Layer, RFStep

Shape = tuple[int, ...]


def _pairs(value: Any) -> tuple[tuple[int, int], tuple[int, int]] | None:
    def ok(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if ok(value):
        return ((value, value), (value, value))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        if all(ok(v) for v in value):
            return ((value[0], value[0]), (value[1], value[1]))
        if all(isinstance(v, (tuple, list)) and len(v) == 2 and all(ok(u) for u in v) for v in value):
            return ((value[0][0], value[0][1]), (value[1][0], value[1][1]))
    return None


@dataclass(frozen=True)
class Cropping2D(Layer):
    """Crop ``(C, H, W)``: ``cropping`` an int, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""

    cropping: Any = 0

    def __post_init__(self) -> None:
        pairs = _pairs(self.cropping)
        if pairs is None:
            raise invalid("cropping", self.cropping, "an int >= 0, (rows, cols) or ((top, bottom), (left, right))")
        object.__setattr__(self, "cropping", pairs)

    def output_shape(self, in_shape: Shape) -> Shape:
        if len(in_shape) != 3:
            raise ConvCalcError(f"Cropping2D needs a (C, H, W) input; got {tuple(in_shape)}")
        out = []
        for n, (lo, hi) in zip(in_shape[1:], self.cropping):
            if lo + hi >= n:
                raise ConvCalcError(f"cropping {lo} + {hi} leaves nothing of the input size {n}")
            out.append(n - lo - hi)
        return (in_shape[0], *out)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        return tuple(RFStep(1, 1, -lo) for lo, _ in self.cropping)

    def describe(self) -> str:
        (t, b), (left, r) = self.cropping
        if t == b == left == r:
            return f"Cropping2D({t})"
        return f"Cropping2D(({t}, {b}), ({left}, {r}))"
