"""Output sizes of convolutions, transposed convolutions and pooling, exactly.

Every size formula of convcalc lives once, per axis, in :mod:`convcalc.lengths`
(re-exported here), working on ``int`` and on ``sympy`` expressions alike. This
module resolves what the caller gave once (scalars or per-axis tuples, padding
forms and modes through :mod:`convcalc.padding`, framework keyword names) into a
:class:`Resolved` result and maps the per-axis formulas over the axes; the public
functions, the working (:mod:`convcalc.working`) and the inverse solvers use it.

Conventions: positional order ``(size, kernel, stride, padding, dilation)`` as in
PyTorch's functional API after the input; keywords ``kernel_size=`` (PyTorch and
Keras), ``strides=``, ``dilation_rate=``, ``pool_size=`` (Keras) are accepted too,
and giving one parameter under two names is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union, overload

from convcalc.lengths import (
    FRAMEWORKS,
    adjoint_padding,
    ceil_window_dropped,
    conv_length,
    effective_kernel,
    framework_name,
    pool_length,
    same_padding_pair,
    transposed_length,
)
from convcalc.padding import PADDING_MODES
from convcalc.resolve import (
    KINDS,
    MAX_AXES,
    UNSET,
    PerAxis,
    Resolved,
    check_pool_padding,
    framework_keywords,
    per_axis,
    pool_modes,
    resolve_geometry,
    resolve_padding,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from convcalc._typing import Expr

#: Typing of the public size functions: one int per axis in, ints out; per-axis tuples in, tuples out.
Ints = Union[tuple[int, ...], list[int]]
IntOrInts = Union[int, tuple[int, ...], list[int]]
#: Padding that keeps a one-axis (scalar) result: an int, a mode, "sym(p)" or a bare (lo, hi) pair.
ScalarPadding = Union[int, str, tuple[int, int]]

__all__ = [
    "FRAMEWORKS",
    "framework_name",
    "effective_kernel",
    "conv_length",
    "pool_length",
    "transposed_length",
    "same_padding_pair",
    "resolve_padding",
    "conv_output_size",
    "pool_output_size",
    "transposed_output_size",
    "same_padding",
    "full_padding",
    "PADDING_MODES",
    "ceil_window_dropped",
    "check_pool_padding",
    "adjoint_padding",
    "pool_modes",
    "Resolved",
    "PerAxis",
    "per_axis",
    "resolve_geometry",
    "framework_keywords",
    "UNSET",
    "MAX_AXES",
    "KINDS",
]

@overload
def conv_output_size(size: int, kernel: int = ..., stride: int = ..., padding: ScalarPadding = ...,
                     dilation: int = ..., *, framework: str = ..., kernel_size: int = ..., strides: int = ...,
                     dilation_rate: int = ...) -> int: ...
@overload
def conv_output_size(size: Ints, kernel: IntOrInts = ..., stride: IntOrInts = ..., padding: Any = ...,
                     dilation: IntOrInts = ..., *, framework: str = ..., kernel_size: IntOrInts = ...,
                     strides: IntOrInts = ..., dilation_rate: IntOrInts = ...) -> tuple[int, ...]: ...
@overload
def conv_output_size(size: int, kernel: Ints, stride: IntOrInts = ..., padding: Any = ...,
                     dilation: IntOrInts = ..., *, framework: str = ...) -> tuple[int, ...]: ...
@overload
def conv_output_size(size: str | Expr, kernel: Any = ..., stride: Any = ..., padding: Any = ..., dilation: Any = ...,
                     *, framework: str = ..., kernel_size: Any = ..., strides: Any = ...,
                     dilation_rate: Any = ...) -> Expr: ...
@overload  # the mixed cases (an int size with a per-axis stride, ...): reached under pyright, where Expr is sympy's
def conv_output_size(  # type: ignore[overload-cannot-match]
        size: Any, kernel: Any = ..., stride: Any = ..., padding: Any = ..., dilation: Any = ...,
                     *, framework: str = ..., kernel_size: Any = ..., strides: Any = ...,
                     dilation_rate: Any = ...) -> Any: ...


def conv_output_size(size: Any, kernel: Any = UNSET, stride: Any = UNSET, padding: Any = UNSET,
                     dilation: Any = UNSET, *, framework: str = "torch", kernel_size: Any = UNSET,
                     strides: Any = UNSET, dilation_rate: Any = UNSET) -> Any:
    """Output size of a convolution, per spatial axis.

    ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1) / s) + 1`` on each axis
    (Dumoulin & Visin 2016, rel. 15; PyTorch ``Conv2d``). With
    ``framework="keras"`` and ``padding="same"`` the result is ``ceil(n/s)``
    for any stride.

    Parameters
    ----------
    size, kernel, stride, dilation : int, str, sympy expression or tuple
        One value for every axis, or a tuple with one value per axis. Text in the grammar of
        :mod:`convcalc.expression` (``"n"``, ``"2*n + 1"``) makes the result a sympy
        expression. ``dilation=1`` means no dilation. Defaults: stride 1, dilation 1.
        PyTorch's and Keras's keyword names are accepted too: ``kernel_size=``, ``strides=``,
        ``dilation_rate=`` (giving both spellings is an error).
    padding : int, tuple or {"valid", "same", "full", "causal"}
        Symmetric padding, an int per axis, a ``(lo, hi)`` pair per axis, a mode, or a
        symbolic ``"sym(p)"``. Defaults to 0. ``"causal"`` (Keras ``Conv1D``) pads
        ``d*(k - 1)`` before the input and nothing after, on one axis only.
    framework : {"torch", "keras"}
        Which 'same' rule applies. Defaults to ``"torch"``.

    Returns
    -------
    int, sympy expression, or tuple of them
        A tuple when any argument was given per axis.

    Raises
    ------
    ConvCalcError
        Impossible geometry or a malformed value, naming the parameter, its value and what is valid.
    ConvCalcTypeError
        A value of the wrong type (``float``, ``bool``, ``None``, ``complex``).

    Examples
    --------
    >>> conv_output_size(16, 2, stride=2, padding=1, dilation=4)
    7
    >>> conv_output_size((28, 32), 3, padding="same")
    (28, 32)
    >>> conv_output_size(5, 3, stride=2, padding="same", framework="keras")
    3
    >>> conv_output_size("n", 3, padding=1)
    n
    >>> conv_output_size(10, kernel_size=3, strides=2, padding="causal")
    5
    """
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate)
    padding = 0 if padding is UNSET else padding
    return resolve_geometry("conv", size, kernel, stride, padding, dilation, framework=framework).result()


@overload
def pool_output_size(size: int, kernel: int = ..., stride: int | None = ..., padding: ScalarPadding = ...,
                     dilation: int = ..., ceil_mode: bool = ..., *, framework: str = ..., kernel_size: int = ...,
                     pool_size: int = ..., strides: int | None = ..., dilation_rate: int = ...) -> int: ...
@overload
def pool_output_size(size: Ints, kernel: IntOrInts = ..., stride: IntOrInts | None = ..., padding: Any = ...,
                     dilation: IntOrInts = ..., ceil_mode: bool = ..., *, framework: str = ...,
                     kernel_size: IntOrInts = ..., pool_size: IntOrInts = ..., strides: IntOrInts | None = ...,
                     dilation_rate: IntOrInts = ...) -> tuple[int, ...]: ...
@overload
def pool_output_size(size: int, kernel: Ints, stride: IntOrInts | None = ..., padding: Any = ...,
                     dilation: IntOrInts = ..., ceil_mode: bool = ..., *, framework: str = ...) -> tuple[int, ...]: ...
@overload
def pool_output_size(size: str | Expr, kernel: Any = ..., stride: Any = ..., padding: Any = ..., dilation: Any = ...,
                     ceil_mode: bool = ..., *, framework: str = ..., kernel_size: Any = ..., pool_size: Any = ...,
                     strides: Any = ..., dilation_rate: Any = ...) -> Expr: ...
@overload  # the mixed cases (an int size with a per-axis stride, ...): reached under pyright, where Expr is sympy's
def pool_output_size(  # type: ignore[overload-cannot-match]
        size: Any, kernel: Any = ..., stride: Any = ..., padding: Any = ..., dilation: Any = ...,
                     ceil_mode: bool = ..., *, framework: str = ..., kernel_size: Any = ..., pool_size: Any = ...,
                     strides: Any = ..., dilation_rate: Any = ...) -> Any: ...


def pool_output_size(size: Any, kernel: Any = UNSET, stride: Any = UNSET, padding: Any = UNSET,
                     dilation: Any = UNSET, ceil_mode: bool = False, *, framework: str = "torch",
                     kernel_size: Any = UNSET, pool_size: Any = UNSET, strides: Any = UNSET,
                     dilation_rate: Any = UNSET) -> Any:
    """Output size of max or average pooling, per spatial axis.

    ``o = floor((n + 2p - d*(k - 1) - 1 [+ s - 1 in ceil mode]) / s) + 1``; in
    ceil mode a last window starting in the right padding is dropped (PyTorch
    ``MaxPool2d``; Dumoulin & Visin rel. 7). ``stride`` defaults to the kernel
    (``stride=None`` too, as PyTorch). Padding must be at most half the window
    (PyTorch, :func:`check_pool_padding`). With ``framework="keras"``,
    ``padding="same"`` gives ``ceil(n/s)``. Keyword names of the frameworks are
    accepted: ``kernel_size=`` (PyTorch), ``pool_size=`` and ``strides=`` (Keras),
    ``dilation_rate=``.

    Examples
    --------
    >>> pool_output_size(26, 2)
    13
    >>> pool_output_size(32, 1, stride=2, ceil_mode=True)   # pytorch/pytorch#57178
    16
    >>> pool_output_size((5, 6), 2, ceil_mode=True)
    (3, 3)
    >>> pool_output_size(28, pool_size=2, strides=2, padding="same", framework="keras")
    14
    """
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate,
                                                  pool_size=pool_size, stride_default=None)
    padding = 0 if padding is UNSET else padding
    return resolve_geometry("pool", size, kernel, stride, padding, dilation, ceil_mode=ceil_mode,
                            framework=framework).result()


@overload
def transposed_output_size(size: int, kernel: int = ..., stride: int = ..., padding: ScalarPadding = ...,
                           dilation: int = ..., output_padding: int = ..., *, kernel_size: int = ...,
                           strides: int = ..., dilation_rate: int = ...) -> int: ...
@overload
def transposed_output_size(size: Ints, kernel: IntOrInts = ..., stride: IntOrInts = ..., padding: Any = ...,
                           dilation: IntOrInts = ..., output_padding: IntOrInts = ..., *,
                           kernel_size: IntOrInts = ..., strides: IntOrInts = ...,
                           dilation_rate: IntOrInts = ...) -> tuple[int, ...]: ...
@overload
def transposed_output_size(size: int, kernel: Ints, stride: IntOrInts = ..., padding: Any = ...,
                           dilation: IntOrInts = ..., output_padding: IntOrInts = ...) -> tuple[int, ...]: ...
@overload
def transposed_output_size(size: str | Expr, kernel: Any = ..., stride: Any = ..., padding: Any = ...,
                           dilation: Any = ..., output_padding: Any = ..., *, kernel_size: Any = ...,
                           strides: Any = ..., dilation_rate: Any = ...) -> Expr: ...
@overload  # the mixed cases (an int size with a per-axis stride, ...): reached under pyright, where Expr is sympy's
def transposed_output_size(  # type: ignore[overload-cannot-match]
        size: Any, kernel: Any = ..., stride: Any = ..., padding: Any = ..., dilation: Any = ...,
                           output_padding: Any = ..., *, kernel_size: Any = ..., strides: Any = ...,
                           dilation_rate: Any = ...) -> Any: ...


def transposed_output_size(size: Any, kernel: Any = UNSET, stride: Any = UNSET, padding: Any = UNSET,
                           dilation: Any = UNSET, output_padding: Any = 0, *, kernel_size: Any = UNSET,
                           strides: Any = UNSET, dilation_rate: Any = UNSET) -> Any:
    """Output size of a transposed convolution, per spatial axis.

    ``o = (n - 1)*s - 2p + d*(k - 1) + output_padding + 1`` (PyTorch
    ``ConvTranspose2d``; Dumoulin & Visin rel. 14). ``output_padding`` picks
    one of the ``s`` input sizes a strided convolution maps to the same output.
    Keyword names ``kernel_size=``, ``strides=``, ``dilation_rate=`` are accepted too.

    Examples
    --------
    >>> transposed_output_size(7, 3, stride=2, padding=1, output_padding=1)
    14
    >>> transposed_output_size((4, 5), 4, stride=2, padding=1)
    (8, 10)
    """
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate)
    padding = 0 if padding is UNSET else padding
    return resolve_geometry("transposed", size, kernel, stride, padding, dilation,
                            output_padding=output_padding).result()


@overload
def same_padding(size: int, kernel: int = ..., stride: int = ..., dilation: int = ..., *, framework: str = ...,
                 kernel_size: int = ..., strides: int = ..., dilation_rate: int = ...) -> tuple[int, int]: ...
@overload
def same_padding(size: Ints, kernel: IntOrInts = ..., stride: IntOrInts = ..., dilation: IntOrInts = ..., *,
                 framework: str = ..., kernel_size: IntOrInts = ..., strides: IntOrInts = ...,
                 dilation_rate: IntOrInts = ...) -> tuple[tuple[int, int], ...]: ...
@overload
def same_padding(size: Any, kernel: Any = ..., stride: Any = ..., dilation: Any = ..., *, framework: str = ...,
                 kernel_size: Any = ..., strides: Any = ..., dilation_rate: Any = ...) -> Any: ...


def same_padding(size: Any, kernel: Any = UNSET, stride: Any = UNSET, dilation: Any = UNSET, *,
                 framework: str = "torch", kernel_size: Any = UNSET, strides: Any = UNSET,
                 dilation_rate: Any = UNSET) -> Any:
    """The ``(lo, hi)`` padding of 'same', per axis.

    PyTorch (stride 1 only): ``total = d*(k - 1)``, odd pixel on the right.
    Keras/TF: output ``ceil(n/s)`` for any stride, extra pixel bottom/right.

    Examples
    --------
    >>> same_padding(28, 3)
    (1, 1)
    >>> same_padding(28, 4)
    (1, 2)
    >>> same_padding((224, 224), 7, 2, framework="keras")
    ((2, 3), (2, 3))
    """
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate)
    axes = per_axis({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation})
    v = axes.values
    pairs = [same_padding_pair(*args, framework=framework)
             for args in zip(v["size"], v["kernel"], v["stride"], v["dilation"])]
    return tuple(pairs) if axes.as_seq else pairs[0]


@overload
def full_padding(kernel: int = ..., dilation: int = ..., *, kernel_size: int = ..., dilation_rate: int = ...) -> int: ...
@overload
def full_padding(kernel: Ints, dilation: IntOrInts = ..., *, kernel_size: IntOrInts = ...,
                 dilation_rate: IntOrInts = ...) -> tuple[int, ...]: ...
@overload
def full_padding(kernel: Any = ..., dilation: Any = ..., *, kernel_size: Any = ..., dilation_rate: Any = ...) -> Any: ...


def full_padding(kernel: Any = UNSET, dilation: Any = UNSET, *, kernel_size: Any = UNSET,
                 dilation_rate: Any = UNSET) -> Any:
    """Padding per side of a 'full' convolution: ``d*(k - 1)`` (Dumoulin & Visin rel. 4).

    Examples
    --------
    >>> full_padding(3), full_padding((3, 5), 2)
    (2, (4, 8))
    """
    kernel, _, dilation = framework_keywords(kernel, 1, dilation, kernel_size, dilation_rate=dilation_rate)
    axes = per_axis({"kernel": kernel, "dilation": dilation})
    out = [effective_kernel(kk, dd) - 1 for kk, dd in zip(axes.values["kernel"], axes.values["dilation"])]
    return tuple(out) if axes.as_seq else out[0]
