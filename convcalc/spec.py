"""The spec language: a one-line (or one-file) layer list, parsed safely (never ``eval``).

::

    conv(32, 3) pool(2) conv(64, 3) pool(2) flatten dense(100) dense(10)
    Conv2D(32, kernel_size=(3,3), strides=1, padding='valid', activation='relu') MaxPool2D((2,2)) Flatten()
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5408, 10)

Layers are separated by spaces, commas, semicolons, ``|``, ``->`` or new lines;
``#`` starts a comment. Keras and PyTorch layer and argument names are both
accepted, plus short aliases (``conv``, ``pool``, ``fc``, ``k``, ``s``, ``p``,
``d``); names are case-insensitive, ``nn.``/``layers.`` prefixes and
underscores are ignored. PyTorch's own spellings (``Conv2d``, ``Linear``,
``BatchNorm2d``, ...) take PyTorch's positional order, whose ``in_channels`` /
``in_features`` are checked against the real shapes once the input is known.
``activation='relu'`` on a conv or dense layer adds the activation layer after
it. ``Sequential(...)`` / ``model.add(...)`` wrappers are unwrapped. The input
shape may be given in the spec: ``input(1x28x28)`` (channels first) or Keras's
``input_shape=(28, 28, 1)`` / ``Input(shape=(28, 28, 1))`` (channels last).

A syntax error names the line and column and draws a caret under the token.

Examples
--------
>>> [str(layer) for layer in parse_spec("conv(32,3) pool(2) flatten dense(10, activation='softmax')")]
['Conv2D(32, 3, s=1, p=0)', 'MaxPool2D(2)', 'Flatten()', 'Dense(10)', 'Softmax']
>>> parse_spec("nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1)")
[Conv2D(filters=8, kernel_size=3, stride=2, padding=1, dilation=1, groups=1, bias=True)]
>>> parse_spec("conv(32, 3 pool(2)")
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: spec syntax error at column 12: expected ',' or ')' in the arguments of conv; got 'pool'
  conv(32, 3 pool(2)
             ^
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from convcalc import layers as L
from convcalc.errors import ConvCalcError

__all__ = ["ParsedSpec", "parse_spec", "read_spec", "load_stack", "parse_shape", "LAYER_NAMES"]


# --------------------------------------------------------------------------- tokens
class _Token(NamedTuple):
    kind: str  # name, number, size, string, punct, end
    text: str
    pos: int


_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+) | (?P<comment>\#[^\n]*)
  | (?P<size>\d+(?:\s*[x×]\s*\d+)+(?![\w.]))
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
  | (?P<punct>->|>>|[()\[\],;=|])
""", re.VERBOSE)


def _error(text: str, pos: int, message: str, what: str = "spec syntax error") -> ConvCalcError:
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    line_no = text.count("\n", 0, pos) + 1
    where = f"line {line_no}, column {pos - line_start + 1}" if "\n" in text.strip() else f"column {pos - line_start + 1}"
    source = text[line_start:line_end]
    return ConvCalcError(f"{what} at {where}: {message}\n  {source}\n  {' ' * (pos - line_start)}^")


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error(text, pos, f"unexpected character {text[pos]!r}")
        if match.lastgroup not in ("space", "comment"):
            tokens.append(_Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# --------------------------------------------------------------------------- syntax tree
@dataclass
class _Call:
    name: str
    token: _Token
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, tuple[Any, _Token]] = field(default_factory=dict)
    arg_tokens: list[_Token] = field(default_factory=list)


class _Parser:
    """Recursive descent over the tokens: items, call arguments and literal values."""

    SEPARATORS = {",", ";", "|", "->", ">>"}

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, message: str, token: _Token | None = None) -> ConvCalcError:
        token = token or self.tok
        got = "the end" if token.kind == "end" else repr(token.text)
        return _error(self.text, token.pos, f"{message}; got {got}")

    def items(self) -> list[_Call]:
        calls = []
        while True:
            while self.tok.kind == "punct" and self.tok.text in self.SEPARATORS:
                self.i += 1
            if self.tok.kind == "end":
                return calls
            if self.tok.kind != "name":
                raise self.fail("expected a layer name such as conv, pool, dense or relu")
            calls.append(self.call())

    def call(self) -> _Call:
        call = _Call(self.tok.text, self.tok)
        self.i += 1
        if self.tok.text != "(":
            return call
        self.i += 1
        while self.tok.text != ")":
            start = self.tok
            if start.kind == "name" and self.tokens[self.i + 1].text == "=":
                self.i += 2
                key = start.text.lower().replace("_", "")
                if key in call.kwargs:
                    raise _error(self.text, start.pos, f"{start.text} is given twice")
                call.kwargs[key] = (self.value(f"the value of {start.text}"), start)
            else:
                if call.kwargs:
                    raise self.fail("a positional argument cannot follow a keyword argument", start)
                call.args.append(self.value(f"the arguments of {call.name}"))
                call.arg_tokens.append(start)
            if self.tok.text == ",":
                self.i += 1
            elif self.tok.text != ")":
                raise self.fail(f"expected ',' or ')' in the arguments of {call.name}")
        self.i += 1
        return call

    def value(self, where: str) -> Any:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
        if tok.kind == "size":
            self.i += 1
            return tuple(int(v) for v in re.split(r"\s*[x×]\s*", tok.text))
        if tok.kind == "string":
            self.i += 1
            return tok.text[1:-1]
        if tok.kind == "name":
            if self.tokens[self.i + 1].text == "(":
                return self.call()
            self.i += 1
            return {"true": True, "false": False, "none": None}.get(tok.text.lower(), tok.text)
        if tok.text in ("(", "["):
            close = ")" if tok.text == "(" else "]"
            self.i += 1
            items = []
            while self.tok.text != close:
                items.append(self.value(where))
                if self.tok.text == ",":
                    self.i += 1
                elif self.tok.text != close:
                    raise self.fail(f"expected ',' or '{close}' in a tuple")
            self.i += 1
            return tuple(items)
        raise self.fail(f"expected a value in {where}")


# --------------------------------------------------------------------------- the vocabulary
_CONV = ("filters", "kernel_size", "stride", "padding", "dilation", "groups", "bias")
_CONVT = ("filters", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "bias")
_ALIASES = {
    "filters": ("filters", "outchannels", "out", "channels", "f", "c"),
    "kernel_size": ("kernelsize", "kernel", "k", "ks", "poolsize", "size"),
    "pool_size": ("poolsize", "kernelsize", "kernel", "k", "size"),
    "stride": ("stride", "strides", "s"),
    "padding": ("padding", "pad", "p"),
    "dilation": ("dilation", "dilationrate", "d"),
    "groups": ("groups", "g"),
    "bias": ("bias", "usebias"),
    "output_padding": ("outputpadding", "op"),
    "ceil_mode": ("ceilmode", "ceil"),
    "units": ("units", "outfeatures", "out", "features", "n"),
    "rate": ("rate", "p"),
    "negative_slope": ("negativeslope", "alpha", "slope"),
    "alpha": ("alpha",),
    "output_size": ("outputsize", "size"),
    "keepdims": ("keepdims",),
    "activation": ("activation", "act"),
    "in_channels": ("inchannels",),
    "in_features": ("infeatures",),
    "num_features": ("numfeatures",),
    "input_shape": ("inputshape",),
}
# Arguments that change nothing convcalc counts; accepted and dropped.
_IGNORED = {"name", "dtype", "device", "inplace", "datformat", "dataformat", "paddingmode", "returnindices",
            "countincludepad", "divisoroverride", "eps", "epsilon", "momentum", "axis", "dim", "startdim",
            "enddim", "trackrunningstats", "seed", "noiseshape", "trainable", "kernelinitializer",
            "biasinitializer", "kernelregularizer", "biasregularizer", "activityregularizer",
            "kernelconstraint", "biasconstraint", "betainitializer", "gammainitializer",
            "movingmeaninitializer", "movingvarianceinitializer", "lorarank"}


_MUST_BE_TRUE = {"affine", "center", "scale"}
_CHECKED = ("in_channels", "in_features", "num_features")


class _Entry(NamedTuple):
    cls: type
    positional: tuple[str, ...]
    torch_positional: tuple[str, ...] | None = None


def _family(cls1: type, cls2: type, cls3: type, stems: tuple[str, ...], positional: tuple[str, ...],
            torch_positional: tuple[str, ...] | None) -> dict[str, _Entry]:
    table = {}
    for dim, cls in ((1, cls1), (2, cls2), (3, cls3)):
        for stem in stems:
            table[f"{stem}{dim}d"] = _Entry(cls, positional, torch_positional)
    for stem in stems:
        table[stem] = _Entry(cls2, positional, torch_positional)
    return table


_MAXPOOL = ("pool_size", "stride", "padding", "dilation", "ceil_mode")
_AVGPOOL = ("pool_size", "stride", "padding", "ceil_mode")
_TABLE: dict[str, _Entry] = {
    **_family(L.Conv1D, L.Conv2D, L.Conv3D, ("conv", "convolution"), _CONV, ("in_channels", *_CONV)),
    **_family(L.ConvTranspose1D, L.ConvTranspose2D, L.ConvTranspose3D,
              ("convtranspose", "convtrans", "deconv", "tconv", "convt"), _CONVT,
              ("in_channels", "filters", "kernel_size", "stride", "padding", "output_padding", "groups", "bias",
               "dilation")),
    **_family(L.MaxPool1D, L.MaxPool2D, L.MaxPool3D, ("maxpool", "maxpooling", "pool", "mp"), _MAXPOOL,
              ("pool_size", "stride", "padding", "dilation", "_return_indices", "ceil_mode")),
    **_family(L.AvgPool1D, L.AvgPool2D, L.AvgPool3D, ("avgpool", "averagepooling", "avgpooling", "ap"),
              _AVGPOOL, _AVGPOOL),
    **_family(L.ZeroPad1D, L.ZeroPad2D, L.ZeroPad3D, ("zeropad", "zeropadding"), ("padding",), ("padding",)),
    **_family(L.BatchNorm1D, L.BatchNorm2D, L.BatchNorm3D, ("batchnorm", "bn"), ("num_features",), ("num_features",)),
    **{f"conv{n}dtranspose": _Entry(cls, _CONVT) for n, cls in
       ((1, L.ConvTranspose1D), (2, L.ConvTranspose2D), (3, L.ConvTranspose3D))},
    "batchnormalization": _Entry(L.BatchNorm2D, ()),
    "adaptiveavgpool2d": _Entry(L.AdaptiveAvgPool2D, ("output_size",)),
    "adaptiveavgpool": _Entry(L.AdaptiveAvgPool2D, ("output_size",)),
    "globalavgpool2d": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "globalaveragepooling2d": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "globalavgpool": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "gap": _Entry(L.GlobalAvgPool2D, ("keepdims",)),
    "globalmaxpool2d": _Entry(L.GlobalMaxPool2D, ("keepdims",)),
    "globalmaxpooling2d": _Entry(L.GlobalMaxPool2D, ("keepdims",)),
    "gmp": _Entry(L.GlobalMaxPool2D, ("keepdims",)),
    "flatten": _Entry(L.Flatten, ()),
    "dense": _Entry(L.Dense, ("units", "activation")),
    "linear": _Entry(L.Dense, ("units", "activation"), ("in_features", "units", "bias")),
    "fc": _Entry(L.Dense, ("units", "activation")),
    "dropout": _Entry(L.Dropout, ("rate",)),
    "drop": _Entry(L.Dropout, ("rate",)),
    "relu": _Entry(L.ReLU, ()),
    "leakyrelu": _Entry(L.LeakyReLU, ("negative_slope",)),
    "lrelu": _Entry(L.LeakyReLU, ("negative_slope",)),
    "elu": _Entry(L.ELU, ("alpha",)),
    "sigmoid": _Entry(L.Sigmoid, ()),
    "tanh": _Entry(L.Tanh, ()),
    "softmax": _Entry(L.Softmax, ()),
}
_ACTIVATIONS = {"relu": L.ReLU, "leakyrelu": L.LeakyReLU, "lrelu": L.LeakyReLU, "elu": L.ELU,
                "sigmoid": L.Sigmoid, "tanh": L.Tanh, "softmax": L.Softmax, "linear": None, "identity": None}
_WRAPPERS = {"sequential", "add"}
_INPUTS = {"input", "in", "inputlayer"}
# PyTorch's exact spellings: their positional arguments start with the input channels/features.
_TORCH_NAMES = re.compile(r"^(Conv[123]d|ConvTranspose[123]d|MaxPool[123]d|AvgPool[123]d|ZeroPad[123]d|"
                          r"BatchNorm[123]d|Linear)$")

#: Every accepted layer name (normalised: lower case, no underscores) and the spec it builds.
LAYER_NAMES = {name: entry.cls.__name__ for name, entry in _TABLE.items()}


def _normal(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower().replace("_", "")


# --------------------------------------------------------------------------- building
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
        if key in _WRAPPERS:
            for arg, tok in zip(item.args, item.arg_tokens):
                self.add(arg, tok)
            return
        if key in _INPUTS:
            values = [v for v, _ in item.kwargs.values()] or item.args
            value = values[0] if len(values) == 1 else tuple(values)
            self.set_input(value, item.token, keras=item.name.rsplit(".", 1)[-1][0].isupper())
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

    def set_input(self, value: Any, token: _Token, keras: bool) -> None:
        """Record the input shape; Keras spellings give it channels last."""
        shape = value if isinstance(value, tuple) else (value,)
        if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape):
            raise self.fail(token, f"an input shape must be sizes such as input(1x28x28); got {value!r}")
        self.input_shape = (shape[-1], *shape[:-1]) if keras and len(shape) > 1 else shape

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
        for key, (value, tok) in item.kwargs.items():
            target = next((n for n in names if key in _ALIASES.get(n, (n.replace("_", ""),))), None)
            if target is None and key in _IGNORED:
                continue
            if target is None and key in _MUST_BE_TRUE:
                if value is True:
                    continue
                raise self.fail(tok, f"{item.name}: {tok.text}={value!r} is not modelled; only the default True")
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
                value, tok = given.pop(name)
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
            self.set_input(shape[0], shape[1], keras=True)
        self.activation(*activation)


_EXAMPLES = {"in_channels": 1, "in_features": 784, "num_features": 32, "filters": 32, "kernel_size": 3, "pool_size": 2, "units": 10, "padding": 1, "output_size": 6}


def read_spec(text: str, input_shape: tuple[int, ...] | None = None) -> ParsedSpec:
    """Parse ``text`` (a spec or the path of a file holding one) into a :class:`ParsedSpec`.

    When an input shape is known (given here or in the spec), PyTorch-style
    ``in_channels``/``in_features`` are checked against it.

    Examples
    --------
    >>> parsed = read_spec("input(1x28x28) conv(8, 3)")
    >>> parsed.input_shape, parsed.layers
    ((1, 28, 28), [Conv2D(filters=8, kernel_size=3, stride=1, padding=0, dilation=1, groups=1, bias=True)])
    >>> read_spec("Conv2D(8, 3, input_shape=(28, 28, 1))").input_shape
    (1, 28, 28)
    """
    text = _maybe_file(text)
    builder = _Builder(text)
    for call in _Parser(text).items():
        builder.add(call, call.token)
    if not builder.layers:
        raise ConvCalcError("The spec has no layers; write e.g. \"conv(32,3) pool(2) flatten dense(10)\".")
    parsed = ParsedSpec(builder.layers, builder.input_shape, tuple(builder.checks), text)
    shape = input_shape if input_shape is not None else builder.input_shape
    if shape is not None:
        parsed.check_channels(shape)
    return parsed


def parse_spec(text: str) -> list[L.Layer]:
    """Parse a spec string (or the path of a spec file) into a list of layer specs.

    Raises
    ------
    ConvCalcError
        On a syntax error or an unknown name, with the line, column and a caret line.
    """
    return read_spec(text).layers


def _maybe_file(text: str) -> str:
    """A spec can be a file: ``@path`` or an existing path ending in .txt, .spec, .py or without spaces."""
    candidate = text[1:] if text.startswith("@") else text
    if "\n" not in candidate and ("(" not in candidate or text.startswith("@")):
        path = Path(candidate.strip()).expanduser()
        try:
            if path.is_file():
                return path.read_text()
        except OSError:
            pass
        if text.startswith("@") or re.search(r"\.(txt|spec|py|cfg)$", candidate.strip()):
            raise ConvCalcError(f"The spec file {candidate!r} does not exist.")
    return text


def parse_shape(text: str, name: str = "input shape") -> tuple[int, ...]:
    """Parse ``1x28x28``, ``1,28,28`` or ``(1, 28, 28)`` into a tuple of ints >= 1.

    Examples
    --------
    >>> parse_shape("1x28x28"), parse_shape("3, 224, 224"), parse_shape("784")
    ((1, 28, 28), (3, 224, 224), (784,))
    """
    parts = re.split(r"\s*[x×,]\s*", text.strip().strip("()[]").strip().rstrip(","))
    if not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise ConvCalcError(f"The {name!r} must be sizes such as 1x28x28 or 3,224,224. Got {text!r}.")
    return tuple(int(p) for p in parts)


def load_stack(source: str, input_shape: tuple[int, ...] | None = None, *,
               layout: str = "nchw") -> tuple[list[L.Layer], tuple[int, ...]]:
    """A preset name or a spec (text or file) and the input shape to run it on, in ``layout`` order.

    The shape is ``input_shape`` when given, else the spec's own
    (``input(...)``/``input_shape=``), else the preset's.

    Examples
    --------
    >>> layers, shape = load_stack("lenet5", layout="nhwc")
    >>> shape, len(layers)
    ((32, 32, 1), 13)
    >>> load_stack("conv(8, 3) relu", (3, 32, 32))[1]
    (3, 32, 32)
    """
    from convcalc.presets import is_preset, preset

    key = str(layout).strip().lower()
    if key not in L.LAYOUTS:
        raise ConvCalcError(f"The 'layout' parameter must be one of 'nchw', 'nhwc'. Got {layout!r}.")
    last = L.LAYOUTS[key] == "nhwc"

    def first(shape: tuple[int, ...]) -> tuple[int, ...]:
        return (shape[-1], *shape[:-1]) if last and len(shape) > 1 else tuple(shape)

    def ordered(shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*shape[1:], shape[0]) if last and len(shape) > 1 else tuple(shape)

    if is_preset(source):
        layers, own = preset(source)
        return layers, tuple(input_shape) if input_shape is not None else ordered(own)
    parsed = read_spec(source, None if input_shape is None else first(tuple(input_shape)))
    if input_shape is not None:
        return parsed.layers, tuple(input_shape)
    if parsed.input_shape is None:
        raise ConvCalcError("The input shape is missing: pass --in (e.g. --in 1x28x28) "
                            "or start the spec with input(1x28x28).")
    return parsed.layers, ordered(parsed.input_shape)
