"""`convcalc solve`: inverse solving (padding for a target size, input sizes for an output, output_padding)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from convcalc.cli._console import console, print_json
from convcalc.cli.outsize import sane_terminal_size as _sane_terminal_size

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay
solve_app = typer.Typer(help="Inverse solving: which padding, which input sizes, which output_padding.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(solve_app, name="solve")

KernelOpt = Annotated[str, typer.Option("--k", help="Kernel size, e.g. 3 or 3x5.")]
StrideOpt = Annotated[str, typer.Option("--s", help="Stride.")]
DilationOpt = Annotated[str, typer.Option("--d", help="Dilation (1 = none).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
#: Rows of the paddings table per axis (a table of thousands of rows takes seconds to draw; --json has all).
TABLE_ROWS = 40


def _per_axis(value: object) -> list:
    return list(value) if isinstance(value, tuple) else [value]


def _on_axis(value: object, axis: int) -> object:
    """The value for one axis of a scalar-or-tuple option."""
    values = _per_axis(value)
    return values[min(axis, len(values) - 1)]


@solve_app.command("padding")
def padding(
    size: Annotated[str, typer.Option("--in", help="Input size: 16, 28x28 or 28,32.")],
    kernel: KernelOpt,
    target: Annotated[str, typer.Option("--target", help="Wanted output size.")],
    stride: StrideOpt = "1",
    dilation: DilationOpt = "1",
    as_json: JsonOpt = False,
) -> None:
    """Every symmetric or (lo, hi) padding that gives the target output size.

    Example: convcalc solve padding --in 29x45 --k 2 --s 2 --target 15x23
    """
    from convcalc.inverse import solve_padding
    from convcalc.parse import check_sizes, parse_sizes

    named = {"size": size, "kernel": kernel, "target": target, "stride": stride, "dilation": dilation}
    check_sizes(named)  # every option checked before a symbol in one loads sympy
    args = [parse_sizes(v, n) for n, v in named.items()]
    solutions = solve_padding(args[0], args[1], args[2], args[3], args[4])
    per_axis = list(solutions) if isinstance(solutions, tuple) else [solutions]
    _sane_terminal_size()
    if as_json:
        print_json({"padding": [[list(p) for p in axis] for axis in per_axis],
                    "symmetric": [[p[0] for p in axis if p[0] == p[1]] for axis in per_axis]})
        return
    from rich.table import Table

    for i, axis in enumerate(per_axis):
        shown, hidden = axis[:TABLE_ROWS], len(axis) - TABLE_ROWS
        table = Table(title=f"Paddings giving output {_on_axis(args[2], i)}"
                      + (f" on axis {i}" if len(per_axis) > 1 else ""))
        table.add_column("lo", justify="right")
        table.add_column("hi", justify="right")
        table.add_column("total", justify="right")
        table.add_column("kind")
        for lo, hi in shown:
            table.add_row(str(lo), str(hi), str(lo + hi), "symmetric (padding=%d)" % lo if lo == hi else "asymmetric")
        console.print(table)
        if hidden > 0:
            console.print(f"the first {TABLE_ROWS} of {len(axis)} paddings, most balanced first; --json lists them all")


@solve_app.command("input")
def input_size(
    output: Annotated[Optional[str], typer.Option("--out", help="Output size: 7, 7x7 or 7,8.")] = None,
    kernel: Annotated[Optional[str], typer.Option("--k", help="Kernel size, e.g. 3 or 3x5.")] = None,
    stride: StrideOpt = "1",
    padding: Annotated[str, typer.Option("--p", help="Padding: 1, 1,2 (per axis), 0:1 (lo:hi).")] = "0",
    dilation: DilationOpt = "1",
    stack: Annotated[Optional[str], typer.Option(
        "--stack", metavar="SPEC", help="A whole network (preset or spec): list the input sizes in --range "
                                        "that every layer takes exactly, e.g. --stack unet.")] = None,
    sizes: Annotated[Optional[str], typer.Option(
        "--range", metavar="LO..HI", help="Input sizes tried with --stack (default 1..1024).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every input size that a convolution maps to the given output (stride > 1 leaves several).

    Example: convcalc solve input --out 7 --k 2 --s 2 --p 1 --d 4;
    convcalc solve input --stack unet --range 100..1000 (U-Net: 188, 204, ..., 572, ...)
    """
    if stack is not None:
        from convcalc.cli._solve_stack import solve_input_for_stack

        solve_input_for_stack(stack, output, sizes, as_json)
        return
    if output is None or kernel is None:
        from convcalc.errors import ConvCalcError

        raise ConvCalcError(f"Missing option '{'--out' if output is None else '--k'}' (or give --stack NET).")
    from convcalc.inverse import input_sizes
    from convcalc.parse import check_sizes, parse_padding, parse_sizes

    check_sizes({"output": output, "kernel": kernel, "stride": stride, "dilation": dilation})
    wanted = parse_sizes(output, "output")
    found = input_sizes(wanted, parse_sizes(kernel, "kernel"), parse_sizes(stride, "stride"),
                        parse_padding(padding), parse_sizes(dilation, "dilation"))
    per_axis = list(found) if isinstance(found, tuple) else [found]
    _sane_terminal_size()
    if as_json:
        print_json({"input_sizes": per_axis})
        return
    for i, axis in enumerate(per_axis):
        where = f"axis {i}: " if len(per_axis) > 1 else ""
        console.print(f"{where}input sizes {', '.join(map(str, axis))} all give output {_on_axis(wanted, i)}")


@solve_app.command("output-padding")
def output_padding(
    size: Annotated[str, typer.Option("--in", help="Input size of the convolution to invert.")],
    kernel: KernelOpt,
    stride: StrideOpt = "1",
    padding: Annotated[str, typer.Option("--p", help="Padding of the convolution.")] = "0",
    dilation: DilationOpt = "1",
    as_json: JsonOpt = False,
) -> None:
    """The output_padding with which ConvTranspose (same k, s, p, d) restores the input size.

    Example: convcalc solve output-padding --in 28 --k 3 --s 2 --p 1   (prints 1)
    """
    from convcalc.arithmetic import conv_output_size
    from convcalc.inverse import inverse_output_padding
    from convcalc.parse import check_sizes, parse_padding, parse_sizes

    check_sizes({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation})
    n, k, s, p, d = (parse_sizes(size, "size"), parse_sizes(kernel, "kernel"), parse_sizes(stride, "stride"),
                     parse_padding(padding), parse_sizes(dilation, "dilation"))
    a = inverse_output_padding(n, k, s, p, d)
    out = conv_output_size(n, k, s, p, d)
    _sane_terminal_size()
    if as_json:
        print_json({"output_padding": _per_axis(a), "conv_output": _per_axis(out)})
        return
    console.print(f"conv: {size} -> {'x'.join(map(str, _per_axis(out)))}; "
                  f"ConvTranspose with output_padding={'x'.join(map(str, _per_axis(a)))} gives back {size}")
    console.print(f"output_padding = (n + 2p - d*(k-1) - 1) mod s = {'x'.join(map(str, _per_axis(a)))}",
                  highlight=False)
