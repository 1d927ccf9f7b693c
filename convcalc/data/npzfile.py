"""Read a NumPy ``.npz`` archive that may be damaged or hostile, checking every declared size first.

An ``.npz`` is a zip file of ``.npy`` members. Before anything is inflated or allocated,
:func:`read_npz` checks:

- that the file is a zip at all (a ``.npy`` renamed ``.npz``, a truncated or cut file and
  anything else give one message naming the file);
- the uncompressed sizes the zip directory declares: their sum may be at most
  :data:`MAX_EXPANSION` times the file's size (``np.savez`` stores members uncompressed, so a
  checkpoint's ratio is about 1; Keras's compressed ``mnist.npz`` is about 6; a zip bomb of
  5 MB inflating to 3 GB is 600) and at most the memory available;
- every member's ``.npy`` header: its shape times its item size must be the data its
  declared size holds (a header that declares 10^12 values in a few bytes is refused
  before ``np.lib.format`` allocates them), and its dtype must not be an object dtype
  (``allow_pickle`` stays off).

Every problem is a :class:`~convcalc.ConvCalcError` ``"The file 'x.npz' ..."``.

Examples
--------
>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "a.npz")
>>> np.savez(path, w=np.arange(3))
>>> read_npz(path)["w"]
array([0, 1, 2])
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from convcalc.errors import ConvCalcError

__all__ = ["read_npz", "available_memory", "MAX_EXPANSION"]

#: Largest allowed ratio of the declared uncompressed size to the file's size.
MAX_EXPANSION = 200
_SLACK = 1 << 20  # small archives may expand more (headers, zeros): 1 MB of allowance


def _bad(path: str | os.PathLike[str], problem: str) -> ConvCalcError:
    return ConvCalcError(f"The file '{path}' {problem}.")


def available_memory(meminfo: str = "/proc/meminfo") -> int | None:
    """Bytes of memory available to a new allocation: ``MemAvailable`` of ``meminfo``, else
    ``os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")``, else None (unknown)."""
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    parts = line.split()
                    return int(parts[1]) * (1024 if parts[2:3] == ["kB"] else 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    """The member's .npy header must describe exactly the data its declared size holds."""
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except (ValueError, EOFError, OSError, zipfile.BadZipFile, SyntaxError) as error:
            raise _bad(path, f"has a member '{info.filename}' that is not a NumPy array ({error})") from None
        header = member.tell() if hasattr(member, "tell") else 0
    if dtype.hasobject:
        raise _bad(path, f"has a member '{info.filename}' of Python objects; convcalc reads no pickles")
    count = 1
    for size in shape:
        count *= int(size)
    declared = count * dtype.itemsize
    if declared > info.file_size - header:
        raise _bad(path, f"is damaged: its member '{info.filename}' declares shape {tuple(shape)} of {dtype} "
                         f"({declared:,} bytes) but holds {max(info.file_size - header, 0):,} bytes")


def read_npz(path: str | os.PathLike[str], *, what: str = "NumPy archive (.npz)") -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, after the checks of the module's docstring.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        What the file should be, for messages (``"convcalc model"``...).

    Raises
    ------
    ConvCalcError
        Missing, unreadable, not a zip, truncated, a zip bomb, a member whose header lies.
    """
    if "\x00" in str(path):
        raise ConvCalcError(f"{str(path)!r} is not a readable {what}: a file name cannot contain a NUL character.")
    path = Path(path)
    try:
        status = path.stat()
        size = status.st_size
        if stat.S_ISDIR(status.st_mode):
            raise _bad(path, f"is a folder, not a {what}")
        if not stat.S_ISREG(status.st_mode):
            raise _bad(path, f"is not a regular file (a device or a pipe), not a {what}")
        with open(path, "rb") as f:
            head = f.read(6)
    except FileNotFoundError:
        raise _bad(path, "does not exist") from None
    except PermissionError:
        raise _bad(path, "cannot be read (permission denied)") from None
    except OSError as error:
        raise _bad(path, f"cannot be read ({error.strerror or error})") from None
    if head == b"\x93NUMPY":
        raise _bad(path, f"holds a single .npy array, not a {what} (an .npy file renamed .npz?)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            limit = MAX_EXPANSION * size + _SLACK
            if declared > limit:
                raise _bad(path, f"declares {declared:,} bytes of contents in {size:,} bytes (more than "
                                 f"{MAX_EXPANSION}x: a zip bomb or a damaged archive); refused before inflating")
            available = available_memory()
            if available is not None and declared > available:
                raise _bad(path, f"declares {declared:,} bytes of contents, more than the {available:,} bytes of "
                                 "memory available")
            for info in infos:
                if info.filename.endswith(".npy"):
                    _check_member(archive, info, path)
    except ConvCalcError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as error:
        raise _bad(path, f"is not a readable {what}: truncated or not a zip archive ({error})") from None
    except OSError as error:
        raise _bad(path, f"cannot be read ({error.strerror or error})") from None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError, NotImplementedError) as error:
        raise _bad(path, f"is not a readable {what}: truncated or corrupt ({error})") from None
    except OSError as error:
        raise _bad(path, f"cannot be read ({error.strerror or error})") from None
