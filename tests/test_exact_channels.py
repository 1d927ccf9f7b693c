"""Multi-channel correlation and transposed convolution on exact matrices, against NumPy loops, SciPy and
PyTorch (float64 on integer data, so every float result is exact), d2l's printed examples, the work limit."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from convcalc import ConvCalcError
from convcalc.exact import (
    MAX_WORK, conv_transpose, correlate, correlate_channels, explain_channels, explain_transposed,
)
from tests.oracles import dilated_span

np = pytest.importorskip("numpy")

D2L_X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
D2L_K = [[[0, 1], [2, 3]], [[1, 2], [3, 4]]]


# --------------------------------------------------------------------------- golden: d2l's printed examples
def test_d2l_7_4_corr2d_multi_in():
    assert correlate_channels(D2L_X, D2L_K) == [[56, 72], [104, 120]]


def test_d2l_7_4_corr2d_multi_in_out():
    k3 = [[[[v + n for v in row] for row in k] for k in D2L_K] for n in range(3)]
    assert correlate_channels(D2L_X, k3) == [[[56, 72], [104, 120]], [[76, 100], [148, 172]],
                                             [[96, 128], [192, 224]]]


def test_d2l_14_10_trans_conv():
    x = k = [[0, 1], [2, 3]]
    assert conv_transpose(x, k) == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    assert conv_transpose(x, k, padding=1) == [[4]]
    assert conv_transpose(x, k, stride=2) == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]


# --------------------------------------------------------------------------- oracles
def numpy_multi(x, f, stride, padding, dilation, bias):
    """The textbook loop over maps, channels, cells and taps (NumPy int64)."""
    x = np.pad(np.array(x, dtype=np.int64), ((0, 0), (padding, padding), (padding, padding)))
    f = np.array(f, dtype=np.int64)
    o_maps, c, kh, kw = f.shape
    oh = (x.shape[1] - dilation * (kh - 1) - 1) // stride + 1
    ow = (x.shape[2] - dilation * (kw - 1) - 1) // stride + 1
    y = np.zeros((o_maps, oh, ow), dtype=np.int64)
    for o in range(o_maps):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    for u in range(kh):
                        for v in range(kw):
                            y[o, i, j] += x[ch, i * stride + u * dilation, j * stride + v * dilation] * f[o, ch, u, v]
                y[o, :, :] += 0
        y[o] += bias[o]
    return y.tolist()


@pytest.mark.parametrize("seed", range(25))
def test_random_multi_channel_against_numpy_and_torch(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    c, o_maps = rng.randint(1, 4), rng.randint(1, 3)
    k, s, p, d = rng.choice([1, 2, 3]), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 2)
    h, w = rng.randint(dilated_span(k, d), 8), rng.randint(dilated_span(k, d), 8)
    x = [[[rng.randint(-9, 9) for _ in range(w)] for _ in range(h)] for _ in range(c)]
    f = [[[[rng.randint(-5, 5) for _ in range(k)] for _ in range(k)] for _ in range(c)] for _ in range(o_maps)]
    bias = [rng.randint(-3, 3) for _ in range(o_maps)]
    got = correlate_channels(x, f, stride=s, padding=p, dilation=d, bias=bias)
    assert got == numpy_multi(x, f, s, p, d, bias)
    ref = torch.nn.functional.conv2d(torch.tensor([x], dtype=torch.float64), torch.tensor(f, dtype=torch.float64),
                                     torch.tensor(bias, dtype=torch.float64), stride=s, padding=p, dilation=d)
    assert ref[0].to(torch.int64).tolist() == got
    one = correlate_channels(x, f[0], stride=s, padding=p, dilation=d)  # a C x k x k filter: one map
    assert one == numpy_multi(x, f[:1], s, p, d, [0])[0]


@pytest.mark.parametrize("seed", range(10))
def test_multi_channel_is_the_sum_of_scipy_correlations(seed):
    signal = pytest.importorskip("scipy.signal")
    rng = random.Random(100 + seed)
    c, kh, kw = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
    x = np.array([[[rng.randint(-9, 9) for _ in range(6)] for _ in range(5)] for _ in range(c)])
    f = np.array([[[rng.randint(-5, 5) for _ in range(kw)] for _ in range(kh)] for _ in range(c)])
    for mode in ("valid", "same", "full"):
        expected = sum(signal.correlate2d(x[ch], f[ch], mode=mode) for ch in range(c))
        assert correlate_channels(x.tolist(), f.tolist(), mode=mode) == expected.tolist(), mode


def test_fractions_and_one_channel_equal_correlate():
    x = [[1, 2, 3], [4, 5, 6]]
    f = [[Fraction(1, 2), Fraction(1, 3)]]
    assert correlate_channels(x, f) == correlate(x, f)
    assert correlate_channels([x], [f]) == correlate(x, f)
    assert correlate_channels([x], [f], bias=Fraction(1, 6)) == [[v + Fraction(1, 6) for v in row]
                                                                  for row in correlate(x, f)]


def test_explain_channels_adds_up():
    rng = random.Random(7)
    x = [[[rng.randint(-9, 9) for _ in range(5)] for _ in range(5)] for _ in range(3)]
    f = [[[[rng.randint(-5, 5) for _ in range(3)] for _ in range(3)] for _ in range(3)] for _ in range(2)]
    y = correlate_channels(x, f, stride=2, padding=1, bias=[1, 0])  # the CS231n demo's geometry
    assert len(y) == 2 and len(y[0]) == 3 and len(y[0][0]) == 3
    for o in range(2):
        for i in range(3):
            for j in range(3):
                w = explain_channels(x, f, i, j, out=o, stride=2, padding=1, bias=[1, 0])
                assert w.total == y[o][i][j] == sum(c.total for c in w.channels) + [1, 0][o]
    assert explain_channels(x, f, 0, 0, out=0, stride=2, padding=1, bias=[1, 0]).text().endswith("(bias) = "
                                                                                                  f"{y[0][0][0]}")


@pytest.mark.parametrize("call, message", [
    (lambda: correlate_channels(D2L_X, [[[1]]]), "2 channels but each filter has 1"),
    (lambda: correlate_channels([[[1, 2]], [[1]]], [[[1]], [[1]]]), "channels differ in size"),
    (lambda: correlate_channels(D2L_X, [D2L_K, [[[1]], [[1]]]]), "filters differ"),
    (lambda: correlate_channels(D2L_X, D2L_K, bias=[1, 2]), "one value per output map"),
    (lambda: correlate_channels([[[[[1]]]]], [[1]]), "2-D .* or 3-D"),
    (lambda: correlate_channels(D2L_X, [[[0.5]], [[1]]]), "float"),
    (lambda: explain_channels(D2L_X, D2L_K, 0, 0, out=1), "Output map 1 does not exist"),
])
def test_channel_errors(call, message):
    with pytest.raises(ConvCalcError, match=message):
        call()


# --------------------------------------------------------------------------- transposed
@pytest.mark.parametrize("seed", range(30))
def test_random_transposed_against_torch_and_a_scatter_loop(seed):
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    h, w, kh, kw = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 4)
    s, d = (rng.randint(1, 3), rng.randint(1, 3)), (rng.randint(1, 2), rng.randint(1, 2))
    p = (rng.randint(0, 2), rng.randint(0, 2))
    op = (rng.randint(0, max(s[0], d[0]) - 1), rng.randint(0, max(s[1], d[1]) - 1))
    x = [[rng.randint(-9, 9) for _ in range(w)] for _ in range(h)]
    f = [[rng.randint(-5, 5) for _ in range(kw)] for _ in range(kh)]
    try:
        ref = torch.nn.functional.conv_transpose2d(
            torch.tensor([[x]], dtype=torch.float64), torch.tensor([[f]], dtype=torch.float64), stride=s,
            padding=p, output_padding=op, dilation=d)
    except RuntimeError:  # torch refuses the geometry (padding removes everything): so must we
        with pytest.raises(ConvCalcError):
            conv_transpose(x, f, s, p, op, d)
        return
    got = conv_transpose(x, f, stride=s, padding=p, output_padding=op, dilation=d)
    assert got == ref[0, 0].to(torch.int64).tolist()
    # the scatter loop, written the obvious way
    full = np.zeros(((h - 1) * s[0] + d[0] * (kh - 1) + 1 + op[0], (w - 1) * s[1] + d[1] * (kw - 1) + 1 + op[1]),
                    dtype=np.int64)
    for a in range(h):
        for b in range(w):
            for u in range(kh):
                for v in range(kw):
                    full[a * s[0] + u * d[0], b * s[1] + v * d[1]] += x[a][b] * f[u][v]
    assert got == full[p[0]:p[0] + len(got), p[1]:p[1] + len(got[0])].tolist()
    for i in range(len(got)):
        for j in range(len(got[0])):
            assert explain_transposed(x, f, i, j, s, p, op, d).total == got[i][j]


def test_transposed_is_the_adjoint_of_correlation():
    """<conv_transpose(y, f), x> == <y, correlate(x, f)> for stride 2: the defining property."""
    rng = random.Random(3)
    x = [[rng.randint(-9, 9) for _ in range(7)] for _ in range(7)]
    f = [[rng.randint(-5, 5) for _ in range(3)] for _ in range(3)]
    y = correlate(x, f, stride=2, padding=1)
    g = [[rng.randint(-9, 9) for _ in range(len(y[0]))] for _ in range(len(y))]
    back = conv_transpose(g, f, stride=2, padding=1)
    assert len(back) == 7 and len(back[0]) == 7
    assert sum(a * b for ra, rb in zip(back, x) for a, b in zip(ra, rb)) == \
        sum(a * b for ra, rb in zip(g, y) for a, b in zip(ra, rb))


@pytest.mark.parametrize("call, message", [
    (lambda: conv_transpose([[1]], [[1]], stride=2, output_padding=2), "output_padding"),
    (lambda: conv_transpose([[1]], [[1, 1]], padding=2), "removes more"),
    (lambda: conv_transpose([[1]], [[1]], padding="same"), "no 'same'/'full' mode"),
    (lambda: conv_transpose([[1]], [[1]], padding=-1), "padding"),
    (lambda: explain_transposed([[1]], [[1]], 1, 0), r"outside the 1x1 output"),
])
def test_transposed_errors(call, message):
    with pytest.raises(ConvCalcError, match=message):
        call()


# --------------------------------------------------------------------------- bounded work
def test_work_is_estimated_before_computing():
    big = [[1] * 1000 for _ in range(1000)]
    kernel = [[1] * 7 for _ in range(7)]
    with pytest.raises(ConvCalcError, match=r"about 49,413,764 multiply-adds, over the limit of 20,000,000.*"
                                            r"--max-work 49413764 \(library: max_work=49_413_764\)"):
        correlate(big, kernel)
    assert MAX_WORK == 20_000_000
    assert correlate([[1, 2, 3]], [[1, 1]], max_work=7) == [[3, 5]]  # 2 cells x 2 taps + 3 input cells
    with pytest.raises(ConvCalcError, match="over the limit of 9"):
        correlate([[1, 2, 3, 4]], [[1, 1]], max_work=9)
    with pytest.raises(ConvCalcError, match="transposed convolution.*over the limit"):
        conv_transpose([[1] * 100] * 100, [[1] * 10] * 10, max_work=99_999)
    with pytest.raises(ConvCalcError, match="correlation of a 3x3x3 input with 2 filters.*over the limit of 122"):
        correlate_channels([[[1] * 3] * 3] * 3, [[[[1] * 2] * 2] * 3] * 2, max_work=122)  # 2*3*4*4 + 3*9 = 123
    from convcalc.exact import max_pool

    with pytest.raises(ConvCalcError, match="max pooling.*over the limit"):
        max_pool([[1] * 10] * 10, 2, stride=1, max_work=10)
    with pytest.raises(ConvCalcError, match="max_work"):
        correlate([[1]], [[1]], max_work=-1)
    assert correlate([[1, 2]], [[1]], max_work=0) == [[1, 2]]  # 0: no limit


# --------------------------------------------------------------------------- command line
def test_cli_channels_syntax_and_json(run_cli):
    x = "0 1 2; 3 4 5; 6 7 8 | 1 2 3; 4 5 6; 7 8 9"
    data = json.loads(run_cli("correlate", x, "0 1; 2 3 | 1 2; 3 4", "--json").output)
    assert data["output"] == [[56, 72], [104, 120]] and data["shape"] == [2, 2] and data["channels"] == 2
    filters = "0 1; 2 3 | 1 2; 3 4 || 1 2; 3 4 | 2 3; 4 5 || 2 3; 4 5 | 3 4; 5 6"
    data = json.loads(run_cli("correlate", x, filters, "--json", "--explain", "2,1,1").output)
    assert data["output"][2] == [[96, 128], [192, 224]] and data["shape"] == [3, 2, 2]
    assert data["working"][0]["map"] == 2 and data["working"][0]["sum"] == 224
    brackets = json.dumps(D2L_X)
    assert json.loads(run_cli("correlate", brackets, json.dumps(D2L_K), "--json").output)["output"] == \
        [[56, 72], [104, 120]]


def test_cli_channels_text_working(run_cli):
    result = run_cli("correlate", "0 1 2; 3 4 5; 6 7 8 | 1 2 3; 4 5 6; 7 8 9", "0 1; 2 3 | 1 2; 3 4",
                     "--explain", "0,0")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Y = sum over c of X[c] ⋆ F[c]" in out and "= 0 + 1 + 6 + 12 = 19" in out
    assert "= 1 + 4 + 12 + 20 = 37" in out and "Y(0,0) = 19 + 37 = 56" in out


def test_cli_npy_channels(run_cli, tmp_path):
    np.save(tmp_path / "x.npy", np.array(D2L_X))
    np.save(tmp_path / "k.npy", np.array([D2L_K]))  # 1 x C x k x k: one output map, 3-D JSON
    data = json.loads(run_cli("correlate", str(tmp_path / "x.npy"), str(tmp_path / "k.npy"), "--json").output)
    assert data["output"] == [[[56, 72], [104, 120]]] and data["shape"] == [1, 2, 2]


def test_cli_transposed(run_cli):
    data = json.loads(run_cli("correlate", "0 1; 2 3", "0 1; 2 3", "--transposed", "--stride", "2", "--json",
                              "--explain", "3,2").output)
    assert data["output"] == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    assert data["working"][0]["sum"] == 6 and len(data["working"][0]["terms"]) == 1  # X(1,1)*F(1,0)
    text = run_cli("correlate", "0 1; 2 3", "0 1; 2 3", "--transposed", "--explain", "1,1").output
    assert "Y(1,1) = X(0,0)*F(1,1) + X(0,1)*F(1,0) + X(1,0)*F(0,1) + X(1,1)*F(0,0) = 0*3 + 1*2 + 2*1 + 3*0 = 4" in text
    padded = json.loads(run_cli("correlate", "0 1; 2 3", "0 1; 2 3", "--transposed", "--padding", "1",
                                "--json").output)
    assert padded["output"] == [[4]]
    extra = json.loads(run_cli("correlate", "1 2; 3 4", "1 1; 1 1", "--transposed", "--stride", "2",
                               "--output-padding", "1", "--json").output)
    assert extra["shape"] == [5, 5] and extra["output"][4] == [0, 0, 0, 0, 0]


CLI_ERRORS = [
    (["correlate", "1 2 | 3 4", "1 | 1 | 1"], "2 channels but each filter has 3"),
    (["correlate", "1 2 | 3 4", "1 | 1", "--convolve"], "--convolve works on one channel"),
    (["correlate", "1 2 | 3 4", "1 | 1", "--transposed"], "--transposed works on one channel"),
    (["correlate", "1 2", "1", "--transposed", "--mode", "same"], "--mode does not apply with --transposed"),
    (["correlate", "1 2", "1", "--output-padding", "1"], "add --transposed"),
    (["correlate", "1 2", "1", "--transposed", "--stride", "2", "--output-padding", "2"], "output_padding"),
    (["correlate", "1 2 | 3 4", "1 | 1", "--bias", "1,2"], "one value per output map"),
    (["correlate", "1 2 | 3 4", "1 | 1", "--explain", "1,0,0"], "'explain' parameter must be a cell"),
    (["correlate", "1 2", "1", "--max-work", "-1"], "'max-work' parameter"),
    (["correlate", "1 2 3", "1 1", "--max-work", "3"], "7 multiply-adds, over the limit of 3"),
    (["correlate", "1 2 3", "1 1", "--max-work", "3"], "raise it with --max-work 7"),
]


@pytest.mark.parametrize("args, message", CLI_ERRORS, ids=[m[:30] for _, m in CLI_ERRORS])
def test_cli_errors_one_line(run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", " ") and result.output.startswith("error:")
    assert "Traceback" not in result.output


def test_cli_explain_all_is_bounded(run_cli):
    row = " ".join(["1"] * 60)
    result = run_cli("correlate", "; ".join([row] * 60), "1", "--explain", "all")
    assert result.exit_code == 2 and "at most 2,500 cells" in result.output


def test_pool_window_of_padding_only_is_a_clear_error():
    """PyTorch gives -inf (max) or nan (avg without the padding) where a window sees no input cell."""
    torch = pytest.importorskip("torch")
    from convcalc.exact import avg_pool, max_pool

    ref = torch.nn.functional.max_pool2d(torch.tensor([[[0.0, 5.0]]]), 2, 1, 1, 2)
    assert torch.isinf(ref).all()  # the geometry is legal; the value is not exact
    with pytest.raises(ConvCalcError, match=r"cell \(0, 0\) covers only padding.*-inf"):
        max_pool([[0, 5]], 2, 1, 1, 2)
    # average pooling has no dilation and padding <= k // 2, so every window holds a real cell
    assert avg_pool([[1]], 2, 2, 1, count_include_pad=False, ceil_mode=True) == [[1]]
    legal = torch.nn.functional.max_pool2d(torch.tensor([[[0.0, 5.0]]]), 2, 1, 1, 1)
    assert max_pool([[0, 5]], 2, 1, 1, 1) == legal[0].to(torch.int64).tolist() == [[0, 5, 5], [0, 5, 5]]


def test_hopeless_work_does_not_offer_max_work(run_cli):
    with pytest.raises(ConvCalcError, match=r"padded by 99999999999999999999 .*2.00e\+41 multiply-adds, far more "
                                            r"than can ever finish"):
        correlate([[1, 0, -2], [2, 9, 5], [0, -3, 1]], [[1, 0], [0, 1]], padding=99_999_999_999_999_999_999)
    result = run_cli("check", "correlate", "--x", "1 0 -2; 2 9 5; 0 -3 1", "--f", "1 0; 0 1", "--answer", "1",
                     "--p", "99999999999999999999")
    assert result.exit_code == 2 and "padded by" in result.output and "--max-work" not in result.output


def test_cli_geometry_errors_name_the_matrices(run_cli, tmp_path):
    (tmp_path / "x.csv").write_text("1\n")
    result = run_cli("correlate", str(tmp_path / "x.csv"), "1 0; 0 1")
    assert result.exit_code == 2
    assert "matrix X (1x1, from" in result.output and "x.csv) and kernel F (2x2): kernel 2 is larger" in result.output


@pytest.mark.parametrize("args", [
    ["correlate", "1 0 -2; 2 9 5; 0 -3 1", "1 0; 0 1", "--padding", "99999999999999999999", "--stride",
     "99999999999999999999"],  # a 1x1 output, but the padded input would have 10^40 cells
    ["correlate", "1 0; 2 3", "1 0; 0 1", "--transposed", "--stride", "99999999999999999999"],
    ["correlate", "1 0; 2 3", "1 0; 0 1", "--padding", "3000", "--stride", "3000"],
])
def test_huge_padding_or_stride_is_refused_before_allocating(run_cli, args):
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: exact ") and "multiply-adds" in result.output


@pytest.mark.parametrize("value", ["١٦", "１６", "-1", "1e9", "x", "1" * 40])
def test_max_work_is_ascii_digits(run_cli, value):
    for args in (["correlate", "1 2", "1"], ["pool", "1 2", "--k", "1"]):
        result = run_cli(*args, "--max-work", value)
        assert result.exit_code == 2 and "'max-work' parameter" in result.output, (args, value, result.output)
