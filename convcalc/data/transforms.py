"""Array transforms for image datasets: scaling, padding, negation, one-hot, splits, batches.

Images are ``(N, C, H, W)`` (or any shape whose last two axes are ``H, W``); labels are
integer ``(N,)``. Nothing here changes its input in place. Randomness comes from a seed or a
:class:`numpy.random.Generator` the caller passes, so every result is reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from convcalc.errors import ConvCalcError, invalid

__all__ = [
    "half_negated",
    "iterate_minibatches",
    "negate",
    "normalize",
    "one_hot",
    "pad_to",
    "scale",
    "stratified_split",
]

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise invalid("seed", seed, "an int >= 0, a numpy.random.Generator or None")


def scale(x: np.ndarray, max_value: float = 255.0) -> np.ndarray:
    """Scale pixels to float32 in ``[0, 1]``: ``x / max_value``.

    One cast plus one in-place division (a mixed uint8/float32 ufunc is about 10x slower).
    The result equals Keras's ``x.astype("float32") / 255`` and torchvision's ``ToTensor``.

    Parameters
    ----------
    x : numpy.ndarray
        Pixels, usually uint8.
    max_value : float, optional
        The value that maps to 1. Defaults to 255.

    Examples
    --------
    >>> scale(np.array([0, 51, 255], dtype=np.uint8))
    array([0. , 0.2, 1. ], dtype=float32)
    """
    if not max_value > 0:
        raise invalid("max_value", max_value, "a number > 0")
    out = np.asarray(x).astype(np.float32)
    out /= np.float32(max_value)
    return out


def normalize(x: np.ndarray, mean: float | tuple[float, ...], std: float | tuple[float, ...]) -> np.ndarray:
    """Standardise per channel: ``(x - mean[c]) / std[c]`` over ``(N, C, H, W)``, as float32.

    Examples
    --------
    >>> normalize(np.ones((1, 2, 1, 1), np.float32), (0.5, 1.0), (0.5, 2.0)).ravel()
    array([1., 0.], dtype=float32)
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise invalid("x", f"an array of shape {x.shape}", "images shaped (N, C, H, W)")
    channels = x.shape[1]
    m = np.broadcast_to(np.asarray(mean, dtype=np.float32).ravel(), (channels,)) if np.size(mean) in (1, channels) else None
    s = np.broadcast_to(np.asarray(std, dtype=np.float32).ravel(), (channels,)) if np.size(std) in (1, channels) else None
    if m is None:
        raise invalid("mean", mean, f"one number or {channels} (one per channel)")
    if s is None or not np.all(s > 0):
        raise invalid("std", std, f"one number > 0 or {channels} of them (one per channel)")
    return (x - m[:, None, None]) / s[:, None, None]


def pad_to(x: np.ndarray, size: int | tuple[int, int], value: float = 0) -> np.ndarray:
    """Pad the last two axes with ``value`` up to ``size``, equally on both sides.

    ``pad_to(x, 32)`` turns 28x28 MNIST into LeNet-5's 32x32 input (2 pixels each side),
    as LeCun et al. (1998) did. An odd difference puts the extra pixel at the bottom/right.

    Parameters
    ----------
    x : numpy.ndarray
        Images ``(..., H, W)``.
    size : int or (int, int)
        The target ``H`` and ``W`` (one int for both).
    value : float, optional
        The fill value. Defaults to 0 (black, for white-on-black digits).

    Raises
    ------
    ConvCalcError
        If the target is smaller than the images.

    Examples
    --------
    >>> pad_to(np.ones((1, 1, 28, 28), np.float32), 32).shape
    (1, 1, 32, 32)
    >>> pad_to(np.ones((1, 2), np.uint8), (1, 4)).tolist()
    [[0, 1, 1, 0]]
    """
    x = np.asarray(x)
    target = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if x.ndim < 2 or len(target) != 2:
        raise invalid("size", size, "an int or a pair (H, W) for images shaped (..., H, W)")
    height, width = x.shape[-2:]
    if target[0] < height or target[1] < width:
        raise invalid("size", size, f"at least the image size {height}x{width}")
    top, left = (target[0] - height) // 2, (target[1] - width) // 2
    out = np.full(x.shape[:-2] + (int(target[0]), int(target[1])), value, dtype=x.dtype)
    out[..., top : top + height, left : left + width] = x
    return out


def negate(x: np.ndarray) -> np.ndarray:
    """The negative image: ``1 - x`` for floats in ``[0, 1]``, ``255 - x`` for uint8.

    This is the seed homework's ``1 - x_test`` (or ``255 - x_test`` before scaling).

    Examples
    --------
    >>> negate(np.array([0.0, 0.25, 1.0], dtype=np.float32))
    array([1.  , 0.75, 0.  ], dtype=float32)
    >>> negate(np.array([0, 200], dtype=np.uint8))
    array([255,  55], dtype=uint8)
    """
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return np.uint8(255) - x
    if x.dtype.kind != "f":
        raise invalid("x", f"an array of dtype {x.dtype}", "float images in [0, 1] or uint8 images")
    return x.dtype.type(1) - x


def half_negated(x: np.ndarray, y: np.ndarray, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Negate a random half of each class, the seed homework's fix for negative test images.

    The training set keeps its size and order; in every class, ``n_c // 2`` images chosen at
    random (reproducibly, from ``seed``) are replaced by their negatives (:func:`negate`).

    Parameters
    ----------
    x : numpy.ndarray
        Images ``(N, ...)``, float in ``[0, 1]`` or uint8.
    y : numpy.ndarray
        Integer labels ``(N,)``.
    seed : int, numpy.random.Generator or None, optional
        Chooses which images are negated. Defaults to 0.

    Returns
    -------
    x_aug : numpy.ndarray
        A copy of ``x`` with half of each class negated.
    y : numpy.ndarray
        The labels, unchanged (a copy).

    Examples
    --------
    >>> x = np.zeros((4, 1, 1, 1), np.float32)
    >>> x_aug, y_aug = half_negated(x, np.array([0, 0, 1, 1]), seed=0)
    >>> float(x_aug.sum()), y_aug.tolist()
    (2.0, [0, 0, 1, 1])
    """
    x = np.asarray(x)
    y = _check_labels(y, len(x))
    rng = _rng(seed)
    chosen = [rng.permutation(np.flatnonzero(y == c))[: int(np.sum(y == c)) // 2] for c in np.unique(y)]
    picked = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.intp)
    out = x.copy()
    out[picked] = negate(x[picked])
    return out, y.copy()


def one_hot(y: np.ndarray, classes: int) -> np.ndarray:
    """One-hot float32 rows: ``out[i, y[i]] = 1``.

    Examples
    --------
    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 1:
        raise invalid("classes", classes, "an int >= 1")
    y = _check_labels(y, None)
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise invalid("y", f"labels from {y.min()} to {y.max()}", f"labels in 0..{classes - 1}")
    out = np.zeros((len(y), int(classes)), dtype=np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out


def stratified_split(y: np.ndarray, fraction_or_count: float | int, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split indices so that the held-out part has each class in the same proportion as ``y``.

    The held-out size is ``round(fraction * N)`` for a float in ``(0, 1)`` or the count for
    an int; it is shared between classes by largest remainder, so per-class counts are within
    one of ``size * n_c / N``. Which members of a class are held out is random (from ``seed``).

    Parameters
    ----------
    y : numpy.ndarray
        Integer labels ``(N,)``.
    fraction_or_count : float or int
        A fraction in ``(0, 1)`` or a count in ``1..N-1`` of samples to hold out.
    seed : int, numpy.random.Generator or None, optional
        Defaults to 0.

    Returns
    -------
    keep_idx, held_idx : numpy.ndarray
        Sorted int64 indices of the kept and held-out samples; together they are ``0..N-1``.

    Examples
    --------
    >>> keep, held = stratified_split(np.array([0] * 6 + [1] * 4), 0.5, seed=0)
    >>> len(keep), np.bincount(np.array([0] * 6 + [1] * 4)[held]).tolist()
    (5, [3, 2])
    """
    y = _check_labels(y, None)
    n = len(y)
    if isinstance(fraction_or_count, (float, np.floating)) and 0 < fraction_or_count < 1:
        size = int(round(float(fraction_or_count) * n))
    elif isinstance(fraction_or_count, (int, np.integer)) and not isinstance(fraction_or_count, bool):
        size = int(fraction_or_count)
    else:
        raise invalid("fraction_or_count", fraction_or_count, "a float in (0, 1) or an int count")
    if not 1 <= size <= n - 1:
        raise invalid("fraction_or_count", fraction_or_count, f"a split that leaves 1..{n - 1} of the {n} samples held out")
    labels, counts = np.unique(y, return_counts=True)
    exact = counts * size / n
    quota = np.floor(exact).astype(np.int64)
    leftover = size - int(quota.sum())
    quota[np.argsort(-(exact - quota), kind="stable")[:leftover]] += 1
    rng = _rng(seed)
    held = [rng.permutation(np.flatnonzero(y == c))[:q] for c, q in zip(labels, quota)]
    held_idx = np.sort(np.concatenate(held)).astype(np.int64)
    mask = np.ones(n, dtype=bool)
    mask[held_idx] = False
    return np.flatnonzero(mask).astype(np.int64), held_idx


def iterate_minibatches(
    n: int, batch_size: int, shuffle: bool = True, rng: Seed = None, *, drop_last: bool = False
) -> Iterator[np.ndarray]:
    """Yield index arrays that cover ``0..n-1`` once, ``batch_size`` at a time.

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
        Indices per batch; the last batch is smaller unless ``drop_last``.
    shuffle : bool, optional
        Visit the samples in a random order. Defaults to True.
    rng : int, numpy.random.Generator or None, optional
        The randomness for ``shuffle``; pass the trainer's Generator so epochs differ but runs
        repeat. Defaults to None (fresh entropy).
    drop_last : bool, optional
        Skip a final batch smaller than ``batch_size``. Defaults to False.

    Examples
    --------
    >>> [b.tolist() for b in iterate_minibatches(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise invalid("n", n, "an int >= 0")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise invalid("batch_size", batch_size, "an int >= 1")
    order = _rng(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def _check_labels(y: np.ndarray, n: int | None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise invalid("y", f"an array of shape {y.shape} and dtype {y.dtype}", "integer labels shaped (N,)")
    if n is not None and len(y) != n:
        raise ConvCalcError(f"The 'y' parameter has {len(y)} labels but 'x' has {n} images.")
    return y.astype(np.int64, copy=False)
