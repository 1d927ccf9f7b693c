"""Values that are not what they look like, padding strings, and the bounded expression grammar
(issues 10, 15, 17): library and command line refuse the same inputs, with one clear line."""

from __future__ import annotations

import subprocess
import sys
import time
from fractions import Fraction

import pytest

from convcalc import ConvCalcError, ConvCalcTypeError, conv_output_size, pool_output_size, transposed_output_size
from convcalc.expression import MAX_DEPTH, MAX_DIGITS, MAX_EXPONENT, MAX_LENGTH, parse_expression

SIZE_FUNCTIONS = [conv_output_size, pool_output_size, transposed_output_size]


def one_error_line(result, *needles: str) -> str:
    """The single 'error:' line of a CLI run that exited 2, checked for every needle."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# --------------------------------------------------------------------------- padding strings (issue 10)
MISSPELT = [("vaild", "valid"), ("smae", "same"), ("Ful", "full"), ("casual", "causal")]


@pytest.mark.parametrize("function", SIZE_FUNCTIONS, ids=lambda f: f.__name__)
def test_misspelt_padding_mode_is_an_error_never_a_symbol(function) -> None:
    with pytest.raises(ConvCalcError, match=r"'padding'.*'valid'.*Got 'vaild'.*Did you mean 'valid'"):
        function(64, 3, padding="vaild")


@pytest.mark.parametrize("word,nearest", MISSPELT)
def test_the_nearest_mode_is_suggested(word: str, nearest: str) -> None:
    with pytest.raises(ConvCalcError, match=f"Did you mean '{nearest}'"):
        conv_output_size(64, 3, padding=word)


@pytest.mark.parametrize("word", ["p", "pad", "half", "n + 1", "2*p"])
def test_a_word_in_a_padding_string_is_never_a_symbol(word: str) -> None:
    with pytest.raises(ConvCalcError, match="sym"):
        conv_output_size(64, 3, padding=word)


def test_symbolic_padding_is_written_sym_or_given_as_sympy() -> None:
    import sympy

    p = sympy.Symbol("p", integer=True, positive=True)
    assert conv_output_size(64, 3, padding="sym(p)") == 2 * p + 62
    assert conv_output_size(64, 3, padding=p) == 2 * p + 62
    assert conv_output_size(64, 3, padding="sym(2*p)") == 4 * p + 62


def test_mode_not_available_for_the_operation_names_what_is() -> None:
    with pytest.raises(ConvCalcError, match="transposed convolution"):
        transposed_output_size(8, 3, padding="same")
    with pytest.raises(ConvCalcError, match="'same' is not available here"):
        transposed_output_size(8, 3, padding="smae")
    with pytest.raises(ConvCalcError, match="framework='keras'"):
        pool_output_size(8, 2, padding="same")


CAUSAL = [  # (n, k, s, d): Keras Conv1D(padding='causal') pads d*(k-1) on the left only
    (10, 3, 1, 1), (10, 3, 1, 2), (10, 3, 2, 1), (7, 5, 3, 2), (1, 4, 1, 3), (16, 2, 2, 4),
]


@pytest.mark.parametrize("n,k,s,d", CAUSAL)
def test_causal_padding_pads_everything_on_the_left(n: int, k: int, s: int, d: int) -> None:
    from convcalc.arithmetic import resolve_padding

    assert resolve_padding("causal", (n,), (k,), (s,), (d,)) == ((d * (k - 1), 0),)
    # left-padded by d*(k-1): every output position sees only inputs at or before it; ceil(n/s) outputs
    assert conv_output_size(n, k, s, "causal", d) == -(-n // s)
    assert conv_output_size(n, k, s, (d * (k - 1), 0), d) == -(-n // s)


def test_causal_padding_against_torch_left_pad() -> None:
    torch = pytest.importorskip("torch")
    for n, k, s, d in CAUSAL:
        x = torch.nn.functional.pad(torch.zeros(1, 1, n), (d * (k - 1), 0))
        out = torch.nn.functional.conv1d(x, torch.zeros(1, 1, k), stride=s, dilation=d)
        assert conv_output_size(n, k, s, "causal", d) == out.shape[-1]


def test_causal_padding_is_one_dimensional_only() -> None:
    with pytest.raises(ConvCalcError, match="causal.*one spatial axis.*Conv1D"):
        conv_output_size((10, 10), 3, padding="causal")
    with pytest.raises(ConvCalcError, match="'padding'"):
        pool_output_size(10, 3, padding="causal")
    with pytest.raises(ConvCalcError, match="'padding'"):
        transposed_output_size(10, 3, padding="causal")


# --------------------------------------------------------------------------- values (issue 17)
WRONG_TYPES = [2.0, 1e5, float("nan"), float("inf"), True, False, None, 1j, Fraction(1, 2), {3}, b"3"]


@pytest.mark.parametrize("function", SIZE_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
@pytest.mark.parametrize("where", ["size", "kernel", "stride", "padding", "dilation"])
def test_wrong_type_is_a_type_error(function, value: object, where: str) -> None:
    if function is pool_output_size and where == "stride" and value is None:
        # stride=None is pooling's documented default (the kernel), as in PyTorch: not a wrong type
        assert pool_output_size(8, 3, stride=None) == pool_output_size(8, 3, stride=3) == 2
        return
    args = {"size": 8, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1}
    args[where] = value
    with pytest.raises(ConvCalcTypeError, match=f"'{where}'"):
        function(args.pop("size"), **args)


def test_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    assert conv_output_size(np.int64(16), np.int32(3)) == conv_output_size(np.array(16), 3) == 14
    for bad in (np.float64(16.0), np.float32(16), np.bool_(True), np.array([16, 16]), np.array(16.0)):
        with pytest.raises(ConvCalcTypeError):
            conv_output_size(bad, 3)


BAD_TEXT = [  # (text, what the message must say)
    ("1e5", "float"), ("2.0", "decimal point"), ("1/2", "true division"), ("True", "not a number"),
    ("None", "not a number"), ("1j", "complex"), ("nan", "float value"), ("inf", "float value"),
    ("Infinity", "float value"), ("٦٤", "ARABIC-INDIC DIGIT SIX"), ("１６", "FULLWIDTH DIGIT ONE"),
    ("0x10", "decimal digits"), ("1_000", "decimal digits"), ("16\x00", "\\x00"), ("", "empty"),
    ("n if n else m", "conditional"), ("(x for x in ())", "generator"), ("__import__(os)", "function call"),
    ("n.real", "decimal point"), ("lambda: 1", "':'"), ("[n]", "'['"), ("n < 3", "'<'"), ("n and m", "'and'/'or'"),
    ("f(n)", "function call"), ("n[0]", "'['"), ("2**n", "exponent must be an integer"), ("n % 2", "'%'"),
    ("_n", "start with a letter"), ("n//0", "division by zero"), ("--", "well-formed"), ("2**-1", "exponent"),
]


@pytest.mark.parametrize("text,message", BAD_TEXT, ids=[t for t, _ in BAD_TEXT])
def test_text_outside_the_grammar_is_refused(text: str, message: str) -> None:
    for function in SIZE_FUNCTIONS:
        with pytest.raises(ConvCalcError, match="'size'") as info:
            function(text, 3)
        assert message in str(info.value), str(info.value)


CLI_TEXT = [case for case in BAD_TEXT if case[0] not in ("0x10", "")]  # 0x10 is 0 by 10 on the command line


@pytest.mark.parametrize("text,message", CLI_TEXT, ids=[t for t, _ in CLI_TEXT])
def test_cli_refuses_the_same_text_in_one_line(text: str, message: str, run_cli) -> None:
    one_error_line(run_cli("outsize", "--in", text, "--k", "3"), "'size'", message)


def test_transposed_text_size_is_exact() -> None:
    """transposed_output_size('1e5', 3) used to return Float 100002.000000000."""
    assert transposed_output_size("100000", 3) == 100002
    assert isinstance(transposed_output_size("100000", 3), int)
    with pytest.raises(ConvCalcError, match="float"):
        transposed_output_size("1e5", 3)


CLI_VALUE_CASES = [
    (["outsize", "--in", "8", "--k", "3", "--p", "1/2"], ["'padding'", "true division"]),
    (["outsize", "--in", "8", "--k", "3", "--p", "1/2", "--transposed"], ["'padding'"]),
    (["outsize", "--in", "1e5", "--k", "3"], ["'size'", "float"]),
    (["outsize", "--in", "True", "--k", "3"], ["'size'"]),
    (["outsize", "--in", "None", "--k", "3"], ["'size'"]),
    (["outsize", "--in", "1j", "--k", "3"], ["'size'"]),
    (["outsize", "--in", "64", "--k", "3", "--p", "vaild"], ["'padding'", "Did you mean 'valid'"]),
    (["outsize", "--in", "64", "--k", "3", "--p", "vaild", "--pool"], ["'padding'", "Did you mean 'valid'"]),
    (["outsize", "--in", "64", "--k", "3", "--p", "vaild", "--transposed"], ["'padding'", "Did you mean 'valid'"]),
    (["outsize", "--in", "64", "--k", "3", "--p", "p"], ["'padding'", "sym(p)"]),
    (["outsize", "--in", "28x28", "--k", "3", "--p", "causal"], ["causal", "Conv1D"]),
    (["solve", "input", "--out", "7", "--k", "3", "--d", "-5"], ["'dilation'"]),
    (["solve", "input", "--out", "7", "--k", "3", "--d", "-1"], ["'dilation'"]),
    (["solve", "input", "--out", "7", "--k", "-3"], ["'kernel'"]),
    (["solve", "input", "--out", "7", "--k", "3", "--s", "0"], ["'stride'"]),
    (["solve", "padding", "--in", "8", "--k", "3", "--target", "4", "--d", "-5"], ["'dilation'"]),
    (["solve", "output-padding", "--in", "8", "--k", "3", "--d", "-5"], ["'dilation'"]),
    (["solve", "input", "--out", "7", "--k", "3", "--p", "1/2"], ["'padding'"]),
]


@pytest.mark.parametrize("args,needles", CLI_VALUE_CASES, ids=[" ".join(a) for a, _ in CLI_VALUE_CASES])
def test_cli_values_are_refused_in_one_line(args: list[str], needles: list[str], run_cli) -> None:
    one_error_line(run_cli(*args), *needles)


def test_causal_and_symbolic_padding_on_the_command_line(run_cli) -> None:
    import json

    result = run_cli("outsize", "--in", "10", "--k", "3", "--d", "2", "--p", "causal", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["output"] == [10] and data["axes"][0]["padding"] == [4, 0]
    result = run_cli("outsize", "--in", "n", "--k", "3", "--p", "sym(p)", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["output"] == ["n + 2*p - 2"]


# --------------------------------------------------------------------------- bounded expressions (issue 15)
GRAMMAR_OK = [
    ("16", 16), ("+16", 16), ("016", 16), (" 2*8 ", 16), ("2**4", 16), ("(40 - 8)//2", 16), ("2**2**2", 16),
    ("-(-16)", 16), ("10**99", 10**99), ("9" * MAX_DIGITS, int("9" * MAX_DIGITS)),
]


@pytest.mark.parametrize("text,value", GRAMMAR_OK, ids=[t[:20] for t, _ in GRAMMAR_OK])
def test_grammar_integers(text: str, value: int) -> None:
    result = parse_expression(text, "size")
    assert result == value and type(result) is int


def test_grammar_symbols() -> None:
    import sympy

    n, m = (sympy.Symbol(x, integer=True, positive=True) for x in "nm")
    assert parse_expression("n", "size") == n
    assert parse_expression("2*n + 1", "size") == 2 * n + 1
    assert parse_expression("(n - 3)//2 + 1", "size") == sympy.floor((n - 3) / 2) + 1
    assert parse_expression("n**2 * m", "size") == n**2 * m
    assert parse_expression("n - n", "size") == 0 and type(parse_expression("n - n", "size")) is int


LIMITS = [  # (text, the limit the message must name)
    ("1" * (MAX_DIGITS + 1), "MAX_DIGITS"), ("10**100", "MAX_DIGITS"), ("10**50*10**50", "MAX_DIGITS"),
    ("2**2**2**2**2", "MAX_DIGITS"), ("9**9**9", "MAX_DIGITS"), ("n**100000000", "MAX_EXPONENT"),
    ("10**10**10", "MAX_DIGITS"), ("10**100000", "MAX_DIGITS"), (f"n**{MAX_EXPONENT + 1}", "MAX_EXPONENT"),
    ("(n+1)**10**10", "MAX_EXPONENT"), ("2**332 * 2**332", "MAX_DIGITS"),
    ("(n**64)**64", "MAX_EXPONENT"), ("(10**60*n)**2", "MAX_DIGITS"),
    ("n+" * (MAX_LENGTH // 2) + "n", "MAX_LENGTH"), ("1" * 5000, "MAX_LENGTH"),
    ("(" * (MAX_DEPTH + 1) + "n" + ")" * (MAX_DEPTH + 1) + "+1", "MAX_DEPTH"),
    ("+" * 60 + "1", "MAX_DEPTH"), ("-" * 60 + "n", "MAX_DEPTH"),
]


@pytest.mark.parametrize("text,limit", LIMITS, ids=[t[:24] for t, _ in LIMITS])
def test_limits_are_named_and_enforced_fast(text: str, limit: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ConvCalcError, match=f"'size'.*{limit}|{limit}.*'size'|'size' parameter.*{limit}"):
        parse_expression(text, "size")
    assert time.perf_counter() - start < 0.5


def test_deep_parentheses_do_not_reach_the_parser() -> None:
    for depth in (100, 250, 10_000):
        with pytest.raises(ConvCalcError):
            parse_expression("(" * depth + "1" + ")" * depth, "size")


HOSTILE_CLI = [
    ["outsize", "--in", "9**9**9", "--k", "3"],
    ["outsize", "--in", "n**100000000", "--k", "3"],
    ["outsize", "--in", "n", "--s", "10**10**10", "--k", "3"],
    ["outsize", "--in", "2**2**2**2**2", "--k", "3"],
    ["outsize", "--in", "1" * 5000, "--k", "3"],
    ["solve", "padding", "--in", "10**100000", "--k", "3", "--target", "5"],
    ["solve", "padding", "--in", "5", "--k", "3", "--target", "10**50"],
    ["solve", "input", "--out", "5", "--k", "3", "--s", "10**50"],
]


@pytest.mark.parametrize("args", HOSTILE_CLI, ids=[" ".join(a)[:50] for a in HOSTILE_CLI])
def test_hostile_sizes_end_fast_with_one_line(args: list[str]) -> None:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "convcalc", *args], capture_output=True, text=True, timeout=20)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert "MAX_" in proc.stderr
    assert elapsed < 5, elapsed  # a second or less here; generous for a loaded CI machine


def test_big_legal_integers_print_in_full(run_cli) -> None:
    import json

    n = "1" * 60
    result = run_cli("outsize", "--in", n, "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["output"] == [int(n) - 2]
    result = run_cli("outsize", "--in", "10**99", "--k", "3", "--s", "10**99", "--transposed")
    expected = (10**99 - 1) * 10**99 + 3 - 1 + 1  # (n-1)*s + (k-1) + 1
    assert result.exit_code == 0 and result.output.rstrip().endswith(str(expected))


def test_library_refuses_huge_ints_without_printing_them() -> None:
    with pytest.raises(ConvCalcError, match="MAX_DIGITS"):
        conv_output_size(10**5000, 3)
    with pytest.raises(ConvCalcError, match="MAX_DIGITS"):
        conv_output_size(8, 3, stride=10**MAX_DIGITS)


def test_sympy_values_are_bounded_too() -> None:
    import sympy

    n = sympy.Symbol("n", integer=True, positive=True)
    assert conv_output_size(n, 3) == n - 2
    for bad, error in ((n**100000000, ConvCalcError), (sympy.Float(2.5), ConvCalcTypeError),
                       (sympy.nan, ConvCalcTypeError), (sympy.oo, ConvCalcTypeError), (sympy.I, ConvCalcTypeError),
                       (sympy.Rational(1, 2), ConvCalcTypeError), (sympy.exp(n), ConvCalcError),
                       (sympy.Integer(10) ** 200, ConvCalcError)):
        with pytest.raises(error):
            conv_output_size(bad, 3)


def test_bounded_symbolic_work_is_fast() -> None:
    """The worst legal inputs (largest exponents, many symbols) still answer in well under a second."""
    start = time.perf_counter()
    conv_output_size("(n+m+q+1)**64", "(a+b)**64", "(c+d+1)**64", "sym((e+f)**64)", "(g+h)**64")
    pool_output_size("(n+m+q+1)**64", 3, 7, 1, ceil_mode=True)
    pool_output_size("n//(m//(q//(r//(s//t))))", 3, 5, 1, ceil_mode=True)
    transposed_output_size("(n*m+q)**64", 3, 7)
    assert time.perf_counter() - start < 3  # about 0.2 s here under load


def test_injection_is_refused_and_runs_nothing(tmp_path) -> None:
    marker = tmp_path / "ran"
    for text in (f"__import__('os').system('touch {marker}')", "__import__(os)", "n.__class__",
                 "(lambda: 1)()", "[x for x in ()]", "(x for x in ())", "n if n else m", "globals()",
                 "exec('1')", "open(f)", "n;1", "n\n1"):
        with pytest.raises(ConvCalcError):
            conv_output_size(text, 3)
    assert not marker.exists()


# --------------------------------------------------------------------------- framework keyword names (issue 10)
def test_pytorch_and_keras_keyword_names_are_accepted() -> None:
    from convcalc import full_padding, input_sizes, inverse_output_padding, same_padding, solve_padding

    assert conv_output_size(16, kernel_size=2, stride=2, padding=1, dilation=4) == 7  # PyTorch's names
    assert conv_output_size(16, kernel_size=2, strides=2, padding=1, dilation_rate=4) == 7  # Keras's names
    assert pool_output_size(28, kernel_size=2) == pool_output_size(28, pool_size=2) == 14
    assert pool_output_size(28, pool_size=3, strides=1, padding="same", framework="keras") == 28
    assert transposed_output_size(7, kernel_size=3, strides=2, padding=1, output_padding=1) == 14
    assert same_padding(28, kernel_size=4) == (1, 2) and full_padding(kernel_size=3, dilation_rate=2) == 4
    assert solve_padding(29, kernel_size=2, target=15, strides=2) == solve_padding(29, 2, 15, 2)
    assert input_sizes(7, kernel_size=2, strides=2, padding=1, dilation_rate=4) == [15, 16]
    assert inverse_output_padding(28, kernel_size=3, strides=2, padding=1) == 1


BOTH_SPELLINGS = [
    (conv_output_size, {"kernel": 3, "kernel_size": 3}, "kernel= or kernel_size="),
    (conv_output_size, {"kernel": 3, "stride": 2, "strides": 2}, "stride= or strides="),
    (conv_output_size, {"kernel": 3, "dilation": 2, "dilation_rate": 1}, "dilation= or dilation_rate="),
    (pool_output_size, {"kernel": 2, "pool_size": 2}, "kernel= or pool_size="),
    (pool_output_size, {"kernel_size": 2, "pool_size": 2}, "kernel_size="),
    (transposed_output_size, {"kernel": 3, "strides": 2, "stride": 1}, "stride= or strides="),
]


@pytest.mark.parametrize("function,kwargs,message", BOTH_SPELLINGS, ids=[m for _, _, m in BOTH_SPELLINGS])
def test_one_parameter_under_two_names_is_an_error(function, kwargs: dict, message: str) -> None:
    with pytest.raises(ConvCalcError, match=message.replace("=", "=")):
        function(16, **kwargs)


def test_a_missing_kernel_says_so() -> None:
    for function in SIZE_FUNCTIONS:
        with pytest.raises(ConvCalcTypeError, match="'kernel' parameter is required"):
            function(16)


# --------------------------------------------------------------------------- hostile-findings (H8, 17:03)
def test_axis_disagreement_names_each_parameter(run_cli) -> None:
    one_error_line(run_cli("solve", "padding", "--in", "29x45", "--k", "2x2x2", "--target", "15x23"),
                   "'size' has 2", "'kernel' has 3")
    one_error_line(run_cli("solve", "padding", "--in", "29x45", "--k", "x".join(["2"] * 2000), "--target", "15x23"),
                   "'kernel'", "MAX_AXES")
    with pytest.raises(ConvCalcError, match="'padding'.*MAX_AXES"):
        conv_output_size(8, 3, padding=(1,) * 100)


def test_solve_padding_with_a_huge_stride_is_refused_at_once(run_cli) -> None:
    start = time.perf_counter()
    one_error_line(run_cli("solve", "padding", "--in", "29x45", "--k", "2", "--s", "1" * 50, "--target", "15x23"),
                   "MAX_LISTED")
    assert time.perf_counter() - start < 2


def test_a_long_paddings_table_is_cut_and_json_has_everything(run_cli) -> None:
    import json

    from convcalc.cli.solve import TABLE_ROWS

    result = run_cli("solve", "padding", "--in", "29", "--k", "2", "--s", "16", "--target", "15")
    assert result.exit_code == 0 and f"the first {TABLE_ROWS} of 3288 paddings" in result.output
    data = json.loads(run_cli("solve", "padding", "--in", "29", "--k", "2", "--s", "16", "--target", "15",
                              "--json").output)
    assert len(data["padding"][0]) == 3288


def test_layer_specs_take_causal_padding_on_one_axis_only() -> None:
    """Keras's Conv1D(padding='causal') is supported by the specs too (one padding check for every path)."""
    from convcalc.layers import Conv1D, Conv2D

    assert Conv1D(8, 3, padding="causal", dilation=2).output_shape((3, 10)) == (8, 10)
    assert Conv1D(8, 3, padding="causal", stride=3).output_shape((3, 10)) == (8, 4)
    with pytest.raises(ConvCalcError, match="causal.*one spatial axis"):
        Conv2D(8, 3, padding="causal")
    with pytest.raises(ConvCalcError, match="Did you mean 'valid'"):
        Conv2D(8, 3, padding="vaild")


@pytest.mark.parametrize("args", [
    ["outsize", "--in", "n**100000000", "--k", "3"],
    ["outsize", "--in", "n", "--s", "10**10**10", "--k", "3"],
    ["outsize", "--in", "n", "--k", "3", "--transposed", "--output-padding", "n**99"],
    ["solve", "padding", "--in", "n", "--k", "3", "--target", "5", "--s", "2**2**2**2**2"],
], ids=lambda a: " ".join(a)[:40])
def test_refusals_happen_before_sympy_loads(args: list[str]) -> None:
    """Every option is checked before any is read, and the checks need no sympy (its import alone took
    ~2 s under load), so a refused input answers in the time Python starts."""
    code = ("import sys\nfrom convcalc.cli.main import app\n"
            f"try:\n    app({args!r})\nexcept SystemExit as e:\n    print('exit', e.code)\n"
            "print('sympy' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["exit", "2", "False"], proc.stdout + proc.stderr


def test_solve_input_range_reads_ascii_digits_only(run_cli) -> None:
    """H8 finding 17:28: --range ١..٥ was read by int(), which takes other scripts' digits."""
    one_error_line(run_cli("solve", "input", "--stack", "input(1x64x64) conv(8,3) pool(2)", "--range", "١..٥"),
                   "'range'")


@pytest.mark.parametrize("args", [
    ["solve", "padding", "--in", "29", "--k", "2", "--s", "2", "--target", "15"],
    ["solve", "input", "--out", "7", "--k", "3"],
    ["solve", "output-padding", "--in", "28", "--k", "3", "--s", "2", "--p", "1"],
], ids=lambda a: a[1])
def test_solve_survives_a_hostile_terminal_size(args: list[str]) -> None:
    """H8 finding 17:47: COLUMNS=<10,000 digits> was an internal error (Rich int()s it)."""
    import os

    env = {**os.environ, "COLUMNS": "1" * 10_000, "LINES": "x"}
    proc = subprocess.run([sys.executable, "-m", "convcalc", *args], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_sane_terminal_size_keeps_numbers_and_drops_the_rest(monkeypatch) -> None:
    import os

    from convcalc.cli.outsize import sane_terminal_size

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "1" * 10_000)
    sane_terminal_size()
    assert os.environ["COLUMNS"] == "100" and "LINES" not in os.environ
    monkeypatch.setenv("COLUMNS", "١٠٠")
    sane_terminal_size()
    assert "COLUMNS" not in os.environ
