"""Datasets and transforms for the trainer; never touches the network.

``load_dataset(name)`` returns a :class:`Dataset` of float32 ``(N, C, H, W)`` images in
``[0, 1]`` and int64 labels: ``"mnist5k"`` ships inside convcalc; ``"fashion-mnist"``,
``"mnist"`` and ``"cifar10"`` are read from where users already keep them (see
:mod:`convcalc.data.loaders`). This package imports NumPy; ``convcalc`` itself does not
import it.
"""

from __future__ import annotations

from convcalc.data.loaders import DATASETS, Dataset, load_dataset
from convcalc.data.readers import read_cifar_batch, read_idx, read_keras_npz
from convcalc.data.transforms import (
    half_negated,
    iterate_minibatches,
    negate,
    normalize,
    one_hot,
    pad_to,
    scale,
    stratified_split,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "half_negated",
    "iterate_minibatches",
    "load_dataset",
    "negate",
    "normalize",
    "one_hot",
    "pad_to",
    "read_cifar_batch",
    "read_idx",
    "read_keras_npz",
    "scale",
    "stratified_split",
]
