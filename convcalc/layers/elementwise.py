"""Shape-preserving specs: batch normalisation, dropout and the elementwise activations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, Params, Shape
from convcalc.layers._checks import _SHAPE_NAMES, _check_declared, _check_number, _is_int


@dataclass(frozen=True)
class _BatchNormND(Layer):
    """Batch normalisation over the channel axis (inference view: the receptive field is unchanged).

    Parameters: ``gamma, beta`` trainable ``(C,)`` each; running mean and
    variance non-trainable ``(C,)`` each (Keras counts them; PyTorch keeps them as buffers).
    ``num_features`` (PyTorch's first argument) is optional; when given it is checked
    against the input's channels.
    """

    num_features: int | None = field(default=None, repr=False, compare=False)

    ndims: ClassVar[tuple[int, ...]] = (2,)

    def __post_init__(self) -> None:
        if self.num_features is not None and (not _is_int(self.num_features) or self.num_features < 1):
            raise invalid("num_features", self.num_features, "an int >= 1, or None (not checked)")

    def _channels(self, in_shape: Shape) -> int:
        if len(in_shape) - 1 not in self.ndims:
            shapes = " or ".join(_SHAPE_NAMES[n] for n in self.ndims)
            raise ConvCalcError(f"{type(self).__name__} needs an input of shape {shapes}; got {tuple(in_shape)}")
        _check_declared(self, "num_features", self.num_features, in_shape[0], in_shape)
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
