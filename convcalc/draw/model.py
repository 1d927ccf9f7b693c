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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convcalc.arithmetic import adjoint_padding, ceil_window_dropped, effective_kernel, transposed_length
from convcalc.errors import ConvCalcError, invalid
from convcalc.exact import Geometry

__all__ = ["Grid", "Frame", "Figure", "build_figure", "format_value", "MAX_CELLS_PER_AXIS", "MAX_FRAMES", "KINDS", "VIEWS"]

#: Largest drawn extent per axis (input with its padding, stretched input, output, canvas).
#: A wider picture is unreadable and slow, so it is refused rather than drawn.
MAX_CELLS_PER_AXIS = 64
#: Most frames in one animation (one per output position, or per input cell when scattering).
MAX_FRAMES = 1024

#: Every cell kind a grid can hold, with what it means (the legend's text).
KINDS = {
    "input": "input cell",
    "uncovered": "input cell no window covers",
    "padding": "padding (zeros)",
    "zero": "zero inserted between input cells (stride)",
    "output-padding": "output_padding border (bottom/right)",
    "cropped": "cropped by padding (not in the output)",
    "outside": "past the padded input (ceil mode reads nothing there)",
    "output": "output cell",
    "kernel": "kernel weight",
    "cell": "unit of a feature map",
    "field": "reaches the chosen unit",
    "unit": "the chosen unit",
}
VIEWS = ("direct", "scatter")
OPS = ("conv", "pool", "transposed")


@dataclass(frozen=True)
class Grid:
    """One drawn grid (input, kernel or output), in the library's coordinates.

    ``kinds[a][b]`` is the kind of the cell at row ``row0 + a``, column ``col0 + b``;
    ``values`` holds the numbers written in the cells (same indexing) or is None.
    """

    name: str
    title: str
    row0: int
    col0: int
    kinds: tuple[tuple[str, ...], ...]
    values: tuple[tuple[str, ...], ...] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.kinds), len(self.kinds[0])


@dataclass(frozen=True)
class Frame:
    """One window position: ``marks`` are ``(grid, row, col, mark)`` with mark ``window``,
    ``target``, ``source``, ``write`` or ``dropped``; ``caption`` says which position it is."""

    marks: tuple[tuple[str, int, int, str], ...]
    caption: str
    note: str = ""
    #: Small text in a cell's corner: ``(grid, row, col, text)``, e.g. the kernel weight over each window cell.
    tags: tuple[tuple[str, int, int, str], ...] = ()


@dataclass(frozen=True)
class Figure:
    """Everything a picture shows: grids, frames, captions; no pixels yet (see :mod:`convcalc.draw.layout`)."""

    op: str
    view: str
    ndim: int
    grids: tuple[Grid, ...]
    frames: tuple[Frame, ...]
    title: str
    lines: tuple[str, ...]
    output: tuple[int, ...]
    params: dict[str, Any] = field(default_factory=dict)
    dropped: tuple[tuple[str, int, int, str], ...] = ()


def _per_axis(value: Any, ndim: int, name: str) -> tuple[int, ...]:
    values = value if isinstance(value, (tuple, list)) else (value,) * ndim
    if len(values) != ndim:
        raise invalid(name, value, f"one value or {ndim} values (one per axis)")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise invalid(name, value, "concrete ints to draw (a symbol has no picture)")
    return tuple(values)


def _check_extent(what: str, length: int) -> None:
    if length > MAX_CELLS_PER_AXIS:
        raise ConvCalcError(
            f"{what} would be {length} cells wide; convcalc draw draws at most {MAX_CELLS_PER_AXIS} cells per "
            "axis (a larger picture is unreadable); use convcalc outsize for the numbers")


def _two_d(values: tuple[int, ...], one: int) -> tuple[int, int]:
    """1-D pictures are one row: the row axis gets the neutral value ``one``."""
    return (one, values[0]) if len(values) == 1 else (values[0], values[1])


def _axis_label(ndim: int, sizes: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in sizes) if ndim == 2 else str(sizes[0])


def _windows(geom: Geometry, out: tuple[int, int]) -> dict[tuple[int, int], tuple[list[int], list[int]]]:
    """Rows and columns under the kernel at every output position, from :meth:`Geometry.window`."""
    return {(i, j): geom.window(i, j) for i in range(out[0]) for j in range(out[1])}


def _covered(geom: Geometry, out: tuple[int, int]) -> tuple[set[int], set[int]]:
    """Rows and columns any window touches (a 2-D window is rows x columns, so per axis suffices)."""
    rows = {r for i in range(out[0]) for r in geom.window(i, 0)[0]}
    cols = {c for j in range(out[1]) for c in geom.window(0, j)[1]}
    return rows, cols


def _grid(name: str, title: str, rows: range, cols: range, kind: Any, values: Any = None) -> Grid:
    kinds = tuple(tuple(kind(r, c) for c in cols) for r in rows)
    vals = None if values is None else tuple(tuple(values(r, c) for c in cols) for r in rows)
    return Grid(name, title, rows.start, cols.start, kinds, vals)


def format_value(v: Any) -> str:
    """An exact value as text, as convcalc's workings write it: ``3``, ``-1/2``, or sympy's own form."""
    from convcalc.exact.values import term

    return term(v, bracket=False)


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
        fig = _scatter(*fig_args) if view == "scatter" else _direct_transposed(*fig_args)
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


def _step_label(ndim: int, values: tuple[int, ...]) -> str:
    """Stride, dilation, output_padding: one number when every axis agrees (``stride 2``)."""
    return str(values[0]) if len(set(values)) == 1 else _axis_label(ndim, values)


def _pad_title(pads: tuple[tuple[int, int], ...], ndim: int) -> str:
    if all(p == (0, 0) for p in pads):
        return ""
    if all(lo == hi == pads[0][0] for lo, hi in pads):
        return f", padding {pads[0][0]}"
    return ", padding " + ", ".join(f"{lo}:{hi}" for lo, hi in pads)


def _check_cell(cell: Any, ndim: int, out: tuple[int, ...]) -> tuple[int, int]:
    values = tuple(cell) if isinstance(cell, (tuple, list)) else (cell,)
    if len(values) != ndim or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
        raise invalid("cell", cell, f"{ndim} int(s), 0-indexed: " + ("I,J" if ndim == 2 else "J"))
    for v, o in zip(values, out):
        if not 0 <= v < o:
            raise invalid("cell", ",".join(map(str, values)),
                          "inside the output: " + " x ".join(f"0..{o - 1}" for o in out))
    return (0, values[0]) if ndim == 1 else (values[0], values[1])


def _dropped_window(geom: Geometry, out2: tuple[int, int], axis: int) -> list[tuple[str, int, int, str]]:
    """Cells of the window ceil mode would add after the last along ``axis`` and then drops."""
    more = (out2[0] + (axis == 0), out2[1] + (axis == 1))
    wider = Geometry(geom.size, geom.kernel, geom.stride, geom.dilation, geom.padding, more)
    rows, cols = wider.window(more[0] - 1, more[1] - 1)
    return [("input", r, c, "dropped") for r in rows for c in cols]


def _direct_transposed(n: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...],
                       a: tuple[int, ...], pads: tuple[tuple[int, int], ...], out: tuple[int, ...], ndim: int,
                       target: tuple[int, int] | None, params: dict, lines: list[str]) -> Figure:
    """The equivalent direct convolution: stride 1 over the stretched, padded input."""
    stretched = tuple((nn - 1) * ss + 1 for nn, ss in zip(n, s))
    # arithmetic.adjoint_padding: d*(k-1) - p per side (Dumoulin & Visin 4.1); output_padding adds on the right.
    adjoint = [adjoint_padding(kk, dd, lo, hi) for kk, dd, (lo, hi) in zip(k, d, pads)]
    eq = tuple((lo, hi + aa) for (lo, hi), aa in zip(adjoint, a))
    for axis in range(ndim):
        _check_extent("the stretched, padded input", stretched[axis] + max(eq[axis][0], 0) + max(eq[axis][1], 0))
        # The construction must give the library's size (a stride-1 window count over the padded stretch).
        count = stretched[axis] + eq[axis][0] + eq[axis][1] - effective_kernel(k[axis], d[axis]) + 1
        if count != transposed_length(n[axis], k[axis], s[axis], pads[axis][0], pads[axis][1], d[axis], a[axis]):
            raise AssertionError("transposed construction disagrees with arithmetic.transposed_length")
    m2, k2, d2, s2 = _two_d(stretched, 1), _two_d(k, 1), _two_d(d, 1), _two_d(s, 1)
    eq2 = ((0, 0), eq[0]) if ndim == 1 else (eq[0], eq[1])
    a2 = _two_d(a, 0)
    out2 = _two_d(out, 1)
    geom = Geometry(m2, k2, (1, 1), d2, eq2, out2)
    rows = range(min(-eq2[0][0], 0), max(m2[0] + eq2[0][1], m2[0]))
    cols = range(min(-eq2[1][0], 0), max(m2[1] + eq2[1][1], m2[1]))

    def kind(r: int, c: int) -> str:
        if r < -eq2[0][0] or c < -eq2[1][0] or r >= m2[0] + eq2[0][1] or c >= m2[1] + eq2[1][1]:
            return "cropped"
        if 0 <= r < m2[0] and 0 <= c < m2[1]:
            return "input" if r % s2[0] == 0 and c % s2[1] == 0 else "zero"
        if r >= m2[0] + eq2[0][1] - a2[0] or c >= m2[1] + eq2[1][1] - a2[1]:
            return "output-padding"
        return "padding"

    positions = [target] if target is not None else [(i, j) for i in range(out2[0]) for j in range(out2[1])]
    if len(positions) > MAX_FRAMES:
        raise ConvCalcError(f"{len(positions)} output positions is more than the {MAX_FRAMES} frames an animation "
                            "may have; give one output cell with --cell I,J")
    frames = []
    for i, j in positions:
        rws, cls = geom.window(i, j)
        marks = [("input", r, c, "window") for r in rws for c in cls] + [("output", i, j, "target")]
        frames.append(Frame(tuple(marks), f"output {(i, j) if ndim == 2 else (j,)}"))
    grids = (
        _grid("input", f"input {_axis_label(ndim, n)} stretched to {_axis_label(ndim, stretched)}, padded "
              + ", ".join(f"{lo}:{hi}" for lo, hi in eq), rows, cols, kind),
        _grid("output", f"output {_axis_label(ndim, out)}", range(out2[0]), range(out2[1]), lambda r, c: "output"),
    )
    lines = lines + [f"as a direct convolution: stride 1 over the input with s-1 = {_step_label(ndim, tuple(x - 1 for x in s))} "
                     "zero(s) between cells, padded d*(k-1) - p (+ output_padding after) = "
                     + ", ".join(f"{lo}:{hi}" for lo, hi in eq)]
    return Figure("transposed", "direct", ndim, grids, tuple(frames), _transposed_title(n, k, s, d, a, pads, out, ndim),
                  tuple(lines), out, params)


def _transposed_title(n: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...],
                      a: tuple[int, ...], pads: tuple[tuple[int, int], ...], out: tuple[int, ...], ndim: int) -> str:
    return (f"transposed convolution: input {_axis_label(ndim, n)}, kernel {_axis_label(ndim, k)}, "
            f"stride {_step_label(ndim, s)}{_pad_title(pads, ndim)}"
            + (f", dilation {_step_label(ndim, d)}" if any(v != 1 for v in d) else "")
            + (f", output_padding {_step_label(ndim, a)}" if any(a) else "")
            + f" → output {_axis_label(ndim, out)}")


def _scatter(n: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...], a: tuple[int, ...],
             pads: tuple[tuple[int, int], ...], out: tuple[int, ...], ndim: int, target: tuple[int, int] | None,
             params: dict, lines: list[str]) -> Figure:
    """Each input cell scattered into the output: the adjoint of a convolution whose input is the output."""
    n2, k2, s2, d2, out2, a2 = _two_d(n, 1), _two_d(k, 1), _two_d(s, 1), _two_d(d, 1), _two_d(out, 1), _two_d(a, 0)
    pads2 = ((0, 0), pads[0]) if ndim == 1 else pads
    # The convolution with these parameters maps the transposed output (size out) back to n cells:
    # its window at (i, j) is where input cell (i, j) of the transposed convolution writes.
    hi_pads = tuple(ph for _, ph in pads2)
    geom = Geometry(out2, k2, s2, d2, ((pads2[0][0], hi_pads[0]), (pads2[1][0], hi_pads[1])), n2)
    last = geom.window(n2[0] - 1, n2[1] - 1)
    rows = range(-pads2[0][0], max(out2[0], last[0][-1] + 1))
    cols = range(-pads2[1][0], max(out2[1], last[1][-1] + 1))
    _check_extent("the scatter canvas", max(len(rows), len(cols)))

    def kind(r: int, c: int) -> str:
        if not (0 <= r < out2[0] and 0 <= c < out2[1]):
            return "cropped"
        return "output-padding" if r >= out2[0] - a2[0] or c >= out2[1] - a2[1] else "output"

    cells = [target] if target is not None else [(i, j) for i in range(n2[0]) for j in range(n2[1])]
    if len(cells) > MAX_FRAMES:  # one frame per input cell: the documented animation limit holds here too
        raise ConvCalcError(f"{len(cells)} input cells is more than the {MAX_FRAMES} frames an animation may have; "
                            "give one output cell with --cell I,J")
    if target is not None:  # --cell names an output cell: show every input cell that writes to it
        writers = [(i, j) for i in range(n2[0]) for j in range(n2[1])
                   if target[0] in geom.window(i, j)[0] and target[1] in geom.window(i, j)[1]]
        cells = writers
    frames = []
    for i, j in cells:
        rws, cls = geom.window(i, j)
        marks = [("input", i, j, "source")] + [("output", r, c, "write") for r in rws for c in cls]
        if target is not None:
            marks.append(("output", target[0], target[1], "target"))
        frames.append(Frame(tuple(marks), f"input {(i, j) if ndim == 2 else (j,)}"))
    if not frames and target is not None:  # an output_padding cell no input reaches
        frames.append(Frame((("output", target[0], target[1], "target"),), "no input cell writes here"))
    grids = (
        _grid("input", f"input {_axis_label(ndim, n)}", range(n2[0]), range(n2[1]), lambda r, c: "input"),
        _grid("output", f"output {_axis_label(ndim, out)}" + (", cropped " + ", ".join(f"{lo}:{hi}" for lo, hi in pads)
                                                           if any(p != (0, 0) for p in pads) else ""),
              rows, cols, kind),
    )
    lines = lines + ["each input cell adds kernel x value at y*s + u*d - p_lo; cells outside the output are cropped"]
    return Figure("transposed", "scatter", ndim, grids, tuple(frames), _transposed_title(n, k, s, d, a, pads, out, ndim),
                  tuple(lines), out, params)
