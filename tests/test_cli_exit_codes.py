"""Exit statuses of the command line (docs/limits.md): 0 right, 1 wrong answers / partial, 2 bad input,
3 internal error (one line, traceback only with --debug or CONVCALC_DEBUG=1), 130 Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from convcalc.cli.main import EXIT_INTERNAL, EXIT_INTERRUPTED


def _boom(*args, **kwargs):
    raise ZeroDivisionError("forced for the test")


def test_the_codes_are_the_documented_ones():
    assert (EXIT_INTERNAL, EXIT_INTERRUPTED) == (3, 130)


def test_an_internal_error_exits_3_with_one_line_and_where_to_report(run_cli, monkeypatch):
    from convcalc.nn import session

    monkeypatch.delenv("CONVCALC_DEBUG", raising=False)
    monkeypatch.setattr(session, "run", _boom)
    result = run_cli("train", "--epochs", "1", "--limit", "100")
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: internal error")
    assert "ZeroDivisionError: forced for the test" in lines[0] and "report" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("how", ["env", "option-first", "option-last"])
def test_debug_shows_the_traceback(run_cli, monkeypatch, how):
    from convcalc.nn import session

    monkeypatch.setattr(session, "run", _boom)
    args = ["train", "--epochs", "1"]
    if how == "env":
        monkeypatch.setenv("CONVCALC_DEBUG", "1")
    elif how == "option-first":
        args = ["--debug", *args]
    else:
        args = [*args, "--debug"]
    result = run_cli(*args)
    assert result.exit_code == 3
    assert "Traceback" in result.output and "ZeroDivisionError" in result.output


def test_ctrl_c_outside_training_exits_130_with_one_line(run_cli, monkeypatch):
    from convcalc.nn import session

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "evaluate_saved", interrupted)
    result = run_cli("evaluate", "model.npz")
    assert result.exit_code == 130, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: interrupted (Ctrl-C)"], result.output


def test_bad_input_is_still_2_and_a_wrong_answer_still_1(run_cli):
    assert run_cli("outsize", "--in", "16", "--k", "0").exit_code == 2
    wrong = run_cli("check", "outsize", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4", "--answer", "8")
    assert wrong.exit_code == 1, wrong.output
    right = run_cli("check", "outsize", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4", "--answer", "7")
    assert right.exit_code == 0, right.output


def test_installed_command_exits_3_on_an_internal_error(tmp_path):
    """The real entry point, in a fresh process: a crash is never 1 ('answers wrong')."""
    script = ("import sys, convcalc.nn.session as s\n"
              "def boom(*a, **k): raise RuntimeError('forced')\n"
              "s.run = boom\n"
              "from convcalc.cli.main import app\n"
              "sys.argv = ['convcalc', 'train', '--epochs', '1']\n"
              "app()\n")
    env = {k: v for k, v in os.environ.items() if k != "CONVCALC_DEBUG"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 3, out.stderr
    assert out.stderr.count("\n") == 1 and "RuntimeError: forced" in out.stderr
