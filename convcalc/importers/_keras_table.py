"""The cells of a Keras ``model.summary()`` table: Keras 3's box-drawn layout and Keras 2's columns.

Keras 3 draws the table with box characters (``┃ Layer (type) ┃ Output Shape ┃ Param # ┃``), wraps a
long cell over lines at spaces and cuts long names with ``…``; Keras 2 prints columns at fixed
positions under ``____``/``====`` rules and wraps a cell anywhere. Both become one list of cells per
layer: ``[name (Class), output shape, param #, connected to]``; :mod:`convcalc.importers.keras_summary`
rebuilds the layers from them.
"""

from __future__ import annotations

import re

from convcalc.errors import ConvCalcError

__all__ = ["looks_like_keras_summary", "table_cells", "name_and_class", "shape_cell", "params_cell",
           "inbound_cell", "ELLIPSIS"]

Shape = tuple[int, ...]
ELLIPSIS = "…"
_BOX_ROW = "│"
_LABELS = ("Layer (type)", "Output Shape", "Param #", "Connected to")


def looks_like_keras_summary(text: str) -> bool:
    """True when ``text`` has the header of a Keras ``model.summary()`` table.

    Examples
    --------
    >>> looks_like_keras_summary('Model: "m"\\n Layer (type)   Output Shape   Param #\\n')
    True
    >>> looks_like_keras_summary("conv(8, 3) relu")
    False
    """
    return re.search(r"Layer \(type\)\s*[┃│|]?\s*Output Shape\s*[┃│|]?\s*Param #", text) is not None


# --------------------------------------------------------------------------- the table's cells
def _box_cells(lines: list[str]) -> tuple[list[list[str]], bool]:
    """Keras 3: the cells of each row (a row's wrapped lines joined), and whether it has "Connected to"."""
    header = next(line for line in lines if "Layer (type)" in line)
    connected = "Connected to" in header
    rows: list[list[str]] = []
    current: list[list[str]] = []
    for line in lines[lines.index(header) + 1:]:
        stripped = line.strip()
        if stripped.startswith(_BOX_ROW):
            parts = [part.strip() for part in stripped.strip(_BOX_ROW).split(_BOX_ROW)]
            current.append(parts)
        elif stripped.startswith(("├", "└")) and current:
            rows.append(_join(current))
            current = []
        if stripped.startswith("└"):
            break
    if current:
        rows.append(_join(current))
    return rows, connected


def _column_cells(lines: list[str]) -> tuple[list[list[str]], bool]:
    """Keras 2: columns start where the header's labels do; rows end at a blank line or a ``____`` rule."""
    index = next(i for i, line in enumerate(lines) if "Layer (type)" in line)
    header = lines[index]
    starts = [header.index(label) for label in _LABELS if label in header]
    connected = "Connected to" in header
    rows: list[list[str]] = []
    current: list[list[str]] = []
    body = lines[index + 1:]
    if body and set(body[0].strip()) == {"="}:
        body = body[1:]
    for line in body:
        stripped = line.strip()
        if not stripped or set(stripped) <= {"_", "="}:
            if current:
                rows.append(_join(current, ""))
                current = []
            if stripped and set(stripped) == {"="}:
                break
            continue
        if re.match(r"(Total|Trainable|Non-trainable) params", stripped):
            break
        padded = line.ljust(starts[-1] + 1)
        cells = [padded[start:end].strip() for start, end in zip(starts, starts[1:] + [len(padded)])]
        if current and cells[0] == "" and cells[1] == "" and cells[2] == "":
            current.append(cells)  # a further inbound layer of a functional row
        elif current and cells[0] and not cells[1] and not cells[2] and not current[-1][0].endswith(")"):
            current.append(cells)  # Keras 2.9+ wraps a long "name (Class" over lines
        elif current and cells[0] and cells[1] and current[-1][1] == "":
            rows.append(_join(current, ""))
            current = [cells]
        elif current and cells[1] and not cells[0]:
            current.append(cells)  # a wrapped shape
        else:
            if current and cells[0] and cells[1]:
                rows.append(_join(current, ""))
                current = []
            current.append(cells)
    if current:
        rows.append(_join(current, ""))
    return rows, connected


def _join(lines: list[list[str]], sep: str = " ") -> list[str]:
    """A row's wrapped lines as one cell per column (Keras 3 wraps at spaces, Keras 2 anywhere: ``sep=""``)."""
    width = max(len(cells) for cells in lines)
    joined = []
    for column in range(width):
        parts = [cells[column] for cells in lines if column < len(cells) and cells[column]]
        joined.append(sep.join(parts))
    return joined


def name_and_class(cell: str) -> tuple[str, str]:
    cell = re.sub(r"\s+\)", ")", cell.strip())
    match = re.match(r"^(?P<name>\S+)\s*\((?P<cls>[^)\s]*)\)?\s*$", cell)
    if match is None:
        raise ConvCalcError(f"not a 'name (Class)' cell: {cell[:60]!r}")
    return match["name"], match["cls"]


def shape_cell(cell: str) -> Shape | None:
    """``(None, 26, 26, 32)`` without the batch; ``None`` when it is not one fixed shape."""
    text = cell.replace(" ", "").strip("[]")
    if text.count("(") != 1 or not re.fullmatch(r"\(None(,\d+)*,?\)", text):
        return None
    return tuple(int(d) for d in re.findall(r"\d+", text))


def params_cell(cell: str) -> int | None:
    match = re.fullmatch(r"([\d,]+)", cell.strip())
    return int(match[1].replace(",", "")) if match else None


def inbound_cell(cell: str) -> list[str]:
    """Names in a "Connected to" cell: ``c1[0][0], c2[0][0]``, Keras 2's ``['c1[0][0]']``, cut ``c1[0]…``."""
    names = []
    for token in re.findall(r"[^\s,'\"]+", cell):
        if token.startswith("[") and not re.match(r"^\[\d", token):
            token = token[1:]  # Keras 2's list bracket
        while token.endswith("]") and token.count("]") > token.count("["):
            token = token[:-1]
        if not token or token == "-":
            continue
        match = re.match(r"^(.+?)\[\d+\](?:\[\d+\])?$", token)
        if match:
            names.append(match[1])
        else:  # cut: "input_layer_1[0]…" or "global_average_p…"
            names.append(re.sub(r"\[[\d\[\]]*$", "", token.rstrip(ELLIPSIS)) + ELLIPSIS)
    return names


def table_cells(text: str) -> tuple[list[list[str]], bool]:
    """Each layer's cells, and whether the table has a "Connected to" column (a functional model)."""
    lines = text.splitlines()
    boxed = any(line.lstrip().startswith(_BOX_ROW) for line in lines)
    return _box_cells(lines) if boxed else _column_cells(lines)
