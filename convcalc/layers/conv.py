"""Convolution specs: ``Conv1D``/``2D``/``3D`` and the transposed ``ConvTranspose1D``/``2D``/``3D``."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import prod
from typing import ClassVar

from convcalc.arithmetic import (PADDING_MODES, adjoint_padding, conv_output_size, resolve_padding,
                                 transposed_output_size)
from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, Params, RFStep, Shape, fraction_step
from convcalc.layers._registry import register, unknown_convention
from convcalc.layers._checks import (_check_declared, _check_padding, _fmt, _guard_positional, _is_int,
                                     _keras_keywords, _per_axis, _spatial, _tupled)


class _ConvBase(Layer):
    """What convolutions and transposed convolutions share (fields live in the subclasses)."""

    ndim: ClassVar[int] = 2
    _modes: ClassVar[tuple[str, ...]] = PADDING_MODES  # 'causal' is Keras's, 1-D only (padding_form says so)

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
        if self.in_channels is not None and (not _is_int(self.in_channels) or self.in_channels < 1):
            raise invalid("in_channels", self.in_channels, "an int >= 1, or None (not checked)")

    def window_geometry(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """``(kernel, stride, dilation)``, each a tuple with one int per spatial axis.

        >>> Conv2D(8, 3, stride=2).window_geometry()
        ((3, 3), (2, 2), (1, 1))
        """
        nd = self.ndim
        return (_per_axis(self.kernel_size, nd, "kernel_size", 1), _per_axis(self.stride, nd, "stride", 1),
                _per_axis(self.dilation, nd, "dilation", 1))

    def _channels(self, in_shape: Shape) -> tuple[int, Shape]:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        _check_declared(self, "in_channels", self.in_channels, channels, in_shape)
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
    in_channels: int | None = field(default=None, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        self._validate()

    def padding_pairs(self, spatial: Shape) -> tuple[tuple[int, int], ...]:
        """The ``(lo, hi)`` zero padding per axis for an input of ``spatial`` size, from
        :func:`convcalc.arithmetic.resolve_padding` ('same' is PyTorch's at stride 1 and
        TensorFlow/Keras's above, the extra pixel on the bottom/right).

        >>> Conv2D(8, 4, padding="same").padding_pairs((28, 28))
        ((1, 2), (1, 2))
        """
        k, s, d = self.window_geometry()
        framework = "keras" if any(x > 1 for x in s) else "torch"
        if framework == "keras" and self.padding == "same" and any(x > 1 for x in d):
            raise ConvCalcError(f"padding='same' with stride {_fmt(self.stride)} needs dilation 1: PyTorch rejects "
                                "'same' with stride > 1 and Keras does not support stride > 1 together with "
                                "dilation > 1")
        return resolve_padding(self.padding, spatial, k, s, d, framework)

    def output_shape(self, in_shape: Shape) -> Shape:
        self._channels(in_shape)  # checked on every call (in_channels is not part of the cache key's equality)
        return _conv_output(self, tuple(in_shape))

    def param_count(self, in_shape: Shape) -> Params:
        channels, _ = self._channels(in_shape)
        weights = self.filters * (channels // self.groups) * prod(self.window_geometry()[0])
        return Params(weights + (self.filters if self.bias else 0))

    def macs(self, in_shape: Shape) -> int:
        """``filters * C/groups * prod(kernel) * prod(out_spatial)``."""
        channels, _ = self._channels(in_shape)
        out = self.output_shape(in_shape)
        return self.filters * (channels // self.groups) * prod(self.window_geometry()[0]) * prod(out[1:])

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """Weight MACs ``W`` (torchvision, fvcore, thop); ``(weights + bias) * out positions`` (torchinfo);
        ``W`` plus one add per output element for the bias (ptflops)."""
        channels, _ = self._channels(in_shape)
        weights = self.filters * (channels // self.groups) * prod(self.window_geometry()[0]) * prod(out_shape[1:])
        if convention in ("torchvision", "fvcore", "thop"):
            return weights
        if convention == "torchinfo":
            return self.param_count(in_shape).trainable * prod(out_shape[1:])
        if convention == "ptflops":
            return weights + (prod(out_shape) if self.bias else 0)
        raise unknown_convention(self, convention)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = self._channels(in_shape)
        k, s, d = self.window_geometry()
        return tuple(RFStep(kk, ss, lo, dd) for kk, ss, (lo, _), dd in zip(k, s, self.padding_pairs(spatial), d))


@lru_cache(maxsize=4096)
def _conv_output(layer: _ConvND, in_shape: Shape) -> Shape:
    """Output shape of ``layer`` on ``in_shape``, cached: equal layers on equal shapes (a ResNet's repeated
    blocks, a spec of thousands of identical layers) resolve their geometry once."""
    spatial = in_shape[1:]
    k, s, d = layer.window_geometry()
    return (layer.filters, *conv_output_size(spatial, k, s, layer.padding_pairs(spatial), d))


_guard_positional(_ConvND, ("filters", "kernel_size", "stride", "padding"))
_keras_keywords(_ConvND)


_CONV = ("filters", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
_CONVT = ("filters", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "bias")
_TORCH_CONV = ("in_channels", *_CONV)
_TORCH_CONVT = ("in_channels", "filters", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation")
_NOT_ND = "the trainer's engine runs 2-d layers only"


@register(names=("conv1d", "convolution1d"), positional=_CONV, torch_names=("Conv1d", "LazyConv1d"),
          torch_positional=_TORCH_CONV, not_trained=_NOT_ND)
class Conv1D(_ConvND):
    """1-d convolution on ``(C, L)``; weight ``(filters, C/groups, k)``. See :class:`Conv2D`."""

    ndim = 1


@register(names=("conv2d", "convolution2d", "conv", "convolution", "groupconv", "gconv", "groupedconv"),
          positional=_CONV, torch_names=("Conv2d", "LazyConv2d"), torch_positional=_TORCH_CONV,
          trains="convcalc.nn.layers.Conv2d")
class Conv2D(_ConvND):
    """2-d convolution on ``(C, H, W)``, in Keras's positional order: ``Conv2D(filters, kernel_size, stride, padding)``.

    The same layer as ``keras.layers.Conv2D(filters, kernel_size, strides, padding)`` and
    ``torch.nn.Conv2d(in_channels, filters, kernel_size, stride, padding)``; the input
    channels come from the input shape (``in_channels=`` by keyword makes the spec check
    them). ``Conv2D(3, 8, 3)`` reads two ways (Keras: 3 filters, kernel 8, stride 3;
    PyTorch: 3 -> 8 channels, kernel 3) and is refused: name the stride, or use
    ``convcalc.torch.Conv2d`` for PyTorch's order. ``dilation``, ``groups`` and ``bias``
    follow positionally (PyTorch's and Keras's names are accepted in specs).

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


@register(names=("conv3d", "convolution3d"), positional=_CONV, torch_names=("Conv3d", "LazyConv3d"),
          torch_positional=_TORCH_CONV, not_trained=_NOT_ND)
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
    the receptive-field step is fractional: stride ``Fraction(1, s)``, kernel
    ``floor(d*(k - 1)/s) + 1`` input units (exact, see :mod:`convcalc.receptive`).
    """

    filters: int
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | tuple = 0
    output_padding: int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    bias: bool = True
    in_channels: int | None = field(default=None, repr=False, compare=False, kw_only=True)

    _modes: ClassVar[tuple[str, ...]] = ("valid",)

    def __post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "output_padding", _tupled(self.output_padding))
        _per_axis(self.output_padding, self.ndim, "output_padding", 0)

    def padding_pairs(self, spatial: Shape) -> tuple[tuple[int, int], ...]:
        """The ``(lo, hi)`` padding per axis that the transposed convolution crops (PyTorch's ``padding``)."""
        k, s, d = self.window_geometry()
        return resolve_padding(self.padding, spatial, k, s, d)

    def output_shape(self, in_shape: Shape) -> Shape:
        _, spatial = self._channels(in_shape)
        k, s, d = self.window_geometry()
        out = transposed_output_size(spatial, k, s, self.padding_pairs(spatial), d,
                                     _per_axis(self.output_padding, self.ndim, "output_padding", 0))
        return (self.filters, *out)

    def param_count(self, in_shape: Shape) -> Params:
        channels, _ = self._channels(in_shape)
        weights = channels * (self.filters // self.groups) * prod(self.window_geometry()[0])
        return Params(weights + (self.filters if self.bias else 0))

    def macs(self, in_shape: Shape) -> int:
        """``C * filters/groups * prod(kernel) * prod(in_spatial)``."""
        channels, spatial = self._channels(in_shape)
        return channels * (self.filters // self.groups) * prod(self.window_geometry()[0]) * prod(spatial)

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """``W`` on input positions (torchvision, fvcore); ``(weights + bias) * out positions`` (torchinfo);
        ``W`` + bias adds (ptflops); ``out elements * C/groups * prod(k)`` (thop counts output positions)."""
        weights = self.macs(in_shape)
        if convention in ("torchvision", "fvcore"):
            return weights
        if convention == "torchinfo":
            return self.param_count(in_shape).trainable * prod(out_shape[1:])
        if convention == "ptflops":
            return weights + (prod(out_shape) if self.bias else 0)
        if convention == "thop":
            return prod(out_shape) * (in_shape[0] // self.groups) * prod(self.window_geometry()[0])
        raise unknown_convention(self, convention)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = self._channels(in_shape)
        k, s, d = self.window_geometry()
        pads = self.padding_pairs(spatial)
        if all(x == 1 for x in s):
            # stride 1: a convolution with the flipped kernel and padding d*(k - 1) - p_lo before
            return tuple(RFStep(kk, 1, adjoint_padding(kk, dd, lo, hi)[0], dd) for kk, (lo, hi), dd in zip(k, pads, d))
        # stride s: each output unit reads K = floor(d*(k - 1)/s) + 1 inputs, one input step is 1/s of an
        # output step, and the first unit's field is centred at (p_lo - d*(k - 1)/2)/s input units
        steps = []
        for kk, ss, dd, (lo, _) in zip(k, s, d, pads):
            span = dd * (kk - 1)
            units = span // ss + 1
            steps.append(RFStep(units, Fraction(1, ss),
                                fraction_step(Fraction(units - 1, 2) - (lo - Fraction(span, 2)) / ss), 1))
        return tuple(steps)


_guard_positional(_ConvTransposeND, ("filters", "kernel_size", "stride", "padding", "output_padding"))
_keras_keywords(_ConvTransposeND)


@register(names=("convtranspose1d", "convtrans1d", "deconv1d", "tconv1d", "convt1d", "conv1dtranspose"),
          positional=_CONVT, torch_names=("ConvTranspose1d", "LazyConvTranspose1d"),
          torch_positional=_TORCH_CONVT, not_trained="the trainer has no transposed convolution")
class ConvTranspose1D(_ConvTransposeND):
    """1-d transposed convolution; weight ``(C, filters/groups, k)``. See :class:`ConvTranspose2D`."""

    ndim = 1


@register(names=("convtranspose2d", "convtrans2d", "deconv2d", "tconv2d", "convt2d", "conv2dtranspose", "convtranspose", "convtrans", "deconv", "tconv", "convt"),
          positional=_CONVT, torch_names=("ConvTranspose2d", "LazyConvTranspose2d"),
          torch_positional=_TORCH_CONVT, not_trained="the trainer has no transposed convolution")
class ConvTranspose2D(_ConvTransposeND):
    """2-d transposed convolution, in Keras's positional order: ``ConvTranspose2D(filters, kernel_size, stride,
    padding, output_padding)`` (``keras.layers.Conv2DTranspose``; ``torch.nn.ConvTranspose2d`` puts
    ``in_channels`` first: use ``convcalc.torch.ConvTranspose2d`` for that order).

    Output per axis ``(n - 1)*s - 2p + d*(k - 1) + output_padding + 1``.
    Weight (PyTorch layout) ``(C, filters/groups, kh, kw)``, bias ``(filters,)``.

    Examples
    --------
    >>> ConvTranspose2D(16, 3, stride=2, padding=1, output_padding=1).output_shape((32, 7, 7))
    (16, 14, 14)
    """

    ndim = 2


@register(names=("convtranspose3d", "convtrans3d", "deconv3d", "tconv3d", "convt3d", "conv3dtranspose"),
          positional=_CONVT, torch_names=("ConvTranspose3d", "LazyConvTranspose3d"),
          torch_positional=_TORCH_CONVT, not_trained="the trainer has no transposed convolution")
class ConvTranspose3D(_ConvTransposeND):
    """3-d transposed convolution; weight ``(C, filters/groups, kd, kh, kw)``."""

    ndim = 3
