"""Exact correlation, convolution and pooling against independent oracles.

Oracles: scipy.signal.correlate2d / convolve2d (valid, same, full), a naive
loop written here from the definition (window positions counted by brute
force, not by the size formula), and PyTorch in float64 for stride, dilation,
padding and pooling.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from convcalc import ConvCalcError, convolve, correlate
from convcalc.exact import as_matrix, avg_pool, explain, explain_pool, max_pool
from tests.oracles import window_starts

np = pytest.importorskip("numpy")
signal = pytest.importorskip("scipy.signal")

# The seed's HW5 question 3, as written by hand in seeds/000_*.txt.
SEED_X = [[1, 0, -2, 3, 4, 1],
          [2, 9, 5, 6, 0, -1],
          [0, -3, 1, 3, 4, 4],
          [6, 5, 2, 0, 6, 8],
          [-5, 4, -3, 1, 3, -2],
          [4, 1, 2, 8, 9, 7]]
SEED_F = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
SEED_Y = [[68, 23, 30, -24], [-54, -19, 0, 6], [38, 8, -17, 27], [20, -47, -19, -13]]
SEED_Y00_PRODUCTS = ((-1, 0, 2), (-2, 72, -5), (0, 3, -1))  # the seed prints the last row as "[0 3-1]"


def naive_correlate(x, f, stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0))):
    """The definition, with bounds checks instead of a padded copy; positions counted by brute force."""
    n_rows, n_cols, k_rows, k_cols = len(x), len(x[0]), len(f), len(f[0])
    (top, bottom), (left, right) = pads
    rows = window_starts(n_rows, k_rows, stride[0], top, bottom, dilation[0])
    cols = window_starts(n_cols, k_cols, stride[1], left, right, dilation[1])
    out = []
    for pr in rows:
        row = []
        for pc in cols:
            total = 0
            for u in range(k_rows):
                for v in range(k_cols):
                    r, c = pr + u * dilation[0] - top, pc + v * dilation[1] - left
                    if 0 <= r < n_rows and 0 <= c < n_cols:
                        total += x[r][c] * f[u][v]
            row.append(total)
        out.append(row)
    return out


def random_ints(rng, rows, cols, low=-9, high=9):
    return [[rng.randint(low, high) for _ in range(cols)] for _ in range(rows)]


# --------------------------------------------------------------------------- the seed
def test_seed_y_is_right_according_to_scipy():
    """The hand-computed Y of HW5 question 3 agrees with SciPy cell for cell (no seed cell is wrong)."""
    assert signal.correlate2d(np.array(SEED_X), np.array(SEED_F), mode="valid").tolist() == SEED_Y


def test_seed_example():
    assert correlate(SEED_X, SEED_F) == SEED_Y
    w = explain(SEED_X, SEED_F, 0, 0)
    assert w.window == ((1, 0, -2), (2, 9, 5), (0, -3, 1))
    assert w.products == SEED_Y00_PRODUCTS
    assert w.total == 68
    assert w.sum_text() == "(-1) + 0 + 2 + (-2) + 72 + (-5) + 0 + 3 + (-1) = 68"


def test_seed_every_cell_explains_to_its_value():
    for i in range(4):
        for j in range(4):
            w = explain(SEED_X, SEED_F, i, j)
            assert w.total == SEED_Y[i][j] == sum(p for row in w.products for p in row)
            assert w.coords[0][0] == (i, j) and not w.any_padding


# --------------------------------------------------------------------------- SciPy, every mode
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_against_scipy_random(mode):
    rng = random.Random(1234)
    for _ in range(120):
        n_rows, n_cols = rng.randint(1, 8), rng.randint(1, 8)
        k_rows, k_cols = rng.randint(1, 5), rng.randint(1, 5)
        if mode == "valid" and (k_rows > n_rows or k_cols > n_cols):
            continue  # SciPy swaps the inputs here; we refuse (kernel larger than the input)
        x, f = random_ints(rng, n_rows, n_cols), random_ints(rng, k_rows, k_cols)
        assert correlate(x, f, mode) == signal.correlate2d(np.array(x), np.array(f), mode=mode).tolist()
        assert convolve(x, f, mode) == signal.convolve2d(np.array(x), np.array(f), mode=mode).tolist()


@pytest.mark.parametrize("k", [2, 4, 6])
def test_same_with_even_kernels_matches_scipy_offsets(k):
    """Even kernels: correlate2d pads the odd pixel at the end, convolve2d at the start; we match both."""
    x = [list(range(1, 10))]
    f = [[1] + [0] * (k - 1)]  # picks the first tap
    ours = correlate(x, f, "same")[0]
    assert ours == signal.correlate2d(np.array(x), np.array(f), mode="same")[0].tolist()
    assert ours[:(k - 1) // 2] == [0] * ((k - 1) // 2)  # lo = (k - 1) // 2 zeros before
    assert convolve(x, f, "same") == signal.convolve2d(np.array(x), np.array(f), mode="same").tolist()


def test_same_padding_same_as_torch_rule():
    x, f = [[1, 2, 3, 4, 5]], [[1, 10, 100, 1000]]
    assert correlate(x, f, "same") == correlate(x, f, padding=((0, 0), (1, 2)))


# --------------------------------------------------------------------------- stride, dilation, padding
CASES = [  # (n_rows, n_cols, k_rows, k_cols, stride, dilation, padding)
    (7, 7, 3, 3, 2, 1, 0),
    (8, 6, 2, 3, (2, 1), (1, 2), (1, 0)),
    (9, 9, 3, 3, 3, 2, 2),
    (5, 5, 5, 5, 1, 1, 0),      # k = n
    (6, 7, 2, 2, 3, 1, 0),      # s > k
    (6, 6, 3, 2, 1, 1, ((0, 1), (2, 1))),  # asymmetric
    (4, 5, 1, 1, 2, 1, 1),
]


def _pairs(padding):
    if isinstance(padding, int):
        return ((padding, padding),) * 2
    return tuple(p if isinstance(p, tuple) else (p, p) for p in padding)


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_stride_dilation_padding_against_naive_loop(case):
    n_rows, n_cols, k_rows, k_cols, stride, dilation, padding = case
    rng = random.Random(hash(case) & 0xFFFF)
    x, f = random_ints(rng, n_rows, n_cols), random_ints(rng, k_rows, k_cols)
    expected = naive_correlate(x, f, _pair(stride), _pair(dilation), _pairs(padding))
    assert correlate(x, f, stride=stride, dilation=dilation, padding=padding) == expected
    flipped = [row[::-1] for row in f[::-1]]
    assert convolve(x, f, stride=stride, dilation=dilation, padding=padding) == \
        naive_correlate(x, flipped, _pair(stride), _pair(dilation), _pairs(padding))


def test_random_sweep_against_naive_loop():
    rng = random.Random(7)
    checked = 0
    while checked < 150:
        n = rng.randint(1, 9), rng.randint(1, 9)
        k = rng.randint(1, 4), rng.randint(1, 4)
        s, d = (rng.randint(1, 3), rng.randint(1, 3)), (rng.randint(1, 3), rng.randint(1, 3))
        pads = ((rng.randint(0, 2), rng.randint(0, 2)), (rng.randint(0, 2), rng.randint(0, 2)))
        if any(d[a] * (k[a] - 1) + 1 > n[a] + sum(pads[a]) for a in (0, 1)):
            continue  # impossible geometry: checked separately
        x, f = random_ints(rng, *n), random_ints(rng, *k)
        assert correlate(x, f, stride=s, dilation=d, padding=pads) == naive_correlate(x, f, s, d, pads)
        checked += 1


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_against_torch_float64(case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    n_rows, n_cols, k_rows, k_cols, stride, dilation, padding = case
    rng = random.Random(99 + n_rows)
    x, f = random_ints(rng, n_rows, n_cols), random_ints(rng, k_rows, k_cols)
    (top, bottom), (left, right) = _pairs(padding)
    xt = F.pad(torch.tensor(x, dtype=torch.float64)[None, None], (left, right, top, bottom))
    yt = F.conv2d(xt, torch.tensor(f, dtype=torch.float64)[None, None], stride=_pair(stride),
                  dilation=_pair(dilation))[0, 0]
    assert correlate(x, f, stride=stride, dilation=dilation, padding=padding) == yt.round().long().tolist()


# --------------------------------------------------------------------------- exact types
def test_fractions_stay_fractions():
    x = [[Fraction(1, 3), 2, 0], [1, Fraction(-1, 2), 4]]
    f = [[1, Fraction(1, 3)]]
    y = correlate(x, f)
    assert all(isinstance(v, Fraction) for row in y for v in row)
    assert y == [[Fraction(1, 3) + Fraction(2, 3), 2], [1 + Fraction(-1, 6), Fraction(-1, 2) + Fraction(4, 3)]]
    assert all(isinstance(v, Fraction) for row in convolve(x, f, "full") for v in row)


def test_integers_stay_ints():
    y = correlate([[1, 2], [3, 4]], [[2]])
    assert y == [[2, 4], [6, 8]] and all(type(v) is int for row in y for v in row)


def test_sympy_values():
    sympy = pytest.importorskip("sympy")
    a, b = sympy.symbols("a b")
    y = correlate([[a, b, 1]], [[1, -1]])
    assert y == [[a - b, b - 1]]


def test_numpy_integer_arrays_are_accepted():
    x = np.arange(12).reshape(3, 4)
    assert correlate(x, np.ones((2, 2), dtype=np.int64)) == signal.correlate2d(x, np.ones((2, 2)), "valid").tolist()


# --------------------------------------------------------------------------- explain
def test_explain_marks_padding_cells():
    w = explain([[1, 2], [3, 4]], [[1, 1], [1, 1]], 0, 0, padding=1)
    assert w.rows == (-1, 0) and w.cols == (-1, 0)
    assert w.is_padding == ((True, True), (True, False))
    assert w.window == ((0, 0), (0, 1)) and w.total == 1


def test_explain_with_stride_and_dilation():
    x = [[r * 10 + c for c in range(9)] for r in range(9)]
    w = explain(x, [[1, 0], [0, 1]], 1, 2, stride=2, dilation=3)
    assert (w.rows, w.cols) == ((2, 5), (4, 7))
    assert w.window == ((24, 27), (54, 57)) and w.total == 24 + 57


def test_explain_agrees_with_correlate_everywhere():
    rng = random.Random(5)
    x, f = random_ints(rng, 6, 5), random_ints(rng, 3, 2)
    for kwargs in ({}, {"mode": "full"}, {"stride": 2, "padding": 1}, {"dilation": 2, "mode": "same"}):
        y = correlate(x, f, **kwargs)
        yc = convolve(x, f, **kwargs)
        for i in range(len(y)):
            for j in range(len(y[0])):
                assert explain(x, f, i, j, **kwargs).total == y[i][j]
                assert explain(x, f, i, j, convolve=True, **kwargs).total == yc[i][j]


def test_explain_convolve_flips_the_kernel():
    w = explain([[1, 2], [3, 4]], [[1, 2], [3, 4]], 0, 0, convolve=True)
    assert w.kernel == ((4, 3), (2, 1)) and w.flipped and w.total == 1 * 4 + 2 * 3 + 3 * 2 + 4 * 1


def test_explain_cell_outside_output():
    with pytest.raises(ConvCalcError, match=r"Cell \(4, 0\) is outside the 4x4 output"):
        explain(SEED_X, SEED_F, 4, 0)


# --------------------------------------------------------------------------- pooling
def test_avg_pool_is_an_exact_fraction():
    assert avg_pool([[1, 2, 3], [1, 2, 3], [0, 1, 2]], 3) == [[Fraction(15, 9)]] == [[Fraction(5, 3)]]
    assert explain_pool([[1, 2, 3], [1, 2, 3], [0, 1, 2]], 0, 0, 3, op="avg").divisor == 9


POOL_CASES = [  # (rows, cols, kernel, stride, padding, dilation, ceil_mode)
    (4, 4, 2, None, 0, 1, False),
    (5, 5, 2, 2, 0, 1, True),
    (5, 5, 2, 2, 1, 1, True),
    (7, 6, 3, 2, 1, 1, False),
    (7, 7, 3, 2, 1, 1, True),
    (8, 8, 2, 1, 0, 2, False),
    (6, 5, (2, 3), (2, 1), (1, 1), 1, True),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[str(c) for c in POOL_CASES])
def test_pools_against_torch(case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rows, cols, k, s, p, d, ceil = case
    rng = random.Random(rows * 31 + cols)
    x = random_ints(rng, rows, cols)
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    stride = k if s is None else s
    expected_max = F.max_pool2d(xt, k, stride, p, d, ceil_mode=ceil)[0, 0].long().tolist()
    assert max_pool(x, k, s, p, d, ceil) == expected_max
    if d == 1:
        for include in (True, False):
            expected = F.avg_pool2d(xt, k, stride, p, ceil_mode=ceil, count_include_pad=include)[0, 0].tolist()
            ours = avg_pool(x, k, s, p, ceil, count_include_pad=include)
            assert all(isinstance(v, Fraction) for row in ours for v in row)
            flat_ours = [float(v) for row in ours for v in row]
            assert len(ours) == len(expected) and len(ours[0]) == len(expected[0])
            assert flat_ours == pytest.approx([v for row in expected for v in row], abs=1e-12)


def test_max_pool_ignores_padding():
    assert max_pool([[-5, -6], [-7, -8]], 2, 2, 1) == [[-5, -6], [-7, -8]]


# --------------------------------------------------------------------------- errors
BAD = [
    (lambda: correlate([[1, 2], [3]], [[1]]), r"ragged: row 2 has 1 entry but row 1 has 2"),
    (lambda: correlate([], [[1]]), r"'x' matrix is empty"),
    (lambda: correlate([[1, 0.5]], [[1]]), r"row 1, column 2 is the float 0.5"),
    (lambda: correlate([[1, "a"]], [[1]]), r"row 1, column 2 is the str 'a'"),
    (lambda: correlate([[1, 2]], [[1, 2, 3]]), r"kernel 3 is larger than the padded input 2"),
    (lambda: correlate([[1, 2]], [[1]], stride=0), r"'stride' parameter must be an int >= 1"),
    (lambda: correlate([[1, 2]], [[1]], dilation=(1, 0)), r"'dilation' parameter"),
    (lambda: correlate([[1, 2]], [[1]], mode="middle"), r"'mode' parameter must be one of"),
    (lambda: correlate([[1, 2]], [[1]], mode="same", padding=1), r"either mode='same' or padding=1"),
    (lambda: correlate([[1, 2]], [[1, 1]], mode="same", stride=2), r"needs stride 1 under PyTorch"),
    (lambda: max_pool([[1, 2], [3, 4]], 2, padding=2), r"'padding' parameter must be at most half"),
    (lambda: explain_pool([[1, 2]], 0, 0, 1, op="sum"), r"'op' parameter"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_errors_name_the_parameter(call, message):
    with pytest.raises(ConvCalcError, match=message):
        call()


def test_as_matrix_flat_sequence_is_one_row():
    assert as_matrix((1, 2)) == [[1, 2]]


def test_keras_same_with_stride():
    x = [[1] * 5]
    y = correlate(x, [[1, 1, 1]], mode="same", stride=(1, 2), framework="keras")
    assert len(y[0]) == 3  # ceil(5 / 2)
