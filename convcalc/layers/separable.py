"""Depthwise and depthwise-separable convolutions (MobileNet's blocks), as the convolutions they are.

``DepthwiseConv2D`` is a :class:`~convcalc.layers.Conv2D` with ``groups = C`` and
``filters = C * depth_multiplier`` once the input channels ``C`` are known;
``SeparableConv2D`` is that depthwise convolution (no bias) followed by a 1x1
convolution to ``filters`` channels, as ``keras.layers.SeparableConv2D`` and the
PyTorch pair ``Conv2d(C, C*m, k, groups=C, bias=False), Conv2d(C*m, filters, 1)``.
Every count is the sum of those convolutions' counts, so no rule is re-derived here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from convcalc.errors import invalid
from convcalc.layers._base import Layer, Params, RFStep, Shape
from convcalc.layers._checks import _fmt, _is_int, _keras_keywords, _spatial, _tupled
from convcalc.layers._registry import register
from convcalc.layers.conv import Conv2D



class _Depthwise(Layer):
    """Shared by the two: the depthwise convolution for a given number of input channels."""

    ndim: ClassVar[int] = 2

    if TYPE_CHECKING:  # fields of the two subclasses
        kernel_size: int | tuple[int, ...]
        stride: int | tuple[int, ...]
        padding: int | str | tuple
        depth_multiplier: int
        dilation: int | tuple[int, ...]

    def _check_fields(self) -> None:
        for name in ("kernel_size", "stride", "padding", "dilation"):
            object.__setattr__(self, name, _tupled(getattr(self, name)))
        if not _is_int(self.depth_multiplier) or self.depth_multiplier < 1:
            raise invalid("depth_multiplier", self.depth_multiplier, "an int >= 1")
        Conv2D(self.depth_multiplier, self.kernel_size, stride=self.stride, padding=self.padding,
               dilation=self.dilation)  # validates the geometry with Conv2D's own checks

    def depthwise(self, in_shape: Shape, bias: bool) -> Conv2D:
        """The depthwise :class:`Conv2D` for ``in_shape``: ``groups = C``, ``C * depth_multiplier`` filters.

        >>> DepthwiseConv2D(3).depthwise((8, 16, 16), True)
        Conv2D(filters=8, kernel_size=3, stride=1, padding=0, dilation=1, groups=8, bias=True)
        """
        channels, _ = _spatial(self, in_shape, self.ndim)
        return Conv2D(channels * self.depth_multiplier, self.kernel_size, stride=self.stride, padding=self.padding,
                      dilation=self.dilation, groups=channels, bias=bias)

    def window_geometry(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """``(kernel, stride, dilation)`` per spatial axis, as :meth:`Conv2D.window_geometry`."""
        return Conv2D(1, self.kernel_size, stride=self.stride, dilation=self.dilation).window_geometry()

    def _parts(self, in_shape: Shape) -> list[tuple[Conv2D, Shape]]:
        raise NotImplementedError

    def output_shape(self, in_shape: Shape) -> Shape:
        layer, shape = self._parts(in_shape)[-1]
        return layer.output_shape(shape)

    def param_count(self, in_shape: Shape) -> Params:
        counts = [layer.param_count(shape) for layer, shape in self._parts(in_shape)]
        return Params(sum(c.trainable for c in counts), sum(c.non_trainable for c in counts))

    def macs(self, in_shape: Shape) -> int:
        """Sum of the parts' weight MACs (depthwise: ``C*m * prod(k) * prod(out_spatial)``)."""
        return sum(layer.macs(shape) for layer, shape in self._parts(in_shape))

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """Sum of the parts' counts, each under ``convention`` (as the tools count the two modules)."""
        return sum(layer.macs_under(convention, shape, layer.output_shape(shape))
                   for layer, shape in self._parts(in_shape))

    def activation_size(self, in_shape: Shape, out_shape: Shape) -> int:
        """Every part's output (the separable block keeps the depthwise output too)."""
        return sum(layer.activation_size(shape, layer.output_shape(shape)) for layer, shape in self._parts(in_shape))

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        """The depthwise convolution's step (the 1x1 part is pointwise)."""
        layer, shape = self._parts(in_shape)[0]
        return layer.rf_step(shape)


@register(names=("depthwiseconv2d", "depthwiseconv", "dwconv", "dwconv2d", "depthwise"),
          positional=("kernel_size", "stride", "padding", "depth_multiplier"), trains="convcalc.nn.layers.Conv2d")
@dataclass(frozen=True)
class DepthwiseConv2D(_Depthwise):
    """Depthwise convolution, as ``keras.layers.DepthwiseConv2D(kernel_size, strides, padding, depth_multiplier)``.

    ``(C, H, W) -> (C * depth_multiplier, H', W')``: each input channel is convolved
    with its own ``depth_multiplier`` kernels (PyTorch: ``Conv2d(C, C*m, k, groups=C)``).
    Weights ``C*m * prod(k)``, bias ``C*m``.

    Examples
    --------
    >>> DepthwiseConv2D(3, padding=1).output_shape((32, 112, 112))
    (32, 112, 112)
    >>> DepthwiseConv2D(3, depth_multiplier=2).param_count((8, 10, 10))
    Params(trainable=160, non_trainable=0)
    """

    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | str | tuple = 0
    depth_multiplier: int = 1
    dilation: int | tuple[int, ...] = 1
    bias: bool = True

    def __post_init__(self) -> None:
        self._check_fields()
        if not isinstance(self.bias, bool):
            raise invalid("bias", self.bias, "True or False")

    def _parts(self, in_shape: Shape) -> list[tuple[Conv2D, Shape]]:
        return [(self.depthwise(in_shape, self.bias), tuple(in_shape))]

    def describe(self) -> str:
        text = f"DepthwiseConv2D({_fmt(self.kernel_size)}, s={_fmt(self.stride)}, p={_fmt(self.padding)}"
        if self.depth_multiplier != 1:
            text += f", m={self.depth_multiplier}"
        if self.dilation != 1:
            text += f", d={_fmt(self.dilation)}"
        return text + (")" if self.bias else ", bias=False)")


@register(names=("separableconv2d", "separableconv", "sepconv", "sepconv2d", "separable"),
          positional=("filters", "kernel_size", "stride", "padding"), trains="convcalc.nn.vocabulary.SeparableConv2d")
@dataclass(frozen=True)
class SeparableConv2D(_Depthwise):
    """Depthwise-separable convolution, as ``keras.layers.SeparableConv2D(filters, kernel_size, strides, padding)``.

    A depthwise convolution without bias (``C*m`` channels) then a 1x1 convolution to
    ``filters`` with bias: weights ``C*m*prod(k) + C*m*filters``, bias ``filters``.

    Examples
    --------
    >>> SeparableConv2D(64, 3, padding="same").param_count((32, 56, 56))
    Params(trainable=2400, non_trainable=0)
    """

    filters: int
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | str | tuple = 0
    depth_multiplier: int = 1
    dilation: int | tuple[int, ...] = 1
    bias: bool = True

    def __post_init__(self) -> None:
        self._check_fields()
        Conv2D(self.filters, 1, bias=self.bias)  # filters and bias checked as Conv2D checks them

    def _parts(self, in_shape: Shape) -> list[tuple[Conv2D, Shape]]:
        depthwise = self.depthwise(in_shape, False)
        middle = depthwise.output_shape(tuple(in_shape))
        return [(depthwise, tuple(in_shape)), (Conv2D(self.filters, 1, bias=self.bias), middle)]

    def describe(self) -> str:
        text = f"SeparableConv2D({self.filters}, {_fmt(self.kernel_size)}, s={_fmt(self.stride)}, p={_fmt(self.padding)}"
        if self.depth_multiplier != 1:
            text += f", m={self.depth_multiplier}"
        if self.dilation != 1:
            text += f", d={_fmt(self.dilation)}"
        return text + (")" if self.bias else ", bias=False)")


_keras_keywords(DepthwiseConv2D)
_keras_keywords(SeparableConv2D)
