"""Shape-preserving specs without weights (but PReLU's): dropout, identity and the elementwise activations.

The counting tools differ on activations only (measured with
benchmarks/measure_conventions.py, per element of the output): ptflops counts ReLU,
ELU, GELU and PReLU twice (its module hook and its patched ``torch.nn.functional``
call both count), LeakyReLU, ReLU6 and SiLU once, Softmax once per input element;
thop counts PReLU once and Softmax ``3F - 1`` per row of ``F``; torchinfo counts
PReLU's parameters; everything else counts 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, Params, RFStep, Shape
from convcalc.layers._checks import _check_number, _is_int
from convcalc.layers._registry import register, unknown_convention


@dataclass(frozen=True)
class _Pointwise(Layer):
    """Shape, receptive field and parameters unchanged; a fixed count per element under each convention."""

    #: Count per output element under each convention that counts it (the rest count 0).
    per_element: ClassVar[dict[str, int]] = {}

    def output_shape(self, in_shape: Shape) -> Shape:
        return tuple(in_shape)

    def param_count(self, in_shape: Shape) -> Params:
        return Params(0, 0)

    def macs(self, in_shape: Shape) -> int:
        """No weight multiply-accumulates."""
        return 0

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        from convcalc.layers._registry import LAYER_CONVENTIONS

        if convention not in LAYER_CONVENTIONS:
            raise unknown_convention(self, convention)
        return self.per_element.get(convention, 0) * prod(out_shape)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        return (RFStep(1, 1, 0),) * (len(in_shape) - 1)


@register(names=("dropout", "drop"), positional=("rate",), torch_names=("Dropout",), torch_positional=("rate", "_inplace"),
          trains="convcalc.nn.layers.Dropout")
@dataclass(frozen=True)
class Dropout(_Pointwise):
    """Dropout with probability ``rate`` in ``[0, 1)`` (Keras ``rate``, PyTorch ``p``); identity in shape."""

    rate: float = 0.5

    def __post_init__(self) -> None:
        _check_number(self.rate, "rate", 0, 1)

    def describe(self) -> str:
        return f"Dropout({self.rate:g})"


@register(names=("dropout2d", "spatialdropout2d"), positional=("rate",), torch_names=("Dropout2d",),
          torch_positional=("rate", "_inplace"), not_trained="the trainer drops single elements only (Dropout)")
@dataclass(frozen=True)
class Dropout2D(_Pointwise):
    """Channel dropout (whole feature maps), as ``torch.nn.Dropout2d`` / ``keras.layers.SpatialDropout2D``."""

    rate: float = 0.5

    def __post_init__(self) -> None:
        _check_number(self.rate, "rate", 0, 1)

    def describe(self) -> str:
        return f"Dropout2D({self.rate:g})"


@register(names=("identity",), torch_names=("Identity",), torch_positional=(),
          not_trained="nothing to train: it passes its input on")
@dataclass(frozen=True)
class Identity(_Pointwise):
    """Passes its input on unchanged, as ``torch.nn.Identity`` (a placeholder in a block)."""

    def describe(self) -> str:
        return "Identity"


# --------------------------------------------------------------------------- activations
@dataclass(frozen=True)
class _Activation(_Pointwise):
    """An elementwise function: shape, parameters and receptive field unchanged."""

    def describe(self) -> str:
        return type(self).__name__


def _keras_relu(name: str, given: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    """Keras's ``ReLU(max_value=None, negative_slope=0.0, threshold=0.0)``: 6 is ReLU6, a slope is LeakyReLU."""
    top = given.pop("max_value", None)
    slope = given.pop("negative_slope", 0) or 0
    threshold = given.pop("threshold", 0) or 0
    if threshold != 0:
        raise ConvCalcError(f"{name}: threshold={threshold!r} is not modelled; only 0")
    if top is None:
        return (LeakyReLU, {"negative_slope": slope, **given}) if slope else (ReLU, given)
    if top == 6 and not slope:
        return ReLU6, given
    raise ConvCalcError(f"{name}: max_value={top!r} with negative_slope={slope!r} is not modelled; "
                        "max_value=6 (ReLU6) or None")


@register(names=("relu",), positional=("max_value", "negative_slope", "threshold"), torch_names=("ReLU",),
          torch_positional=("_inplace",), extra_args=("max_value", "negative_slope", "threshold"), adapt=_keras_relu, trains="convcalc.nn.activations.ReLU", activation=True)
class ReLU(_Activation):
    """``max(x, 0)``, elementwise."""

    per_element = {"ptflops": 2}


@register(names=("relu6",), torch_names=("ReLU6",), torch_positional=("_inplace",),
          not_trained="the trainer has no ReLU6 yet", activation=True)
class ReLU6(_Activation):
    """``min(max(x, 0), 6)``, elementwise (MobileNet v2), as ``torch.nn.ReLU6`` / Keras ``ReLU(max_value=6)``."""

    per_element = {"ptflops": 1}


@register(names=("leakyrelu", "lrelu"), positional=("negative_slope",), torch_names=("LeakyReLU",),
          torch_positional=("negative_slope", "_inplace"), trains="convcalc.nn.activations.LeakyReLU", activation=True)
@dataclass(frozen=True)
class LeakyReLU(_Activation):
    """``x if x > 0 else negative_slope*x`` (PyTorch default 0.01; Keras 3 default 0.3)."""

    negative_slope: float = 0.01

    per_element = {"ptflops": 1}

    def __post_init__(self) -> None:
        _check_number(self.negative_slope, "negative_slope")

    def describe(self) -> str:
        return f"LeakyReLU({self.negative_slope:g})"


@register(names=("elu",), positional=("alpha",), torch_names=("ELU",), torch_positional=("alpha", "_inplace"),
          trains="convcalc.nn.activations.ELU", activation=True)
@dataclass(frozen=True)
class ELU(_Activation):
    """``x if x > 0 else alpha*(exp(x) - 1)``."""

    alpha: float = 1.0

    per_element = {"ptflops": 2}

    def __post_init__(self) -> None:
        _check_number(self.alpha, "alpha")

    def describe(self) -> str:
        return f"ELU({self.alpha:g})"


@register(names=("gelu",), positional=("approximate",), torch_names=("GELU",), torch_positional=("approximate",),
          trains="convcalc.nn.vocabulary.GELU", activation=True)
@dataclass(frozen=True)
class GELU(_Activation):
    """``x * Phi(x)`` (``approximate='tanh'``: the tanh form), as ``torch.nn.GELU``."""

    approximate: str = "none"

    per_element = {"ptflops": 2}

    def __post_init__(self) -> None:
        if self.approximate not in ("none", "tanh"):
            raise invalid("approximate", self.approximate, "'none' or 'tanh'")

    def describe(self) -> str:
        return "GELU" if self.approximate == "none" else "GELU(tanh)"


@register(names=("silu", "swish"), torch_names=("SiLU",), torch_positional=("_inplace",),
          trains="convcalc.nn.vocabulary.SiLU", activation=True)
class SiLU(_Activation):
    """``x * sigmoid(x)`` (Swish), as ``torch.nn.SiLU`` / Keras ``'silu'``, ``'swish'``."""

    per_element = {"ptflops": 1}


@register(names=("hardswish", "hswish"), torch_names=("Hardswish",), torch_positional=("_inplace",),
          not_trained="the trainer has no Hardswish yet", activation=True)
class Hardswish(_Activation):
    """``x * relu6(x + 3) / 6``, as ``torch.nn.Hardswish`` / Keras ``'hard_swish'`` (MobileNet v3)."""


@register(names=("hardsigmoid", "hsigmoid"), torch_names=("Hardsigmoid",), torch_positional=("_inplace",),
          not_trained="the trainer has no Hardsigmoid yet", activation=True)
class Hardsigmoid(_Activation):
    """``relu6(x + 3)/6``, as ``torch.nn.Hardsigmoid`` / Keras 3 ``'hard_sigmoid'`` (MobileNet v3's gate); every
    tool counts it 0 (measured)."""


@register(names=("stochasticdepth", "droppath"), positional=("rate", "mode"),
          not_trained="identity at inference; the trainer has no stochastic depth yet")
@dataclass(frozen=True)
class StochasticDepth(_Pointwise):
    """``torchvision.ops.StochasticDepth(p, mode)`` (EfficientNet's drop-path): drops a residual branch with
    probability ``rate`` (``p``) per sample (``mode='row'``) or per batch (``'batch'``); identity in shape and
    at inference, no parameters."""

    rate: float = 0.5
    mode: str = "row"

    def __post_init__(self) -> None:
        _check_number(self.rate, "rate", 0, 1.000001)
        if self.mode not in ("row", "batch"):
            raise invalid("mode", self.mode, "'row' or 'batch'")

    def describe(self) -> str:
        return f"StochasticDepth({self.rate:g}, {self.mode})"


@register(names=("sigmoid",), torch_names=("Sigmoid",), torch_positional=(), trains="convcalc.nn.activations.Sigmoid", activation=True)
class Sigmoid(_Activation):
    """``1/(1 + exp(-x))``, elementwise."""


@register(names=("tanh",), torch_names=("Tanh",), torch_positional=(), trains="convcalc.nn.activations.Tanh", activation=True)
class Tanh(_Activation):
    """``tanh(x)``, elementwise."""


@register(names=("softmax",), positional=("_axis",), torch_names=("Softmax",), torch_positional=("_dim",), trains="convcalc.nn.activations.Softmax", activation=True)
class Softmax(_Activation):
    """Softmax over the feature/channel axis (axis 0 without batch; PyTorch ``dim=1``)."""

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """ptflops: 1 per input element; thop: ``3F - 1`` per row of ``F`` features; the others 0."""
        if convention in ("torchvision", "torchinfo", "fvcore"):
            return 0
        if convention == "ptflops":
            return prod(in_shape)
        if convention == "thop":
            features = in_shape[0]
            return (prod(in_shape) // features) * (3 * features - 1)
        raise unknown_convention(self, convention)


def _prelu(name: str, given: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    """PyTorch's ``PReLU(num_parameters=1)`` and Keras's ``PReLU(shared_axes=None)`` (one per element)."""
    axes = given.pop("shared_axes", "unset")
    prefix = name.rsplit(".", 1)[0].lower() if "." in name else ""
    keras = axes != "unset" or prefix.endswith(("layers", "keras"))
    torch = "num_parameters" in given or prefix in ("nn", "torch.nn")
    if keras and torch:
        raise ConvCalcError(f"{name}: num_parameters (PyTorch) and shared_axes (Keras) do not mix")
    if not keras and not torch:
        raise ConvCalcError(f"{name}() reads two ways: PyTorch's nn.PReLU() has 1 parameter, Keras's "
                            "layers.PReLU() one per input element; write nn.PReLU() or PReLU(num_parameters=C) "
                            "for PyTorch's, layers.PReLU() or PReLU(shared_axes=[1, 2]) for Keras's")
    if keras:
        axes = () if axes in ("unset", None) else (axes,) if _is_int(axes) else tuple(axes)
        # Keras axes count from 1 over (H, W, C): sharing both spatial axes leaves one alpha per channel
        return PReLU, {**given, "num_parameters": "element" if not axes else "channel" if set(axes) == {1, 2}
                       else 1 if set(axes) == {1, 2, 3} else _bad_axes(name, axes)}
    return PReLU, given


def _bad_axes(name: str, axes: tuple) -> Any:
    raise ConvCalcError(f"{name}: shared_axes={list(axes)} is not modelled; use None, [1, 2] or [1, 2, 3]")


@register(names=("prelu",), positional=("num_parameters",), torch_names=("PReLU",), torch_positional=("num_parameters",),
          extra_args=("shared_axes",), adapt=_prelu, not_trained="the trainer has no PReLU yet")
@dataclass(frozen=True)
class PReLU(_Activation):
    """``x if x > 0 else a*x`` with learned slopes ``a``: ``num_parameters`` of them.

    ``1`` (PyTorch's default), ``C`` (one per channel, checked), ``"channel"`` (one per
    channel, Keras's ``shared_axes=[1, 2]``) or ``"element"`` (one per input element,
    Keras's default).

    Examples
    --------
    >>> PReLU().param_count((8, 4, 4)), PReLU("element").param_count((8, 4, 4))
    (Params(trainable=1, non_trainable=0), Params(trainable=128, non_trainable=0))
    """

    num_parameters: int | str = 1

    per_element = {"ptflops": 2, "thop": 1}

    def __post_init__(self) -> None:
        count = self.num_parameters
        if not ((isinstance(count, int) and not isinstance(count, bool) and count >= 1)
                or count in ("channel", "element")):
            raise invalid("num_parameters", self.num_parameters, "an int >= 1, 'channel' or 'element'")

    def param_count(self, in_shape: Shape) -> Params:
        count = self.num_parameters
        if count == "element":
            return Params(prod(in_shape))
        if count == "channel":
            return Params(in_shape[0])
        if count != 1 and count != in_shape[0]:
            raise invalid("num_parameters", count, f"1 or the input channels {in_shape[0]}")
        return Params(count)

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        if convention == "torchinfo":
            return self.param_count(in_shape).trainable
        return super().macs_under(convention, in_shape, out_shape)

    def describe(self) -> str:
        return "PReLU" if self.num_parameters == 1 else f"PReLU({self.num_parameters})"
