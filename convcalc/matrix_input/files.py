"""Matrix files (``.txt``, ``.csv``, ``.tsv``, ``.npy``) and other input files, read safely.

A file's size is checked with ``stat`` before it is read (:data:`MAX_FILE_BYTES`),
its entries are counted before they are parsed (:data:`MAX_CELLS`), text must be
UTF-8 without NUL bytes, and a ``.npy`` header (shape, dtype) is checked before
``np.load`` runs with ``allow_pickle=False``. Every error is one line naming the
file as the user wrote it; with ``echo=False`` its contents are never quoted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.exact import Matrix
from convcalc.matrix_input.text import matrix_from_text, matrix_from_value

__all__ = ["FILE_SUFFIXES", "MAX_FILE_BYTES", "MAX_CELLS", "read_file_bytes", "text_of", "read_matrix_file"]

FILE_SUFFIXES = (".txt", ".csv", ".tsv", ".npy")

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
