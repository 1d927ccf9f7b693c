"""`convcalc outsize` and `convcalc solve`: golden output, JSON contract, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

GOLDEN_RUNS = {
    "outsize_seed_hw5": ["outsize", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4"],
    "outsize_same_even_kernel": ["outsize", "--in", "28x28", "--k", "4", "--p", "same"],
    "outsize_keras_same_stride2": ["outsize", "--in", "224x224", "--k", "7", "--s", "2", "--p", "same",
                                   "--framework", "keras"],
    "outsize_uncovered_rows": ["outsize", "--in", "29,28", "--k", "3", "--s", "4"],
    "outsize_pool_ceil_dropped": ["outsize", "--in", "5", "--k", "2", "--p", "1", "--pool", "--ceil"],
    "outsize_transposed": ["outsize", "--in", "7x7", "--k", "3", "--s", "2", "--p", "1", "--transposed",
                           "--output-padding", "1"],
    "outsize_symbolic": ["outsize", "--in", "n", "--k", "3", "--s", "2", "--p", "1"],
    "solve_padding": ["solve", "padding", "--in", "29x45", "--k", "2", "--s", "2", "--target", "15x23"],
    "solve_input": ["solve", "input", "--out", "7", "--k", "2", "--s", "2", "--p", "1", "--d", "4"],
    "solve_output_padding": ["solve", "output-padding", "--in", "28", "--k", "3", "--s", "2", "--p", "1"],
}


@pytest.mark.parametrize("name", GOLDEN_RUNS)
def test_golden_output(name: str, run_cli, golden) -> None:
    result = run_cli(*GOLDEN_RUNS[name])
    assert result.exit_code == 0, result.output
    golden(name, result.output)


def test_seed_line_is_printed_exactly(run_cli) -> None:
    result = run_cli(*GOLDEN_RUNS["outsize_seed_hw5"])
    assert "(16 + 2*1 - 4*(2-1) - 1) // 2 + 1 = 7" in result.output
    assert result.output.rstrip().endswith("7")


JSON_CASES = [
    (["--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4"], [7]),
    (["--in", "28x28", "--k", "3"], [26, 26]),
    (["--in", "28,32", "--k", "3", "--p", "same"], [28, 32]),
    (["--in", "32", "--k", "3", "--s", "2", "--p", "1"], [16]),
    (["--in", "5", "--k", "2", "--pool", "--ceil"], [3]),
    (["--in", "4", "--k", "4", "--s", "2", "--p", "1", "--transposed"], [8]),
    (["--in", "28", "--k", "3", "--p", "0:2"], [28]),
    (["--in", "n", "--k", "3", "--p", "1"], ["n"]),
]


@pytest.mark.parametrize("args,output", JSON_CASES)
def test_json_output_contract(args: list[str], output: list, run_cli) -> None:
    result = run_cli("outsize", *args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["output"] == output
    assert len(data["axes"]) == len(output)


BAD_INPUTS = [
    (["outsize", "--in", "4", "--k", "5"], "larger than the padded input"),
    (["outsize", "--in", "0", "--k", "3"], "'size'"),
    (["outsize", "--in", "8", "--k", "3", "--s", "0"], "'stride'"),
    (["outsize", "--in", "8", "--k", "3", "--d", "0"], "'dilation'"),
    (["outsize", "--in", "8", "--k", "3", "--p", "-1"], "'padding'"),
    (["outsize", "--in", "8", "--k", "3", "--p", "1:"], "'padding'"),
    (["outsize", "--in", "8x", "--k", "3"], "'size'"),
    (["outsize", "--in", "8", "--k", "3.5"], "'kernel'"),
    (["outsize", "--in", "8", "--k", "3", "--s", "2", "--p", "same"], "stride 1"),
    (["outsize", "--in", "8", "--k", "3", "--framework", "caffe"], "'framework'"),
    (["outsize", "--in", "8", "--k", "3", "--ceil"], "--pool"),
    (["outsize", "--in", "8", "--k", "3", "--pool", "--transposed"], "not both"),
    (["outsize", "--in", "8", "--k", "3", "--output-padding", "1"], "--transposed"),
    (["outsize", "--in", "8", "--k", "3", "--s", "2", "--transposed", "--output-padding", "2"], "output_padding"),
    (["outsize", "--in", "8", "--k", "2", "--p", "2", "--pool"], "half the pool window"),
    (["solve", "padding", "--in", "16", "--k", "3", "--target", "3"], "no padding gives output 3"),
    (["solve", "input", "--out", "n", "--k", "3"], "'output'"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, run_cli) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output


def test_subprocess_error_goes_to_stderr_without_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "convcalc", "outsize", "--in", "4", "--k", "5"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "kernel 5 is larger than the padded input 4" in proc.stderr


def test_python_dash_m_and_version() -> None:
    from convcalc import __version__

    proc = subprocess.run([sys.executable, "-m", "convcalc", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"convcalc {__version__}"
    proc = subprocess.run([sys.executable, "-m", "convcalc", "outsize", "--in", "32", "--k", "3", "--s", "2",
                           "--p", "1", "--json"], capture_output=True, text=True)
    assert json.loads(proc.stdout)["output"] == [16]


def test_shell_completion_is_offered(run_cli) -> None:
    result = run_cli("--show-completion", "bash")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert "complete" in result.output and "convcalc" in result.output.lower()


def test_outsize_imports_nothing_heavy() -> None:
    code = ("import sys; from convcalc.cli.main import app\n"
            "try:\n    app(['outsize', '--in', '16', '--k', '2', '--s', '2', '--p', '1', '--d', '4'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'sympy', 'matplotlib', 'torch') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


USAGE_ERRORS = [
    (["stak"], "No such command 'stak'"),
    (["outsize", "--in", "16", "--k", "2", "--bogus"], "No such option: --bogus"),
    (["outsize", "--k", "2"], "Missing option '--in'"),
    (["solve", "padding", "--in", "16"], "Missing option"),
]


@pytest.mark.parametrize("args,message", USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_too(args: list[str], message: str, run_cli) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
    assert "--help" in lines[0]


def test_bare_command_shows_help(run_cli) -> None:
    result = run_cli()
    assert result.exit_code == 0 and "Usage: convcalc" in result.output and "outsize" in result.output
