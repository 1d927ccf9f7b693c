"""The spec language: equivalent spellings, the seed's Keras code, inputs, files, and errors with carets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from convcalc import ConvCalcError
from convcalc.layers import AvgPool2D, Conv2D, Dense, Dropout, LeakyReLU, MaxPool2D, ReLU, Softmax
from convcalc.presets import preset
from convcalc.spec import LAYER_NAMES, load_stack, parse_shape, parse_spec, read_spec
from convcalc.stack import summarize


def fingerprint(layers: list, shape: tuple[int, ...]) -> list[tuple]:
    """What a spelling must agree on: every layer's type, output shape, params and receptive field."""
    return [(type(r.layer).__name__, r.output_shape, r.params, r.rf, r.start) for r in summarize(layers, shape).layers]


EQUIVALENT = [
    "conv(32,3) pool(2) flatten dense(10)",
    "Conv2D(32, 3) MaxPool2D(2) Flatten() Dense(10)",
    "Conv2D(filters=32, kernel_size=(3,3), strides=(1,1), padding='valid') MaxPooling2D(pool_size=(2, 2)) "
    "Flatten() Dense(units=10)",
    "nn.Conv2d(1, 32, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5408, 10)",
    "nn.Sequential(nn.Conv2d(in_channels=1, out_channels=32, kernel_size=3), nn.MaxPool2d(kernel_size=2, stride=2),"
    " nn.Flatten(start_dim=1), nn.Linear(in_features=5408, out_features=10))",
    "model.add(Conv2D(32, (3,3)))\nmodel.add(MaxPool2D((2,2)))\nmodel.add(Flatten())\nmodel.add(Dense(10))",
    "Sequential([layers.Conv2D(32, 3), layers.MaxPool2D(), layers.Flatten(), layers.Dense(10)])",
    "conv(32, k=3) -> pool(2) -> flatten -> fc(10)",
    "conv(f=32, ks=3x3, s=1, p=0, d=1); max_pool(k=2, s=2) | flatten | linear(out_features=10)",
    "  # a comment\nCONV(32,3)  POOL(2)\n\tFLATTEN  DENSE(10)  # another\n",
]


@pytest.mark.parametrize("text", EQUIVALENT[1:], ids=range(1, len(EQUIVALENT)))
def test_keras_pytorch_and_short_spellings_agree(text: str) -> None:
    assert fingerprint(parse_spec(text), (1, 28, 28)) == fingerprint(parse_spec(EQUIVALENT[0]), (1, 28, 28))


def test_the_seed_keras_code_pasted_as_is_gives_hw5() -> None:
    seed = """
        model = None  # (not a layer: only the model.add lines below are read)
    """.split("\n")[0] + """
    model.add(Conv2D(32, kernel_size=(3,3), strides=(1,1), padding='valid', activation='relu', input_shape=(28,28,1)))
    model.add(MaxPool2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(100, activation='relu'))
    model.add(Dense(10, activation='softmax'))
    """
    parsed = read_spec(seed)
    layers, shape = preset("hw5")
    assert parsed.input_shape == shape == (1, 28, 28)
    assert fingerprint(parsed.layers, shape) == fingerprint(layers, shape)
    assert summarize(parsed.layers, parsed.input_shape).total_params == 542_230


ACTIVATIONS = [
    ("conv(8, 3, activation='relu')", [Conv2D(8, 3), ReLU()]),
    ("dense(10, 'softmax')", [Dense(10), Softmax()]),
    ("dense(10, activation=softmax)", [Dense(10), Softmax()]),
    ("dense(10, act='linear') dense(3, activation=None)", [Dense(10), Dense(3)]),
    ("Activation('relu') leaky_relu(0.2) LeakyReLU(alpha=0.3) lrelu(negative_slope=0.1)",
     [ReLU(), LeakyReLU(0.2), LeakyReLU(0.3), LeakyReLU(0.1)]),
    ("dropout(0.25) Dropout(p=0.5) Dropout(rate=0.1)", [Dropout(0.25), Dropout(0.5), Dropout(0.1)]),
    ("pool AveragePooling2D() MaxPooling2D(strides=1)", [MaxPool2D(2), AvgPool2D(2), MaxPool2D(2, stride=1)]),
    ("pool(3, s=2, p=1, ceil=true)", [MaxPool2D(3, stride=2, padding=1, ceil_mode=True)]),
    ("nn.MaxPool2d(3, 2, 1, 1, False, True)", [MaxPool2D(3, stride=2, padding=1, dilation=1, ceil_mode=True)]),
    ("conv(8, 3, padding=same) conv(8, 3, p='same')", [Conv2D(8, 3, padding="same")] * 2),
    ("conv(8, 3, use_bias=False, kernel_initializer='he_normal', name='c1')", [Conv2D(8, 3, bias=False)]),
]


@pytest.mark.parametrize(("text", "expected"), ACTIVATIONS, ids=[t for t, _ in ACTIVATIONS])
def test_arguments_and_activation_expansion(text: str, expected: list) -> None:
    assert parse_spec(text) == expected


INPUTS = [
    ("input(1x28x28) conv(8, 3)", (1, 28, 28)),
    ("in(3, 32, 32) conv(8, 3)", (3, 32, 32)),
    ("Input(shape=(28, 28, 1)) conv(8, 3)", (1, 28, 28)),
    ("keras.Input((32, 32, 3)) conv(8, 3)", (3, 32, 32)),
    ("InputLayer(input_shape=(28, 28, 1)) conv(8, 3)", (1, 28, 28)),
    ("conv(8, 3, input_shape=(28, 28, 1))", (1, 28, 28)),
    ("input(784) dense(10)", (784,)),
    ("conv(8, 3)", None),
]


@pytest.mark.parametrize(("text", "shape"), INPUTS, ids=[t for t, _ in INPUTS])
def test_input_shapes_in_the_spec(text: str, shape: tuple | None) -> None:
    assert read_spec(text).input_shape == shape


def test_pytorch_in_channels_are_checked_against_the_shape() -> None:
    good = "nn.Conv2d(1, 32, 3) nn.MaxPool2d(2) nn.Flatten() nn.Linear(5408, 100) nn.BatchNorm1d(100)"
    assert len(read_spec(good, (1, 28, 28)).layers) == 5
    with pytest.raises(ConvCalcError, match=r"in_features=5000 but the input to layer 4 \(Dense\(100\)\)"):
        read_spec(good.replace("5408", "5000"), (1, 28, 28))
    with pytest.raises(ConvCalcError, match="in_channels=3"):
        read_spec("Conv2d(3, 8, 3)", (1, 28, 28))
    with pytest.raises(ConvCalcError, match="num_features=64"):
        read_spec("conv(32, 3) bn(64)", (1, 28, 28))
    assert read_spec("Conv2d(3, 8, 3)").layers == [Conv2D(8, 3)]  # no shape known: nothing to check yet


def _caret_column(message: str) -> int:
    """The 1-based column the caret line points at (the message's last line, after two spaces)."""
    return message.splitlines()[-1].index("^") - 2 + 1


ERRORS = [
    ("conv(32, 3 pool(2)", r"expected ',' or '\)' in the arguments of conv; got 'pool'", 12),
    ("conv(32,3) pool(2", "got the end", 18),
    ("conv(32) pool(2)", r"conv needs kernel_size, e.g. conv\(32, 3\)", 1),
    ("dense()", r"dense needs units, e.g. dense\(10\)", 1),
    ("conv(32, 3) foo(3)", "unknown layer 'foo'", 13),
    ("conv(32, 3, strides=0)", "The 'stride' parameter must be", 13),
    ("conv(32, 3, xx=1)", "conv has no argument 'xx'", 13),
    ("conv(32, 3, activation='mish')", "unknown activation 'mish'", 13),
    ("conv(32, 3, 1, 0, 1, 1, True, 5)", "at most 7 positional arguments", 31),
    ("conv(k=3, 32)", "a positional argument cannot follow a keyword argument", 11),
    ("conv(32, k=3, kernel=3)", "got kernel_size twice", 15),
    ("conv(32, 3) $", r"unexpected character '\$'", 13),
    ("dense(10) = 3", "expected a layer name", 11),
    ("dense(10, affine=False)", "affine=False is not modelled", 11),
    ("pool((2, 2)", r"expected ',' or '\)'", 12),
    ("conv(32, 3)\npool(2)\ndense(10, bias=maybe)", "line 3, column 11", 11),
]


@pytest.mark.parametrize(("text", "match", "column"), ERRORS, ids=[m for _, m, _ in ERRORS])
def test_errors_point_at_the_token(text: str, match: str, column: int) -> None:
    with pytest.raises(ConvCalcError, match=match) as caught:
        read_spec(text)
    message = str(caught.value)
    assert re.search(rf"column {column}\b", message.splitlines()[0]), message
    assert _caret_column(message) == column, message


def test_nothing_is_evaluated() -> None:
    for text in ["__import__('os').system('echo hacked')", "conv(32, eval('3'))", "conv(32, 3+1)"]:
        with pytest.raises(ConvCalcError):
            parse_spec(text)
    with pytest.raises(ConvCalcError, match="no layers"):
        parse_spec("  # only a comment\n")


def test_spec_files(tmp_path: Path) -> None:
    path = tmp_path / "net.spec"
    path.write_text("# HW5\ninput(1x28x28)\nconv(32, 3, activation=relu)\npool(2)\nflatten\n"
                    "dense(100, activation=relu)\ndense(10, activation=softmax)\n")
    for source in (str(path), f"@{path}"):
        parsed = read_spec(source)
        assert summarize(parsed.layers, parsed.input_shape).total_params == 542_230
    with pytest.raises(ConvCalcError, match="does not exist"):
        read_spec(f"@{tmp_path / 'missing.txt'}")
    with pytest.raises(ConvCalcError, match="does not exist"):
        read_spec(str(tmp_path / "missing.spec"))


def test_load_stack_picks_the_input_shape() -> None:
    assert load_stack("hw5")[1] == (1, 28, 28)
    assert load_stack("hw5", layout="nhwc")[1] == (28, 28, 1)
    assert load_stack("vgg16", (3, 64, 64))[1] == (3, 64, 64)
    assert load_stack("input(3x32x32) conv(8, 3)", layout="nhwc")[1] == (32, 32, 3)
    assert load_stack("Conv2d(3, 8, 3)", (32, 32, 3), layout="nhwc")[0] == [Conv2D(8, 3)]
    with pytest.raises(ConvCalcError, match="input shape is missing"):
        load_stack("conv(8, 3)")
    with pytest.raises(ConvCalcError, match="'layout'"):
        load_stack("hw5", layout="nwch")


def test_parse_shape() -> None:
    assert parse_shape("1x28x28") == parse_shape("1, 28, 28") == parse_shape("(1,28,28)") == (1, 28, 28)
    for bad in ("", "1x0x28", "axb", "1.5x2"):
        with pytest.raises(ConvCalcError, match="sizes such as 1x28x28"):
            parse_shape(bad)


def test_layer_names_cover_keras_and_pytorch() -> None:
    for keras, torch_name, spec in [("conv2d", "conv2d", "Conv2D"), ("maxpooling2d", "maxpool2d", "MaxPool2D"),
                                    ("averagepooling2d", "avgpool2d", "AvgPool2D"), ("dense", "linear", "Dense"),
                                    ("batchnormalization", "batchnorm2d", "BatchNorm2D"),
                                    ("conv2dtranspose", "convtranspose2d", "ConvTranspose2D"),
                                    ("zeropadding2d", "zeropad2d", "ZeroPad2D"),
                                    ("globalaveragepooling2d", "adaptiveavgpool2d", None)]:
        assert LAYER_NAMES[torch_name] in {spec, "AdaptiveAvgPool2D"}
        assert spec is None or LAYER_NAMES[keras] == spec
