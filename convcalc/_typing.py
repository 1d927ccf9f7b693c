"""Type aliases and the small helpers every formula shares.

Sizes are exact: Python ``int`` or, when the user leaves a size symbolic, a
``sympy`` expression. sympy is imported only when a symbol is actually given,
so ``convcalc outsize`` with plain numbers never pays for it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Union

from convcalc.errors import ConvCalcError, ConvCalcTypeError, shown
from convcalc.expression import check_expr, check_int, parse_expression

if TYPE_CHECKING:  # pragma: no cover - typing only
    import sympy

    Expr = sympy.Expr
else:
    Expr = Any

__all__ = [
    "Size",
    "IntOrTuple",
    "as_value",
    "as_tuple",
    "is_symbolic",
    "floordiv",
    "ceildiv",
    "definitely",
]

#: One exact length: an int, or a sympy expression when left symbolic.
Size = Union[int, "Expr"]
#: An int (or symbol) for every axis, or a tuple with one value per axis.
IntOrTuple = Union[Size, str, tuple]


def is_symbolic(x: object) -> bool:
    """True when ``x`` is a sympy object (checked without importing sympy)."""
    return "sympy" in sys.modules and type(x).__module__.startswith("sympy")


_VALID = "an int or a symbolic size (a name such as 'n', a small expression such as '2*n+1', or a sympy expression)"


def as_value(x: object, name: str) -> Size:
    """Turn one user value into an exact int or a sympy expression.

    Accepts ``int`` (and NumPy integers), text in the bounded grammar of
    :mod:`convcalc.expression` (``"16"``, ``"n"``, ``"2*n + 1"``; a name is a
    positive integer symbol) and sympy expressions (checked by
    :func:`convcalc.expression.check_expr`). Every int has at most
    ``MAX_DIGITS`` digits.

    Raises
    ------
    ConvCalcTypeError
        For a value of the wrong type: ``float`` (also ``3.0``: sizes are exact), ``bool``,
        ``None``, ``complex``, ``Fraction``, ``Decimal``, NumPy floats and bools, containers.
    ConvCalcError
        For text outside the grammar or a value past a limit.

    Examples
    --------
    >>> as_value("16", "size"), as_value(3, "kernel")
    (16, 3)
    >>> as_value("n", "size")
    n
    >>> as_value(2.0, "stride")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcTypeError: The 'stride' parameter must be an int or a symbolic size (a name such as 'n', a small expression such as '2*n+1', or a sympy expression). Got the float 2.0; sizes are exact integers.
    """
    if isinstance(x, int) and not isinstance(x, bool):
        return check_int(int(x), name)
    if isinstance(x, str):
        return parse_expression(x, name)
    if is_symbolic(x):
        check_expr(x, name)
        return int(x) if getattr(x, "is_Integer", False) else x  # type: ignore[call-overload]
    kind = type(x).__name__
    if kind == "ndarray" and not (getattr(x, "ndim", 1) == 0 and getattr(x.dtype, "kind", "") in "iu"):  # type: ignore[attr-defined]
        raise ConvCalcTypeError(f"The {name!r} parameter must be {_VALID}, or a tuple with one per axis. "
                                f"Got a NumPy array of shape {getattr(x, 'shape', '?')}; pass tuple(array.tolist()).")
    if not isinstance(x, (bool, float, complex)) and "bool" not in kind and hasattr(x, "__index__"):
        try:
            return check_int(int(x.__index__()), name)  # NumPy integers
        except TypeError:
            pass
    raise ConvCalcTypeError(f"The {name!r} parameter must be {_VALID}. Got {_described(x)}.")


def _described(x: object) -> str:
    """The received value for a type error: ``the float 2.0``, ``None``, ``the bool True``."""
    if x is None:
        return "None"
    if isinstance(x, (float, complex)) or "float" in type(x).__name__:
        return f"the {type(x).__name__} {shown(x)}; sizes are exact integers"
    return f"the {type(x).__name__} {shown(x)}"


def as_tuple(x: object, ndim: int, name: str) -> tuple:
    """Repeat a scalar over ``ndim`` axes, or check a tuple has ``ndim`` values.

    Examples
    --------
    >>> as_tuple(3, 2, "kernel")
    (3, 3)
    >>> as_tuple((3, 5), 2, "kernel")
    (3, 5)
    """
    if isinstance(x, (tuple, list)):
        if len(x) != ndim:
            raise ConvCalcError(
                f"The {name!r} parameter must have {ndim} value{'s' if ndim != 1 else ''}, "
                f"one per spatial axis. Got {tuple(x)!r}."
            )
        return tuple(x)
    return (x,) * ndim


def floordiv(a: Size, b: Size) -> Size:
    """Floor division valid for ints and sympy expressions alike.

    Examples
    --------
    >>> floordiv(13, 2), floordiv(-1, 2)
    (6, -1)
    """
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    import sympy

    return sympy.floor(sympy.sympify(a) / b)


def ceildiv(a: Size, b: Size) -> Size:
    """Ceiling division valid for ints and sympy expressions alike.

    Examples
    --------
    >>> ceildiv(13, 2), ceildiv(12, 2)
    (7, 6)
    """
    if isinstance(a, int) and isinstance(b, int):
        return -(-a // b)
    import sympy

    return sympy.ceiling(sympy.sympify(a) / b)


def definitely(condition: object) -> bool | None:
    """The truth of a comparison, or ``None`` when a symbol leaves it open."""
    if isinstance(condition, bool):
        return condition
    if condition in (True, False):  # sympy's BooleanTrue/BooleanFalse
        return bool(condition)
    return None
