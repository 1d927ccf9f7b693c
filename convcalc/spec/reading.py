"""Reading a spec: text or a file into layers, an input shape, or a whole stack with its input."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from convcalc import layers as L
from convcalc.errors import ConvCalcError, ConvCalcTypeError
from convcalc.spec.builder import ParsedSpec, _Builder
from convcalc.graph import MAX_NODES, Add, Concat, Graph, Multiply, Node
from convcalc.spec.parser import _Block, _Label, _Parser, _Ref, has_graph
from convcalc.spec.tokens import _error, _Token, shorten


def read_spec(text: str, input_shape: tuple[int, ...] | None = None, *, files: bool = True) -> ParsedSpec:
    """Parse ``text`` (a spec or the path of a file holding one) into a :class:`ParsedSpec`.

    When an input shape is known (given here or in the spec), PyTorch-style
    ``in_channels``/``in_features`` are checked against it. With
    ``files=False`` the text is never taken for a path (a file is never read).

    Examples
    --------
    >>> parsed = read_spec("input(1x28x28) conv(8, 3)")
    >>> parsed.input_shape, parsed.layers
    ((1, 28, 28), [Conv2D(filters=8, kernel_size=3, stride=1, padding=0, dilation=1, groups=1, bias=True)])
    >>> read_spec("Conv2D(8, 3, input_shape=(28, 28, 1))").input_shape
    (1, 28, 28)
    """
    if not isinstance(text, str):
        raise ConvCalcTypeError(f"The 'spec' parameter must be a string such as \"conv(32,3) pool(2)\". "
                                f"Got {type(text).__name__}: {text!r:.80}.")
    text = _maybe_file(text) if files else text
    builder = _Builder(text)
    items = _Parser(text).items()
    if has_graph(items):
        graph = _GraphBuilder(text, builder).build(items)
        return ParsedSpec(graph, builder.input_shape, (), text)  # type: ignore[arg-type]
    for call in items:
        builder.add(call, call.token)  # type: ignore[union-attr]
    if not builder.layers:
        raise ConvCalcError("The spec has no layers; write e.g. \"conv(32,3) pool(2) flatten dense(10)\".")
    parsed = ParsedSpec(builder.layers, builder.input_shape, tuple(builder.checks), text)
    shape = input_shape if input_shape is not None else builder.input_shape
    if shape is not None:
        parsed.check_channels(shape)
    return parsed


def _size(items: list[Any]) -> int:
    """Nodes ``items`` expand to, at least (one per call, a merge per block, repetitions multiplied)."""
    total = 0
    for item in items:
        if isinstance(item, _Block):
            inner = sum(_size(branch) for branch in item.branches)
            total += inner * item.count if item.kind == "rep" else inner + 1
        elif not isinstance(item, (_Label, _Ref)):
            total += 1
        if total > MAX_NODES:
            return total
    return total


class _GraphBuilder:
    """Blocks, labels and references into a :class:`~convcalc.graph.Graph` (one pass, nodes in order)."""

    def __init__(self, text: str, builder: _Builder) -> None:
        self.text, self.builder = text, builder
        self.nodes: list[Node] = [Node(0, "input", None, ())]
        self.names: dict[str, int] = {"input": 0}
        self.checks: list[tuple[int, str, int]] = []
        self.counts: dict[str, int] = {}
        self.scope: tuple[str, ...] = ()

    def fail(self, token: _Token, message: str) -> ConvCalcError:
        return _error(self.text, token.pos, message, "spec error")

    def add(self, op: L.Layer, inputs: tuple[int, ...], token: _Token) -> int:
        index = len(self.nodes)
        if index > MAX_NODES:
            raise self.fail(token, f"the model has more than {MAX_NODES:,} nodes; convcalc analyses at most that")
        self.nodes.append(Node(index, str(index), op, inputs, self.scope))
        return index

    def build(self, items: list[Any]) -> Graph:
        if _size(items) > MAX_NODES:
            raise ConvCalcError(f"The spec expands to more than {MAX_NODES:,} nodes; convcalc analyses at most that.")
        last = self.run(items, 0)
        if len(self.nodes) == 1:
            raise ConvCalcError("The spec has no layers; write e.g. \"conv(32,3) pool(2) flatten dense(10)\".")
        return Graph(tuple(self.nodes), self.builder.input_shape, tuple(self.checks), output=last)

    def run(self, items: list[Any], current: int) -> int:
        for item in items:
            if isinstance(item, _Label):
                if item.name in self.names:
                    raise self.fail(item.token, f"the name {shorten(item.name)!r} is already used; names must be unique")
                self.names[item.name] = current
                self.nodes[current] = replace(self.nodes[current], name=item.name)
            elif isinstance(item, _Ref):
                if item.name not in self.names:
                    known = shorten(", ".join(repr(n) for n in self.names), 200)
                    raise self.fail(item.token, f"no node is named {shorten(item.name)!r} before this point; named "
                                    f"so far: {known} (name one with 'as NAME' after it)")
                current = self.names[item.name]
            elif isinstance(item, _Block):
                current = self.block(item, current)
            else:
                first = len(self.builder.layers)
                checks = len(self.builder.checks)
                self.builder.add(item, item.token)
                positions = {}
                for position, layer in enumerate(self.builder.layers[first:], start=first):
                    current = self.add(layer, (current,), item.token)
                    positions[position] = current
                for position, name, value, _ in self.builder.checks[checks:]:
                    if position in positions:
                        self.checks.append((positions[position], name, value))
        return current

    def block(self, block: _Block, current: int) -> int:
        self.counts[block.kind] = self.counts.get(block.kind, 0) + 1
        label = f"{block.kind}{self.counts[block.kind]}" if block.kind != "rep" else (
            f"{block.count}*[...]{self.counts['rep']}")
        outer, self.scope = self.scope, (*self.scope, label)
        try:
            if block.kind == "rep":
                for _ in range(block.count):
                    current = self.run(block.branches[0], current)
                return current
            ends = [self.run(branch, current) for branch in block.branches]
            if block.kind == "res" and len(ends) == 1:
                ends.append(current)
            merge = {"add": Add(), "res": Add(), "mul": Multiply(), "cat": Concat()}[block.kind]
            return self.add(merge, tuple(ends), block.token)
        finally:
            self.scope = outer


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
                return _read_text(path)
        except OSError:
            pass
        if text.startswith("@") or re.search(r"\.(txt|spec|py|cfg)$", candidate.strip()):
            raise ConvCalcError(f"The spec file {candidate!r} does not exist.")
    return text


def _read_text(path: Path) -> str:
    """A spec file's text: at most ``MAX_SPEC_CHARS`` characters of UTF-8, else one clear error."""
    from convcalc.spec.tokens import MAX_SPEC_CHARS

    with path.open("rb") as handle:
        data = handle.read(4 * MAX_SPEC_CHARS + 1)
    if len(data) > 4 * MAX_SPEC_CHARS or b"\0" in data:
        raise ConvCalcError(f"The spec file {str(path)!r} is not a spec: "
                            + ("binary data (NUL bytes)." if b"\0" in data else "larger than the spec limit."))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConvCalcError(f"The spec file {str(path)!r} is not UTF-8 text (byte {error.start}).") from None


def parse_shape(text: str, name: str = "input shape") -> tuple[int, ...]:
    """Parse ``1x28x28``, ``1,28,28`` or ``(1, 28, 28)`` into a tuple of ints >= 1.

    Examples
    --------
    >>> parse_shape("1x28x28"), parse_shape("3, 224, 224"), parse_shape("784")
    ((1, 28, 28), (3, 224, 224), (784,))
    """
    from convcalc.spec.tokens import MAX_NUMBER_CHARS

    parts = re.split(r"\s*[x×,]\s*", str(text).strip().strip("()[]").strip().rstrip(","))
    # ASCII digits only ('¹⁶' and '１６' are refused, never read), and no size longer than a spec number
    if len(parts) > 16 or not all(re.fullmatch(f"[0-9]{{1,{MAX_NUMBER_CHARS}}}", p) and int(p) >= 1 for p in parts):
        shown = text if len(text) <= 60 else text[:60] + f"... ({len(text):,} characters)"
        raise ConvCalcError(f"The {name!r} must be sizes such as 1x28x28 or 3,224,224 (at most 16 sizes of at "
                            f"most {MAX_NUMBER_CHARS} digits). Got {shown!r}.")
    return tuple(int(p) for p in parts)


def load_stack(source: str, input_shape: tuple[int, ...] | None = None, *, layout: str = "nchw",
               require_shape: bool = True, files: bool = True) -> tuple[list[L.Layer] | Graph, tuple[int, ...]]:
    """A preset name or a spec (text or file) and the input shape to run it on, in ``layout`` order.

    The model is a list of layer specs, or a :class:`~convcalc.graph.Graph`
    when the spec or preset branches (``res[...]``, ``cat[...]``, ``@name``).
    This is the one place that turns what a user typed into a model: ``convcalc stack``,
    ``convcalc rf``, ``convcalc check``'s stack questions, ``Sequential.from_spec``
    and ``convcalc train`` all call it, so a preset is recognised (aliases and
    case included) the same way everywhere.

    The shape is ``input_shape`` when given, else the spec's own
    (``input(...)``/``input_shape=``), else the preset's. With
    ``require_shape=False`` a missing shape is returned as ``None`` instead of
    raising. ``files=False`` never reads a file: the source is spec text or a
    preset name (``convcalc check`` resolves answer-file paths itself).

    Raises
    ------
    ConvCalcError
        An unknown ``layout``; a single word that is neither a preset nor a
        layer (named as the preset typo it usually is); a spec error; no input
        shape anywhere while ``require_shape`` is true.

    Examples
    --------
    >>> layers, shape = load_stack("lenet5", layout="nhwc")
    >>> shape, len(layers)
    ((32, 32, 1), 13)
    >>> load_stack("conv(8, 3) relu", (3, 32, 32))[1]
    (3, 32, 32)
    >>> load_stack("LeNet-5")[1]
    (1, 32, 32)
    >>> load_stack("resnet-99")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: 'resnet-99' is neither a preset nor a layer; use a preset (...) or a layer list such as "conv(32,3) pool(2) flatten dense(10)"
    """
    from convcalc.presets import PRESETS, is_preset, preset

    key = str(layout).strip().lower()
    if key not in L.LAYOUTS:
        raise ConvCalcError(f"The 'layout' parameter must be one of 'nchw', 'nhwc'. Got {layout!r}.")
    last = L.LAYOUTS[key] == "nhwc"

    def first(shape: tuple[int, ...]) -> tuple[int, ...]:
        return L.channels_first(shape) if last else tuple(shape)

    def ordered(shape: tuple[int, ...]) -> tuple[int, ...]:
        return L.channels_last(shape) if last else tuple(shape)

    if not isinstance(source, str):
        raise ConvCalcTypeError(f"The model must be a preset name or a spec string; got {source!r:.80}.")
    if is_preset(source):
        layers, own = preset(source)
        return layers, tuple(input_shape) if input_shape is not None else ordered(own)
    word = source.strip()
    if re.fullmatch(r"[A-Za-z][\w-]*", word):
        try:
            read_spec(word, files=files)
        except ConvCalcError:
            raise ConvCalcError(f"{shorten(word)!r} is neither a preset nor a layer; use a preset ({', '.join(PRESETS)}) "
                                "or a layer list such as \"conv(32,3) pool(2) flatten dense(10)\"") from None
    parsed = read_spec(source, None if input_shape is None else first(tuple(input_shape)), files=files)
    if input_shape is not None:
        return parsed.layers, tuple(input_shape)
    if parsed.input_shape is None:
        if not require_shape:
            return parsed.layers, None  # type: ignore[return-value]
        raise ConvCalcError("The input shape is missing: pass --in (e.g. --in 1x28x28) "
                            "or start the spec with input(1x28x28).")
    return parsed.layers, ordered(parsed.input_shape)
