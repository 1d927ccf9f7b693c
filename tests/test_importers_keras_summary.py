"""Keras ``model.summary()`` text read back into layers, checked against the Keras 3 model that printed it.

Each model is built with Keras 3 (PyTorch backend, no TensorFlow), its summary captured with
``print_fn``, read by :func:`convcalc.importers.keras_summary.read_keras_summary`, and summarised by
convcalc: every layer's output shape must equal the layer's ``output.shape`` and the totals
``count_params()`` (trainable and non-trainable apart). Keras 2's column layout is checked on text
written in that layout from the same models' numbers.
"""

from __future__ import annotations

import os

import pytest

from convcalc import summarize
from convcalc.errors import ConvCalcError
from convcalc.importers import read_model_text
from convcalc.importers.keras_summary import looks_like_keras_summary, read_keras_summary

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
layers = keras.layers


def _summary_text(model, line_length=None) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda text, **_: lines.append(text), line_length=line_length)
    return "\n".join(lines)


def _hw5():
    """The seed's HW5 CNN (two conv + pool blocks on MNIST)."""
    return keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), strides=(1, 1), padding="valid", activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), padding="valid", activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax")], name="hw5")


def _lenet5():
    return keras.Sequential([
        keras.Input((32, 32, 1)), layers.Conv2D(6, 5, activation="tanh"), layers.AveragePooling2D(2),
        layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2), layers.Flatten(),
        layers.Dense(120, activation="tanh"), layers.Dense(84, activation="tanh"), layers.Dense(10)], name="lenet5")


def _strided_bn():
    return keras.Sequential([
        keras.Input((32, 32, 3)), layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.ReLU(), layers.ZeroPadding2D(1), layers.Conv2D(32, 3),
        layers.Activation("relu"), layers.GlobalAveragePooling2D(), layers.Dropout(0.2), layers.Dense(5)],
        name="strided")


def _functional():
    """A residual add and a concatenation, with long names Keras cuts with '…' in narrow columns."""
    inputs = keras.Input((16, 16, 3))
    stem = layers.Conv2D(8, 3, padding="same", name="stem_convolution_with_a_long_name")(inputs)
    branch = layers.Conv2D(8, 1, name="pointwise_branch")(stem)
    added = layers.Add(name="residual_add")([stem, branch])
    joined = layers.Concatenate(name="join")([added, inputs])
    pooled = layers.MaxPooling2D(2, name="pool")(joined)
    flat = layers.GlobalAveragePooling2D(name="global_average_pooling_of_everything")(pooled)
    outputs = layers.Dense(4, name="head")(flat)
    return keras.Model(inputs, outputs, name="merge")


def _check_against_keras(model, text, input_shape=None):
    imported = read_keras_summary(text, input_shape)
    assert imported.kind == "Keras summary" and not imported.notes
    assert [row.status for row in imported.rows if row.status == "unsupported"] == []
    structure = imported.graph() if imported.branches else imported.layers
    summary = summarize(structure, imported.input_shape)
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert summary.total_params == model.count_params()
    assert summary.trainable_params == trainable
    by_name = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    position, checked = 0, 0  # summary rows are the rows' layers, in order (a graph's nodes are too)
    for row in imported.rows:  # every row's shape (channels last, as Keras) equals the layer's output.shape
        if not row.layers:
            continue
        position += len(row.layers)
        shape = tuple(summary.layers[position - 1].output_shape)
        keras_shape = by_name.get(row.path) or next(v for k, v in by_name.items() if k.startswith(row.path[:-1]))
        assert ((*shape[1:], shape[0]) if len(shape) > 1 else shape) == keras_shape, (row.path, shape, keras_shape)
        checked += 1
    assert checked == sum(1 for row in imported.rows if row.layers) >= 5
    return imported, summary


@pytest.mark.parametrize("build", [_hw5, _lenet5])
def test_sequential_summaries_give_keras_counts_and_shapes(build):
    model = build()
    imported, summary = _check_against_keras(model, _summary_text(model))
    first = imported.rows[0]
    assert first.status == "partial" and "does not show a Sequential model's input" in first.reason
    assert imported.input_shape == (model.input_shape[-1], *model.input_shape[1:-1])
    assert tuple(summary.output_shape) == tuple(model.output_shape[1:])


def test_a_first_layer_the_assumption_does_not_fit_needs_the_input_shape():
    """A stride-2 'same' first layer: stride 1 'valid' assumed gives 18x18 (said in the row); the input fixes it."""
    model = _strided_bn()
    text = _summary_text(model)
    guessed = read_keras_summary(text)
    assert guessed.input_shape == (3, 18, 18) and "stride 1 and padding 'valid' assumed" in guessed.rows[0].reason
    imported, summary = _check_against_keras(model, text, model.input_shape[1:])
    assert "does not show" not in imported.rows[0].reason
    assert imported.input_shape == (model.input_shape[-1], *model.input_shape[1:-1])
    assert tuple(summary.output_shape) == tuple(model.output_shape[1:])


def test_the_rows_say_what_was_inferred():
    model = _hw5()
    names = [layer.name for layer in model.layers]  # Keras numbers names per session: read them from the model
    imported = read_keras_summary(_summary_text(model))
    reasons = {row.path: (row.status, row.reason, row.source) for row in imported.rows}
    assert reasons[names[1]][0] == "partial"
    assert "pool 2x2, padding 'valid' inferred from 26x26 -> 13x13" in reasons[names[1]][1]
    assert reasons[names[2]] == ("partial", "kernel 3x3 assumed square, dilation 1 assumed; stride 1, padding "
                                 "'valid' inferred from 13x13 -> 11x11",
                                 "Conv2D(64, 3, strides=1, padding='valid', use_bias=True)")
    assert reasons[names[6]][0] == "ok" and reasons[names[5]][0] == "ok"
    strided_model = _strided_bn()
    strided = read_keras_summary(_summary_text(strided_model), strided_model.input_shape[1:]).rows
    assert "no bias" in strided[0].reason and "stride 2, padding 'same'" in strided[0].reason
    assert strided[5].status == "partial" and strided[5].layers == ()  # Activation: which one is not shown


@pytest.mark.parametrize("line_length", [None, 60])  # wider is cut at the console's width by rich
def test_functional_summary_with_merges_and_cut_names(line_length):
    model = _functional()
    text = _summary_text(model, line_length)
    imported, summary = _check_against_keras(model, text)
    assert imported.branches
    if line_length == 60:
        assert "…" in text  # the narrow table cuts names; they are matched by prefix
    assert imported.input_shape == (3, 16, 16)
    merges = [row.source for row in imported.rows if row.source in ("Add()", "Concat()")]
    assert merges == ["Add()", "Concat()"]


def test_read_model_text_dispatches_summaries():
    text = _summary_text(_lenet5())
    assert looks_like_keras_summary(text)
    assert read_model_text(text).kind == "Keras summary"
    assert read_model_text("conv(8, 3) relu") is None


KERAS2 = """Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 conv2d (Conv2D)             (None, 26, 26, 32)        320

 max_pooling2d (MaxPooling2D  (None, 13, 13, 32)       0
 )

 conv2d_1 (Conv2D)           (None, 11, 11, 64)        18496

 max_pooling2d_1 (MaxPooling  (None, 5, 5, 64)         0
 2D)

 flatten (Flatten)           (None, 1600)              0

 dense (Dense)               (None, 100)               160100

 dense_1 (Dense)             (None, 10)                1010

=================================================================
Total params: 179,926
Trainable params: 179,926
Non-trainable params: 0
_________________________________________________________________"""

KERAS2_FUNCTIONAL = """Model: "model"
__________________________________________________________________________________________________
 Layer (type)                   Output Shape         Param #     Connected to
==================================================================================================
 input_1 (InputLayer)           [(None, 16, 16, 3)]  0           []

 conv2d (Conv2D)                (None, 16, 16, 8)    224         ['input_1[0][0]']

 conv2d_1 (Conv2D)              (None, 16, 16, 8)    72          ['conv2d[0][0]']

 add (Add)                      (None, 16, 16, 8)    0           ['conv2d[0][0]',
                                                                  'conv2d_1[0][0]']

 global_average_pooling2d (Glob  (None, 8)           0           ['add[0][0]']
 alAveragePooling2D)

 dense (Dense)                  (None, 4)            36          ['global_average_pooling2d[0][0]'
                                                                 ]

==================================================================================================
Total params: 332
Trainable params: 332
Non-trainable params: 0
__________________________________________________________________________________________________"""


def test_keras2_column_layout():
    """Keras 2's layout (tf.keras 2.11: columns by position, wrapped cells); the numbers are HW5's in Keras 3."""
    model = _hw5()
    imported = read_keras_summary(KERAS2)
    summary = summarize(imported.layers, imported.input_shape)
    assert summary.total_params == model.count_params() == 179_926
    assert [tuple(r.output_shape) for r in summary.layers] == [
        (layer.output.shape[-1], *layer.output.shape[1:-1]) for layer in model.layers]
    functional = read_keras_summary(KERAS2_FUNCTIONAL)
    assert functional.input_shape == (3, 16, 16) and functional.branches
    assert [(row.path, row.inputs) for row in functional.rows] == [
        ("conv2d", ("",)), ("conv2d_1", ("conv2d",)), ("add", ("conv2d", "conv2d_1")),
        ("global_average_pooling2d", ("add",)), ("dense", ("global_average_pooling2d",))]
    graph_summary = summarize(functional.graph(), functional.input_shape)
    assert graph_summary.total_params == 332 and tuple(graph_summary.output_shape) == (4,)
    assert functional.rows[1].source == "Conv2D(8, 1, strides=1, padding='valid', use_bias=True)"  # 72 = 8*8 + 8


def test_what_the_numbers_cannot_decide_is_unsupported_with_the_reason():
    text = KERAS2.replace("18496", "18500").replace("179,926", "179,930")  # no square kernel gives 18,500
    row = next(r for r in read_keras_summary(text).rows if r.path == "conv2d_1")
    assert row.status == "unsupported" and "18,500" in row.reason
    # a pool whose stride is not its size: 26 -> 12 is (26 - 3) // 2 + 1, not any pool with strides = size
    text = KERAS2.replace("(None, 13, 13, 32)", "(None, 12, 12, 32)").replace("(None, 11, 11, 64)",
                                                                              "(None, 10, 10, 64)")
    rows = {r.path: r for r in read_keras_summary(text).rows}
    assert rows["max_pooling2d"].status == "unsupported" and "strides differ" in rows["max_pooling2d"].reason
    assert rows["conv2d_1"].status == "partial"  # the next row reads on from the printed shape
    # a 1x7 kernel: 7 weights per channel pair is not a square
    model = keras.Sequential([keras.Input((20, 20, 2)), layers.Conv2D(4, 3), layers.Conv2D(4, (1, 7))])
    rows = read_keras_summary(_summary_text(model)).rows
    assert rows[1].status == "unsupported" and "not square" in rows[1].reason
    # totals that do not add up are said
    assert read_keras_summary(KERAS2.replace("179,926", "179,927")).notes
    with pytest.raises(ConvCalcError, match="Layer"):
        read_keras_summary("Model: x\nnothing here")


def test_convcalc_stack_passes_in_to_a_summary(tmp_path):
    """``convcalc stack summary.txt --in 3x32x32`` reads the first layer on the given input, in either layout."""
    from typer.testing import CliRunner

    from convcalc.cli.main import app

    model = _strided_bn()
    path = tmp_path / "summary.txt"
    path.write_text(_summary_text(model), encoding="utf-8")
    runner = CliRunner()
    guessed = runner.invoke(app, ["stack", str(path), "--json", "--allow-partial"])
    assert guessed.exit_code == 0, guessed.output
    import json

    assert json.loads(guessed.output)["input_shape"] == [3, 18, 18]  # the stated guess, listed as partial
    for args in (["--in", "3x32x32"], ["--in", "32x32x3", "--layout", "nhwc"]):
        result = runner.invoke(app, ["stack", str(path), "--json", "--allow-partial", *args])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["total_params"] == model.count_params()
        rows = data["import"]["rows"]
        assert "does not show" not in rows[0]["reason"], rows[0]
        assert data["import"]["notes"] == []
