"""Shape-only specs, without parameters: zero padding and cropping (1-3 d) and ``Flatten``."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import ClassVar

from convcalc.arithmetic import resolve_padding
from convcalc._typing import definitely
from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import _IDENTITY, Layer, RFStep, Shape, channels_first, channels_last
from convcalc.layers._checks import _check_padding, _fmt, _is_int, _spatial, _tupled, _Uncounted
from convcalc.layers._registry import normal, register


_NOT_ND = "the trainer's engine runs 2-d layers only"


@dataclass(frozen=True)
class _ZeroPadND(_Uncounted, Layer):
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


@register(names=("zeropad1d", "zeropadding1d"), positional=("padding",),
          torch_names=("ZeroPad1d",), torch_positional=("padding",),
          not_trained=_NOT_ND)
class ZeroPad1D(_ZeroPadND):
    """Zero padding on ``(C, L)``. See :class:`ZeroPad2D`."""

    ndim = 1


@register(names=("zeropad2d", "zeropadding2d", "zeropad", "zeropadding"), positional=("padding",),
          torch_names=("ZeroPad2d",), torch_positional=("padding",),
          trains="convcalc.nn.layers.ZeroPad2d")
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


@register(names=("zeropad3d", "zeropadding3d"), positional=("padding",),
          torch_names=("ZeroPad3d",), torch_positional=("padding",),
          not_trained=_NOT_ND)
class ZeroPad3D(_ZeroPadND):
    """Zero padding on ``(C, D, H, W)``. See :class:`ZeroPad2D`."""

    ndim = 3


@dataclass(frozen=True)
class _CroppingND(_Uncounted, Layer):
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
            if definitely(n - lo - hi < 1):  # a symbolic size is refused only when it is surely too small
                raise ConvCalcError(f"cropping {lo} + {hi} leaves nothing of the input {n} on axis {axis}; "
                                    f"crop at most {n - 1} in total")
            out.append(n - lo - hi)
        return (channels, *out)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        self.output_shape(in_shape)
        return tuple(RFStep(1, 1, -lo) for lo, _ in self.cropping_pairs())

    def describe(self) -> str:
        return f"{type(self).__name__}({_fmt(self.cropping)})"


@register(names=("cropping1d", "crop1d"), positional=("cropping",),
          not_trained="the trainer has no cropping layer yet")
class Cropping1D(_CroppingND):
    """Cropping of ``(C, L)``: ``Cropping1D((lo, hi))`` or an int. See :class:`Cropping2D`."""

    ndim = 1


@register(names=("cropping2d", "crop2d", "cropping", "crop"), positional=("cropping",),
          not_trained="the trainer has no cropping layer yet")
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


@register(names=("cropping3d", "crop3d"), positional=("cropping",),
          not_trained="the trainer has no cropping layer yet")
class Cropping3D(_CroppingND):
    """Cropping of ``(C, D, H, W)``. See :class:`Cropping2D`."""

    ndim = 3


@register(names=("flatten",), positional=("_data_format",), torch_names=("Flatten",),
          torch_positional=("_start_dim", "_end_dim"),
          trains="convcalc.nn.layers.Flatten")
@dataclass(frozen=True)
class Flatten(_Uncounted, Layer):
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


def _keras_shape(name: str, given: dict) -> tuple[type, dict]:
    """Keras's Reshape/Permute count their target in channels-last order (the spec reads them as Keras does)."""
    cls = Reshape if "target_shape" in given or normal(name) == "reshape" else Permute
    return cls, {**given, "channels_last": True}


@register(names=("reshape",), positional=("target_shape",), adapt=_keras_shape,
          not_trained="the trainer has no reshape yet")
@dataclass(frozen=True)
class Reshape(_Uncounted, Layer):
    """Reshape one sample to ``target_shape`` (one ``-1`` allowed), as ``keras.layers.Reshape``.

    ``target_shape`` is in convcalc's channels-first order; ``channels_last=True`` reads
    it in Keras's order, ``(H, W, C)`` (what the spec does for ``Reshape((7, 7, 64))``).
    Receptive fields do not follow a reshape that changes the grid (``rf_step`` is ``None``).

    Examples
    --------
    >>> Reshape((64, 7, 7)).output_shape((3136,)), Reshape((7, 7, -1), channels_last=True).output_shape((3136,))
    ((64, 7, 7), (64, 7, 7))
    """

    target_shape: tuple[int, ...]
    channels_last: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_shape", _tupled(self.target_shape))
        shape = self.target_shape
        if _is_int(shape):
            shape = (shape,)
            object.__setattr__(self, "target_shape", shape)
        what = "a tuple of ints >= 1 with at most one -1"
        if not isinstance(shape, tuple) or not shape or not all(_is_int(v) and (v >= 1 or v == -1) for v in shape) \
                or shape.count(-1) > 1:
            raise invalid("target_shape", self.target_shape, what)

    def output_shape(self, in_shape: Shape) -> Shape:
        total = prod(in_shape)
        shape = list(self.target_shape)
        known = prod(v for v in shape if v != -1)
        if -1 in shape:
            if total % known:
                raise ConvCalcError(f"cannot reshape {tuple(in_shape)} ({total} values) to {self.target_shape}")
            shape[shape.index(-1)] = total // known
        elif known != total:
            raise ConvCalcError(f"cannot reshape {tuple(in_shape)} ({total} values) to {self.target_shape} ({known})")
        return channels_first(tuple(shape)) if self.channels_last else tuple(shape)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        out = self.output_shape(in_shape)
        if tuple(out[1:]) != tuple(in_shape[1:]) or len(in_shape) < 2:
            return None
        return (_IDENTITY,) * (len(in_shape) - 1)

    def describe(self) -> str:
        return f"Reshape({_fmt(self.target_shape)}{', channels_last' if self.channels_last else ''})"


@register(names=("permute",), positional=("dims",), adapt=_keras_shape, not_trained="the trainer has no permute yet")
@dataclass(frozen=True)
class Permute(_Uncounted, Layer):
    """Permute the axes of one sample, as ``keras.layers.Permute(dims)``: ``dims`` counts axes from 1.

    ``dims`` refers to convcalc's channels-first axes; ``channels_last=True`` reads it in
    Keras's order (the spec's ``Permute((2, 1, 3))`` swaps Keras's H and W). Receptive
    fields do not follow a permutation that moves the spatial axes (``rf_step`` is ``None``).

    Examples
    --------
    >>> Permute((1, 3, 2)).output_shape((8, 4, 5)), Permute((2, 1, 3), channels_last=True).output_shape((8, 4, 5))
    ((8, 5, 4), (8, 5, 4))
    """

    dims: tuple[int, ...]
    channels_last: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dims", _tupled(self.dims))
        dims = self.dims
        if not isinstance(dims, tuple) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise invalid("dims", self.dims, "a permutation of 1..n (axes counted from 1, the batch excluded)")

    def output_shape(self, in_shape: Shape) -> Shape:
        if len(in_shape) != len(self.dims):
            raise ConvCalcError(f"Permute{self.dims} needs an input with {len(self.dims)} axes; got {tuple(in_shape)}")
        shape = channels_last(in_shape) if self.channels_last else tuple(in_shape)
        out = tuple(shape[d - 1] for d in self.dims)
        return channels_first(out) if self.channels_last else out

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        out = self.output_shape(in_shape)
        order = self.dims if not self.channels_last else None
        unchanged = order == tuple(range(1, len(order) + 1)) if order else out == tuple(in_shape) and \
            self.dims == tuple(range(1, len(self.dims) + 1))
        return (_IDENTITY,) * (len(in_shape) - 1) if unchanged else None

    def describe(self) -> str:
        return f"Permute({_fmt(self.dims)}{', channels_last' if self.channels_last else ''})"
