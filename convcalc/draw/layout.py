"""From a :class:`~convcalc.draw.model.Figure` to positioned shapes: rectangles and text in pixels.

The SVG writer and the PNG/GIF rasteriser both draw this scene, so the two
formats show the same picture. Layout only places what the model holds: grids
left to right (input, kernel, output), index numbers along the edges, the
title above, the working and a legend of the cell kinds below.
"""

from __future__ import annotations

from dataclasses import dataclass

from convcalc.draw.model import KINDS, Figure

__all__ = ["Rect", "Text", "Scene", "layout", "CELL_STYLES", "MARK_STYLES"]

#: Cell kind -> (fill, stroke, dash pattern or "").
CELL_STYLES = {
    "input": ("#bcd7f0", "#3f6f9f", ""),
    "uncovered": ("#f6c9c4", "#c0392b", ""),
    "padding": ("#ffffff", "#8a9bb0", "3,2"),
    "zero": ("#eef1f4", "#8a9bb0", "2,2"),
    "output-padding": ("#fde9b8", "#c99400", "3,2"),
    "cropped": ("#f4f4f4", "#c8c8c8", "1,2"),
    "outside": ("#fbfbfb", "#c8c8c8", "1,2"),
    "output": ("#c8ead5", "#2f8a57", ""),
    "kernel": ("#e3d7f2", "#6b4f9a", ""),
    "cell": ("#eef2f7", "#b4c2d3", ""),
    "field": ("#8fb3e3", "#3f6f9f", ""),
    "unit": ("#14804a", "#0c5a33", ""),
    # The effective receptive field's heat map: level 1 (weakest) to 9 (strongest), light to dark blue.
    **{f"heat{level}": ("#%02x%02x%02x" % tuple(round(255 + (c - 255) * level / 9) for c in (11, 47, 107)),
                        "#b4c2d3", "") for level in range(1, 10)},
}
#: Frame mark -> (fill, opacity, stroke, dash).
MARK_STYLES = {
    "window": ("#1f4e99", 0.55, "#0b2f6b", ""),
    "target": ("#14804a", 0.65, "#0c5a33", ""),
    "source": ("#1f4e99", 0.55, "#0b2f6b", ""),
    "write": ("#14804a", 0.45, "#0c5a33", ""),
    "dropped": ("#d62728", 0.18, "#d62728", "4,3"),
    "field-outline": ("#0b2f6b", 0.0, "#0b2f6b", ""),
}
MARK_TEXT = {
    "window": "kernel (or pool window) footprint", "target": "the output cell shown", "source": "input cell being scattered",
    "write": "output cells it adds to", "dropped": "window ceil mode drops (starts in the right padding)",
}
TEXT = "#1d2733"
MUTED = "#6b7785"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Rect:
    """A rectangle; ``style`` is a cell kind or a mark; ``data`` goes into SVG data- attributes."""

    x: float
    y: float
    w: float
    h: float
    style: str
    data: tuple[tuple[str, str], ...] = ()
    label: str = ""
    label_size: float = 0.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float
    anchor: str = "start"  # start | middle | end
    color: str = TEXT
    bold: bool = False


@dataclass(frozen=True)
class Scene:
    """Positioned shapes: ``base`` always shown, one list per frame on top, frame captions."""

    width: int
    height: int
    base: tuple[Rect | Text, ...]
    frames: tuple[tuple[Rect | Text, ...], ...]
    figure: Figure


def text_width(text: str, size: float) -> float:
    """A sans-serif estimate (0.6 em per character), enough to keep text inside the picture."""
    return 0.6 * size * len(text)


def _cell_size(fig: Figure) -> int:
    largest = max(max(g.shape) for g in fig.grids)
    longest = max((len(v) for g in fig.grids if g.values for row in g.values for v in row), default=0)
    size = 34 if largest <= 8 else 28 if largest <= 14 else max(10, 420 // largest)
    if longest:
        size = max(size, int(7.5 * longest) + 10)
    return size


def layout(fig: Figure) -> Scene:
    """Place every grid, mark and line of ``fig`` in pixels."""
    cs = _cell_size(fig)
    margin, gap = 20, 44
    title_size, label_size, small = 15.0, 12.0, 9.0
    index = cs >= 16
    top = margin + 26  # the title line
    grid_top = top + 20 + (14 if index else 0)
    base: list[Rect | Text] = [Text(margin, margin + 14, fig.title, title_size, bold=True)]
    origin: dict[str, tuple[float, float, int, int]] = {}
    x: float = margin + (18 if index else 0)
    bottom: float = grid_top
    for grid in fig.grids:
        rows, cols = grid.shape
        grid_width = cols * cs
        base.append(Text(x, top + 12, grid.title, label_size, color=TEXT, bold=False))
        origin[grid.name] = (x, grid_top, grid.row0, grid.col0)
        for a in range(rows):
            for b in range(cols):
                r, c = grid.row0 + a, grid.col0 + b
                kind = grid.kinds[a][b]
                value = grid.values[a][b] if grid.values else ""
                base.append(Rect(x + b * cs, grid_top + a * cs, cs, cs, kind,
                                 (("grid", grid.name), ("row", str(r)), ("col", str(c)), ("kind", kind)),
                                 value, min(12.0, cs * 0.42)))
        if index:
            for b in range(cols):
                base.append(Text(x + b * cs + cs / 2, grid_top - 4, str(grid.col0 + b), small, "middle", MUTED))
            if rows > 1:
                for a in range(rows):
                    base.append(Text(x - 4, grid_top + a * cs + cs / 2 + 3, str(grid.row0 + a), small, "end", MUTED))
        x += max(grid_width, text_width(grid.title, label_size)) + gap + (18 if index else 0)
        bottom = max(bottom, grid_top + rows * cs)
    width: float = max(x - gap - (18 if index else 0) + margin, 2 * margin + text_width(fig.title, title_size) * 1.08)
    for kind_grid, r, c, mark in fig.dropped:
        gx, gy, r0, c0 = origin[kind_grid]
        base.append(Rect(gx + (c - c0) * cs, gy + (r - r0) * cs, cs, cs, mark, (("mark", mark),
                                                                                  ("row", str(r)), ("col", str(c)))))
    y = bottom + 22
    caption_y = y
    has_notes = any(fr.note for fr in fig.frames)
    y += 18 + (18 if has_notes else 0)
    for line in fig.lines:
        base.append(Text(margin, y, line, label_size, color=TEXT))
        width = max(width, margin * 2 + text_width(line, label_size))
        y += 18
    # Legend: the cell kinds and marks this picture uses.
    kinds = list(dict.fromkeys(k for g in fig.grids for row in g.kinds for k in row))
    marks = list(dict.fromkeys(m for fr in fig.frames for *_, m in fr.marks))
    marks += list(dict.fromkeys(m for *_, m in fig.dropped))
    lx: float = margin
    y = y + 8
    for key, text in [(k, KINDS[k]) for k in kinds] + [(m, MARK_TEXT[m]) for m in marks]:
        item = 14 + 6 + text_width(text, 11) + 18
        if lx + item > max(width, 520) - margin and lx > margin:
            lx, y = margin, y + 20
        base.append(Rect(lx, y - 11, 14, 14, key if key in CELL_STYLES else key, (("legend", key),)))
        base.append(Text(lx + 20, y, text, 11, color=TEXT))
        lx += item
    width = max(width, 520 if len(kinds) + len(marks) > 3 else width)
    height = int(y + margin)
    frames = []
    for fr in fig.frames:
        items: list[Rect | Text] = []
        for grid_name, r, c, mark in fr.marks:
            gx, gy, r0, c0 = origin[grid_name]
            items.append(Rect(gx + (c - c0) * cs, gy + (r - r0) * cs, cs, cs, mark,
                              (("mark", mark), ("grid", grid_name), ("row", str(r)), ("col", str(c)))))
        for grid_name, r, c, text in fr.tags:  # e.g. the kernel weight in the corner of each window cell
            gx, gy, r0, c0 = origin[grid_name]
            items.append(Text(gx + (c - c0 + 1) * cs - 3, gy + (r - r0 + 1) * cs - 3, text, max(7.0, cs * 0.26),
                              "end", "#ffffff", True))
        items.append(Text(margin, caption_y, fr.caption, label_size, color=TEXT, bold=True))
        if fr.note:
            items.append(Text(margin, caption_y + 18, fr.note, label_size, color=TEXT))
            width = max(width, margin * 2 + text_width(fr.note, label_size))
        frames.append(tuple(items))
    return Scene(int(width), height, tuple(base), tuple(frames), fig)
