"""The spec contract: :class:`Layer`, its :class:`Params` and :class:`RFStep` answers, and the layouts.

Every spec subclasses :class:`Layer`, whose defaults describe a shape-preserving,
parameter-free, pointwise layer; the other modules of :mod:`convcalc.layers`
override what their layers change.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Any, NamedTuple

from convcalc.arithmetic import effective_kernel

Shape = tuple[int, ...]

#: Accepted layouts: channels first (PyTorch, the default) or channels last (Keras/TF).
LAYOUTS = {"nchw": "nchw", "ncl": "nchw", "ncdhw": "nchw", "channels_first": "nchw",
           "nhwc": "nhwc", "nlc": "nhwc", "ndhwc": "nhwc", "channels_last": "nhwc"}


def channels_first(shape: Shape) -> Shape:
    """``(*spatial, C)`` -> ``(C, *spatial)``: Keras's channels-last order to convcalc's.

    The one rotation every reader of a channels-last shape calls (``--layout nhwc``,
    Keras's ``input_shape=``, a ``check`` question's ``layout``). A flat ``(F,)``
    shape has no channel axis to move and comes back as it is.

    >>> channels_first((28, 28, 1)), channels_first((784,))
    ((1, 28, 28), (784,))
    """
    return tuple(shape) if len(shape) < 2 else (shape[-1], *shape[:-1])


def channels_last(shape: Shape) -> Shape:
    """``(C, *spatial)`` -> ``(*spatial, C)``, the inverse of :func:`channels_first`.

    >>> channels_last((1, 28, 28)), channels_last((10,))
    ((28, 28, 1), (10,))
    """
    return tuple(shape) if len(shape) < 2 else (*shape[1:], shape[0])


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
    stride: int | Fraction  # a Fraction 1/s after upsampling or a strided transposed convolution
    padding_lo: int | float | Fraction
    dilation: int = 1

    @property
    def effective_kernel(self) -> int:
        """Span of the dilated kernel, ``d*(k - 1) + 1``."""
        return effective_kernel(self.kernel, self.dilation)


_IDENTITY = RFStep(1, 1, 0, 1)


def fraction_step(value: Fraction) -> int | float | Fraction:
    """A fractional receptive-field quantity as :mod:`convcalc.receptive` shows it: an int when whole,
    a float when a half-integer (exact in binary), else the :class:`~fractions.Fraction`.

    >>> fraction_step(Fraction(4, 2)), fraction_step(Fraction(3, 2)), fraction_step(Fraction(1, 4))
    (2, 1.5, Fraction(1, 4))
    """
    value = Fraction(value)
    if value.denominator == 1:
        return int(value)
    return float(value) if value.denominator == 2 else value

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

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """Multiply-accumulates for one sample as ``convention`` counts them (see :mod:`convcalc.layers.conventions`).

        Every layer of :mod:`convcalc.layers` answers each convention itself. A
        subclass that defines only :meth:`macs` counts that under every convention
        (never 0 by omission); an unknown convention is an error.
        """
        from convcalc.layers._registry import LAYER_CONVENTIONS, unknown_convention

        if convention not in LAYER_CONVENTIONS:
            raise unknown_convention(self, convention)
        return self.macs(in_shape)

    def activation_size(self, in_shape: Shape, out_shape: Shape) -> int:
        """Elements this layer keeps for one sample in the forward pass: its output, ``prod(out_shape)``."""
        return prod(out_shape)

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

    def __call__(self, *inputs: Any, name: str | None = None) -> Any:
        """Functional API (:mod:`convcalc.graph`): ``Conv2D(64, 3)(x)`` adds a node taking tensor ``x``."""
        first = inputs[0][0] if inputs and isinstance(inputs[0], (list, tuple)) and inputs[0] else (
            inputs[0] if inputs else None)
        hook = getattr(first, "_apply_layer", None)
        if hook is None:
            from convcalc.errors import ConvCalcTypeError

            raise ConvCalcTypeError(f"{self.describe()} is called on tensors from convcalc.graph.Input(...); "
                                    f"got {inputs!r}")
        return hook(self, inputs, name)

    def __str__(self) -> str:
        return self.describe()
