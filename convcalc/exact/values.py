"""Exact matrices: the value and matrix types, the input check, and small helpers on rows of values."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from typing import Any, Union

from convcalc._typing import is_symbolic
from convcalc.errors import ConvCalcError, invalid

#: One exact value: an int, a Fraction, or a sympy expression.
Value = Union[int, Fraction, Any]
#: A matrix as rows of exact values.
Matrix = list[list[Value]]


# --------------------------------------------------------------------------- input checks
def _exact(value: object, name: str, r: int, c: int) -> Value:
    """One entry as an exact value, or a ConvCalcError naming its row and column (1-based)."""
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, Fraction)):
        return value
    elif isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    elif isinstance(value, Decimal):
        return Fraction(value)
    elif is_symbolic(value):
        return value
    elif hasattr(value, "__index__") and not isinstance(value, float):
        return int(value.__index__())  # NumPy integers
    kind = "float" if isinstance(value, float) else type(value).__name__
    raise ConvCalcError(
        f"The {name!r} matrix must hold exact numbers (int, Fraction or sympy); row {r + 1}, "
        f"column {c + 1} is the {kind} {value!r}. Pass Fraction('0.5') or parse text with "
        "convcalc.matrix_input.parse_matrix"
    )


def as_matrix(x: object, name: str = "x") -> Matrix:
    """Check ``x`` is a non-empty rectangular 2-D matrix of exact values; return it as lists.

    Accepts nested lists or tuples, and NumPy integer arrays (through ``tolist``).
    A flat sequence is one row.

    Raises
    ------
    ConvCalcError
        Empty, ragged, or holding a float or a non-number; the message names the
        row and column (1-based).

    Examples
    --------
    >>> as_matrix([[1, 2], [3, 4]])
    [[1, 2], [3, 4]]
    >>> as_matrix([1, 2, 3])
    [[1, 2, 3]]
    """
    if hasattr(x, "tolist") and not isinstance(x, (list, tuple)):
        x = x.tolist()
    if not isinstance(x, (list, tuple)):
        raise invalid(name, x, "a matrix: a list of rows of numbers")
    if not x:
        raise ConvCalcError(f"The {name!r} matrix is empty; give at least one row with one number.")
    if not any(isinstance(row, (list, tuple)) for row in x):
        x = [x]
    rows: Matrix = []
    width = None
    for r, row in enumerate(x):
        if not isinstance(row, (list, tuple)):
            raise ConvCalcError(f"The {name!r} matrix mixes rows and numbers: row {r + 1} is {row!r}, not a list.")
        if not row:
            raise ConvCalcError(f"The {name!r} matrix has an empty row {r + 1}.")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ConvCalcError(
                f"The {name!r} matrix is ragged: row {r + 1} has {len(row)} "
                f"entr{'y' if len(row) == 1 else 'ies'} but row 1 has {width}"
                + (f" (column {width + 1} is extra)." if len(row) > width else f" (column {len(row) + 1} is missing).")
            )
        rows.append([_exact(v, name, r, c) for c, v in enumerate(row)])
    return rows


def _flip(f: Matrix) -> Matrix:
    return [row[::-1] for row in f[::-1]]


def _tuples(m: Matrix) -> tuple[tuple[Value, ...], ...]:
    return tuple(tuple(row) for row in m)


def term(v: Value, bracket: bool = True) -> str:
    """A value as a term of a written-out sum: negative values and fractions in parentheses.

    Examples
    --------
    >>> term(3), term(-2), term(Fraction(1, 3)), term(-2, bracket=False)
    ('3', '(-2)', '(1/3)', '-2')
    """
    return _term(v, bracket)


def _term(v: Value, bracket: bool = True) -> str:
    text = str(v)
    if bracket and (text.startswith("-") or (not isinstance(v, int) and ("/" in text or " " in text))):
        return f"({text})"
    return text
