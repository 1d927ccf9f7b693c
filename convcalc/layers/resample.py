"""Resampling specs: upsampling (nearest, bilinear) and pixel shuffle / unshuffle.

``Upsample`` follows ``torch.nn.Upsample``: ``size`` gives the output size, or
``scale_factor`` multiplies it, ``o = floor(n * scale_factor)`` per axis (ATen's
``upsample_nearest2d``). ``UpSampling2D`` follows Keras, whose ``size`` is the
integer scale factor. Their receptive-field step is fractional when the scale is an
integer ``s``: one output step is ``1/s`` of an input step (stride ``Fraction(1, s)``),
each output reads 1 input (nearest) or 2 (bilinear) per axis (Distill 2019:
upsampling's kernel is "the number of input features involved").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor, prod
from typing import ClassVar

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, RFStep, Shape, fraction_step
from convcalc.layers._checks import _fmt, _is_int, _NoWeights, _per_axis, _spatial, _tupled, _Uncounted
from convcalc.layers._registry import LAYER_CONVENTIONS, normal, register, unknown_convention

_MODES = ("nearest", "bilinear")
#: Count per output element, by mode (measured with benchmarks/measure_conventions.py).
_PER_OUTPUT = {"nearest": {"fvcore": 1, "thop": 1}, "bilinear": {"fvcore": 4, "thop": 11}}


def _factor(value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value != value:
        raise invalid("scale_factor", value, "a number > 0 per axis")
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _torch_mode(name: str, given: dict) -> tuple[type, dict]:
    """``UpsamplingBilinear2d``/``UpsamplingNearest2d`` fix the mode their name says."""
    fixed = {"upsamplingbilinear2d": "bilinear", "upsamplingnearest2d": "nearest"}.get(normal(name))
    if fixed is not None:
        if given.get("mode", fixed) != fixed:
            raise ConvCalcError(f"{name} interpolates {fixed}; got mode={given['mode']!r}")
        given = {**given, "mode": fixed}
    return Upsample, given


@register(names=("upsample", "upsamplingnearest2d", "upsamplingbilinear2d", "interpolate"),
          positional=("size", "scale_factor", "mode"), torch_names=("Upsample", "UpsamplingNearest2d",
          "UpsamplingBilinear2d"), torch_positional=("size", "scale_factor", "mode", "_align_corners"),
          adapt=_torch_mode, trains="convcalc.nn.vocabulary.NearestUpsample2d")  # nearest, whole factors
@dataclass(frozen=True)
class Upsample(_NoWeights, Layer):
    """Upsampling as ``torch.nn.Upsample(size=None, scale_factor=None, mode='nearest')``, any number of axes.

    Exactly one of ``size`` (output size per axis) and ``scale_factor`` (per axis,
    ``o = floor(n * scale_factor)``). ``mode`` is ``'nearest'`` or ``'bilinear'``
    (2-d; PyTorch's ``align_corners`` changes values, not sizes). No parameters.

    Examples
    --------
    >>> Upsample(scale_factor=2).output_shape((64, 14, 14))
    (64, 28, 28)
    >>> Upsample(size=(10, 15), mode="bilinear").output_shape((3, 4, 5))
    (3, 10, 15)
    >>> Upsample(scale_factor=2).rf_step((1, 4, 4))[0]
    RFStep(kernel=1, stride=Fraction(1, 2), padding_lo=Fraction(1, 4), dilation=1)
    """

    size: int | tuple[int, ...] | None = None
    scale_factor: int | float | tuple | None = None
    mode: str = "nearest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _tupled(self.size))
        object.__setattr__(self, "scale_factor", _tupled(self.scale_factor))
        if (self.size is None) == (self.scale_factor is None):
            raise invalid("size", self.size, "given when scale_factor is not (exactly one of the two)")
        if self.size is not None:
            sizes = self.size if isinstance(self.size, tuple) else (self.size,)
            if not all(_is_int(v) and v >= 1 for v in sizes):
                raise invalid("size", self.size, "an int >= 1 or one per axis")
        else:
            for value in self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,):
                _factor(value)
        if self.mode not in _MODES:
            raise invalid("mode", self.mode, "'nearest' or 'bilinear' (the modes convcalc counts)")

    def _factors(self, spatial: Shape) -> tuple[Fraction, ...] | None:
        """Scale per axis (``None`` when a ``size`` is not a multiple of the input)."""
        nd = len(spatial)
        if self.scale_factor is not None:
            values = self.scale_factor if isinstance(self.scale_factor, tuple) else (self.scale_factor,) * nd
            if len(values) != nd:
                raise invalid("scale_factor", self.scale_factor, f"a number or {nd} numbers (one per axis)")
            return tuple(_factor(v) for v in values)
        return None

    def output_shape(self, in_shape: Shape) -> Shape:
        if len(in_shape) < 2:
            raise ConvCalcError(f"Upsample needs an input with channels and positions, (C, ...); got {tuple(in_shape)}")
        if self.mode == "bilinear" and len(in_shape) != 3:
            raise ConvCalcError(f"mode='bilinear' needs an input of shape (C, H, W); got {tuple(in_shape)}")
        spatial = tuple(in_shape[1:])
        factors = self._factors(spatial)
        if factors is None:
            return (in_shape[0], *_per_axis(self.size, len(spatial), "size", 1))
        out = tuple(floor(n * f) for n, f in zip(spatial, factors))
        if min(out) < 1:
            raise ConvCalcError(f"scale_factor {_fmt(self.scale_factor)} leaves no output from the input {spatial}")
        return (in_shape[0], *out)

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """Per output element: fvcore 1 (nearest) / 4 (bilinear), 2-d only (it has no handle for 1-d/3-d
        upsampling); thop 1 / 11; torchvision, torchinfo 0. ptflops: 1 per output element (its module hook)
        plus its ``F.interpolate`` hook, ``prod(size) * C`` or ``prod(in) * scale**ndim`` (a tuple of scales:
        ``prod(in) * prod(int(scale))``, numpy's int64 product), floored (ptflops 0.7.5
        ``_interpolate_functional_flops_hook``)."""
        if convention not in LAYER_CONVENTIONS:
            raise unknown_convention(self, convention)
        if convention == "fvcore" and len(in_shape) != 3:
            return 0
        if convention == "ptflops":
            if self.size is not None:
                functional = Fraction(prod(out_shape))
            elif isinstance(self.scale_factor, tuple):
                functional = Fraction(prod(in_shape) * prod(floor(_factor(v)) for v in self.scale_factor))
            else:
                functional = prod(in_shape) * _factor(self.scale_factor) ** (len(in_shape) - 1)
            return floor(prod(out_shape) + functional)
        return _PER_OUTPUT[self.mode].get(convention, 0) * prod(out_shape)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """Stride ``1/s`` for an integer scale ``s``; kernel 1 (nearest) or 2 (bilinear); else ``None``."""
        out = self.output_shape(in_shape)
        steps = []
        for n, o in zip(in_shape[1:], out[1:]):
            if o % n:
                return None
            scale = o // n
            # Output i's centre is input coordinate (i + 1/2)/s - 1/2 (half-pixel geometry): a first centre of
            # 1/(2s) - 1/2 = (K - 1)/2 - P. Nearest reads 1 input (K = 1, P = (s - 1)/(2s), exactly a transposed
            # convolution with kernel s and stride s); bilinear reads 2 (K = 2, P = 1 - 1/(2s)).
            if self.mode == "nearest" or scale == 1:
                steps.append(RFStep(1, Fraction(1, scale), fraction_step(Fraction(scale - 1, 2 * scale)), 1))
            else:
                steps.append(RFStep(2, Fraction(1, scale), fraction_step(Fraction(1) - Fraction(1, 2 * scale)), 1))
        return tuple(steps)

    def describe(self) -> str:
        what = f"x{_fmt(self.scale_factor)}" if self.scale_factor is not None else f"size={_fmt(self.size)}"
        return f"Upsample({what}" + (")" if self.mode == "nearest" else f", {self.mode})")


@register(names=("upsampling2d",), positional=("size", "_data_format", "interpolation"),
          trains="convcalc.nn.vocabulary.NearestUpsample2d")  # nearest, whole factors
@dataclass(frozen=True)
class UpSampling2D(_NoWeights, Layer):
    """Keras's ``UpSampling2D(size=(2, 2), interpolation='nearest')``: ``size`` is the integer scale per axis.

    The same layer as :class:`Upsample` with ``scale_factor=size``; every answer is that layer's.

    Examples
    --------
    >>> UpSampling2D().output_shape((8, 7, 7))
    (8, 14, 14)
    """

    size: int | tuple[int, int] = 2
    interpolation: str = "nearest"

    ndim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _tupled(self.size))
        _per_axis(self.size, self.ndim, "size", 1)
        if self.interpolation not in _MODES:
            raise invalid("interpolation", self.interpolation, "'nearest' or 'bilinear' (the modes convcalc counts)")

    def upsample(self) -> Upsample:
        """The :class:`Upsample` this is."""
        return Upsample(scale_factor=_per_axis(self.size, self.ndim, "size", 1), mode=self.interpolation)

    def output_shape(self, in_shape: Shape) -> Shape:
        _spatial(self, in_shape, self.ndim)
        return self.upsample().output_shape(in_shape)

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        return self.upsample().macs_under(convention, in_shape, out_shape)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        return self.upsample().rf_step(in_shape)

    def describe(self) -> str:
        return f"UpSampling2D({_fmt(self.size)}" + (")" if self.interpolation == "nearest" else ", bilinear)")


@register(names=("pixelshuffle", "depthtospace"), positional=("upscale_factor",), torch_names=("PixelShuffle",),
          torch_positional=("upscale_factor",), not_trained="the trainer has no pixel shuffle yet")
@dataclass(frozen=True)
class PixelShuffle(_Uncounted, Layer):
    """``(C*r*r, H, W) -> (C, H*r, W*r)``, as ``torch.nn.PixelShuffle(r)`` (TF's ``depth_to_space``).

    Receptive-field step: each output reads one input, a step of ``1/r`` input units (as nearest upsampling).

    Examples
    --------
    >>> PixelShuffle(2).output_shape((64, 8, 8))
    (16, 16, 16)
    """

    upscale_factor: int

    def __post_init__(self) -> None:
        if not _is_int(self.upscale_factor) or self.upscale_factor < 1:
            raise invalid("upscale_factor", self.upscale_factor, "an int >= 1")

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, 2)
        r = self.upscale_factor
        if channels % (r * r):
            raise ConvCalcError(f"PixelShuffle({r}) needs channels divisible by {r * r}; got {channels}")
        return (channels // (r * r), *(n * r for n in spatial))

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """As nearest upsampling by ``r``: output ``i`` reads input ``i // r`` (of another channel)."""
        self.output_shape(in_shape)
        r = self.upscale_factor
        return (RFStep(1, Fraction(1, r), fraction_step(Fraction(r - 1, 2 * r)), 1),) * 2

    def describe(self) -> str:
        return f"PixelShuffle({self.upscale_factor})"


@register(names=("pixelunshuffle", "spacetodepth"), positional=("downscale_factor",), torch_names=("PixelUnshuffle",),
          torch_positional=("downscale_factor",), not_trained="the trainer has no pixel unshuffle yet")
@dataclass(frozen=True)
class PixelUnshuffle(_Uncounted, Layer):
    """``(C, H, W) -> (C*r*r, H/r, W/r)``, as ``torch.nn.PixelUnshuffle(r)`` (TF's ``space_to_depth``).

    Receptive-field step: an ``r x r`` block with stride ``r``.

    Examples
    --------
    >>> PixelUnshuffle(2).output_shape((3, 8, 6))
    (12, 4, 3)
    """

    downscale_factor: int

    def __post_init__(self) -> None:
        if not _is_int(self.downscale_factor) or self.downscale_factor < 1:
            raise invalid("downscale_factor", self.downscale_factor, "an int >= 1")

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, 2)
        r = self.downscale_factor
        if any(n % r for n in spatial):
            raise ConvCalcError(f"PixelUnshuffle({r}) needs a height and width divisible by {r}; got {spatial}")
        return (channels * r * r, *(n // r for n in spatial))

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        self.output_shape(in_shape)
        return (RFStep(self.downscale_factor, self.downscale_factor, 0, 1),) * 2

    def describe(self) -> str:
        return f"PixelUnshuffle({self.downscale_factor})"
