"""Resolve an output-size computation once: scalars and per-axis tuples, padding forms and modes,
framework keyword names, PyTorch's pool-padding limit, into one :class:`Resolved` result.

:mod:`convcalc.arithmetic` (which re-exports everything here) maps the per-axis formulas of
:mod:`convcalc.lengths` through it; :mod:`convcalc.working` and :mod:`convcalc.inverse` use it
instead of re-normalising the caller's values themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from convcalc._typing import Size, as_tuple, as_value, definitely, floordiv
from convcalc.errors import ConvCalcError, ConvCalcTypeError, invalid
from convcalc.lengths import (
    Pair,
    ceil_window_dropped,
    conv_length,
    effective_kernel,
    framework_name,
    pool_length,
    same_padding_pair,
    transposed_length,
)
from convcalc.padding import PADDING_MODES, padding_form

__all__ = [
    "UNSET",
    "MAX_AXES",
    "KINDS",
    "framework_keywords",
    "PerAxis",
    "per_axis",
    "resolve_padding",
    "pool_modes",
    "check_pool_padding",
    "Resolved",
    "resolve_geometry",
]

_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<default>"})()


def _one_of(name: str, value: Any, alias: str, alias_value: Any, default: Any) -> Any:
    """A parameter given under convcalc's name or a framework's (``kernel_size=``, ``strides=``), not both."""
    if value is not _UNSET and alias_value is not _UNSET:
        raise ConvCalcError(f"Give {name}= or {alias}= (the same parameter under another framework's name), "
                            f"not both; got {name}={value!r} and {alias}={alias_value!r}.")
    if value is not _UNSET:
        return value
    return default if alias_value is _UNSET else alias_value


def _required(name: str, value: Any, alias: str) -> Any:
    if value is _UNSET:
        raise ConvCalcTypeError(f"The {name!r} parameter is required (also accepted as {alias}=).")
    return value


#: The default of a parameter that may also be given under a framework's keyword name.
UNSET: Any = _UNSET


def framework_keywords(kernel: Any, stride: Any, dilation: Any, kernel_size: Any = _UNSET, strides: Any = _UNSET,
                       dilation_rate: Any = _UNSET, *, pool_size: Any = _UNSET,
                       stride_default: Any = 1) -> tuple[Any, Any, Any]:
    """``(kernel, stride, dilation)`` from convcalc's names or PyTorch's/Keras's (``kernel_size=``,
    ``strides=``, ``dilation_rate=``, pooling's ``pool_size=``); one parameter given under two names
    is an error.

    Examples
    --------
    >>> framework_keywords(UNSET, UNSET, UNSET, kernel_size=3, strides=2)
    (3, 2, 1)
    >>> framework_keywords(3, 2, UNSET, strides=2)
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: Give stride= or strides= (the same parameter under another framework's name), not both; got stride=2 and strides=2.
    """
    kernel = _one_of("kernel", kernel, "pool_size", pool_size, _UNSET)
    kernel = _required("kernel", _one_of("kernel", kernel, "kernel_size", kernel_size, _UNSET),
                       "kernel_size" + (" or pool_size" if pool_size is _UNSET else ""))
    return (kernel, _one_of("stride", stride, "strides", strides, stride_default),
            _one_of("dilation", dilation, "dilation_rate", dilation_rate, 1))


#: Most spatial axes a size computation takes (frameworks stop at 3).
MAX_AXES = 16


def _ndim(named: dict[str, Any]) -> int | None:
    lengths = {name: len(a) for name, a in named.items() if isinstance(a, (tuple, list))}
    for name, length in lengths.items():
        if length > MAX_AXES:
            raise ConvCalcError(f"The {name!r} parameter has {length} values, one per spatial axis; "
                                f"more than MAX_AXES = {MAX_AXES} axes.")
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{name!r} has {length}" for name, length in lengths.items())
        raise ConvCalcError(f"The per-axis parameters disagree on the number of spatial axes: {counts}.")
    return next(iter(lengths.values())) if lengths else None


def _is_pair(x: object) -> bool:
    return isinstance(x, (tuple, list)) and len(x) == 2 and not any(isinstance(v, (tuple, list)) for v in x)


def _padding_ndim(padding: object) -> int | None:
    """Axes implied by the padding alone (a bare ``(lo, hi)`` pair is one axis)."""
    if not isinstance(padding, (tuple, list)):
        return None
    if _is_pair(padding):
        return 1
    return len(padding)


class PerAxis(NamedTuple):
    """Per-axis values as resolved from scalars and tuples.

    Attributes
    ----------
    ndim : int
        Number of spatial axes.
    as_seq : bool
        Whether the caller gave any value per axis (results are then tuples).
    values : dict of str to tuple
        Each named parameter, one exact int or sympy value per axis.
    """

    ndim: int
    as_seq: bool
    values: dict[str, tuple[Size, ...]]


def per_axis(values: dict[str, Any], padding: Any = 0) -> PerAxis:
    """Resolve scalars and per-axis tuples of several parameters to one value per axis each.

    Examples
    --------
    >>> per_axis({"size": (28, 32), "kernel": 3})
    PerAxis(ndim=2, as_seq=True, values={'size': (28, 32), 'kernel': (3, 3)})
    >>> per_axis({"size": 28, "kernel": 3}, padding=(0, 1)).ndim
    1
    """
    ndim = _ndim(values)
    as_seq = ndim is not None
    if ndim is None:
        ndim = _padding_ndim(padding) or 1
        as_seq = ndim > 1 or (isinstance(padding, (tuple, list)) and not _is_pair(padding))
        if ndim > MAX_AXES:
            raise ConvCalcError(f"The 'padding' parameter has {ndim} values, one per spatial axis; "
                                f"more than MAX_AXES = {MAX_AXES} axes.")
    elif isinstance(padding, (tuple, list)) and not (ndim == 1 and _is_pair(padding)) and len(padding) != ndim:
        as_tuple(padding, ndim, "padding")  # raises with the standard message
    resolved = {name: tuple(as_value(v, name) for v in as_tuple(x, ndim, name)) for name, x in values.items()}
    return PerAxis(ndim, as_seq, resolved)


def resolve_padding(padding: Any, sizes: Sequence[Size], kernels: Sequence[Size],
                    strides: Sequence[Size], dilations: Sequence[Size],
                    framework: str = "torch", *, modes: tuple[str, ...] = PADDING_MODES,
                    where: str = "") -> tuple[Pair, ...]:
    """Turn every accepted padding form into one ``(lo, hi)`` pair per axis.

    Forms (checked by :func:`convcalc.padding.padding_form`, one place, one message): an int; a
    tuple with an int per axis; a tuple with a ``(lo, hi)`` pair per axis; a bare ``(lo, hi)``
    pair when there is one axis; ``sym(EXPR)`` text or a sympy value; or a mode:
    ``"valid"`` (none), ``"full"`` (``d*(k - 1)`` per side), ``"same"`` (see
    :func:`same_padding_pair`) and ``"causal"`` (Keras ``Conv1D``: all ``d*(k - 1)`` before,
    one axis only). ``modes`` restricts the modes an operation accepts.

    Examples
    --------
    >>> resolve_padding(1, (16, 16), (2, 2), (2, 2), (4, 4))
    ((1, 1), (1, 1))
    >>> resolve_padding("same", (28,), (4,), (1,), (1,))
    ((1, 2),)
    >>> resolve_padding("causal", (10,), (3,), (1,), (2,))
    ((4, 0),)
    """
    ndim = len(sizes)
    form = padding_form(padding, ndim, modes, where=where)
    if not isinstance(form, str):
        return form
    if form == "valid":
        return ((0, 0),) * ndim
    if form == "full":
        return tuple((effective_kernel(k, d) - 1,) * 2 for k, d in zip(kernels, dilations))
    if form == "causal":
        return tuple((effective_kernel(k, d) - 1, 0) for k, d in zip(kernels, dilations))
    return tuple(same_padding_pair(n, k, s, d, framework) for n, k, s, d in zip(sizes, kernels, strides, dilations))


def pool_modes(framework: str) -> tuple[str, ...]:
    """Padding modes pooling accepts: PyTorch only 'valid' (ints otherwise), Keras 'valid' and 'same'.

    >>> pool_modes("torch"), pool_modes("keras")
    (('valid',), ('valid', 'same'))
    """
    return ("valid",) if framework_name(framework) == "torch" else ("valid", "same")


def check_pool_padding(pads: Sequence[Pair], kernels: Sequence[Size], dilations: Sequence[Size]) -> None:
    """PyTorch's limit on pool padding, the one rule every pooling path calls.

    Each side pads at most half the window, ``p <= k // 2`` (ATen ``pool2d_shape_check``),
    and at most half the dilated window, ``p <= (d*(k - 1) + 1) // 2`` (ATen
    ``pooling_output_shape``).

    Examples
    --------
    >>> check_pool_padding([(1, 1)], [3], [2])
    >>> check_pool_padding([(2, 2)], [3], [2])
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: The 'padding' parameter must be at most half the pool window, 3//2 = 1. Got 2. PyTorch rejects larger pool padding
    """
    for (lo, hi), kk, dd in zip(pads, kernels, dilations):
        limit = floordiv(kk, 2)
        for p in (lo, hi):
            if definitely(p > limit) is True:
                raise invalid("padding", p, f"at most half the pool window, {kk}//2 = {limit}",
                              "PyTorch rejects larger pool padding")
            half_span = floordiv(effective_kernel(kk, dd), 2)
            if definitely(p > half_span) is True:
                raise invalid("padding", p, f"at most half the dilated pool window, ({dd}*({kk}-1) + 1)//2 = {half_span}",
                              "PyTorch rejects larger pool padding")


KINDS = ("conv", "pool", "transposed")


class Resolved(NamedTuple):
    """One output-size computation, resolved once: the per-axis values used and the answer.

    Attributes
    ----------
    kind : {"conv", "pool", "transposed"}
    size, kernel, stride, dilation, output_padding : tuple
        One exact value per axis (stride already defaulted: 1, or the kernel for pooling).
    padding : tuple of (lo, hi)
        The padding applied on each axis, modes resolved.
    mode : str or None
        The padding mode the caller named (``"same"``, ...), if any.
    framework : {"torch", "keras"}
    ceil_mode : bool
    output : tuple
        The output size per axis.
    dropped : tuple of bool
        Per axis, whether ceil mode dropped a last window starting in the right padding.
    as_seq : bool
        Whether the caller gave any value per axis (the public functions then return tuples).
    """

    kind: str
    size: tuple[Size, ...]
    kernel: tuple[Size, ...]
    stride: tuple[Size, ...]
    dilation: tuple[Size, ...]
    output_padding: tuple[Size, ...]
    padding: tuple[Pair, ...]
    mode: str | None
    framework: str
    ceil_mode: bool
    output: tuple[Size, ...]
    dropped: tuple[bool, ...]
    as_seq: bool

    def result(self) -> Size | tuple[Size, ...]:
        """The output as the public functions return it: a tuple when any input was per axis."""
        return self.output if self.as_seq else self.output[0]


def resolve_geometry(kind: str, size: Any, kernel: Any, stride: Any = _UNSET, padding: Any = 0, dilation: Any = 1,
                     *, ceil_mode: bool = False, output_padding: Any = 0, framework: str = "torch") -> Resolved:
    """Resolve and check an output-size computation once; every size function and the working call this.

    Parameters are those of :func:`conv_output_size`, :func:`pool_output_size` and
    :func:`transposed_output_size`. The stride defaults to 1, or to the kernel for pooling
    (where ``stride=None`` means the kernel too, as in PyTorch).

    Examples
    --------
    >>> r = resolve_geometry("conv", 16, 2, 2, 1, 4)
    >>> r.output, r.padding, r.result()
    ((7,), ((1, 1),), 7)
    >>> resolve_geometry("pool", 5, 2, padding=1, ceil_mode=True).dropped
    (True,)
    """
    if kind not in KINDS:
        raise invalid("kind", kind, f"one of {', '.join(KINDS)}")
    if not isinstance(ceil_mode, bool):
        raise ConvCalcTypeError(f"The 'ceil_mode' parameter must be True or False. Got {ceil_mode!r}.")
    fw = framework_name(framework)
    if stride is _UNSET or (stride is None and kind == "pool"):
        stride = kernel if kind == "pool" else 1  # PyTorch's MaxPool2d(stride=None) is the kernel
    axes = per_axis({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation,
                     "output_padding": output_padding}, padding)
    n, k, s, d, a = (axes.values[key] for key in ("size", "kernel", "stride", "dilation", "output_padding"))
    ndim = axes.ndim
    where = {"conv": "", "pool": "PyTorch pooling" if fw == "torch" else "Keras pooling",
             "transposed": "a transposed convolution"}[kind]
    modes = {"conv": PADDING_MODES, "pool": pool_modes(fw), "transposed": ("valid",)}[kind]
    if kind == "pool" and fw == "torch" and isinstance(padding, str) and padding.strip().lower() == "same":
        raise invalid("padding", padding, "an int, a per-axis tuple or 'valid' for PyTorch pooling",
                      "Use framework='keras' for 'same' pooling")
    if kind == "conv" and fw == "keras" and any(definitely(x > 1) for x in s) and any(definitely(x > 1) for x in d):
        raise ConvCalcError("Keras does not support stride > 1 together with dilation > 1; "
                            f"got stride {s} and dilation {d}")
    if kind != "transposed" and any(definitely(x != 0) is not False for x in a):
        raise ConvCalcError("output_padding applies to transposed convolutions only")
    pads = resolve_padding(padding, n, k, s, d, fw, modes=modes, where=where)
    label = (lambda i: i if ndim > 1 else None)  # noqa: E731 - axis named in errors only when there are several
    dropped = (False,) * ndim
    if kind == "conv":
        out = tuple(conv_length(n[i], k[i], s[i], *pads[i], d[i], axis=label(i)) for i in range(ndim))
    elif kind == "pool":
        if fw == "torch":
            check_pool_padding(pads, k, d)
        out = tuple(pool_length(n[i], k[i], s[i], *pads[i], d[i], ceil_mode, axis=label(i)) for i in range(ndim))
        if ceil_mode:
            dropped = tuple(ceil_window_dropped(n[i], k[i], s[i], *pads[i], d[i]) for i in range(ndim))
    else:
        out = tuple(transposed_length(n[i], k[i], s[i], *pads[i], d[i], a[i], axis=label(i)) for i in range(ndim))
    mode = padding.strip().lower() if isinstance(padding, str) and padding.strip().lower() in PADDING_MODES else None
    return Resolved(kind, n, k, s, d, a, pads, mode, fw, ceil_mode and kind == "pool", out, dropped, axes.as_seq)
