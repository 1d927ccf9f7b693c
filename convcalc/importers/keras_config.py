"""Keras models from their saved configuration: ``.keras`` files and JSON configs, with the standard library.

A ``.keras`` file is a zip archive whose ``config.json`` describes the model
(Keras 3); ``model.to_json()`` writes the same description (Keras 2 and 3).
Only that JSON is read: no TensorFlow, no weights, nothing unpickled. Each
layer's ``class_name`` and its geometric arguments become a call in the spec
language (``Conv2D(filters=32, kernel_size=(3, 3), strides=(1, 1), ...)``);
initialisers, regularisers, constraints and names change no count and are left
out. ``InputLayer``'s ``batch_shape`` sets the input, channels last unless the
layers say ``data_format='channels_first'``.

Sequential and functional models are read whole: a functional model's
``inbound_nodes`` give each row its inputs, and ``Add``, ``Multiply`` and
``Concatenate`` become convcalc's graph merges (Keras's ``axis=-1``, channels
last, is convcalc's channel axis 0), so ResNet- and Inception-style models are
analysed as graphs.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.layers import channels_first
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers, file_errors, read_bytes

__all__ = ["read_keras_file", "read_keras_config", "MAX_CONFIG_BYTES"]

#: Largest ``config.json`` read (ResNet-152's is about 1 MB).
MAX_CONFIG_BYTES = 64 * 1024 * 1024

# Serialisation details of a Keras layer config that change no shape or count.
_NOT_GEOMETRY = {"name", "trainable", "dtype", "data_format", "seed", "noise_shape", "synchronized",
                 "quantization_config", "lora_rank", "lora_alpha", "build_config", "autocast", "sparse"}
_NOT_GEOMETRY_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_value_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def _call_text(class_name: str, config: dict[str, Any]) -> str:
    """A layer config as a spec call, with the arguments that matter for sizes and counts."""
    args = []
    for key, value in config.items():
        if key in _NOT_GEOMETRY or key.endswith(_NOT_GEOMETRY_SUFFIXES) or value is None or isinstance(value, dict):
            continue
        if key == "activation" and value == "linear":
            continue
        args.append(f"{key}={_value_text(value)}")
    return f"{class_name}({', '.join(args)})"


_MERGES = {"Add", "Multiply", "Concatenate"}


def _merge(class_name: str, config: dict[str, Any], rank: int) -> tuple[Any, ...]:
    """A Keras merge layer as convcalc's graph merge; Keras's axis counts the batch, channels last."""
    from convcalc.graph import Add, Concat, Multiply

    if class_name == "Add":
        return (Add(),)
    if class_name == "Multiply":
        return (Multiply(),)
    axis = int(config.get("axis", -1))
    if config.get("data_format") == "channels_first" or axis == 0:
        raise ConvCalcError(f"Concatenate(axis={axis}) is not read")
    position = axis % (rank + 1) - 1  # in (H, W, C) without the batch
    return (Concat(axis=0 if position == rank - 1 else position + 1),)


def _inbound_names(layer: dict[str, Any]) -> list[str]:
    """Names of the layers feeding ``layer`` (Keras 3 and Keras 2 formats)."""
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history") if node.get("class_name") == "__keras_tensor__" \
                else None
            if history:
                names.append(history[0])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):  # Keras 2: [name, 0, 0, {}]
                names.append(node[0])
                return
            for value in node:
                walk(value)

    walk(layer.get("inbound_nodes", []))
    return names


def read_keras_config(config: dict[str, Any], source: str = "config") -> ImportedModel:
    """Read a Keras model configuration (the parsed ``config.json`` / ``to_json()``).

    Examples
    --------
    >>> model = read_keras_config({"class_name": "Sequential", "config": {"layers": [
    ...     {"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1]}},
    ...     {"class_name": "Conv2D", "config": {"filters": 8, "kernel_size": [3, 3], "strides": [1, 1],
    ...                                         "padding": "valid", "activation": "relu", "use_bias": True}}]}})
    >>> model.input_shape, model.layout, [str(layer) for layer in model.layers]
    ((1, 28, 28), 'nhwc', ['Conv2D(8, 3, s=1, p=valid)', 'ReLU'])
    """
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ConvCalcError(f"{source}: not a Keras model configuration (no 'class_name' and 'config').")
    kind = str(config.get("class_name"))
    layers = config["config"].get("layers")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(layers, list):
        raise ConvCalcError(f"{source}: a Keras {kind!r} is not a model convcalc reads (Sequential or Functional).")
    rows: list[ImportedRow] = []
    input_shape: tuple[int, ...] | None = None
    layout = "nhwc"
    input_names: set[str] = set()
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("config", {}), dict):
            raise ConvCalcError(f"{source}: layer {index} is not a layer configuration.")
        class_name, cfg = str(layer.get("class_name")), layer.get("config", {})
        name = str(cfg.get("name", layer.get("name", f"layer {index}")))
        if cfg.get("data_format") == "channels_first":
            layout = "nchw"
        if class_name == "InputLayer":
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape") or [None, *cfg.get("shape", [])]
            dims = tuple(shape[1:])
            if not dims or not all(isinstance(d, int) and d >= 1 for d in dims):
                raise ConvCalcError(f"{source}: the input layer {name!r} has no fixed shape ({shape!r}).")
            input_shape = dims
            input_names.add(name)
            continue
        inputs = None
        if kind != "Sequential":
            inbound = _inbound_names(layer)
            inputs = tuple("" if n in input_names else n for n in inbound)
            if not inputs:
                raise ConvCalcError(f"{source}: layer {name!r} of the functional model has no inbound node.")
        text = _call_text(class_name, cfg)
        try:
            built = _merge(class_name, cfg, len(input_shape or ()) or 3) if class_name in _MERGES \
                else build_layers(text)
            rows.append(ImportedRow(name, text, "ok", "", built, inputs))
        except ConvCalcError as error:
            rows.append(ImportedRow(name, text, "unsupported", str(error).splitlines()[0], (), inputs))
    if input_shape is None:
        build = config["config"].get("build_input_shape")
        if isinstance(build, list) and all(isinstance(d, int) for d in build[1:]) and build[1:]:
            input_shape = tuple(build[1:])
    if input_shape is not None and layout == "nhwc":
        input_shape = channels_first(input_shape)
    return ImportedModel(rows, input_shape, layout, f"Keras {kind}")


def read_keras_file(path: str | Path) -> ImportedModel:
    """Read a ``.keras`` archive or a Keras JSON config file.

    Raises
    ------
    ConvCalcError
        Naming the file: not a zip or JSON, no ``config.json``, a config over
        :data:`MAX_CONFIG_BYTES`, or JSON that is not a Keras model.
    """
    path = Path(path)
    with file_errors(path):
        archive = zipfile.is_zipfile(path)
    if not archive:
        raw = read_bytes(path, MAX_CONFIG_BYTES, "a Keras config")
    else:
        with file_errors(path):
            try:
                with zipfile.ZipFile(path) as opened:
                    try:
                        info = opened.getinfo("config.json")
                    except KeyError:
                        raise ConvCalcError(f"{path}: a zip without config.json is not a .keras file.") from None
                    if info.file_size > MAX_CONFIG_BYTES:
                        raise ConvCalcError(f"{path}: config.json declares {info.file_size:,} bytes; convcalc "
                                            f"reads at most {MAX_CONFIG_BYTES:,}.")
                    raw = opened.read(info)
            except zipfile.BadZipFile as error:
                raise ConvCalcError(f"{path}: a damaged .keras archive ({error}).") from None
    try:
        config = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConvCalcError(f"{path}: not a Keras file (the config is not UTF-8 text).") from None
    except json.JSONDecodeError as error:
        raise ConvCalcError(f"{path}: the Keras config is not valid JSON (line {error.lineno}, column "
                            f"{error.colno}: {error.msg}).") from None
    except RecursionError:
        raise ConvCalcError(f"{path}: the Keras config nests too deep.") from None
    return read_keras_config(config, str(path))
