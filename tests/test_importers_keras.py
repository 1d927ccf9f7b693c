"""``.keras`` files and Keras JSON read with the standard library, checked against Keras itself.

Keras 3 (with its PyTorch backend, so no TensorFlow is needed) builds and saves
each model in the test; convcalc reads only the file. Output shapes must equal
``model.output_shape`` and parameter counts ``model.count_params()`` (which,
as Keras counts, includes batch norm's moving statistics).
"""

from __future__ import annotations

import json
import os
import zipfile

import pytest

from convcalc import summarize
from convcalc.errors import ConvCalcError
from convcalc.importers.keras_config import read_keras_config, read_keras_file

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
layers = keras.layers


def _mnist_convnet():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def _bn_strided():
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.ZeroPadding2D(1),
        layers.Conv2D(8, 5, dilation_rate=2),
        layers.AveragePooling2D(2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(4),
    ])


def _functional_chain():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(10)(x))


@pytest.mark.parametrize("factory", [_mnist_convnet, _bn_strided, _functional_chain])
def test_keras_file_matches_keras(factory, tmp_path):
    model = factory()
    path = tmp_path / "model.keras"
    model.save(path)
    imported = read_keras_file(path)
    assert {row.status for row in imported.rows} == {"ok"}, imported.rows
    assert imported.layout == "nhwc"
    summary = summarize(imported.layers, imported.input_shape)
    expected = tuple(model.output_shape[1:])
    assert summary.output_shape == (expected[-1], *expected[:-1]) if len(expected) > 1 else expected
    assert summary.total_params == model.count_params()
    # model.to_json() is the same description
    json_path = tmp_path / "model.json"
    json_path.write_text(model.to_json())
    assert read_keras_file(json_path).layers == imported.layers


def _residual():
    inputs = keras.Input(shape=(16, 16, 8))
    y = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(8, 3, padding="same")(y)
    out = layers.ReLU()(layers.Add()([inputs, y]))
    out = layers.MaxPooling2D(2)(out)
    gate = layers.Conv2D(8, 1, activation="sigmoid")(out)
    return keras.Model(inputs, layers.Multiply()([out, gate]))


def _inception():
    inputs = keras.Input(shape=(12, 12, 3))
    a = layers.Conv2D(4, 1)(inputs)
    b = layers.Conv2D(6, 3, padding="same")(layers.Conv2D(2, 1)(inputs))
    c = layers.MaxPooling2D(3, strides=1, padding="same")(inputs)
    merged = layers.Concatenate()([a, b, c])
    return keras.Model(inputs, layers.Dense(5)(layers.GlobalAveragePooling2D()(merged)))


@pytest.mark.parametrize("factory", [_residual, _inception])
def test_functional_graph_matches_keras(factory, tmp_path):
    """Merges (Add, Multiply, Concatenate) become graph nodes; shapes and counts as Keras's."""
    model = factory()
    path = tmp_path / "graph.keras"
    model.save(path)
    imported = read_keras_file(path)
    assert imported.branches and {row.status for row in imported.rows} == {"ok"}, imported.rows
    summary = summarize(imported.graph(), imported.input_shape)
    expected = tuple(model.output_shape[1:])
    assert summary.output_shape == ((expected[-1], *expected[:-1]) if len(expected) > 1 else expected)
    assert summary.total_params == model.count_params()


@pytest.mark.parametrize("content, message", [
    (b"not a zip and not json", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"class_name": "Dense", "config": {}}', "not a model"),
    (b"[" * 100_000, "nests too deep|not valid JSON"),
])
def test_bad_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(ConvCalcError, match=message):
        read_keras_file(path)


def test_truncated_archive(tmp_path):
    path = tmp_path / "model.keras"
    _mnist_convnet().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ConvCalcError, match=str(path.name)):
        read_keras_file(path)


def test_zip_without_config(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(ConvCalcError, match="without config.json"):
        read_keras_file(path)


def test_layer_without_fixed_input_shape_is_refused():
    config = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, None, None, 3]}}]}}
    with pytest.raises(ConvCalcError, match="no fixed shape"):
        read_keras_config(json.loads(json.dumps(config)))
