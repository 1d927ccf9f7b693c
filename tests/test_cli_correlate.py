"""`convcalc correlate` and `convcalc pool`: golden output, JSON, matrices that start with a dash, errors."""

from __future__ import annotations

import json

import pytest

SEED_X = "1 0 -2 3 4 1; 2 9 5 6 0 -1; 0 -3 1 3 4 4; 6 5 2 0 6 8; -5 4 -3 1 3 -2; 4 1 2 8 9 7"
SEED_F = "-1 -1 -1; -1 8 -1; -1 -1 -1"
SEED_Y = [[68, 23, 30, -24], [-54, -19, 0, 6], [38, 8, -17, 27], [20, -47, -19, -13]]

GOLDEN = {
    "correlate_seed": ["correlate", SEED_X, SEED_F],
    "correlate_seed_explain_00": ["correlate", SEED_X, SEED_F, "--explain", "0,0"],
    "correlate_padding_stride": ["correlate", "1 2 3; 4 5 6; 7 8 9", "1 0; 0 -1", "--padding", "1", "--stride", "2",
                                 "--explain", "0,0"],
    "correlate_convolve_full": ["correlate", "[[1, 2], [3, 4]]", "[[1, 1/2]]", "--mode", "full", "--convolve",
                                "--explain", "1,2"],
    "correlate_dilation": ["correlate", "1 2 3 4 5; 6 7 8 9 10; 11 12 13 14 15", "1 1", "--dilation", "1,3"],
    "correlate_pool_avg": ["pool", "1 2 3; 1 2 3; 0 1 2", "--k", "3", "--avg", "--explain", "0,0"],
    "correlate_pool_max_ceil": ["pool", "1 5 2; 3 4 8; 0 2 7", "--k", "2", "--ceil", "--explain", "1,1"],
    # d2l 7.4 (corr2d_multi_in, then corr2d_multi_in_out with K, K + 1, K + 2) and 14.10 (trans_conv)
    "correlate_channels_d2l": ["correlate", "0 1 2; 3 4 5; 6 7 8 | 1 2 3; 4 5 6; 7 8 9", "0 1; 2 3 | 1 2; 3 4",
                               "--explain", "1,1"],
    "correlate_channels_maps_bias": ["correlate", "0 1 2; 3 4 5; 6 7 8 | 1 2 3; 4 5 6; 7 8 9",
                                     "0 1; 2 3 | 1 2; 3 4 || 1 2; 3 4 | 2 3; 4 5 || 2 3; 4 5 | 3 4; 5 6",
                                     "--bias", "1,0,-1", "--padding", "1", "--stride", "2", "--explain", "2,0,0"],
    "correlate_transposed_d2l": ["correlate", "0 1; 2 3", "0 1; 2 3", "--transposed", "--stride", "2",
                                 "--explain", "1,1", "--explain", "3,2"],
    "correlate_transposed_padding": ["correlate", "1 2; 3 4", "1 0 -1; 2 1 0; 0 1 1", "--transposed", "--stride",
                                     "2", "--padding", "1", "--output-padding", "1", "--explain", "0,0"],
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name, run_cli, golden):
    result = run_cli(*GOLDEN[name])
    assert result.exit_code == 0, result.output
    golden(name, result.output)


def test_seed_y_from_the_cli(run_cli):
    result = run_cli("correlate", SEED_X, SEED_F, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["output"] == SEED_Y and data["shape"] == [4, 4]


def test_explain_reproduces_the_seed_working(run_cli):
    out = run_cli("correlate", SEED_X, SEED_F, "--explain", "0,0").output
    assert "[-2 72 -5]" in out
    assert "= (-1) + 0 + 2 + (-2) + 72 + (-5) + 0 + 3 + (-1) = 68" in out


def test_json_fractions_are_strings(run_cli):
    data = json.loads(run_cli("correlate", "1 2 3", "1/3 1/3", "--json", "--explain", "0,1").output)
    assert data["output"] == [[1, "5/3"]]
    assert data["working"][0]["products"] == [["2/3", 1]] and data["working"][0]["sum"] == "5/3"


def test_explain_all(run_cli):
    data = json.loads(run_cli("correlate", "1 2; 3 4", "1", "--explain", "all", "--json").output)
    assert [w["cell"] for w in data["working"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]


def test_pool_json(run_cli):
    data = json.loads(run_cli("pool", "1 2 3; 1 2 3; 0 1 2", "--k", "3", "--avg", "--json").output)
    assert data["output"] == [["5/3"]]
    data = json.loads(run_cli("pool", "1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3", "--k", "2", "--json").output)
    assert data["output"] == [[5, 8], [9, 7]]


def test_matrix_files_and_stdin(run_cli, tmp_path):
    (tmp_path / "x.csv").write_text(SEED_X.replace(";", "\n").replace(" ", ","))
    result = run_cli("correlate", str(tmp_path / "x.csv"), "-", "--json", input=SEED_F.replace(";", "\n"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["output"] == SEED_Y


ERRORS = [
    (["correlate", "1 2; 3", "1"], "ragged: row 2 has 1 entry"),
    (["correlate", "1 2", "1 2 3"], "kernel 3 is larger than the padded input 2"),
    (["correlate", "1 2", "1", "--mode", "half"], "'mode' parameter"),
    (["correlate", "1 2", "1", "--explain", "x"], "'explain' parameter"),
    (["correlate", "1 2", "1", "--explain", "5,5"], "must be a cell of the 1x2 output: I in 0..0 and J in 0..1"),
    (["correlate", "1 2", "1", "--explain", "-1,0"], "'explain' parameter must be a cell of the 1x2 output"),
    (["correlate", "1 2", "1", "--padding", "-1"], "'padding' parameter"),
    (["correlate", "1 2; 3 4", "nofile.csv"], "file 'nofile.csv' does not exist"),
    (["correlate", "1 x", "1"], "row 1, column 2: 'x' is not a number"),
    (["correlate", "1 2"], "Missing argument 'F'"),
    (["pool", "1 2; 3 4"], "Missing option '--k'"),
    (["correlate", "-", "-"], "only one matrix can come from standard input"),
    (["correlate", "1 2", "1", "--framework", "caffe"], "'framework' parameter must be torch or keras"),
    (["pool", "1 2; 3 4", "--k", "2", "--explain", "1,1"], "must be a cell of the 1x1 output"),
    (["correlate", "1 2", "1", "--stride", "0"], "'stride' parameter"),
    (["pool", "1 2; 3 4", "--k", "2", "--avg", "--d", "2"], "'dilation' parameter"),
    (["pool", "1 2; 3 4", "--k", "3"], "pool window 3 is larger"),
]


@pytest.mark.parametrize("args, message", ERRORS, ids=[m for _, m in ERRORS])
def test_errors_exit_2_with_one_line(args, run_cli, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output


def _window_cells(output: str, title: str) -> set[tuple[int, int]]:
    """The (row, col) of every [bracketed] cell in the grid under ``title`` (plain text, no colour)."""
    lines = output[output.index(title):].splitlines()[1:]
    columns = lines[0].split()
    cells = set()
    for line in lines[2:]:
        if not line or not line.split()[0].lstrip("-").isdigit() or "=" in line:
            break
        row, *entries = line.split()
        cells |= {(int(row), int(columns[k])) for k, entry in enumerate(entries) if entry.startswith("[")}
    return cells


@pytest.mark.parametrize(("args", "cell", "window"), [
    (["correlate", SEED_X, SEED_F, "--explain", "2,1"], "Y(2,1)", {(r, c) for r in (2, 3, 4) for c in (1, 2, 3)}),
    (["correlate", SEED_X, "1 1; 1 1", "--dilation", "2", "--explain", "1,2"], "Y(1,2)",
     {(r, c) for r in (1, 3) for c in (2, 4)}),
    (["correlate", "1 2 3; 4 5 6; 7 8 9", "1 0; 0 -1", "--padding", "1", "--stride", "2", "--explain", "0,0"],
     "Y(0,0)", {(-1, -1), (-1, 0), (0, -1), (0, 0)}),
    (["pool", "1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3", "--k", "2", "--explain", "1,0"], "Y(1,0)",
     {(2, 0), (2, 1), (3, 0), (3, 1)}),
], ids=["seed", "dilated", "padded", "pool"])
def test_the_explained_window_is_bracketed_in_plain_text(run_cli, args, cell, window):
    """In a pipe there is no reverse video: the window's cells, and only those, are in brackets."""
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert _window_cells(result.output, f"X, the window of {cell} in [brackets]") == window


def test_max_pool_padding_reads_minus_infinity(run_cli):
    out = run_cli("pool", "1 2; 3 4", "--k", "2", "--p", "1", "--explain", "0,0").output
    assert "[-inf]" in out and "padding (-inf) is never the max" in out and "Y(0,0) = max(1) = 1" in out


def test_wide_matrices_are_never_wrapped_in_a_pipe(run_cli):
    row = " ".join(f"{k}/7" for k in range(1, 31))
    result = run_cli("correlate", row, "1", "--explain", "0,29")
    lines = result.output.splitlines()
    assert result.exit_code == 0 and len([line for line in lines if line.startswith("0 ")]) == 2
    assert lines[3].split()[-1] == "30/7" and not [line for line in lines if line != line.rstrip()]
