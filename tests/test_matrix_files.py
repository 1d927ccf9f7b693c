"""Hostile matrix files: one ConvCalcError (CLI: one `error:` line, exit 2) naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from convcalc import ConvCalcError
from convcalc.matrix_input import MAX_CELLS, MAX_FILE_BYTES, parse_matrix, read_matrix_file

np = pytest.importorskip("numpy")


def _write(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a regex its error must match)."""
    cases: dict[str, tuple[Path, str]] = {}

    def add(name: str, data: bytes, pattern: str) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        cases[name] = (path, pattern)

    add("binary.txt", bytes(range(256)), "NUL bytes")
    add("nul.csv", b"1 2\x00 3\n", "NUL bytes")
    add("latin1.txt", "1 2 \xe9 3\n".encode("latin-1"), r"not UTF-8 text \(an invalid byte at offset 4\)")
    add("text.npy", b"1 2; 3 4\n", "does not start with the .npy magic bytes")
    add("cut.npy", _npy(np.arange(6).reshape(2, 3))[:60], "header is damaged|not a valid .npy")
    add("cut_data.npy", _npy(np.arange(600).reshape(20, 30))[:200], "not a valid .npy")
    add("one_d.npy", _npy(np.arange(5)), r"1-D array of 5 values; a matrix is 2-D")
    add("zero_d.npy", _npy(np.array(3)), r"0-D array; it must be 2-D")
    add("cube.npy", _npy(np.zeros((2, 2, 2))), r"3-D array; it must be 2-D")
    add("five.npy", _npy(np.zeros((1, 1, 1, 1, 1))), r"5-D array; it must be 2-D")
    add("bools.npy", _npy(np.array([[True]])), "bool values, not numbers")
    add("complex.npy", _npy(np.array([[1j]])), "complex128 values, not numbers")
    add("nan.npy", _npy(np.array([[np.nan]])), "not a finite number")
    add("huge_shape.npy", _npy_header((100_000, 100_000), "<i8"), r"declares a 100000x100000 array .*at most")
    add("objects.npy", _npy(np.array([[1, None]], dtype=object), allow_pickle=True),
        r"Python objects \(pickles are never loaded\)")
    add("many.txt", (b"1 " * 1100 + b"\n") * 1000, r"about 1,100,000 entries; at most 1,000,000")
    return cases


def _npy(array: object, allow_pickle: bool = False) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    """A .npy header declaring a huge array, with no data behind it (loading it would allocate 80 GB)."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def test_each_hostile_file_is_one_error_naming_it(tmp_path):
    for name, (path, pattern) in _write(tmp_path).items():
        with pytest.raises(ConvCalcError, match=pattern) as info:
            parse_matrix(str(path))
        assert name in str(info.value) and "\n" not in str(info.value), name


def test_cli_one_line_exit_2(tmp_path, run_cli):
    for name, (path, _) in _write(tmp_path).items():
        if name == "cube.npy":
            continue  # C x H x W: a multi-channel input for correlate (tests/test_exact_channels.py)
        result = run_cli("correlate", str(path), "1")
        assert result.exit_code == 2, (name, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and name in lines[0], (name, result.output)


def test_npy_loads_without_pickles(tmp_path, monkeypatch):
    path = tmp_path / "ok.npy"
    np.save(path, np.array([[1, 2], [3, 4]]))
    seen = []
    real_load = np.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    assert parse_matrix(str(path)) == [[1, 2], [3, 4]]
    assert seen == [False]


def test_huge_npy_is_refused_before_loading(tmp_path, monkeypatch):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header((100_000, 100_000), "<i8"))
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("np.load must not run for a huge declared shape"))
    with pytest.raises(ConvCalcError, match="declares"):
        parse_matrix(str(path))


def test_file_size_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    with path.open("wb") as handle:  # sparse: no disk used
        handle.truncate(MAX_FILE_BYTES + 1)
    monkeypatch.setattr(Path, "open", lambda *a, **k: pytest.fail("a file over the limit must not be opened"))
    with pytest.raises(ConvCalcError, match=r"'.*big.txt' is 16.0 MiB; such files are limited to 16.0 MiB"):
        parse_matrix(str(path))


def test_unreadable_is_not_missing(tmp_path, monkeypatch):
    path = tmp_path / "locked.csv"
    path.write_text("1 2\n")
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(ConvCalcError, match=r"'.*locked.csv' is unreadable \(permission denied\)"):
        parse_matrix(str(path))
    with pytest.raises(ConvCalcError, match=r"does not exist"):
        parse_matrix(str(tmp_path / "gone.csv"))


def test_folder_and_long_names(tmp_path, run_cli):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(ConvCalcError, match="is a folder, not a file"):
        parse_matrix(str(folder))
    long_name = "a" * 300 + ".csv"
    with pytest.raises(ConvCalcError, match=r"name too long") as info:
        parse_matrix(long_name)
    assert len(str(info.value)) < 250  # the name is cut in the middle
    result = run_cli("correlate", "b" * 5000, "1")  # not a file name at all: read as text
    assert result.exit_code == 2 and result.output.startswith("error:")


def test_stdin_limits():
    import io

    with pytest.raises(ConvCalcError, match="NUL bytes"):
        parse_matrix("-", stdin=io.StringIO("1 2\x00"))
    with pytest.raises(ConvCalcError, match="at most 1,000,000"):
        parse_matrix("-", stdin=io.StringIO("1 " * (MAX_CELLS + 5)))


def test_quiet_errors_give_the_place_not_the_text(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("1 2\n3 SECRET\n")
    with pytest.raises(ConvCalcError) as info:
        read_matrix_file(path, echo=False)
    assert "SECRET" not in str(info.value) and "row 2, column 2" in str(info.value)
    with pytest.raises(ConvCalcError, match="SECRET"):  # the user's own file on the command line: shown
        read_matrix_file(path)


@pytest.mark.parametrize("text, message", [
    ("1" * 10_000, r"a number of 10,000 characters; at most 100"),
    ("-" + "7" * 5000 + " 1", r"a number of 5,001 characters"),
    ("1e999999999 2", r"exponent 999999999; at most 100"),
    ("1/3e-101", r"exponent"),
    ("[" * 10_000 + "1" + "]" * 10_000, r"nested more than 4 deep"),
    ("(" * 10_000, r"nested more than 4 deep"),
    ("¹⁶ 2", r"'¹⁶' is not a number"),
    ("١٢ 3", r"is not a number"),  # Arabic-Indic digits: not read as 12
])
def test_hostile_literals(text, message, run_cli):
    with pytest.raises(ConvCalcError, match=message):
        parse_matrix(text)
    result = run_cli("correlate", text, "1")
    assert result.exit_code == 2 and result.output.startswith("error:") and len(result.output) < 2000


def test_hostile_files_and_stdin(tmp_path, run_cli):
    (tmp_path / "huge_cell.txt").write_text("1" * 10_000 + " 2\n")
    (tmp_path / "deep.txt").write_text("[" * 5000 + "1" + "]" * 5000)
    for name in ("huge_cell.txt", "deep.txt"):
        result = run_cli("correlate", str(tmp_path / name), "1")
        assert result.exit_code == 2 and result.output.startswith("error:"), result.output
    for data in (b"1 2 \xff\xfe", bytes(range(256))):
        path = tmp_path / "stdin.bin"
        path.write_bytes(data)
        with path.open("r", encoding="utf-8") as handle:
            with pytest.raises(ConvCalcError, match="standard input"):
                parse_matrix("-", stdin=handle)
