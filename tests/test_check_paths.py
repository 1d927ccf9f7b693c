"""Answer-file paths stay inside the answer file's folder (or --data-dir); file contents are never echoed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from convcalc import ConvCalcError
from convcalc.check import check_file
from convcalc.check_paths import resolve_inside

SECRET = "TOPSECRET-7f3a9 grader key"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """grader/secret.txt (outside), grader/class/student/ (the answer folder), and a data folder."""
    grader = tmp_path / "grader"
    student = grader / "class" / "student"
    data = grader / "data"
    student.mkdir(parents=True)
    data.mkdir()
    secret = grader / "secret.txt"
    secret.write_text(SECRET + "\n1 2\n")
    (grader / "secret.csv").write_text(SECRET + "\n")
    (student / "x.csv").write_text("1 2; 3 4\n")
    (student / "net.txt").write_text("conv(8, 3)\nflatten\ndense(10)\n")
    (data / "x.csv").write_text("1 0; 0 1\n")
    return {"grader": grader, "student": student, "data": data, "secret": secret}


def answer_file(folder: Path, **fields: str) -> Path:
    lines = ["[[question]]", 'id = "q"']
    lines += [f"{k} = {json.dumps(v) if isinstance(v, str) else v}" for k, v in fields.items()]
    path = folder / "answers.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _escapes(layout: dict[str, Path]) -> list[str]:
    secret = layout["secret"]
    return [str(secret), str(secret.with_suffix(".csv")), "../../secret.csv", "../../secret.txt",
            "sub/../../../secret.csv", "~/secret.csv", "..\\..\\secret.csv", "/etc/passwd.csv"]


def test_matrix_paths_cannot_leave_the_folder(layout, run_cli):
    for path in _escapes(layout):
        if not path.endswith(".csv"):
            continue
        answers = answer_file(layout["student"], kind="correlate", x=path, f="1", answer="1")
        with pytest.raises(ConvCalcError, match=r"field 'x'.*(absolute|leaves|leads out).*relative to its folder"):
            check_file(answers)
        result = run_cli("check", str(answers))
        assert result.exit_code == 2, (path, result.output)
        assert SECRET not in result.output and len(result.output.strip().splitlines()) == 1
        assert result.output.startswith("error:")
        data = run_cli("check", str(answers), "--json")
        assert data.exit_code == 2 and SECRET not in data.output


def test_spec_paths_cannot_leave_the_folder(layout, run_cli):
    for path in _escapes(layout) + ["@" + str(layout["secret"]), "@../../secret.txt"]:
        answers = answer_file(layout["student"], kind="params", spec=path, input="1x8x8", answer=1)
        result = run_cli("check", str(answers))
        assert result.exit_code == 2, (path, result.output)
        assert SECRET not in result.output and "TOPSECRET" not in result.output, path
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_symlink_out_of_the_folder_is_refused(layout, run_cli):
    link = layout["student"] / "innocent.csv"
    link.symlink_to(layout["grader"] / "secret.csv")
    answers = answer_file(layout["student"], kind="correlate", x="innocent.csv", f="1", answer="1")
    result = run_cli("check", str(answers))
    assert result.exit_code == 2 and "symbolic link" in result.output and SECRET not in result.output
    folder_link = layout["student"] / "up"
    folder_link.symlink_to(layout["grader"], target_is_directory=True)
    answers = answer_file(layout["student"], kind="params", spec="up/secret.txt", answer=1)
    result = run_cli("check", str(answers))
    assert result.exit_code == 2 and "symbolic link" in result.output and SECRET not in result.output


def test_symlink_inside_the_folder_is_fine(layout):
    (layout["student"] / "alias.csv").symlink_to(layout["student"] / "x.csv")
    answers = answer_file(layout["student"], kind="correlate", x="alias.csv", f="1", answer="1 2; 3 4")
    assert check_file(answers).all_right


def test_relative_paths_inside_work(layout):
    sub = layout["student"] / "sub"
    sub.mkdir()
    (sub / "y.csv").write_text("5 6\n")
    answers = answer_file(layout["student"], kind="correlate", x="./sub/y.csv", f="1", answer="5 6")
    assert check_file(answers).all_right
    answers = answer_file(layout["student"], kind="params", spec="net.txt", input="1x8x8", answer=2_970)
    report = check_file(answers)
    assert report.verdicts[0].correct == (8 * 9 + 8) + (8 * 6 * 6 * 10 + 10) and report.all_right
    answers = answer_file(layout["student"], kind="params", spec="@net.txt", input="1x8x8", answer=2_970)
    assert check_file(answers).all_right


def test_data_dir(layout, run_cli):
    answers = answer_file(layout["student"], kind="correlate", x="x.csv", f="1", answer="1 0; 0 1")
    assert not check_file(answers).all_right  # the student's own x.csv
    assert check_file(answers, data_dir=layout["data"]).all_right
    result = run_cli("check", str(answers), "--data-dir", str(layout["data"]))
    assert result.exit_code == 0, result.output
    escape = answer_file(layout["student"], kind="correlate", x="../secret.csv", f="1", answer="1")
    result = run_cli("check", str(escape), "--data-dir", str(layout["data"]))
    assert result.exit_code == 2 and SECRET not in result.output
    missing = run_cli("check", str(answers), "--data-dir", str(layout["grader"] / "nope"))
    assert missing.exit_code == 2 and "--data-dir" in missing.output
    for odd in ("d" * 100_000, "a\x00b", str(layout["grader"] / "secret.txt")):
        result = run_cli("check", str(answers), "--data-dir", odd)
        assert result.exit_code == 2 and "is not a folder" in result.output and len(result.output) < 300
    inline = run_cli("check", "outsize", "--in", "5", "--k", "3", "--answer", "3", "--data-dir", "x")
    assert inline.exit_code == 2 and "answer files only" in inline.output


def test_contents_never_echoed_for_bad_files_inside(layout, run_cli):
    """A file inside the folder that is not a matrix / not a spec: row and column named, text never shown."""
    (layout["student"] / "bad.csv").write_text(f"1 2\n3 {SECRET}\n")
    answers = answer_file(layout["student"], kind="correlate", x="bad.csv", f="1", answer="1")
    result = run_cli("check", str(answers))
    assert result.exit_code == 2 and SECRET not in result.output and "TOPSECRET" not in result.output
    assert "row 2" in result.output and "bad.csv" in result.output
    (layout["student"] / "bad.txt").write_text(f"conv(8, 3)\n{SECRET}\n")
    answers = answer_file(layout["student"], kind="params", spec="bad.txt", input="1x8x8", answer=1)
    result = run_cli("check", str(answers))
    assert result.exit_code == 2 and "TOPSECRET" not in result.output and "line 2" in result.output
    answers = answer_file(layout["student"], kind="correlate", x="x.csv", f="1", answer="bad.csv")
    result = run_cli("check", str(answers), "--json")
    assert result.exit_code == 2 and "TOPSECRET" not in result.output


def test_missing_and_unreadable_inside(layout, run_cli, monkeypatch):
    answers = answer_file(layout["student"], kind="correlate", x="nope.csv", f="1", answer="1")
    result = run_cli("check", str(answers))
    assert result.exit_code == 2 and "'nope.csv' does not exist" in result.output
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "x.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    answers = answer_file(layout["student"], kind="correlate", x="x.csv", f="1", answer="1")
    result = run_cli("check", str(answers))
    assert result.exit_code == 2 and "'x.csv' is unreadable (permission denied)" in result.output


def test_bare_spec_word_is_never_read_from_the_working_directory(layout, run_cli, monkeypatch):
    monkeypatch.chdir(layout["grader"])
    (layout["grader"] / "conv3-32,pool2").write_text(SECRET)
    answers = answer_file(layout["student"], kind="params", spec="conv3-32,pool2", input="1x8x8", answer=1)
    result = run_cli("check", str(answers))
    assert "TOPSECRET" not in result.output
    (layout["grader"] / "flatten").write_text("conv(8, 3)\n")  # a valid spec: reading it would change the count
    answers = answer_file(layout["student"], kind="params", spec="flatten", input="1x8x8", answer=0)
    result = run_cli("check", str(answers))
    assert result.exit_code == 0, result.output  # Flatten has no parameters; conv(8, 3) would have 80


@pytest.mark.parametrize("value", ["", "a\x00b", "/abs", "C:\\x.csv", "\\\\server\\share\\x.csv", "../x", "a/../../x"])
def test_resolve_inside_refuses(value, tmp_path):
    with pytest.raises(ConvCalcError):
        resolve_inside(value, tmp_path)


def test_resolve_inside_accepts(tmp_path):
    assert resolve_inside("a/b.csv", tmp_path) == Path(os.path.realpath(tmp_path)) / "a" / "b.csv"
    assert resolve_inside("./b.csv", tmp_path) == Path(os.path.realpath(tmp_path)) / "b.csv"


def test_the_issue_examples(layout, run_cli):
    """Issue 17: spec = "/path/secret.txt" and x = "/etc/passwd" read the file and printed a line of it."""
    for field, value in (("spec", str(layout["secret"])), ("x", "/etc/passwd"), ("spec", "/etc/passwd"),
                         ("x", str(layout["secret"]))):
        fields = {"kind": "params", "spec": value, "input": "1x8x8", "answer": 1} if field == "spec" else \
            {"kind": "correlate", "x": value, "f": "1", "answer": 1}
        answers = answer_file(layout["student"], **fields)
        for extra in ([], ["--json"]):
            result = run_cli("check", str(answers), *extra)
            assert result.exit_code == 2, (field, value, result.output)
            assert "TOPSECRET" not in result.output and "root:" not in result.output
