"""What a picture is made of, before any pixel: :class:`Grid`, :class:`Frame`, :class:`Figure`, and their limits.

A figure holds grids (input, kernel, output) whose cells each have a kind from
:data:`KINDS`, and frames (one window position each) that mark cells. The
helpers here build grids and the captions' words (``stride 2``, ``padding 0:1``)
shared by the direct and the transposed pictures; no size is computed here.
Pictures are refused past :data:`MAX_CELLS_PER_AXIS` cells per axis or
:data:`MAX_FRAMES` frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convcalc.errors import ConvCalcError, invalid

__all__ = ["Grid", "Frame", "Figure", "format_value", "MAX_CELLS_PER_AXIS", "MAX_FRAMES", "KINDS", "VIEWS", "OPS"]

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


def _grid(name: str, title: str, rows: range, cols: range, kind: Any, values: Any = None) -> Grid:
    kinds = tuple(tuple(kind(r, c) for c in cols) for r in rows)
    vals = None if values is None else tuple(tuple(values(r, c) for c in cols) for r in rows)
    return Grid(name, title, rows.start, cols.start, kinds, vals)


def format_value(v: Any) -> str:
    """An exact value as text, as convcalc's workings write it: ``3``, ``-1/2``, or sympy's own form."""
    from convcalc.exact.values import term

    return term(v, bracket=False)

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
