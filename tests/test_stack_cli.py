"""`convcalc stack` and `convcalc rf`: golden tables, footer totals, JSON, errors, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rich.console import Console

from convcalc.cli._stack_render import rf_table, rf_working_table, summary_table, totals_table
from convcalc.presets import preset
from convcalc.stack import rf_working, summarize

GOLDEN = [
    ("stack_hw5", ["stack", "hw5"]),
    ("stack_lenet5_nhwc_torchinfo", ["stack", "lenet5", "--layout", "nhwc", "--batch", "8", "--dtype", "float16",
                                     "--convention", "torchinfo"]),
    ("stack_spec_per_axis", ["stack", "input(1x20x30) conv(4, (3,5), s=(1,2), p=same, activation=relu) pool(2) "
                                      "bn flatten dense(10)", "--rf-from", "1"]),
    ("stack_alexnet", ["stack", "alexnet"]),
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
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[m for _, m in ERRORS])
def test_errors_exit_2_with_one_message(run_cli, args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.output + getattr(result, "stderr", "")
    assert "Traceback" not in result.output


def test_the_command_module_keeps_heavy_imports_out() -> None:
    code = ("import sys, convcalc.cli.stack; "
            "print(sorted(m for m in ('numpy', 'sympy', 'scipy', 'torch', 'convcalc.stack', 'convcalc.spec') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
