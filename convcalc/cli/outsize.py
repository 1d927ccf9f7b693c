"""`convcalc outsize`: output size of a convolution, transposed convolution or pooling, with the working."""

# No `from __future__ import annotations` here: Typer would have to eval every
# string annotation at start-up, which costs measurable milliseconds.
from typing import Annotated, Optional

import typer

from convcalc.cli._console import print_json, print_lines

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay

SizeOpt = Annotated[str, typer.Option(help="Input size: 16, 28x28, 28,32 or a symbol such as n.")]


def sane_terminal_size() -> None:
    """Rich reads COLUMNS/LINES with int() when it creates the console; a value that is not a small number
    (COLUMNS=<10,000 digits> was an internal error past Python's int-to-string limit) is dropped, so Rich
    falls back to the terminal's size."""
    import os

    for var in ("COLUMNS", "LINES"):
        value = os.environ.get(var)
        if value is not None and not (value.isascii() and value.isdigit() and len(value) <= 5):
            del os.environ[var]


def check_operation(transposed: bool, pool: bool, ceil: bool, output_padding: str) -> str:
    """The operation the flags name (``conv``, ``transposed``, ``pool``); flags that do not go together refused."""
    from convcalc.errors import ConvCalcError

    if transposed and pool:
        raise ConvCalcError("choose one of --transposed and --pool, not both")
    if ceil and not pool:
        raise ConvCalcError("--ceil applies to pooling only; add --pool")
    if output_padding != "0" and not transposed:
        raise ConvCalcError("--output-padding applies to transposed convolutions only; add --transposed")
    return "transposed" if transposed else "pool" if pool else "conv"


def parse_geometry(size: str, kernel: str, stride: Optional[str], padding: str, dilation: str) -> dict:
    """Parse the shared size options into library values (used by `outsize`, `solve` and `check`)."""
    from convcalc.parse import check_sizes, parse_padding, parse_sizes

    check_sizes({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation})
    values = {
        "size": parse_sizes(size, "size"),
        "kernel": parse_sizes(kernel, "kernel"),
        "stride": None if stride is None else parse_sizes(stride, "stride"),
        "dilation": parse_sizes(dilation, "dilation"),
    }
    ndim = max((len(v) for v in values.values() if isinstance(v, tuple)), default=1)
    pad = parse_padding(padding)
    if isinstance(pad, tuple) and len(pad) == 1 and isinstance(pad[0], tuple):
        pad = pad * ndim  # one lo:hi pair applies to every axis
    values["padding"] = pad
    return values


@app.command()
def outsize(
    size: Annotated[str, typer.Option("--in", help="Input size: 16, 28x28, 28,32 or a symbol such as n.")],
    kernel: Annotated[str, typer.Option("--k", help="Kernel size, e.g. 3 or 3x5.")],
    stride: Annotated[Optional[str], typer.Option("--s", help="Stride (default 1; the kernel for --pool).")] = None,
    padding: Annotated[str, typer.Option("--p", help="Padding: 1, 1,2 (per axis), 0:1 (lo:hi), valid, same, full.")] = "0",
    dilation: Annotated[str, typer.Option("--d", help="Dilation (1 = none).")] = "1",
    transposed: Annotated[bool, typer.Option("--transposed", help="Transposed convolution.")] = False,
    output_padding: Annotated[str, typer.Option("--output-padding", help="Transposed only: extra size on one side.")] = "0",
    pool: Annotated[bool, typer.Option("--pool", help="Pooling (stride defaults to the kernel).")] = False,
    ceil: Annotated[bool, typer.Option("--ceil", help="Pooling in ceil mode (PyTorch's rule).")] = False,
    framework: Annotated[str, typer.Option("--framework", help="'same' rule: torch or keras.")] = "torch",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Output size with the working: formula, numbers substituted, floor step, answer.

    Example: convcalc outsize --in 16 --k 2 --s 2 --p 1 --d 4   (prints 7)
    """
    from convcalc.parse import parse_sizes
    from convcalc.working import explain_output_size

    kind = check_operation(transposed, pool, ceil, output_padding)
    from convcalc.parse import check_sizes

    check_sizes({"output_padding": output_padding})
    g = parse_geometry(size, kernel, stride, padding, dilation)
    working = explain_output_size(kind, g["size"], g["kernel"], g["stride"], g["padding"], g["dilation"],
                                  ceil_mode=ceil, output_padding=parse_sizes(output_padding, "output_padding"),
                                  framework=framework)
    if as_json:
        print_json(working.to_dict())
        return
    from convcalc.cli._render_working import render_working

    sane_terminal_size()
    print_lines(render_working(working))
