"""`convcalc correlate` and `convcalc pool`: exact results as a grid, with the working of any cell.

The builders at the bottom are pure (they return Rich renderables, never print)
and are shared with `convcalc check`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from convcalc.cli._console import print_json

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from convcalc.exact import CellWorking

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay

MatrixArg = Annotated[str, typer.Argument(
    metavar="X", help="The input matrix: '[[1,0],[2,9]]', '1 0; 2 9', a .txt/.csv/.npy file such as x.csv, "
                      "or - for standard input; correlate: channels separated by |, e.g. '1 2; 3 4 | 5 6; 7 8'.",
    show_default=False)]
ExplainOpt = Annotated[Optional[list[str]], typer.Option(
    "--explain", metavar="I,J", show_default=False,
    help="Show the working of output cell I,J (0-indexed), e.g. --explain 0,0; repeat it for more cells, "
         "or --explain all; with several filters O,I,J picks map O.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object, {\"output\": [[...]], \"shape\": "
                                                      "[rows, cols]}, plus \"working\" with --explain.")]


# Matrices such as "-1 -1; 2 3" start with a dash: let them through as arguments, not unknown options.
MATRIX_ARGS = {"ignore_unknown_options": True}


@app.command(context_settings=MATRIX_ARGS)
def correlate(
    x: MatrixArg,
    f: Annotated[str, typer.Argument(metavar="F", help="The kernel, in any matrix form: '-1 -1 -1; -1 8 -1; "
                                                       "-1 -1 -1', '[[1,0],[0,1]]', f.csv; C x k x k filters with "
                                                       "| between channels and || between filters.",
                                     show_default=False)],
    mode: Annotated[str, typer.Option(
        "--mode", metavar="valid|same|full",
        help="valid (no padding), same (output as large as X) or full, e.g. --mode same; "
             "--padding overrides it.")] = "valid",
    stride: Annotated[str, typer.Option(
        "--stride", "--s", metavar="S",
        help="Stride, one for both axes or rows,cols, e.g. --stride 2 or --stride 2,1.")]
    = "1",
    dilation: Annotated[str, typer.Option(
        "--dilation", "--d", metavar="D", help="Dilation, 1 = none, e.g. --dilation 2 or --dilation 2,1.")] = "1",
    padding: Annotated[Optional[str], typer.Option(
        "--padding", "--p", metavar="P", show_default=False,
        help="Explicit zero padding: 1, 1,2 (rows,cols), 0:1 (lo:hi on both axes), 0:1,1:1, or a mode; "
             "e.g. --padding 1.")] = None,
    flip: Annotated[bool, typer.Option(
        "--convolve", help="Convolution instead of correlation: the kernel is flipped (SciPy convolve2d).")]
    = False,
    explain: ExplainOpt = None,
    framework: Annotated[str, typer.Option(
        "--framework", metavar="torch|keras",
        help="Rule for --mode same: torch (stride 1 only) or keras (any stride, ceil(n/s) outputs), "
             "e.g. --framework keras (with --mode same --stride 2).")] = "torch",
    transposed: Annotated[bool, typer.Option(
        "--transposed", help="Transposed convolution (PyTorch ConvTranspose2d, one channel): every input cell "
                             "scatters X(a,b)*F onto the output; with --stride, --padding, --output-padding, "
                             "--dilation; e.g. --transposed --stride 2.")] = False,
    output_padding: Annotated[Optional[str], typer.Option(
        "--output-padding", metavar="N", show_default=False,
        help="With --transposed: extra rows/columns on the bottom/right, e.g. --output-padding 1.")] = None,
    bias: Annotated[Optional[str], typer.Option(
        "--bias", metavar="B", show_default=False,
        help="Multi-channel: one bias per output map, e.g. --bias 1,0 (as the CS231n demo's b0, b1).")] = None,
    max_work: Annotated[Optional[str], typer.Option(
        "--max-work", metavar="N", show_default=False,
        help="Refuse above N multiply-adds, estimated first (default 20,000,000, a few seconds; 0: no limit), "
             "e.g. --max-work 100000000.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Exact correlation (or convolution) of two integer/fraction matrices, with the working of any cell.

    Example (the seed's HW5 question 3, Y(0,0) = 68):
    convcalc correlate "1 0 -2; 2 9 5; 0 -3 1" "-1 -1 -1; -1 8 -1; -1 -1 -1" \\
      --explain 0,0

    Channels (C x H x W input, C x k x k filter, summed over channels): separate
    channels with | and filters with ||, e.g. "1 2; 3 4 | 5 6; 7 8"; or a 3-D/4-D
    .npy file. Transposed: convcalc correlate "0 1; 2 3" "0 1; 2 3" --transposed --stride 2
    """
    from convcalc import exact
    from convcalc.cli import _exact_more
    from convcalc.matrix_input import parse_tensor

    check_one_stdin(x, f)
    _check_framework(framework)
    work = max_work_option(max_work)
    xt, ft = parse_tensor(x, "X"), parse_tensor(f, "F")
    options: dict[str, Any] = {
        "mode": mode, "stride": _pair_option(stride, "stride"), "dilation": _pair_option(dilation, "dilation"),
        "padding": _padding_option(padding), "framework": framework,
    }
    if transposed:
        _exact_more.transposed(xt, ft, options, output_padding, flip, bias, explain, work, as_json)
        return
    from convcalc.errors import ConvCalcError

    if output_padding is not None:
        raise ConvCalcError("--output-padding applies to a transposed convolution; add --transposed")
    if bias is not None or _exact_more.depth(xt) > 2 or _exact_more.depth(ft) > 2:
        _exact_more.channels(xt, ft, options, flip, bias, explain, work, as_json)
        return
    xm, fm = xt, ft
    try:
        y = (exact.convolve if flip else exact.correlate)(xm, fm, max_work=work, **options)
    except ConvCalcError as error:  # a geometry error: say which matrix is which
        if str(error).startswith("exact "):  # the work estimate names the sizes itself
            raise
        raise ConvCalcError(f"matrix X ({_dims(xm, x)}) and kernel F ({_dims(fm, f)}): {error}") from None
    cells = _cells(explain, len(y), len(y[0]))
    workings = [exact.explain(xm, fm, i, j, convolve=flip, **options) for i, j in cells]
    if as_json:
        print_json({"output": json_matrix(y), "shape": [len(y), len(y[0])],
                    "working": [cell_working_json(w) for w in workings]} if workings else
                   {"output": json_matrix(y), "shape": [len(y), len(y[0])]})
        return
    from rich.text import Text

    from convcalc.cli._stack_render import emit

    op = "convolution" if flip else "correlation"
    parts: list[Any] = [matrix_table(y, title=f"Y = X {'*' if flip else '⋆'} F  ({_describe(options, op)}, "
                                              f"{len(y)}x{len(y[0])})")]
    for w in workings:
        parts += [Text(""), input_with_window(xm, w.rows, w.cols, w.cell), render_cell_working(w)]
    emit(*parts)


@app.command(context_settings=MATRIX_ARGS)
def pool(
    x: MatrixArg,
    kernel: Annotated[str, typer.Option("--k", "--kernel", metavar="K", show_default=False,
                                        help="Pool window, one for both axes or rows,cols, e.g. --k 2 or --k 2,3.")],
    stride: Annotated[Optional[str], typer.Option(
        "--s", "--stride", metavar="S", show_default=False,
        help="Stride (default: the window), e.g. --s 1.")] = None,
    padding: Annotated[str, typer.Option(
        "--p", "--padding", metavar="P", help="Padding: 1, 1,2 (rows,cols) or lo:hi pairs such as 0:1, "
                                              "e.g. --p 1.")] = "0",
    dilation: Annotated[str, typer.Option(
        "--d", "--dilation", metavar="D", help="Dilation, max pooling only (1 = none), e.g. --d 2.")] = "1",
    ceil: Annotated[bool, typer.Option(
        "--ceil", help="Ceil mode: keep a partial last window unless it would start in the right padding "
                       "(PyTorch's rule).")] = False,
    avg: Annotated[bool, typer.Option("--avg", help="Average pooling (exact fractions such as 5/3) instead "
                                                    "of max.")] = False,
    exclude_pad: Annotated[bool, typer.Option(
        "--exclude-pad", help="With --avg: divide by the real cells only, not the padding "
                              "(PyTorch's count_include_pad=False).")] = False,
    explain: ExplainOpt = None,
    max_work: Annotated[Optional[str], typer.Option(
        "--max-work", metavar="N", show_default=False,
        help="Refuse above N comparisons/additions, estimated first (default 20,000,000; 0: no limit), "
             "e.g. --max-work 100000000.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Exact max or average pooling of a matrix (averages as exact fractions), with the working of any cell.

    Example:
    convcalc pool "1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3" --k 2 --avg --explain 0,0
    """
    from convcalc import exact
    from convcalc.matrix_input import parse_matrix

    xm = parse_matrix(x, "X")
    op = "avg" if avg else "max"
    geometry: dict[str, Any] = {
        "kernel": _pair_option(kernel, "kernel"), "stride": None if stride is None else _pair_option(stride, "stride"),
        "padding": _padding_option(padding), "ceil_mode": ceil,
    }
    if avg:
        if dilation.strip() != "1":
            from convcalc.errors import invalid

            raise invalid("dilation", dilation, "1 for average pooling (PyTorch AvgPool2d has no dilation)")
        y = exact.avg_pool(xm, count_include_pad=not exclude_pad, max_work=max_work_option(max_work), **geometry)
    else:
        y = exact.max_pool(xm, dilation=_pair_option(dilation, "dilation"), max_work=max_work_option(max_work),
                           **geometry)
    cells = _cells(explain, len(y), len(y[0]))
    workings = [exact.explain_pool(xm, i, j, dilation=_pair_option(dilation, "dilation"), op=op,
                                   count_include_pad=not exclude_pad, **geometry) for i, j in cells]
    if as_json:
        data: dict[str, Any] = {"output": json_matrix(y), "shape": [len(y), len(y[0])]}
        if workings:
            data["working"] = [{"cell": list(w.cell), "rows": list(w.rows), "cols": list(w.cols),
                                "window": [[None if v is None else json_value(v) for v in row] for row in w.window],
                                "divisor": w.divisor, "value": json_value(w.value)} for w in workings]
        print_json(data)
        return
    from rich.text import Text

    from convcalc.cli._stack_render import emit

    parts: list[Any] = [matrix_table(y, title=f"{'Average' if avg else 'Max'} pooling, {len(y)}x{len(y[0])}")]
    for w in workings:
        outside = ("padding (-inf) is never the max" if not avg else
                   "padding adds 0; the divisor is below")
        parts += [Text(""), input_with_window(xm, w.rows, w.cols, w.cell, outside, pad_text="0" if avg else "-inf"),
                  Text(f"Y({w.cell[0]},{w.cell[1]}) = {w.text()}")]
    emit(*parts)


def _dims(m: list[list[Any]], source: str) -> str:
    """``2x3``, or ``2x3, from x.csv`` when the matrix came from a file."""
    from convcalc.matrix_input import FILE_SUFFIXES

    text = source.strip()
    named = text.lower().endswith(FILE_SUFFIXES) and len(text) <= 120 and not text.startswith(("[", "("))
    return f"{len(m)}x{len(m[0])}" + (f", from {text}" if named else "")


# --------------------------------------------------------------------------- option parsing (text only)
def max_work_option(text: Optional[str]) -> Optional[int]:
    """``--max-work``: ASCII digits only (``100000000`` or ``100_000_000``), at most 30 of them; 0 = no limit."""
    import re

    if text is None:
        return None
    body = text.strip().replace("_", "")
    if not re.fullmatch(r"[0-9]{1,30}", body, re.ASCII):
        from convcalc.errors import invalid

        raise invalid("max-work", text, "an int >= 0 in ASCII digits (0: no limit), e.g. --max-work 100000000")
    return int(body)

def _pair_option(text: str, name: str) -> Any:
    from convcalc.parse import parse_sizes

    return parse_sizes(text, name)


def _padding_option(text: Optional[str]) -> Any:
    if text is None:
        return None
    from convcalc.parse import parse_padding

    pad = parse_padding(text)
    if isinstance(pad, tuple) and len(pad) == 1 and isinstance(pad[0], tuple):
        pad = pad * 2  # one lo:hi pair applies to both axes
    return pad


def _check_framework(framework: str) -> None:
    """Refuse an unknown --framework even when --mode is not 'same' (the library only reads it for 'same')."""
    from convcalc.arithmetic import FRAMEWORKS

    if framework.strip().lower() not in FRAMEWORKS:
        from convcalc.errors import invalid

        raise invalid("framework", framework, "torch or keras (also pytorch, tf, tensorflow)")


def check_one_stdin(*matrices: Optional[str]) -> None:
    """Standard input can be read once: refuse ``-`` for two matrices before reading the first."""
    if sum(1 for m in matrices if m is not None and m.strip() == "-") > 1:
        from convcalc.errors import ConvCalcError

        raise ConvCalcError("only one matrix can come from standard input ('-'); give the other inline or as a file")


#: The most cells ``--explain all`` writes out (each is a window, a kernel and a sum: ~1 ms to render).
MAX_EXPLAIN_CELLS = 2_500


def _cells(explain: Optional[list[str]], rows: int, cols: int) -> list[tuple[int, int]]:
    """``["0,0", "1,2"]`` or ``["all"]`` to the output cells to explain, each once, in order."""
    from convcalc.errors import invalid

    cells: list[tuple[int, int]] = []
    if any(item.strip().lower() == "all" for item in explain or []) and rows * cols > MAX_EXPLAIN_CELLS:
        raise invalid("explain", "all", f"at most {MAX_EXPLAIN_CELLS:,} cells; this output has {rows * cols:,} "
                                        f"({rows}x{cols}): name the cells, e.g. --explain 0,0 --explain 1,2")
    for item in explain or []:
        if item.strip().lower() == "all":
            cells += [(i, j) for i in range(rows) for j in range(cols)]
            continue
        parts = item.replace("(", "").replace(")", "").split(",")
        try:
            i, j = (int(p) for p in parts)
        except ValueError:
            raise invalid("explain", item, "a cell I,J such as 0,0 (0-indexed), or 'all'") from None
        if not (0 <= i < rows and 0 <= j < cols):
            raise invalid("explain", item, f"a cell of the {rows}x{cols} output: I in 0..{rows - 1} and J in "
                                           f"0..{cols - 1} (0-indexed)")
        cells.append((i, j))
    return list(dict.fromkeys(cells))


def _describe(options: dict[str, Any], op: str) -> str:
    pad = options["padding"]
    words = [f"{options['mode']} {op}" if pad is None else f"{op}, padding {_text(pad)}"]
    if options["stride"] not in (1, (1, 1)):
        words.append(f"stride {_text(options['stride'])}")
    if options["dilation"] not in (1, (1, 1)):
        words.append(f"dilation {_text(options['dilation'])}")
    return ", ".join(words)


def _text(v: Any) -> str:
    return ",".join(map(str, v)) if isinstance(v, tuple) and not any(isinstance(p, tuple) for p in v) else str(v)


# --------------------------------------------------------------------------- pure builders (shared with check)
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
