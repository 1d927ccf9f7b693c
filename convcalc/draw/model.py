"""The geometry of a picture: which cell is what, and where each window sits, all from the library.

Nothing here computes a size. The output size, the padding per side and the
notes come from :func:`convcalc.working.explain_output_size` (which calls
:mod:`convcalc.arithmetic`); where each window sits comes from
:meth:`convcalc.exact.Geometry.window`; the dropped ceil-mode window from
:func:`convcalc.arithmetic.ceil_window_dropped`. This module only records,
per drawn cell, what kind of cell it is (input, padding, never covered, an
inserted zero, ...) and, per frame, which cells one window covers.

Coordinates are the library's: row/column ``0`` is the first input cell, so a
padding cell before the input has a negative index (``-1``), exactly as
:attr:`convcalc.exact.CellWorking.rows` reports it.

Transposed convolution is drawn two ways (Dumoulin & Visin 2016, section 4):
``view="scatter"`` scatters each input cell into the output
(``y*s + u*d - p_lo``, PyTorch ``ConvTranspose2d``), ``view="direct"`` shows
the equivalent direct convolution with stride 1 over the input stretched by
``s - 1`` zeros between cells and padded by ``d*(k - 1) - p_lo`` before and
``d*(k - 1) - p_hi + output_padding`` after (the ``output_padding`` border on
the bottom/right).

The figure's types and limits are in :mod:`convcalc.draw.figure` and the
transposed pictures in :mod:`convcalc.draw.transposed_views`; the names stay
importable from here.
"""

from __future__ import annotations

from typing import Any

from convcalc.arithmetic import ceil_window_dropped
from convcalc.draw.figure import (  # noqa: F401  (KINDS, Grid, VIEWS: re-exported, as before the split)
    KINDS,
    MAX_CELLS_PER_AXIS,
    MAX_FRAMES,
    OPS,
    VIEWS,
    Figure,
    Frame,
    Grid,
    _axis_label,
    _check_cell,
    _check_extent,
    _grid,
    _pad_title,
    _per_axis,
    _step_label,
    _two_d,
    format_value,
)
from convcalc.draw.transposed_views import direct_transposed, scatter
from convcalc.errors import ConvCalcError, invalid
from convcalc.exact import Geometry

__all__ = ["Grid", "Frame", "Figure", "build_figure", "format_value", "MAX_CELLS_PER_AXIS", "MAX_FRAMES", "KINDS", "VIEWS"]


def _covered(geom: Geometry, out: tuple[int, int]) -> tuple[set[int], set[int]]:
    """Rows and columns any window touches (a 2-D window is rows x columns, so per axis suffices)."""
    rows = {r for i in range(out[0]) for r in geom.window(i, 0)[0]}
    cols = {c for j in range(out[1]) for c in geom.window(0, j)[1]}
    return rows, cols


def build_figure(size: Any, kernel: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, *,
                 op: str = "conv", ceil_mode: bool = False, output_padding: Any = 0, framework: str = "torch",
                 cell: tuple[int, ...] | None = None, view: str = "direct", x: Any = None, f: Any = None,
                 animate: bool = True, pool_op: str = "max") -> Figure:
    """The picture of one convolution, pooling or transposed convolution, as a :class:`Figure`.

    Parameters are those of :func:`convcalc.explain_output_size` (``op`` is its
    ``kind``), plus ``cell`` (one output cell, ``(i, j)`` or ``(j,)`` in 1-D; None
    for every position, one frame each), ``view`` (transposed only: ``direct``
    or ``scatter``) and ``x``/``f`` (matrices: the numbers are drawn and the
    output comes from :func:`convcalc.exact.correlate`, or for a transposed
    convolution from :func:`convcalc.exact.conv_transpose`, see
    :mod:`convcalc.draw.transposed_numbers`).

    Examples
    --------
    >>> fig = build_figure(5, 3, 2, 1)
    >>> fig.output, len(fig.frames), fig.grids[0].shape
    ((3,), 3, (1, 7))
    >>> build_figure(5, 3, 2, 1, cell=(2,)).frames[0].marks[-1]
    ('output', 0, 2, 'target')
    """
    from convcalc.working import explain_output_size

    if op not in OPS:
        raise invalid("op", op, "one of " + ", ".join(OPS))
    if view not in VIEWS:
        raise invalid("view", view, "one of " + ", ".join(VIEWS))
    if pool_op not in ("max", "avg"):
        raise invalid("pool_op", pool_op, "'max' or 'avg'")
    if op == "pool" and x is not None:  # pooling a matrix: the window size is the kernel, not a matrix
        if f is not None:
            raise ConvCalcError("pooling takes one matrix (x), no kernel matrix f")
        from convcalc.exact import as_matrix

        xm = as_matrix(x, "x")
        size = (len(xm), len(xm[0]))
    elif x is not None or f is not None:
        if x is None or f is None:
            raise ConvCalcError("matrices are drawn for a convolution or a transposed convolution (x and f) "
                                "or pooling (x)")
        from convcalc.exact import as_matrix

        xm, fm = as_matrix(x, "x"), as_matrix(f, "f")
        size, kernel = (len(xm), len(xm[0])), (len(fm), len(fm[0]))
    if stride is None:
        stride = kernel if op == "pool" else 1
    working = explain_output_size(op, size, kernel, stride, padding, dilation, ceil_mode=ceil_mode,
                                  output_padding=output_padding, framework=framework)
    ndim = len(working.axes)
    if ndim > 2:
        raise ConvCalcError(f"convcalc draw draws 1-D and 2-D geometry; got {ndim} axes")
    n, k, s, d, a = (_per_axis(v, ndim, name) for v, name in (
        (size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation"),
        (output_padding, "output_padding")))
    out = tuple(int(v) for v in working.output)
    pads = tuple((int(ax.padding[0]), int(ax.padding[1])) for ax in working.axes)
    for axis in range(ndim):
        _check_extent("the padded input", n[axis] + pads[axis][0] + pads[axis][1])
        _check_extent("the output", out[axis])
    params: dict[str, Any] = {"op": op, "size": list(n), "kernel": list(k), "stride": list(s), "dilation": list(d),
              "padding": [list(p) for p in pads], "output": list(out)}
    if op == "pool":
        params["ceil_mode"] = bool(ceil_mode)
    if op == "transposed":
        params["output_padding"] = list(a)
    lines = [f"{ax.substituted} = {ax.output}" if ndim == 1 else
             f"{'rows' if ax.axis == 0 else 'columns'}: {ax.substituted} = {ax.output}" for ax in working.axes]
    lines += _notes(working.axes, ndim)
    out2 = _two_d(out, 1)
    target = None
    if cell is not None:
        target = _check_cell(cell, ndim, out)
    if op == "transposed":
        fig_args = (n, k, s, d, a, pads, out, ndim, target, params, lines)
        fig = scatter(*fig_args) if view == "scatter" else direct_transposed(*fig_args)
        if x is None:
            return fig
        from convcalc.draw.transposed_numbers import with_numbers  # the numbers, all from convcalc.exact

        return with_numbers(fig, xm, fm, _two_d(s, 1), pads, _two_d(a, 0), _two_d(d, 1))

    n2, k2, s2, d2 = _two_d(n, 1), _two_d(k, 1), _two_d(s, 1), _two_d(d, 1)
    pads2 = ((0, 0), pads[0]) if ndim == 1 else (pads[0], pads[1])
    geom = Geometry(n2, k2, s2, d2, pads2, out2)
    positions = [target] if target is not None else [(i, j) for i in range(out2[0]) for j in range(out2[1])]
    if len(positions) > MAX_FRAMES and animate:
        raise ConvCalcError(f"{len(positions)} output positions is more than the {MAX_FRAMES} frames an animation "
                            "may have; give one output cell with --cell I,J")
    rows_cov, cols_cov = _covered(geom, out2)
    dropped: list[tuple[str, int, int, str]] = []
    if op == "pool" and ceil_mode:
        for axis in range(ndim):
            if ceil_window_dropped(n[axis], k[axis], s[axis], pads[axis][0], pads[axis][1], d[axis]):
                dropped.extend(_dropped_window(geom, out2, 2 - ndim + axis))
    # The drawn extent: the padded input, plus a ceil-mode window hanging past it or a dropped one.
    last = geom.window(out2[0] - 1, out2[1] - 1)
    hi_r = max(n2[0] + pads2[0][1], last[0][-1] + 1, *(r + 1 for _, r, _, _ in dropped))
    hi_c = max(n2[1] + pads2[1][1], last[1][-1] + 1, *(c + 1 for _, _, c, _ in dropped))
    rows, cols = range(-pads2[0][0], hi_r), range(-pads2[1][0], hi_c)
    _check_extent("the drawn input", max(len(rows), len(cols)))

    def input_kind(r: int, c: int) -> str:
        if r >= n2[0] + pads2[0][1] or c >= n2[1] + pads2[1][1]:
            return "outside"
        if not (0 <= r < n2[0] and 0 <= c < n2[1]):
            return "padding"
        return "input" if r in rows_cov and c in cols_cov else "uncovered"

    xv = fv = yv = None
    if x is not None:
        from convcalc.exact import avg_pool, correlate, max_pool

        if op == "pool":  # PyTorch: max pooling ignores padding; average counts it (count_include_pad)
            y = (max_pool(xm, k2, s2, pads2, d2, ceil_mode) if pool_op == "max"
                 else avg_pool(xm, k2, s2, pads2, ceil_mode))
        else:
            y = correlate(xm, fm, stride=s2, dilation=d2, padding=pads2)

        def xv(r: int, c: int) -> str:  # padding holds zeros (ignored by max pooling); past it nothing
            if 0 <= r < n2[0] and 0 <= c < n2[1]:
                return format_value(xm[r][c])
            return "0" if input_kind(r, c) == "padding" and not (op == "pool" and pool_op == "max") else ""

        if op != "pool":
            def fv(r: int, c: int) -> str:
                return format_value(fm[r][c])

        def yv(r: int, c: int) -> str:
            return format_value(y[r][c])
    pad_text = _pad_title(pads, ndim)
    word = "pool window" if op == "pool" else "kernel"
    grids = [_grid("input", f"input {_axis_label(ndim, n)}{pad_text}", rows, cols, input_kind, xv)]
    if fv is not None:
        grids.append(_grid("kernel", f"kernel {_axis_label(ndim, k)}", range(k2[0]), range(k2[1]),
                           lambda r, c: "kernel", fv))
    grids.append(_grid("output", f"output {_axis_label(ndim, out)}", range(out2[0]), range(out2[1]),
                       lambda r, c: "output", yv))
    frames = []
    for i, j in positions:
        rws, cls = geom.window(i, j)
        marks = [("input", r, c, "window") for r in rws for c in cls]
        marks.append(("output", i, j, "target"))
        note, tags = "", ()  # type: tuple[str, tuple[tuple[str, int, int, str], ...]]
        if x is not None and op == "pool":
            from convcalc.exact import explain_pool

            note = f"y{list((i, j)) if ndim == 2 else [j]} = " + explain_pool(
                xm, i, j, k2, s2, pads2, d2, ceil_mode, op=pool_op).text()
        elif x is not None:
            from convcalc.exact import explain

            cell_working = explain(xm, fm, i, j, stride=s2, dilation=d2, padding=pads2)
            note = f"y{list((i, j)) if ndim == 2 else [j]} = " + cell_working.sum_text()
            tags = tuple(("input", r, c, "×" + format_value(cell_working.kernel[u][v]))
                         for u, r in enumerate(cell_working.rows) for v, c in enumerate(cell_working.cols))
        frames.append(Frame(tuple(marks), f"output {(i, j) if ndim == 2 else (j,)}", note, tags))
    kind_name = {"conv": "convolution", "pool": "pooling" + (" (ceil mode)" if ceil_mode else "")}[op]
    title = (f"{kind_name}: input {_axis_label(ndim, n)}, {word} {_axis_label(ndim, k)}, "
             f"stride {_step_label(ndim, s)}{pad_text}"
             + (f", dilation {_step_label(ndim, d)}" if any(v != 1 for v in d) else "")
             + f" → output {_axis_label(ndim, out)}")
    return Figure(op, "direct", ndim, tuple(grids), tuple(frames), title, tuple(lines), out, params, tuple(dropped))


def _notes(axes: Any, ndim: int) -> list[str]:
    """The working's notes once each; in 2-D prefixed by the axis (or both) they hold for."""
    if ndim == 1:
        return [note for ax in axes for note in ax.notes]
    seen: dict[str, list[str]] = {}
    for ax in axes:
        for note in ax.notes:
            seen.setdefault(note, []).append("rows" if ax.axis == 0 else "columns")
    return [f"{' and '.join(where)}: {note}" for note, where in seen.items()]


def _dropped_window(geom: Geometry, out2: tuple[int, int], axis: int) -> list[tuple[str, int, int, str]]:
    """Cells of the window ceil mode would add after the last along ``axis`` and then drops."""
    more = (out2[0] + (axis == 0), out2[1] + (axis == 1))
    wider = Geometry(geom.size, geom.kernel, geom.stride, geom.dilation, geom.padding, more)
    rows, cols = wider.window(more[0] - 1, more[1] - 1)
    return [("input", r, c, "dropped") for r in rows for c in cols]
