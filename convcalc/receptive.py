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

Transposed convolutions and upsampling have a fractional stride ``1/s``: the
jump becomes an exact :class:`fractions.Fraction` (a unit of a x2 upsampled
map is half a reference unit apart from the next). See :func:`layer_steps`.

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
from fractions import Fraction
from typing import Any, NamedTuple, Union

from convcalc.layers import Layer, RFStep

__all__ = ["RField", "RF_ORIGIN", "rf_forward", "rf_backward", "half", "exact", "ratio", "layer_steps"]

Number = Union[int, float, Fraction]


def half(twice: int) -> int | float:
    """``twice/2`` as an int when whole, else the exact half-integer float.

    Examples
    --------
    >>> half(6), half(3), half(-1)
    (3, 1.5, -0.5)
    """
    return twice // 2 if twice % 2 == 0 else twice / 2


def exact(value: Any) -> Number:
    """A rational as shown: an int when whole, a float when a half-integer (exact), else a Fraction.

    Examples
    --------
    >>> exact(Fraction(6, 2)), exact(Fraction(3, 2)), exact(Fraction(1, 4))
    (3, 1.5, Fraction(1, 4))
    """
    value = Fraction(value)
    if value.denominator == 1:
        return int(value)
    if value.denominator == 2:
        return float(value)
    return value


def ratio(value: Any) -> int | Fraction:
    """A rational as an int when whole, else a Fraction (jumps and sizes).

    >>> ratio(Fraction(4, 2)), ratio(Fraction(1, 2))
    (2, Fraction(1, 2))
    """
    value = Fraction(value)
    return int(value) if value.denominator == 1 else value


class RField(NamedTuple):
    """Receptive field of one unit along one axis: size, jump and centre of the first unit.

    All three are exact: ints, half-integer floats, or Fractions after a
    fractional stride (transposed convolution, upsampling).
    """

    rf: int | Fraction
    jump: int | Fraction
    start: Number


#: The reference itself: every unit sees one unit, centred on itself.
RF_ORIGIN = RField(1, 1, 0)


def rf_forward(field: RField, step: RFStep) -> RField:
    """Apply one layer's step to ``field`` (Distill 2019, forward recurrences).

    ``r + (k - 1)*j``, ``j*s`` and ``start + ((k - 1)/2 - p)*j``, in exact rationals.

    Examples
    --------
    >>> rf_forward(RField(3, 1, 1), RFStep(2, 2, 0))   # conv3 then pool2
    RField(rf=4, jump=2, start=1.5)
    >>> rf_forward(RField(1, 1, 0), RFStep(1, Fraction(1, 2), 0))   # nearest x2 upsampling
    RField(rf=1, jump=Fraction(1, 2), start=0)
    """
    k = step.kernel if step.dilation == 1 else step.effective_kernel
    if (type(field.jump) is int and type(step.stride) is int and type(step.padding_lo) is int and type(k) is int
            and type(field.start) in (int, float)):  # floats here are always half-integers (exact())
        # the common case in whole numbers: start is a multiple of 1/2, kept as twice its value
        twice = round(2 * field.start) + (k - 1 - 2 * step.padding_lo) * field.jump
        return RField(field.rf + (k - 1) * field.jump, field.jump * step.stride, half(twice))
    jump = Fraction(field.jump)
    start = Fraction(field.start) + (Fraction(k - 1, 2) - Fraction(step.padding_lo)) * jump
    return RField(ratio(field.rf + (k - 1) * jump), ratio(jump * Fraction(step.stride)), exact(start))


def layer_steps(layer: Layer, in_shape: tuple[int, ...]) -> tuple[RFStep, ...] | None:
    """``layer.rf_step(in_shape)``: the layer declares its own step, fractional for up-sampling.

    A transposed convolution with stride ``s`` (and an upsampling by ``s``) is a
    step of stride ``Fraction(1, s)`` (:mod:`convcalc.layers` computes it), so
    the jump after it is an exact fraction.

    Examples
    --------
    >>> from convcalc.layers import ConvTranspose2D
    >>> layer_steps(ConvTranspose2D(8, 2, stride=2), (16, 4, 4))[0].stride
    Fraction(1, 2)
    """
    return layer.rf_step(in_shape)


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
