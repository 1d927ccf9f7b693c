"""``convcalc stack`` on the models people have: print(model) text on stdin, code files, ``.keras`` files.

Rows read on an assumption or not read are listed, never dropped, and make the
exit status 1 unless ``--allow-partial``.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from convcalc.cli.main import app

runner = CliRunner()

LENET_PRINT = """LeNet(
  (features): Sequential(
    (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
    (1): ReLU()
    (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    (3): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
    (4): ReLU()
    (5): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  )
  (classifier): Sequential(
    (0): Linear(in_features=400, out_features=120, bias=True)
    (1): ReLU()
    (2): Linear(in_features=120, out_features=84, bias=True)
    (3): ReLU()
    (4): Linear(in_features=84, out_features=10, bias=True)
  )
)
"""
LENET_PARAMS = 6 * 25 + 6 + 16 * 6 * 25 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10  # 61,706

SEQUENTIAL_PRINT = """Sequential(
  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))
  (1): ReLU()
  (2): Flatten(start_dim=1, end_dim=-1)
  (3): Linear(in_features=5408, out_features=10, bias=True)
)
"""


def test_print_model_on_stdin_ok_rows_exit_0():
    result = runner.invoke(app, ["stack", "-", "--in", "1x28x28", "--json"], input=SEQUENTIAL_PRINT)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total_params"] == 8 * 9 + 8 + 5408 * 10 + 10
    assert data["layers"][-1]["output_shape"] == [10]
    assert {row["status"] for row in data["import"]["rows"]} == {"ok"}


def test_custom_module_is_partial_exit_1_unless_allowed():
    """LeNet's flatten lives in forward(): the rows say what was assumed, and the exit status says so too."""
    result = runner.invoke(app, ["stack", "-", "--in", "1x32x32"], input=LENET_PRINT)
    assert result.exit_code == 1, result.output
    assert "Flatten assumed" in result.output and "--allow-partial" in result.output
    assert f"{LENET_PARAMS:,}" in result.output
    allowed = runner.invoke(app, ["stack", "-", "--in", "1x32x32", "--allow-partial", "--json"], input=LENET_PRINT)
    assert allowed.exit_code == 0
    assert json.loads(allowed.output)["total_params"] == LENET_PARAMS


def test_code_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text("import torch.nn as nn\nmodel = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),"
                    " nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))\n")
    result = runner.invoke(app, ["stack", str(path), "--in", "3x32x32", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total_params"] == 3 * 8 * 9 + 8 + 8 * 2 + 2


def test_keras_code_sets_its_own_input(tmp_path):
    path = tmp_path / "net.py"
    path.write_text("model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), "
                    "layers.Flatten(), layers.Dense(10)])\n")
    result = runner.invoke(app, ["stack", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["layers"][0]["output_shape"] == [4, 26, 26]


def test_missing_input_shape_is_one_line():
    result = runner.invoke(app, ["stack", "-"], input=SEQUENTIAL_PRINT)
    assert result.exit_code == 2
    assert "--in" in result.output and "Traceback" not in result.output


def test_bad_model_files_are_one_line(tmp_path):
    binary = tmp_path / "net.py"
    binary.write_bytes(b"model = nn.Sequential(\0)")
    broken = tmp_path / "broken.py"
    broken.write_text("model = nn.Sequential(nn.Conv2d(1, 8, 3)\n")
    for path, message in ((binary, "binary"), (broken, "syntax error at line"), (tmp_path / "none.keras", "no such")):
        result = runner.invoke(app, ["stack", str(path), "--in", "1x28x28"])
        assert result.exit_code == 2, result.output
        assert message in result.output and str(path.name) in result.output


def test_stdin_spec_still_a_spec():
    result = runner.invoke(app, ["stack", "-", "--in", "1x28x28", "--json"], input="conv(8,3) relu flatten dense(10)")
    assert result.exit_code == 0, result.output
    assert "import" not in json.loads(result.output)


def test_torch_factory(tmp_path, monkeypatch):
    import pytest

    pytest.importorskip("torch")
    (tmp_path / "my_models.py").write_text(
        "import torch.nn as nn\n"
        "def make_net():\n"
        "    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = runner.invoke(app, ["stack", "--torch", "my_models:make_net", "--in", "3x8x8", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total_params"] == 3 * 4 * 9 + 4 + 144 * 2 + 2
    for argv, message in ((["stack", "--torch", "my_models"], "MODULE:FACTORY"),
                          (["stack", "--torch", "no_such_mod:f", "--in", "3x8x8"], "cannot import"),
                          (["stack", "--torch", "my_models:nope", "--in", "3x8x8"], "has no 'nope'"),
                          (["stack", "hw5", "--torch", "my_models:make_net"], "not both"),
                          (["stack"], "neither")):
        bad = runner.invoke(app, argv)
        assert bad.exit_code == 2 and message in bad.output, (argv, bad.output)
