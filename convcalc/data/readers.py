"""Readers for the file formats image datasets come in: IDX, Keras ``.npz``, CIFAR-10 pickles.

Each reader returns the arrays as stored (uint8 pixels, integer labels) and turns every
problem with a file (missing, unreadable, corrupt, truncated, unexpected layout) into a
:class:`~convcalc.ConvCalcError` that names the file and says what is wrong.

Formats:

- IDX (LeCun, Cortes & Burges, "THE MNIST DATABASE of handwritten digits", file format
  section): two zero bytes, a type byte (``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
  ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64), a byte with the number of dimensions,
  one big-endian uint32 per dimension, then the data, big-endian, row-major. Files may be
  gzip-compressed (recognised by their content, not their name).
- Keras ``mnist.npz``: a NumPy archive with ``x_train``, ``y_train``, ``x_test``, ``y_test``.
- CIFAR-10 "python version" batches (Krizhevsky, "Learning Multiple Layers of Features from
  Tiny Images", 2009): pickled dicts with ``b"data"`` (uint8, ``(10000, 3072)``, each row the
  red, green and blue 32x32 planes) and ``b"labels"`` (a list of ints). Unpickling can run
  code, so :func:`read_cifar_batch` uses an unpickler that only builds NumPy arrays and refuses
  anything else.
"""

from __future__ import annotations

import gzip
import importlib
import io
import os
import pickle
import stat
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from convcalc.errors import ConvCalcError

__all__ = ["read_cifar_batch", "read_idx", "read_keras_npz"]

#: IDX type byte -> NumPy dtype of the stored (big-endian) data.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
#: A header that claims more than this many data bytes is corrupt, not a dataset.
_MAX_IDX_BYTES = 1 << 34
_READ_ERRORS = (OSError, EOFError, zlib.error)


def _bad(path: str | os.PathLike[str], problem: str) -> ConvCalcError:
    return ConvCalcError(f"The file '{path}' {problem}.")


def _open(path: Path) -> IO[bytes]:
    """Open ``path`` for reading, through gzip when it starts with the gzip magic bytes."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _read_into(stream: IO[bytes], buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream``; return how many bytes arrived (fewer at end of file)."""
    done = 0
    while done < len(buffer):
        count = stream.readinto(buffer[done:])  # type: ignore[attr-defined]
        if not count:
            break
        done += count
    return done


#: The most a deflate stream can expand (RFC 1951: 258 bytes per 2-bit code, about 1032 : 1).
_GZIP_MAX_RATIO = 1032


def _room(path: Path, stream: IO[bytes], header: int) -> int:
    """The most data bytes ``path`` can hold after its header: the rest of a raw file, or what its
    compressed size can inflate to at deflate's best ratio (so a header's sizes are checked before
    anything is allocated)."""
    size = path.stat().st_size
    if isinstance(stream, gzip.GzipFile):
        return size * _GZIP_MAX_RATIO
    return max(size - header, 0)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (raw or gzip-compressed) into an array.

    Parameters
    ----------
    path : str or os.PathLike
        An IDX file such as ``train-images-idx3-ubyte`` or ``t10k-labels-idx1-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        A writable array in native byte order, shaped as the header says
        (``(N, 28, 28)`` uint8 for MNIST images, ``(N,)`` uint8 for labels).

    Raises
    ------
    ConvCalcError
        If the file is missing or unreadable, its magic number or type byte is not IDX,
        it is truncated (fewer data bytes than the header promises), or it has bytes
        after the data.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> name = os.path.join(folder, "labels-idx1-ubyte")
    >>> with open(name, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(name)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    try:
        with _open(path) as stream:
            head = stream.read(4)
            if len(head) < 4 or head[:2] != b"\x00\x00":
                raise _bad(path, f"is not an IDX file: it starts with {head.hex() or 'nothing'}, not 0000tt0d")
            dtype = _IDX_DTYPES.get(head[2])
            if dtype is None:
                raise _bad(path, f"has an unknown IDX type byte 0x{head[2]:02x} (valid: 08, 09, 0b, 0c, 0d, 0e)")
            ndim = head[3]
            if ndim == 0:
                raise _bad(path, "has an IDX header with 0 dimensions")
            raw_dims = stream.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise _bad(path, f"is truncated: its IDX header needs {ndim} dimension sizes")
            shape = tuple(int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
            expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if expected > _MAX_IDX_BYTES:
                raise _bad(path, f"has a corrupt IDX header: shape {shape} would need {expected:,} bytes")
            room = _room(path, stream, 4 + 4 * ndim)
            if expected > room and not isinstance(stream, gzip.GzipFile):  # checked before allocating
                raise _bad(
                    path,
                    f"is truncated: its header promises {'x'.join(map(str, shape))} {dtype.name} values "
                    f"({expected:,} bytes) but only {room:,} bytes follow",
                )
            if expected > room:
                raise _bad(path, f"declares {'x'.join(map(str, shape))} {dtype.name} values ({expected:,} bytes) "
                                 f"but its {room // _GZIP_MAX_RATIO:,} compressed bytes can inflate to at most "
                                 f"{room:,} (checked before allocating)")
            data = np.empty(shape, dtype=dtype)
            got = _read_into(stream, memoryview(data.reshape(-1).view(np.uint8)))
            if got < expected:
                raise _bad(
                    path,
                    f"is truncated: its header promises {'x'.join(map(str, shape))} {dtype.name} values "
                    f"({expected:,} bytes) but only {got:,} bytes follow",
                )
            if stream.read(1):
                raise _bad(path, f"has unexpected bytes after the {expected:,} data bytes its header promises")
    except ConvCalcError:
        raise
    except EOFError:
        raise _bad(path, "is truncated: the compressed stream ends early") from None
    except _READ_ERRORS as error:
        raise _bad(path, f"cannot be read ({error})") from None
    if dtype.byteorder == ">":
        return data.astype(dtype.newbyteorder("="))
    return data


def _labels(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    """Labels as a 1-d int64 array; Keras stores CIFAR labels as ``(N, 1)``."""
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise _bad(path, f"has {key!r} of shape {array.shape} and dtype {array.dtype}; expected integer labels (N,)")
    return array.astype(np.int64)


def read_keras_npz(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read a Keras dataset archive such as ``~/.keras/datasets/mnist.npz``.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` with the arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``
        (no pickled objects; ``allow_pickle`` stays off).

    Returns
    -------
    tuple of numpy.ndarray
        ``(x_train, y_train, x_test, y_test)``: images as stored (uint8 ``(N, H, W)`` or
        ``(N, H, W, C)``), labels as int64 ``(N,)``.

    Raises
    ------
    ConvCalcError
        If the file is missing, not a valid archive, truncated, lacks one of the four
        arrays, or its images and labels do not pair up.
    """
    path = Path(path)
    keys = ("x_train", "y_train", "x_test", "y_test")
    from convcalc.data.npzfile import read_npz

    if path.is_dir():
        raise _bad(path, "is a folder, not a NumPy .npz archive")
    if not path.exists():
        raise _bad(path, "cannot be read (it does not exist)")
    stored = read_npz(path, what="NumPy .npz archive (a Keras dataset)")  # sizes checked before inflating
    missing = [key for key in keys if key not in stored]
    if missing:
        raise _bad(path, f"lacks the arrays {missing}; a Keras dataset archive holds {list(keys)}")
    arrays = {key: stored[key] for key in keys}
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], _labels(arrays[f"y_{part}"], path, f"y_{part}")
        if x.ndim not in (3, 4) or x.dtype != np.uint8:
            raise _bad(path, f"has 'x_{part}' of shape {x.shape} and dtype {x.dtype}; expected uint8 images (N, H, W)")
        if len(x) != len(y):
            raise _bad(path, f"has {len(x)} images in 'x_{part}' but {len(y)} labels in 'y_{part}'")
        arrays[f"y_{part}"] = y
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


#: The only globals a CIFAR-10 batch pickle needs: NumPy's array rebuilders, and
#: ``_codecs.encode``, which protocol-2 pickles written by Python 3 use for bytes.
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


#: A CIFAR-10 python batch is 31,035,704 bytes (data_batch_*) or a little less; anything 4x that is not one.
_MAX_CIFAR_BYTES = 128 * 10**6


class _ForbiddenGlobal(pickle.UnpicklingError):
    """A pickle asked for something other than a NumPy array."""


class _ArrayUnpickler(pickle._Unpickler):  # type: ignore[name-defined,misc]
    """An unpickler that builds NumPy arrays, lists, dicts and scalars, and nothing else.

    This is the "restricting globals" recipe from the :mod:`pickle` documentation, on the
    pure-Python unpickler: the C one allocates the size a ``BINBYTES8`` opcode declares before
    reading it (2**60 bytes for a hostile file), the Python one reads what the file holds and
    stops at its end.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SAFE_GLOBALS:
            raise _ForbiddenGlobal(f"{module}.{name}")
        if module.startswith("numpy.core."):  # pickles written by NumPy 1.x
            try:
                return getattr(importlib.import_module("numpy._core." + module[11:]), name)
            except ImportError:  # NumPy 1.x itself
                pass
        return getattr(importlib.import_module(module), name)


def read_cifar_batch(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch (``data_batch_1`` ... ``data_batch_5``, ``test_batch``).

    Only NumPy arrays are rebuilt from the pickle; any other global it refers to is refused
    (pickles can run code). Still, read batches only from your own data folders.

    Parameters
    ----------
    path : str or os.PathLike
        The batch file.

    Returns
    -------
    x : numpy.ndarray
        uint8 images ``(N, 3, 32, 32)`` (channels first, the order the file stores them in).
    y : numpy.ndarray
        int64 labels ``(N,)``.

    Raises
    ------
    ConvCalcError
        If the file is missing, truncated, not a CIFAR-10 batch, or refers to anything
        but NumPy arrays.
    """
    path = Path(path)
    try:
        info = path.stat()
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):
            raise _bad(path, "is not a regular file (a folder, a device or a pipe); expected a CIFAR-10 batch")
        if size > _MAX_CIFAR_BYTES:
            raise _bad(path, f"is {size:,} bytes; a CIFAR-10 batch (10,000 images) is about 31 MB, so it is not "
                             "one (refused before reading)")
        with open(path, "rb") as stream:
            raw = stream.read()  # at most the size checked above
        # Unpickled from memory: a pickle that declares a huge object can only read the bytes there are,
        # where reading from the file would allocate the declared size first.
        batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except ConvCalcError:
        raise
    except _ForbiddenGlobal as error:
        raise _bad(
            path,
            f"was not unpickled: it asks for the global '{error}', but a CIFAR-10 batch holds only NumPy arrays "
            "and lists (unpickling can run code, so convcalc refuses anything else)",
        ) from None
    except pickle.UnpicklingError as error:
        problem = "is truncated" if "truncated" in str(error) else f"is corrupt ({error})"
        raise _bad(path, f"{problem}; expected a pickled CIFAR-10 batch") from None
    except (ValueError, TypeError, AttributeError, ImportError, IndexError, KeyError, MemoryError,
            OverflowError, RecursionError, *_READ_ERRORS) as error:
        problem = "is truncated" if isinstance(error, EOFError) else f"is corrupt ({type(error).__name__}: {error})"
        raise _bad(path, f"{problem}; expected a pickled CIFAR-10 batch") from None
    if not isinstance(batch, dict):
        raise _bad(path, f"holds a {type(batch).__name__}, not the dict of a CIFAR-10 batch")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if not isinstance(data, np.ndarray) or labels is None:
        raise _bad(path, "lacks b'data' (a uint8 array) or b'labels'; it is not a CIFAR-10 batch")
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise _bad(path, f"has data of shape {data.shape} and dtype {data.dtype}; expected uint8 (N, 3072)")
    try:
        y = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise _bad(path, "has labels that are not integers") from None
    if y.shape != (len(data),):
        raise _bad(path, f"has {len(data)} images but labels of shape {y.shape}")
    return data.reshape(len(data), 3, 32, 32), y
