"""The fully connected spec, ``Dense`` (Keras ``Dense``, PyTorch ``Linear``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from convcalc.errors import ConvCalcError, invalid
from convcalc.layers._base import Layer, Params, RFStep, Shape
from convcalc.layers._checks import _check_declared, _is_int, _keras_keywords, _spatial
from convcalc.layers._registry import register, unknown_convention


@register(names=("dense", "linear", "fc"), positional=("units", "activation"),
          torch_names=("Linear", "LazyLinear"), torch_positional=("in_features", "units", "bias"),
          trains="convcalc.nn.layers.Dense")
@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer on ``(F,)``: ``Dense(units)`` as ``keras.layers.Dense(units)``.

    ``torch.nn.Linear(in_features, out_features)`` is ``Dense(out_features, in_features=...)``
    (``convcalc.torch.Linear`` takes PyTorch's order); a declared ``in_features`` is
    checked against the input.

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
    in_features: int | None = field(default=None, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if not _is_int(self.units) or self.units < 1:
            raise invalid("units", self.units, "an int >= 1")
        if not isinstance(self.bias, bool):
            raise invalid("bias", self.bias, "True or False")
        if self.in_features is not None and (not _is_int(self.in_features) or self.in_features < 1):
            raise invalid("in_features", self.in_features, "an int >= 1, or None (not checked)")

    def _features(self, in_shape: Shape) -> int:
        features = _spatial(self, in_shape, 0)[0]
        _check_declared(self, "in_features", self.in_features, features, in_shape)
        return features

    def output_shape(self, in_shape: Shape) -> Shape:
        self._features(in_shape)
        return (self.units,)

    def param_count(self, in_shape: Shape) -> Params:
        return Params(self._features(in_shape) * self.units + (self.units if self.bias else 0))

    def macs(self, in_shape: Shape) -> int:
        return self._features(in_shape) * self.units

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """``F*units`` (torchvision, fvcore, thop); plus the bias ``units`` (torchinfo: its parameters; ptflops)."""
        weights = self.macs(in_shape)
        if convention in ("torchvision", "fvcore", "thop"):
            return weights
        if convention in ("torchinfo", "ptflops"):
            return weights + (self.units if self.bias else 0)
        raise unknown_convention(self, convention)

    def rf_step(self, in_shape: Shape) -> tuple[RFStep, ...] | None:
        return tuple(RFStep(n, 1, 0) for n in in_shape[1:])

    def rf_grid_after(self, grid: Shape) -> Shape:
        return (1,) * len(grid)

    def describe(self) -> str:
        return f"Dense({self.units}" + (")" if self.bias else ", bias=False)")


def _guard_dense() -> None:
    """``Dense(784, 10)`` reads two ways (Keras: 784 units, bias=10; PyTorch's Linear: 784 -> 10): refused."""
    init = Dense.__init__

    def __init__(self: Dense, *args: object, **kwargs: object) -> None:
        if len(args) >= 2 and all(isinstance(a, int) and not isinstance(a, bool) for a in args[:2]):
            raise ConvCalcError(f"Dense({args[0]!r}, {args[1]!r}) is ambiguous: in Keras's order it reads units="
                                f"{args[0]!r}, bias={args[1]!r}; as PyTorch's Linear it reads in_features={args[0]!r}, "
                                f"out_features={args[1]!r}. Write Dense({args[1]!r}, in_features={args[0]!r}) or "
                                f"convcalc.torch.Linear({args[0]!r}, {args[1]!r})")
        init(self, *args, **kwargs)  # type: ignore[arg-type]

    __init__.__doc__ = init.__doc__
    Dense.__init__ = __init__  # type: ignore[method-assign]


_guard_dense()
_keras_keywords(Dense)
