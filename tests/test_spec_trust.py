"""Issue 10's silent wrong answers in the spec language: each test failed before its fix.

- ``Add()`` / ``add`` was read as Keras's ``model.add`` and dropped: merges now refuse a linear spec.
- Arguments were dropped although they change a count (``trainable=False``,
  ``track_running_stats=False``, ``start_dim=2``, ``lora_rank=4``, ``axis=1``): refused with a word.
- ``convcalc.Conv2D(3, 8, 3)`` silently meant filters=3, kernel 8, stride 3: refused, both readings shown.
- ``summarize(parse_spec('nn.Conv2d(3,16,3) nn.Conv2d(8,16,3)'))`` passed: the spec checks its in_channels.
"""

from __future__ import annotations

import pytest

import convcalc
from convcalc import ConvCalcError
from convcalc.layers import BatchNorm2D, Conv2D, ConvTranspose2D, Dense, channels_first, channels_last
from convcalc.spec import parse_spec, read_spec
from convcalc.spec.names import _IGNORED, _ONLY
from convcalc.stack import summarize


# --------------------------------------------------------------------------- merges are never dropped
@pytest.mark.parametrize("text", [
    "conv(8, 3) Add() relu", "conv(8, 3) add relu", "layers.Add()", "keras.layers.Concatenate(axis=1)",
    "Multiply()", "Subtract()", "Average()", "Maximum()", "Minimum()", "concat", "cat(1)", "Dot(axes=1)",
    "add(name='sum')",
])
def test_a_merge_layer_in_a_linear_spec_is_an_error_naming_graphs(text: str) -> None:
    with pytest.raises(ConvCalcError, match=r"merge layer.*res\[.*cat\["):
        parse_spec(text)


def test_model_add_still_unwraps_its_layer() -> None:
    assert parse_spec("model.add(Conv2D(8, 3))\nmodel.add(Flatten())") == parse_spec("conv(8, 3) flatten")
    assert parse_spec("add(conv(8, 3))") == [Conv2D(8, 3)]


# --------------------------------------------------------------------------- no token ignored without a word
# Every argument that is dropped, and why dropping it changes nothing convcalc computes.
IGNORED_WHY = {
    "name": "a label", "dtype": "element type: --dtype sets the bytes", "device": "placement",
    "inplace": "memory reuse, same output", "returnindices": "MaxPool2d also returns the argmax; same output shape",
    "countincludepad": "AvgPool2d's divisor, not its shape", "divisoroverride": "AvgPool2d's divisor",
    "eps": "batch-norm arithmetic", "epsilon": "batch-norm arithmetic", "momentum": "running-statistics update",
    "seed": "dropout mask", "noiseshape": "dropout mask shape, output unchanged",
    "synchronized": "cross-device statistics",
    "renormclipping": "batch renorm arithmetic", "renormmomentum": "batch renorm arithmetic",
    "aligncorners": "Upsample's interpolation grid, not its size", "antialias": "interpolation values",
    "recomputescalefactor": "interpolation coordinates; the size is floor(n * scale_factor) either way",
}
IGNORED_WHY.update({k: "how weights start, are penalised or constrained; not their number"
                    for k in _IGNORED if k.endswith(("initializer", "regularizer", "constraint", "init"))})
IGNORED_LAYER = {"aligncorners": "upsample(scale_factor=2, {}=1)", "antialias": "upsample(scale_factor=2, {}=1)",
                 "recomputescalefactor": "upsample(scale_factor=2, {}=1)"}


def test_every_ignored_argument_has_a_reason() -> None:
    assert set(IGNORED_WHY) == _IGNORED


@pytest.mark.parametrize("key", sorted(_IGNORED))
def test_each_ignored_argument_leaves_every_count_unchanged(key: str) -> None:
    layer = {"returnindices": "maxpool(2, {}=1)", "countincludepad": "avgpool(2, {}=1)",
             "divisoroverride": "avgpool(2, {}=1)", "eps": "bn({}=1)", "epsilon": "bn({}=1)",
             "momentum": "bn({}=1)", "seed": "dropout(0.5, {}=1)", "noiseshape": "dropout(0.5, {}=1)"}
    layer.update(IGNORED_LAYER)
    text = layer.get(key, "conv(8, 3, {}=1)" if "bn" not in key else "bn({}=1)").format(key)
    if key.startswith(("beta", "gamma", "moving", "synchronized", "renorm")):
        text = f"bn({key}=1)"
    plain = text.replace(f", {key}=1", "").replace(f"{key}=1", "")
    assert summarize(parse_spec(text), (4, 8, 8)).to_dict() == summarize(parse_spec(plain), (4, 8, 8)).to_dict()


REFUSED = [
    ("conv(8, 3, trainable=False)", "trainable=False is not modelled"),
    ("conv(8, 3, track_running_stats=False)", "track_running_stats=False is not modelled"),
    ("dense(8, affine=False)", "affine=False is not modelled"),
    ("BatchNormalization(renorm=True)", "renorm=True is not modelled"),
    ("nn.Flatten(2)", "start_dim=2 is not modelled"),
    ("nn.Flatten(start_dim=2)", "start_dim=2 is not modelled"),
    ("nn.Flatten(end_dim=2)", "end_dim=2 is not modelled"),
    ("Dense(10, lora_rank=4)", "lora_rank=4 is not modelled"),
    ("BatchNormalization(axis=1)", "axis=1 is not modelled"),
    ("nn.Softmax(dim=0)", "dim=0 is not modelled"),
    ("conv(8, 3, padding_mode='mirror')", "padding_mode='mirror' is not modelled"),
    ("conv(8, 3, data_format='nchw')", "data_format='nchw' is not modelled"),
    ("Input(shape=(28, 28, 1), sparse_thing=1)", "has no argument 'sparse_thing'"),
    ("model.add(conv(8, 3), name='x')", "merge layer"),
]


@pytest.mark.parametrize(("text", "match"), REFUSED, ids=[t for t, _ in REFUSED])
def test_arguments_that_would_change_a_count_are_refused(text: str, match: str) -> None:
    with pytest.raises(ConvCalcError, match=match):
        parse_spec(text)


def test_accepted_values_of_the_checked_arguments() -> None:
    assert set(_ONLY) == {"affine", "center", "scale", "trackrunningstats", "trainable", "lorarank", "startdim",
                          "enddim", "axis", "dim", "paddingmode", "dataformat", "renorm"}
    same = "conv(8, 3, trainable=True, padding_mode='reflect') bn(axis=-1, track_running_stats=True) " \
           "flatten(start_dim=1, end_dim=-1) dense(10, lora_rank=None) softmax(dim=1)"
    assert parse_spec(same) == parse_spec("conv(8, 3) bn flatten dense(10) softmax")


def test_batch_norm_variants_are_modelled_not_refused() -> None:
    """PyTorch 2.13 prints BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)."""
    printed = "BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert parse_spec(printed)[0].param_count((8, 4, 4)) == (16, 16)
    assert parse_spec("BatchNorm2d(8, affine=False)")[0].param_count((8, 4, 4)) == (0, 16)
    assert parse_spec("BatchNorm2d(8, bias=False)")[0].param_count((8, 4, 4)) == (8, 16)
    assert parse_spec("bn(track_running_stats=False)")[0].param_count((8, 4, 4)) == (16, 0)
    assert parse_spec("BatchNormalization(center=False, scale=False, renorm=False)")[0].param_count((8, 4, 4)) \
        == (0, 16)


def test_data_format_channels_first_reads_input_shape_channels_first() -> None:
    assert read_spec("Conv2D(8, 3, input_shape=(28, 28, 1))").input_shape == (1, 28, 28)
    assert read_spec("Conv2D(8, 3, data_format='channels_first', input_shape=(1, 28, 28))").input_shape == (1, 28, 28)
    assert read_spec("Input(shape=(1, 28, 28), data_format='channels_first') conv(8, 3)").input_shape == (1, 28, 28)
    assert read_spec("Input(batch_shape=(None, 28, 28, 3), name='x', dtype='float32') conv(8, 3)").input_shape \
        == (3, 28, 28)


# --------------------------------------------------------------------------- one positional convention per name
def test_conv2d_with_three_positional_ints_shows_both_readings() -> None:
    with pytest.raises(ConvCalcError) as caught:
        convcalc.Conv2D(3, 8, 3)
    message = str(caught.value)
    assert "filters=3, kernel_size=8, stride=3" in message
    assert "in_channels=3, out_channels=8, kernel_size=3" in message
    assert "convcalc.torch.Conv2d" in message
    with pytest.raises(ConvCalcError, match="ambiguous"):
        ConvTranspose2D(16, 3, 2, 1, 1)
    assert convcalc.Conv2D(3, 8, stride=3).output_shape((1, 32, 32)) == (3, 9, 9)  # Keras order, named stride
    assert convcalc.Conv2D(8, (3, 3), 2).output_shape((1, 5, 5)) == (8, 2, 2)     # not three ints: Keras order


def test_spec_spellings_choose_the_order() -> None:
    assert parse_spec("Conv2D(3, 8, 3)") == [Conv2D(3, 8, stride=3)]      # Keras spelling: Keras order
    assert parse_spec("nn.Conv2d(3, 8, 3)") == [Conv2D(8, 3)]             # PyTorch spelling: in_channels first
    assert parse_spec("conv(3, 8, 3)") == [Conv2D(3, 8, stride=3)]        # short name: Keras order (documented)


# --------------------------------------------------------------------------- in_channels checked on every path
def test_summarize_of_a_parsed_spec_checks_pytorch_in_channels() -> None:
    layers = parse_spec("nn.Conv2d(3,16,3) nn.Conv2d(8,16,3)")
    with pytest.raises(ConvCalcError, match=r"layer 2 .*in_channels=8 but the input has 16 channels"):
        summarize(layers, (3, 32, 32))
    with pytest.raises(ConvCalcError, match="in_features=5000 but the input has 5408 features"):
        summarize(parse_spec("nn.Conv2d(1, 32, 3) nn.MaxPool2d(2) nn.Flatten() nn.Linear(5000, 10)"), (1, 28, 28))
    with pytest.raises(ConvCalcError, match="num_features=64 but the input has 32 channels"):
        summarize(parse_spec("conv(32, 3) nn.BatchNorm2d(64)"), (1, 28, 28))
    assert summarize(parse_spec("nn.Conv2d(3,16,3) nn.Conv2d(16,8,3)"), (3, 32, 32)).output_shape == (8, 28, 28)


def test_declared_channels_on_the_python_specs() -> None:
    with pytest.raises(ConvCalcError, match="in_channels=3 but the input has 1 channels"):
        Conv2D(8, 3, in_channels=3).output_shape((1, 28, 28))
    assert Conv2D(8, 3, in_channels=1).param_count((1, 28, 28)).trainable == 80
    with pytest.raises(ConvCalcError, match="'in_channels'"):
        Conv2D(8, 3, in_channels=0)
    with pytest.raises(ConvCalcError, match="in_features=3"):
        Dense(10, in_features=3).macs((4,))
    assert BatchNorm2D(8).param_count((8, 4, 4)).total == 32
    assert Conv2D(8, 3, in_channels=1) == Conv2D(8, 3)  # a check, not a different layer


# --------------------------------------------------------------------------- one rotation
def test_channels_rotation_is_one_function_with_its_inverse() -> None:
    for shape in [(1, 28, 28), (3, 10), (2, 3, 4, 5), (7,)]:
        assert channels_first(channels_last(shape)) == shape
    assert channels_last((3, 224, 224)) == (224, 224, 3)


# --------------------------------------------------------------------------- convcalc.torch: PyTorch's order, offered
def test_convcalc_torch_takes_pytorch_order_and_checks_in_channels() -> None:
    from convcalc import torch as T

    assert T.Conv2d(3, 8, 3) == Conv2D(8, 3) and T.Conv2d(3, 8, 3).in_channels == 3
    with pytest.raises(ConvCalcError, match="in_channels=3 but the input has 8 channels"):
        summarize([T.Conv2d(1, 8, 3), T.Conv2d(3, 8, 3)], (1, 16, 16))
    assert T.ConvTranspose2d(16, 8, 3, 2, 1, 1) == ConvTranspose2D(8, 3, stride=2, padding=1, output_padding=1)
    assert T.Linear(784, 10) == Dense(10) and T.Linear(784, 10).in_features == 784
    assert T.BatchNorm2d(8, affine=False).param_count((8, 2, 2)) == (0, 16)
    assert T.UpsamplingBilinear2d(scale_factor=2).mode == "bilinear"
    for bad, match in [(lambda: T.Flatten(2), "start_dim=2 is not modelled"),
                       (lambda: T.Conv2d(3, 8, 3, padding_mode="x"), "padding_mode='x'"),
                       (lambda: T.Conv2d(3, 8, 3, 1, 0, 1, 1, True, 9), "at most 8 positional")]:
        with pytest.raises(ConvCalcError, match=match):
            bad()
    with pytest.raises(TypeError, match="no argument 'foo'"):
        T.Conv2d(3, 8, 3, foo=1)


def test_wrappers_read_their_layers_and_name_only() -> None:
    assert parse_spec("Sequential([Conv2D(8, 3), Flatten()], name='seq')") == parse_spec("conv(8, 3) flatten")
    assert parse_spec("keras.Sequential(layers=[Dense(3)], name='m')") == [Dense(3)]
    for text in ("Sequential([Dense(3)], trainable=False)", "Sequential([Dense(3)], foo=1)"):
        with pytest.raises(ConvCalcError, match="is not read; pass the layers"):
            parse_spec(text)


def test_dense_with_two_positional_ints_shows_both_readings() -> None:
    with pytest.raises(ConvCalcError, match=r"Dense\(784, 10\) is ambiguous.*units=784, bias=10.*in_features=784, "
                                            r"out_features=10"):
        Dense(784, 10)
    assert Dense(10, False).bias is False and Dense(10, in_features=784).param_count((784,)).trainable == 7850


def test_no_module_rotates_channels_itself() -> None:
    """Issue 10: the channels-last/first rotation had five copies; channels_first/channels_last are the one rule."""
    import re
    from pathlib import Path

    package = Path(convcalc.__file__).parent
    pattern = re.compile(r"\(\s*(\w+(?:\.\w+)*)\[-1\],\s*\*\1\[:-1\]\s*\)|\(\s*\*(\w+(?:\.\w+)*)\[1:\],\s*\2\[0\]\s*\)")
    copies = [f"{path.relative_to(package)}:{text.count(chr(10), 0, match.start()) + 1}"
              for path in package.rglob("*.py") if path.name != "_base.py" or path.parent.name != "layers"
              for text in [path.read_text()] for match in pattern.finditer(text)]
    assert not copies, f"call convcalc.layers.channels_first/channels_last instead: {copies}"


def test_keras_keyword_names_on_the_python_classes() -> None:
    """Issue 10/11: Keras's Conv2D(64, 7, strides=2, padding=3) works in Python too (the functional API example)."""
    from convcalc.layers import DepthwiseConv2D, MaxPool2D

    assert Conv2D(64, 7, strides=2, padding=3) == Conv2D(64, 7, stride=2, padding=3)
    assert Conv2D(8, 3, dilation_rate=2) == Conv2D(8, 3, dilation=2)
    assert MaxPool2D(3, strides=2) == MaxPool2D(3, stride=2)
    assert Dense(10, use_bias=False) == Dense(10, bias=False)
    assert DepthwiseConv2D(3, strides=2) == DepthwiseConv2D(3, stride=2)
    assert ConvTranspose2D(8, 3, strides=2) == ConvTranspose2D(8, 3, stride=2)
    with pytest.raises(ConvCalcError, match="both stride= and strides="):
        Conv2D(8, 3, stride=1, strides=2)
