"""Pure builders for exact matrices and their working: results in, Rich renderables or JSON out, no printing.

Shared by `convcalc correlate`, `convcalc pool` and `convcalc check`: a matrix as
an aligned grid (a window or wrong cells in [brackets]), the working of one cell
laid out like a homework answer, and exact values for JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from convcalc.exact import CellWorking

__all__ = ["json_value", "json_matrix", "cell_working_json", "input_with_window", "matrix_table", "side_by_side",
           "render_cell_working"]


def json_value(v: Any) -> Any:
    """An exact value for JSON: ints stay ints (also whole Fractions), others become ``"a/b"`` strings."""
    from fractions import Fraction

    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, Fraction) and v.denominator == 1:
        return v.numerator
    return str(v)


def json_matrix(m: list[list[Any]]) -> list[list[Any]]:
    """A matrix of exact values for JSON (see :func:`json_value`)."""
    return [[json_value(v) for v in row] for row in m]


def cell_working_json(w: CellWorking) -> dict[str, Any]:
    """The working of one cell as a JSON-ready dict."""
    return {"cell": list(w.cell), "rows": list(w.rows), "cols": list(w.cols), "window": json_matrix(w.window),
            "padding": [list(r) for r in w.is_padding], "kernel": json_matrix(w.kernel),
            "products": json_matrix(w.products), "sum": json_value(w.total)}


def input_with_window(xm: list[list[Any]], rows: tuple[int, ...], cols: tuple[int, ...], cell: tuple[int, int],
                      outside: str = "padding shown as 0", pad_text: str = "0", x_name: str = "X",
                      y_name: str = "Y") -> RenderableType:
    """The input with one window marked in [brackets]; padding the window reaches is drawn around it.

    ``pad_text`` is how a padding cell reads (``0``, or ``-inf`` for max pooling).
    """
    n_rows, n_cols = len(xm), len(xm[0])
    r0, r1 = min(0, min(rows)), max(n_rows - 1, max(rows))
    c0, c1 = min(0, min(cols)), max(n_cols - 1, max(cols))
    shown = [[xm[r][c] if 0 <= r < n_rows and 0 <= c < n_cols else None for c in range(c0, c1 + 1)]
             for r in range(r0, r1 + 1)]
    padded = (r0, c0) != (0, 0) or (r1, c1) != (n_rows - 1, n_cols - 1)
    title = f"{x_name}, the window of {y_name}({cell[0]},{cell[1]}) in [brackets]" + (f" ({outside})" if padded else "")
    return matrix_table(shown, title, highlight={(r, c) for r in rows for c in cols}, origin=(r0, c0),
                        pad_text=pad_text)


def matrix_table(m: list[list[Any]], title: str = "", highlight: set[tuple[int, int]] | None = None,
                 wrong: set[tuple[int, int]] | None = None, origin: tuple[int, int] = (0, 0),
                 pad_text: str = "0") -> RenderableType:
    """A matrix as aligned text with 0-indexed row and column headers, under a title line.

    ``highlight`` cells (a kernel window) and ``wrong`` cells (a checked answer)
    are written in brackets, ``[68]``, so they show without colour (pipes, files,
    autograders); on a terminal they are also reverse-video and bold red. ``origin``
    is the index of the top-left cell (negative when padding is shown); ``None``
    entries are padding, shown dim as ``pad_text``. The grid is one ``Text``, never
    wrapped (a Rich ``Table`` per explained cell made ``--explain all`` slow).
    """
    from rich.console import Group
    from rich.text import Text

    from convcalc.cli._stack_render import Prose

    marked = (highlight or set()) | (wrong or set())
    top, left = origin
    # A marked cell reads [68]; the others keep a space where the closing bracket goes: digits stay aligned.
    close = " " if marked else ""
    cells = [[f"[{_entry(v, pad_text)}]" if (r + top, c + left) in marked else f"{_entry(v, pad_text)}{close}"
              for c, v in enumerate(row)] for r, row in enumerate(m)]
    headers = [f"{c + left}{close}" for c in range(len(m[0]))]
    widths = [max(len(headers[c]), *(len(row[c]) for row in cells)) for c in range(len(headers))]
    labels = [str(r + top) for r in range(len(m))]
    label_width = max(len(label) for label in labels)
    grid = Text(no_wrap=True, overflow="ignore")
    grid.append(" " * label_width + "".join(f"   {h.rjust(w)}" for h, w in zip(headers, widths)) + "\n", style="dim")
    grid.append("─" * (label_width + sum(3 + w for w in widths)))
    for r, row in enumerate(cells):
        grid.append("\n")
        grid.append(labels[r].rjust(label_width), style="dim")
        for c, text in enumerate(row):
            at = (r + top, c + left)
            style = ("bold red" if wrong and at in wrong else "reverse bold") if at in marked else \
                "dim" if m[r][c] is None else ""
            grid.append(" " * (3 + widths[c] - len(text)))
            grid.append(text, style=style)
    return Group(Prose(title, style="bold"), grid) if title else grid


def _entry(v: Any, pad_text: str) -> str:
    return pad_text if v is None else str(v)


def _block(m: tuple[tuple[Any, ...], ...] | list[list[Any]]) -> list[str]:
    """A matrix as bracketed lines with right-aligned columns: ``[ 1  0 -2]``."""
    texts = [[str(v) for v in row] for row in m]
    widths = [max(len(row[c]) for row in texts) for c in range(len(texts[0]))]
    return ["[" + " ".join(t.rjust(w) for t, w in zip(row, widths)) + "]" for row in texts]


def side_by_side(blocks: list[list[str]], operators: list[str], headers: list[str] | None = None) -> str:
    """Blocks of lines next to each other, an operator between each pair on the middle line."""
    height = max(len(b) for b in blocks)
    widths = [max([len(line) for line in b] + [len(headers[k]) if headers else 0]) for k, b in enumerate(blocks)]
    op_width = max((len(o) for o in operators), default=0) + 2
    lines = []
    if headers:
        parts = []
        for k, h in enumerate(headers):
            parts.append(h.ljust(widths[k]))
            if k < len(operators):
                parts.append(" " * op_width)
        lines.append("".join(parts).rstrip())
    middle = (height - 1) // 2
    for r in range(height):
        parts = []
        for k, b in enumerate(blocks):
            parts.append((b[r] if r < len(b) else "").ljust(widths[k]))
            if k < len(operators):
                parts.append((operators[k] if r == middle else "").center(op_width))
        lines.append("".join(parts).rstrip())
    return "\n".join(lines)


def _span(indices: tuple[int, ...]) -> str:
    if len(indices) == 1:
        return str(indices[0])
    step = indices[1] - indices[0]
    return f"{indices[0]}..{indices[-1]}" + (f" step {step}" if step != 1 else "")


def render_cell_working(w: CellWorking, x_name: str = "X", f_name: str = "F", y_name: str = "Y") -> RenderableType:
    """The hand working of one cell, laid out like a homework answer.

    ``Y(0,0) = sum(X[rows 0..2, cols 0..2] * F)``, then the window, the kernel and
    the products side by side, then the sum written out.
    """
    from rich.console import Group
    from rich.text import Text

    from convcalc.cli._stack_render import Prose

    i, j = w.cell
    kernel_name = f"flip({f_name})" if w.flipped else f_name
    head = Text(f"{y_name}({i},{j}) = sum({x_name}[rows {_span(w.rows)}, cols {_span(w.cols)}] * {kernel_name})",
                style="bold")
    grid = side_by_side([_block(w.window), _block(w.kernel), _block(w.products)], ["*", "="],
                        ["window", kernel_name, "products"])
    parts: list[Any] = [head, Text(grid, no_wrap=True, overflow="ignore")]
    if w.any_padding:
        pads = sorted({(r, c) for (r, c), p in zip((rc for row in w.coords for rc in row),
                                                    (p for row in w.is_padding for p in row)) if p})
        parts.append(Prose(f"padding cells (zeros): {', '.join(f'({r},{c})' for r, c in pads)}", style="dim"))
    parts.append(Text(f"= {w.sum_text()}"))
    return Group(*parts)
