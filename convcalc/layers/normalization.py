"""Normalisation specs: batch, instance, layer and group normalisation (shape-preserving, inference view).

Each keeps its input's shape and receptive field (at inference batch norm is an
affine map per channel; Distill 2019, appendix). They differ in parameters and in
how the counting tools count them (measured with benchmarks/measure_conventions.py):

==============  ===================  ===============  ============  ===========  ===============
layer           torchinfo            fvcore / elem    ptflops/elem  thop / elem  parameters
==============  ===================  ===============  ============  ===========  ===============
BatchNorm       its parameters       2 (1 no affine)  2 (1)         4 (2)        2C + 2C buffers
InstanceNorm    its parameters       5 (4)            2 (1)         4 (2)        0 (2C affine)
LayerNorm       its parameters       5 (4)            1             4 (2)        2 * normalised
GroupNorm       its parameters       5 (4)            2 (1)         0            2C
==============  ===================  ===============  ============  ===========  ===============
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, ClassVar

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, Params, RFStep, Shape
from convcalc.layers._checks import _SHAPE_NAMES, _check_declared, _is_int, _tupled
from convcalc.layers._registry import register, unknown_convention

_NOT_ND = "the trainer's engine runs 2-d layers only"


def _check_bools(layer: Layer, *names: str) -> None:
    for name in names:
        if not isinstance(getattr(layer, name), bool):
            raise invalid(name, getattr(layer, name), "True or False")


class _Normalization(Layer):
    """What the four share: shape-preserving, pointwise receptive field, counts per element."""

    #: Per-element counts (affine, not affine) under fvcore, ptflops, thop.
    per_element: ClassVar[dict[str, tuple[int, int]]] = {}

    if TYPE_CHECKING:  # fields of the subclasses
        scale: bool
        bias: bool
        track_running_stats: bool

    @property
    def affine(self) -> bool:
        """Whether the layer has a learnable scale or shift (what the tools test)."""
        return bool(self.scale or self.bias)

    def _check(self, in_shape: Shape) -> int:
        raise NotImplementedError

    def output_shape(self, in_shape: Shape) -> Shape:
        self._check(in_shape)
        return tuple(in_shape)

    def macs(self, in_shape: Shape) -> int:
        """No weight multiply-accumulates (torchvision's convention counts none)."""
        self._check(in_shape)
        return 0

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """torchvision 0; torchinfo: its trainable parameters; the others a fixed count per element."""
        if convention == "torchvision":
            return 0
        if convention == "torchinfo":
            return self.param_count(in_shape).trainable
        if convention in self.per_element:
            with_affine, without = self.per_element[convention]
            return (with_affine if self.affine else without) * prod(in_shape)
        raise unknown_convention(self, convention)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """Pointwise on every axis it is given (a flat input is walked on the grid it came from)."""
        return (RFStep(1, 1, 0),) * (len(in_shape) - 1)

    def describe(self) -> str:
        off = [name for name in ("scale", "bias") if not getattr(self, name)]
        default_stats = type(self).__dataclass_fields__["track_running_stats"].default \
            if "track_running_stats" in type(self).__dataclass_fields__ else None
        extra = [f"{name}=False" for name in off]
        if default_stats is not None and self.track_running_stats != default_stats:
            extra.append(f"track_running_stats={self.track_running_stats}")
        return f"{type(self).__name__}({', '.join(extra)})"


@dataclass(frozen=True)
class _BatchNormND(_Normalization):
    """Batch normalisation over the channel axis (inference view: the receptive field is unchanged).

    Parameters: ``gamma`` (``scale``) and ``beta`` (``bias``) trainable ``(C,)`` each;
    running mean and variance non-trainable ``(C,)`` each (Keras counts them; PyTorch
    keeps them as buffers; ``track_running_stats=False`` drops them). ``num_features``
    (PyTorch's first argument) is optional; when given it is checked against the
    input's channels. PyTorch's ``affine=False`` is ``scale=False, bias=False``;
    PyTorch 2.13's ``bias=False`` and Keras's ``center=False`` are ``bias=False``.
    """

    num_features: int | None = field(default=None, repr=False, compare=False)
    scale: bool = True
    bias: bool = True
    track_running_stats: bool = True

    ndims: ClassVar[tuple[int, ...]] = (2,)
    per_element: ClassVar[dict[str, tuple[int, int]]] = {"fvcore": (2, 1), "ptflops": (2, 1), "thop": (4, 2)}

    def __post_init__(self) -> None:
        if self.num_features is not None and (not _is_int(self.num_features) or self.num_features < 1):
            raise invalid("num_features", self.num_features, "an int >= 1, or None (not checked)")
        _check_bools(self, "scale", "bias", "track_running_stats")

    def _check(self, in_shape: Shape) -> int:
        if len(in_shape) - 1 not in self.ndims:
            shapes = " or ".join(_SHAPE_NAMES[n] for n in self.ndims)
            raise ConvCalcError(f"{type(self).__name__} needs an input of shape {shapes}; got {tuple(in_shape)}")
        _check_declared(self, "num_features", self.num_features, in_shape[0], in_shape)
        return in_shape[0]

    def param_count(self, in_shape: Shape) -> Params:
        channels = self._check(in_shape)
        return Params((self.scale + self.bias) * channels, 2 * channels if self.track_running_stats else 0)


_BN_TORCH = ("num_features", "_eps", "_momentum", "affine", "track_running_stats")


@register(names=("batchnorm1d", "bn1d"), positional=("num_features",), torch_names=("BatchNorm1d", "LazyBatchNorm1d"),
          torch_positional=_BN_TORCH, extra_args=("affine",), trains="convcalc.nn.layers.BatchNorm")
class BatchNorm1D(_BatchNormND):
    """Batch normalisation of ``(F,)`` or ``(C, L)``, as ``torch.nn.BatchNorm1d``."""

    ndims = (0, 1)


@register(names=("batchnorm2d", "bn2d", "batchnorm", "bn", "batchnormalization"), positional=("num_features",),
          name_positional={"batchnormalization": ("_axis",)},
          torch_names=("BatchNorm2d", "LazyBatchNorm2d"), torch_positional=_BN_TORCH, extra_args=("affine",),
          trains="convcalc.nn.layers.BatchNorm")
class BatchNorm2D(_BatchNormND):
    """Batch normalisation of ``(C, H, W)``, as ``torch.nn.BatchNorm2d``: ``2C`` trainable, ``2C`` not.

    Examples
    --------
    >>> BatchNorm2D().param_count((64, 56, 56))
    Params(trainable=128, non_trainable=128)
    >>> BatchNorm2D(bias=False).param_count((64, 56, 56))      # PyTorch 2.13's BatchNorm2d(64, bias=False)
    Params(trainable=64, non_trainable=128)
    """

    ndims = (2,)


@register(names=("batchnorm3d", "bn3d"), positional=("num_features",), torch_names=("BatchNorm3d", "LazyBatchNorm3d"),
          torch_positional=_BN_TORCH, extra_args=("affine",), not_trained=_NOT_ND)
class BatchNorm3D(_BatchNormND):
    """Batch normalisation of ``(C, D, H, W)``, as ``torch.nn.BatchNorm3d``."""

    ndims = (3,)


@dataclass(frozen=True)
class _InstanceNormND(_BatchNormND):
    """Instance normalisation, as ``torch.nn.InstanceNorm2d``: per sample and channel, over the spatial axes.

    PyTorch's defaults: no affine parameters (``affine=True`` adds ``2C``), no running
    statistics (``track_running_stats=True`` adds ``2C`` buffers).
    """

    scale: bool = False
    bias: bool = False
    track_running_stats: bool = False

    per_element: ClassVar[dict[str, tuple[int, int]]] = {"fvcore": (5, 4), "ptflops": (2, 1), "thop": (4, 2)}


_IN_NOT = "the trainer has no instance normalisation"


@register(names=("instancenorm1d",), positional=("num_features",), torch_names=("InstanceNorm1d", "LazyInstanceNorm1d"),
          torch_positional=_BN_TORCH, extra_args=("affine",), not_trained=_IN_NOT)
class InstanceNorm1D(_InstanceNormND):
    """Instance normalisation of ``(C, L)``. See :class:`InstanceNorm2D`."""

    ndims = (1,)


@register(names=("instancenorm2d", "instancenorm", "in2d"), positional=("num_features",),
          torch_names=("InstanceNorm2d", "LazyInstanceNorm2d"), torch_positional=_BN_TORCH, extra_args=("affine",),
          not_trained=_IN_NOT)
class InstanceNorm2D(_InstanceNormND):
    """Instance normalisation of ``(C, H, W)``, as ``torch.nn.InstanceNorm2d`` (no parameters by default).

    Examples
    --------
    >>> InstanceNorm2D().param_count((64, 32, 32)), InstanceNorm2D(scale=True, bias=True).param_count((64, 32, 32))
    (Params(trainable=0, non_trainable=0), Params(trainable=128, non_trainable=0))
    """

    ndims = (2,)


@register(names=("instancenorm3d",), positional=("num_features",), torch_names=("InstanceNorm3d", "LazyInstanceNorm3d"),
          torch_positional=_BN_TORCH, extra_args=("affine",), not_trained=_IN_NOT)
class InstanceNorm3D(_InstanceNormND):
    """Instance normalisation of ``(C, D, H, W)``. See :class:`InstanceNorm2D`."""

    ndims = (3,)


@register(names=("layernorm", "layernormalization", "ln"), positional=("normalized_shape",),
          name_positional={"layernormalization": ("_axis",)},
          torch_names=("LayerNorm",), torch_positional=("normalized_shape", "_eps", "elementwise_affine", "bias"),
          extra_args=("elementwise_affine",), trains="convcalc.nn.vocabulary.Normalization")
@dataclass(frozen=True)
class LayerNorm(_Normalization):
    """Layer normalisation: ``torch.nn.LayerNorm(normalized_shape)`` or Keras's ``LayerNormalization()``.

    With ``normalized_shape`` (PyTorch) the statistics run over the last axes, which
    must be that shape, and the scale and shift have that shape: ``2 * prod(normalized_shape)``
    parameters. Without it (Keras's ``axis=-1``, the channel axis) they run over the
    channels: ``2C`` parameters. ``scale``/``bias`` are PyTorch's ``elementwise_affine``
    and ``bias`` (Keras's ``scale`` and ``center``).

    Examples
    --------
    >>> LayerNorm((64, 7, 7)).param_count((64, 7, 7)), LayerNorm().param_count((64, 7, 7))
    (Params(trainable=6272, non_trainable=0), Params(trainable=128, non_trainable=0))
    """

    normalized_shape: int | tuple[int, ...] | None = None
    scale: bool = True
    bias: bool = True

    per_element: ClassVar[dict[str, tuple[int, int]]] = {"fvcore": (5, 4), "ptflops": (1, 1), "thop": (4, 2)}

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalized_shape", _tupled(self.normalized_shape))
        shape = self.normalized_shape
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = (shape,)
        if shape is not None and not (isinstance(shape, tuple) and shape and all(_is_int(v) and v >= 1 for v in shape)):
            raise invalid("normalized_shape", self.normalized_shape, "an int >= 1, a tuple of them, or None "
                          "(the channel axis, as Keras's LayerNormalization)")
        _check_bools(self, "scale", "bias")

    def _normalised(self, in_shape: Shape) -> Shape:
        shape = self.normalized_shape
        if shape is None:
            return (in_shape[0],)
        shape = (shape,) if isinstance(shape, int) else shape
        if tuple(in_shape[-len(shape):]) != shape or len(shape) > len(in_shape):
            raise ConvCalcError(f"normalized_shape={shape} must be the last axes of the input {tuple(in_shape)}")
        return shape

    def _check(self, in_shape: Shape) -> int:
        return prod(self._normalised(in_shape))

    def param_count(self, in_shape: Shape) -> Params:
        return Params((self.scale + self.bias) * self._check(in_shape))

    def describe(self) -> str:
        shape = "" if self.normalized_shape is None else str(self.normalized_shape).replace(" ", "")
        off = "".join(f", {name}=False" for name in ("scale", "bias") if not getattr(self, name))
        return f"LayerNorm({shape}{off})".replace("(, ", "(")


@register(names=("groupnorm", "groupnormalization", "gn"), positional=("groups",),
          name_positional={"groupnormalization": ("groups", "_axis")},
          torch_names=("GroupNorm",), torch_positional=("groups", "num_channels", "_eps", "affine"),
          extra_args=("affine",), trains="convcalc.nn.vocabulary.Normalization")
@dataclass(frozen=True)
class GroupNorm(_Normalization):
    """Group normalisation, as ``torch.nn.GroupNorm(num_groups, num_channels)`` / ``keras.layers.GroupNormalization(groups)``.

    The channels (a multiple of ``groups``) are normalised in ``groups`` groups; the
    scale and shift are per channel: ``2C`` parameters.

    Examples
    --------
    >>> GroupNorm(32).param_count((256, 14, 14))
    Params(trainable=512, non_trainable=0)
    """

    groups: int
    num_channels: int | None = field(default=None, repr=False, compare=False)
    scale: bool = True
    bias: bool = True

    per_element: ClassVar[dict[str, tuple[int, int]]] = {"fvcore": (5, 4), "ptflops": (2, 1), "thop": (0, 0)}

    def __post_init__(self) -> None:
        if not _is_int(self.groups) or self.groups < 1:
            raise invalid("groups", self.groups, "an int >= 1")
        if self.num_channels is not None and (not _is_int(self.num_channels) or self.num_channels < 1):
            raise invalid("num_channels", self.num_channels, "an int >= 1, or None (not checked)")
        _check_bools(self, "scale", "bias")

    def _check(self, in_shape: Shape) -> int:
        if len(in_shape) < 2:
            raise ConvCalcError(f"GroupNorm needs an input with channels and positions, (C, ...); got {tuple(in_shape)}")
        _check_declared(self, "num_channels", self.num_channels, in_shape[0], in_shape)
        if in_shape[0] % self.groups:
            raise invalid("groups", self.groups, f"a divisor of the input channels {in_shape[0]}")
        return in_shape[0]

    def param_count(self, in_shape: Shape) -> Params:
        return Params((self.scale + self.bias) * self._check(in_shape))

    def describe(self) -> str:
        off = "".join(f", {name}=False" for name in ("scale", "bias") if not getattr(self, name))
        return f"GroupNorm({self.groups}{off})"
