"""Where a matrix comes from: inline text, a file, or ``-`` (standard input), as every command takes it.

:func:`parse_matrix` reads one matrix; :func:`parse_tensor` also channels and
filters. A source that names an existing file (or ends in a matrix file suffix)
is read as a file (:mod:`convcalc.matrix_input.files`); standard input has the
same limits as a file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from convcalc.errors import ConvCalcError
from convcalc.exact import Matrix
from convcalc.matrix_input.files import (
    FILE_SUFFIXES,
    MAX_FILE_BYTES,
    _count_cells,
    _npy_array,
    _short_name,
    _size_text,
    read_file_bytes,
    read_matrix_file,
    text_of,
)
from convcalc.matrix_input.text import _nested_values, matrix_from_text, tensor_from_text

__all__ = ["parse_matrix", "parse_tensor"]


def parse_tensor(source: str, name: str = "X", stdin: TextIO | None = None) -> Any:
    """Like :func:`parse_matrix`, but channels (``|``, ``C x H x W``) and filters (``||``) are allowed.

    Files: ``.txt``/``.csv`` in the same syntax, or a 2-D, 3-D or 4-D ``.npy``
    array. Returns a matrix, ``C`` matrices, or ``O`` lists of ``C`` matrices.
    """
    text = source.strip()
    if text == "-":
        data = _read_stdin(stdin, name)
        if len(data) > MAX_FILE_BYTES or "\x00" in data:
            raise ConvCalcError(f"matrix {name}: standard input is over {_size_text(MAX_FILE_BYTES)} or holds "
                                "NUL bytes.")
        _count_cells(data, name, "standard input")
        return tensor_from_text(data, name)
    looks_like_file = text.lower().endswith(FILE_SUFFIXES) and not text.startswith(("[", "("))
    if looks_like_file or (text and "\n" not in text and len(text) < 4096 and _is_file(Path(text))):
        shown = _short_name(text)
        data_bytes = read_file_bytes(text, name, shown)
        if text.lower().endswith(".npy"):
            array = _npy_array(data_bytes, name, shown, max_ndim=4)
            try:
                return _nested_values(array.tolist(), name)
            except ConvCalcError as error:
                raise ConvCalcError(f"{str(error).rstrip('.')} (in file {shown!r}).") from None
        content = text_of(data_bytes, shown, f"matrix {name}")
        _count_cells(content, name, shown)
        return tensor_from_text(content, name)
    _count_cells(text, name, "the text")
    return tensor_from_text(text, name)


def _read_stdin(stdin: TextIO | None, name: str) -> str:
    """At most MAX_FILE_BYTES + 1 characters of standard input; text that is not UTF-8 is one error."""
    try:
        return (stdin or sys.stdin).read(MAX_FILE_BYTES + 1)
    except UnicodeDecodeError as error:
        raise ConvCalcError(f"matrix {name}: standard input is not UTF-8 text (an invalid byte at offset "
                            f"{error.start}).") from None


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the file system refuses (too long, NUL bytes)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


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
        data = _read_stdin(stdin, name)
        if len(data) > MAX_FILE_BYTES:
            raise ConvCalcError(f"matrix {name}: standard input is larger than {_size_text(MAX_FILE_BYTES)}.")
        if "\x00" in data:
            raise ConvCalcError(f"matrix {name}: standard input holds NUL bytes: binary data, not a text matrix.")
        _count_cells(data, name, "standard input")
        return matrix_from_text(data, name)
    looks_like_file = text.lower().endswith(FILE_SUFFIXES) and not text.startswith(("[", "("))
    if looks_like_file or (text and "\n" not in text and len(text) < 4096 and _is_file(Path(text))):
        return read_matrix_file(text, name)
    _count_cells(text, name, "the text")
    return matrix_from_text(text, name)
