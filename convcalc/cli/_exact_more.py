"""`convcalc correlate` for channels (C x H x W, summed over channels) and `--transposed`: compute and render.

Called by :func:`convcalc.cli.correlate.correlate` once the matrices are parsed;
shares its grid and working builders, so plain text keeps the same look.
"""

from __future__ import annotations

from typing import Any, Optional

from convcalc.cli._console import print_json
from convcalc.errors import ConvCalcError, invalid


def depth(value: Any) -> int:
    """2 for a matrix, 3 for C matrices, 4 for O lists of C matrices."""
    n = 0
    while isinstance(value, list) and value:
        n, value = n + 1, value[0]
    return n


def _negative(value: Any) -> bool:
    try:
        return bool(value < 0)
    except TypeError:  # a sympy expression of unknown sign
        return False


def _bias_option(text: Optional[str]) -> Any:
    if text is None:
        return None
    from convcalc.matrix_input import matrix_from_text

    return matrix_from_text(text.replace(",", " "), "bias")[0]


def _map_cells(explain: Optional[list[str]], maps: int, rows: int, cols: int) -> list[tuple[int, int, int]]:
    """``I,J`` (every output map), ``O,I,J`` (one map) or ``all`` into (map, row, col) triples, each once."""
    from convcalc.cli.correlate import MAX_EXPLAIN_CELLS

    cells: list[tuple[int, int, int]] = []
    for item in explain or []:
        if item.strip().lower() == "all":
            if maps * rows * cols > MAX_EXPLAIN_CELLS:
                raise invalid("explain", item, f"at most {MAX_EXPLAIN_CELLS:,} cells; the output has "
                                               f"{maps * rows * cols:,}: name cells, e.g. --explain 0,0")
            cells += [(o, i, j) for o in range(maps) for i in range(rows) for j in range(cols)]
            continue
        try:
            parts = [int(p) for p in item.replace("(", "").replace(")", "").split(",")]
        except ValueError:
            parts = []
        if len(parts) not in (2, 3):
            raise invalid("explain", item, "a cell I,J (every output map) or O,I,J (map O), 0-indexed, or 'all'")
        o_range = range(maps) if len(parts) == 2 else [parts[0]]
        i, j = parts[-2:]
        if not (all(0 <= o < maps for o in o_range) and 0 <= i < rows and 0 <= j < cols):
            raise invalid("explain", item, f"a cell of the {maps}x{rows}x{cols} output (map 0..{maps - 1}, "
                                           f"I in 0..{rows - 1}, J in 0..{cols - 1})")
        cells += [(o, i, j) for o in o_range]
    return list(dict.fromkeys(cells))


def channels(xt: Any, ft: Any, options: dict[str, Any], flip: bool, bias: Optional[str],
             explain: Optional[list[str]], max_work: Optional[int], as_json: bool) -> None:
    """Multi-channel correlation: one output map per filter, each cell a sum over channels."""
    from convcalc import exact
    from convcalc.cli.correlate import (
        _describe, cell_working_json, input_with_window, json_matrix, json_value, matrix_table,
        render_cell_working,
    )

    if flip:
        raise ConvCalcError("--convolve works on one channel; a multi-channel layer is a correlation "
                            "(as PyTorch Conv2d): drop --convolve")
    if depth(xt) > 3:
        raise ConvCalcError(f"X must be a matrix or C matrices separated by | (C x H x W); it is {depth(xt)}-D")
    biases = _bias_option(bias)
    y = exact.correlate_channels(xt, ft, bias=biases, max_work=max_work, **options)
    maps = y if depth(ft) == 4 else [y]
    xs = exact.channels.as_channels(xt, "x")
    cells = _map_cells(explain, len(maps), len(maps[0]), len(maps[0][0]))
    workings = [exact.explain_channels(xt, ft, i, j, out=o, bias=biases, **options) for o, i, j in cells]
    shape = [len(maps), len(maps[0]), len(maps[0][0])] if depth(ft) == 4 else [len(y), len(y[0])]
    if as_json:
        data: dict[str, Any] = {"output": [json_matrix(m) for m in maps] if depth(ft) == 4 else json_matrix(y),
                                "shape": shape, "channels": len(xs)}
        if workings:
            data["working"] = [{"map": w.out, "cell": list(w.cell), "channels": [cell_working_json(c)
                                                                                 for c in w.channels],
                                "bias": json_value(w.bias), "sum": json_value(w.total)} for w in workings]
        print_json(data)
        return
    from rich.text import Text

    from convcalc.cli._stack_render import emit

    parts: list[Any] = []
    many = len(maps) > 1
    for o, m in enumerate(maps):
        b = biases[o] if biases is not None else 0
        name = f"Y[{o}]" if many else "Y"
        kernel = f"F[{o}][c]" if many else "F[c]"
        plus = "" if b == 0 else f" - {-b}" if _negative(b) else f" + {b}"
        parts += [Text(""), matrix_table(
            m, f"{name} = sum over c of X[c] ⋆ {kernel}{plus}  ({_describe(options, 'correlation')}, "
               f"{len(xs)} channel{'s' if len(xs) != 1 else ''}, {len(m)}x{len(m[0])})")]
    parts = parts[1:]
    for w in workings:
        name = f"Y[{w.out}]" if many else "Y"
        parts += [Text(""), Text(f"{name}({w.cell[0]},{w.cell[1]}), channel by channel:", style="bold")]
        for c, cw in enumerate(w.channels):
            f_name = f"F[{w.out}][{c}]" if many else f"F[{c}]"
            parts += [Text(""), input_with_window(xs[c], cw.rows, cw.cols, cw.cell, x_name=f"X[{c}]", y_name=name),
                      render_cell_working(cw, x_name=f"X[{c}]", f_name=f_name, y_name=f"{name}[c={c}]")]
        parts.append(Text(f"{name}({w.cell[0]},{w.cell[1]}) = {w.text()}", style="bold"))
    emit(*parts)


def transposed(xt: Any, ft: Any, options: dict[str, Any], output_padding: Optional[str], flip: bool,
               bias: Optional[str], explain: Optional[list[str]], max_work: Optional[int], as_json: bool) -> None:
    """Transposed convolution of one channel, PyTorch ConvTranspose2d's geometry."""
    from convcalc import exact
    from convcalc.cli.correlate import _cells, _pair_option, _text, json_matrix, json_value, matrix_table

    if depth(xt) != 2 or depth(ft) != 2:
        raise ConvCalcError("--transposed works on one channel: X and F must be matrices (no | or ||)")
    for given, why in ((flip, "--convolve"), (bias is not None, "--bias")):
        if given:
            raise ConvCalcError(f"{why} does not apply with --transposed")
    if str(options["mode"]).strip().lower() != "valid":
        raise ConvCalcError("--mode does not apply with --transposed; use --padding to crop the output")
    padding = 0 if options["padding"] is None else options["padding"]
    op = 0 if output_padding is None else _pair_option(output_padding, "output_padding")
    geometry = {"stride": options["stride"], "padding": padding, "output_padding": op,
                "dilation": options["dilation"]}
    y = exact.conv_transpose(xt, ft, max_work=max_work, **geometry)
    workings = [exact.explain_transposed(xt, ft, i, j, **geometry) for i, j in _cells(explain, len(y), len(y[0]))]
    if as_json:
        data: dict[str, Any] = {"output": json_matrix(y), "shape": [len(y), len(y[0])]}
        if workings:
            data["working"] = [{"cell": list(w.cell), "sum": json_value(w.total), "terms": [
                {"input": list(a), "kernel": list(u), "x": json_value(xv), "f": json_value(fv),
                 "product": json_value(p)} for a, u, xv, fv, p in w.terms]} for w in workings]
        print_json(data)
        return
    from rich.text import Text

    from convcalc.cli._stack_render import Prose, emit

    words = ["transposed convolution"]
    for key, none in (("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1)):
        if geometry[key] not in (none, (none, none)):
            words.append(f"{key} {_text(geometry[key])}")
    parts: list[Any] = [matrix_table(y, f"Y = X ⋆ᵀ F  ({', '.join(words)}, {len(y)}x{len(y[0])})")]
    if workings:
        g = workings[0].geometry
        parts += [Text(""), Prose(f"X(a,b)*F(u,v) lands on Y(a*{g.stride[0]} + u*{g.dilation[0]} - "
                                  f"{g.padding[0][0]}, b*{g.stride[1]} + v*{g.dilation[1]} - {g.padding[1][0]})",
                                  style="dim")]
    for w in workings:
        parts.append(Text(f"Y({w.cell[0]},{w.cell[1]}) = {w.text()}"))
    emit(*parts)
