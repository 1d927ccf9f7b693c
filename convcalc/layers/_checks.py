"""Field validation and labels shared by the layer specs (one check per kind of field)."""

from __future__ import annotations

from typing import Any

from convcalc.errors import ConvCalcError, invalid
from convcalc.padding import padding_form
from convcalc.layers._base import Layer, Shape


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
    """Accept an int >= 0, an int or (lo, hi) pair per axis, a bare pair when ndim == 1, or one of ``modes``.

    The forms and the message are :func:`convcalc.padding.padding_form`'s (one rule for every
    path); a spec also needs concrete ints, never symbols.
    """
    form = padding_form(value, ndim, modes, name=name)
    if isinstance(form, str):
        return
    if not all(_is_int(v) for pair in form for v in pair):
        raise invalid(name, value, f"ints (a layer spec holds concrete sizes), one or a (lo, hi) pair per axis")


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


def _check_number(value: object, name: str, low: float | None = None, high: float | None = None) -> None:
    """A real number (not a bool), optionally in ``[low, high)``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and low is not None and high is not None:
        ok = low <= value < high
    if not ok:
        raise invalid(name, value, "a number" + (f" in [{low:g}, {high:g})" if low is not None else ""))


def _check_declared(layer: Layer, name: str, declared: int | None, actual: int, in_shape: Shape) -> None:
    """A spec that declares its input channels/features (PyTorch's ``in_channels``,
    ``in_features``, ``num_features``) checks them against the shape it is given."""
    if declared is not None and declared != actual:
        raise ConvCalcError(f"{name}={declared} but the input has {actual} "
                            f"{'features' if len(in_shape) == 1 else 'channels'} (shape {tuple(in_shape)})")


def _guard_positional(cls: type, order: tuple[str, ...]) -> None:
    """Refuse ``cls(a, b, c, ...)`` with three positional ints: it reads two ways.

    convcalc's layer classes take Keras's positional order (``filters, kernel_size,
    strides, ...``); PyTorch's ``nn.Conv2d`` starts with ``in_channels``. A third
    positional int is Keras's stride and PyTorch's kernel size, so such a call
    is an error that shows both readings instead of silently taking one.
    """
    init = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) >= 3 and all(_is_int(a) for a in args[:3]):
            name = type(self).__name__
            torch_name = name[:-1] + "d"
            keras_reading = ", ".join(f"{n}={a!r}" for n, a in zip(order, args))
            torch_reading = ", ".join(f"{n}={a!r}" for n, a in
                                      zip(("in_channels", "out_channels", "kernel_size", "stride"), args))
            raise ConvCalcError(
                f"{name}({', '.join(repr(a) for a in args)}) is ambiguous: in Keras's order it reads "
                f"{keras_reading}; in PyTorch's (nn.{torch_name}) it reads {torch_reading}. "
                f"convcalc.{name} takes Keras's order: name the stride (stride={args[2]!r}), or use "
                f"convcalc.torch.{torch_name}(...) for PyTorch's order")
        init(self, *args, **kwargs)

    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__  # type: ignore[misc]


class _NoWeights:
    """Mixin for layers without parameters and without weight multiply-accumulates."""

    def param_count(self, in_shape: Shape) -> Any:
        from convcalc.layers._base import Params

        self.output_shape(in_shape)  # type: ignore[attr-defined]
        return Params(0, 0)

    def macs(self, in_shape: Shape) -> int:
        """No weight multiply-accumulates."""
        return 0


class _Uncounted(_NoWeights):
    """Mixin for layers that move or copy values without arithmetic: no parameters, 0 under every convention."""

    def macs_under(self, convention: str, in_shape: Shape, out_shape: Shape) -> int:
        """0 under every convention (measured: zero padding, cropping, flatten, reshape, pixel shuffle)."""
        from convcalc.layers._registry import LAYER_CONVENTIONS, unknown_convention

        if convention not in LAYER_CONVENTIONS:
            raise unknown_convention(self, convention)
        return 0


#: Keras's keyword names for fields convcalc names as PyTorch does.
_KERAS_KEYWORDS = {"strides": "stride", "dilation_rate": "dilation", "use_bias": "bias", "pool_strides": "stride"}


def _keras_keywords(cls: type) -> None:
    """Let ``cls(..., strides=2)`` (Keras's names: ``strides``, ``dilation_rate``, ``use_bias``) set the field
    PyTorch's name gives (``stride``, ``dilation``, ``bias``); both spellings at once is an error."""
    init = cls.__init__
    fields = set(getattr(cls, "__dataclass_fields__", {}))

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        for keras, field in _KERAS_KEYWORDS.items():
            if keras in kwargs and field in fields:
                if field in kwargs:
                    raise ConvCalcError(f"{type(self).__name__} got both {field}= and {keras}= (the same argument)")
                kwargs[field] = kwargs.pop(keras)
        init(self, *args, **kwargs)

    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__  # type: ignore[misc]
