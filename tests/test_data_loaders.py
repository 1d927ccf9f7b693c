"""load_dataset: search order, the "where I looked" message, conversion, on files written here.

Every test isolates the search: ``$HOME``, ``$KERAS_HOME`` and ``$CONVCALC_DATA`` point into
``tmp_path`` and the system folder list is replaced, so a dataset installed on the machine
never leaks into a test (except the one test that reads the real Fashion-MNIST).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.data import DATASETS, Dataset, load_dataset
from convcalc.data import loaders
from tests.test_data_readers import write_cifar_batch, write_idx

IDX_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty world: no Keras cache, no $CONVCALC_DATA, no system datasets."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home" / ".keras"))
    monkeypatch.delenv("CONVCALC_DATA", raising=False)
    monkeypatch.setattr(loaders, "SYSTEM_DATA_DIRS", (tmp_path / "usr-share-datasets",))
    return tmp_path


def small_set(n_train: int = 12, n_test: int = 5, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray], gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, key in zip(IDX_NAMES, ["x_train", "y_train", "x_test", "y_test"]):
        write_idx(folder / (name + (".gz" if gz else "")), arrays[key])
    return folder


def assert_matches(data: Dataset, arrays: dict[str, np.ndarray]) -> None:
    """float32 (N, 1, 28, 28) equal to uint8 / 255 (Keras's astype('float32') / 255), int64 labels."""
    for part in ("train", "test"):
        x, y = getattr(data, f"x_{part}"), getattr(data, f"y_{part}")
        assert x.dtype == np.float32 and x.shape == (len(arrays[f"x_{part}"]), 1, 28, 28)
        np.testing.assert_array_equal(x[:, 0], arrays[f"x_{part}"].astype("float32") / 255)
        assert y.dtype == np.int64 and y.tolist() == arrays[f"y_{part}"].tolist()


def test_mnist_from_the_keras_cache(env: Path) -> None:
    arrays = small_set()
    (env / "home/.keras/datasets").mkdir(parents=True)
    np.savez_compressed(env / "home/.keras/datasets/mnist.npz", **arrays)
    data = load_dataset("mnist")
    assert_matches(data, arrays)
    assert data.name == "mnist" and data.classes == tuple("0123456789")
    assert data.source == str(env / "home/.keras/datasets/mnist.npz")


def test_keras_home_defaults_to_dot_keras(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERAS_HOME")
    arrays = small_set()
    (env / "home/.keras/datasets").mkdir(parents=True)
    np.savez(env / "home/.keras/datasets/mnist.npz", **arrays)
    assert_matches(load_dataset("mnist"), arrays)


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_mnist_from_a_torchvision_root_given_as_data_dir(env: Path, gz: bool) -> None:
    arrays = small_set()
    write_idx_folder(env / "torch-root/MNIST/raw", arrays, gz=gz)
    data = load_dataset("MNIST", data_dir=env / "torch-root")
    assert_matches(data, arrays)
    assert data.source == str(env / "torch-root/MNIST/raw")


def test_data_dir_may_be_the_folder_of_idx_files_itself(env: Path) -> None:
    arrays = small_set()
    folder = write_idx_folder(env / "anywhere", arrays)
    assert_matches(load_dataset("fashion_mnist", data_dir=str(folder)), arrays)


def test_convcalc_data_comes_before_the_keras_cache_and_may_list_several_folders(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keras, first, second = small_set(seed=1), small_set(seed=2), small_set(seed=3)
    (env / "home/.keras/datasets").mkdir(parents=True)
    np.savez(env / "home/.keras/datasets/mnist.npz", **keras)
    write_idx_folder(env / "b/mnist", first)
    write_idx_folder(env / "c/mnist", second)
    monkeypatch.setenv("CONVCALC_DATA", f"{env / 'a'}:{env / 'b'}:{env / 'c'}")
    assert_matches(load_dataset("mnist"), first)
    monkeypatch.setenv("CONVCALC_DATA", str(env / "a"))
    assert_matches(load_dataset("mnist"), keras)


def test_system_folders_come_last(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    debian, keras = small_set(seed=4), small_set(seed=5)
    write_idx_folder(env / "usr-share-datasets/fashion-mnist", debian)
    assert_matches(load_dataset("fmnist"), debian)
    write_idx_folder(env / "home/.keras/datasets/fashion-mnist", keras)
    data = load_dataset("fashion-mnist")
    assert_matches(data, keras)
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"


def test_an_explicit_data_dir_is_the_only_place_searched(env: Path) -> None:
    (env / "home/.keras/datasets").mkdir(parents=True)
    np.savez(env / "home/.keras/datasets/mnist.npz", **small_set())
    (env / "empty").mkdir()
    with pytest.raises(ConvCalcError) as error:
        load_dataset("mnist", data_dir=env / "empty")
    message = str(error.value)
    assert str(env / "empty") in message and str(env / "home") not in message and "Keras cache" not in message


def test_missing_dataset_lists_every_place_looked_and_how_to_get_it(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVCALC_DATA", str(env / "mine"))
    write_idx_folder(env / "mine/mnist", small_set())
    (env / "mine/mnist/t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ConvCalcError) as error:
        load_dataset("mnist")
    message = str(error.value)
    expected = [
        f"{env}/mine/mnist.npz (Keras mnist.npz, $CONVCALC_DATA): no such file",
        f"{env}/mine/MNIST/raw (torchvision layout, $CONVCALC_DATA): no such folder",
        f"{env}/mine/mnist (IDX files, $CONVCALC_DATA): missing t10k-labels-idx1-ubyte[.gz]",
        f"{env}/home/.keras/datasets/mnist.npz (Keras mnist.npz, Keras cache): no such file",
        f"{env}/usr-share-datasets/mnist (IDX files, system datasets): no such folder",
    ]
    assert message.count("\n") == 1 and message.splitlines()[1].startswith("  looked in: ")
    for line in expected:
        assert line in message.splitlines()[1]
    positions = [message.index(line) for line in expected]
    assert positions == sorted(positions)  # in search order
    assert "never downloads" in message and "keras.datasets.mnist.load_data()" in message


def test_unset_convcalc_data_is_reported(env: Path) -> None:
    with pytest.raises(ConvCalcError, match=r"\$CONVCALC_DATA \(not set\)"):
        load_dataset("cifar10")


@pytest.mark.parametrize(
    ("name", "hint"),
    [("fashion-mnist", "apt install dataset-fashion-mnist"), ("cifar10", "cifar-10-python.tar.gz")],
)
def test_each_missing_dataset_says_how_to_get_it(env: Path, name: str, hint: str) -> None:
    with pytest.raises(ConvCalcError, match=f"Dataset {name!r} was not found") as error:
        load_dataset(name)
    assert hint in str(error.value)


def test_a_corrupt_file_is_an_error_not_a_reason_to_look_elsewhere(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVCALC_DATA", str(env / "mine"))
    folder = write_idx_folder(env / "mine/mnist", small_set())
    (env / "home/.keras/datasets").mkdir(parents=True)
    np.savez(env / "home/.keras/datasets/mnist.npz", **small_set())
    packed = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ConvCalcError, match="train-images-idx3-ubyte.gz' is truncated"):
        load_dataset("mnist")


def test_raw_files_are_preferred_to_gz_when_both_exist(env: Path) -> None:
    """torchvision keeps both; the raw one is read, so a stale .gz does not matter."""
    arrays = small_set()
    folder = write_idx_folder(env / "root/MNIST/raw", arrays, gz=False)
    for name in IDX_NAMES:
        (folder / (name + ".gz")).write_bytes(gzip.compress(b"stale"))
    assert_matches(load_dataset("mnist", data_dir=env / "root"), arrays)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"y_test": np.zeros(4, np.uint8)}, "t10k-labels-idx1-ubyte.gz' holds labels of shape \\(4,\\) but"),
        ({"x_train": np.zeros((12, 28), np.uint8)}, "expected uint8 images"),
        ({"y_train": np.full(12, 10, np.uint8)}, "labels from 10 to 10; expected 0..9"),
    ],
    ids=["label count", "image rank", "label range"],
)
def test_inconsistent_idx_sets_are_rejected(env: Path, change: dict[str, np.ndarray], match: str) -> None:
    write_idx_folder(env / "d", {**small_set(), **change})
    with pytest.raises(ConvCalcError, match=match):
        load_dataset("mnist", data_dir=env / "d")


def cifar_folder(folder: Path, per_batch: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(9)
    xs, ys = [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        x = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        y = rng.integers(0, 10, per_batch).tolist()
        write_cifar_batch(folder / name, x, y)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs[:5]), np.concatenate(ys[:5]), xs[5], np.array(ys[5])


@pytest.mark.parametrize(
    "layout", ["cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py"], ids=["keras2", "keras3"]
)
def test_cifar10_from_the_keras_cache(env: Path, layout: str) -> None:
    x_train, y_train, x_test, y_test = cifar_folder(env / "home/.keras/datasets" / layout)
    data = load_dataset("CIFAR-10")
    assert data.x_train.shape == (15, 3, 32, 32) and data.input_shape == (3, 32, 32)
    np.testing.assert_array_equal(data.x_train, x_train.astype("float32") / 255)
    np.testing.assert_array_equal(data.x_test, x_test.astype("float32") / 255)
    assert data.y_train.tolist() == y_train.tolist() and data.y_test.tolist() == y_test.tolist()
    assert data.classes[0] == "airplane" and data.n_classes == 10


def test_cifar10_missing_batch_is_listed(env: Path) -> None:
    cifar_folder(env / "root/cifar-10-batches-py")
    (env / "root/cifar-10-batches-py/data_batch_3").unlink()
    with pytest.raises(ConvCalcError, match="cifar-10-batches-py \\(CIFAR-10 python batches, data_dir\\): missing data_batch_3"):
        load_dataset("cifar10", data_dir=env / "root")


def test_cifar10_refuses_a_pickle_that_would_run_code(env: Path) -> None:
    from tests.test_data_readers import _Evil, _pickled

    cifar_folder(env / "root/cifar-10-batches-py")
    (env / "root/cifar-10-batches-py/test_batch").write_bytes(_pickled({b"data": _Evil(), b"labels": []}))
    with pytest.raises(ConvCalcError, match="test_batch' was not unpickled"):
        load_dataset("cifar10", data_dir=env / "root")


@pytest.mark.parametrize("name", ["imagenet", "", "mnist6k"])
def test_unknown_names(name: str) -> None:
    with pytest.raises(ConvCalcError, match="The 'data' parameter must be one of 'mnist5k', 'fashion-mnist'"):
        load_dataset(name)


def test_aliases_cover_every_canonical_name() -> None:
    assert set(loaders._ALIASES.values()) == set(DATASETS)


def test_dataset_repr_is_short() -> None:
    data = Dataset(np.zeros((2, 1, 4, 4), np.float32), np.zeros(2, np.int64), np.zeros((1, 1, 4, 4), np.float32),
                   np.zeros(1, np.int64), "toy", ("a", "b"), "here")  # fmt: skip
    assert repr(data) == "Dataset('toy', train=(2, 1, 4, 4), test=(1, 1, 4, 4), classes=2, source='here')"


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (FASHION / "t10k-labels-idx1-ubyte.gz").exists(), reason="Debian's dataset-fashion-mnist is not installed")
def test_the_real_fashion_mnist_from_debian(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """60,000 / 10,000, 6,000 / 1,000 per class (Xiao, Rasul & Vollgraf, 2017), checked against a plain gzip read."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("CONVCALC_DATA", raising=False)
    data = load_dataset("fashion-mnist")
    assert data.source == str(FASHION)
    assert data.x_train.shape == (60000, 1, 28, 28) and data.x_test.shape == (10000, 1, 28, 28)
    assert np.bincount(data.y_train).tolist() == [6000] * 10 and np.bincount(data.y_test).tolist() == [1000] * 10
    raw = np.frombuffer(gzip.decompress((FASHION / "t10k-images-idx3-ubyte.gz").read_bytes()), np.uint8, offset=16)
    np.testing.assert_array_equal(data.x_test.reshape(-1)[::997], raw[::997].astype("float32") / 255)
    labels = np.frombuffer(gzip.decompress((FASHION / "t10k-labels-idx1-ubyte.gz").read_bytes()), np.uint8, offset=8)
    assert data.y_test.tolist() == labels.tolist()
