"""Shape-only specs, without parameters: zero padding and cropping (1-3 d) and ``Flatten``."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import ClassVar

from convcalc.arithmetic import resolve_padding
from convcalc.errors import ConvCalcError
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
class _CroppingND(Layer):
    """Cropping, as ``keras.layers.Cropping2D``: an int, an int per axis, or a ``(lo, hi)`` pair per axis.

    ``Cropping2D(((top, bottom), (left, right)))`` removes rows and columns from each
    side; ``o = n - lo - hi`` per axis (at least 1). Receptive-field step: kernel 1,
    stride 1, ``padding_lo = -lo`` (a crop is a negative padding, Distill 2019).
    """

    cropping: int | tuple

    ndim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "cropping", _tupled(self.cropping))
        _check_padding(self.cropping, self.ndim, (), name="cropping")

    def cropping_pairs(self) -> tuple[tuple[int, int], ...]:
        """``(lo, hi)`` per spatial axis, first axis first.

        >>> Cropping2D(((1, 2), (3, 4))).cropping_pairs(), Cropping2D((1, 2)).cropping_pairs()
        (((1, 2), (3, 4)), ((1, 1), (2, 2)))
        """
        nd = self.ndim
        return resolve_padding(self.cropping, (1,) * nd, (1,) * nd, (1,) * nd, (1,) * nd)

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        out = []
        for axis, (n, (lo, hi)) in enumerate(zip(spatial, self.cropping_pairs())):
            if n - lo - hi < 1:
                raise ConvCalcError(f"cropping {lo} + {hi} leaves nothing of the input {n} on axis {axis}; "
                                    f"crop at most {n - 1} in total")
            out.append(n - lo - hi)
        return (channels, *out)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        self.output_shape(in_shape)
        return tuple(RFStep(1, 1, -lo) for lo, _ in self.cropping_pairs())

    def describe(self) -> str:
        return f"{type(self).__name__}({_fmt(self.cropping)})"


class Cropping1D(_CroppingND):
    """Cropping of ``(C, L)``: ``Cropping1D((lo, hi))`` or an int. See :class:`Cropping2D`."""

    ndim = 1


class Cropping2D(_CroppingND):
    """Cropping of ``(C, H, W)``, as ``keras.layers.Cropping2D`` (U-Net's skip crops).

    Examples
    --------
    >>> Cropping2D(((4, 4), (4, 4))).output_shape((512, 64, 64))
    (512, 56, 56)
    >>> Cropping2D((1, 2)).output_shape((3, 10, 10))        # (symmetric rows, symmetric columns)
    (3, 8, 6)
    """

    ndim = 2


class Cropping3D(_CroppingND):
    """Cropping of ``(C, D, H, W)``. See :class:`Cropping2D`."""

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
