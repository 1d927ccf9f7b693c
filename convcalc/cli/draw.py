"""`convcalc draw` (a picture of the geometry) and `convcalc serve` (the local explorer page)."""

# No `from __future__ import annotations`: Typer would evaluate string annotations at start-up.
from typing import Annotated, Optional

import typer

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay


def _ints(text: str, name: str, what: str) -> tuple:
    """``3,4`` -> ``(3, 4)``; anything else is one error line naming the option."""
    from convcalc.errors import invalid

    parts = [p.strip() for p in text.split(",")]
    if not parts or not all(p.lstrip("-").isdigit() and len(p) < 10 for p in parts):
        raise invalid(name, text, what)
    return tuple(int(p) for p in parts)


@app.command()
def draw(
    size: Annotated[Optional[str], typer.Option(
        "--in", help="Input size: 16 (1-D), 5x5 or 5,7 (2-D); with --stack the input shape, e.g. 1x28x28.",
        show_default=False)] = None,
    kernel: Annotated[Optional[str], typer.Option("--k", help="Kernel size, e.g. 3 or 3x5.", show_default=False)]
    = None,
    stride: Annotated[Optional[str], typer.Option("--s", help="Stride (default 1; the kernel for --pool).",
                                                  show_default=False)] = None,
    padding: Annotated[str, typer.Option("--p", help="Padding: 1, 1,2 (per axis), 0:1 (lo:hi), valid, same, full.")]
    = "0",
    dilation: Annotated[str, typer.Option("--d", help="Dilation (1 = none).")] = "1",
    transposed: Annotated[bool, typer.Option("--transposed", help="Transposed convolution.")] = False,
    output_padding: Annotated[str, typer.Option("--output-padding", help="Transposed only: extra size on the "
                                                                         "bottom/right.")] = "0",
    pool: Annotated[bool, typer.Option("--pool", help="Pooling (stride defaults to the kernel).")] = False,
    avg: Annotated[bool, typer.Option("--avg", help="With --pool and --x: average pooling (max by default).")]
    = False,
    ceil: Annotated[bool, typer.Option("--ceil", help="Pooling in ceil mode; the dropped window is drawn.")] = False,
    framework: Annotated[str, typer.Option("--framework", help="'same' rule: torch or keras.")] = "torch",
    cell: Annotated[Optional[str], typer.Option(
        "--cell", metavar="I,J", help="One output cell (0-indexed), e.g. --cell 1,2 (--cell 3 in 1-D); without it "
                                      "every position is drawn, one frame each.", show_default=False)] = None,
    view: Annotated[str, typer.Option(
        "--view", metavar="direct|scatter",
        help="Transposed only: direct (stride-1 convolution over the stretched, padded input) or scatter "
             "(each input cell added into the output).")] = "direct",
    x: Annotated[Optional[str], typer.Option(
        "--x", metavar="X", help="Input matrix, e.g. '1 0 2; 3 1 0; 0 2 1' (then --in/--k may be left out).",
        show_default=False)] = None,
    f: Annotated[Optional[str], typer.Option("--f", metavar="F", help="Kernel matrix, e.g. '0 1 0; 1 -4 1; 0 1 0' "
                                                                  "(with --transposed: a transposed convolution).",
                                             show_default=False)] = None,
    stack: Annotated[Optional[str], typer.Option(
        "--stack", metavar="SPEC", help="Receptive field through a layer stack (preset or spec), e.g. --stack hw5 "
                                        "--unit 6,6.", show_default=False)] = None,
    unit: Annotated[Optional[str], typer.Option(
        "--unit", metavar="I,J", help="With --stack: the unit whose field is drawn (0-indexed).",
        show_default=False)] = None,
    layer: Annotated[Optional[str], typer.Option(
        "--layer", metavar="N", help="With --stack: the layer the unit belongs to (1-based; default the last "
                                     "layer with a spatial output).", show_default=False)] = None,
    effective: Annotated[bool, typer.Option(
        "--effective", help="With --stack: also the effective receptive field (gradient magnitudes at "
                            "initialisation, through convcalc's engine; 2-D inputs).")] = False,
    output: Annotated[Optional[str], typer.Option(
        "-o", "--output", metavar="FILE", help="FILE.svg (animated when several frames), FILE.png (one frame) or "
                                               "FILE.gif (every frame); without it the SVG goes to stdout.",
        show_default=False)] = None,
) -> None:
    """Draw the geometry: input with padding, kernel footprint, output, sizes and the working.

    Examples: convcalc draw --in 16 --k 2 --s 2 --p 1 --d 4 --cell 3 -o hw5.svg;
    convcalc draw --in 5x5 --k 3 --s 2 --p 1 -o strides.gif;
    convcalc draw --in 3x3 --k 3 --s 2 --p 1 --transposed --output-padding 1 -o up.svg;
    convcalc draw --x "0 1; 2 3" --f "0 1; 2 3" --transposed --s 2 --cell 1,2 -o tcell.svg;
    convcalc draw --stack hw5 --unit 6,6 -o rf.png
    """
    import os

    from convcalc.errors import ConvCalcError, invalid

    if output is not None and os.path.splitext(output)[1].lower() not in (".svg", ".png", ".gif"):
        raise invalid("output", output, "a file name ending in .svg, .png or .gif")
    if stack is not None:
        scene = _stack_scene(stack, size, unit, layer, effective, kernel, cell, x, f)
    else:
        if unit is not None or layer is not None or effective:
            raise ConvCalcError("--unit, --layer and --effective go with --stack SPEC")
        from convcalc.cli.outsize import check_operation

        check_operation(transposed, pool, ceil, output_padding)
        if view != "direct" and not transposed:
            raise ConvCalcError("--view applies to transposed convolutions only; add --transposed")
        from convcalc.cli.outsize import parse_geometry
        from convcalc.draw import draw as draw_picture
        from convcalc.parse import parse_sizes

        xm = fm = None
        if avg and not (pool and x is not None):
            raise ConvCalcError("--avg goes with --pool --x MATRIX (average pooling of the numbers)")
        if pool and x is not None:
            from convcalc.matrix_input import parse_matrix

            xm = parse_matrix(x, "X")
            if f is not None:
                raise ConvCalcError("--pool takes one matrix (--x); --f is a convolution's kernel")
            shape_x = f"{len(xm)}x{len(xm[0])}"
            if size is not None and parse_sizes(size, "--in") != parse_sizes(shape_x, "--in"):
                raise ConvCalcError(f"--in {size} disagrees with the matrix shape {shape_x}; leave --in out")
            size = shape_x
        elif x is not None or f is not None:
            if x is None or f is None:
                raise ConvCalcError("give both --x and --f (the input and the kernel matrix)")
            from convcalc.matrix_input import parse_matrix

            xm, fm = parse_matrix(x, "X"), parse_matrix(f, "F")
            shape_x, shape_f = f"{len(xm)}x{len(xm[0])}", f"{len(fm)}x{len(fm[0])}"
            for given, own, name in ((size, shape_x, "--in"), (kernel, shape_f, "--k")):
                if given is not None and parse_sizes(given, name) not in (parse_sizes(own, name),):
                    raise ConvCalcError(f"{name} {given} disagrees with the matrix shape {own}; leave {name} out")
            size, kernel = size or shape_x, kernel or shape_f
        if size is None or kernel is None:
            raise ConvCalcError("give --in and --k (or --x and --f, or --stack SPEC)")
        if view not in ("direct", "scatter"):
            raise invalid("view", view, "direct or scatter")
        g = parse_geometry(size, kernel, stride, padding, dilation)
        op = "transposed" if transposed else "pool" if pool else "conv"
        picked = None if cell is None else _ints(cell, "cell", "I,J (0-indexed ints), e.g. 1,2; J in 1-D")
        picture = draw_picture(g["size"], g["kernel"], g["stride"], g["padding"], g["dilation"], op=op,
                               ceil_mode=ceil, output_padding=parse_sizes(output_padding, "output_padding"),
                               framework=framework, cell=picked, view=view, x=xm, f=fm,
                               pool_op="avg" if avg else "max")
        scene = picture.scene
    _write(scene, output)


def _stack_scene(stack: str, size: Optional[str], unit: Optional[str], layer: Optional[str], effective: bool,
                 *unused: object):
    from convcalc.draw.receptive import receptive_scene
    from convcalc.errors import ConvCalcError
    from convcalc.spec import load_stack, parse_shape

    if any(v is not None for v in unused):
        raise ConvCalcError("--stack draws a receptive field: --k, --cell, --x and --f do not apply (use --unit)")
    if unit is None:
        raise ConvCalcError("--stack needs --unit I,J: the output unit whose receptive field is drawn")
    layers, shape = load_stack(stack, None if size is None else parse_shape(size))
    top = None if layer is None else _ints(layer, "layer", "a layer index (1-based), e.g. 3")
    if top is not None and len(top) != 1:
        from convcalc.errors import invalid

        raise invalid("layer", layer, "one layer index (1-based), e.g. 3")
    return receptive_scene(layers, shape, _ints(unit, "unit", "I,J (0-indexed ints), e.g. 6,6"),
                           None if top is None else top[0], effective=effective)


def _write(scene, output: Optional[str]) -> None:
    from convcalc.draw import save
    from convcalc.draw.svg import to_svg

    if output is None:
        typer.echo(to_svg(scene), nl=False)
        return
    save(scene, output)
    fig = scene.figure
    if fig.op == "receptive-field":
        grids = fig.params["grids"]
        size = "x".join(str(hi - lo + 1) for lo, hi in grids[0]["field"])
        typer.echo(f"wrote {output} (receptive field {size} on the input of unit "
                   f"({','.join(map(str, fig.output))}) of layer {grids[-1]['index']})")
        return
    frames = len(scene.frames) if output.lower().endswith((".svg", ".gif")) else 1
    typer.echo(f"wrote {output} (output {'x'.join(map(str, fig.output))}, {frames} frame{'s' if frames > 1 else ''})")


@app.command()
def serve(
    port: Annotated[str, typer.Option("--port", metavar="N", help="Port on 127.0.0.1 (0 picks a free one).")]
    = "8765",
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
) -> None:
    """The explorer page on http://127.0.0.1:PORT/: sliders for every parameter, the picture, the working and
    the output size, all computed by convcalc through the server. Stop it with Ctrl-C.
    """
    from convcalc.cli.outsize import parse_geometry
    from convcalc.draw.server import make_server
    from convcalc.errors import invalid

    number = _ints(port, "port", "an int from 0 to 65535")
    if len(number) != 1 or not 0 <= number[0] <= 65535:
        raise invalid("port", port, "an int from 0 to 65535")
    server = make_server(number[0], parse=parse_geometry)  # the page's values parsed as outsize parses them
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    typer.echo(f"convcalc explorer on {url} (Ctrl-C stops it)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
