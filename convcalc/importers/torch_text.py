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

A ``Sequential`` runs its children in the order shown, so its rows are ``ok``.
Any other container (a custom ``nn.Module``, a ``ModuleList``) has its own
``forward``, which the text does not show: its children are read in the order
shown and marked ``partial`` with that assumption, and a ``Linear`` that
follows a spatial output gets an assumed ``Flatten`` (``torch.flatten`` in a
``forward`` leaves no trace in the text), also ``partial``. A module the spec
language does not know is an ``unsupported`` row with the reason.
"""

from __future__ import annotations

import re

from convcalc.errors import ConvCalcError
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers

__all__ = ["looks_like_torch_print", "read_torch_print", "MAX_LINES", "MAX_DEPTH"]

#: Longest text read, in lines (ResNet-152's print is about 1,300 lines).
MAX_LINES = 100_000
#: Deepest nesting of containers read.
MAX_DEPTH = 200

_LINE = re.compile(
    r"^\((?P<name>[\w.]+)(?:-(?P<last>\d+))?\):\s*(?:(?P<count>\d+) x )?(?P<cls>[A-Za-z_][\w.]*)\((?P<rest>.*)$")
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


class _Reader:
    def __init__(self) -> None:
        self.rows: list[ImportedRow] = []
        self.stack: list[tuple[str, str]] = []  # (path, container class)
        self.spatial = False  # does the last output have spatial axes?

    def assumption(self) -> str:
        for path, cls in reversed(self.stack):
            if cls not in _ORDERED:
                return (f"order assumed: {path or cls} is a {cls}, whose forward() the text does not show"
                        if cls != "ModuleList" else f"order assumed: {path} is a ModuleList (no forward of its own)")
        return ""

    def leaf(self, path: str, cls: str, source: str) -> None:
        reason = self.assumption()
        if cls in _CONTAINERS and source.endswith("()"):  # an empty Sequential() passes its input on
            self.rows.append(ImportedRow(path, source, "partial" if reason else "ok", reason))
            return
        if cls in _LINEAR and self.spatial:
            self.rows.append(ImportedRow(f"{path} (assumed)", "Flatten()", "partial",
                                         "Flatten assumed: a Linear follows a spatial output (torch.flatten in "
                                         "forward() does not show in print(model))", build_layers("Flatten()")))
            self.spatial = False
        try:
            layers = build_layers(source)
        except ConvCalcError as error:
            self.rows.append(ImportedRow(path, source, "unsupported", str(error).splitlines()[0]))
            return
        self.rows.append(ImportedRow(path, source, "partial" if reason else "ok", reason, layers))
        name = type(layers[-1]).__name__
        if name in ("Flatten", "Dense", "GlobalAvgPool2D", "GlobalMaxPool2D"):
            self.spatial = False
        elif name.startswith(("Conv", "MaxPool", "AvgPool", "Adaptive", "ZeroPad", "Upsampl", "Crop")):
            self.spatial = True

    def read(self, text: str) -> ImportedModel:
        for number, line in _logical_lines(text):
            if line == ")":
                if not self.stack:
                    raise ConvCalcError(f"line {number}: ')' closes no module.")
                self.stack.pop()
                continue
            match = _LINE.match(line) or (None if self.stack or self.rows else _TOP.match(line))
            if match is None:
                raise ConvCalcError(f"line {number}: not a line of print(model): {line[:80]!r}.")
            name = match.groupdict().get("name") or ""
            parent = self.stack[-1][0] if self.stack else ""
            cls, rest = match["cls"], match["rest"]
            path = f"{parent}.{name}" if parent and name else (name or parent)
            if rest == "":  # a container opens
                if len(self.stack) >= MAX_DEPTH:
                    raise ConvCalcError(f"line {number}: containers nest deeper than {MAX_DEPTH}.")
                self.stack.append((path, cls.rsplit(".", 1)[-1]))
                continue
            count = int(match.groupdict().get("count") or 1)
            if match.groupdict().get("last"):  # (0-2): 3 x Module(...)
                first, last = int(name), int(match["last"])
                if last - first + 1 != count:
                    raise ConvCalcError(f"line {number}: ({name}-{last}) holds {last - first + 1} modules, "
                                        f"not {count}.")
                paths = [f"{parent}.{i}" if parent else str(i) for i in range(first, last + 1)]
            else:
                paths = [path or cls] * count
            for leaf_path in paths:
                self.leaf(leaf_path, cls.rsplit(".", 1)[-1], f"{cls}({rest}")
        if self.stack:
            raise ConvCalcError(f"The model text ends with {len(self.stack)} module(s) still open "
                                f"({self.stack[-1][1]}): paste the whole print(model) output.")
        return ImportedModel(self.rows, kind="print(model)")


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
    return _Reader().read(text)
