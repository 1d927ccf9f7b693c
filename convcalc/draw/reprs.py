"""HTML of convcalc's results for notebooks (``_repr_html_``) and reports.

Each renderer takes a result object and writes HTML from its fields; no number
is computed here. The result classes (``Working`` of
:func:`convcalc.explain_output_size`, ``Summary`` of :func:`convcalc.summarize`,
``CellWorking`` of :func:`convcalc.exact.explain`) call these lazily from their
``_repr_html_``, so Jupyter shows a table instead of a long repr.
"""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["working_html", "summary_html", "cell_html", "summary_svg"]

_STYLE = ("<style>.cc-t{border-collapse:collapse;font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;"
          "font-size:13px}.cc-t td,.cc-t th{border:1px solid #d8dee6;padding:3px 8px;text-align:right}"
          ".cc-t th{background:#eef2f7}.cc-t td.l,.cc-t th.l{text-align:left}.cc-m{font-family:'DejaVu Sans Mono',"
          "Menlo,monospace}.cc-pad{color:#8a9bb0;font-style:italic}.cc-note{color:#6b7785;font-size:12px}</style>")


def _e(value: Any) -> str:
    return escape(str(value))


def working_html(working: Any) -> str:
    """The output-size working: per axis the formula, the numbers substituted, the steps and the answer.

    Examples
    --------
    >>> from convcalc import explain_output_size
    >>> "13 // 2 + 1 = 6 + 1 = 7" in working_html(explain_output_size("conv", 16, 2, 2, 1, 4))
    True
    """
    rows = []
    two = len(working.axes) > 1
    for axis in working.axes:
        name = ("rows" if axis.axis == 0 else "columns" if axis.axis == 1 else f"axis {axis.axis}") if two else ""
        notes = "".join(f"<div class='cc-note'>{_e(n)}</div>" for n in axis.notes)
        rows.append(f"<tr><td class='l'>{_e(name)}</td><td class='l cc-m'>{_e(axis.formula)}<br>"
                    f"{_e(axis.substituted)}<br>{_e(axis.steps)}{notes}</td><td><b>{_e(axis.output)}</b></td></tr>")
    out = "x".join(str(v) for v in working.output)
    return (f"{_STYLE}<table class='cc-t'><caption style='text-align:left'><b>{_e(working.kind)}</b> output "
            f"<b>{_e(out)}</b></caption><tr><th class='l'>axis</th><th class='l'>working</th><th>output</th></tr>"
            + "".join(rows) + f"</table><div class='cc-note'>source: {_e(working.source)}</div>")


def _shape(shape: Any) -> str:
    return "x".join(str(v) for v in shape)


def _per_axis(values: Any) -> str:
    if values is None:
        return "--"
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else "x".join(str(v) for v in values)


def summary_html(summary: Any) -> str:
    """The stack table: layer, output shape, parameters, MACs, receptive field, jump; then the totals.

    Examples
    --------
    >>> from convcalc import summarize, Conv2D
    >>> html = summary_html(summarize([Conv2D(8, 3)], (1, 28, 28)))
    >>> "26x26" in html.replace("8x26x26", "26x26") and "80" in html
    True
    """
    head = ("<tr><th>#</th><th class='l'>layer</th><th class='l'>output shape</th><th>params</th>"
            "<th>MACs</th><th>rf</th><th>jump</th></tr>")
    rows = [f"<tr><td>{row.index}</td><td class='l cc-m'>{_e(row.name)}</td><td class='l'>"
            f"{_e(_shape(row.output_shape))}</td><td>{row.params:,}</td><td>{row.macs:,}</td>"
            f"<td>{_e(_per_axis(row.rf))}</td><td>{_e(_per_axis(row.jump))}</td></tr>" for row in summary.layers]
    total = (f"<tr><th></th><th class='l'>total</th><th class='l'>{_e(_shape(summary.output_shape))}</th>"
             f"<th>{summary.total_params:,}</th><th>{summary.total_macs:,}</th><th></th><th></th></tr>")
    note = (f"input {_e(_shape(summary.input_shape))} ({_e(summary.layout)}), MACs as {_e(summary.convention)}, "
            f"memory {summary.total_bytes:,} bytes ({_e(summary.dtype)}, batch {summary.batch})")
    return f"{_STYLE}<table class='cc-t'>{head}{''.join(rows)}{total}</table><div class='cc-note'>{note}</div>"


def summary_svg(summary: Any) -> str:
    """The stack table as an SVG figure (for a report): one row per layer, the totals last."""
    from convcalc.draw.layout import FONT, MUTED, TEXT

    columns = [("#", 30, "end"), ("layer", 250, "start"), ("output shape", 120, "start"), ("params", 100, "end"),
               ("MACs", 120, "end"), ("rf", 60, "end"), ("jump", 50, "end")]
    rows = [[str(r.index), r.name, _shape(r.output_shape), f"{r.params:,}", f"{r.macs:,}", _per_axis(r.rf),
             _per_axis(r.jump)] for r in summary.layers]
    rows.append(["", "total", _shape(summary.output_shape), f"{summary.total_params:,}", f"{summary.total_macs:,}",
                 "", ""])
    line = 22
    height = 20 + (len(rows) + 1) * line + 28
    width = sum(w for _, w, _ in columns) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="{FONT}" '
             f'font-size="12"><rect width="{width}" height="{height}" fill="#fff"/>']
    for number, row in enumerate([[c for c, _, _ in columns]] + rows):
        y = 20 + number * line + 15
        if number == 0 or number == len(rows):
            parts.append(f'<rect x="14" y="{y - 15}" width="{width - 28}" height="{line}" fill="#eef2f7"/>')
        x = 20
        for (_, w, anchor), text in zip(columns, row):
            tx = x + w - 8 if anchor == "end" else x
            weight = ' font-weight="bold"' if number in (0, len(rows)) else ""
            parts.append(f'<text x="{tx}" y="{y}" text-anchor="{anchor}" fill="{TEXT}"{weight}>{_e(text)}</text>')
            x += w
    parts.append(f'<text x="20" y="{height - 10}" fill="{MUTED}" font-size="11">MACs as {_e(summary.convention)}; '
                 f'rf and jump on the input (Araujo et al. 2019)</text></svg>')
    return "\n".join(parts) + "\n"


def cell_html(cell: Any) -> str:
    """One output cell of an exact correlation: window (padding in grey), kernel, products and the sum.

    Examples
    --------
    >>> from convcalc.exact import explain
    >>> html = cell_html(explain([[1, 0, -2], [2, 9, 5], [0, -3, 1]], [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], 0, 0))
    >>> "= 68" in html
    True
    """
    from convcalc.draw.model import format_value

    def grid(values: Any, padding: Any = None) -> str:
        body = []
        for a, row in enumerate(values):
            cells = []
            for b, v in enumerate(row):
                pad = padding is not None and padding[a][b]
                cells.append(f"<td class='cc-m{' cc-pad' if pad else ''}'>{_e(format_value(v))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return "<table class='cc-t'>" + "".join(body) + "</table>"

    flip = "<div class='cc-note'>the kernel is flipped (a convolution)</div>" if cell.flipped else ""
    cols = f"rows {cell.rows[0]}..{cell.rows[-1]}, columns {cell.cols[0]}..{cell.cols[-1]}"
    return (f"{_STYLE}<div><b>output cell {cell.cell}</b> <span class='cc-note'>window {cols}"
            f"{'; grey cells are padding' if cell.any_padding else ''}</span></div>"
            "<table><tr><td>" + grid(cell.window, cell.is_padding) + "</td><td>&times;</td><td>"
            + grid(cell.kernel) + f"</td><td>=</td><td>{grid(cell.products)}</td></tr></table>"
            f"<div class='cc-m'>{_e(cell.sum_text())}</div>{flip}")
