"""A property-based fuzz of the command line with hostile generators (issue 15).

Hypothesis draws a command, one or two of its options, and values built to hang or exhaust it:
huge integers, deep nesting, long strings, power towers, digits of other scripts, NUL bytes,
floats and fractions where integers go, code; and files (answer files, matrices, specs,
histories) damaged at random (invalid UTF-8, NUL, truncation). Each case runs in a worker process
under a time limit (``tests/hostile.py``); the property: it ends in time with exit status 0, 1 or
2, no traceback anywhere, and, on exit 2, one ``error:`` line that names one of the parameters
that were changed. A few cases also run as real ``python -m convcalc`` processes.

Examples are derandomized (the same in every run) so that CI is reproducible; set
``CONVCALC_FUZZ_RANDOM=1`` (and ``CONVCALC_FUZZ_EXAMPLES=N``) to explore new ones locally.
"""

from __future__ import annotations

import ast
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile
from tests.hostile import INJECTIONS, Worker

FUZZ = settings(
    max_examples=int(os.environ.get("CONVCALC_FUZZ_EXAMPLES", "60")),
    derandomize=os.environ.get("CONVCALC_FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# ---------------------------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------------------------

huge_ints = st.integers(min_value=20, max_value=12_000).flatmap(
    lambda n: st.sampled_from(["9" * n, "1" + "0" * n, "-" + "7" * n, str(3**n)[:n] if n < 4000 else "8" * n]))
power_towers = st.lists(st.integers(min_value=2, max_value=12), min_size=2, max_size=6).map(
    lambda xs: "**".join(map(str, xs)))
symbol_powers = st.tuples(st.sampled_from(["n", "m", "x", "(n+1)"]), st.integers(min_value=65, max_value=10**9)).map(
    lambda t: f"{t[0]}**{t[1]}")
deep_parens = st.integers(min_value=50, max_value=6_000).map(lambda d: "(" * d + "1" + ")" * d)
deep_unary = st.integers(min_value=50, max_value=6_000).map(lambda d: "-" * d + "1")
long_sums = st.integers(min_value=100, max_value=20_000).map(lambda n: "+".join(["n"] * n))
long_strings = st.integers(min_value=1_000, max_value=1_000_000).flatmap(
    lambda n: st.sampled_from(["a" * n, "7" * n, "(" * n, "x" * n, ",".join(["1"] * (n // 2)), "1x" * (n // 2)]))
unicode_numbers = st.tuples(st.integers(min_value=0, max_value=10**6), st.sampled_from(hostile.UNICODE_DIGIT_ZEROS)).map(
    lambda t: hostile.unicode_number(*t))
with_nul = st.tuples(st.text(max_size=10), st.text(max_size=10)).map(lambda t: t[0] + "\x00" + t[1])
not_ints = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.fractions(max_denominator=100).filter(lambda f: f.denominator != 1).map(str),
    st.sampled_from(["True", "False", "None", "1j", "nan", "inf", "-inf", "1e5", "1.0", "0x10", "0o7", "1_0"]),
)
injections = st.sampled_from(list(INJECTIONS.values()))
names = st.sampled_from(["n", "m", "x", "n_1", "E", "I", "pi", "oo", "nan", "S", "Q", "lambda", "if", "_", "__class__"])


def _expression(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "**", "/", "%", " if ", ".", ""]), inner).map("".join),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"-{e}"),
        ),
        max_leaves=12,
    )


expressions = _expression(st.one_of(st.integers(min_value=-5, max_value=300).map(str), names))
sizes = st.one_of(st.integers(min_value=-3, max_value=64).map(str), names)
shapes = st.lists(sizes, min_size=1, max_size=5).flatmap(
    lambda parts: st.sampled_from(["x", ",", ":", " "]).map(lambda sep: sep.join(parts)))

hostile_values = st.one_of(
    huge_ints, power_towers, symbol_powers, deep_parens, deep_unary, long_sums, long_strings, unicode_numbers,
    with_nul, not_ints, injections, expressions, shapes, st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
)


# ---------------------------------------------------------------------------------------------
# What to fuzz: each command with a working base and the names its options' errors may use
# ---------------------------------------------------------------------------------------------

S = ("size", "input", "in_size", "shape", "output", "target")
OPTIONS: dict[str, tuple[list[str], dict[str, tuple[str, ...]]]] = {
    # name: (base command line, {option: names its error may use}); "#0"/"#1" are positionals.
    "outsize": (["outsize", "--in", "16", "--k", "3"], {
        "--in": S, "--k": ("kernel",), "--s": ("stride",), "--p": ("padding", "padded"), "--d": ("dilation", "dilated"),
        "--framework": ("framework",)}),
    "outsize --transposed": (["outsize", "--in", "16", "--k", "3", "--transposed"], {
        "--in": S, "--k": ("kernel",), "--s": ("stride",), "--p": ("padding", "padded"), "--d": ("dilation", "dilated"),
        "--output-padding": ("output_padding", "output padding")}),
    "outsize --pool": (["outsize", "--in", "16", "--k", "2", "--pool"], {
        "--in": S, "--k": ("kernel", "pool_size", "window"), "--s": ("stride",), "--p": ("padding", "padded"),
        "--d": ("dilation", "dilated")}),
    "solve padding": (["solve", "padding", "--in", "29x45", "--k", "2", "--s", "2", "--target", "15x23"], {
        "--in": (*S, "padding"), "--k": ("kernel", "padding"), "--s": ("stride", "padding"),
        "--d": ("dilation", "dilated", "padding"), "--target": (*S, "padding")}),
    "solve input": (["solve", "input", "--out", "7", "--k", "2", "--s", "2", "--p", "1", "--d", "4"], {
        "--out": S, "--k": ("kernel",), "--s": ("stride",), "--p": ("padding", "padded"), "--d": ("dilation", "dilated")}),
    "solve output-padding": (["solve", "output-padding", "--in", "28", "--k", "3", "--s", "2", "--p", "1"], {
        "--in": S, "--k": ("kernel",), "--s": ("stride",), "--p": ("padding", "padded"), "--d": ("dilation", "dilated")}),
    "stack": (["stack", "#0", "--in", "1x28x28"], {
        "#0": ("spec", "SPEC", "layer", "model", "preset", "input"), "--in": S, "--batch": ("batch",),
        "--rf-from": ("rf_from", "layer"), "--layout": ("layout",), "--dtype": ("dtype",),
        "--convention": ("convention",)}),
    "rf": (["rf", "#0", "--in", "1x28x28"], {
        "#0": ("spec", "SPEC", "layer", "model", "preset", "input"), "--in": S, "--rf-from": ("rf_from", "layer")}),
    "correlate": (["correlate", "#0", "#1"], {
        "#0": ("x", "X", "matrix", "input", "row", "cell", "kernel"), "#1": ("f", "F", "kernel", "matrix", "row", "cell", "input"),
        "--stride": ("stride",), "--dilation": ("dilation", "max-work"), "--padding": ("padding", "max-work"),
        "--explain": ("explain", "cell"), "--mode": ("mode",)}),
    "pool": (["pool", "#0", "--k", "2"], {
        "#0": ("x", "X", "matrix", "input", "row", "cell", "window"), "--k": ("kernel", "window", "input"), "--s": ("stride",),
        "--p": ("padding", "padded"), "--d": ("dilation", "dilated"), "--explain": ("explain", "cell")}),
    "check outsize": (["check", "outsize", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4", "--answer", "7"], {
        "--in": S, "--k": ("kernel",), "--s": ("stride",), "--p": ("padding", "padded"), "--d": ("dilation", "dilated"),
        "--answer": ("answer",)}),
    "check rf": (["check", "rf", "--spec", "conv(8,3) conv(8,3) conv(8,3)", "--in", "1x16x16", "--relative-to", "1",
                  "--answer", "5"], {
        "--spec": ("spec", "layer", "SPEC"), "--in": S, "--relative-to": ("relative_to", "layer"), "--answer": ("answer",)}),
    "check correlate": (["check", "correlate", "--x", "1 0 -2; 2 9 5; 0 -3 1", "--f", "1 0; 0 1", "--answer", "10 5; 0 8"], {
        "--x": ("x", "matrix", "row", "cell", "input", "kernel"), "--f": ("f", "matrix", "row", "cell", "kernel", "input"),
        "--answer": ("answer",),
        "--s": ("stride",), "--p": ("padding", "padded")}),
}
POSITIONAL_DEFAULTS = {"stack": ["conv(8,3) relu pool(2) flatten dense(10)"], "rf": ["conv(8,3) conv(8,3)"],
                       "correlate": ["1 0 -2; 2 9 5; 0 -3 1", "1 0; 0 1"], "pool": ["1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3"]}


def _command_line(command: str, changes: dict[str, str]) -> list[str]:
    base, _ = OPTIONS[command]
    args = list(base)
    positionals = POSITIONAL_DEFAULTS.get(base[0], [])
    args = [positionals[int(a[1:])] if a.startswith("#") else a for a in args]
    for option, value in changes.items():
        if option.startswith("#"):
            args[base.index(option)] = value
        elif option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    return args


def _names_of(command: str, options: Iterable[str]) -> list[str]:
    _, table = OPTIONS[command]
    found: list[str] = []
    for option in options:
        if not option.startswith("#"):
            found += [option, option.lstrip("-"), option.lstrip("-").replace("-", "_")]
        found += list(table[option])
    return found


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    options = draw(st.lists(st.sampled_from(sorted(OPTIONS[command][1])), min_size=1, max_size=2, unique=True))
    return command, {option: draw(hostile_values) for option in options}


@pytest.fixture(scope="module")
def worker() -> Iterable[Worker]:
    w = Worker()
    yield w
    w.kill()


@pytest.fixture(scope="module")
def cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _assert_fine(outcome: hostile.Outcome, names: Iterable[str], cwd: Path, expect: int | frozenset[int] | None = None) -> None:
    found = hostile.problems(outcome, names, expect)
    if (cwd / "PWNED").exists():
        (cwd / "PWNED").unlink()
        found.append("CODE RAN: the marker file PWNED was written")
    assert not found, f"{hostile.describe(outcome)}:\n" + "\n".join(found)


# ---------------------------------------------------------------------------------------------
# The properties
# ---------------------------------------------------------------------------------------------

@FUZZ
@given(case=command_lines())
def test_any_hostile_option_value_ends_cleanly(case: tuple[str, dict[str, str]], worker: Worker, cwd: Path) -> None:
    command, changes = case
    outcome = worker.run(_command_line(command, changes), cwd=cwd)
    names = _names_of(command, changes)
    if any(k.startswith("#") and v.startswith("-") for k, v in changes.items()):
        names.append("No such option")  # a positional that looks like an option: click's usage error quotes it
    _assert_fine(outcome, names, cwd)


@FUZZ
@given(value=st.one_of(not_ints, injections, power_towers.filter(lambda t: t.count("**") >= 2 and t.startswith(("9**9**", "10**10**", "12**12**")))),
       option=st.sampled_from(["--in", "--k", "--s", "--p", "--d"]))
def test_non_integers_and_code_are_refused(value: str, option: str, worker: Worker, cwd: Path) -> None:
    """A float, a fraction, a bool, None, a complex, code or an unbounded power tower where a size
    goes: refused (exit 2) naming the parameter, never evaluated (issue 17)."""
    outcome = worker.run(_command_line("outsize", {option: value}), cwd=cwd)
    _assert_fine(outcome, _names_of("outsize", [option]), cwd, expect=2)


def _python_value(text: str) -> int | None:
    """What Python makes of an integer expression, or None when it is not one (or too big)."""
    if any(c.isalpha() for c in text) or "/" in text.replace("//", "") or "%" in text or "." in text:
        return None
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning: "'int' object is not callable" for 2(3)
            tree = compile(text, "<expr>", "eval", flags=0, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    if any(not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop))
           for node in ast.walk(ast.parse(text, mode="eval"))):
        return None  # a call such as 2(3), a subscript, ...
    if "**" in text:
        return None  # exponent limits differ on purpose (docs/limits.md); checked in test_arithmetic
    try:
        value = eval(tree, {"__builtins__": {}})  # only digits, + - * // ( ): see the check above
    except (ArithmeticError, RecursionError, MemoryError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@FUZZ
@given(expression=_expression(st.integers(min_value=0, max_value=300).map(str)))
def test_integer_expressions_mean_what_python_says(expression: str, worker: Worker, cwd: Path) -> None:
    """``outsize --in EXPR --k 1`` is EXPR itself (kernel 1, stride 1, no padding): when an
    expression of integers with + - * // and parentheses is accepted, its value is Python's."""
    outcome = worker.run(["outsize", "--in", expression, "--k", "1", "--json"], cwd=cwd)
    _assert_fine(outcome, _names_of("outsize", ["--in"]), cwd)
    expected = _python_value(expression)
    if outcome.code == 0 and expected is not None:
        assert json.loads(outcome.stdout)["output"] == [expected], (expression, outcome.stdout)
    if expected is not None and expected >= 1:
        assert outcome.code == 0, (expression, expected, outcome.stderr)


# --- damaged files ---------------------------------------------------------------------------

VALID_FILES = {
    "answers.toml": ('[[question]]\nkind = "outsize"\nin = 16\nk = 2\ns = 2\np = 1\nd = 4\nanswer = 7\n\n'
                     '[[question]]\nkind = "correlate"\nx = "1 0; 2 9"\nf = "1 0; 0 1"\nanswer = 10\ncell = [0, 0]\n\n'
                     '[[question]]\nkind = "rf"\nspec = "conv(8, 3) conv(8, 3)"\nin = "1x16x16"\nanswer = 5\n'),
    "x.csv": "1,0,-2\n2,9,5\n0,-3,1\n",
    "x.txt": "1 0 -2; 2 9 5; 0 -3 1\n",
    "net.txt": "conv(8,3) relu pool(2)\nflatten dense(10)\n",
    "history.json": json.dumps({"epochs": [{"loss": 1.0, "accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.4}]}),
}
FILE_COMMANDS = {
    "answers.toml": lambda p: ["check", p],
    "x.csv": lambda p: ["correlate", p, "1 0; 0 1"],
    "x.txt": lambda p: ["pool", p, "--k", "2"],
    "net.txt": lambda p: ["stack", p, "--in", "1x28x28"],
    "history.json": lambda p: ["plot", p, "--out", "curves.png"],
}
FILE_NAMES = {"answers.toml": ("question", "file", "answers.toml", "line", "kind", "answer"),
              "x.csv": ("x.csv", "x", "matrix", "file", "row", "input", "kernel"),
              "x.txt": ("x.txt", "x", "matrix", "file", "row", "input", "kernel", "window"),
              "net.txt": ("net.txt", "spec", "layer", "file", "SPEC"),
              "history.json": ("history.json", "history", "file", "histories")}

BAD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\x00", b"\x80", b"\xf0\x28\x8c\x28", b"\xed\xa0\x80", b"\r", b"\x1b[2J"]


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(VALID_FILES)))
    data = bytearray(VALID_FILES[name].encode())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        how = draw(st.sampled_from(["insert", "replace", "truncate", "repeat", "garbage"]))
        at = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        if how == "insert":
            data[at:at] = draw(st.sampled_from(BAD_BYTES))
        elif how == "replace" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif how == "truncate":
            del data[at:]
        elif how == "repeat":
            data[at:at] = bytes(data[at: at + 20]) * draw(st.integers(min_value=2, max_value=20_000))
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
    return name, bytes(data)


@FUZZ
@given(case=damaged_files())
def test_damaged_files_end_cleanly(case: tuple[str, bytes], worker: Worker, cwd: Path) -> None:
    name, data = case
    path = cwd / name
    path.write_bytes(data)
    outcome = worker.run(FILE_COMMANDS[name](str(path)), cwd=cwd)
    _assert_fine(outcome, FILE_NAMES[name], cwd)


# --- real processes --------------------------------------------------------------------------

REAL = {
    "power tower": (["outsize", "--in", "9**9**9", "--k", "3"], ("size", "in"), 2),
    "symbol power": (["outsize", "--in", "n**100000000", "--k", "3"], ("size", "in"), 2),
    "stride tower": (["outsize", "--in", "n", "--k", "3", "--s", "10**10**10"], ("stride", "s"), 2),
    "100,000 digits": (["outsize", "--in", "1" * 100_000, "--k", "3"], ("size", "in"), None),
    "10**100000 padding solve": (["solve", "padding", "--in", "10**100000", "--k", "3", "--target", "5"], ("size", "in"), None),
    "nested conv": (["stack", hostile.nested_conv(5000), "--in", "1x28x28"], ("spec", "layer", "nesting", "depth"), 2),
    "fraction padding": (["outsize", "--in", "16", "--k", "3", "--p", "1/2"], ("padding", "p"), 2),
    "True": (["outsize", "--in", "True", "--k", "3"], ("size", "in"), 2),
    "code": (["outsize", "--in", INJECTIONS["__import__"], "--k", "3"], ("size", "in"), 2),
    "solve input --d -5": (["solve", "input", "--out", "7", "--k", "2", "--d", "-5"], ("dilation", "d"), 2),
    "unknown command": (["frobnicate"], ("frobnicate",), 2),
}


@pytest.mark.parametrize("label", list(REAL))
def test_real_process(label: str, tmp_path: Path) -> None:
    args, names, expect = REAL[label]
    outcome = hostile.run_process(args, cwd=tmp_path)
    _assert_fine(outcome, names, tmp_path, expect)


@pytest.mark.parametrize("args", [["outsize", "--in", "16", "--k", "3"], ["stack", "hw5", "--json"],
                                  ["check", "outsize", "--in", "16", "--k", "3", "--answer", "14"]], ids=" ".join)
def test_real_process_stdout_on_a_full_disk(args: list[str], tmp_path: Path) -> None:
    """Standard output that cannot be written (a full disk: /dev/full) is one error line and a
    bad-input/output status, not an internal error (exit 3)."""
    env = {k: v for k, v in os.environ.items() if k != "CONVCALC_DEBUG"}
    with open("/dev/full", "w") as full:
        process = subprocess.run([sys.executable, "-m", "convcalc", *args], stdout=full, stderr=subprocess.PIPE,
                                 cwd=tmp_path, env=env, timeout=hostile.TIME_LIMIT)
    stderr = process.stderr.decode("utf-8", "replace")
    assert process.returncode == 2, (process.returncode, stderr)  # docs/limits.md: an output that cannot be written
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr


@pytest.mark.parametrize("args", [["outsize", "--in", "16", "--k", "3"], ["stack", "resnet50"], ["check", "many.toml"]],
                         ids=" ".join)
def test_real_process_broken_pipe_is_quiet(args: list[str], tmp_path: Path) -> None:
    """`convcalc ... | head -1`: the reader goes away (here before anything is read, and for
    `check` after one line of a report much larger than a pipe's buffer); nothing on stderr, and
    exit 141 (128 + SIGPIPE, as a shell tool) or 0 when everything was written already."""
    from convcalc.cli.main import EXIT_BROKEN_PIPE

    env = {k: v for k, v in os.environ.items() if k != "CONVCALC_DEBUG"}
    (tmp_path / "many.toml").write_text("".join(f'[[question]]\nkind = "outsize"\nin = {16 + i % 50}\nk = 3\n'
                                                f'answer = {14 + i % 50}\n\n' for i in range(5000)))
    process = subprocess.Popen([sys.executable, "-m", "convcalc", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    assert process.stdout is not None and process.stderr is not None
    if args[0] == "check":
        process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode("utf-8", "replace")
    code = process.wait(timeout=hostile.TIME_LIMIT)
    assert code in (0, EXIT_BROKEN_PIPE), (code, stderr)
    assert stderr == "", stderr


def test_real_process_damaged_answer_file(tmp_path: Path) -> None:
    path = tmp_path / "answers.toml"
    path.write_bytes(hostile.invalid_utf8(VALID_FILES["answers.toml"]))
    outcome = hostile.run_process(["check", str(path)], cwd=tmp_path)
    _assert_fine(outcome, ["answers.toml", "answer file"], tmp_path, expect=2)


def test_real_process_stdin_invalid_utf8(tmp_path: Path) -> None:
    outcome = hostile.run_process(["correlate", "-", "1 0; 0 1"], cwd=tmp_path, stdin=hostile.invalid_utf8("1 2; 3 4"))
    _assert_fine(outcome, ["stdin", "-", "x", "X", "matrix", "input"], tmp_path, expect=2)


# --- code never runs from files ----------------------------------------------------------------

class _Evil:
    def __reduce__(self):  # the classic pickle payload: runs a shell command when unpickled
        return (os.system, ("touch PWNED",))


def test_pickled_code_in_npy_and_npz_is_refused(tmp_path: Path, worker: Worker) -> None:
    """np.load refuses pickles everywhere a file is read: matrix .npy files and saved models."""
    evil = np.empty((2, 2), dtype=object)
    evil[0, 0] = _Evil()
    np.save(tmp_path / "evil.npy", evil, allow_pickle=True)
    np.savez(tmp_path / "evil.npz", __meta__=evil)
    for args, names in [(["correlate", str(tmp_path / "evil.npy"), "1"], ["evil.npy", "x", "matrix", "file"]),
                        (["pool", str(tmp_path / "evil.npy"), "--k", "1"], ["evil.npy", "x", "matrix", "file"]),
                        (["check", "correlate", "--x", str(tmp_path / "evil.npy"), "--f", "1", "--answer", "1"],
                         ["evil.npy", "x", "matrix", "file"]),
                        (["evaluate", str(tmp_path / "evil.npz")], ["evil.npz", "model", "file"]),
                        (["train", "--epochs", "1", "--resume", str(tmp_path / "evil.npz")], ["evil.npz", "resume", "file"])]:
        outcome = worker.run(args, cwd=tmp_path)
        _assert_fine(outcome, names, tmp_path, expect=2)
    assert not (tmp_path / "PWNED").exists()


def test_pickled_code_in_a_cifar_batch_is_refused(tmp_path: Path) -> None:
    """The restricted unpickler: a CIFAR batch asking for os.system is refused, nothing runs."""
    from convcalc.data.readers import read_cifar_batch
    from convcalc.errors import ConvCalcError

    (tmp_path / "data_batch_1").write_bytes(pickle.dumps({b"data": _Evil(), b"labels": [0]}, protocol=2))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(ConvCalcError, match="system"):
            read_cifar_batch(tmp_path / "data_batch_1")
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()


def test_spec_python_file_is_read_never_run(tmp_path: Path, worker: Worker) -> None:
    """`convcalc stack model.py` reads Python with ast, never runs it."""
    (tmp_path / "model.py").write_text("import os\nos.system('touch PWNED')\n"
                                       "import torch.nn as nn\nmodel = nn.Sequential(nn.Conv2d(1, 8, 3))\n")
    outcome = worker.run(["stack", str(tmp_path / "model.py"), "--in", "1x28x28"], cwd=tmp_path)
    _assert_fine(outcome, ["model.py", "spec", "SPEC"], tmp_path)
    assert not (tmp_path / "PWNED").exists()


# --- checkpoints survive SIGKILL mid-write ---------------------------------------------------

_WRITER = r"""
import sys, numpy as np
from convcalc.nn.serialize import write_archive
path = sys.argv[1]
big = np.zeros((4, 1024, 1024), dtype=np.float32)  # 16 MB: each write takes a while
i = 0
print("go", flush=True)
while True:
    i += 1
    write_archive(path, {"format": "convcalc-model", "version": 1, "i": i}, {"w": big + i})
"""


def test_checkpoint_survives_sigkill_mid_write(tmp_path: Path) -> None:
    """Kill a process while it rewrites a checkpoint, several times at different moments: the
    file is always a whole archive (temp file + os.replace), never a torn one. The next run
    (``train`` calls ``clean_stale_temps`` on each output before its first batch) removes the
    temp files the killed writers left, and only theirs: a live writer's temp file stays (issue 17)."""
    from convcalc.nn.files import clean_stale_temps, temp_name
    from convcalc.nn.serialize import read_archive, write_archive

    path = tmp_path / "run.npz"
    write_archive(path, {"format": "convcalc-model", "version": 1, "i": 0}, {"w": np.zeros((4, 1024, 1024), np.float32)})
    for delay in (0.05, 0.13, 0.29, 0.41):
        process = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline() == b"go\n"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        meta, arrays = read_archive(path)  # whole: raises on a torn file
        assert float(arrays["w"].flat[0]) == meta["i"]
    stale = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert stale, "no kill landed in the middle of a write (the writer loops on writes, so one should)"
    live = temp_name(path)  # this process's own, alive: must be kept
    live.write_bytes(b"in progress")
    (tmp_path / "other.npz.tmp-1").write_bytes(b"another target's")  # not run.npz's: kept
    clean_stale_temps(path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["run.npz", live.name, "other.npz.tmp-1"]), left


# --- the library refuses what the command line refuses ------------------------------------------

LIBRARY_NOT_INTS = ["1/2", "1e5", "1.5", "nan", "inf", True, None, 1j, 0.5, Fraction(1, 2), float("nan"),
                    np.float64(3.0), np.array([3, 4]), "\u0661\u0666", "9**9**9", "n**100000000"]


@pytest.mark.parametrize("value", LIBRARY_NOT_INTS + list(INJECTIONS.values()), ids=repr)
def test_library_size_functions_refuse_non_integers_and_code(value: object, tmp_path: Path) -> None:
    """conv_output_size / transposed_output_size / pool_output_size: a ConvCalcError (a ValueError;
    ConvCalcTypeError, also a TypeError, when the type is wrong), never a float result or code run."""
    import convcalc

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for function in (convcalc.conv_output_size, convcalc.transposed_output_size, convcalc.pool_output_size):
            for args in ((value, 3), (16, value)):
                with pytest.raises(convcalc.ConvCalcError) as caught:
                    function(*args)
                if not isinstance(value, (str, np.ndarray)):
                    assert isinstance(caught.value, TypeError), (function.__name__, args, caught.value)
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("value", [None, 3, b"conv(8,3)", ["conv(8,3)"], np.array(["conv(8,3)"])], ids=repr)
def test_parse_spec_refuses_non_strings_with_a_type_error(value: object) -> None:
    import convcalc

    with pytest.raises(convcalc.ConvCalcTypeError):
        convcalc.parse_spec(value)


@pytest.mark.parametrize("value", list(INJECTIONS.values()), ids=repr)
def test_parse_spec_never_runs_code(value: str, tmp_path: Path) -> None:
    import convcalc

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(convcalc.ConvCalcError):
            convcalc.parse_spec(f"conv(8, {value})")
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()
