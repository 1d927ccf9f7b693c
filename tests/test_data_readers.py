"""The file readers of convcalc.data on small files written here, valid, corrupt and truncated.

The writers below are independent of the readers: they follow the published layouts
(IDX header bytes with ``struct``, ``np.savez`` for Keras, ``pickle.dump`` of the CIFAR dict)
so that a round trip checks the reader against the format, not against itself.
"""

from __future__ import annotations

import gzip
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.data import read_cifar_batch, read_idx, read_keras_npz

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: 0, 0, type code, ndim, big-endian uint32 dims, big-endian data."""
    code = IDX_CODES[array.dtype.type]
    head = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, *, gz: bool | None = None) -> Path:
    data = idx_bytes(array)
    gz = path.name.endswith(".gz") if gz is None else gz
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def write_cifar_batch(path: Path, x: np.ndarray, y: list[int], protocol: int = 2) -> Path:
    """A CIFAR-10 python batch: {b'data': uint8 (N, 3072), b'labels': [int], ...}."""
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": y, b"data": x.reshape(len(x), -1), b"filenames": []}
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=protocol)
    return path


RNG = np.random.default_rng(1234)
IDX_ARRAYS = {
    "uint8 images": RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8),
    "uint8 labels": RNG.integers(0, 10, 7, dtype=np.uint8),
    "int8": RNG.integers(-128, 128, (3, 4), dtype=np.int8),
    "int16": RNG.integers(-30000, 30000, (2, 3, 4), dtype=np.int16),
    "int32": RNG.integers(-(2**31), 2**31 - 1, (6,), dtype=np.int32),
    "float32": RNG.standard_normal((4, 2)).astype(np.float32),
    "float64": RNG.standard_normal((3, 1, 2)),
    "empty": np.zeros((0, 28, 28), dtype=np.uint8),
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("array", IDX_ARRAYS.values(), ids=IDX_ARRAYS.keys())
def test_read_idx_round_trips_every_type(tmp_path: Path, array: np.ndarray, gz: bool) -> None:
    out = read_idx(write_idx(tmp_path / "f-idx", array, gz=gz))
    assert out.dtype == array.dtype and out.dtype.isnative
    assert out.shape == array.shape
    np.testing.assert_array_equal(out, array)
    out[...] = 0  # writable


def test_read_idx_detects_gzip_by_content_not_name(tmp_path: Path) -> None:
    array = IDX_ARRAYS["uint8 labels"]
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "labels.gz", array, gz=False)), array)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "labels", array, gz=True)), array)


def test_read_idx_matches_the_published_mnist_header_layout(tmp_path: Path) -> None:
    """The first bytes of train-labels-idx1-ubyte are 00 00 08 01 00 00 ea 60 (60,000 labels)."""
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(bytes.fromhex("00000801 0000ea60") + bytes(range(10)) * 6000)
    labels = read_idx(path)
    assert labels.shape == (60000,) and labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


GOOD = idx_bytes(IDX_ARRAYS["uint8 images"])
BAD_IDX = [
    ("empty file", b"", "not an IDX file"),
    ("bad magic", b"\x01\x02" + GOOD[2:], "not an IDX file"),
    ("numpy file", b"\x93NUMPY" + GOOD, "not an IDX file"),
    ("unknown type", GOOD[:2] + b"\x07" + GOOD[3:], "unknown IDX type byte 0x07"),
    ("zero dims", b"\x00\x00\x08\x00", "0 dimensions"),
    ("cut in header", GOOD[:10], "truncated: its IDX header"),
    ("cut in data", GOOD[:-1], "truncated: its header promises 5x28x28 uint8 values"),
    ("only header", GOOD[:16], "only 0 bytes follow"),
    ("trailing bytes", GOOD + b"\x00", "unexpected bytes after"),
    ("absurd dims", b"\x00\x00\x08\x03" + struct.pack(">III", 2**31, 2**31, 28), "corrupt IDX header"),
]


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(("content", "match"), [(c, m) for _, c, m in BAD_IDX], ids=[n for n, _, _ in BAD_IDX])
def test_read_idx_rejects_corrupt_files_naming_them(tmp_path: Path, content: bytes, match: str, gz: bool) -> None:
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(gzip.compress(content, mtime=0) if gz else content)
    with pytest.raises(ConvCalcError, match=match) as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_rejects_a_truncated_or_damaged_gzip_stream(tmp_path: Path) -> None:
    packed = gzip.compress(GOOD, mtime=0)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ConvCalcError, match="truncated|cannot be read") as error:
        read_idx(cut)
    assert "cut.gz" in str(error.value)
    damaged = tmp_path / "damaged.gz"
    damaged.write_bytes(packed[:20] + bytes(b ^ 0xFF for b in packed[20:60]) + packed[60:])
    with pytest.raises(ConvCalcError, match="damaged.gz"):
        read_idx(damaged)


def test_read_idx_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConvCalcError, match="nope-idx1-ubyte.*cannot be read"):
        read_idx(tmp_path / "nope-idx1-ubyte")


# --- Keras .npz ---------------------------------------------------------------------------


def keras_arrays(n_train: int = 6, n_test: int = 4, shape: tuple[int, ...] = (28, 28)) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "x_train": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def test_read_keras_npz(tmp_path: Path) -> None:
    arrays = keras_arrays()
    np.savez(tmp_path / "mnist.npz", **arrays)
    x_train, y_train, x_test, y_test = read_keras_npz(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    assert y_train.dtype == y_test.dtype == np.int64
    assert y_train.tolist() == arrays["y_train"].tolist() and y_test.tolist() == arrays["y_test"].tolist()


def test_read_keras_npz_flattens_column_labels(tmp_path: Path) -> None:
    """Keras stores CIFAR labels as (N, 1)."""
    arrays = keras_arrays(shape=(32, 32, 3))
    arrays["y_train"] = arrays["y_train"][:, None]
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    assert read_keras_npz(tmp_path / "c.npz")[1].shape == (6,)


def _npz_bytes(tmp_path: Path, **changes: np.ndarray | None) -> bytes:
    arrays = {k: v for k, v in {**keras_arrays(), **changes}.items() if v is not None}
    np.savez(tmp_path / "tmp.npz", **arrays)
    return (tmp_path / "tmp.npz").read_bytes()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda t: _npz_bytes(t)[:-100], "not a readable NumPy .npz"),
        (lambda t: _npz_bytes(t)[:200], "not a readable NumPy .npz"),
        (lambda t: b"this is not a zip file", "not a readable NumPy .npz"),
        (lambda t: b"", "not a readable NumPy .npz"),
        (lambda t: _npz_bytes(t, y_test=None), r"lacks the arrays \['y_test'\]"),
        (lambda t: _npz_bytes(t, y_test=np.zeros(3, np.uint8)), "4 images in 'x_test' but 3 labels"),
        (lambda t: _npz_bytes(t, x_train=np.zeros((6, 28, 28), np.float32)), "expected uint8 images"),
        (lambda t: _npz_bytes(t, y_train=np.zeros(6, np.float32)), "expected integer labels"),
    ],
    ids=["truncated end", "truncated start", "not a zip", "empty", "missing key", "count mismatch", "float images", "float labels"],
)
def test_read_keras_npz_rejects_bad_files(tmp_path: Path, make, match: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mnist.npz"
    path.write_bytes(make(tmp_path))
    with pytest.raises(ConvCalcError, match=match) as error:
        read_keras_npz(path)
    assert str(path) in str(error.value)


def test_read_keras_npz_rejects_a_plain_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(ConvCalcError, match="single .npy array"):
        read_keras_npz(tmp_path / "x.npy")


# --- CIFAR-10 pickles ---------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_read_cifar_batch(tmp_path: Path, protocol: int) -> None:
    """Row layout: 1024 red, then 1024 green, then 1024 blue values, each plane row-major."""
    x = np.random.default_rng(3).integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    path = write_cifar_batch(tmp_path / "data_batch_1", x, [3, 1, 4, 1], protocol)
    images, labels = read_cifar_batch(path)
    np.testing.assert_array_equal(images, x)
    assert images[2, 1, 0, 5] == x.reshape(4, 3072)[2, 1024 + 5]
    assert labels.dtype == np.int64 and labels.tolist() == [3, 1, 4, 1]


class _Evil:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("echo pwned > /dev/null",))


def _pickled(obj: object) -> bytes:
    return pickle.dumps(obj, protocol=2)


BAD_CIFAR = [
    ("code execution", lambda x: _pickled({b"data": _Evil(), b"labels": [0]}), "was not unpickled: it asks for the global '(posix|os).system'"),
    ("truncated", lambda x: _pickled({b"data": x, b"labels": [0, 1]})[:-40], "truncated|corrupt"),
    ("empty", lambda x: b"", "truncated"),
    ("garbage", lambda x: b"\x80\x02\xfe this is not a pickle", "corrupt"),
    ("a list", lambda x: _pickled([x]), "holds a list"),
    ("no labels", lambda x: _pickled({b"data": x}), "lacks b'data'"),
    ("wrong width", lambda x: _pickled({b"data": x[:, :100], b"labels": [0, 1]}), r"shape \(2, 100\)"),
    ("float data", lambda x: _pickled({b"data": x.astype(np.float32), b"labels": [0, 1]}), "dtype float32"),
    ("label count", lambda x: _pickled({b"data": x, b"labels": [0]}), "2 images but labels of shape"),
    ("text labels", lambda x: _pickled({b"data": x, b"labels": ["cat", "dog"]}), "not integers"),
]


@pytest.mark.parametrize(("make", "match"), [(m, r) for _, m, r in BAD_CIFAR], ids=[n for n, _, _ in BAD_CIFAR])
def test_read_cifar_batch_rejects_bad_files(tmp_path: Path, make, match: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "test_batch"
    path.write_bytes(make(np.zeros((2, 3072), np.uint8)))
    with pytest.raises(ConvCalcError, match=match) as error:
        read_cifar_batch(path)
    assert str(path) in str(error.value)


def test_read_cifar_batch_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConvCalcError, match="test_batch"):
        read_cifar_batch(tmp_path / "test_batch")
