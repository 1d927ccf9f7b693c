"""convcalc.sweep.grid and the bad-input side of `convcalc sweep` (nothing is trained here)."""

from __future__ import annotations

import itertools
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.cli.main import app
from convcalc.errors import ConvCalcError
from convcalc.nn.session import TrainConfig
from convcalc.sweep import SweepSpec, load_sweep_file, parse_grid
from convcalc.sweep.grid import field_types, parse_value

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
runner = CliRunner()


def test_every_train_option_is_a_grid_name_with_its_type() -> None:
    types = field_types()
    assert list(types) == [f.name for f in fields(TrainConfig)]
    assert types["lr"] == ("float", True) and types["seed"] == ("int", False)
    assert types["nesterov"] == ("bool", False) and types["data_dir"] == ("str", True)


def test_values_take_the_type_of_their_option() -> None:
    grid = parse_grid(["lr=0.01,1,1e-5", "optimizer=sgd,adam", "seed=0,1,2", "nesterov=true,no",
                       "early_stopping=none,3"])
    assert grid == {"lr": [0.01, 1.0, 1e-5], "optimizer": ["sgd", "adam"], "seed": [0, 1, 2],
                    "nesterov": [True, False], "early_stopping": [None, 3]}
    assert all(isinstance(v, float) for v in grid["lr"]) and all(type(v) is int for v in grid["seed"])
    # a model spec keeps its commas; dashes in names are read as underscores
    assert parse_grid(["model=conv(32,3) relu pool(2) flatten dense(10) softmax,hw5", "batch-size=16,32"]) == {
        "model": ["conv(32,3) relu pool(2) flatten dense(10) softmax", "hw5"], "batch_size": [16, 32]}


def test_runs_are_the_product_in_order_with_stable_ids() -> None:
    grid = {"lr": [0.01, 0.1, 1.0], "momentum": [0.0, 0.9], "seed": [0, 1]}
    spec = SweepSpec(base={"model": "hw5", "epochs": 2}, grid=grid)
    runs = spec.runs()
    assert spec.count() == len(runs) == 12
    expected = list(itertools.product(*grid.values()))  # first name varies slowest, as itertools.product
    assert [(r.config["lr"], r.config["momentum"], r.config["seed"]) for r in runs] == expected
    assert all(r.config["epochs"] == 2 and r.config["model"] == "hw5" for r in runs)
    # every other option is TrainConfig's default, so each run is a complete TrainConfig
    assert all(TrainConfig(**r.config).batch_size == TrainConfig().batch_size for r in runs)
    assert runs[7].label == "lr=0.1 momentum=0.9 seed=1" and runs[7].group == "lr=0.1 momentum=0.9"
    assert len({r.id for r in runs}) == 12
    assert [r.id for r in SweepSpec(base={"epochs": 2, "model": "hw5"}, grid=grid).runs()] == [r.id for r in runs]
    assert spec.varied() == ["lr", "momentum", "seed"]


def test_variants_are_crossed_with_the_grid() -> None:
    spec = SweepSpec(base={"lr": 0.01}, grid={"seed": [0, 1]},
                     variants=[{"label": "base"}, {"label": "momentum", "momentum": 0.9}, {"lr": 1}])
    runs = spec.runs()
    assert spec.count() == 6
    assert [(r.values["variant"], r.config["lr"], r.config["momentum"], r.config["seed"]) for r in runs] == [
        ("base", 0.01, 0.0, 0), ("base", 0.01, 0.0, 1), ("momentum", 0.01, 0.9, 0), ("momentum", 0.01, 0.9, 1),
        ("lr=1", 1.0, 0.0, 0), ("lr=1", 1.0, 0.0, 1)]
    with pytest.raises(ConvCalcError, match="'seed' is set both by a variant and by the grid"):
        SweepSpec(grid={"seed": [0, 1]}, variants=[{"seed": 3}])


@pytest.mark.parametrize("items, message", [
    (["rl=0.1"], r"Unknown grid parameter 'rl'; did you mean 'lr'\? Valid names: model, data, .*seed\."),
    (["optimiser=sgd"], r"did you mean 'optimizer'"),
    (["lr"], r"Malformed --grid 'lr': write NAME=V1,V2"),
    (["lr="], r"The grid of 'lr' in --grid is empty"),
    (["lr=0.1,,1"], r"an empty value between commas"),
    (["lr=0.1,0.1"], r"repeats the value 0.1"),
    (["lr=0.1", "lr=1"], r"--grid names 'lr' twice"),
    (["epochs=1.5"], r"The 'epochs' parameter must be an int. Got '1.5'"),
    (["epochs=0"], r"The 'epochs' parameter must be an int >= 1. Got 0"),
    (["lr=fast"], r"The 'lr' parameter must be a number or none. Got 'fast'"),
    (["lr=nan"], r"a finite number"),
    (["nesterov=maybe"], r"true or false"),
    (["epochs=\u0661\u0666"], r"The 'epochs' parameter must be an int written with the digits 0-9"),
    (["lr=\uff10.1"], r"The 'lr' parameter must be a number written with the digits 0-9"),
])
def test_bad_grids_name_the_problem(items: list[str], message: str) -> None:
    with pytest.raises(ConvCalcError, match=message):
        parse_grid(items)


def test_toml_values_are_checked_like_command_line_values() -> None:
    assert parse_value("lr", 1) == 1.0 and parse_value("epochs", 3) == 3
    for name, value in [("epochs", 2.0), ("epochs", True), ("lr", "x"), ("model", 3), ("nesterov", 1)]:
        with pytest.raises(ConvCalcError, match=repr(name)):
            parse_value(name, value)


def test_a_grid_over_max_runs_is_refused_with_its_count() -> None:
    spec = SweepSpec(grid={"seed": list(range(40)), "lr": [0.1, 0.2, 0.3]})
    assert spec.check_size(120) == 120
    with pytest.raises(ConvCalcError, match=r"The grid has 120 runs \(40 x 3\), more than --max-runs 100"):
        spec.check_size(100)
    with pytest.raises(ConvCalcError, match="The sweep has no grid"):
        SweepSpec(base={"lr": 0.1}).check_size()


def test_the_example_sweep_files_reproduce_the_seed_studies() -> None:
    hw5 = load_sweep_file(EXAMPLES / "hw5_sweep.toml")
    assert hw5.base["model"] == "hw5" and hw5.base["optimizer"] == "sgd" and hw5.base["batch_size"] == 32
    configs = {r.values["variant"]: r.config for r in hw5.runs() if r.config["seed"] == 0}
    assert [(c["model"], c["lr"], c["momentum"]) for c in configs.values()] == [
        ("hw5", 0.01, 0.0), ("hw5", 1.0, 0.0), ("hw5", 1e-5, 0.0), ("hw5", 0.01, 0.9), ("hw5-2conv", 0.01, 0.0)]
    lenet = load_sweep_file(EXAMPLES / "lenet5_sweep.toml")
    assert lenet.base["model"] == "lenet5" and lenet.base["l2"] == 0.001 and lenet.base["batch_size"] == 64
    variants = {r.values["variant"]: r.config for r in lenet.runs() if r.config["seed"] == 0}
    assert len(variants) == 6
    assert all(c["negate_test"] for c in variants.values())
    assert sorted((c["optimizer"], c["lr"], c["init"], c["augment_negative"]) for c in variants.values()) == sorted([
        ("adam", 5e-4, "he_normal", False), ("adam", 0.05, "he_normal", False), ("adam", 5e-4, "ones", False),
        ("adam", 5e-4, "glorot_normal", False), ("sgd", 5e-4, "he_normal", False), ("adam", 5e-4, "he_normal", True)])


@pytest.mark.parametrize("text, message", [
    ("[grid]\nlr = [0.1,\n", "is not valid TOML"),
    ("[grid]\nlr = 0.1\n", "grid 'lr' must be a list of values"),
    ("[grdi]\nlr = [0.1]\n", "unknown table"),
    ("[train]\nepochz = 3\n[grid]\nlr = [0.1]\n", "Unknown option 'epochz'; did you mean 'epochs'"),
    ("[grid]\nlr = []\n", "is empty"),
    ("[train]\nlr = 0.1\n[grid]\nlr = [0.1, 1]\n", r"'lr' is set both in \[train\] and in \[grid\]"),
    ("[grid]\nlr = " + "[" * 5000 + "1" + "]" * 5000 + "\n", "not valid TOML: nested too deeply"),
    ("[grid]\nseed = [" + "1" * 5000 + "]\n", "a number in it has more than 4,300 digits"),
])
def test_bad_sweep_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConvCalcError, match=message):
        load_sweep_file(path)


@pytest.mark.parametrize("args, message", [
    (["--grid", "rl=0.1"], "Unknown grid parameter 'rl'; did you mean 'lr'?"),
    (["--grid", "lr="], "is empty"),
    (["--grid", "lr0.1"], "Malformed --grid"),
    ([], "The sweep has no grid"),
    (["--grid", "seed=" + ",".join(map(str, range(30))), "--grid", "lr=0.1,0.2", "--max-runs", "50"],
     "The grid has 60 runs (30 x 2), more than --max-runs 50"),
    (["--lr", "0.1", "--grid", "lr=0.1,1"], "'lr' is given both as --lr and in --grid"),
    (["--grid", "optimizer=sgd,adamw"], "optimizer"),
    (["--grid", "model=hw5,conv(3 relu"], "model 'conv(3 relu'"),
    (["missing.toml"], "Cannot read the sweep file 'missing.toml'"),
    (["--grid", "lr=0.1,1", "--scheduler", "nowhere"], "'scheduler' parameter must be 'local' or a Dask"),
    (["--grid", "lr=0.1,1", "--jobs", "0"], "'jobs' parameter must be an int from 1 to"),
    (["--grid", "lr=0.1,1", "--jobs", "100000"], "(4 worker processes per core at most; use a Dask cluster"),
    (["--grid", "lr=0.1,1", "--csv", "/no/such/folder/e.csv"], "the folder '/no/such/folder' does not exist"),
    (["--grid", "lr=0.1,1", "--plot", "curves.txt"], "--plot 'curves.txt': the file name must end in one of .png"),
    (["--grid", "seed=" + ",".join(map(str, range(20000))), "--max-runs", "10"], "The grid has 20,000 runs"),
    (["--grid", "lr=0.1,1", "--max-memory", "lots"], "The 'max_memory' parameter must be a size such as 8G"),
    (["--grid", "lr=0.1,1", "--csv", "a" * 300 + ".csv"], "the file name is longer than 255 bytes"),
    (["--grid", "lr=0.1,1", "--epochs", "\u0661\u0666"], "is not an integer written with the digits 0-9"),
    (["--grid", "lr=0.1,1", "--csv", "/dev/full", "--overwrite"], "--csv '/dev/full' exists and is not a regular"),
    (["--grid", "lr=0.1,1", "--markdown", __file__], "already exists; pass --overwrite (or --resume) to replace it"),
    (["--grid", "lr=0.1,1", "--plot", "c\x00.png"], "a file name cannot hold a NUL character"),
    (["--grid", "lr=0.1,1", "--markdown", "no/such/t.md"], "--markdown 'no/such/t.md': the folder 'no/such' does not"),
    ([str(EXAMPLES / "hw5_sweep.toml"), "--lr", "0.05"],
     "--lr would not apply to the sweep file's variants that set 'lr' themselves (lr=1, lr=1e-5)"),
    ([str(EXAMPLES / "hw5_sweep.toml"), "--grid", "momentum=0,0.5"],
     "--grid momentum would not apply to the sweep file's variants that set 'momentum' themselves (momentum 0.9)"),
])
def test_cli_bad_input_is_one_error_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sweep", *args, "--dir", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert not (tmp_path / "s").exists()  # refused before anything was written


def test_cli_without_dask_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    result = runner.invoke(app, ["sweep", "--grid", "lr=0.1,1", "--epochs", "1", "--limit", "20",
                                 "--scheduler", "local", "--dir", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: Running on Dask needs the optional extra: pip install "
                                     "'convcalc[dask]' (or pip install 'dask[distributed]').")


def test_cli_without_matplotlib_refuses_plot_before_training(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(app, ["sweep", "--grid", "lr=0.1,1", "--plot", str(tmp_path / "c.png"),
                                 "--dir", str(tmp_path / "s")])
    assert result.exit_code == 2 and "pip install 'convcalc[plot]'" in result.stderr
    assert not (tmp_path / "s").exists()


def test_cli_grid_overrides_the_files_fixed_option(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[train]\nlr = 0.5\nmodel = "hw5"\n[grid]\nseed = [0, 1]\n')
    from convcalc.cli.sweep import _spec_from

    spec = _spec_from(str(path), ["lr=0.1,0.2"], {})
    # the file's grid first (slowest), then the command line's
    assert [(r.config["lr"], r.config["seed"]) for r in spec.runs()] == [(0.1, 0), (0.2, 0), (0.1, 1), (0.2, 1)]
    spec = _spec_from(str(path), [], {"seed": 3, "epochs": 2})  # a fixed option replaces the file's grid of it
    assert [(r.config["lr"], r.config["seed"], r.config["epochs"]) for r in spec.runs()] == [(0.5, 3, 2)]
