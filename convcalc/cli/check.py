"""`convcalc check`: check a file of homework answers, or one answer given inline.

    convcalc check answers.toml                    # every [[question]] of the file
    convcalc check outsize --in 16 --k 2 --s 2 --p 1 --d 4 --answer 7

Exit status: 0 when every answer is right, 1 when any is wrong, 2 for a
malformed file or question (the message names the question and the field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from convcalc.cli._console import print_json

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from convcalc.check import Report
    from convcalc.diagnose import Verdict

app = typer.Typer(rich_markup_mode=None)  # help text is plain: square brackets stay

_KIND_HELP = ("outsize, transposed, pool, same_padding, stack_shape, params, macs, rf, correlate, convolve, "
              "pool_exact")

#: The command-line option of each question field (inline checking); the file format's names are the fields.
OPTIONS = {
    "size": "--in", "input": "--in", "kernel": "--k", "stride": "--s", "padding": "--p", "dilation": "--d",
    "output_padding": "--output-padding", "ceil_mode": "--ceil", "framework": "--framework", "x": "--x",
    "f": "--f", "mode": "--mode", "cell": "--cell", "op": "--avg", "spec": "--spec", "layer": "--layer",
    "relative_to": "--relative-to", "layout": "--layout", "convention": "--convention", "batch": "--batch",
}


def _opt(*names: str, help: str, metavar: Optional[str] = None) -> Any:
    return typer.Option(*names, help=help, show_default=False, metavar=metavar)


@app.command(context_settings={"ignore_unknown_options": True})
def check(
    target: Annotated[str, typer.Argument(
        metavar="FILE|KIND", show_default=False,
        help=f"An answer file such as examples/hw5_answers.toml, or the kind of one inline answer: {_KIND_HELP}.")],
    answer: Annotated[Optional[str], _opt(
        "--answer", metavar="A", help="Inline: the answer to check (7, 7x7, 1:2 for lo:hi padding, 542230, or "
                                      "a matrix), e.g. --answer 7 or --answer '68 23; -54 -19'.")] = None,
    size: Annotated[Optional[str], _opt(
        "--in", metavar="SIZE", help="Input size, e.g. --in 16 or --in 28x28; for stack kinds the shape "
                                     "of one sample, e.g. --in 1x28x28.")] = None,
    kernel: Annotated[Optional[str], _opt("--k", metavar="K", help="Kernel or pool window, e.g. --k 3 or "
                                                                    "--k 3x5.")] = None,
    stride: Annotated[Optional[str], _opt("--s", metavar="S", help="Stride, e.g. --s 2.")] = None,
    padding: Annotated[Optional[str], _opt(
        "--p", metavar="P", help="Padding: 1, 1,2 (per axis), 0:1 (lo:hi), valid, same or full; e.g. --p 1.")]
    = None,
    dilation: Annotated[Optional[str], _opt("--d", metavar="D", help="Dilation, 1 = none; e.g. --d 4.")] = None,
    output_padding: Annotated[Optional[str], _opt(
        "--output-padding", metavar="N", help="transposed: output_padding, e.g. --output-padding 1.")] = None,
    ceil: Annotated[bool, _opt("--ceil", help="pool, pool_exact: ceil mode (PyTorch's rule).")] = False,
    framework: Annotated[Optional[str], _opt(
        "--framework", metavar="torch|keras", help="'same' padding rule, e.g. --framework keras.")] = None,
    x: Annotated[Optional[str], _opt(
        "--x", metavar="MATRIX", help="correlate, convolve, pool_exact: the input matrix, e.g. --x '1 2; 3 4' "
                                      "or --x x.csv.")] = None,
    f: Annotated[Optional[str], _opt(
        "--f", metavar="MATRIX", help="correlate, convolve: the kernel matrix, e.g. --f '1 0; 0 -1'.")] = None,
    mode: Annotated[Optional[str], _opt(
        "--mode", metavar="valid|same|full", help="correlate, convolve: the mode, e.g. --mode same.")] = None,
    cell: Annotated[Optional[str], _opt(
        "--cell", metavar="I,J", help="correlate, convolve, pool_exact: check one output cell (0-indexed) "
                                      "instead of the matrix, e.g. --cell 0,0.")] = None,
    avg: Annotated[bool, _opt("--avg", help="pool_exact: average pooling (default: max).")] = False,
    spec: Annotated[Optional[str], _opt(
        "--spec", metavar="SPEC", help="Stack kinds: a preset (hw5, hw5-2conv, lenet5, alexnet, vgg16) or a "
                                       "layer list, e.g. --spec 'conv(8,3) conv(8,3)'.")] = None,
    layer: Annotated[Optional[str], _opt(
        "--layer", metavar="N", help="Stack kinds: the layer asked about, counted from 1 (default: the last; "
                                     "for params and macs the whole network), e.g. --layer 3.")] = None,
    relative_to: Annotated[Optional[str], _opt(
        "--relative-to", metavar="N", help="rf: measure on layer N's output instead of the input, "
                                           "e.g. --relative-to 1.")] = None,
    layout: Annotated[Optional[str], _opt(
        "--layout", metavar="nchw|nhwc", help="stack_shape: shape order, e.g. --layout nhwc for 13x13x32.")]
    = None,
    convention: Annotated[Optional[str], _opt(
        "--convention", metavar="NAME", help="params: keras (default: with BatchNorm's running mean/var), torch "
                                             "(parameters() only) or trainable; macs: torchvision (default), "
                                             "torchinfo, fvcore, ptflops, thop or flops; e.g. --convention torch.")] = None,
    batch: Annotated[Optional[str], _opt("--batch", metavar="N", help="macs: batch size, e.g. --batch 32.")]
    = None,
    data_dir: Annotated[Optional[str], _opt(
        "--data-dir", metavar="DIR", help="Answer files: the folder the file's paths (x = \"x.csv\", spec = "
                                          "\"net.txt\") resolve in (default: the answer file's folder); paths "
                                          "never leave it, e.g. --data-dir /srv/hw5/data.")] = None,
    working: Annotated[bool, typer.Option("--working", help="Show the working of right answers too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (verdicts, working, "
                                                         "diagnoses), for autograders.")] = False,
) -> None:
    """Check homework answers: one row per question, and the working and likely mistake for each wrong one.

    Exit status: 0 all right, 1 any wrong, 2 a malformed file or question.
    Examples: convcalc check examples/hw5_answers.toml;
    convcalc check outsize --in 16 --k 2 --s 2 --p 1 --d 4 --answer 7
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
        if data_dir is not None:
            raise ConvCalcError("--data-dir applies to answer files only; an inline answer names its files itself")
        _check_inline_options(kind, given)
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
        report = check_file(target, data_dir)
    if as_json:
        print_json(report.to_dict())
    else:
        from convcalc.cli._stack_render import emit

        emit(render_report(report, working))
    if not report.all_right:
        raise typer.Exit(code=1)


def _check_inline_options(kind: str, given: dict[str, Any]) -> None:
    """Name the command-line options (not the file's fields) when an inline question lacks or misuses one."""
    from convcalc.check import KIND_FIELDS
    from convcalc.errors import ConvCalcError

    allowed, required = KIND_FIELDS[kind]
    usable = sorted({OPTIONS[name] for name in allowed if name in OPTIONS}, key=list(OPTIONS.values()).index)
    for key in given:
        names = ("size", "input") if key == "in" else (key,)
        if key != "answer" and not any(name in allowed for name in names):
            raise ConvCalcError(f"{OPTIONS[names[0]]} does not apply to {kind}; its options are "
                                f"{', '.join(usable)} and --answer")
    missing = [OPTIONS[name] for name in required if name not in given and not (name in ("size", "input")
                                                                                and "in" in given)]
    missing += [] if "answer" in given else ["--answer"]
    if missing:
        raise ConvCalcError(f"checking one {kind} answer needs {' and '.join(missing)}, e.g. "
                            f"{_EXAMPLES.get(kind, 'see convcalc check --help')}")


#: One inline example per kind, for the error that says what is missing.
_EXAMPLES = {
    "outsize": "convcalc check outsize --in 16 --k 2 --s 2 --p 1 --d 4 --answer 7",
    "transposed": "convcalc check transposed --in 7 --k 3 --s 2 --p 1 --output-padding 1 --answer 14",
    "pool": "convcalc check pool --in 5 --k 2 --s 2 --p 1 --ceil --answer 3",
    "same_padding": "convcalc check same_padding --in 16 --k 4 --answer 1:2",
    "stack_shape": "convcalc check stack_shape --spec hw5 --layer 3 --answer 32x13x13",
    "params": "convcalc check params --spec hw5 --answer 542230",
    "macs": "convcalc check macs --spec hw5 --answer 736488",
    "rf": "convcalc check rf --spec 'conv(8,3) conv(8,3) conv(8,3)' --in 1x16x16 --answer 7",
    "correlate": "convcalc check correlate --x '1 2; 3 4' --f '1 0; 0 1' --answer 5",
    "convolve": "convcalc check convolve --x '1 2; 3 4' --f '1 0; 0 1' --answer 5",
    "pool_exact": "convcalc check pool_exact --x '1 2; 3 4' --k 2 --avg --answer 5/2",
}


def _exists(path: str) -> bool:
    from pathlib import Path

    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte: not an answer file
        return False


def _inline_matrices(given: dict[str, Any]) -> dict[str, Any]:
    """Inline matrices may be files or ``-``: read them here; literals are parsed by the checker."""
    from convcalc.cli.correlate import check_one_stdin
    from convcalc.matrix_input import parse_matrix

    check_one_stdin(given.get("x"), given.get("f"), given.get("answer"))
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
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = [verdict_grid(report)]
    detailed = [v for v in report.verdicts if not v.ok or working]
    for v in detailed[:MAX_DETAILS]:
        parts += [Text(""), render_verdict(v)]
    if len(detailed) > MAX_DETAILS:
        rest = len(detailed) - MAX_DETAILS
        parts += [Text(""), Text(f"... the working of {rest:,} more question{'s' if rest != 1 else ''} is left out "
                                 f"(at most {MAX_DETAILS:,} are written out; --json has every one)", style="yellow")]
    total = len(report.verdicts)
    style = "bold green" if report.all_right else "bold red"
    parts += [Text(""), Text(f"{report.right} of {total} right", style=style)]
    return Group(*parts)


def printable(text: str) -> str:
    r"""``text`` with control characters escaped (``\x1b``, ``\r``): an id from an answer file never reaches
    the terminal raw (an escape sequence could clear it or colour the rest of the report).

    >>> printable("q1\x1b[2J")
    'q1\\x1b[2J'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: The most questions whose working the report writes out (each takes ~2 ms to lay out; --json has all).
MAX_DETAILS = 1_000

#: The verdict table's columns: title and alignment.
_COLUMNS = (("id", "left"), ("kind", "left"), ("given", "right"), ("correct", "right"), ("verdict", "left"))


def verdict_grid(report: Report) -> RenderableType:
    """One row per question as a single ``Text`` (the look of a Rich ``SIMPLE_HEAD`` table).

    A Rich ``Table`` measures every cell several times: 20,000 rows took about
    17 s. One ``Text`` with the column widths computed once is linear and
    takes a fraction of a second.
    """
    from rich.text import Text

    rows = [(printable(v.id), v.label or v.kind, _short(v.given), _short(v.correct), "right" if v.ok else "WRONG")
            for v in report.verdicts]
    titles = [title for title, _ in _COLUMNS]
    widths = [max([len(titles[c])] + [len(row[c]) for row in rows]) for c in range(len(titles))]

    def line(cells: tuple[str, ...] | list[str]) -> list[str]:
        out = []
        for c, (text, width) in enumerate(zip(cells, widths)):
            out.append(text.rjust(width) if _COLUMNS[c][1] == "right" else text.ljust(width))
        return out

    grid = Text(no_wrap=True, overflow="ignore")
    grid.append("   ".join(line(titles)).rstrip(), style="bold")
    grid.append("\n" + "─" * (sum(widths) + 3 * (len(widths) - 1)))
    for row, v in zip(rows, report.verdicts):
        cells = line(row)
        grid.append("\n" + "   ".join(cells[:-1]) + "   ")
        grid.append(row[-1], style="green" if v.ok else "bold red")
    return grid


def render_verdict(v: Verdict) -> RenderableType:
    """The working of one question, its diagnoses, and for a wrong matrix the wrong cells and their working."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from convcalc.cli._stack_render import Prose
    from convcalc.cli.correlate import matrix_table, render_cell_working

    head = Text(f"{printable(v.id)} ({v.label or v.kind}): ", style="bold")
    head.append("right" if v.ok else "wrong", style="green" if v.ok else "bold red")
    body: list[Any] = []  # indented by one Padding: a Padding per line made long reports slow
    if not v.ok:
        mistakes = [d for d in v.diagnoses if d.code not in _CELL_CODES]
        for n, d in enumerate(mistakes):
            body.append(Prose.assemble(("likely mistake: " if n == 0 else "or perhaps: ", "yellow"), d.message))
        body += [Prose.assemble(("cells: ", "yellow"), d.message) for d in v.diagnoses if d.code in _CELL_CODES]
        if not mistakes:
            body.append(Prose("no usual mistake recognised; compare with the working", style="dim"))
    shown = v.working[:len(v.working) - len(v.cells)]  # the cells' working is drawn below, laid out
    if shown:
        body.append(Prose("\n".join(shown)))  # one Text: each line still wraps on its own
    if isinstance(v.correct, list):  # a matrix: wrong cells marked in the answer, then the right one
        if isinstance(v.given, list) and v.wrong_cells:
            body.append(matrix_table(v.given, "your answer, wrong cells in [brackets] (0-indexed)",
                                     wrong=set(v.wrong_cells)))
        body.append(matrix_table(v.correct, "correct"))
    for w in v.cells:
        if hasattr(w, "products"):
            body.append(render_cell_working(w))
        else:
            body.append(Text(f"Y({w.cell[0]},{w.cell[1]}) = {w.text()}"))
    if not body:
        return head
    return Group(head, Padding(Group(*body), (0, 0, 0, 2), expand=False))


_CELL_CODES = ("wrong_cells", "wrong_shape")
