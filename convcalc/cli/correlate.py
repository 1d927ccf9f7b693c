"""`convcalc correlate` and `convcalc pool`: exact results as a grid, with the working of any cell.

The options are read by :mod:`convcalc.cli._matrix_options`; the grids and the
working are built by :mod:`convcalc.cli._matrix_render` (pure builders shared
with `convcalc check`). Their names stay importable from here.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from convcalc.cli._console import print_json
from convcalc.cli._matrix_options import (  # noqa: F401  (re-exported: cli/check.py, cli/_exact_more.py)
    MAX_EXPLAIN_CELLS,
    _cells,
    _check_framework,
    _describe,
    _dims,
    _padding_option,
    _pair_option,
    _text,
    check_one_stdin,
    max_work_option,
)
from convcalc.cli._matrix_render import (  # noqa: F401  (re-exported: cli/check.py, cli/_exact_more.py)
    cell_working_json,
    input_with_window,
    json_matrix,
    json_value,
    matrix_table,
    render_cell_working,
    side_by_side,
)

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
