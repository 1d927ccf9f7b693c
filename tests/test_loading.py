"""One loader: every command turns a preset name or a spec into (layers, input shape) the same way."""

from __future__ import annotations

import pytest

from convcalc.errors import ConvCalcError
from convcalc.presets import preset
from convcalc.spec import load_stack


def test_every_caller_accepts_preset_aliases_through_the_one_loader() -> None:
    """'LeNet-5' is an alias of lenet5: before, nn and train tested `name in PRESETS` and missed it."""
    from convcalc.diagnose.stacks import _stack
    from convcalc.nn.model import Sequential
    from convcalc.nn.session import TrainConfig, _model_shape

    layers, shape = preset("lenet5")
    assert load_stack("LeNet-5") == (layers, shape)
    assert Sequential.from_spec("LeNet-5").input_shape == shape
    assert _model_shape(TrainConfig(model="LeNet-5")) == shape
    assert _stack({"id": "q", "spec": "LeNet-5"}) == (layers, shape)


def test_a_missing_shape_is_none_only_when_asked() -> None:
    assert load_stack("conv(8, 3)", require_shape=False)[1] is None
    with pytest.raises(ConvCalcError, match="input shape is missing"):
        load_stack("conv(8, 3)")


def test_a_single_unknown_word_is_named_as_a_preset_typo_everywhere() -> None:
    from convcalc.nn.model import Sequential

    for call in (lambda: load_stack("resnet-99"), lambda: Sequential.from_spec("resnet-99")):
        with pytest.raises(ConvCalcError, match="neither a preset nor a layer"):
            call()


def test_diagnose_rotates_a_channels_last_input_first() -> None:
    from convcalc.diagnose.stacks import _stack

    assert _stack({"id": "q", "spec": "conv(8, 3)", "input": (28, 28, 1), "layout": "nhwc"})[1] == (1, 28, 28)


def test_files_false_never_reads_a_file(tmp_path, monkeypatch) -> None:
    """Issue 17 (H2's request): a bare word that names an existing file is read only when files=True."""
    (tmp_path / "net.txt").write_text("conv(8, 3)")
    monkeypatch.chdir(tmp_path)
    assert load_stack("net.txt", (1, 8, 8))[1] == (1, 8, 8)
    with pytest.raises(ConvCalcError):
        load_stack("net.txt", (1, 8, 8), files=False)
