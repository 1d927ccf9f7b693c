"""`convcalc stack` and `convcalc rf`: a layer stack's table, and its receptive field with the working."""

# No `from __future__ import annotations`: Typer would evaluate string annotations at start-up.
from typing import Annotated, Any, Optional

import typer

from convcalc.cli._console import print_json

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay

SpecArg = Annotated[str, typer.Argument(
    metavar="SPEC",
    help="A preset (hw5, hw5-2conv, lenet5, alexnet, vgg16, resnet20, plain20, ...), a layer list such as "
         "\"conv(32,3) pool(2) flatten dense(10)\", a spec file (specs/net.txt or @specs/net.txt), a model "
         "file (.keras, Keras .json, .py code, .txt with print(model) output) or - for stdin.",
    show_default=False)]
InOpt = Annotated[Optional[str], typer.Option(
    "--in", metavar="SHAPE",
    help="Input shape of one sample, no batch (1x28x28, 3,224,224 or 784), e.g. --in 1x28x28. Optional for "
         "presets and for specs that start with input(...); for a preset it replaces the preset's own shape, "
         "e.g. resnet20 is 1x28x28 (Fashion-MNIST) and resnet20 --in 3x32x32 is CIFAR-10's.",
    show_default=False)]
LayoutOpt = Annotated[str, typer.Option(
    "--layout", metavar="nchw|nhwc", help="Shape order of --in and of every shape shown: nchw (PyTorch, "
                                         "1x28x28) or nhwc (Keras, 28x28x1), e.g. --layout nhwc.")]
RfFromOpt = Annotated[Optional[str], typer.Option(
    "--rf-from", metavar="LAYER",
    help="Measure receptive fields on the output of this layer instead of the input (0), e.g. --rf-from 1.",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the table, "
                                                      "e.g. for jq or a script.")]


def _count(text: Optional[str], name: str, low: int) -> Optional[int]:
    """An int option parsed here, so ``--batch x`` gets the same one-line error as ``--batch 0``."""
    if text is None:
        return None
    import re

    digits = text.strip()
    # ASCII 0-9 only, as every number convcalc reads ('١٦' and '１６' are refused, never read as 16)
    value = int(digits) if re.fullmatch(r"[0-9]{1,12}", digits) else None
    if value is None or value < low:
        from convcalc.errors import invalid

        raise invalid(name, text, f"an int >= {low}")
    return value


AllowPartialOpt = Annotated[bool, typer.Option(
    "--allow-partial", help="Exit 0 even when rows of an imported model (print(model) text, model code, a "
                            ".keras file) were read on an assumption or not at all; they are listed either way.")]


def _stdin_text() -> str:
    """The model or spec piped in (``convcalc stack -``), bounded and decoded."""
    import sys

    from convcalc.errors import ConvCalcError
    from convcalc.importers import MAX_TEXT_BYTES

    data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise ConvCalcError(f"stdin: more than {MAX_TEXT_BYTES:,} bytes; convcalc reads at most that.")
    if b"\0" in data:
        raise ConvCalcError("stdin: binary data (NUL bytes), not a model or a spec.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConvCalcError(f"stdin: not UTF-8 text (byte {error.start}).") from None


def _load(spec: str, input_shape: Optional[str], layout: str) -> Any:
    """(layers, input shape, imported model or None), through the one loader every command uses.

    ``-`` reads stdin; model files and pasted model text (``print(model)``, code)
    go through :mod:`convcalc.importers`, everything else is a spec or a preset.
    """
    from convcalc.importers import read_model
    from convcalc.spec import load_stack, parse_shape

    shape = None if input_shape is None else parse_shape(input_shape)
    text = _stdin_text() if spec.strip() == "-" else spec
    if shape is not None and layout.strip().lower() in ("nhwc", "channels_last"):
        from convcalc.layers import channels_first

        model = read_model(text, channels_first(shape))
    else:
        model = read_model(text, shape)
    if model is None:
        return (*load_stack(text, shape, layout=layout), None)
    from convcalc.errors import ConvCalcError

    if not model.layers:
        reasons = "; ".join(f"{row.path}: {row.reason}" for row in model.partial[:3])
        raise ConvCalcError(f"No layer of the {model.kind} could be read ({reasons}).")
    layers = model.graph() if model.branches else model.layers
    if shape is None:
        if model.input_shape is None:
            raise ConvCalcError(f"The {model.kind} does not state its input shape: pass --in, e.g. --in 1x28x28.")
        from convcalc.layers import channels_last

        own = model.input_shape
        shape = channels_last(own) if layout.strip().lower() in ("nhwc", "channels_last") else own
    return layers, shape, model


def _load_torch(target: str, input_shape: Optional[str], layout: str) -> Any:
    """(layers, input shape, imported model) of ``FACTORY()`` from an importable module, via torch.fx."""
    import importlib

    from convcalc.errors import ConvCalcError, invalid
    from convcalc.importers.torch_module import from_torch
    from convcalc.spec import parse_shape

    module_name, _, factory_name = target.partition(":")
    if not all(part.isidentifier() and part.isascii() for part in module_name.split(".")) \
            or not (factory_name.isidentifier() and factory_name.isascii()):
        raise invalid("torch", target, "MODULE:FACTORY, e.g. mypkg.models:make_net")
    if input_shape is None:
        raise ConvCalcError("--torch needs the input shape: pass --in, e.g. --in 3x224x224.")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except ImportError as error:
        raise ConvCalcError(f"--torch: cannot import {module_name!r} ({error}).") from None
    except AttributeError:
        raise ConvCalcError(f"--torch: {module_name!r} has no {factory_name!r}.") from None
    shape = parse_shape(input_shape)
    from convcalc.layers import channels_first

    first = channels_first(shape) if layout.strip().lower() in ("nhwc", "channels_last") else shape
    model = from_torch(factory(), first)
    return (model.graph() if model.branches else model.layers), shape, model


def _finish_import(model: Any, allow_partial: bool, as_json: bool) -> None:
    """Say what the reader noted, list the rows read on an assumption or not read; exit 1 for them unless --allow-partial."""
    if model is not None and model.notes and not as_json:
        from rich.text import Text

        from convcalc.cli._stack_render import emit

        emit(*(Text(f"note: {note}", style="dim") for note in model.notes))
    if model is None or not model.partial:
        return
    if not as_json:
        from convcalc.cli._stack_render import emit, import_table

        emit(import_table(model))
    if not allow_partial:
        raise typer.Exit(code=1)


@app.command()
def stack(
    spec: Annotated[Optional[str], typer.Argument(
        metavar="SPEC", help="A preset (hw5, lenet5, vgg16, ...), a layer list such as \"conv(32,3) pool(2) "
        "flatten dense(10)\", a spec file, a model file (.keras, Keras .json, .onnx, .py code, .txt with "
        "print(model) output) or - for stdin. Leave out with --torch.", show_default=False)] = None,
    torch_factory: Annotated[Optional[str], typer.Option(
        "--torch", metavar="MODULE:FACTORY",
        help="Build a PyTorch model by calling FACTORY() from the importable MODULE (this runs that code) and "
             "read it with torch.fx, e.g. --torch mypkg.models:make_net --in 3x32x32.", show_default=False)] = None,
    input_shape: InOpt = None,
    layout: LayoutOpt = "nchw",
    batch: Annotated[str, typer.Option(
        "--batch", metavar="N", help="Batch size for the memory column and the MAC conventions that "
                                     "count the batch, e.g. --batch 32.")] = "1",
    dtype: Annotated[str, typer.Option(
        "--dtype", metavar="TYPE", help="Element type for memory: float32, float16, bfloat16, float64, "
                                        "int8, uint8, int16, int32 or int64, e.g. --dtype float16.")] = "float32",
    convention: Annotated[str, typer.Option(
        "--convention", metavar="NAME",
        help="How MACs are counted: torchvision (weights only, one sample), torchinfo, fvcore, ptflops, thop, "
             "or flops (2 x MACs), e.g. --convention torchinfo.")] = "torchvision",
    rf_from: RfFromOpt = None,
    depth: Annotated[Optional[str], typer.Option(
        "--depth", metavar="N", help="Fold blocks nested deeper than N into one row with summed counts, as "
                                     "torchinfo's depth, e.g. --depth 1 shows a ResNet's stages; --json keeps "
                                     "every node.", show_default=False)] = None,
    as_json: JsonOpt = False,
    allow_partial: AllowPartialOpt = False,
    out: Annotated[Optional[str], typer.Option(
        "--out", "-o", metavar="FILE", help="Also write the table as a picture for a report: FILE.svg or "
                                            "FILE.html, e.g. -o resnet18.svg.", show_default=False)] = None,
) -> None:
    """Per-layer output shape, parameters, MACs, memory and receptive field, with totals.

    Examples: convcalc stack hw5;
    convcalc stack "conv(32,3) relu pool(2) flatten dense(10)" --in 1x28x28;
    python -c "print(model)" | convcalc stack - --in 3x224x224; convcalc stack model.keras;
    convcalc stack vgg16 --convention torchinfo --batch 8 --json;
    convcalc stack resnet50 --depth 1;
    convcalc stack "input(64x56x56) res[conv(64,3,p=1) bn relu conv(64,3,p=1) bn] relu"
    """
    from convcalc.stack import summarize

    folding = _count(depth, "depth", 1)

    if (spec is None) == (torch_factory is None):
        from convcalc.errors import ConvCalcError

        raise ConvCalcError("Give either a SPEC (a preset, a layer list, a model file or -) or --torch "
                            "MODULE:FACTORY, not " + ("both." if spec else "neither."))
    if torch_factory is not None:
        layers, shape, model = _load_torch(torch_factory, input_shape, layout)
    else:
        layers, shape, model = _load(spec or "", input_shape, layout)
    summary = summarize(layers, shape, layout=layout, batch=_count(batch, "batch", 1), dtype=dtype,
                        convention=convention, rf_from=_count(rf_from, "rf_from", 0))
    if out is not None:
        _write_table(summary, out)
    if as_json:
        result = summary.to_dict()
        if model is not None:
            result["import"] = {"kind": model.kind, "rows": [
                {"path": r.path, "source": r.source, "status": r.status, "reason": r.reason} for r in model.rows],
                "notes": list(model.notes)}
        print_json(result)
    else:
        from rich.text import Text

        from convcalc.cli._stack_render import emit, summary_table, terminal_width, totals_table

        emit(summary_table(summary, max_width=terminal_width(), depth=folding), Text(""), totals_table(summary))
    _finish_import(model, allow_partial, as_json)


def _write_table(summary: Any, path: str) -> None:
    """The table as SVG or HTML (convcalc.draw.reprs), written next to the target and renamed over it."""
    import os

    from convcalc.errors import ConvCalcError, invalid

    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".svg", ".html", ".htm") or not path.isprintable() or len(path) > 4096:
        raise invalid("out", path if len(path) <= 80 else path[:80] + "...",
                      "a file name ending in .svg or .html, without control characters")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConvCalcError(f"Cannot write the table {path!r}: the folder {folder!r} does not exist.")
    if os.path.isdir(path):
        raise ConvCalcError(f"Cannot write the table {path!r}: it is a folder.")
    from convcalc.draw.reprs import summary_html, summary_svg

    text = summary_svg(summary) if suffix == ".svg" else summary_html(summary)
    temp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except (OSError, ValueError) as error:
        if os.path.exists(temp):
            os.remove(temp)
        reason = getattr(error, "strerror", None) or error
        raise ConvCalcError(f"Cannot write the table {path!r}: {reason}.") from None


@app.command()
def rf(
    spec: SpecArg,
    input_shape: InOpt = None,
    layout: LayoutOpt = "nchw",
    rf_from: RfFromOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receptive field through a stack, step by step: RF_{l-1} = s_l*RF_l + (k_l - s_l).

    Example (the seed's HW5 question 5.3, prints 5):
    convcalc rf "conv(8,3) conv(8,3) conv(8,3)" --in 1x16x16 --rf-from 1
    """
    from convcalc.stack import rf_working

    layers, shape, _ = _load(spec, input_shape, layout)
    working = rf_working(layers, shape, layout=layout, rf_from=_count(rf_from, "rf_from", 0))
    if as_json:
        print_json(working.to_dict())
        return
    from rich.text import Text

    from convcalc.cli._stack_render import emit, rf_table, rf_working_table

    emit(rf_table(working.summary), Text(""), rf_working_table(working))
