"""Read a matrix from text, a file or stdin, keeping every number exact.

Accepted forms (every command that takes a matrix uses :func:`parse_matrix`):

* a bracket literal, JSON or Python style, commas optional (NumPy's printed
  form works too): ``"[[1, 0], [2, 9]]"``, ``"[[ 68  23] [-54 -19]]"``;
* rows separated by ``;`` (or new lines), entries by spaces or commas:
  ``"1 0; 2 9"``, ``"1,0;2,9"``;
* a ``.txt`` or ``.csv`` file in either form (blank lines and ``#`` comments
  are skipped), or a ``.npy`` file (NumPy is imported only then);
* ``"-"``: the same text read from standard input.

Numbers are ints (``-3``), fractions (``1/3``) or decimals (``0.5``, ``1e-3``);
fractions and decimals become exact :class:`fractions.Fraction` values. Nothing
is ever evaluated: the text goes through a small tokenizer.
"""

from __future__ import annotations

import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import TextIO

from convcalc.errors import ConvCalcError
from convcalc.exact import Matrix, as_matrix

__all__ = ["parse_number", "parse_matrix", "matrix_from_text", "matrix_from_value", "FILE_SUFFIXES"]

FILE_SUFFIXES = (".txt", ".csv", ".tsv", ".npy")

_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/[+-]?\d+)?$")
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
    if _INT.match(token):
        return int(token)
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
        raise ConvCalcError(f"{_where(name, r, c)}: {v!r} is nested too deeply; a matrix has rows of numbers.")
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


def _from_npy(path: Path, name: str) -> Matrix:
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ConvCalcError(f"matrix {name}: cannot read {str(path)!r} as a .npy file ({error}).") from None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ConvCalcError(f"matrix {name}: {str(path)!r} holds a {array.ndim}-D array; a matrix is 2-D.")
    if array.dtype.kind not in "iuf":
        raise ConvCalcError(f"matrix {name}: {str(path)!r} holds {array.dtype} values, not numbers.")
    return matrix_from_value(array.tolist(), name)


def parse_matrix(source: str, name: str = "X", stdin: TextIO | None = None) -> Matrix:
    """Read a matrix from inline text, a ``.txt``/``.csv``/``.npy`` file, or ``-`` (stdin).

    Parameters
    ----------
    source : str
        The text, a file path, or ``"-"``.
    name : str
        What the matrix is called in error messages. Defaults to ``"X"``.
    stdin : file, optional
        Where ``"-"`` reads from. Defaults to ``sys.stdin``.

    Examples
    --------
    >>> parse_matrix("1 -1; 1/2 0")
    [[1, -1], [Fraction(1, 2), 0]]
    """
    text = source.strip()
    if text == "-":
        return matrix_from_text((stdin or sys.stdin).read(), name)
    looks_like_file = text.lower().endswith(FILE_SUFFIXES) and not text.startswith(("[", "("))
    path = Path(text)
    if looks_like_file or (text and "\n" not in text and len(text) < 4096 and path.is_file()):
        if not path.is_file():
            raise ConvCalcError(f"matrix {name}: file {text!r} does not exist.")
        if path.suffix.lower() == ".npy":
            return _from_npy(path, name)
        try:
            content = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise ConvCalcError(f"matrix {name}: cannot read {text!r} ({error}).") from None
        return matrix_from_text(content, name)
    return matrix_from_text(text, name)
