"""PyTorch's ``print(model)`` text into rows, read line by line (nothing is run).

``print(model)`` shows every module by its ``repr`` under its attribute name,
containers opening with ``Name(`` and closing with ``)``::

    Net(
      (features): Sequential(
        (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))
        (1): ReLU()
      )
      (blocks): ModuleList(
        (0-2): 3 x Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      )
      (fc): Linear(in_features=10, out_features=2, bias=True)
    )

The text is parsed into a module tree first (``(0-2): 3 x Block(`` repeats
expanded), then walked into rows. A ``Sequential`` runs its children in the
order shown, so its rows are ``ok``. torchvision's block and model classes
(``BasicBlock``, ``Bottleneck``, ``InvertedResidual``, ``MBConv``,
``Inception``, ``_DenseBlock``, ``Fire``, ``ResNet``, ``DenseNet``, ...) have a
``forward`` known from their name and printed children
(:mod:`convcalc.importers.torch_blocks`): their rows are ``ok`` and carry the
graph's edges (residual adds, concatenations, gates), so the model is read as
a graph. Any other container (a custom ``nn.Module``, a ``ModuleList``) has its own
``forward``, which the text does not show: its children are read in the order
shown and marked ``partial`` with that assumption, and a ``Linear`` that
follows a spatial output gets an assumed ``Flatten`` (``torch.flatten`` in a
``forward`` leaves no trace in the text), also ``partial``. A module the spec
language does not know is an ``unsupported`` row with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers
from convcalc.importers.torch_blocks import BLOCKS, NotTorchvision, Printed, sequential

__all__ = ["looks_like_torch_print", "read_torch_print", "MAX_LINES", "MAX_DEPTH"]

#: Longest text read, in lines (ResNet-152's print is about 1,300 lines).
MAX_LINES = 100_000
#: Deepest nesting of containers read.
MAX_DEPTH = 200

_LINE = re.compile(
    r"^\((?P<name>[\w.-]+)\):\s*(?:(?P<count>\d+) x )?(?P<cls>[A-Za-z_][\w.]*)\((?P<rest>.*)$")
_TOP = re.compile(r"^(?P<cls>[A-Za-z_][\w.]*)\((?P<rest>.*)$")
_ORDERED = {"Sequential"}
_CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}
_LINEAR = {"Linear", "LazyLinear", "Bilinear"}


def looks_like_torch_print(text: str) -> bool:
    """True when ``text`` has the ``(name): Module(...)`` lines of ``print(model)``.

    Examples
    --------
    >>> looks_like_torch_print("Sequential(\\n  (0): ReLU()\\n)")
    True
    >>> looks_like_torch_print("conv(8, 3) relu")
    False
    """
    return re.search(r"^\s*\([\w.-]+\):\s*(?:\d+ x )?[A-Za-z_][\w.]*\(", text, re.MULTILINE) is not None


def _balance(text: str) -> int:
    """Open minus closed brackets, outside quotes."""
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) with a leaf repr that spans lines joined into one."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise ConvCalcError(f"The model text has {len(lines):,} lines; convcalc reads at most {MAX_LINES:,}.")
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line and not pending:
            continue
        if pending:
            pending += " " + line
            if _balance(pending) <= 0:
                out.append((start, pending))
                pending = ""
            continue
        opens_container = line.endswith("(") and _balance(line) == 1
        if not opens_container and _balance(line) > 0 and line != ")":
            pending, start = line, number
            continue
        out.append((number, line))
    if pending:
        raise ConvCalcError(f"The model text ends inside the module that starts on line {start}: {pending[:60]!r}.")
    return out


def _parse(text: str) -> Printed:
    """The module tree of ``print(model)`` text (``(0-2): 3 x Module(`` repeats expanded)."""
    root: Printed | None = None
    stack: list[tuple[Printed, int]] = []  # (open container, how many copies it stands for)
    for number, line in _logical_lines(text):
        if line == ")":
            if not stack:
                raise ConvCalcError(f"line {number}: ')' closes no module.")
            module, count = stack.pop()
            if count > 1 and stack:  # (0-2): 3 x Block( ... ): the one printed block stands for three
                owner, first = stack[-1][0], int(module.name)
                owner.children.pop()
                owner.children.extend(_repath(module, owner.at(str(i)), str(i)) for i in range(first, first + count))
            continue
        match = _LINE.match(line) or (None if stack or root else _TOP.match(line))
        if match is None:
            raise ConvCalcError(f"line {number}: not a line of print(model): {line[:80]!r}.")
        name = match.groupdict().get("name") or ""
        parent = stack[-1][0] if stack else None
        cls, rest = match["cls"], match["rest"]
        count = int(match.groupdict().get("count") or 1)
        span = re.fullmatch(r"(\d+)-(\d+)", name) if match.groupdict().get("count") else None
        if span:  # (0-2): 3 x Module(...); a name such as RegNet's "block1-0" is a name
            name, last = span[1], int(span[2])
            if last - int(name) + 1 != count:
                raise ConvCalcError(f"line {number}: ({name}-{last}) holds {last - int(name) + 1} modules, "
                                    f"not {count}.")
        short = cls.rsplit(".", 1)[-1]
        path = parent.at(name) if parent is not None else ""
        if rest == "":  # a container opens
            if len(stack) >= MAX_DEPTH:
                raise ConvCalcError(f"line {number}: containers nest deeper than {MAX_DEPTH}.")
            module = Printed(path, name, short)
            if parent is None:
                root = module
            else:
                parent.children.append(module)
            stack.append((module, count if span else 1))
            continue
        source = f"{cls}({rest}"
        if parent is None:  # the whole model is one leaf
            root = Printed("", "", short, source)
            continue
        if span:
            parent.children.extend(Printed(parent.at(str(i)), str(i), short, source)
                                   for i in range(int(name), int(name) + count))
        else:
            parent.children.extend(Printed(path, name, short, source) for _ in range(count))
    if stack:
        raise ConvCalcError(f"The model text ends with {len(stack)} module(s) still open "
                            f"({stack[-1][0].cls}): paste the whole print(model) output.")
    if root is None:
        raise ConvCalcError("The text has no module: paste the whole print(model) output.")
    return root


def _repath(module: Printed, path: str, name: str) -> Printed:
    """A copy of ``module`` standing at ``path`` (its descendants' paths moved with it)."""
    old = module.path

    def move(m: Printed) -> Printed:
        moved = path + m.path[len(old):] if old else (f"{path}.{m.path}" if m.path else path)
        return Printed(moved, m.name, m.cls, m.source, [move(c) for c in m.children])

    copy = move(module)
    copy.name = name
    return copy


class _Builder:
    """Walks the module tree into rows: known blocks through :data:`BLOCKS`, other containers in printed order."""

    def __init__(self) -> None:
        self.rows: list[ImportedRow] = []
        self.notes: list[str] = []
        self.assumed: list[str] = []  # the reasons of the custom containers we are inside
        self.spatial: dict[str, bool] = {}  # does a row's output have spatial axes?

    # -- what block functions call (torch_blocks.Builder) --
    def run(self, module: Printed, x: str) -> str:
        if not module.children and module.source:
            return self.leaf(module, x)
        reason = ""
        build = BLOCKS.get(module.cls)
        if build is not None:
            rows, notes = len(self.rows), len(self.notes)
            try:
                return build(self, module, x)
            except NotTorchvision as why:
                del self.rows[rows:], self.notes[notes:]
                reason = (f"order assumed: {module.here} is a {module.cls} but not torchvision's ({why}), "
                          "so its forward() is not known")
        if not reason and module.cls in _ORDERED:
            return sequential(self, module, x)
        self.assumed.append(reason or (
            f"order assumed: {module.here} is a {module.cls}, whose forward() the text does not show"
            if module.cls != "ModuleList" else f"order assumed: {module.path} is a ModuleList (no forward of its own)"))
        try:
            for child in module.children:
                x = self.run(child, x)
        finally:
            self.assumed.pop()
        return x

    def op(self, path: str, source: str, layers: Sequence[Any], inputs: Sequence[str]) -> str:
        reason = self.assumed[-1] if self.assumed else ""
        self.rows.append(ImportedRow(path, source, "partial" if reason else "ok", reason, tuple(layers),
                                     tuple(inputs)))
        self._track(path, tuple(layers), inputs[0])
        return path

    def spec(self, source: str) -> tuple[Any, ...]:
        return build_layers(source)

    def layer(self, leaf: Printed) -> Any:
        try:
            return build_layers(leaf.source)[-1]
        except ConvCalcError as error:
            raise NotTorchvision(f"{leaf.path} is not read ({str(error).splitlines()[0]})") from None

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- leaves --
    def _track(self, path: str, layers: tuple[Any, ...], x: str) -> None:
        spatial = self.spatial.get(x, False)
        if layers:
            name = type(layers[-1]).__name__
            if name in ("Flatten", "Dense", "GlobalAvgPool2D", "GlobalMaxPool2D"):
                spatial = False
            elif name.startswith(("Conv", "MaxPool", "AvgPool", "Adaptive", "ZeroPad", "Upsampl", "Crop")):
                spatial = True
        self.spatial[path] = spatial

    def leaf(self, module: Printed, x: str) -> str:
        path, cls, source = module.path or module.cls, module.cls, module.source
        reason = self.assumed[-1] if self.assumed else ""
        status = "partial" if reason else "ok"
        if cls in _CONTAINERS and source.endswith("()"):  # an empty Sequential() passes its input on
            self.rows.append(ImportedRow(path, source, status, reason, (), (x,)))
            self.spatial[path] = self.spatial.get(x, False)
            return path
        if cls in _LINEAR and self.spatial.get(x, False):
            assumed = f"{path} (assumed)"
            self.rows.append(ImportedRow(assumed, "Flatten()", "partial",
                                         "Flatten assumed: a Linear follows a spatial output (torch.flatten in "
                                         "forward() does not show in print(model))", build_layers("Flatten()"), (x,)))
            self.spatial[assumed] = False
            x = assumed
        try:
            layers = build_layers(source)
        except ConvCalcError as error:
            self.rows.append(ImportedRow(path, source, "unsupported", str(error).splitlines()[0], (), (x,)))
            return path
        self.rows.append(ImportedRow(path, source, status, reason, layers, (x,)))
        self._track(path, layers, x)
        return path


def read_torch_print(text: str) -> ImportedModel:
    """Read PyTorch ``print(model)`` output into rows.

    Examples
    --------
    >>> model = read_torch_print('''Sequential(
    ...   (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))
    ...   (1): ReLU()
    ...   (2): Flatten(start_dim=1, end_dim=-1)
    ...   (3): Linear(in_features=5408, out_features=10, bias=True)
    ... )''')
    >>> [(row.path, row.status) for row in model.rows]
    [('0', 'ok'), ('1', 'ok'), ('2', 'ok'), ('3', 'ok')]
    """
    builder = _Builder()
    builder.run(_parse(text), "")
    return ImportedModel(builder.rows, kind="print(model)", notes=builder.notes)
