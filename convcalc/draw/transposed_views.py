"""The two pictures of a transposed convolution (Dumoulin & Visin 2016, section 4), geometry only.

``view="direct"``: the equivalent direct convolution, stride 1 over the input
stretched by ``s - 1`` zeros between cells and padded ``d*(k - 1) - p`` (plus
``output_padding`` after); ``view="scatter"``: each input cell scattered into the
output at ``y*s + u*d - p_lo`` (PyTorch ``ConvTranspose2d``). Sizes and paddings
come from :mod:`convcalc.arithmetic`; the numbers are added by
:mod:`convcalc.draw.transposed_numbers`.
"""

from __future__ import annotations

from convcalc.arithmetic import adjoint_padding, effective_kernel, transposed_length
from convcalc.draw.figure import (
    MAX_FRAMES,
    Figure,
    Frame,
    _axis_label,
    _check_extent,
    _grid,
    _pad_title,
    _step_label,
    _two_d,
)
from convcalc.errors import ConvCalcError
from convcalc.exact import Geometry

__all__ = ["direct_transposed", "scatter"]


def direct_transposed(n: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...],
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


def scatter(n: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...], a: tuple[int, ...],
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
