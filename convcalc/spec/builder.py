"""From parsed calls to layer specs: names resolved, arguments matched, PyTorch channel counts checked."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, NamedTuple

from convcalc import layers as L
from convcalc.layers import channels_first
from convcalc.errors import ConvCalcError
from convcalc.spec.names import (
    _ACTIVATIONS,
    _ALIASES,
    _CHECKED,
    _EXAMPLES,
    _IGNORED,
    _INPUTS,
    _MERGES,
    _MODEL_ADD,
    _ONLY,
    _TABLE,
    _TORCH_NAMES,
    _WRAPPERS,
    _Entry,
    _normal,
)
from convcalc.spec.parser import _Call
from convcalc.spec.tokens import _error, _Token


class ParsedSpec(NamedTuple):
    """Layers, the input shape if the spec gave one (channels first), and channel checks to run."""

    layers: list
    input_shape: tuple[int, ...] | None
    checks: tuple  # (layer position, parameter name, expected value, pos) for in_channels & co.
    text: str

    def check_channels(self, input_shape: tuple[int, ...]) -> None:
        """Raise if a PyTorch ``in_channels``/``in_features``/``num_features`` disagrees with the real shape."""
        shape = tuple(input_shape)
        pending = {position: (name, value, pos) for position, name, value, pos in self.checks}
        for position, layer in enumerate(self.layers):
            if position in pending:
                name, value, pos = pending[position]
                if value != shape[0]:
                    raise _error(self.text, pos, f"{name}={value} but the input to layer {position + 1} "
                                 f"({layer}) has shape {shape}", "spec error")
            try:
                shape = layer.output_shape(shape)
            except ConvCalcError:
                return  # summarize() reports it, naming the layer


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.layers: list[L.Layer] = []
        self.input_shape: tuple[int, ...] | None = None
        self.checks: list[tuple[int, str, int, int]] = []

    def fail(self, token: _Token, message: str) -> ConvCalcError:
        return _error(self.text, token.pos, message, "spec error")

    def add(self, item: Any, token: _Token) -> None:
        if isinstance(item, tuple):
            for sub in item:
                self.add(sub, token)
            return
        if isinstance(item, str):
            item = _Call(item, token)
        if not isinstance(item, _Call):
            raise self.fail(token, f"expected a layer; got {item!r}")
        key = _normal(item.name)
        if key in _WRAPPERS or (key == _MODEL_ADD and item.args and not item.kwargs
                                and all(isinstance(arg, (_Call, tuple)) for arg in item.args)):
            if item.kwargs:
                first = next(iter(item.kwargs.values()))[1]
                raise self.fail(first, f"{item.name}: {first.text}= is not read; pass only the layers")
            for arg, tok in zip(item.args, item.arg_tokens):
                self.add(arg, tok)
            return
        if key in _MERGES:
            raise self.fail(item.token, f"{item.name} is a merge layer: it joins two paths, and this spec is a "
                            "single chain of layers, so it cannot be read here (it is never dropped); write the "
                            "branches as a graph block: res[conv(64,3,p=1) bn relu conv(64,3,p=1) bn] adds a "
                            "shortcut, cat[branch | branch] concatenates channels")
        if key in _INPUTS:
            self.input_from_call(item)
            return
        if key == "activation":
            self.activation(item.args[0] if item.args else None, item.arg_tokens[0] if item.args else item.token)
            return
        entry = _TABLE.get(key)
        if entry is None:
            raise self.fail(item.token, f"unknown layer {item.name!r}; known: conv, conv1d, conv3d, convtranspose, "
                            "pool, avgpool, adaptiveavgpool, gap, zeropad, bn, flatten, dense, dropout, relu, "
                            "leakyrelu, elu, sigmoid, tanh, softmax (and their Keras/PyTorch names)")
        self.build(item, entry)

    def input_from_call(self, item: _Call) -> None:
        """``input(1x28x28)``, ``Input(shape=(28, 28, 1))``, ``Input(batch_shape=(None, 28, 28, 1))``."""
        keras = item.name.rsplit(".", 1)[-1][0].isupper()
        value: Any = None
        for key, (given, tok) in item.kwargs.items():
            if key in ("shape", "inputshape", "batchshape"):
                if value is not None or item.args:
                    raise self.fail(tok, f"{item.name} got the shape twice")
                value = given[1:] if key == "batchshape" and isinstance(given, tuple) else given
            elif key == "dataformat" and given in _ONLY["dataformat"]:
                keras = given == "channels_last"
            elif key not in ("name", "dtype", "batchsize", "sparse", "ragged", "optional"):
                raise self.fail(tok, f"{item.name} has no argument {tok.text!r} that convcalc reads; it takes the "
                                "shape (shape=, batch_shape=) and ignores name, dtype, batch_size")
        if value is None:
            value = item.args[0] if len(item.args) == 1 else tuple(item.args)
        self.set_input(value, item.token, keras=keras)

    def set_input(self, value: Any, token: _Token, keras: bool) -> None:
        """Record the input shape; Keras spellings give it channels last."""
        shape = value if isinstance(value, tuple) else (value,)
        if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape):
            raise self.fail(token, f"an input shape must be sizes such as input(1x28x28); got {value!r}")
        self.input_shape = channels_first(shape) if keras else shape

    def activation(self, value: Any, token: _Token) -> None:
        if value is None:
            return
        key = _normal(str(value))
        if key not in _ACTIVATIONS:
            raise self.fail(token, f"unknown activation {value!r}; use one of relu, leaky_relu, elu, sigmoid, "
                            "tanh, softmax, linear")
        if _ACTIVATIONS[key] is not None:
            self.layers.append(_ACTIVATIONS[key]())

    def build(self, item: _Call, entry: _Entry) -> None:
        torch_style = entry.torch_positional is not None and bool(_TORCH_NAMES.match(item.name.rsplit(".", 1)[-1]))
        order = entry.torch_positional if torch_style else entry.positional
        checked = [n for n in entry.torch_positional or entry.positional if n in _CHECKED]
        names = [f.name for f in fields(entry.cls)] + checked + ["activation", "input_shape"]
        given: dict[str, tuple[Any, _Token]] = {}
        if len(item.args) > len(order):
            raise self.fail(item.arg_tokens[len(order)], f"{item.name} takes at most {len(order)} positional "
                            f"argument{'s' if len(order) != 1 else ''} ({', '.join(order) or 'none'}); name the others")
        for name, value, tok in zip(order, item.args, item.arg_tokens):
            given[name] = (value, tok)
        channels_last = True
        for key, (value, tok) in item.kwargs.items():
            target = next((n for n in names if key in _ALIASES.get(n, (n.replace("_", ""),))), None)
            if target is None and key in _IGNORED:
                continue
            if target is None and key in _ONLY:
                allowed = _ONLY[key]
                if value not in allowed:
                    raise self.fail(tok, f"{item.name}: {tok.text}={value!r} is not modelled; convcalc reads only "
                                    f"{' or '.join(repr(v) for v in allowed)} (it would change what is counted)")
                if key == "dataformat":
                    channels_last = value == "channels_last"
                continue
            if target is None:
                raise self.fail(tok, f"{item.name} has no argument {tok.text!r}; it takes "
                                f"{', '.join(n for n in names if n != 'input_shape')}")
            if target in given:
                raise self.fail(tok, f"{item.name} got {target} twice")
            given[target] = (value, tok)
        activation = given.pop("activation", (None, item.token))
        shape = given.pop("input_shape", None)
        for name in _CHECKED:
            if name in given:
                value, tok = given[name]
                self.checks.append((len(self.layers), name, value, tok.pos))
        given.pop("_return_indices", None)
        if not torch_style and "pool_size" in order and "pool_size" not in given:
            given["pool_size"] = (2, item.token)  # Keras's default window, also for the short `pool`
        missing = [f.name for f in fields(entry.cls) if f.default is MISSING and f.name not in given]
        if missing:
            last = max((order.index(m) for m in missing if m in order), default=-1)
            example = ", ".join(str(_EXAMPLES.get(n, 1)) for n in order[:last + 1])
            raise self.fail(item.token, f"{item.name} needs {' and '.join(missing)}, e.g. {item.name}({example})")
        try:
            layer = entry.cls(**{k: v for k, (v, _) in given.items()})
        except ConvCalcError as error:
            bad = next((tok for k, (_, tok) in given.items() if f"'{k}'" in str(error)), item.token)
            raise self.fail(bad, f"{item.name}: {error}") from None
        self.layers.append(layer)
        if shape is not None:
            self.set_input(shape[0], shape[1], keras=channels_last)
        self.activation(*activation)
