"""Receptive-field recurrences along one axis (Araujo, Norris & Sim, Distill 2019).

Notation per layer ``l`` and axis: kernel ``k_l`` (dilated: ``d*(k - 1) + 1``,
Distill appendix), stride ``s_l``, padding before ``p_l``. Measured from a
reference (the input, or the output of an earlier layer) where ``r = 1``,
``j = 1`` and ``start = 0``:

- size ``r_l = r_{l-1} + (k_l - 1)*j_{l-1}``
  (equivalently, from the top down, ``r_{l-1} = s_l*r_l + (k_l - s_l)``);
- jump (effective stride) ``j_l = j_{l-1}*s_l``;
- start, the centre of the first output unit's field in reference
  coordinates (0-indexed, may be negative or a half-integer),
  ``start_l = start_{l-1} + ((k_l - 1)/2 - p_l)*j_{l-1}``.

The effective padding of Distill is ``P = (r - 1)/2 - start`` and the first
unit's field is ``[start - (r - 1)/2, start + (r - 1)/2]``.

Examples
--------
>>> from convcalc.layers import RFStep
>>> field = RF_ORIGIN
>>> for step in [RFStep(3, 1, 0)] * 3:
...     field = rf_forward(field, step)
>>> field
RField(rf=7, jump=1, start=3)
>>> rf_backward([RFStep(3, 1, 0)] * 2)     # the seed's HW5 q5.3, relative to layer 1
[5, 3, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from convcalc.layers import RFStep

__all__ = ["RField", "RF_ORIGIN", "rf_forward", "rf_backward", "half"]


def half(twice: int) -> int | float:
    """``twice/2`` as an int when whole, else the exact half-integer float.

    Examples
    --------
    >>> half(6), half(3), half(-1)
    (3, 1.5, -0.5)
    """
    return twice // 2 if twice % 2 == 0 else twice / 2


class RField(NamedTuple):
    """Receptive field of one unit along one axis: size, jump and centre of the first unit."""

    rf: int
    jump: int
    start: int | float


#: The reference itself: every unit sees one unit, centred on itself.
RF_ORIGIN = RField(1, 1, 0)


def rf_forward(field: RField, step: RFStep) -> RField:
    """Apply one layer's step to ``field`` (Distill 2019, forward recurrences).

    ``start`` stays exact: it is always a multiple of one half.

    Examples
    --------
    >>> rf_forward(RField(3, 1, 1), RFStep(2, 2, 0))   # conv3 then pool2
    RField(rf=4, jump=2, start=1.5)
    """
    k = step.effective_kernel
    twice_start = round(2 * field.start) + (k - 1 - 2 * step.padding_lo) * field.jump
    return RField(field.rf + (k - 1) * field.jump, field.jump * step.stride, half(twice_start))


def rf_backward(steps: Sequence[RFStep]) -> list[int]:
    """Receptive-field sizes from the top layer down: ``r_{l-1} = s_l*r_l + (k_l - s_l)``.

    Returns ``[r_0, r_1, ..., r_L = 1]``: ``r_0`` is the size in the reference,
    ``r_l`` the size measured on the output of step ``l``.

    Examples
    --------
    >>> rf_backward([RFStep(3, 1, 0), RFStep(2, 2, 0), RFStep(3, 1, 0)])
    [8, 6, 3, 1]
    """
    sizes = [1]
    for step in reversed(steps):
        sizes.append(step.stride * sizes[-1] + (step.effective_kernel - step.stride))
    return sizes[::-1]
