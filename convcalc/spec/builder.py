"""From parsed calls to layer specs: names resolved, arguments matched, PyTorch channel counts checked."""

from __future__ import annotations

from dataclasses import MISSING, fields
from functools import lru_cache
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
    _AFFINE,
    _TABLE,
    _SHARED_SPELLINGS,
    _TORCH_SPELLINGS,
    _WRAPPERS,
    _Entry,
    _normal,
    _sync,
)
from convcalc.layers import spec_name as normal
from convcalc.spec.parser import _Call
from convcalc.spec.tokens import _error, _Token, shorten


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


def _suggest(key: str) -> str:
    import difflib

    if len(key) > 40:
        return ""
    close = difflib.get_close_matches(key, list(_TABLE), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


@lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A layer class's field names and its required ones (cached: a spec builds thousands of layers)."""
    all_fields = fields(cls)
    return (tuple(f.name for f in all_fields),
            tuple(f.name for f in all_fields if f.default is MISSING and f.default_factory is MISSING))


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
        _sync()
        if not isinstance(item, _Call):
            raise self.fail(token, f"expected a layer; got {item!r}")
        key = _normal(item.name)
        if key in _WRAPPERS or (key == _MODEL_ADD and item.args and not item.kwargs
                                and all(isinstance(arg, (_Call, tuple)) for arg in item.args)):
            for key_name, (value, tok) in item.kwargs.items():
                if key_name == "layers" and not item.args:  # keras.Sequential(layers=[...])
                    self.add(value, tok)
                elif key_name not in ("name", "trainable") or (key_name == "trainable" and value is not True):
                    raise self.fail(tok, f"{item.name}: {shorten(tok.text)}={shorten(repr(value))} is not read; pass "
                                    "the layers (and at most name=)")
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
            raise self.fail(item.token, f"unknown layer {shorten(item.name)!r}{_suggest(key)}; known: "
                            f"{', '.join(sorted({e.info.names[0] for e in _TABLE.values() if e.info}))} (and their Keras/PyTorch names, docs/stacks.md)")
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
            raise self.fail(token, f"unknown activation {shorten(repr(value))}; use one of "
                            f"{', '.join(sorted(_ACTIVATIONS))}")
        cls = _ACTIVATIONS[key]
        if cls is not None:
            self.layers.append(cls())

    def build(self, item: _Call, entry: _Entry) -> None:
        info = entry.info
        spelled = item.name.rsplit(".", 1)[-1]
        prefix = item.name.rsplit(".", 1)[0].lower() if "." in item.name else ""
        torch_style = spelled in _TORCH_SPELLINGS and _TORCH_SPELLINGS[spelled].cls is entry.cls
        if prefix.endswith(("layers", "keras")):  # keras.layers.ReLU: Keras's order even where PyTorch spells alike
            torch_style = False
        elif spelled in _SHARED_SPELLINGS and item.args and not prefix.endswith("nn"):
            keras_order = entry.positional
            raise self.fail(item.token, f"{item.name}({', '.join(repr(a) for a in item.args)}) reads two ways: "
                            f"PyTorch's {spelled}({', '.join(n.lstrip('_') for n in entry.torch_positional or ())}) "
                            f"and Keras's {spelled}({', '.join(n.lstrip('_') for n in keras_order)}); write "
                            f"nn.{spelled}(...) or layers.{spelled}(...), or name the arguments")
        order: tuple[str, ...] = (entry.torch_positional if torch_style else entry.positional) or ()
        args, arg_tokens = list(item.args), list(item.arg_tokens)
        if torch_style and spelled.startswith("Lazy"):
            order = order[1:]  # Lazy modules infer their input size: PyTorch's order without it
            if args and args[0] == 0:  # print(model) shows the uninitialised size as 0
                args, arg_tokens = args[1:], arg_tokens[1:]
        self.refuse_ambiguous(item, entry, spelled, torch_style, args)
        extra = tuple(info.extra_args) if info else ()
        checked = [n for n in entry.torch_positional or entry.positional if n in _CHECKED]
        names = list(dict.fromkeys([*_fields(entry.cls)[0], *checked, *extra, "activation", "input_shape"]))
        given: dict[str, tuple[Any, _Token]] = {}
        if len(args) > len(order):
            raise self.fail(arg_tokens[len(order)], f"{item.name} takes at most {len(order)} positional "
                            f"argument{'s' if len(order) != 1 else ''} ({', '.join(order) or 'none'}); name the others")
        channels_last = True
        for name, value, tok in zip(order, args, arg_tokens):
            if name.startswith("_"):  # a PyTorch positional convcalc does not model: checked like its keyword
                self.unmodelled(item, normal(name), value, tok, name.lstrip("_"))
                continue
            given["affine" if normal(name) in _AFFINE else name] = (value, tok)
        for key, (value, tok) in item.kwargs.items():
            target = next((n for n in names if key in _ALIASES.get(n, (n.replace("_", ""),))), None)
            if (target is None or normal(target) in _AFFINE) and key in _AFFINE and "scale" in names:
                target = "affine"
            if target is None:
                if key == "dataformat" and value in _ONLY[key]:
                    channels_last = value == "channels_last"
                if key in _IGNORED or key in _ONLY:
                    self.unmodelled(item, key, value, tok)
                    continue
                raise self.fail(tok, f"{item.name} has no argument {shorten(tok.text)!r}; it takes "
                                f"{', '.join(n for n in names if n != 'input_shape')}")
            if target in given:
                raise self.fail(tok, f"{item.name} got {target} twice")
            given[target] = (value, tok)
        activation = given.pop("activation", (None, item.token))
        shape = given.pop("input_shape", None)
        for name in _CHECKED:
            if name in given:
                value, tok = given[name]
                if value == 0 and spelled.startswith("Lazy"):
                    del given[name]  # LazyLinear(in_features=0, ...): not known yet
                    continue
                self.checks.append((len(self.layers), name, value, tok.pos))
        if "affine" in given:  # PyTorch's affine / elementwise_affine: the scale and the shift together
            value, tok = given.pop("affine")
            if value is False:
                given["scale"] = given["bias"] = (False, tok)
            elif value is True:
                given["scale"] = (True, tok)
                given.setdefault("bias", (True, tok))
            else:
                raise self.fail(tok, f"{item.name}: {tok.text}={value!r} must be True or False")
        if not torch_style and info is not None:
            for name, value in info.defaults.items():
                given.setdefault(name, (value, item.token))
        cls = entry.cls
        adapt = info.adapt if info is not None else None
        if adapt is not None:
            try:
                cls, values = adapt(item.name, {k: v for k, (v, _) in given.items()})
            except ConvCalcError as error:
                raise self.fail(item.token, str(error)) from None
            tokens = {k: tok for k, (_, tok) in given.items()}
            given = {k: (v, tokens.get(k, item.token)) for k, v in values.items()}
        missing = [name for name in _fields(cls)[1] if name not in given]
        if missing:
            last = max((order.index(m) for m in missing if m in order), default=-1)
            example = ", ".join(str(_EXAMPLES.get(n, 1)) for n in order[:last + 1])
            raise self.fail(item.token, f"{item.name} needs {' and '.join(missing)}, e.g. {item.name}({example})")
        try:
            layer = cls(**{k: v for k, (v, _) in given.items()})
        except ConvCalcError as error:
            bad = next((tok for k, (_, tok) in given.items() if f"'{k}'" in str(error)), item.token)
            raise self.fail(bad, f"{item.name}: {error}") from None
        except TypeError as error:  # a value of a kind the class cannot take at all
            raise self.fail(item.token, f"{item.name}: {error}") from None
        self.layers.append(layer)
        if shape is not None:
            self.set_input(shape[0], shape[1], keras=channels_last)
        self.activation(*activation)

    def unmodelled(self, item: _Call, key: str, value: Any, tok: _Token, shown: str = "") -> None:
        """An argument convcalc does not model: dropped when it changes no count, else only its modelled value."""
        if key in _ONLY and value not in _ONLY[key]:
            allowed = _ONLY[key]
            raise self.fail(tok, f"{item.name}: {shown or tok.text}={shorten(repr(value))} is not "
                            f"modelled; convcalc reads only {' or '.join(repr(v) for v in allowed)} "
                            "(it would change what is counted)")
        if key not in _ONLY and key not in _IGNORED:
            raise self.fail(tok, f"{item.name}: argument {key!r} is not modelled")

    def refuse_ambiguous(self, item: _Call, entry: _Entry, spelled: str, torch_style: bool, args: list) -> None:
        """``conv2d(3, 8, 3)``: PyTorch's name in another case, with enough ints to read either way."""
        torch_order = entry.torch_positional
        if torch_style or not torch_order or torch_order[0] not in _CHECKED or entry.info is None:
            return
        if spelled.endswith(("1D", "2D", "3D")) or spelled.lower() not in {t.lower() for t in entry.info.torch_names}:
            return  # Keras's spelling (Conv2D, MaxPooling2D) or a short name (conv, dense): Keras's order
        required = 1 + sum(1 for f in fields(entry.cls) if f.default is MISSING and f.name in torch_order)
        ints = 0
        for value in args:
            if not (isinstance(value, int) and not isinstance(value, bool)):
                break
            ints += 1
        if ints < required:
            return
        keras = ", ".join(f"{n}={v!r}" for n, v in zip(entry.positional, args))
        torch = ", ".join(f"{n}={v!r}" for n, v in zip(torch_order, args))
        exact = next(t for t in entry.info.torch_names if t.lower() == spelled.lower())
        raise self.fail(item.token, f"{item.name}({', '.join(repr(a) for a in args)}) is ambiguous: in Keras's order "
                        f"it reads {keras}; in PyTorch's it reads {torch}. Write {exact}(...) (PyTorch's spelling, "
                        f"PyTorch's order) or {entry.cls.__name__}(...) / name the arguments (Keras's order)")
