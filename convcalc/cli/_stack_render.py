"""Pure builders for `convcalc stack`: results in, Rich tables out, no printing.

Column identity is :class:`Column` (its values are the ``--json`` keys) and
:data:`HEADERS` holds the display titles. Numbers become strings here only.

The receptive-field tables (:func:`rf_table`, :func:`rf_working_table`) are in
:mod:`convcalc.cli._rf_render`, and the output helpers (:func:`emit`,
:class:`Prose`, :func:`terminal_width`, ...) in :mod:`convcalc.cli._output`;
both stay importable from here.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from convcalc.cli._output import (  # noqa: F401  (re-exported: cli/stack.py, cli/check.py, cli/train.py, tests)
    EMPTY,
    PLAIN_ROWS,
    Prose,
    _pipe_width,
    _PlainLines,
    _table,
    emit,
    human_bytes,
    natural_width,
    per_axis,
    printable,
    terminal_width,
)
from convcalc.cli._rf_render import rf_table, rf_working_table  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.console import RenderableType

    from convcalc.stack import Summary

__all__ = ["Column", "HEADERS", "summary_table", "totals_table", "import_table", "rf_table", "rf_working_table",
           "human_bytes", "per_axis", "Prose", "emit", "natural_width", "terminal_width"]

class Column(str, Enum):
    """Columns of the stack table; values are the ``--json`` keys."""

    INDEX = "index"
    NAME = "name"
    INPUTS = "inputs"
    OUTPUT_SHAPE = "output_shape"
    PARAMS = "params"
    MACS = "macs"
    MEMORY = "activation_bytes"
    RF = "rf"
    JUMP = "jump"
    START = "start"


HEADERS = {
    Column.INDEX: "#", Column.NAME: "Layer", Column.INPUTS: "Connected to", Column.OUTPUT_SHAPE: "Output shape", Column.PARAMS: "Param #",
    Column.MACS: "MACs", Column.MEMORY: "Memory", Column.RF: "RF", Column.JUMP: "Jump", Column.START: "Start",
}
_RIGHT = {Column.INDEX, Column.PARAMS, Column.MACS, Column.MEMORY, Column.RF, Column.JUMP, Column.START}

#: Columns a terminal too narrow for the whole table drops, first to last. The totals under the
#: table, `convcalc rf` and ``--json`` still show them; layer names and shapes are never cut.
OPTIONAL_COLUMNS = (Column.MEMORY, Column.START, Column.JUMP, Column.RF, Column.MACS)

def _shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def _counted(summary: Summary) -> tuple[str, str]:
    """What the MACs column holds: ``("MACs", convention)``, or ``("FLOPs", "2 x MACs")`` for ``flops``."""
    return ("FLOPs", "2 x MACs") if summary.convention == "flops" else ("MACs", summary.convention)


def summary_table(summary: Summary, title: str | None = None, max_width: int | None = None,
                  depth: int | None = None) -> Table:
    """Keras-style per-layer table with a footer of column totals (params, MACs, memory).

    With ``max_width`` (a terminal's width), the columns of :data:`OPTIONAL_COLUMNS`
    are dropped one by one until the table fits, and the caption says which; the
    layer names, shapes and parameter counts are always shown whole. A branching
    graph gets a "Connected to" column (the nodes each row takes, as Keras's);
    ``depth`` folds blocks deeper than it into one row (:func:`convcalc.graph.fold.fold`).
    """
    from convcalc.graph.fold import fold

    rows = fold(summary.layers, depth)
    hidden: list[Column] = [] if _branches(summary) else [Column.INPUTS]
    if len(rows) > PLAIN_ROWS:
        return _plain_summary(summary, rows, hidden, max_width, depth)  # type: ignore[return-value]
    table = _summary_table(summary, rows, title, hidden, max_width, depth)
    for column in OPTIONAL_COLUMNS:
        if max_width is None or natural_width(table) <= max_width:
            break
        hidden.append(column)
        table = _summary_table(summary, rows, title, hidden, max_width, depth)
    return table


def _cells(row: Any) -> dict[Column, str]:
    return {
        Column.INDEX: str(row.index), Column.NAME: printable(_label(row)),
        Column.INPUTS: printable(", ".join(row.inputs)),
        Column.OUTPUT_SHAPE: _shape(row.output_shape), Column.PARAMS: f"{row.params:,}",
        Column.MACS: f"{row.macs:,}", Column.MEMORY: human_bytes(row.activation_bytes),
        Column.RF: per_axis(row.rf), Column.JUMP: per_axis(row.jump), Column.START: per_axis(row.start),
    }


def _plain_summary(summary: Summary, rows: Any, hidden: list[Column], width: int | None,
                   depth: int | None) -> _PlainLines:
    """The same columns, totals and caption as :func:`summary_table`, laid out directly (long tables)."""
    counted, convention = _counted(summary)
    table = [_cells(row) for row in rows]
    footers = {Column.NAME: "Total", Column.PARAMS: f"{summary.total_params:,}",
               Column.MACS: f"{summary.total_macs:,}", Column.MEMORY: human_bytes(summary.activation_bytes)}
    headers = {**HEADERS, Column.MACS: counted}

    def layout(columns: list[Column]) -> list[str]:
        widths = {c: max(len(headers[c]), len(footers.get(c, "")), *(len(r[c]) for r in table)) for c in columns}

        def line(cells: dict[Column, str]) -> str:
            return "  ".join(cells.get(c, "").rjust(widths[c]) if c in _RIGHT else cells.get(c, "").ljust(widths[c])
                             for c in columns).rstrip()

        rule = "─" * (sum(widths.values()) + 2 * (len(columns) - 1))
        return [line(headers), rule, *(line(r) for r in table), rule, line(footers)]

    columns = [c for c in Column if c not in hidden]
    lines = layout(columns)
    dropped = []
    for column in OPTIONAL_COLUMNS:
        if width is None or max(len(x) for x in lines) <= width:
            break
        dropped.append(column)
        columns.remove(column)
        lines = layout(columns)
    reference = "input" if summary.rf_from == 0 else f"output of layer {summary.rf_from}"
    lines.append(f"batch {summary.batch}, {summary.dtype}, {counted}: {convention}; RF/Jump/Start on the {reference}"
                 + (f"; blocks deeper than {depth} folded into one row (--json lists every node)" if depth else ""))
    if dropped:
        lines.append(f"not shown at {width} columns: {', '.join(HEADERS[c] for c in dropped)} "
                     "(--json or a wider terminal shows them)")
    return _PlainLines(lines)


def _branches(summary: Summary) -> bool:
    """True unless every row takes exactly the row before it (a plain layer list)."""
    previous = "input"
    for row in summary.layers:
        if row.inputs and row.inputs != (previous,):
            return True
        previous = row.node or previous
    return False


def _label(row: Any) -> str:
    """The layer, prefixed by the node's name when it has one of its own (``block1: ReLU``)."""
    return row.name if not row.node or row.node == str(row.index) or row.rf_step is None and row.node in row.name \
        else f"{row.node}: {row.name}"


def _summary_table(summary: Summary, rows: Any, title: str | None, hidden: list[Column], width: int | None,
                   depth: int | None = None) -> Table:
    reference = "input" if summary.rf_from == 0 else f"output of layer {summary.rf_from}"
    counted, convention = _counted(summary)
    caption = f"batch {summary.batch}, {summary.dtype}, {counted}: {convention}; RF/Jump/Start on the {reference}"
    if depth is not None:
        caption += f"; blocks deeper than {depth} folded into one row (--json lists every node)"
    shown = [c for c in hidden if c is not Column.INPUTS or _branches(summary)]
    if shown:
        caption += (f"\nnot shown at {width} columns: {', '.join(HEADERS[c] for c in shown)} "
                    "(--json or a wider terminal shows them)")
    table = _table(title=title, show_footer=True, caption=caption, caption_justify="left")
    footers = {
        Column.NAME: "Total", Column.PARAMS: f"{summary.total_params:,}", Column.MACS: f"{summary.total_macs:,}",
        Column.MEMORY: human_bytes(summary.activation_bytes),
    }
    columns = [column for column in Column if column not in hidden]
    for column in columns:
        table.add_column(counted if column is Column.MACS else HEADERS[column], footer=footers.get(column, ""),
                         justify="right" if column in _RIGHT else "left", overflow="fold")
    for row in rows:
        cells = _cells(row)
        table.add_row(*(escape(cells[column]) if column in (Column.NAME, Column.INPUTS) else cells[column]
                        for column in columns))  # a name is never read as Rich markup
    return table


def totals_table(summary: Summary) -> Table:
    """The Keras-style totals under the table: parameters (with bytes), MACs, memory."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="left", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(justify="left")
    grid.add_row("Total params:", f"{summary.total_params:,}", f"({human_bytes(summary.param_bytes)})")
    grid.add_row("Trainable params:", f"{summary.trainable_params:,}", "")
    grid.add_row("Non-trainable params:", f"{summary.non_trainable_params:,}", "")
    counted, convention = _counted(summary)
    grid.add_row(f"Total {counted}:", f"{summary.total_macs:,}", f"({convention})")
    grid.add_row("Input size:", human_bytes(summary.input_bytes), f"(shape {_shape(summary.input_shape)})")
    grid.add_row("Activations:", human_bytes(summary.activation_bytes), "(forward pass, every layer's output)")
    grid.add_row("Params size:", human_bytes(summary.param_bytes), "")
    grid.add_row("Total size:", human_bytes(summary.total_bytes), "")
    return grid


def import_table(model: Any) -> RenderableType:
    """The rows of an imported model read on an assumption (partial) or not read (unsupported)."""
    table = _table(title=f"Read from {model.kind}: {len(model.partial)} row(s) not exact", title_justify="left")
    for header in ("Where", "Status", "Why", "Source"):
        table.add_column(header, overflow="fold")
    for row in model.partial:
        style = "yellow" if row.status == "partial" else "red"
        table.add_row(Text(printable(row.path)), Text(row.status, style=style), Text(printable(row.reason)),
                      Text(printable(row.source[:80])))  # text read from a file: escaped, never markup
    note = Text("exit status 1: pass --allow-partial to accept these rows (the table above has only the "
                "layers that could be read)", style="dim")
    from rich.console import Group

    return Group(Text(""), table, note)
