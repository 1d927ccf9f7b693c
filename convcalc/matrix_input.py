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
from typing import Any, TextIO

from convcalc.errors import ConvCalcError
from convcalc.exact import Matrix, as_matrix

__all__ = ["parse_number", "parse_matrix", "matrix_from_text", "matrix_from_value", "read_matrix_file",
           "read_file_bytes", "parse_tensor", "tensor_from_text", "FILE_SUFFIXES", "MAX_FILE_BYTES", "MAX_CELLS"]

FILE_SUFFIXES = (".txt", ".csv", ".tsv", ".npy")

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


#: Largest matrix file read (bytes), checked with ``stat`` before reading.
MAX_FILE_BYTES = 16 * 2**20
#: Most entries one matrix (or stack of channel matrices) may hold, checked before parsing or loading.
MAX_CELLS = 1_000_000


def _size_text(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _short_name(shown: str) -> str:
    """A file name for a message: very long names are cut in the middle (the limit is 255 bytes a part)."""
    return shown if len(shown) <= 120 else f"{shown[:60]}...{shown[-40:]}"


def _named(label: str, shown: str) -> str:
    """``matrix X: file 'x.csv'``, or ``answer file 'a.toml'`` when the label already says file."""
    return f"{label} {shown!r}" if label.endswith("file") else f"{label}: file {shown!r}"


def _os_error(error: OSError, label: str, shown: str) -> ConvCalcError:
    """One line for a file that cannot be opened: missing, unreadable, a folder, a name too long."""
    import errno

    what = {
        errno.ENOENT: "does not exist", errno.EACCES: "is unreadable (permission denied)",
        errno.EPERM: "is unreadable (permission denied)", errno.EISDIR: "is a folder, not a file",
        errno.ENAMETOOLONG: "has a name too long for the file system", errno.ENOTDIR: "does not exist",
        errno.ELOOP: "is a loop of symbolic links",
    }.get(error.errno or 0, f"cannot be read ({error.strerror or type(error).__name__})")
    return ConvCalcError(f"{_named(label, shown)} {what}.")


def read_file_bytes(path: str | Path, name: str = "X", shown: str | None = None,
                    max_bytes: int = MAX_FILE_BYTES, label: str | None = None) -> bytes:
    """The bytes of a matrix file (or, with ``label``, another input file), its size checked before reading.

    Raises
    ------
    ConvCalcError
        Missing, unreadable (permission denied), a folder, a name too long, or
        larger than ``max_bytes``; the message names the file as ``shown`` (the
        path as the user wrote it) and never quotes its contents.
    """
    import stat

    p = Path(path)
    shown = _short_name(str(path) if shown is None else shown)
    label = f"matrix {name}" if label is None else label
    try:
        info = p.stat()
    except OSError as error:
        raise _os_error(error, label, shown) from None
    except ValueError:  # a NUL byte in the name
        raise ConvCalcError(f"{_named(label, shown)} has a NUL byte in its name.") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConvCalcError(f"{_named(label, shown)} is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        raise ConvCalcError(f"{_named(label, shown)} is not a regular file.")
    if info.st_size > max_bytes:
        raise ConvCalcError(f"{_named(label, shown)} is {_size_text(info.st_size)}; such files are "
                            f"limited to {_size_text(max_bytes)}.")
    try:
        with p.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise _os_error(error, label, shown) from None
    if len(data) > max_bytes:
        raise ConvCalcError(f"{_named(label, shown)} is larger than {_size_text(max_bytes)}.")
    return data


def text_of(data: bytes, shown: str, label: str) -> str:
    """UTF-8 text of an input file (a BOM is allowed); NUL bytes and other encodings are refused."""
    if b"\x00" in data:
        raise ConvCalcError(f"{_named(label, shown)} holds NUL bytes: a binary file, not text"
                            + (" (a NumPy array must be saved as .npy)." if label.startswith("matrix") else "."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConvCalcError(f"{_named(label, shown)} is not UTF-8 text (an invalid byte at offset "
                            f"{error.start}).") from None


def _count_cells(text: str, name: str, shown: str) -> None:
    cells = len(re.findall(r"[^\s,;\[\]()|]+", text))
    if cells > MAX_CELLS:
        raise ConvCalcError(f"matrix {name}: {shown!r} holds about {cells:,} entries; at most {MAX_CELLS:,} are "
                            "read (MAX_CELLS).")


def _quiet_parse(text: str, name: str, shown: str, parse: Any) -> Any:
    """Parse file text; on an error name the row and column but never quote the file's contents."""
    try:
        return parse(text, name)
    except ConvCalcError as error:
        where = re.search(r"(channel \d+, )?row \d+(, column \d+)?", str(error))
        detail = f" at {where.group(0)}" if where else ""
        raise ConvCalcError(f"matrix {name}: file {shown!r} is not a matrix of numbers{detail} (rows of ints, "
                            "decimals or fractions such as 1/3, separated by spaces or commas; its contents are "
                            "not shown).") from None


def _npy_array(data: bytes, name: str, shown: str, max_ndim: int = 2) -> Any:
    """A NumPy array from .npy bytes: header (shape, dtype) checked before the data is loaded; no pickles."""
    import io

    import numpy as np

    handle = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    except (ValueError, EOFError, OSError, SyntaxError) as error:
        reason = "it does not start with the .npy magic bytes (is it text? name it .txt or .csv)" \
            if data[:6] != b"\x93NUMPY" else f"its header is damaged ({str(error).splitlines()[0][:120]})"
        raise ConvCalcError(f"matrix {name}: file {shown!r} is not a valid .npy file: {reason}.") from None
    if dtype.kind not in "iuf":
        what = "Python objects (pickles are never loaded)" if dtype.kind == "O" else f"{dtype} values"
        raise ConvCalcError(f"matrix {name}: file {shown!r} holds {what}, not numbers (ints or floats).")
    cells = 1
    for n in shape:
        cells *= n
    if cells > MAX_CELLS:
        raise ConvCalcError(f"matrix {name}: file {shown!r} declares a {'x'.join(map(str, shape))} array "
                            f"({cells:,} entries); at most {MAX_CELLS:,} are read (MAX_CELLS).")
    if len(shape) == 1:
        raise ConvCalcError(f"matrix {name}: file {shown!r} holds a 1-D array of {shape[0]} values; a matrix is "
                            "2-D: save x.reshape(1, -1) for one row or x.reshape(-1, 1) for one column.")
    if not 2 <= len(shape) <= max_ndim:
        want = "2-D (rows, cols)" if max_ndim == 2 else "2-D (rows, cols), 3-D (C, H, W) or 4-D (O, C, H, W)"
        raise ConvCalcError(f"matrix {name}: file {shown!r} holds a {len(shape)}-D array; it must be {want}.")
    handle.seek(0)
    try:
        return np.load(handle, allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        raise ConvCalcError(f"matrix {name}: file {shown!r} is not a valid .npy file "
                            f"({str(error).splitlines()[0][:120]}).") from None


def _from_npy(data: bytes, name: str, shown: str) -> Matrix:
    array = _npy_array(data, name, shown)
    try:
        return matrix_from_value(array.tolist(), name)
    except ConvCalcError as error:
        raise ConvCalcError(f"{str(error).rstrip('.')} (in file {shown!r}).") from None


def read_matrix_file(path: str | Path, name: str = "X", shown: str | None = None, echo: bool = True) -> Matrix:
    """Read a ``.txt``/``.csv``/``.tsv``/``.npy`` matrix file.

    Parameters
    ----------
    path : str or Path
        The file.
    name : str
        What the matrix is called in error messages. Defaults to ``"X"``.
    shown : str, optional
        How the file is named in error messages (the path as the user wrote it).
    echo : bool
        When False, parse errors give the row and column but never quote the
        file (answer files a grader runs: see ``docs/checking.md``). Defaults to True.

    Raises
    ------
    ConvCalcError
        One line naming the file: missing, unreadable, a folder, a name too long,
        over :data:`MAX_FILE_BYTES` or :data:`MAX_CELLS`, binary (NUL bytes), not
        UTF-8, a damaged/pickled/1-D/3-D ``.npy``, or not a matrix of numbers.
        ``np.load`` always runs with ``allow_pickle=False``, after the header's
        shape and dtype are checked.
    """
    shown = _short_name(str(path) if shown is None else shown)
    data = read_file_bytes(path, name, shown)
    if str(path).lower().endswith(".npy"):
        return _from_npy(data, name, shown)
    text = text_of(data, shown, f"matrix {name}")
    _count_cells(text, name, shown)
    return _quiet_parse(text, name, shown, matrix_from_text) if not echo else matrix_from_text(text, name)


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
