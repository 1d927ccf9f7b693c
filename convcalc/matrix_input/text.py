"""Matrices and tensors from text: exact numbers, bracket literals, rows and channels; nothing evaluated.

:func:`parse_number` reads ints, fractions (``1/3``) and decimals (``0.5``,
``1e-3``) as exact values; :func:`matrix_from_text` reads a bracket literal
(JSON, Python or NumPy's printed form) or rows separated by ``;`` or new lines;
:func:`tensor_from_text` adds channels (``|``) and filters (``||``). The text goes
through a small tokenizer, bounded by :data:`MAX_NUMBER_CHARS`,
:data:`MAX_EXPONENT` and :data:`MAX_NESTING`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.exact import Matrix, as_matrix

__all__ = ["parse_number", "matrix_from_value", "matrix_from_text", "tensor_from_text", "MAX_NUMBER_CHARS",
           "MAX_EXPONENT", "MAX_NESTING"]

_INT = re.compile(r"^[+-]?\d+$", re.ASCII)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/[+-]?\d+)?$", re.ASCII)
#: Longest number (characters) in a matrix; its exponent (``1e-3``) at most MAX_EXPONENT either way.
MAX_NUMBER_CHARS = 100
MAX_EXPONENT = 100
#: Deepest bracket nesting of a matrix literal: O x C x H x W filters.
MAX_NESTING = 4
# Bracket literal tokens: brackets, commas, and anything else up to a separator.
_TOKEN = re.compile(r"\s*([\[\]()]|,|[^\s\[\](),]+)")


def parse_number(text: str, where: str = "") -> int | Fraction:
    """One exact number: an int, or a Fraction for ``1/3``, ``0.5``, ``1e-3``.

    Parameters
    ----------
    text : str
        The number as written. Quotes around it are ignored.
    where : str, optional
        Where it was found (``"row 2, column 3"``), for the error message.

    Examples
    --------
    >>> parse_number("-3"), parse_number("1/3"), parse_number("0.5"), parse_number("2.0")
    (-3, Fraction(1, 3), Fraction(1, 2), Fraction(2, 1))
    """
    token = text.strip().strip("'\"").strip()
    if len(token) > MAX_NUMBER_CHARS:
        raise ConvCalcError(f"{where + ': ' if where else ''}a number of {len(token):,} characters; at most "
                            f"{MAX_NUMBER_CHARS} (MAX_NUMBER_CHARS).")
    if _INT.match(token):
        return int(token)
    exponent = re.search(r"[eE]([+-]?\d+)", token)
    if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
        raise ConvCalcError(f"{where + ': ' if where else ''}{token!r} has the exponent {exponent.group(1)}; "
                            f"at most {MAX_EXPONENT} either way (MAX_EXPONENT).")
    if _NUMBER.match(token):
        try:
            return Fraction(token)
        except ZeroDivisionError:
            raise ConvCalcError(f"{where + ': ' if where else ''}{text!r} divides by zero.") from None
        except ValueError:  # '1.5/2' and similar: a decimal over an int
            num, den = token.split("/")
            if int(den) == 0:
                raise ConvCalcError(f"{where + ': ' if where else ''}{text!r} divides by zero.") from None
            return Fraction(num) / int(den)
    raise ConvCalcError(
        f"{where + ': ' if where else ''}{text!r} is not a number; use ints, decimals or fractions such as 1/3."
    )


def _where(name: str, r: int, c: int) -> str:
    return f"matrix {name}, row {r + 1}, column {c + 1}"


def matrix_from_value(value: object, name: str = "X") -> Matrix:
    """A matrix from nested lists whose entries are numbers or number strings.

    Used for matrices written inside answer files (TOML arrays): ``[[1, "1/3"]]``.
    Floats from such files are decimals the user wrote, so they become the
    Fraction of their shortest decimal form (``0.1 -> Fraction(1, 10)``).

    Examples
    --------
    >>> matrix_from_value([[1, "1/3"], [0.5, 2]])
    [[1, Fraction(1, 3)], [Fraction(1, 2), 2]]
    >>> matrix_from_value("1 0; 2 9")
    [[1, 0], [2, 9]]
    """
    if isinstance(value, str):
        return matrix_from_text(value, name)
    if not isinstance(value, (list, tuple)):
        raise ConvCalcError(f"matrix {name} must be a list of rows or a string such as '1 0; 2 9'; got {value!r}.")
    rows = value if any(isinstance(r, (list, tuple)) for r in value) else [value]
    converted = []
    for r, row in enumerate(rows):
        if not isinstance(row, (list, tuple)):
            raise ConvCalcError(f"matrix {name}, row {r + 1}: {row!r} is not a list of numbers.")
        converted.append([_entry(v, name, r, c) for c, v in enumerate(row)])
    return as_matrix(converted, name)


def _entry(v: object, name: str, r: int, c: int) -> object:
    if isinstance(v, bool):
        raise ConvCalcError(f"{_where(name, r, c)}: {v!r} is not a number.")
    if isinstance(v, str):
        return parse_number(v, _where(name, r, c))
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ConvCalcError(f"{_where(name, r, c)}: {v!r} is not a finite number.")
        return int(v) if v.is_integer() else Fraction(repr(v))
    if isinstance(v, (list, tuple, dict)):
        raise ConvCalcError(f"{_where(name, r, c)}: a {type(v).__name__} is nested too deeply; a matrix has rows "
                            "of numbers.")
    return v


def _bracket_literal(text: str, name: str) -> list:
    """Tokenize ``[[1, 0], [2 9]]`` into nested lists of strings (commas optional)."""
    stack: list[list] = [[]]
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos and text[pos:m.start()].strip():
            break
        pos = m.end()
        tok = m.group(1)
        if tok in "[(":
            if len(stack) > MAX_NESTING:
                raise ConvCalcError(f"matrix {name}: brackets nested more than {MAX_NESTING} deep (at most "
                                    "O x C x H x W).")
            stack.append([])
        elif tok in ")]":
            if len(stack) == 1:
                raise ConvCalcError(f"matrix {name}: unbalanced {tok!r} in {text.strip()!r}.")
            done = stack.pop()
            stack[-1].append(done)
        elif tok != ",":
            stack[-1].append(tok)
    if text[pos:].strip():
        raise ConvCalcError(f"matrix {name}: cannot read {text[pos:].strip()!r}.")
    if len(stack) != 1:
        raise ConvCalcError(f"matrix {name}: a '[' is never closed in {text.strip()!r}.")
    top = stack[0]
    if len(top) != 1 or not isinstance(top[0], list):
        raise ConvCalcError(f"matrix {name}: expected one bracketed matrix such as [[1, 0], [2, 9]].")
    return top[0]


def matrix_from_text(text: str, name: str = "X") -> Matrix:
    """Parse a matrix written as a bracket literal or as rows (``;``/new lines) of entries.

    Raises
    ------
    ConvCalcError
        Empty matrix, ragged rows or a non-number, naming the row and column (1-based).

    Examples
    --------
    >>> matrix_from_text("[[1,0],[2,9]]")
    [[1, 0], [2, 9]]
    >>> matrix_from_text("1 0; 2 9")
    [[1, 0], [2, 9]]
    >>> matrix_from_text("[[ 68 23] [-54 -19]]")
    [[68, 23], [-54, -19]]
    >>> matrix_from_text("1/3, 0.5")
    [[Fraction(1, 3), Fraction(1, 2)]]
    """
    body = text.strip()
    if body.startswith(("[", "(")):
        nested = _bracket_literal(body, name)
        if not nested:
            raise ConvCalcError(f"matrix {name} is empty; give at least one row with one number.")
        return matrix_from_value(nested, name)
    lines = [line.split("#", 1)[0].strip() for line in re.split(r"[;\n]", body)]
    rows = [line for line in lines if line]
    if not rows:
        raise ConvCalcError(f"matrix {name} is empty; give at least one row, e.g. '1 0; 2 9'.")
    table = [[tok for tok in re.split(r"[,\s]+", row) if tok] for row in rows]
    return matrix_from_value(table, name)


def tensor_from_text(text: str, name: str = "X") -> Any:
    """A matrix, or a stack of them: ``|`` separates channels, ``||`` separates filters.

    ``"1 2; 3 4 | 5 6; 7 8"`` is a 2 x 2 x 2 input (C x H x W);
    ``"1 0; 0 1 | 1 1; 1 1 || 2 0; 0 2 | 0 0; 0 0"`` two filters of 2 x 2 x 2
    (O x C x kh x kw, PyTorch's weight layout). Bracket literals may be nested 3
    or 4 deep instead. A plain matrix comes back as a matrix.

    Examples
    --------
    >>> tensor_from_text("1 2; 3 4 | 5 6; 7 8")
    [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    >>> tensor_from_text("[[[1]], [[2]]]")
    [[[1]], [[2]]]
    >>> tensor_from_text("1 || 2")
    [[[[1]]], [[[2]]]]
    """
    body = text.strip()
    if "|" in body:
        filters = body.split("||")
        if len(filters) > 1:
            return [[matrix_from_text(c, f"{name}[{o}][{k}]") for k, c in enumerate(one.split("|"))]
                    for o, one in enumerate(filters)]
        return [matrix_from_text(c, f"{name}[{k}]") for k, c in enumerate(body.split("|"))]
    if body.startswith(("[", "(")):
        nested = _bracket_literal(body, name)
        if nested and isinstance(nested[0], list) and nested[0] and isinstance(nested[0][0], list):
            return _nested_values(nested, name)
    return matrix_from_text(body, name)


def _nested_values(nested: list, name: str) -> Any:
    """3-D or 4-D bracket lists: each innermost 2-D block through :func:`matrix_from_value`."""
    depth, probe = 0, nested
    while isinstance(probe, list) and probe:
        depth, probe = depth + 1, probe[0]
    if depth > 4:
        raise ConvCalcError(f"matrix {name} is nested {depth} deep; at most 4 (O x C x H x W).")
    if depth <= 2:
        return matrix_from_value(nested, name)
    return [_nested_values(item, f"{name}[{k}]") if isinstance(item, list) else
            matrix_from_value(item, name) for k, item in enumerate(nested)]
