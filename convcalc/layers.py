"""Layer specs: frozen dataclasses that know their geometry, and hold no weights.

Every spec answers, for an input shape without the batch axis (``(C, *spatial)``
for convolutions and pools, ``(F,)`` for :class:`Dense`):

- ``output_shape(in_shape)``: the output shape, from :mod:`convcalc.arithmetic`
  (the only place where a size formula lives);
- ``param_count(in_shape)``: a :class:`Params` (trainable, non-trainable);
- ``macs(in_shape)``: weight multiply-accumulates for one sample, bias not
  counted (the convention behind torchvision's published "GFLOPS");
- ``rf_step(in_shape)``: its receptive-field step per spatial axis, a tuple of
  :class:`RFStep` ``(kernel, stride, padding_lo, dilation)`` (Araujo, Norris &
  Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill
  2019), or ``None`` when no shift-invariant receptive field exists;
- ``describe()`` (also ``str()``): a short label such as ``Conv2D(32, 3, s=1, p=0)``.

Shapes follow PyTorch, channels first. ``dilation=1`` means no dilation.
Bad fields raise :class:`~convcalc.ConvCalcError` at construction; an input
that cannot pass raises it from ``output_shape``.

Examples
--------
>>> conv = Conv2D(32, 3)
>>> conv.output_shape((1, 28, 28))
(32, 26, 26)
>>> conv.param_count((1, 28, 28))
Params(trainable=320, non_trainable=0)
>>> conv.macs((1, 28, 28))
194688
>>> print(conv)
Conv2D(32, 3, s=1, p=0)
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar, NamedTuple

from convcalc.arithmetic import (
    conv_output_size,
    effective_kernel,
    pool_output_size,
    resolve_padding,
    transposed_output_size,
)
from convcalc.errors import ConvCalcError, invalid

__all__ = [
    "Params",
    "RFStep",
    "Layer",
    "Conv1D", "Conv2D", "Conv3D",
    "ConvTranspose1D", "ConvTranspose2D", "ConvTranspose3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "AdaptiveAvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
    "ZeroPad1D", "ZeroPad2D", "ZeroPad3D",
    "BatchNorm1D", "BatchNorm2D", "BatchNorm3D",
    "Flatten", "Dense", "Dropout",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softmax",
]

Shape = tuple[int, ...]

#: Accepted layouts: channels first (PyTorch, the default) or channels last (Keras/TF).
LAYOUTS = {"nchw": "nchw", "ncl": "nchw", "ncdhw": "nchw", "channels_first": "nchw",
           "nhwc": "nhwc", "nlc": "nhwc", "ndhwc": "nhwc", "channels_last": "nhwc"}


class Params(NamedTuple):
    """Parameter count of one layer: trainable and non-trainable (buffers such as BN running stats)."""

    trainable: int
    non_trainable: int = 0

    @property
    def total(self) -> int:
        """``trainable + non_trainable``."""
        return self.trainable + self.non_trainable


class RFStep(NamedTuple):
    """One layer's receptive-field step along one axis (Distill 2019 notation k, s, p).

    ``padding_lo`` is the padding before the first input element (Distill's ``p_l``);
    the padding after does not move the receptive field.
    """

    kernel: int
    stride: int
    padding_lo: int
    dilation: int = 1

    @property
    def effective_kernel(self) -> int:
        """Span of the dilated kernel, ``d*(k - 1) + 1``."""
        return effective_kernel(self.kernel, self.dilation)


_IDENTITY = RFStep(1, 1, 0, 1)


# --------------------------------------------------------------------------- validation helpers
def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _per_axis(value: object, ndim: int, name: str, low: int) -> tuple[int, ...]:
    """An int for every axis, or a tuple with one int per axis, each ``>= low``."""
    what = f"an int >= {low} or a tuple of {ndim} ints >= {low}"
    if _is_int(value):
        if value < low:
            raise invalid(name, value, what)
        return (value,) * ndim
    if isinstance(value, (tuple, list)) and len(value) == ndim and all(_is_int(v) and v >= low for v in value):
        return tuple(value)
    raise invalid(name, value, what)


def _tupled(value: Any) -> Any:
    """Lists become tuples (recursively) so specs stay hashable."""
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


def _check_padding(value: object, ndim: int, modes: tuple[str, ...], name: str = "padding") -> None:
    """Accept an int >= 0, an int or (lo, hi) pair per axis, a bare pair when ndim == 1, or a mode."""
    what = (f"an int >= 0, a tuple of {ndim} ints or (lo, hi) pairs"
            + (f", or one of {', '.join(repr(m) for m in modes)}" if modes else ""))
    if isinstance(value, str):
        if value.lower() not in modes:
            raise invalid(name, value, what)
        return
    if _is_int(value):
        if value < 0:
            raise invalid(name, value, what)
        return
    items = value if isinstance(value, tuple) else None
    if items is not None and ndim == 1 and len(items) == 2 and all(_is_int(v) for v in items):
        items = (items,)
    if items is None or len(items) != ndim:
        raise invalid(name, value, what)
    for item in items:
        pair = item if isinstance(item, tuple) else (item,)
        if not (1 <= len(pair) <= 2 and all(_is_int(v) and v >= 0 for v in pair)):
            raise invalid(name, value, what)


def _fmt(value: object) -> str:
    """Compact per-axis values for labels: ``3``, ``3x5``, ``same``, ``((0,1),(0,1))``."""
    if isinstance(value, tuple):
        if all(_is_int(v) for v in value):
            return "x".join(str(v) for v in value) if len(set(value)) > 1 else str(value[0])
        return "(" + ",".join(str(v).replace(" ", "") for v in value) + ")"
    if isinstance(value, str):
        return value.lower()
    return str(value)


_SHAPE_NAMES = {0: "(F,)", 1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}


def _spatial(layer: Layer, in_shape: Shape, ndim: int) -> tuple[int, Shape]:
    """Split ``(C, *spatial)`` after checking it has ``ndim`` spatial axes."""
    if len(in_shape) != ndim + 1:
        names = _SHAPE_NAMES[ndim]
        hint = "; add Flatten() before Dense" if len(in_shape) > 1 and ndim == 0 else ""
        raise ConvCalcError(f"{type(layer).__name__} needs an input of shape {names}; got {in_shape}{hint}")
    return in_shape[0], in_shape[1:]


# --------------------------------------------------------------------------- base
@dataclass(frozen=True)
class Layer:
    """Base of every spec. Defaults describe a shape-preserving, parameter-free layer."""

    def output_shape(self, in_shape: Shape) -> Shape:
        """Output shape for ``in_shape`` (no batch axis)."""
        return tuple(in_shape)

    def param_count(self, in_shape: Shape) -> Params:
        """Trainable and non-trainable parameters for ``in_shape``."""
        return Params(0, 0)

    def macs(self, in_shape: Shape) -> int:
        """Weight multiply-accumulates for one sample, bias not counted."""
        return 0

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """Receptive-field step per spatial axis of ``in_shape``; pointwise here (kernel 1)."""
        return (_IDENTITY,) * (len(in_shape) - 1)

    def rf_grid_after(self, grid: Shape) -> Shape:
        """Spatial grid after this layer when its output has no spatial axes.

        A flat output keeps the grid it came from (``Flatten``, activations), so
        a later :class:`Dense` can see the whole field; layers that mix every
        position (``Dense``, global pools) collapse it to ones.
        """
        return grid

    def describe(self) -> str:
        """Short label for tables and error messages."""
        return f"{type(self).__name__}()"

    def __str__(self) -> str:
        return self.describe()


# --------------------------------------------------------------------------- convolutions
class _ConvBase(Layer):
    """What convolutions and transposed convolutions share (fields live in the subclasses)."""

    ndim: ClassVar[int] = 2
    _modes: ClassVar[tuple[str, ...]] = ("valid", "same", "full")

    def _validate(self) -> None:
        for name in ("kernel_size", "stride", "padding", "dilation"):
            object.__setattr__(self, name, _tupled(getattr(self, name)))
        if not _is_int(self.filters) or self.filters < 1:
            raise invalid("filters", self.filters, "an int >= 1")
        _per_axis(self.kernel_size, self.ndim, "kernel_size", 1)
        _per_axis(self.stride, self.ndim, "stride", 1)
        _per_axis(self.dilation, self.ndim, "dilation", 1)
        _check_padding(self.padding, self.ndim, self._modes)
        if not _is_int(self.groups) or self.groups < 1:
            raise invalid("groups", self.groups, "an int >= 1")
        if self.filters % self.groups:
            raise invalid("groups", self.groups, f"a divisor of filters={self.filters}")
        if not isinstance(self.bias, bool):
            raise invalid("bias", self.bias, "True or False")

    def _ksd(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Kernel, stride and dilation, one int per axis."""
        nd = self.ndim
        return (_per_axis(self.kernel_size, nd, "kernel_size", 1), _per_axis(self.stride, nd, "stride", 1),
                _per_axis(self.dilation, nd, "dilation", 1))

    def _channels(self, in_shape: Shape) -> tuple[int, Shape]:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        if channels % self.groups:
            raise invalid("groups", self.groups, f"a divisor of the input channels {channels}")
        return channels, spatial

    def describe(self) -> str:
        text = (f"{type(self).__name__}({self.filters}, {_fmt(self.kernel_size)}, "
                f"s={_fmt(self.stride)}, p={_fmt(self.padding)}")
        if getattr(self, "output_padding", 0) != 0:
            text += f", op={_fmt(self.output_padding)}"
        if self.dilation != 1:
            text += f", d={_fmt(self.dilation)}"
        if self.groups != 1:
            text += f", g={self.groups}"
        return text + (")" if self.bias else ", bias=False)")


@dataclass(frozen=True)
class _ConvND(_ConvBase):
    """N-d convolution (cross-correlation, as in PyTorch and Keras).

    Output per axis: ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1)/s) + 1``
    (Dumoulin & Visin 2016, rel. 15). Weight shape, PyTorch layout:
    ``(filters, C/groups, *kernel_size)``, bias ``(filters,)``.
    ``padding`` is an int, a tuple per axis or of ``(lo, hi)`` pairs, or
    ``"valid"``, ``"same"``, ``"full"``. ``"same"`` follows PyTorch with
    stride 1 and TensorFlow/Keras (``ceil(n/s)``, extra pixel at the end) with
    a larger stride, which PyTorch rejects.
    """

    filters: int
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | str | tuple = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        self._validate()

    def _pads(self, spatial: Shape) -> tuple[tuple[int, int], ...]:
        k, s, d = self._ksd()
        framework = "keras" if any(x > 1 for x in s) else "torch"
        if framework == "keras" and self.padding == "same" and any(x > 1 for x in d):
            raise ConvCalcError(f"padding='same' with stride {_fmt(self.stride)} needs dilation 1: PyTorch rejects "
                                "'same' with stride > 1 and Keras does not support stride > 1 together with "
                                "dilation > 1")
        return resolve_padding(self.padding, spatial, k, s, d, framework)

    def output_shape(self, in_shape: Shape) -> Shape:
        _, spatial = self._channels(in_shape)
        k, s, d = self._ksd()
        out = conv_output_size(spatial, k, s, self._pads(spatial), d)
        return (self.filters, *out)

    def param_count(self, in_shape: Shape) -> Params:
        channels, _ = self._channels(in_shape)
        weights = self.filters * (channels // self.groups) * prod(self._ksd()[0])
        return Params(weights + (self.filters if self.bias else 0))

    def macs(self, in_shape: Shape) -> int:
        """``filters * C/groups * prod(kernel) * prod(out_spatial)``."""
        channels, _ = self._channels(in_shape)
        out = self.output_shape(in_shape)
        return self.filters * (channels // self.groups) * prod(self._ksd()[0]) * prod(out[1:])

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = self._channels(in_shape)
        k, s, d = self._ksd()
        return tuple(RFStep(kk, ss, lo, dd) for kk, ss, (lo, _), dd in zip(k, s, self._pads(spatial), d))


class Conv1D(_ConvND):
    """1-d convolution on ``(C, L)``; weight ``(filters, C/groups, k)``. See :class:`Conv2D`."""

    ndim = 1


class Conv2D(_ConvND):
    """2-d convolution on ``(C, H, W)``, as ``torch.nn.Conv2d`` / ``keras.layers.Conv2D``.

    Output per axis ``floor((n + p_lo + p_hi - d*(k - 1) - 1)/s) + 1``
    (Dumoulin & Visin 2016, rel. 15). Weight (PyTorch layout)
    ``(filters, C/groups, kh, kw)``, bias ``(filters,)``: the trainer uses these.
    ``"same"`` padding follows PyTorch at stride 1 and TensorFlow/Keras above.

    Examples
    --------
    >>> Conv2D(8, 3, stride=2, padding="same").output_shape((3, 32, 32))
    (8, 16, 16)
    >>> Conv2D(8, (3, 5), padding=(1, 2)).output_shape((3, 32, 32))
    (8, 32, 32)
    """

    ndim = 2


class Conv3D(_ConvND):
    """3-d convolution on ``(C, D, H, W)``; weight ``(filters, C/groups, kd, kh, kw)``. See :class:`Conv2D`."""

    ndim = 3


@dataclass(frozen=True)
class _ConvTransposeND(_ConvBase):
    """N-d transposed convolution.

    Output per axis ``(n - 1)*s - p_lo - p_hi + d*(k - 1) + output_padding + 1``
    (PyTorch ``ConvTranspose2d``; Dumoulin & Visin rel. 14). Weight, PyTorch
    layout: ``(C, filters/groups, *kernel_size)`` (input channels first), bias
    ``(filters,)``. MACs: every input element meets the whole kernel,
    ``C * filters/groups * prod(kernel) * prod(in_spatial)``. With stride > 1
    the receptive field is not shift-invariant: ``rf_step`` returns ``None``.
    """

    filters: int
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | tuple = 0
    output_padding: int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    bias: bool = True

    _modes: ClassVar[tuple[str, ...]] = ("valid",)

    def __post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "output_padding", _tupled(self.output_padding))
        _per_axis(self.output_padding, self.ndim, "output_padding", 0)

    def _pads(self, spatial: Shape) -> tuple[tuple[int, int], ...]:
        k, s, d = self._ksd()
        return resolve_padding(self.padding, spatial, k, s, d)

    def output_shape(self, in_shape: Shape) -> Shape:
        _, spatial = self._channels(in_shape)
        k, s, d = self._ksd()
        out = transposed_output_size(spatial, k, s, self._pads(spatial), d,
                                     _per_axis(self.output_padding, self.ndim, "output_padding", 0))
        return (self.filters, *out)

    def param_count(self, in_shape: Shape) -> Params:
        channels, _ = self._channels(in_shape)
        weights = channels * (self.filters // self.groups) * prod(self._ksd()[0])
        return Params(weights + (self.filters if self.bias else 0))

    def macs(self, in_shape: Shape) -> int:
        """``C * filters/groups * prod(kernel) * prod(in_spatial)``."""
        channels, spatial = self._channels(in_shape)
        return channels * (self.filters // self.groups) * prod(self._ksd()[0]) * prod(spatial)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = self._channels(in_shape)
        k, s, d = self._ksd()
        if any(x > 1 for x in s):
            return None
        # stride 1: a convolution with the flipped kernel and padding d*(k - 1) - p_lo before
        return tuple(RFStep(kk, 1, dd * (kk - 1) - lo, dd) for kk, (lo, _), dd in zip(k, self._pads(spatial), d))


class ConvTranspose1D(_ConvTransposeND):
    """1-d transposed convolution; weight ``(C, filters/groups, k)``. See :class:`ConvTranspose2D`."""

    ndim = 1


class ConvTranspose2D(_ConvTransposeND):
    """2-d transposed convolution, as ``torch.nn.ConvTranspose2d``.

    Output per axis ``(n - 1)*s - 2p + d*(k - 1) + output_padding + 1``.
    Weight (PyTorch layout) ``(C, filters/groups, kh, kw)``, bias ``(filters,)``.

    Examples
    --------
    >>> ConvTranspose2D(16, 3, stride=2, padding=1, output_padding=1).output_shape((32, 7, 7))
    (16, 14, 14)
    """

    ndim = 2


class ConvTranspose3D(_ConvTransposeND):
    """3-d transposed convolution; weight ``(C, filters/groups, kd, kh, kw)``."""

    ndim = 3


# --------------------------------------------------------------------------- pools
@dataclass(frozen=True)
class _PoolND(Layer):
    """N-d max or average pooling, PyTorch's rule (Dumoulin & Visin rel. 7).

    ``stride`` defaults to ``pool_size``. ``ceil_mode`` drops a last window that
    would start in the right padding (PyTorch). ``padding="same"`` follows
    TensorFlow/Keras (``ceil(n/s)``). No parameters.
    """

    pool_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    padding: int | str | tuple = 0

    ndim: ClassVar[int] = 2

    def _check(self) -> None:
        object.__setattr__(self, "pool_size", _tupled(self.pool_size))
        object.__setattr__(self, "stride", _tupled(self.stride))
        object.__setattr__(self, "padding", _tupled(self.padding))
        _per_axis(self.pool_size, self.ndim, "pool_size", 1)
        if self.stride is not None:
            _per_axis(self.stride, self.ndim, "stride", 1)
        _check_padding(self.padding, self.ndim, ("valid", "same"))
        if not isinstance(self.ceil_mode, bool):
            raise invalid("ceil_mode", self.ceil_mode, "True or False")

    def _ksd(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        nd = self.ndim
        k = _per_axis(self.pool_size, nd, "pool_size", 1)
        s = k if self.stride is None else _per_axis(self.stride, nd, "stride", 1)
        return k, s, _per_axis(getattr(self, "dilation", 1), nd, "dilation", 1)

    def _framework(self) -> str:
        return "keras" if isinstance(self.padding, str) and self.padding.lower() == "same" else "torch"

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        k, s, d = self._ksd()
        pads = resolve_padding(self.padding, spatial, k, s, d, self._framework())
        out = pool_output_size(spatial, k, s, pads, d, self.ceil_mode, framework=self._framework())
        return (channels, *out)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = _spatial(self, in_shape, self.ndim)
        k, s, d = self._ksd()
        pads = resolve_padding(self.padding, spatial, k, s, d, self._framework())
        return tuple(RFStep(kk, ss, lo, dd) for kk, ss, (lo, _), dd in zip(k, s, pads, d))

    def describe(self) -> str:
        text = f"{type(self).__name__}({_fmt(self.pool_size)}"
        if self.stride is not None and self.stride != self.pool_size:
            text += f", s={_fmt(self.stride)}"
        if self.padding != 0:
            text += f", p={_fmt(self.padding)}"
        if getattr(self, "dilation", 1) != 1:
            text += f", d={_fmt(self.dilation)}"
        return text + (", ceil)" if self.ceil_mode else ")")


@dataclass(frozen=True)
class _MaxPoolND(_PoolND):
    dilation: int | tuple[int, ...] = 1
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dilation", _tupled(self.dilation))
        _per_axis(self.dilation, self.ndim, "dilation", 1)
        self._check()


@dataclass(frozen=True)
class _AvgPoolND(_PoolND):
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        self._check()


class MaxPool1D(_MaxPoolND):
    """1-d max pooling on ``(C, L)``. See :class:`MaxPool2D`."""

    ndim = 1


class MaxPool2D(_MaxPoolND):
    """2-d max pooling, as ``torch.nn.MaxPool2d`` / ``keras.layers.MaxPool2D``.

    ``o = floor((n + 2p - d*(k - 1) - 1 [+ s - 1 with ceil_mode]) / s) + 1``,
    ``stride`` defaulting to ``pool_size``; padding at most half the window.

    Examples
    --------
    >>> MaxPool2D(2).output_shape((32, 26, 26))
    (32, 13, 13)
    >>> MaxPool2D(3, stride=2, ceil_mode=True).output_shape((64, 56, 56))
    (64, 28, 28)
    """

    ndim = 2


class MaxPool3D(_MaxPoolND):
    """3-d max pooling on ``(C, D, H, W)``. See :class:`MaxPool2D`."""

    ndim = 3


class AvgPool1D(_AvgPoolND):
    """1-d average pooling on ``(C, L)``. See :class:`AvgPool2D`."""

    ndim = 1


class AvgPool2D(_AvgPoolND):
    """2-d average pooling, as ``torch.nn.AvgPool2d`` (no dilation).

    Examples
    --------
    >>> AvgPool2D(2, stride=1).output_shape((6, 28, 28))
    (6, 27, 27)
    """

    ndim = 2


class AvgPool3D(_AvgPoolND):
    """3-d average pooling on ``(C, D, H, W)``. See :class:`AvgPool2D`."""

    ndim = 3


@dataclass(frozen=True)
class AdaptiveAvgPool2D(Layer):
    """Average pooling to a fixed ``output_size``, as ``torch.nn.AdaptiveAvgPool2d``.

    Window ``i`` along an axis covers ``[floor(i*n/o), ceil((i + 1)*n/o))``
    (ATen ``adaptive_avg_pool2d``). When ``o`` divides ``n`` this is a pool with
    ``k = s = n/o`` (identity when ``o == n``, as in AlexNet on 224x224);
    otherwise the windows differ in size and ``rf_step`` returns ``None``.

    Examples
    --------
    >>> AdaptiveAvgPool2D((6, 6)).output_shape((256, 6, 6))
    (256, 6, 6)
    """

    output_size: int | tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "output_size", _tupled(self.output_size))
        _per_axis(self.output_size, 2, "output_size", 1)

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, _ = _spatial(self, in_shape, 2)
        return (channels, *_per_axis(self.output_size, 2, "output_size", 1))

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = _spatial(self, in_shape, 2)
        out = _per_axis(self.output_size, 2, "output_size", 1)
        if any(n % o for n, o in zip(spatial, out)):
            return None
        return tuple(RFStep(n // o, n // o, 0) for n, o in zip(spatial, out))

    def describe(self) -> str:
        return f"AdaptiveAvgPool2D({_fmt(self.output_size)})"


@dataclass(frozen=True)
class _GlobalPool2D(Layer):
    """Pool every position of each channel into one value: ``(C, H, W) -> (C,)``.

    ``keepdims=True`` gives ``(C, 1, 1)``, as PyTorch's ``AdaptiveAvgPool2d(1)``.
    Receptive-field step: a window the size of the input.
    """

    keepdims: bool = False

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, _ = _spatial(self, in_shape, 2)
        return (channels, 1, 1) if self.keepdims else (channels,)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = _spatial(self, in_shape, 2)
        return tuple(RFStep(n, 1, 0) for n in spatial)

    def rf_grid_after(self, grid: Shape) -> Shape:
        return (1,) * len(grid)


class GlobalAvgPool2D(_GlobalPool2D):
    """Global average pooling, as ``keras.layers.GlobalAveragePooling2D``: ``(C, H, W) -> (C,)``.

    Examples
    --------
    >>> GlobalAvgPool2D().output_shape((512, 7, 7))
    (512,)
    """


class GlobalMaxPool2D(_GlobalPool2D):
    """Global max pooling, as ``keras.layers.GlobalMaxPooling2D``: ``(C, H, W) -> (C,)``."""


# --------------------------------------------------------------------------- padding
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
        self._pairs()

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        p = self.padding
        nd = self.ndim
        if isinstance(p, tuple) and len(p) == 2 * nd and nd > 1 and all(_is_int(v) and v >= 0 for v in p):
            return tuple((p[2 * i], p[2 * i + 1]) for i in reversed(range(nd)))
        _check_padding(p, nd, ())
        return resolve_padding(p, (1,) * nd, (1,) * nd, (1,) * nd, (1,) * nd)

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        return (channels, *(n + lo + hi for n, (lo, hi) in zip(spatial, self._pairs())))

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _spatial(self, in_shape, self.ndim)
        return tuple(RFStep(1, 1, lo) for lo, _ in self._pairs())

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


# --------------------------------------------------------------------------- normalisation, reshaping, dense
@dataclass(frozen=True)
class _BatchNormND(Layer):
    """Batch normalisation over the channel axis (inference view: the receptive field is unchanged).

    Parameters: ``gamma, beta`` trainable ``(C,)`` each; running mean and
    variance non-trainable ``(C,)`` each (Keras counts them; PyTorch keeps them as buffers).
    """

    ndims: ClassVar[tuple[int, ...]] = (2,)

    def _channels(self, in_shape: Shape) -> int:
        if len(in_shape) - 1 not in self.ndims:
            shapes = " or ".join(_SHAPE_NAMES[n] for n in self.ndims)
            raise ConvCalcError(f"{type(self).__name__} needs an input of shape {shapes}; got {tuple(in_shape)}")
        return in_shape[0]

    def output_shape(self, in_shape: Shape) -> Shape:
        self._channels(in_shape)
        return tuple(in_shape)

    def param_count(self, in_shape: Shape) -> Params:
        channels = self._channels(in_shape)
        return Params(2 * channels, 2 * channels)


class BatchNorm1D(_BatchNormND):
    """Batch normalisation of ``(F,)`` or ``(C, L)``, as ``torch.nn.BatchNorm1d``."""

    ndims = (0, 1)


class BatchNorm2D(_BatchNormND):
    """Batch normalisation of ``(C, H, W)``, as ``torch.nn.BatchNorm2d``: ``2C`` trainable, ``2C`` not.

    Examples
    --------
    >>> BatchNorm2D().param_count((64, 56, 56))
    Params(trainable=128, non_trainable=128)
    """

    ndims = (2,)


class BatchNorm3D(_BatchNormND):
    """Batch normalisation of ``(C, D, H, W)``, as ``torch.nn.BatchNorm3d``."""

    ndims = (3,)


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


@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer on ``(F,)``, as ``keras.layers.Dense`` / ``torch.nn.Linear``.

    Weight (PyTorch layout) ``(units, F)``, bias ``(units,)``; ``F*units`` MACs.
    Every output sees the whole field it is given: its receptive-field step is a
    window the size of the (pre-``Flatten``) grid.

    Examples
    --------
    >>> Dense(100).param_count((5408,))
    Params(trainable=540900, non_trainable=0)
    """

    units: int
    bias: bool = True

    def __post_init__(self) -> None:
        if not _is_int(self.units) or self.units < 1:
            raise invalid("units", self.units, "an int >= 1")
        if not isinstance(self.bias, bool):
            raise invalid("bias", self.bias, "True or False")

    def _features(self, in_shape: Shape) -> int:
        return _spatial(self, in_shape, 0)[0]

    def output_shape(self, in_shape: Shape) -> Shape:
        self._features(in_shape)
        return (self.units,)

    def param_count(self, in_shape: Shape) -> Params:
        return Params(self._features(in_shape) * self.units + (self.units if self.bias else 0))

    def macs(self, in_shape: Shape) -> int:
        return self._features(in_shape) * self.units

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        return tuple(RFStep(n, 1, 0) for n in in_shape[1:])

    def rf_grid_after(self, grid: Shape) -> Shape:
        return (1,) * len(grid)

    def describe(self) -> str:
        return f"Dense({self.units}" + (")" if self.bias else ", bias=False)")


def _check_number(value: object, name: str, low: float | None = None, high: float | None = None) -> None:
    """A real number (not a bool), optionally in ``[low, high)``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and low is not None and high is not None:
        ok = low <= value < high
    if not ok:
        raise invalid(name, value, "a number" + (f" in [{low:g}, {high:g})" if low is not None else ""))


@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout with probability ``rate`` in ``[0, 1)`` (Keras ``rate``, PyTorch ``p``); identity in shape."""

    rate: float = 0.5

    def __post_init__(self) -> None:
        _check_number(self.rate, "rate", 0, 1)

    def describe(self) -> str:
        return f"Dropout({self.rate:g})"


# --------------------------------------------------------------------------- activations
@dataclass(frozen=True)
class _Activation(Layer):
    """An elementwise function: shape, parameters and receptive field unchanged."""

    def describe(self) -> str:
        return type(self).__name__


class ReLU(_Activation):
    """``max(x, 0)``, elementwise."""


@dataclass(frozen=True)
class LeakyReLU(_Activation):
    """``x if x > 0 else negative_slope*x`` (PyTorch default 0.01; Keras 3 default 0.3)."""

    negative_slope: float = 0.01

    def __post_init__(self) -> None:
        _check_number(self.negative_slope, "negative_slope")

    def describe(self) -> str:
        return f"LeakyReLU({self.negative_slope:g})"


@dataclass(frozen=True)
class ELU(_Activation):
    """``x if x > 0 else alpha*(exp(x) - 1)``."""

    alpha: float = 1.0

    def __post_init__(self) -> None:
        _check_number(self.alpha, "alpha")

    def describe(self) -> str:
        return f"ELU({self.alpha:g})"


class Sigmoid(_Activation):
    """``1/(1 + exp(-x))``, elementwise."""


class Tanh(_Activation):
    """``tanh(x)``, elementwise."""


class Softmax(_Activation):
    """Softmax over the feature/channel axis (axis 0 without batch; PyTorch ``dim=1``)."""
