"""Transforms: each checked against a plain NumPy twin or a property that defines it."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import ConvCalcError
from convcalc.data import (
    half_negated,
    iterate_minibatches,
    negate,
    normalize,
    one_hot,
    pad_to,
    scale,
    stratified_split,
)

RNG = np.random.default_rng(2024)
IMAGES = RNG.integers(0, 256, (40, 1, 28, 28), dtype=np.uint8)
LABELS = np.repeat(np.arange(4), [10, 14, 7, 9])


def test_scale_equals_keras_and_torchvision_scaling() -> None:
    out = scale(IMAGES)
    assert out.dtype == np.float32 and out.shape == IMAGES.shape
    np.testing.assert_array_equal(out, IMAGES.astype("float32") / 255)
    np.testing.assert_array_equal(scale(IMAGES, 1.0), IMAGES.astype(np.float32))
    with pytest.raises(ConvCalcError, match="'max_value'"):
        scale(IMAGES, 0)


def test_normalize_per_channel() -> None:
    x = RNG.random((3, 3, 4, 4)).astype(np.float32)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    expected = np.stack([(x[:, c] - mean[c]) / std[c] for c in range(3)], axis=1)
    np.testing.assert_allclose(normalize(x, mean, std), expected, rtol=1e-6)
    np.testing.assert_allclose(normalize(x, 0.5, 0.25), (x - 0.5) / 0.25, rtol=1e-6)
    with pytest.raises(ConvCalcError, match="'mean'"):
        normalize(x, (0.1, 0.2), 1.0)
    with pytest.raises(ConvCalcError, match="'std'"):
        normalize(x, 0.0, 0.0)
    with pytest.raises(ConvCalcError, match="'x'"):
        normalize(x[0], 0.0, 1.0)


def test_pad_to_32_is_lenet5_padding() -> None:
    """LeCun et al. (1998) pad 28x28 MNIST to 32x32: 2 zero pixels on every side, as np.pad does."""
    x = scale(IMAGES)
    out = pad_to(x, 32)
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))))
    assert out.dtype == np.float32


@pytest.mark.parametrize(("size", "pads"), [((29, 31), ((0, 1), (1, 2))), (28, ((0, 0), (0, 0))), ((30, 28), ((1, 1), (0, 0)))])
def test_pad_to_odd_differences_put_the_extra_pixel_bottom_right(size, pads) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_array_equal(pad_to(IMAGES, size, value=7), np.pad(IMAGES, ((0, 0), (0, 0), *pads), constant_values=7))


@pytest.mark.parametrize("size", [27, (28, 20), (1, 2, 3)])
def test_pad_to_rejects_shrinking_and_bad_sizes(size) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConvCalcError, match="'size'"):
        pad_to(IMAGES, size)


def test_negate_is_the_seed_formula_and_an_involution() -> None:
    x = scale(IMAGES)
    np.testing.assert_array_equal(negate(x), 1 - x)
    np.testing.assert_allclose(negate(negate(x)), x, atol=6e-8)  # float rounding of 1 - (1 - x)
    np.testing.assert_array_equal(negate(negate(IMAGES)), IMAGES)
    np.testing.assert_array_equal(negate(IMAGES), 255 - IMAGES.astype(int))
    np.testing.assert_allclose(scale(negate(IMAGES)), negate(x), atol=1e-7)
    assert negate(x.astype(np.float64)).dtype == np.float64
    with pytest.raises(ConvCalcError, match="'x'"):
        negate(IMAGES.astype(np.int32))


def test_half_negated_negates_half_of_each_class_deterministically() -> None:
    x = scale(IMAGES)
    out, y = half_negated(x, LABELS, seed=3)
    changed = np.array([not np.array_equal(a, b) for a, b in zip(out, x)])
    for c, n in zip(range(4), [10, 14, 7, 9]):
        assert changed[LABELS == c].sum() == n // 2
    np.testing.assert_array_equal(out[changed], 1 - x[changed])
    np.testing.assert_array_equal(out[~changed], x[~changed])
    assert y.tolist() == LABELS.tolist() and y is not LABELS
    again, _ = half_negated(x, LABELS, seed=3)
    other, _ = half_negated(x, LABELS, seed=4)
    np.testing.assert_array_equal(again, out)
    assert not np.array_equal(other, out)
    np.testing.assert_array_equal(x, scale(IMAGES))  # input untouched


def test_half_negated_checks_lengths() -> None:
    with pytest.raises(ConvCalcError, match="40 images"):
        half_negated(scale(IMAGES), LABELS[:-1])


def test_one_hot_equals_rows_of_the_identity() -> None:
    out = one_hot(LABELS, 4)
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[LABELS])
    assert out.dtype == np.float32 and one_hot(np.zeros(0, np.int64), 3).shape == (0, 3)


@pytest.mark.parametrize(
    ("y", "classes", "match"),
    [(LABELS, 3, "'y'.*labels in 0..2"), (LABELS - 1, 4, "'y'"), (LABELS, 0, "'classes'"), (LABELS.astype(float), 4, "'y'")],
)
def test_one_hot_rejects(y, classes, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConvCalcError, match=match):
        one_hot(y, classes)


@pytest.mark.parametrize("amount", [0.25, 10, 0.5, 1, 39])
def test_stratified_split_partitions_and_keeps_proportions(amount) -> None:  # type: ignore[no-untyped-def]
    keep, held = stratified_split(LABELS, amount, seed=0)
    size = round(amount * 40) if isinstance(amount, float) else amount
    assert len(held) == size and len(keep) == 40 - size
    assert sorted(np.concatenate([keep, held]).tolist()) == list(range(40))
    assert keep.tolist() == sorted(keep.tolist()) and held.tolist() == sorted(held.tolist())
    counts = np.bincount(LABELS[held], minlength=4)
    assert np.all(np.abs(counts - np.bincount(LABELS) * size / 40) < 1)


def test_stratified_split_is_deterministic_given_the_seed() -> None:
    first = stratified_split(LABELS, 0.3, seed=11)
    np.testing.assert_array_equal(first[1], stratified_split(LABELS, 0.3, seed=11)[1])
    assert not np.array_equal(first[1], stratified_split(LABELS, 0.3, seed=12)[1])
    np.testing.assert_array_equal(first[1], stratified_split(LABELS, 0.3, seed=np.random.default_rng(11))[1])


@pytest.mark.parametrize("amount", [0.0, 1.0, 0, 40, -3, "0.2", True])
def test_stratified_split_rejects(amount) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConvCalcError, match="'fraction_or_count'"):
        stratified_split(LABELS, amount)


def test_stratified_split_rejects_a_bad_seed() -> None:
    with pytest.raises(ConvCalcError, match="'seed'"):
        stratified_split(LABELS, 0.5, seed=-1)


@pytest.mark.parametrize(("n", "batch", "drop_last"), [(10, 3, False), (10, 3, True), (9, 3, True), (0, 4, False), (5, 8, False)])
def test_iterate_minibatches_covers_every_index_once(n: int, batch: int, drop_last: bool) -> None:
    batches = list(iterate_minibatches(n, batch, shuffle=True, rng=1, drop_last=drop_last))
    sizes = [len(b) for b in batches]
    full, rest = divmod(n, batch)
    assert sizes == [batch] * full + ([rest] if rest and not drop_last else [])
    flat = np.concatenate(batches) if batches else np.zeros(0, int)
    assert len(set(flat.tolist())) == len(flat) and set(flat.tolist()) <= set(range(n))


def test_iterate_minibatches_order() -> None:
    assert [b.tolist() for b in iterate_minibatches(7, 3, shuffle=False)] == [[0, 1, 2], [3, 4, 5], [6]]
    rng = np.random.default_rng(5)
    shuffled = np.concatenate(list(iterate_minibatches(100, 32, rng=rng)))
    np.testing.assert_array_equal(shuffled, np.random.default_rng(5).permutation(100))
    second_epoch = np.concatenate(list(iterate_minibatches(100, 32, rng=rng)))
    assert not np.array_equal(shuffled, second_epoch)  # a shared Generator gives each epoch its own order


@pytest.mark.parametrize(("n", "batch", "match"), [(-1, 2, "'n'"), (5, 0, "'batch_size'"), (5, 2.0, "'batch_size'")])
def test_iterate_minibatches_rejects(n, batch, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConvCalcError, match=match):
        list(iterate_minibatches(n, batch))
