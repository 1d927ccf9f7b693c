"""Type aliases and the small helpers every formula shares.

Sizes are exact: Python ``int`` or, when the user leaves a size symbolic, a
``sympy`` expression. sympy is imported only when a symbol is actually given,
so ``convcalc outsize`` with plain numbers never pays for it.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, Union

from convcalc.errors import ConvCalcError, invalid

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

_INT = r"^[+-]?\d+$"
# A symbolic size is a small arithmetic expression over names and integers.
_EXPRESSION = r"^[A-Za-z_][A-Za-z0-9_]*$|^[A-Za-z0-9_+\-*/() ]+$"


def is_symbolic(x: object) -> bool:
    """True when ``x`` is a sympy object (checked without importing sympy)."""
    return "sympy" in sys.modules and type(x).__module__.startswith("sympy")


def as_value(x: object, name: str) -> Size:
    """Turn one user value into an exact int or a sympy expression.

    Accepts ``int`` (and NumPy integers), integer strings, sympy expressions
    and name strings such as ``"n"`` or ``"2*n + 1"`` (a new symbol is an
    integer). Floats and booleans are refused: sizes are exact.

    Examples
    --------
    >>> as_value("16", "size"), as_value(3, "kernel")
    (16, 3)
    >>> as_value("n", "size")
    n
    """
    if isinstance(x, bool):
        raise invalid(name, x, "an int or a symbol")
    if isinstance(x, int):
        return x
    if is_symbolic(x):
        return int(x) if getattr(x, "is_Integer", False) else x
    if isinstance(x, str):
        text = x.strip()
        if re.match(_INT, text):
            return int(text)
        if text and re.match(_EXPRESSION, text):
            return _parse_symbolic(text, name)
        raise invalid(name, x, "an int, a symbol name such as 'n', or a small expression such as '2*n+1'")
    if hasattr(x, "__index__") and not isinstance(x, float):
        return int(x.__index__())  # NumPy integers
    raise invalid(name, x, "an int or a symbol")


def _parse_symbolic(text: str, name: str) -> Size:
    """Parse a restricted arithmetic expression; every name is an integer symbol."""
    import sympy

    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    local = {n: sympy.Symbol(n, integer=True, positive=True) for n in names}
    try:
        value = sympy.sympify(text, locals=local)
    except (sympy.SympifyError, SyntaxError, TypeError, ZeroDivisionError):
        raise invalid(name, text, "an int, a symbol or an arithmetic expression") from None
    return int(value) if value.is_Integer else value


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
