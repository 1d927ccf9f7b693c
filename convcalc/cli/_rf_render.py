"""Pure builders for `convcalc rf` and the receptive-field part of `convcalc stack`: summaries in, tables out.

:func:`rf_table` lists each layer's step (k, s, p, d) and the resulting RF, jump
and start; :func:`rf_working_table` writes the recurrence
``RF_{l-1} = s_l*RF_l + (k_l - s_l)`` with numbers, from the top down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from convcalc.cli._output import EMPTY, PLAIN_ROWS, _laid_out, _table, per_axis, printable

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.console import RenderableType

    from convcalc.stack import RFWorking, Summary

__all__ = ["rf_table", "rf_working_table"]


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
