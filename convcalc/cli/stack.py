"""`convcalc stack` and `convcalc rf`: a layer stack's table, and its receptive field with the working."""

# No `from __future__ import annotations`: Typer would evaluate string annotations at start-up.
from typing import Annotated, Optional

import typer

from convcalc.cli._console import console, print_json

app = typer.Typer()

SpecArg = Annotated[str, typer.Argument(
    help="A preset (hw5, hw5-2conv, lenet5, alexnet, vgg16), a spec such as "
         "\"conv(32,3) pool(2) flatten dense(10)\", or a spec file (@file or a path).",
    show_default=False)]
InOpt = Annotated[Optional[str], typer.Option(
    "--in", help="Input shape without batch, e.g. 1x28x28 (optional for presets and specs with input(...)).")]
LayoutOpt = Annotated[str, typer.Option("--layout", help="Shape order: nchw (PyTorch) or nhwc (Keras).")]
RfFromOpt = Annotated[Optional[int], typer.Option(
    "--rf-from", min=0, help="Measure receptive fields on the output of this layer (0 = the input).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command()
def stack(
    spec: SpecArg,
    input_shape: InOpt = None,
    layout: LayoutOpt = "nchw",
    batch: Annotated[int, typer.Option("--batch", min=1, help="Batch size for memory and batch-including MACs.")] = 1,
    dtype: Annotated[str, typer.Option("--dtype", help="Element type for memory: float32, float16, float64, int8...")] = "float32",
    convention: Annotated[str, typer.Option(
        "--convention", help="MAC counting: torchvision, torchinfo, fvcore, ptflops, thop, flops.")] = "torchvision",
    rf_from: RfFromOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per-layer output shape, parameters, MACs, memory and receptive field, with totals.

    Example: convcalc stack "conv(32,3) pool(2) flatten dense(100) dense(10)" --in 1x28x28
    """
    from convcalc.spec import load_stack, parse_shape
    from convcalc.stack import summarize

    shape = None if input_shape is None else parse_shape(input_shape)
    layers, shape = load_stack(spec, shape, layout=layout)
    summary = summarize(layers, shape, layout=layout, batch=batch, dtype=dtype, convention=convention,
                        rf_from=rf_from)
    if as_json:
        print_json(summary.to_dict())
        return
    from convcalc.cli._stack_render import summary_table, totals_table

    console.print(summary_table(summary))
    console.print(totals_table(summary))


@app.command()
def rf(
    spec: SpecArg,
    input_shape: InOpt = None,
    layout: LayoutOpt = "nchw",
    rf_from: RfFromOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receptive field through a stack, step by step: RF_{l-1} = s_l*RF_l + (k_l - s_l).

    Example: convcalc rf "conv(8,3) conv(8,3) conv(8,3)" --in 1x16x16 --rf-from 1   (prints 5)
    """
    from convcalc.spec import load_stack, parse_shape
    from convcalc.stack import rf_working

    shape = None if input_shape is None else parse_shape(input_shape)
    layers, shape = load_stack(spec, shape, layout=layout)
    working = rf_working(layers, shape, layout=layout, rf_from=rf_from)
    if as_json:
        print_json(working.to_dict())
        return
    from convcalc.cli._stack_render import rf_table, rf_working_table

    console.print(rf_table(working.summary))
    console.print(rf_working_table(working))
