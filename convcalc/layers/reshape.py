"""Shape-only specs, without parameters: zero padding (1-3 d) and ``Flatten``."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import ClassVar

from convcalc.arithmetic import resolve_padding
from convcalc.layers._base import _IDENTITY, Layer, RFStep, Shape
from convcalc.layers._checks import _check_padding, _fmt, _is_int, _spatial, _tupled


@dataclass(frozen=True)
class _ZeroPadND(Layer):
    """Zero padding: an int, an int per axis, or a ``(lo, hi)`` pair per axis (Keras order).

    A flat tuple of ``2*ndim`` ints is read in PyTorch's order, last axis first:
    ``(left, right, top, bottom)`` for 2-d. Receptive-field step: kernel 1,
    stride 1, ``padding_lo`` = the padding before.
    """

    padding: int | tuple

    ndim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "padding", _tupled(self.padding))
        self.padding_pairs()

    def padding_pairs(self) -> tuple[tuple[int, int], ...]:
        """``(lo, hi)`` per spatial axis, first axis first (Keras's ``((top, bottom), (left, right))``)."""
        p = self.padding
        nd = self.ndim
        if isinstance(p, tuple) and len(p) == 2 * nd and nd > 1 and all(_is_int(v) and v >= 0 for v in p):
            return tuple((p[2 * i], p[2 * i + 1]) for i in reversed(range(nd)))
        _check_padding(p, nd, ())
        return resolve_padding(p, (1,) * nd, (1,) * nd, (1,) * nd, (1,) * nd)

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        return (channels, *(n + lo + hi for n, (lo, hi) in zip(spatial, self.padding_pairs())))

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _spatial(self, in_shape, self.ndim)
        return tuple(RFStep(1, 1, lo) for lo, _ in self.padding_pairs())

    def describe(self) -> str:
        return f"{type(self).__name__}({_fmt(self.padding)})"


class ZeroPad1D(_ZeroPadND):
    """Zero padding on ``(C, L)``. See :class:`ZeroPad2D`."""

    ndim = 1


class ZeroPad2D(_ZeroPadND):
    """Zero padding on ``(C, H, W)``, as ``keras.layers.ZeroPadding2D`` / ``torch.nn.ZeroPad2d``.

    Examples
    --------
    >>> ZeroPad2D(2).output_shape((1, 28, 28))
    (1, 32, 32)
    >>> ZeroPad2D(((0, 1), (2, 3))).output_shape((1, 28, 28))
    (1, 29, 33)
    >>> ZeroPad2D((2, 3, 0, 1)).output_shape((1, 28, 28))    # PyTorch order: left, right, top, bottom
    (1, 29, 33)
    """

    ndim = 2


class ZeroPad3D(_ZeroPadND):
    """Zero padding on ``(C, D, H, W)``. See :class:`ZeroPad2D`."""

    ndim = 3


@dataclass(frozen=True)
class Flatten(Layer):
    """Flatten ``(C, *spatial)`` into ``(C*prod(spatial),)``, channel-major like PyTorch.

    Examples
    --------
    >>> Flatten().output_shape((32, 13, 13))
    (5408,)
    """

    def output_shape(self, in_shape: Shape) -> Shape:
        return (prod(in_shape),)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        return (_IDENTITY,) * (len(in_shape) - 1)
