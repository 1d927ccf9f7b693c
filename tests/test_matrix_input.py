"""Matrix input: every accepted form gives the same exact matrix; bad input names the row and column."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest

from convcalc import ConvCalcError
from convcalc.matrix_input import matrix_from_text, matrix_from_value, parse_matrix, parse_number

SAME = [
    "[[1,0],[2,9]]",
    "[[1, 0], [2, 9]]",
    "[[1 0] [2 9]]",            # NumPy's printed form
    "[[ 1  0]\n [ 2  9]]",
    "((1, 0), (2, 9))",         # Python tuples
    "[[1, 0], [2, 9],]",        # trailing comma
    "1 0; 2 9",
    "1,0;2,9",
    "1, 0 ; 2, 9",
    "1 0\n2 9\n",
    "# a comment\n1 0\n\n2 9  # trailing comment\n",
]


@pytest.mark.parametrize("text", SAME, ids=[repr(t) for t in SAME])
def test_every_form_gives_the_same_matrix(text):
    assert parse_matrix(text) == [[1, 0], [2, 9]]


NUMBERS = [("-3", -3), ("+4", 4), ("1/3", Fraction(1, 3)), ("-1/3", Fraction(-1, 3)), ("0.5", Fraction(1, 2)),
           (".25", Fraction(1, 4)), ("1e-3", Fraction(1, 1000)), ("2.0", Fraction(2)), ("1.5/2", Fraction(3, 4)),
           ("'7'", 7)]


@pytest.mark.parametrize("text, value", NUMBERS, ids=[t for t, _ in NUMBERS])
def test_numbers_are_exact(text, value):
    got = parse_number(text)
    assert got == value and type(got) is type(value)


def test_fractions_stay_exact_in_a_matrix():
    m = parse_matrix("1/3 0.1; -2 7/7")
    assert m == [[Fraction(1, 3), Fraction(1, 10)], [-2, Fraction(1)]]
    assert isinstance(m[0][1], Fraction)


def test_one_row_and_a_flat_literal():
    assert parse_matrix("1 2 3") == [[1, 2, 3]] == parse_matrix("[1, 2, 3]")


def test_toml_values_with_strings_and_floats():
    assert matrix_from_value([[1, "1/3"], [0.1, 2.0]]) == [[1, Fraction(1, 3)], [Fraction(1, 10), 2]]


BAD = [
    ("1 2; 3", r"ragged: row 2 has 1 entry but row 1 has 2 \(column 2 is missing\)"),
    ("[[1, 2], [3, 4, 5]]", r"row 2 has 3 entries but row 1 has 2 \(column 3 is extra\)"),
    ("1 a; 2 3", r"matrix X, row 1, column 2: 'a' is not a number"),
    ("1 2; 3 4x", r"row 2, column 2: '4x' is not a number"),
    ("1/0", r"row 1, column 1: '1/0' divides by zero"),
    ("", r"matrix X is empty"),
    ("  ;  ; ", r"matrix X is empty"),
    ("[]", r"matrix X is empty"),
    ("[[1, 2]", r"a '\[' is never closed"),
    ("[[1, 2]]]", r"unbalanced '\]'"),
    ("[[[1]]]", r"row 1, column 1: .* nested too deeply"),
    ("[[1, 2], 3]", r"matrix X, row 2: '3' is not a list of numbers"),
    ("[[true, 1]]", r"row 1, column 1: 'true' is not a number"),
    ("missing.csv", r"file 'missing.csv' does not exist"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[repr(t) for t, _ in BAD])
def test_errors_name_row_and_column(text, message):
    with pytest.raises(ConvCalcError, match=message):
        parse_matrix(text)


def test_error_uses_the_matrix_name():
    with pytest.raises(ConvCalcError, match=r"matrix F, row 1, column 1"):
        parse_matrix("z", "F")


def test_nan_and_booleans_from_values():
    with pytest.raises(ConvCalcError, match="not a finite number"):
        matrix_from_value([[float("nan")]])
    with pytest.raises(ConvCalcError, match="True is not a number"):
        matrix_from_value([[True]])


def test_txt_and_csv_files(tmp_path):
    (tmp_path / "x.txt").write_text("# X\n1 0\n2 9\n")
    (tmp_path / "x.csv").write_text("1,0\n2,9\n")
    (tmp_path / "lit.txt").write_text("[[1, 0],\n [2, 9]]\n")
    for name in ("x.txt", "x.csv", "lit.txt"):
        assert parse_matrix(str(tmp_path / name)) == [[1, 0], [2, 9]]


def test_npy_file(tmp_path):
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "i.npy", np.array([[1, 0], [2, 9]], dtype=np.int32))
    np.save(tmp_path / "f.npy", np.array([[0.5, 2.0], [0.1, -3.0]]))
    np.save(tmp_path / "v.npy", np.array([1, 2, 3]))
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    assert parse_matrix(str(tmp_path / "i.npy")) == [[1, 0], [2, 9]]
    assert parse_matrix(str(tmp_path / "f.npy")) == [[Fraction(1, 2), 2], [Fraction(1, 10), -3]]
    with pytest.raises(ConvCalcError, match=r"'.*v.npy' holds a 1-D array of 3 values; a matrix is 2-D: save "
                                            r"x.reshape\(1, -1\) for one row"):
        parse_matrix(str(tmp_path / "v.npy"))  # row or column? never guessed
    with pytest.raises(ConvCalcError, match="3-D array; it must be 2-D"):
        parse_matrix(str(tmp_path / "cube.npy"))


def test_stdin():
    assert parse_matrix("-", stdin=io.StringIO("1 0\n2 9\n")) == [[1, 0], [2, 9]]


def test_never_evaluates():
    with pytest.raises(ConvCalcError):
        matrix_from_text("[[__import__('os').getcwd()]]")
