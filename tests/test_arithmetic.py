"""Output-size formulas against brute-force window counting, the conv_arithmetic guide and the seeds."""

from __future__ import annotations

import itertools
import random

import pytest

from convcalc import ConvCalcError, conv_output_size, pool_output_size, same_padding, transposed_output_size
from convcalc.arithmetic import (
    ceil_window_dropped,
    conv_length,
    full_padding,
    pool_length,
    resolve_padding,
    transposed_length,
)
from convcalc.inverse import inverse_output_padding
from tests.oracles import dilated_span, transposed_by_scatter, windows_ceil, windows_floor


# --------------------------------------------------------------------------- independent oracles
# windows_floor/windows_ceil (brute-force window counts) and transposed_by_scatter live in tests/oracles.py.


# --------------------------------------------------------------------------- case tables
# (relationship, i, k, s, p, expected o) from Dumoulin & Visin, "A guide to convolution arithmetic".
CONV_ARITHMETIC = [
    ("rel1 no padding unit stride", 4, 3, 1, 0, 2),
    ("rel2 padding unit stride", 5, 4, 1, 2, 6),
    ("rel3 half padding", 5, 3, 1, 1, 5),
    ("rel4 full padding", 5, 3, 1, 2, 7),
    ("rel5 no padding strided", 5, 3, 2, 0, 2),
    ("rel6 padding strided", 5, 3, 2, 1, 3),
    ("rel6 odd: i=6 gives the same o", 6, 3, 2, 1, 3),
]
# (relationship, i', k, s, p, a, expected o') for transposed convolutions.
TRANSPOSED_ARITHMETIC = [
    ("rel8 transpose of rel1", 2, 3, 1, 0, 0, 4),
    ("rel9 transpose of rel2", 6, 4, 1, 2, 0, 5),
    ("rel10 transpose of half", 5, 3, 1, 1, 0, 5),
    ("rel11 transpose of full", 7, 3, 1, 2, 0, 5),
    ("rel12 transpose of rel5", 2, 3, 2, 0, 0, 5),
    ("rel13 transpose of rel6", 3, 3, 2, 1, 0, 5),
    ("rel14 general, a=1", 3, 3, 2, 1, 1, 6),
]


@pytest.mark.parametrize("name,i,k,s,p,o", CONV_ARITHMETIC, ids=[c[0] for c in CONV_ARITHMETIC])
def test_conv_arithmetic_relationships(name: str, i: int, k: int, s: int, p: int, o: int) -> None:
    assert conv_output_size(i, k, s, p) == o == windows_floor(i, k, s, p, p, 1)


@pytest.mark.parametrize("name,i,k,s,p,a,o", TRANSPOSED_ARITHMETIC, ids=[c[0] for c in TRANSPOSED_ARITHMETIC])
def test_transposed_relationships(name: str, i: int, k: int, s: int, p: int, a: int, o: int) -> None:
    assert transposed_output_size(i, k, s, p, output_padding=a) == o == transposed_by_scatter(i, k, s, p, p, 1, a)


def test_rel7_pooling_and_rel15_dilation() -> None:
    assert pool_output_size(5, 3, 1) == 3  # rel. 7: (5 - 3)/1 + 1
    assert conv_output_size(7, 3, dilation=2) == 3  # rel. 15: k_hat = 3 + 2*1 = 5
    assert full_padding(3, 2) == 4


def test_rel6_ambiguity_every_input_of_a_class_gives_one_output() -> None:
    i, k, s, p = 5, 3, 2, 1  # i + 2p - k = 4 is a multiple of s: i and i + 1 share o
    assert {conv_output_size(i + a, k, s, p) for a in range(s)} == {3}


# --------------------------------------------------------------------------- the seeds
def test_seed_hw5_question5_dilation() -> None:
    """HW5 5.1: (16 - ((2-1)*4+1) + 2*1)//2 + 1 = 7, on both axes."""
    assert conv_output_size(16, 2, stride=2, padding=1, dilation=4) == 7
    assert conv_output_size((16, 16), (2, 2), 2, 1, 4) == (7, 7)


def test_seed_hw5_question5_two_stride2_layers() -> None:
    """HW5 5.2: 32 -> 16 -> 8 with 3x3, stride 2, padding 1."""
    first = conv_output_size((32, 32), 3, 2, 1)
    assert first == (16, 16)
    assert conv_output_size(first, 3, 2, 1) == (8, 8)


# --------------------------------------------------------------------------- brute force, exhaustively
SMALL = list(itertools.product(range(1, 13), range(1, 6), range(1, 5), range(0, 4), range(0, 4), range(1, 4)))


def test_conv_matches_window_count_exhaustively() -> None:
    checked = 0
    for n, k, s, lo, hi, d in SMALL:
        expected = windows_floor(n, k, s, lo, hi, d)
        if expected == 0:
            with pytest.raises(ConvCalcError, match="larger than the padded input"):
                conv_length(n, k, s, lo, hi, d)
        else:
            assert conv_length(n, k, s, lo, hi, d) == expected, (n, k, s, lo, hi, d)
            checked += 1
    assert checked > 5000


def test_pool_matches_window_count_exhaustively() -> None:
    for n, k, s, lo, hi, d in SMALL:
        if windows_floor(n, k, s, lo, hi, d) == 0:
            with pytest.raises(ConvCalcError):
                pool_length(n, k, s, lo, hi, d)
        else:
            assert pool_length(n, k, s, lo, hi, d) == windows_floor(n, k, s, lo, hi, d)
        # In ceil mode a window may hang off the end (PyTorch), even past a too-small input.
        # PyTorch drops at most one window, which is all there can be when padding <= half the window.
        if max(lo, hi) > dilated_span(k, d) // 2:
            continue
        if windows_ceil(n, k, s, lo, hi, d) == 0:
            with pytest.raises(ConvCalcError):
                pool_length(n, k, s, lo, hi, d, ceil_mode=True)
            continue
        assert pool_length(n, k, s, lo, hi, d, ceil_mode=True) == windows_ceil(n, k, s, lo, hi, d), \
            (n, k, s, lo, hi, d)
        assert ceil_window_dropped(n, k, s, lo, hi, d) == (
            windows_ceil(n, k, s, lo, hi, d) < -(-(n + lo + hi - d * (k - 1) - 1) // s) + 1)


def test_transposed_matches_scatter_exhaustively() -> None:
    for n, k, s, lo, hi, d in SMALL:
        for a in range(max(s, d)):
            expected = transposed_by_scatter(n, k, s, lo, hi, d, a)
            if expected < 1:
                with pytest.raises(ConvCalcError):
                    transposed_length(n, k, s, lo, hi, d, a)
            else:
                assert transposed_length(n, k, s, lo, hi, d, a) == expected


def test_transposed_is_the_shape_inverse_of_conv() -> None:
    """conv(n) = o, and ConvTranspose(o) with the solved output_padding gives n back."""
    for n, k, s, p, d in itertools.product(range(1, 20), range(1, 5), range(1, 5), range(0, 3), range(1, 3)):
        if windows_floor(n, k, s, p, p, d) == 0:
            continue
        o = conv_output_size(n, k, s, p, d)
        a = inverse_output_padding(n, k, s, p, d)
        assert transposed_output_size(o, k, s, p, d, a) == n


# --------------------------------------------------------------------------- conventions
SAME_CASES = [
    # (n, k, s, d, framework, (lo, hi), output)
    (28, 3, 1, 1, "torch", (1, 1), 28),
    (28, 4, 1, 1, "torch", (1, 2), 28),  # odd extra pixel on the right
    (28, 4, 1, 2, "torch", (3, 3), 28),
    (5, 3, 2, 1, "keras", (1, 1), 3),  # tf.nn docs: in 5, filter 3, stride 2 -> 3
    (2, 2, 1, 1, "keras", (0, 1), 2),  # tf.nn docs: in 2, filter 2, stride 1 -> 2
    (224, 7, 2, 1, "keras", (2, 3), 112),  # extra pixel bottom/right
    (6, 1, 4, 1, "keras", (0, 0), 2),
]


@pytest.mark.parametrize("n,k,s,d,fw,pair,o", SAME_CASES)
def test_same_padding_rules(n: int, k: int, s: int, d: int, fw: str, pair: tuple, o: int) -> None:
    assert same_padding(n, k, s, d, framework=fw) == pair
    assert conv_output_size(n, k, s, "same", d, framework=fw) == o


def test_keras_same_is_ceil_n_over_s_for_any_stride() -> None:
    for n, k, s in itertools.product(range(1, 30), range(1, 8), range(1, 6)):
        assert conv_output_size(n, k, s, "same", framework="keras") == -(-n // s)
        assert pool_output_size(n, k, s, "same", framework="keras") == -(-n // s)


def test_full_padding_output() -> None:
    assert conv_output_size(5, 3, padding="full") == 7
    assert conv_output_size((5, 6), (3, 2), padding="full", dilation=2) == (9, 8)


PADDING_FORMS = [
    (1, (16, 16), ((1, 1), (1, 1))),
    ((1, 2), (16, 16), ((1, 1), (2, 2))),  # one int per axis
    (((0, 1), (2, 3)), (16, 16), ((0, 1), (2, 3))),  # (lo, hi) per axis
    ((0, 1), (16,), ((0, 1),)),  # a bare pair on one axis is (lo, hi)
    ("valid", (16, 16), ((0, 0), (0, 0))),
    ("full", (16, 16), ((2, 2), (2, 2))),
]


@pytest.mark.parametrize("padding,sizes,pairs", PADDING_FORMS)
def test_padding_forms(padding: object, sizes: tuple, pairs: tuple) -> None:
    ndim = len(sizes)
    assert resolve_padding(padding, sizes, (3,) * ndim, (1,) * ndim, (1,) * ndim) == pairs


def test_scalar_in_scalar_out_tuple_in_tuple_out() -> None:
    assert conv_output_size(28, 3) == 26
    assert conv_output_size((28,), 3) == (26,)
    assert conv_output_size(28, (3, 5)) == (26, 24)
    assert conv_output_size((28, 32, 16), 3, (1, 2, 1)) == (26, 15, 14)
    assert conv_output_size(28, 3, padding=(0, 1)) == 27  # (lo, hi) on the one axis


def test_accepts_numpy_integers_and_int_strings() -> None:
    np = pytest.importorskip("numpy")
    assert conv_output_size(np.int64(16), np.int32(2), 2, 1, 4) == 7
    assert conv_output_size("16", "2", "2", "1", "4") == 7


def test_pool_stride_defaults_to_kernel() -> None:
    assert pool_output_size(26, 2) == 13
    assert pool_output_size(24, 3) == 8


def test_ceil_mode_known_reports() -> None:
    assert pool_output_size(32, 1, 2, ceil_mode=True) == 16  # pytorch/pytorch#57178: not 17
    assert pool_output_size(5, 2, 2, 1, ceil_mode=True) == 3  # a 4th window would start in the right padding
    assert pool_output_size(5, 2, 2, ceil_mode=True) == 3  # a partial last window is kept


# --------------------------------------------------------------------------- errors
INVALID = [
    (lambda: conv_output_size(0, 3), "size"),
    (lambda: conv_output_size(8, 0), "kernel"),
    (lambda: conv_output_size(8, 3, 0), "stride"),
    (lambda: conv_output_size(8, 3, dilation=0), "dilation"),
    (lambda: conv_output_size(8, 3, padding=-1), "padding"),
    (lambda: conv_output_size(4, 5), "kernel 5 is larger than the padded input 4"),
    (lambda: conv_output_size(4, 3, dilation=2), r"kernel 3 \(dilated to 5\)"),
    (lambda: conv_output_size(8, 3, 2, "same"), "stride 1"),
    (lambda: conv_output_size(8, 3, 2, "same", 2, framework="keras"), "stride > 1 together with dilation > 1"),
    (lambda: conv_output_size(8, 3, framework="caffe"), "framework"),
    (lambda: conv_output_size(8, 3, padding="1.5"), "padding"),
    (lambda: conv_output_size((8, 8), (3, 3, 3)), "spatial axes"),
    (lambda: conv_output_size((8, 8), 3, padding=(1, 1, 1)), "padding"),
    (lambda: conv_output_size(8.0, 3), "size"),
    (lambda: conv_output_size(True, 3), "size"),
    (lambda: conv_output_size("8;3", 3), "size"),
    (lambda: pool_output_size(8, 2, padding=2), "half the pool window"),
    (lambda: pool_output_size(8, 2, padding="same"), "framework='keras'"),
    (lambda: transposed_output_size(4, 3, 2, output_padding=2), "output_padding"),
    (lambda: transposed_output_size(4, 3, 1, output_padding=-1), "output_padding"),
    (lambda: transposed_output_size(1, 1, 1, padding=1), "output length would be"),
    (lambda: transposed_output_size(4, 3, padding="same"), "padding"),
    (lambda: same_padding(8, 3, 2), "stride 1"),
]


@pytest.mark.parametrize("call,match", INVALID, ids=[m for _, m in INVALID])
def test_invalid_geometry_names_the_parameter(call: object, match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        call()  # type: ignore[operator]


def test_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        conv_output_size(4, 5)


# --------------------------------------------------------------------------- random sweep, kept cheap
def test_random_multi_axis_equals_per_axis() -> None:
    rng = random.Random(0)
    for _ in range(500):
        ndim = rng.randint(1, 3)
        n = tuple(rng.randint(1, 40) for _ in range(ndim))
        k = tuple(rng.randint(1, 6) for _ in range(ndim))
        s = tuple(rng.randint(1, 4) for _ in range(ndim))
        p = tuple((rng.randint(0, 3), rng.randint(0, 3)) for _ in range(ndim))
        d = tuple(rng.randint(1, 3) for _ in range(ndim))
        expected = tuple(windows_floor(*axis) for axis in zip(n, k, s, (q[0] for q in p), (q[1] for q in p), d))
        if min(expected) == 0:
            with pytest.raises(ConvCalcError):
                conv_output_size(n, k, s, p, d)
        else:
            assert conv_output_size(n, k, s, p, d) == expected
