"""Pure builders for `convcalc stack` and `convcalc rf`: results in, Rich tables out, no printing.

Column identity is :class:`Column` (its values are the ``--json`` keys) and
:data:`HEADERS` holds the display titles. Numbers become strings here only.

The output helpers at the bottom (:func:`emit`, :class:`Prose`, :func:`terminal_width`)
are shared by `stack`, `correlate`, `pool` and `check`: on a terminal Rich prints as
usual; in a pipe (CI, autograders, ``| cat``) tables keep their natural width, so a
layer name or a matrix row is never squashed, and lines carry no trailing spaces.
"""

from __future__ import annotations

import io
import os
import sys
from enum import Enum
from typing import TYPE_CHECKING, Any

from rich import box
from rich.measure import Measurement
from rich.table import Table
from rich.markup import escape
from rich.text import Text

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.console import Console, ConsoleOptions, RenderableType

    from convcalc.stack import RFWorking, Summary

__all__ = ["Column", "HEADERS", "summary_table", "totals_table", "import_table", "rf_table", "rf_working_table",
           "human_bytes", "per_axis", "Prose", "emit", "natural_width", "terminal_width"]

EMPTY = "--"


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


def _table(**options: Any) -> Table:
    """The house style: a rule under the header (and above a footer), two spaces between columns."""
    return Table(box=box.SIMPLE, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), **options)


def human_bytes(n: int) -> str:
    """Binary units: ``3,136 B`` below 1 KiB... ``2.07 MiB``.

    Examples
    --------
    >>> human_bytes(512), human_bytes(3136), human_bytes(2168920)
    ('512 B', '3.06 KiB', '2.07 MiB')
    """
    if n < 1024:
        return f"{n:,} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:,.2f} {unit}"
    raise AssertionError("unreachable: the loop returns at TiB")


def per_axis(values: tuple | None) -> str:
    """One number when every axis agrees, else ``7x5``; ``--`` when absent.

    Examples
    --------
    >>> per_axis((7, 7)), per_axis((7, 5)), per_axis((1.5, -0.5)), per_axis(None)
    ('7', '7x5', '1.5x-0.5', '--')
    """
    if not values:
        return EMPTY
    texts = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


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


#: Above this many rows the table is laid out as plain text here: Rich takes ~3 ms a row (33 s for 10,000).
PLAIN_ROWS = 400


class _PlainLines:
    """Pre-laid-out lines that Rich prints as they are (measured by their longest line)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.width = max((len(line) for line in lines), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Any:
        from rich.segment import Segment

        for line in self.lines:
            yield Segment(line)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def printable(text: str) -> str:
    r"""``text`` with control characters (NUL, ESC, CR, ...) written as escapes: a layer name read from a
    model file never reaches the terminal raw (``Dense\x1b[2J`` would clear it).

    >>> printable("Dense" + chr(27) + "[2J"), printable("Conv2D(8, 3)")
    ('Dense\\x1b[2J', 'Conv2D(8, 3)')
    """
    import unicodedata

    if text.isprintable():
        return text
    return "".join(ch if ch == " " or unicodedata.category(ch)[0] != "C" else ch.encode("unicode_escape").decode()
                   for ch in text)


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


def _laid_out(headers: list[str], rows: list[list[str]], left: set[int], captions: list[str]) -> _PlainLines:
    """Columns two spaces apart, a rule under the header, then the captions: a long table without Rich."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
    return _PlainLines([line(headers), rule, *(line(r) for r in rows), *captions])


def rf_table(summary: Summary) -> Table:
    """Per-layer receptive-field view: each layer's step (k, s, p, d) and the resulting rf, jump, start."""
    reference = "input" if summary.rf_from == 0 else f"output of layer {summary.rf_from}"
    headers = ["#", "Layer", "k", "s", "p", "d", "RF", "Jump", "Start"]
    rows = []
    for row in summary.layers:
        steps = row.rf_step
        cells = [EMPTY] * 4 if not steps else [
            per_axis(tuple(getattr(st, name) for st in steps)) for name in ("kernel", "stride", "padding_lo", "dilation")]
        rows.append([str(row.index), printable(row.name), *cells, per_axis(row.rf), per_axis(row.jump),
                     per_axis(row.start)])
    caption = f"RF, Jump, Start measured on the {reference}"
    if len(rows) > PLAIN_ROWS:
        return _laid_out(headers, rows, {1}, [caption])  # type: ignore[return-value]
    table = _table(caption=caption, caption_justify="left")
    for header in headers:
        table.add_column(header, justify="left" if header == "Layer" else "right", overflow="fold")
    for cells in rows:
        table.add_row(*cells[:1], escape(cells[1]), *cells[2:])  # the layer name is never read as markup
    return table


def rf_working_table(working: RFWorking) -> RenderableType:
    """The seed's recurrence, top down: ``RF_{l-1} = s_l*RF_l + (k_l - s_l)`` with numbers, under its title."""
    from rich.console import Group

    rows: list[list[str]] = []
    naxes = len(working.sizes[0])
    axes = [None] if all(len(set(s)) == 1 for s in working.sizes) and _same_steps(working) else list(range(naxes))
    for axis in axes:
        suffix = "" if axis is None else f" (axis {axis})"
        a = 0 if axis is None else axis
        top = working.reference + len(working.steps)
        rows.append([f"RF_{top}{suffix}", "the output unit itself", "1"])
        for m in range(len(working.steps) - 1, -1, -1):
            layer = working.reference + m + 1
            step = working.steps[m][a]
            k, s, above, value = step.effective_kernel, step.stride, working.sizes[m + 1][a], working.sizes[m][a]
            if k == 1 and s == 1:
                text = f"RF_{layer} ({working.summary.layers[layer - 1].name}: k = 1, s = 1)"
            else:
                text = f"s_{layer}*RF_{layer} + (k_{layer} - s_{layer}) = {s}*{above} + ({k} - {s})"
            rows.append([f"RF_{layer - 1}{suffix}", text, str(value)])
    title = Text("RF_{l-1} = s_l * RF_l + (k_l - s_l), from the top down", style="bold")
    if len(rows) > PLAIN_ROWS:
        return Group(title, _laid_out(["Size", "Working", "Value"], rows, {0, 1}, []))
    table = _table()
    table.add_column("Size", overflow="fold")
    table.add_column("Working", overflow="fold")
    table.add_column("Value", justify="right", overflow="fold")
    for cells in rows:
        table.add_row(*cells)
    return Group(title, table)


def _same_steps(working: RFWorking) -> bool:
    return all(len({(st.effective_kernel, st.stride) for st in steps}) == 1 for steps in working.steps)


# --------------------------------------------------------------------------- output: terminal or pipe
class Prose(Text):
    """Text that may wrap, such as a diagnosis, a note or a title.

    When :func:`emit` sizes the output for a pipe, prose asks for no more than its
    longest word, so tables, matrices and formulas set the width and a sentence
    wraps at it instead of widening everything. Rendered, it is a plain ``Text``.
    """

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        measurement = super().__rich_measure__(console, options)
        if getattr(console, "prose_wraps", False):
            return Measurement(measurement.minimum, measurement.minimum)
        return measurement


def natural_width(renderable: RenderableType, prose_wraps: bool = False) -> int:
    """The width ``renderable`` takes when nothing is wrapped or cut (but :class:`Prose`, with ``prose_wraps``)."""
    from rich.console import Console

    # _environ={}: the width is given; Rich would still parse $COLUMNS (a 10,000-digit value was an exit 3)
    measuring = Console(width=100_000, file=io.StringIO(), color_system=None, legacy_windows=False, _environ={})
    measuring.prose_wraps = prose_wraps  # type: ignore[attr-defined]  # read by Prose.__rich_measure__
    return measuring.measure(renderable).maximum


def terminal_width() -> int | None:
    """The terminal's width when stdout is a terminal, else ``None`` (a pipe or a file)."""
    from convcalc.cli._console import console

    return console.width if console.is_terminal else None


def _pipe_width() -> int:
    """``$COLUMNS`` when set, else 80: never the width of whatever terminal stdin happens to be."""
    import re

    columns = os.environ.get("COLUMNS", "")
    # ASCII digits, at most 6 of them (a 10,000-digit COLUMNS was past int()'s limit: exit 3)
    return int(columns) if re.fullmatch(r"[0-9]{1,6}", columns) and int(columns) > 0 else 80


def emit(*renderables: RenderableType) -> None:
    """Print renderables on stdout.

    On a terminal: Rich at the terminal's width, with colour. Otherwise: plain
    text at ``max($COLUMNS or 80, natural width)``, so a table is never squashed
    (a layer name never becomes ``Conv2…``), :class:`Prose` wraps at the pipe's
    width, and no line ends in spaces.
    """
    from rich.console import Console

    from convcalc.cli._console import console

    if console.is_terminal:
        for renderable in renderables:
            console.print(renderable)
        return
    width = max([_pipe_width(), *(natural_width(r, prose_wraps=True) for r in renderables)])
    buffer = io.StringIO()
    plain = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False, _environ={},
                    emoji=False, legacy_windows=False, soft_wrap=False)
    for renderable in renderables:
        plain.print(renderable)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
