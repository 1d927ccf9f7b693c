"""Pure builders for `convcalc stack` and `convcalc rf`: results in, Rich tables out, no printing.

Column identity is :class:`Column` (its values are the ``--json`` keys) and
:data:`HEADERS` holds the display titles. Numbers become strings here only.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

if TYPE_CHECKING:  # pragma: no cover - typing only
    from convcalc.stack import RFWorking, Summary

__all__ = ["Column", "HEADERS", "summary_table", "totals_table", "rf_table", "rf_working_table",
           "human_bytes", "per_axis"]

EMPTY = "--"


class Column(str, Enum):
    """Columns of the stack table; values are the ``--json`` keys."""

    INDEX = "index"
    NAME = "name"
    OUTPUT_SHAPE = "output_shape"
    PARAMS = "params"
    MACS = "macs"
    MEMORY = "activation_bytes"
    RF = "rf"
    JUMP = "jump"
    START = "start"


HEADERS = {
    Column.INDEX: "#", Column.NAME: "Layer", Column.OUTPUT_SHAPE: "Output shape", Column.PARAMS: "Param #",
    Column.MACS: "MACs", Column.MEMORY: "Memory", Column.RF: "RF", Column.JUMP: "Jump", Column.START: "Start",
}
_RIGHT = {Column.INDEX, Column.PARAMS, Column.MACS, Column.MEMORY, Column.RF, Column.JUMP, Column.START}


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


def summary_table(summary: Summary, title: str | None = None) -> Table:
    """Keras-style per-layer table with a footer of column totals (params, MACs, memory)."""
    reference = "input" if summary.rf_from == 0 else f"output of layer {summary.rf_from}"
    table = Table(title=title, box=box.SIMPLE_HEAD, show_footer=True, pad_edge=False,
                  caption=f"batch {summary.batch}, {summary.dtype}, MACs: {summary.convention}; "
                          f"RF/Jump/Start on the {reference}", caption_justify="left")
    footers = {
        Column.NAME: "Total", Column.PARAMS: f"{summary.total_params:,}", Column.MACS: f"{summary.total_macs:,}",
        Column.MEMORY: human_bytes(summary.activation_bytes),
    }
    for column in Column:
        table.add_column(HEADERS[column], footer=footers.get(column, ""),
                         justify="right" if column in _RIGHT else "left", no_wrap=column is not Column.NAME)
    for row in summary.layers:
        table.add_row(
            str(row.index), row.name, _shape(row.output_shape), f"{row.params:,}", f"{row.macs:,}",
            human_bytes(row.activation_bytes), per_axis(row.rf), per_axis(row.jump), per_axis(row.start),
        )
    return table


def totals_table(summary: Summary) -> Table:
    """The Keras-style totals under the table: parameters (with bytes), MACs, memory."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="left")
    grid.add_column(justify="right")
    grid.add_column(justify="left")
    grid.add_row("Total params:", f"{summary.total_params:,}", f"({human_bytes(summary.param_bytes)})")
    grid.add_row("Trainable params:", f"{summary.trainable_params:,}", "")
    grid.add_row("Non-trainable params:", f"{summary.non_trainable_params:,}", "")
    grid.add_row("Total MACs:", f"{summary.total_macs:,}", f"({summary.convention})")
    grid.add_row("Input size:", human_bytes(summary.input_bytes), f"(shape {_shape(summary.input_shape)})")
    grid.add_row("Activations:", human_bytes(summary.activation_bytes), "(forward pass, every layer's output)")
    grid.add_row("Params size:", human_bytes(summary.param_bytes), "")
    grid.add_row("Total size:", human_bytes(summary.total_bytes), "")
    return grid


def rf_table(summary: Summary) -> Table:
    """Per-layer receptive-field view: each layer's step (k, s, p, d) and the resulting rf, jump, start."""
    reference = "input" if summary.rf_from == 0 else f"output of layer {summary.rf_from}"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, caption=f"RF, Jump, Start measured on the {reference}",
                  caption_justify="left")
    for header in ("#", "Layer", "k", "s", "p", "d", "RF", "Jump", "Start"):
        table.add_column(header, justify="left" if header == "Layer" else "right", no_wrap=header != "Layer")
    for row in summary.layers:
        steps = row.rf_step
        cells = [EMPTY] * 4 if not steps else [
            per_axis(tuple(getattr(st, name) for st in steps)) for name in ("kernel", "stride", "padding_lo", "dilation")]
        table.add_row(str(row.index), row.name, *cells, per_axis(row.rf), per_axis(row.jump), per_axis(row.start))
    return table


def rf_working_table(working: RFWorking) -> Table:
    """The seed's recurrence, top down: ``RF_{l-1} = s_l*RF_l + (k_l - s_l)`` with numbers."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="RF_{l-1} = s_l * RF_l + (k_l - s_l), from the top down",
                  title_justify="left")
    table.add_column("Size")
    table.add_column("Working")
    table.add_column("Value", justify="right")
    naxes = len(working.sizes[0])
    axes = [None] if all(len(set(s)) == 1 for s in working.sizes) and _same_steps(working) else list(range(naxes))
    for axis in axes:
        suffix = "" if axis is None else f" (axis {axis})"
        a = 0 if axis is None else axis
        top = working.reference + len(working.steps)
        table.add_row(f"RF_{top}{suffix}", "the output unit itself", "1")
        for m in range(len(working.steps) - 1, -1, -1):
            layer = working.reference + m + 1
            step = working.steps[m][a]
            k, s, above, value = step.effective_kernel, step.stride, working.sizes[m + 1][a], working.sizes[m][a]
            if k == 1 and s == 1:
                text = f"RF_{layer} ({working.summary.layers[layer - 1].name}: k = 1, s = 1)"
            else:
                text = f"s_{layer}*RF_{layer} + (k_{layer} - s_{layer}) = {s}*{above} + ({k} - {s})"
            table.add_row(f"RF_{layer - 1}{suffix}", text, str(value))
    return table


def _same_steps(working: RFWorking) -> bool:
    return all(len({(st.effective_kernel, st.stride) for st in steps}) == 1 for steps in working.steps)
