"""Dataset files that declare huge sizes: refused from the declaration, before anything that size is
allocated (issue 17). Allocation is measured with tracemalloc, which sees NumPy's buffers."""

from __future__ import annotations

import gzip
import pickle
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from convcalc.data import read_cifar_batch, read_idx, read_keras_npz
from convcalc.errors import ConvCalcError

LIMIT = 50 * 2**20  # no test here may allocate more than 50 MB


def _refused(read, path: Path, match: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ConvCalcError, match=match) as error:
            read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(error.value)
    assert peak < LIMIT, f"allocated {peak:,} bytes before refusing"


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_an_idx_header_declaring_15_gb_in_a_small_file(tmp_path: Path, gz: bool) -> None:
    content = b"\x00\x00\x08\x03" + struct.pack(">III", 20_000_000, 28, 28) + bytes(1000)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(content) if gz else content)
    _refused(read_idx, path, "declares|truncated: its header promises 20000000x28x28")


def test_a_cifar_pickle_declaring_a_huge_bytes_object(tmp_path: Path) -> None:
    path = tmp_path / "data_batch_1"
    path.write_bytes(b"\x80\x04\x8e" + (2**60).to_bytes(8, "little") + b"abc")  # BINBYTES8 of 2**60 bytes
    _refused(read_cifar_batch, path, "truncated")


def test_a_cifar_pickle_declaring_a_huge_array(tmp_path: Path) -> None:
    small = np.zeros((2, 3072), np.uint8)
    raw = pickle.dumps({b"data": small, b"labels": [0, 1]}, protocol=2)
    shape = b"K\x02M\x00\x0c\x86"  # BININT1 2, BININT2 3072, TUPLE2: the array's shape in __setstate__
    assert raw.count(shape) == 1
    forged = raw.replace(shape, b"J" + struct.pack("<i", 5_000_000) + b"M\x00\x0c\x86")  # 15 GB declared
    path = tmp_path / "data_batch_2"
    path.write_bytes(forged)
    tracemalloc.start()
    try:
        with pytest.raises(ConvCalcError) as error:
            read_cifar_batch(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(error.value) and peak < LIMIT


def test_a_cifar_file_far_larger_than_a_batch(tmp_path: Path) -> None:
    path = tmp_path / "data_batch_3"
    with open(path, "wb") as f:
        f.truncate(300 * 10**6)  # sparse: no disk used
    _refused(read_cifar_batch, path, "CIFAR-10 batch")


def test_a_keras_npz_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open("x_train.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"shape": (10 * len(chunk),), "fortran_order": False, "descr": "|u1"})
            for _ in range(10):
                member.write(chunk)
    _refused(read_keras_npz, path, "zip bomb")
