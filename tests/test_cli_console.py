"""print_error keeps every line short: a long value the user typed is abbreviated, not echoed whole
(issue 15: a 1 MB argument gave a 200,000-character error line), and a caret stays under its column."""

from __future__ import annotations

import pytest

from convcalc.cli._console import MAX_LINE, print_error, shorten_message


def test_short_messages_are_unchanged():
    text = "The 'padding' parameter must be one of 'valid', 'same'. Got 'vaild'."
    assert shorten_message(text) == text


def test_a_long_quoted_value_is_abbreviated_with_its_length():
    text = f"Invalid value for '--epochs': '{'a' * 1_000_000}' is not a valid integer."
    out = shorten_message(text)
    assert len(out) < 300 and "1,000,000 characters" in out and out.endswith("is not a valid integer.")
    path = "/tmp/" + "d" * 200 + "/h.json"  # a path of 213 characters is shown whole
    assert shorten_message(f"--history '{path}' exists") == f"--history '{path}' exists"
    assert out.startswith("Invalid value for '--epochs': 'aaaa")


def test_a_long_unquoted_line_is_cut():
    out = shorten_message("x" * 50_000)
    assert len(out) <= MAX_LINE and "50,000 characters" in out


def test_a_caret_stays_under_its_column_in_a_window():
    spec = "conv(8,3) " * 2000 + "conv(8,3 oops" + " relu" * 2000
    col = spec.index("oops")
    text = f"spec syntax error at column {col + 1}: expected ','\n  {spec}\n  {' ' * col}^"
    first, line, caret = shorten_message(text).split("\n")
    assert len(line) <= MAX_LINE and len(caret) <= MAX_LINE
    assert line[caret.index("^"):].startswith("oops")


@pytest.mark.parametrize("value", ["a" * 1_000_000, "(" * 10_001, "2x" * 2000])
def test_cli_usage_errors_stay_short(run_cli, value):
    result = run_cli("train", "--epochs", value)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) < 400 and "--epochs" in lines[0]


def test_print_error_writes_one_short_line(capsys):
    print_error("bad: '" + "z" * 10_000 + "'")
    err = capsys.readouterr().err
    assert err.startswith("error: bad: 'zzz") and len(err) < 300 and "10,000 characters" in err


def test_control_characters_and_newlines_in_a_value_are_escaped():
    assert shorten_message("The file '/x/bad\nname.toml' is bad") == "The file '/x/bad\\nname.toml' is bad"
    assert shorten_message("The file '/x/\x1b[2Jname' is bad") == "The file '/x/\\x1b[2Jname' is bad"
    kept = "spec syntax error at column 3\n  conv(8\n     ^"  # convcalc's own context lines stay lines
    assert shorten_message(kept) == kept


def test_an_unsearchable_convcalc_data_entry_is_said_not_a_crash(run_cli, monkeypatch):
    monkeypatch.setenv("CONVCALC_DATA", "d" * 100_000)
    result = run_cli("train", "--data", "mnist", "--epochs", "1", "--limit", "64")
    assert result.exit_code == 2 and "cannot be searched" in result.output and "internal error" not in result.output
