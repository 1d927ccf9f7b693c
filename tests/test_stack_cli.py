"""`convcalc stack` and `convcalc rf`: golden tables, footer totals, JSON, errors, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rich.console import Console

from convcalc.cli._stack_render import HEADERS, rf_table, rf_working_table, summary_table, totals_table
from convcalc.presets import preset
from convcalc.stack import rf_working, summarize

GOLDEN = [
    ("stack_hw5", ["stack", "hw5"]),
    ("stack_lenet5_nhwc_torchinfo", ["stack", "lenet5", "--layout", "nhwc", "--batch", "8", "--dtype", "float16",
                                     "--convention", "torchinfo"]),
    ("stack_spec_per_axis", ["stack", "input(1x20x30) conv(4, (3,5), s=(1,2), p=same, activation=relu) pool(2) "
                                      "bn flatten dense(10)", "--rf-from", "1"]),
    ("stack_alexnet", ["stack", "alexnet"]),
    ("stack_resnet18_depth1", ["stack", "resnet18", "--depth", "1"]),
    ("stack_graph_spec", ["stack", "input(16x28x28) conv(16,3,p=1) as stem res[conv(16,3,p=1) bn relu conv(16,3,p=1) "
                          "bn] relu cat[conv(8,1) | conv(4,1) conv(8,3,p=1) | pool(3,s=1,p=1) conv(8,1) | @stem]"]),
    ("stack_rf_seed_q53", ["rf", "conv(8,3) conv(8,3) conv(8,3)", "--in", "1x16x16", "--rf-from", "1"]),
    ("stack_rf_per_axis", ["rf", "conv(4, (3,5), s=(1,2)) pool(2) conv(4, 3, d=2)", "--in", "1x32x32"]),
]


@pytest.mark.parametrize(("name", "args"), GOLDEN, ids=[name for name, _ in GOLDEN])
def test_golden_output(run_cli, golden, name: str, args: list[str]) -> None:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    golden(name, result.output)


def _ints(cells: list[str]) -> list[int]:
    return [int(cell.replace(",", "")) for cell in cells]


@pytest.mark.parametrize("name", ["hw5", "hw5-2conv", "lenet5", "alexnet", "vgg16"])
@pytest.mark.parametrize("convention", ["torchvision", "ptflops"])
def test_column_totals_equal_the_footer(name: str, convention: str) -> None:
    summary = summarize(*preset(name), convention=convention)
    table = summary_table(summary)
    columns = {column.header: column for column in table.columns}
    for header, total in (("Param #", summary.total_params), ("MACs", summary.total_macs)):
        column = columns[header]
        assert sum(_ints(list(column.cells))) == int(column.footer.replace(",", "")) == total


def test_renderers_are_pure_builders() -> None:
    summary = summarize(*preset("hw5"))
    console = Console(record=True, width=100, color_system=None)
    for renderable in (summary_table(summary), totals_table(summary), rf_table(summary),
                       rf_working_table(rf_working(*preset("lenet5")))):
        console.print(renderable)
    text = console.export_text()
    assert "542,230" in text and "736,488" in text and "13.5" in text
    assert "RF_4 = s_5*RF_5" not in text  # lenet5 has 13 layers: the working starts at RF_13
    assert "RF_12" in text and "s_13*RF_13" not in text.replace("RF_13 (", "")


def test_json_contract(run_cli) -> None:
    result = run_cli("stack", "hw5", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["total_params"] == 542_230 and data["total_macs"] == 736_488
    assert [layer["output_shape"] for layer in data["layers"]][:3] == [[32, 26, 26], [32, 26, 26], [32, 13, 13]]
    assert {"name", "output_shape", "params", "macs", "rf", "jump", "start"} <= set(data["layers"][0])
    assert data["layers"][4]["rf"] == 28 and data["layers"][4]["start"] == 13.5


def test_rf_json_and_the_seed_answer(run_cli) -> None:
    result = run_cli("rf", "conv(8,3) conv(8,3) conv(8,3)", "--in", "1x16x16", "--rf-from", "1", "--json")
    data = json.loads(result.output)
    assert data["rf"] == 5 and data["rf_from"] == 1
    assert [w["value"] for w in data["working"]] == [1, 3, 5]


def test_input_option_overrides_a_preset(run_cli) -> None:
    data = json.loads(run_cli("stack", "vgg16", "--in", "3x32x32", "--json").output)
    assert data["input_shape"] == [3, 32, 32] and data["layers"][-1]["output_shape"] == [1000]


ERRORS = [
    (["stack", "conv(8,3)"], "input shape is missing"),
    (["stack", "conv(8,3) pool(2", "--in", "1x8x8"], "^"),
    (["stack", "hw5", "--convention", "macs"], "'convention'"),
    (["stack", "hw5", "--in", "1x2x2"], "layer 1 (Conv2D(32, 3, s=1, p=0)): kernel 3 is larger"),
    (["stack", "hw5", "--in", "1xx2"], "sizes such as 1x28x28"),
    (["rf", "conv(4, 3) convtranspose(4, 3, s=2)", "--in", "1x8x8"], "no shift-invariant receptive field"),
    (["stack", "hw5", "--batch", "0"], "The 'batch' parameter must be an int >= 1. Got '0'."),
    (["stack", "hw5", "--batch", "x"], "The 'batch' parameter must be an int >= 1. Got 'x'."),
    (["stack", "hw5", "--rf-from", "-1"], "The 'rf_from' parameter must be an int >= 0."),
    (["stack", "hw5", "--rf-from", "9"], "The 'rf_from' parameter must be a layer index from 0 (the input) to 8"),
    (["rf", "hw5", "--rf-from", "two"], "The 'rf_from' parameter must be an int >= 0."),
    (["stack"], "Give either a SPEC"),
    (["stack", "hw5", "--bogus"], "No such option: --bogus"),
    (["stack", "hw6"], "'hw6' is neither a preset nor a layer; use a preset (hw5, hw5-2conv, lenet5, alexnet, vgg16, resnet18"),
    (["rf", "vgg19"], "'vgg19' is neither a preset nor a layer"),
    (["stack", "missing/net.txt"], "missing/net.txt: no such file"),
    (["stack", "hw5", "--in", "0x28x28"], "sizes such as 1x28x28"),
    (["stack", "resnet18", "--depth", "0"], "The 'depth' parameter must be an int >= 1. Got '0'."),
    (["stack", "input(4x8x8) add[conv(4,3,s=2,p=1) | conv(4,2,s=2)]"], "is not aligned on spatial axis 0"),
    (["stack", "input(4x8x8) add[conv(4,3) | ]"], "1 gives (4, 6, 6), input gives (4, 8, 8)"),
    (["stack", "input(4x8x8) " + "res[" * 3000 + "relu" + "]" * 3000], "nesting deeper than 100 levels"),
    (["rf", "resnet18"], "the top-down working follows one chain"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[m for _, m in ERRORS])
def test_errors_exit_2_with_one_message(run_cli, args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.output + getattr(result, "stderr", "")
    assert "Traceback" not in result.output


def test_usage_errors_are_one_line(run_cli) -> None:
    for args in (["stack", "hw5", "--batch", "x"], ["stack"], ["rf", "hw5", "--bogus"]):
        result = run_cli(*args)
        assert result.exit_code == 2 and result.output.startswith("error: ") and result.output.count("\n") == 1


@pytest.mark.parametrize("name", ["hw5", "hw5-2conv", "lenet5", "alexnet", "vgg16"])
def test_a_pipe_shows_every_layer_name_whole(run_cli, name: str) -> None:
    """Rich's 80-column default used to squash the Layer column into 'Conv2…' in a pipe."""
    result = run_cli("stack", name)
    lines = result.output.splitlines()
    assert result.exit_code == 0 and "…" not in result.output
    assert not [line for line in lines if line != line.rstrip()]
    rows = {int(line.split()[0]): line for line in lines if line.split() and line.split()[0].isdigit()}
    for row in summarize(*preset(name)).layers:
        assert f"{row.index}  {row.name}  " in rows[row.index].lstrip()


@pytest.mark.parametrize(("name", "hidden"), [("hw5", ["Memory"]), ("lenet5", ["Memory"]),
                                               ("vgg16", ["Memory", "Start", "Jump"])])
def test_an_80_column_terminal_drops_columns_not_names(monkeypatch, name: str, hidden: list[str]) -> None:
    import io

    from convcalc.cli import _console, _stack_render

    terminal = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    monkeypatch.setattr(_console, "console", terminal)
    summary = summarize(*preset(name))
    table = summary_table(summary, max_width=_stack_render.terminal_width())
    _stack_render.emit(table, totals_table(summary))
    text = terminal.file.getvalue()
    headers = [column.header for column in table.columns]
    assert all(len(line) <= 80 for line in text.splitlines()) and "…" not in text
    assert sorted(h for h in HEADERS.values() if h not in headers and h != "Connected to") == sorted(hidden)
    assert f"not shown at 80 columns: {', '.join(hidden)}" in text
    assert all(row.name in text for row in summary.layers)


def test_the_command_module_keeps_heavy_imports_out() -> None:
    code = ("import sys, convcalc.cli.stack; "
            "print(sorted(m for m in ('numpy', 'sympy', 'scipy', 'torch', 'convcalc.stack', 'convcalc.spec') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_flops_convention_is_labelled_flops(run_cli) -> None:
    """`--convention flops` counts 2 x MACs: the column and the total say FLOPs, not MACs."""
    lines = run_cli("stack", "hw5", "--convention", "flops").output.splitlines()
    assert "FLOPs" in lines[0].split() and "MACs" not in lines[0]
    assert "Total FLOPs:           1,472,976 (2 x MACs)" in lines


def test_a_very_narrow_terminal_wraps_cells_but_never_cuts_them(monkeypatch) -> None:
    """Below what dropping columns can fit, cells wrap (or fold); no number is ever cut to '1…'."""
    import io

    from convcalc.cli import _console, _stack_render

    terminal = Console(file=io.StringIO(), width=50, force_terminal=True, color_system=None)
    monkeypatch.setattr(_console, "console", terminal)
    summary = summarize(*preset("alexnet"))
    _stack_render.emit(summary_table(summary, max_width=50), rf_table(summary), rf_working_table(
        rf_working(*preset("alexnet"))))
    text = terminal.file.getvalue()
    assert "…" not in text and all(len(line) <= 50 for line in text.splitlines())
    assert all(f"{row.params:,}" in text for row in summary.layers) and "61,100,840" in text
    assert "AdaptiveAvgPool2D(6" in text and "RF_21 (ReLU: k = 1, s = 1)" in text.replace("\n", " ").replace("  ", " ")


@pytest.mark.parametrize("shape", ["¹⁶", "１x２８x２８", "1" * 10_000, "1x" * 40 + "1"])
def test_hostile_input_shapes_are_one_error(run_cli, shape: str) -> None:
    """H8's findings: non-ASCII digits and huge numbers were int() tracebacks (exit 3)."""
    result = run_cli("stack", "conv(8,3)", "--in", shape)
    assert result.exit_code == 2 and "'input shape' must be sizes" in result.output
    assert len(result.output) < 400


def test_a_binary_spec_file_is_one_error(run_cli, tmp_path) -> None:
    path = tmp_path / "net.spec"
    path.write_bytes(b"conv(8,3) \x80\x81\xfe relu")
    result = run_cli("rf", f"@{path}", "--in", "1x8x8")
    assert result.exit_code == 2 and "not UTF-8 text" in result.output


def test_a_long_stack_prints_fast_as_plain_lines(run_cli) -> None:
    """Above PLAIN_ROWS rows the table is laid out directly (Rich took 33 s for 10,000 rows); same columns."""
    from convcalc.cli._stack_render import PLAIN_ROWS

    long = run_cli("stack", "conv(4,3,p=1) relu " * (PLAIN_ROWS // 2 + 1), "--in", "1x8x8").output.splitlines()
    short = run_cli("stack", "conv(4,3,p=1) relu " * 3, "--in", "1x8x8").output.splitlines()
    assert long[0].split() == short[0].split() and long[2].split() == short[2].split()
    assert long[PLAIN_ROWS + 4].split()[0] == "Total" or any(line.strip().startswith("Total ") for line in long)


def test_a_long_rf_working_prints_as_plain_lines(run_cli) -> None:
    """H8: `convcalc rf` of 5,000 layers ran past 10 s in Rich; above PLAIN_ROWS both of its tables are laid out."""
    from convcalc.cli._stack_render import PLAIN_ROWS

    n = PLAIN_ROWS + 5
    result = run_cli("rf", "conv(4,3,p=1) " * n, "--in", "1x8x8")
    lines = result.output.splitlines()
    assert result.exit_code == 0 and lines[0].split() == ["#", "Layer", "k", "s", "p", "d", "RF", "Jump", "Start"]
    assert lines[-1].split()[0] == "RF_0" and lines[-1].split()[-1] == str(2 * n + 1)


def test_json_keeps_every_node_and_writes_fractions_as_strings(run_cli) -> None:
    """--depth folds the table only; a fractional jump/start (DCGAN's up-sampling) is "1/2" in JSON."""
    import json

    folded = json.loads(run_cli("stack", "resnet50", "--json", "--depth", "1").output)
    assert len(folded["layers"]) == 175 and folded["layers"][-1]["inputs"] == ["174"]
    dcgan = json.loads(run_cli("stack", "dcgan-generator", "--json").output)
    assert dcgan["layers"][3]["jump"] == "1/2" and dcgan["layers"][3]["start"] == "-7/4"
    assert dcgan["layers"][-1]["output_shape"] == [3, 64, 64]


@pytest.mark.parametrize("args", [["stack", "hw5", "--batch", "١٦"], ["stack", "hw5", "--batch", "１６"],
                                  ["stack", "resnet18", "--depth", "١"], ["stack", "hw5", "--rf-from", "1_0"],
                                  ["solve", "input", "--stack", "unet", "--range", "١..٥"]])
def test_int_options_take_ascii_digits_only(run_cli, args: list[str]) -> None:
    """H8: int() reads other scripts' digits; convcalc reads numbers written with 0-9 only."""
    result = run_cli(*args)
    assert result.exit_code == 2 and "error:" in result.output


def test_out_writes_the_table_as_svg_or_html(run_cli, tmp_path) -> None:
    """H6's renderers (convcalc.draw.reprs) behind `stack -o FILE.svg|.html`; a bad name is one error line."""
    svg, html = tmp_path / "t.svg", tmp_path / "t.html"
    assert run_cli("stack", "hw5", "-o", str(svg)).exit_code == 0
    assert svg.read_text().lstrip().startswith("<svg") and "Conv2D(32, 3, s=1, p=0)" in svg.read_text()
    assert run_cli("stack", "hw5", "--out", str(html), "--json").exit_code == 0 and "542,230" in html.read_text()
    for bad, message in ((tmp_path / "t.png", "'out'"), (tmp_path / "no" / "t.svg", "does not exist")):
        result = run_cli("stack", "hw5", "-o", str(bad))
        assert result.exit_code == 2 and message in result.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_layer_names_reach_the_table_escaped() -> None:
    """H8: a Keras config's class name 'Dense\\x1b[2J' was printed raw (clears the terminal); a name is
    never read as Rich markup either ('[/x]' would be a markup error)."""
    import io

    from convcalc.cli._stack_render import printable
    from convcalc.graph import Graph, Input, Model
    from convcalc.layers import ReLU

    x = Input((1, 4, 4))
    graph = Model(x, ReLU()(x, name="odd\x1b[2J[/x]"))
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(summary_table(summarize(graph)))
    text = console.file.getvalue()
    assert "\x1b" not in text and "odd\\x1b[2J[/x]: ReLU" in text
    assert isinstance(graph, Graph) and printable("a\x00b\rc") == "a\\x00b\\rc"


def test_out_with_a_control_character_is_one_error(run_cli, tmp_path) -> None:
    result = run_cli("stack", "hw5", "-o", str(tmp_path / "t\x07.svg"))
    assert result.exit_code == 2 and "'out'" in result.output


def test_a_huge_columns_value_falls_back_to_80(monkeypatch) -> None:
    from convcalc.cli._stack_render import _pipe_width

    monkeypatch.setenv("COLUMNS", "9" * 10_000)
    assert _pipe_width() == 80
