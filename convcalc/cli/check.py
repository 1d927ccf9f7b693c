"""`convcalc check`: check a file of homework answers, or one answer given inline.

    convcalc check answers.toml                    # every [[question]] of the file
    convcalc check outsize --in 16 --k 2 --s 2 --p 1 --d 4 --answer 7

Exit status: 0 when every answer is right, 1 when any is wrong, 2 for a
malformed file or question (the message names the question and the field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from convcalc.cli._console import console, print_json

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from convcalc.check import Report
    from convcalc.diagnose import Verdict

app = typer.Typer()

_KIND_HELP = ("outsize, transposed, pool, same_padding, stack_shape, params, macs, rf, correlate, convolve, "
              "pool_exact")


def _opt(*names: str, help: str) -> Any:
    return typer.Option(*names, help=help, show_default=False)


@app.command(context_settings={"ignore_unknown_options": True})
def check(
    target: Annotated[str, typer.Argument(help=f"An answers .toml file, or a kind for one inline answer: {_KIND_HELP}.",
                                          show_default=False)],
    answer: Annotated[Optional[str], _opt("--answer", help="Inline: the answer to check (7, 7x7, 1:2, a matrix).")]
    = None,
    size: Annotated[Optional[str], _opt("--in", help="Input size (16, 28x28) or, for stack kinds, shape 1x28x28.")]
    = None,
    kernel: Annotated[Optional[str], _opt("--k", help="Kernel or pool window.")] = None,
    stride: Annotated[Optional[str], _opt("--s", help="Stride.")] = None,
    padding: Annotated[Optional[str], _opt("--p", help="Padding: 1, 1,2, 0:1, valid, same, full.")] = None,
    dilation: Annotated[Optional[str], _opt("--d", help="Dilation (1 = none).")] = None,
    output_padding: Annotated[Optional[str], _opt("--output-padding", help="Transposed: output_padding.")] = None,
    ceil: Annotated[bool, _opt("--ceil", help="Pooling in ceil mode.")] = False,
    framework: Annotated[Optional[str], _opt("--framework", help="'same' rule: torch or keras.")] = None,
    x: Annotated[Optional[str], _opt("--x", help="correlate/convolve/pool_exact: the input matrix.")] = None,
    f: Annotated[Optional[str], _opt("--f", help="correlate/convolve: the kernel matrix.")] = None,
    mode: Annotated[Optional[str], _opt("--mode", help="correlate/convolve: valid, same or full.")] = None,
    cell: Annotated[Optional[str], _opt("--cell", help="Check one output cell I,J instead of the matrix.")] = None,
    avg: Annotated[bool, _opt("--avg", help="pool_exact: average pooling (default max).")] = False,
    spec: Annotated[Optional[str], _opt("--spec", help="Stack kinds: a preset (hw5, lenet5...) or layer list.")]
    = None,
    layer: Annotated[Optional[int], _opt("--layer", help="Stack kinds: the layer asked about (1-based).")] = None,
    relative_to: Annotated[Optional[int], _opt("--relative-to", help="rf: measure on this layer's output.")]
    = None,
    layout: Annotated[Optional[str], _opt("--layout", help="stack_shape: nchw (default) or nhwc.")] = None,
    convention: Annotated[Optional[str], _opt("--convention", help="macs: counting convention.")] = None,
    batch: Annotated[Optional[int], _opt("--batch", help="macs: batch size.")] = None,
    working: Annotated[bool, typer.Option("--working", help="Show the working of right answers too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for autograders.")] = False,
) -> None:
    """Check homework answers: one row per question, and the working and likely mistake for each wrong one.

    Example: convcalc check outsize --in 16 --k 2 --s 2 --p 1 --d 4 --answer 7
    """
    from convcalc.check import KINDS, Report, check_file, check_question
    from convcalc.errors import ConvCalcError

    inline = {"answer": answer, "in": size, "kernel": kernel, "stride": stride, "padding": padding,
              "dilation": dilation, "output_padding": output_padding, "ceil_mode": ceil or None,
              "framework": framework, "x": x, "f": f, "mode": mode, "cell": cell, "op": "avg" if avg else None,
              "spec": spec, "layer": layer, "relative_to": relative_to, "layout": layout,
              "convention": convention, "batch": batch}
    given = {key: value for key, value in inline.items() if value is not None}
    kind = target.strip().lower().replace("-", "_")
    if kind in KINDS:
        if "answer" not in given:
            raise ConvCalcError(f"checking one {kind} answer needs --answer")
        if kind in ("correlate", "convolve", "pool_exact"):
            given = _inline_matrices(given)
        report = Report((check_question({"id": kind, "kind": kind, **given}),), "inline")
    else:
        if not target.lower().endswith(".toml") and not _exists(target):
            raise ConvCalcError(f"{target!r} is neither an answer file nor a kind; use a .toml file or one of "
                                f"{_KIND_HELP}")
        if given:
            raise ConvCalcError(f"{target!r} is an answer file, which holds its own fields; options such as "
                                f"--answer or --in check one inline answer, whose first argument is a kind "
                                f"({_KIND_HELP})")
        report = check_file(target)
    if as_json:
        print_json(report.to_dict())
    else:
        console.print(render_report(report, working))
    if not report.all_right:
        raise typer.Exit(code=1)


def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_file()


def _inline_matrices(given: dict[str, Any]) -> dict[str, Any]:
    """Inline matrices may be files or ``-``: read them here; literals are parsed by the checker."""
    from convcalc.matrix_input import parse_matrix

    out = dict(given)
    for key, name in (("x", "X"), ("f", "F")):
        if key in out:
            out[key] = parse_matrix(out[key], name)
    if "cell" not in out:
        out["answer"] = parse_matrix(out["answer"], "answer")
    return out


# --------------------------------------------------------------------------- pure builders
def _short(value: Any) -> str:
    """A compact answer for the table: ``7``, ``7x7``, ``(1, 2)``, ``4x4 matrix``, ``5/3``."""
    if isinstance(value, list):
        return f"{len(value)}x{len(value[0])} matrix"
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return ", ".join(f"({lo}, {hi})" for lo, hi in value)
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10000 else str(value)


def render_report(report: Report, working: bool = False) -> RenderableType:
    """The verdict table, then for each wrong answer (or every answer with ``working``) the details."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name, justify in (("id", "left"), ("kind", "left"), ("given", "right"), ("correct", "right"),
                          ("verdict", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for v in report.verdicts:
        verdict = Text("right", style="green") if v.ok else Text("WRONG", style="bold red")
        table.add_row(v.id, v.kind, _short(v.given), _short(v.correct), verdict)
    parts: list[Any] = [table]
    for v in report.verdicts:
        if not v.ok or working:
            parts += [Text(""), render_verdict(v)]
    total = len(report.verdicts)
    style = "bold green" if report.all_right else "bold red"
    parts += [Text(""), Text(f"{report.right} of {total} right", style=style)]
    return Group(*parts)


def render_verdict(v: Verdict) -> RenderableType:
    """The working of one question, its diagnoses, and for a wrong matrix the wrong cells and their working."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from convcalc.cli.correlate import matrix_table, render_cell_working

    def indent(renderable: Any) -> Padding:
        return Padding(renderable, (0, 0, 0, 2), expand=False)

    head = Text(f"{v.id} ({v.kind}): ", style="bold")
    head.append("right" if v.ok else "wrong", style="green" if v.ok else "bold red")
    parts: list[Any] = [head]
    if not v.ok:
        mistakes = [d for d in v.diagnoses if d.code not in _CELL_CODES]
        for n, d in enumerate(mistakes):
            parts.append(indent(Text.assemble(("likely mistake: " if n == 0 else "or perhaps: ", "yellow"),
                                              d.message)))
        parts += [indent(Text.assemble(("cells: ", "yellow"), d.message)) for d in v.diagnoses
                  if d.code in _CELL_CODES]
        if not mistakes:
            parts.append(indent(Text("no usual mistake recognised; compare with the working", style="dim")))
    shown = v.working[:len(v.working) - len(v.cells)]  # the cells' working is drawn below, laid out
    parts += [indent(Text(line)) for line in shown]
    if isinstance(v.given, list) and isinstance(v.correct, list) and not v.ok:
        if v.wrong_cells:
            parts.append(indent(matrix_table(v.given, "your answer, wrong cells in red (0-indexed)",
                                             wrong=set(v.wrong_cells))))
        parts.append(indent(matrix_table(v.correct, "correct")))
    for w in v.cells:
        if hasattr(w, "products"):
            parts.append(indent(render_cell_working(w)))
        else:
            parts.append(indent(Text(f"Y({w.cell[0]},{w.cell[1]}) = {w.text()}")))
    return Group(*parts)


_CELL_CODES = ("wrong_cells", "wrong_shape")
