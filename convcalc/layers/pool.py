"""Pooling specs: max and average pools (1-3 d), adaptive average/max and global pools (2-d)."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import ClassVar

from convcalc.arithmetic import pool_output_size, resolve_padding
from convcalc.errors import invalid
from convcalc.layers._base import Layer, RFStep, Shape
from convcalc.layers._registry import register, unknown_convention
from convcalc.layers._checks import _check_padding, _fmt, _keras_keywords, _NoWeights, _per_axis, _spatial, _tupled


@dataclass(frozen=True)
class _PoolND(_NoWeights, Layer):
    """N-d max or average pooling, PyTorch's rule (Dumoulin & Visin rel. 7).

    ``stride`` defaults to ``pool_size``. ``ceil_mode`` drops a last window that
    would start in the right padding (PyTorch). ``padding="same"`` follows
    TensorFlow/Keras (``ceil(n/s)``). No parameters.
    """

    pool_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    padding: int | str | tuple = 0

    ndim: ClassVar[int] = 2
    #: thop's count per output element: 1 for average pools, 0 for max pools.
    thop_per_output: ClassVar[int] = 0

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

    def window_geometry(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """``(pool size, stride, dilation)`` per spatial axis; the stride defaults to the pool size.

        >>> MaxPool2D(2).window_geometry()
        ((2, 2), (2, 2), (1, 1))
        """
        nd = self.ndim
        k = _per_axis(self.pool_size, nd, "pool_size", 1)
        s = k if self.stride is None else _per_axis(self.stride, nd, "stride", 1)
        return k, s, _per_axis(getattr(self, "dilation", 1), nd, "dilation", 1)

    def _framework(self) -> str:
        return "keras" if isinstance(self.padding, str) and self.padding.lower() == "same" else "torch"

    def output_shape(self, in_shape: Shape) -> Shape:
        channels, spatial = _spatial(self, in_shape, self.ndim)
        k, s, d = self.window_geometry()
        pads = resolve_padding(self.padding, spatial, k, s, d, self._framework())
        out = pool_output_size(spatial, k, s, pads, d, self.ceil_mode, framework=self._framework())
        return (channels, *out)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        _, spatial = _spatial(self, in_shape, self.ndim)
        k, s, d = self.window_geometry()
        pads = resolve_padding(self.padding, spatial, k, s, d, self._framework())
        return tuple(RFStep(kk, ss, lo, dd) for kk, ss, (lo, _), dd in zip(k, s, pads, d))

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """0, except ptflops (2 per input element: its module hook and patched ``F.*pool*`` both count)
        and thop for average pools (1 per output element)."""
        if convention in ("torchvision", "torchinfo", "fvcore"):
            return 0
        if convention == "ptflops":
            return 2 * prod(in_shape)
        if convention == "thop":
            return self.thop_per_output * prod(out_shape)
        raise unknown_convention(self, convention)

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

    thop_per_output: ClassVar[int] = 1

    def __post_init__(self) -> None:
        self._check()


_keras_keywords(_MaxPoolND)
_keras_keywords(_AvgPoolND)
_MAXPOOL = ("pool_size", "stride", "padding", "dilation", "ceil_mode")
_TORCH_MAXPOOL = ("pool_size", "stride", "padding", "dilation", "_return_indices", "ceil_mode")
_AVGPOOL = ("pool_size", "stride", "padding", "ceil_mode")
_NOT_ND = "the trainer's engine runs 2-d layers only"
_KERAS_WINDOW = {"pool_size": 2}  # Keras's default window, also for the short names


def _pool_names(stems: tuple[str, ...], n: int) -> tuple[str, ...]:
    return tuple(f"{stem}{n}d" for stem in stems) + (stems if n == 2 else ())


_MAX = ("maxpool", "maxpooling", "pool", "mp")
_AVG = ("avgpool", "averagepooling", "avgpooling", "ap")


@register(names=_pool_names(_MAX, 1), positional=_MAXPOOL, torch_names=("MaxPool1d",),
          torch_positional=_TORCH_MAXPOOL, defaults=_KERAS_WINDOW, not_trained=_NOT_ND)
class MaxPool1D(_MaxPoolND):
    """1-d max pooling on ``(C, L)``. See :class:`MaxPool2D`."""

    ndim = 1


@register(names=_pool_names(_MAX, 2), positional=_MAXPOOL, torch_names=("MaxPool2d",),
          torch_positional=_TORCH_MAXPOOL, defaults=_KERAS_WINDOW, trains="convcalc.nn.layers.MaxPool2d")
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


@register(names=_pool_names(_MAX, 3), positional=_MAXPOOL, torch_names=("MaxPool3d",),
          torch_positional=_TORCH_MAXPOOL, defaults=_KERAS_WINDOW, not_trained=_NOT_ND)
class MaxPool3D(_MaxPoolND):
    """3-d max pooling on ``(C, D, H, W)``. See :class:`MaxPool2D`."""

    ndim = 3


@register(names=_pool_names(_AVG, 1), positional=_AVGPOOL, torch_names=("AvgPool1d",),
          torch_positional=_AVGPOOL, defaults=_KERAS_WINDOW, not_trained=_NOT_ND)
class AvgPool1D(_AvgPoolND):
    """1-d average pooling on ``(C, L)``. See :class:`AvgPool2D`."""

    ndim = 1


@register(names=_pool_names(_AVG, 2), positional=_AVGPOOL, torch_names=("AvgPool2d",),
          torch_positional=_AVGPOOL, defaults=_KERAS_WINDOW, trains="convcalc.nn.layers.AvgPool2d")
class AvgPool2D(_AvgPoolND):
    """2-d average pooling, as ``torch.nn.AvgPool2d`` (no dilation).

    Examples
    --------
    >>> AvgPool2D(2, stride=1).output_shape((6, 28, 28))
    (6, 27, 27)
    """

    ndim = 2


@register(names=_pool_names(_AVG, 3), positional=_AVGPOOL, torch_names=("AvgPool3d",),
          torch_positional=_AVGPOOL, defaults=_KERAS_WINDOW, not_trained=_NOT_ND)
class AvgPool3D(_AvgPoolND):
    """3-d average pooling on ``(C, D, H, W)``. See :class:`AvgPool2D`."""

    ndim = 3


@dataclass(frozen=True)
class _AdaptivePool2D(_NoWeights, Layer):
    """Pooling to a fixed ``output_size`` (PyTorch's ``AdaptiveAvgPool2d`` / ``AdaptiveMaxPool2d``).

    Window ``i`` along an axis covers ``[floor(i*n/o), ceil((i + 1)*n/o))``
    (ATen ``adaptive_avg_pool2d``). When ``o`` divides ``n`` this is a pool with
    ``k = s = n/o`` (identity when ``o == n``, as in AlexNet on 224x224);
    otherwise the windows differ in size and ``rf_step`` returns ``None``.
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
        return f"{type(self).__name__}({_fmt(self.output_size)})"


@register(names=("adaptiveavgpool2d", "adaptiveavgpool", "adaptiveaveragepooling2d"), positional=("output_size",),
          torch_names=("AdaptiveAvgPool2d",), torch_positional=("output_size",),
          trains="convcalc.nn.layers.AvgPool2d")
class AdaptiveAvgPool2D(_AdaptivePool2D):
    """Average pooling to a fixed ``output_size``, as ``torch.nn.AdaptiveAvgPool2d``.

    Trained as an :class:`AvgPool2D` when ``output_size`` divides the input.

    Examples
    --------
    >>> AdaptiveAvgPool2D((6, 6)).output_shape((256, 6, 6))
    (256, 6, 6)
    """

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """fvcore: 1 per input element; ptflops: 2 per input element; thop: ``window + 1`` per output element
        (``window = prod(n // o)``); torchvision, torchinfo: 0."""
        if convention in ("torchvision", "torchinfo"):
            return 0
        if convention == "fvcore":
            return prod(in_shape)
        if convention == "ptflops":
            return 2 * prod(in_shape)
        if convention == "thop":
            window = prod(a // b for a, b in zip(in_shape[1:], out_shape[1:]))
            return prod(out_shape) * (window + 1)
        raise unknown_convention(self, convention)


@register(names=("adaptivemaxpool2d", "adaptivemaxpool", "adaptivemaxpooling2d"), positional=("output_size",),
          torch_names=("AdaptiveMaxPool2d",), torch_positional=("output_size", "_return_indices"),
          not_trained="the trainer pools max only over fixed windows (MaxPool2D, GlobalMaxPool2D)")
class AdaptiveMaxPool2D(_AdaptivePool2D):
    """Max pooling to a fixed ``output_size``, as ``torch.nn.AdaptiveMaxPool2d`` (windows as :class:`AdaptiveAvgPool2D`).

    Examples
    --------
    >>> AdaptiveMaxPool2D(1).output_shape((512, 7, 7))
    (512, 1, 1)
    """

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """ptflops: 2 per input element; every other convention: 0 (measured, benchmarks/measure_conventions.py)."""
        if convention in ("torchvision", "torchinfo", "fvcore", "thop"):
            return 0
        if convention == "ptflops":
            return 2 * prod(in_shape)
        raise unknown_convention(self, convention)


@dataclass(frozen=True)
class _GlobalPool2D(_NoWeights, Layer):
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

    #: The adaptive pool it is counted as (PyTorch writes a global pool as ``Adaptive*Pool2d(1)``).
    adaptive: ClassVar[type] = _AdaptivePool2D

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """As PyTorch's ``AdaptiveAvgPool2d(1)`` / ``AdaptiveMaxPool2d(1)`` are counted."""
        return self.adaptive(1).macs_under(convention, in_shape, (in_shape[0], 1, 1))


@register(names=("globalavgpool2d", "globalaveragepooling2d", "globalavgpool", "gap"), positional=("keepdims",),
          trains="convcalc.nn.layers.GlobalPool2d")
class GlobalAvgPool2D(_GlobalPool2D):
    """Global average pooling, as ``keras.layers.GlobalAveragePooling2D``: ``(C, H, W) -> (C,)``.

    Examples
    --------
    >>> GlobalAvgPool2D().output_shape((512, 7, 7))
    (512,)
    """

    adaptive = AdaptiveAvgPool2D


@register(names=("globalmaxpool2d", "globalmaxpooling2d", "globalmaxpool", "gmp"), positional=("keepdims",),
          trains="convcalc.nn.layers.GlobalPool2d")
class GlobalMaxPool2D(_GlobalPool2D):
    """Global max pooling, as ``keras.layers.GlobalMaxPooling2D``: ``(C, H, W) -> (C,)``."""

    adaptive = AdaptiveMaxPool2D
