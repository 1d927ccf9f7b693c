"""The numbers of a transposed-convolution picture, every one from :mod:`convcalc.exact`.

:func:`with_numbers` takes the geometry-only :class:`~convcalc.draw.model.Figure`
of a transposed convolution (``view="direct"`` or ``"scatter"``) and writes the
matrices into its cells. Nothing is computed here: the output is
:func:`convcalc.exact.conv_transpose`, the highlighted cell's sum and the
products are :func:`convcalc.exact.explain_transposed` (its ``terms``).

Direct view: the input values sit at their stretched positions ``(a*s, b*s)``
(zeros between and in the padding), and each window cell carries the weight it
meets: the kernel rotated 180°, because PyTorch's ``conv_transpose2d`` is the
adjoint of its ``conv2d`` (a correlation), so input ``a`` reaches output
``i = a*s + u*d - p_lo`` through window tap ``k - 1 - u`` (Dumoulin & Visin
2016, section 4). The weight under each contributing cell is read from the
working's terms, and checked against the rotated index.

Scatter view: input cell ``(a, b)`` adds ``x[a, b] * f[u, v]`` to output cell
``(a*s + u*d - p_lo, b*s + v*d - p_left)``; each written cell is tagged with
that product (the working's term of that cell for that input cell).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

__all__ = ["with_numbers"]


def format_value(v: Any) -> str:
    """An exact value as the workings write it (``3``, ``-1/2``), as :func:`convcalc.draw.model.format_value`."""
    from convcalc.exact.values import term

    return term(v, bracket=False)


def _values(grid: Any, value: Any) -> Any:
    rows, cols = grid.shape
    vals = tuple(tuple(value(grid.row0 + a, grid.col0 + b) for b in range(cols)) for a in range(rows))
    return replace(grid, values=vals)


def with_numbers(fig: Any, xm: list, fm: list, stride: tuple[int, int], pads: Any, output_padding: tuple[int, int],
                 dilation: tuple[int, int]) -> Any:
    """``fig`` (a :class:`~convcalc.draw.model.Figure` of a transposed convolution of ``xm`` by ``fm``) with the
    numbers written in: values in the grids, a kernel grid, each frame's working and per-cell tags.

    This module sits below :mod:`convcalc.draw.model` (which calls it) and builds
    its grids with :func:`dataclasses.replace`, so it imports nothing from it.

    Examples
    --------
    >>> from convcalc.draw.model import build_figure
    >>> fig = build_figure(None, None, 2, op="transposed", x=[[0, 1], [2, 3]], f=[[0, 1], [2, 3]], cell=(1, 1))
    >>> [g.name for g in fig.grids]
    ['input', 'kernel', 'output']
    >>> fig.grids[-1].values  # d2l 14.10 with stride 2
    (('0', '0', '0', '1'), ('0', '0', '2', '3'), ('0', '2', '0', '3'), ('4', '6', '6', '9'))
    >>> fig.frames[0].note
    'y[1, 1] = X(0,0)*F(1,1) = 0*3 = 0'
    """
    from convcalc.exact import conv_transpose, explain_transposed

    s, d, a = stride, dilation, output_padding
    y = conv_transpose(xm, fm, stride=s, padding=pads, output_padding=a, dilation=d)
    out = (len(y), len(y[0]))
    if out != tuple(fig.output):
        raise AssertionError("exact.conv_transpose's output size disagrees with the drawn geometry")
    workings: dict[tuple[int, int], Any] = {}

    def working(i: int, j: int) -> Any:
        if (i, j) not in workings:
            workings[(i, j)] = explain_transposed(xm, fm, i, j, stride=s, padding=pads, output_padding=a, dilation=d)
        return workings[(i, j)]

    k = (len(fm), len(fm[0]))
    grids = {g.name: g for g in fig.grids}

    def out_value(r: int, c: int) -> str:
        return format_value(y[r][c]) if 0 <= r < out[0] and 0 <= c < out[1] else ""

    frames = []
    if fig.view == "direct":
        def stretched(r: int, c: int) -> str:  # input at (a*s, b*s), zeros everywhere else
            if 0 <= r <= (len(xm) - 1) * s[0] and 0 <= c <= (len(xm[0]) - 1) * s[1] and r % s[0] == 0 \
                    and c % s[1] == 0:
                return format_value(xm[r // s[0]][c // s[1]])
            return "0"

        kernel = replace(grids["input"], name="kernel", title=f"kernel {k[0]}x{k[1]} rotated 180°", row0=0, col0=0,
                         kinds=tuple(("kernel",) * k[1] for _ in range(k[0])),
                         values=tuple(tuple(format_value(fm[k[0] - 1 - r][k[1] - 1 - c]) for c in range(k[1]))
                                      for r in range(k[0])))
        new_grids = (_values(grids["input"], stretched), kernel, _values(grids["output"], out_value))
        for fr in fig.frames:
            (i, j), = [(r, c) for g, r, c, m in fr.marks if g == "output" and m == "target"]
            w = working(i, j)
            window = [(r, c) for g, r, c, m in fr.marks if g == "input" and m == "window"]
            rows, cols = sorted({r for r, _ in window}), sorted({c for _, c in window})
            weight = {(r, c): fm[k[0] - 1 - u][k[1] - 1 - v] for u, r in enumerate(rows) for v, c in enumerate(cols)}
            from_terms = {(ai * s[0], bi * s[1]): fv for (ai, bi), _, _, fv, _ in w.terms}
            if any(weight.get(rc) != fv for rc, fv in from_terms.items()):
                raise AssertionError("the rotated kernel disagrees with exact.explain_transposed's terms")
            weights = tuple(("input", r, c, "×" + format_value(from_terms.get((r, c), weight[(r, c)])))
                            for r, c in window)
            frames.append(replace(fr, note=f"y[{i}, {j}] = " + w.text(), tags=weights))
        lines = fig.lines + ("the kernel is rotated 180°: PyTorch's conv_transpose2d is the adjoint of its conv2d, "
                             "a correlation",)
    else:
        kernel = replace(grids["input"], name="kernel", title=f"kernel {k[0]}x{k[1]}", row0=0, col0=0,
                         kinds=tuple(("kernel",) * k[1] for _ in range(k[0])),
                         values=tuple(tuple(format_value(v) for v in row) for row in fm))
        new_grids = (_values(grids["input"], lambda r, c: format_value(xm[r][c])), kernel,
                     _values(grids["output"], out_value))
        target = [(r, c) for fr in fig.frames for g, r, c, m in fr.marks if m == "target"]
        for fr in fig.frames:
            sources = [(r, c) for g, r, c, m in fr.marks if m == "source"]
            tags: tuple[tuple[str, int, int, str], ...] = ()
            if sources:
                (ai, bi), = sources
                products = []
                for g, r, c, m in fr.marks:
                    if m == "write" and 0 <= r < out[0] and 0 <= c < out[1]:  # cropped cells have no working
                        term, = [t for t in working(r, c).terms if t[0] == (ai, bi)]
                        products.append(("output", r, c, "+" + format_value(term[4])))
                tags = tuple(products)
                note = f"x[{ai}, {bi}] = {format_value(xm[ai][bi])}: x times the kernel is added into the output"
            else:
                note = ""
            if target:
                note = f"y[{target[0][0]}, {target[0][1]}] = " + working(*target[0]).text()
            frames.append(replace(fr, note=note, tags=tags))
        lines = fig.lines
    return replace(fig, grids=new_grids, frames=tuple(frames), lines=lines)
