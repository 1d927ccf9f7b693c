"""Receptive-field pictures: which cells of every earlier grid reach one unit, layer by layer.

The field comes from :func:`convcalc.summarize` (Araujo, Norris & Sim, Distill
2019): measured on the output of layer ``m`` (``rf_from=m``), the top layer's
unit ``u`` sees the cells ``start + u*jump +- (rf - 1)/2`` per axis. This module
only places those intervals on each grid; cells past a grid's edge are its
padding. For dilated kernels the field is the extent (the cells between the
kernel taps are inside it but do not all reach the unit).
"""

from __future__ import annotations

import math
from typing import Any

from convcalc.draw.layout import MUTED, TEXT, Rect, Scene, Text, text_width
from convcalc.draw.model import Figure
from convcalc.errors import ConvCalcError, invalid

__all__ = ["field_intervals", "receptive_scene", "MAX_RF_CELLS"]

#: Largest grid side a receptive-field picture draws (bigger grids are drawn as one block, not cell by cell).
MAX_RF_CELLS = 512
#: Up to this many layers every grid's field is measured; beyond, only the last grid of each resolution.
ALL_GRIDS = 24
#: Most grids in one picture; a deeper network shows the last grid of each resolution.
MAX_GRIDS = 8
#: Grids up to this side are drawn cell by cell (data-row/data-col on each); larger ones as blocks.
CELLWISE = 40


def _spatial(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape[1:]) if len(shape) > 1 else ()


def field_intervals(layers: Any, input_shape: tuple[int, ...], unit: tuple[int, ...],
                    top: int | None = None) -> list[dict[str, Any]]:
    """Per grid (the input, then each layer's output up to ``top``): its size and the interval of cells,
    per axis, that reach ``unit`` of layer ``top``'s output (``[lo, hi]``, inclusive, may pass the edges).
    Past :data:`ALL_GRIDS` layers only the last grid of each resolution is measured (one
    :func:`convcalc.summarize` per grid).

    Examples
    --------
    >>> from convcalc.layers import Conv2D, MaxPool2D
    >>> grids = field_intervals([Conv2D(8, 3), MaxPool2D(2)], (1, 8, 8), (0, 1))
    >>> [(g["index"], g["size"], g["field"]) for g in grids]
    [(0, (8, 8), ((0, 3), (2, 5))), (1, (6, 6), ((0, 1), (2, 3))), (2, (3, 3), ((0, 0), (1, 1)))]
    """
    from convcalc.graph import Graph
    from convcalc.stack import summarize

    if not isinstance(layers, Graph):  # a graph (res[...], cat[...]) is measured node by node as it is
        layers = list(layers)
    summary = summarize(layers, input_shape)
    count = len(summary.layers)
    sizes = [_spatial(summary.layers[0].input_shape if summary.layers else tuple(input_shape))]
    sizes += [_spatial(row.output_shape) for row in summary.layers]
    if top is None:
        spatial = [i for i, row in enumerate(summary.layers, start=1)
                   if row.rf is not None and len(sizes[i]) == len(sizes[0]) and len(sizes[0]) in (1, 2)]
        if not spatial:
            raise ConvCalcError("no layer of this stack has a spatial output with a receptive field to draw")
        top = spatial[-1]
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= count:
        raise invalid("layer", top, f"a layer index from 1 to {count}")
    grid = sizes[top]
    if len(grid) not in (1, 2) or len(grid) != len(sizes[0]):
        raise ConvCalcError(f"layer {top} ({summary.layers[top - 1].name}) has no 1-D or 2-D grid to pick a unit "
                            "from; choose a convolution or pooling layer with --layer")
    if len(unit) != len(grid) or any(isinstance(u, bool) or not isinstance(u, int) or not 0 <= u < g
                                     for u, g in zip(unit, grid)):
        raise invalid("unit", ",".join(map(str, unit)), "inside layer "
                      f"{top}'s output grid: " + " x ".join(f"0..{g - 1}" for g in grid))
    result = []
    candidates: list[int] | range = range(top + 1)
    if top > ALL_GRIDS:  # a deep network: only the grids a picture can show (the last of each resolution)
        candidates = [m for m in range(top + 1) if m in (0, top) or sizes[m] != sizes[m + 1]]
    for m in candidates:
        # Measured on grid m: for a graph, nodes that do not lead to the unit have no field (None) and are skipped.
        row = summarize(layers, input_shape, rf_from=m).layers[top - 1] if m < top else None
        if m < top and (row is None or row.rf is None):
            continue
        if m < top and len(sizes[m]) != len(grid):
            continue
        if m == top or row is None or row.rf is None or row.jump is None or row.start is None:
            field = tuple((u, u) for u in unit)
        else:
            field = tuple((math.ceil(st + u * j - (r - 1) / 2), math.floor(st + u * j + (r - 1) / 2))
                          for u, r, j, st in zip(unit, row.rf, row.jump, row.start))
        name = "input" if m == 0 else summary.layers[m - 1].name
        result.append({"index": m, "name": name, "size": sizes[m], "field": field})
    return result


def receptive_scene(layers: Any, input_shape: tuple[int, ...], unit: tuple[int, ...], top: int | None = None,
                    *, title: str = "", effective: bool = False) -> Scene:
    """The picture: one grid per layer output that changes geometry, the field shaded on each; with
    ``effective``, a last grid with the effective receptive field on the input (:mod:`convcalc.draw.effective`)."""
    grids = field_intervals(layers, input_shape, unit, top)
    heat = None
    if effective:
        from convcalc.draw.effective import effective_field

        if len(grids[0]["size"]) != 2:
            raise ConvCalcError("the effective receptive field is drawn for 2-D inputs only")
        heat = effective_field(layers, tuple(input_shape), (unit[0], unit[1]), grids[-1]["index"])
    # Element-wise layers (ReLU, batch norm) repeat the grid before them: draw geometry changes only.
    shown = [g for i, g in enumerate(grids) if i == 0 or g["size"] != grids[i - 1]["size"]
             or g["field"] != grids[i - 1]["field"] or i == len(grids) - 1]
    if len(shown) > MAX_GRIDS:  # a deep network: one grid per resolution (where the size changes), and the unit's
        shown = [g for i, g in enumerate(shown) if i == 0 or i == len(shown) - 1
                 or g["size"] != shown[i + 1]["size"]]
    if len(shown) > MAX_GRIDS:
        step = (len(shown) - 1) / (MAX_GRIDS - 1)
        shown = [shown[round(i * step)] for i in range(MAX_GRIDS)]
    for g in shown:
        if max(g["size"]) > MAX_RF_CELLS:
            raise ConvCalcError(f"grid {g['name']} is {max(g['size'])} cells wide; receptive-field pictures draw "
                                f"at most {MAX_RF_CELLS} per axis")
    ndim = len(grids[0]["size"])
    margin, gap, label = 20, 36, 11.0
    top_y = margin + 26 + 34
    unit_text = ",".join(map(str, unit))
    last = grids[-1]
    heading = title or (f"receptive field of unit ({unit_text}) of layer {last['index']} ({last['name']})")
    base: list[Rect | Text] = [Text(margin, margin + 14, heading, 15, bold=True)]
    x: float = margin
    bottom: float = top_y
    target = 180  # pixels for the largest side of each grid
    for g in shown:
        rows, cols = (1, g["size"][0]) if ndim == 1 else g["size"]
        (r_lo, r_hi), (c_lo, c_hi) = ((0, 0), g["field"][0]) if ndim == 1 else g["field"]
        # Cell by cell: whole pixels per cell (crisp lines); one block: any size, so every grid is ~target wide.
        cs = max(1, min(24, target // max(rows, cols))) if max(rows, cols) <= CELLWISE else target / max(rows, cols)
        extent = "x".join(map(str, g["size"]))
        fsize = "x".join(str(hi - lo + 1) for lo, hi in g["field"])
        caption = f"{'input' if g['index'] == 0 else 'layer ' + str(g['index'])} {extent}"
        base.append(Text(x, top_y - 22, caption, label, bold=True))
        base.append(Text(x, top_y - 8, g["name"] if g["index"] else "the image", label - 1, color=MUTED))
        base.append(Text(x, top_y + rows * cs + 14, f"field {fsize}", label - 1, color=MUTED))
        kind_in = "unit" if g is grids[-1] else "field"
        if max(rows, cols) <= CELLWISE:
            for a in range(rows):
                for b in range(cols):
                    inside = r_lo <= a <= r_hi and c_lo <= b <= c_hi
                    base.append(Rect(x + b * cs, top_y + a * cs, cs, cs, kind_in if inside else "cell",
                                     (("grid", str(g["index"])), ("row", str(a)), ("col", str(b)),
                                      ("kind", kind_in if inside else "cell"))))
        else:
            base.append(Rect(x, top_y, cols * cs, rows * cs, "cell", (("grid", str(g["index"])),)))
            fr, fc = (max(r_lo, 0), min(r_hi, rows - 1)), (max(c_lo, 0), min(c_hi, cols - 1))
            base.append(Rect(x + fc[0] * cs, top_y + fr[0] * cs, (fc[1] - fc[0] + 1) * cs, (fr[1] - fr[0] + 1) * cs,
                             kind_in, (("grid", str(g["index"])),)))
        # The field as one rectangle (clipped to the grid), with its exact interval for scripts.
        cr = (max(r_lo, 0), min(r_hi, rows - 1))
        cc = (max(c_lo, 0), min(c_hi, cols - 1))
        base.append(Rect(x + cc[0] * cs, top_y + cr[0] * cs, (cc[1] - cc[0] + 1) * cs, (cr[1] - cr[0] + 1) * cs,
                         "field-outline", (("grid", str(g["index"])), ("field-rows", f"{r_lo}:{r_hi}"),
                                           ("field-cols", f"{c_lo}:{c_hi}"))))
        x += max(cols * cs, text_width(caption, label), text_width(g["name"], label - 1)) + gap
        bottom = max(bottom, top_y + rows * cs + 18)
    if heat is not None:
        rows, cols = len(heat), len(heat[0])
        cs = max(1, min(24, int(target // max(rows, cols))))
        base.append(Text(x, top_y - 22, "effective field", label, bold=True))
        base.append(Text(x, top_y - 8, "|d unit / d input| at init", label - 1, color=MUTED))
        for a in range(rows):
            for b in range(cols):
                level = min(9, int(heat[a][b] * 9 + 0.999)) if heat[a][b] > 0 else 0
                kind = f"heat{level}" if level else "cell"
                base.append(Rect(x + b * cs, top_y + a * cs, cs, cs, kind,
                                 (("grid", "effective"), ("row", str(a)), ("col", str(b)), ("kind", kind))))
        (r_lo, r_hi), (c_lo, c_hi) = grids[0]["field"]
        cr, cc = (max(r_lo, 0), min(r_hi, rows - 1)), (max(c_lo, 0), min(c_hi, cols - 1))
        base.append(Rect(x + cc[0] * cs, top_y + cr[0] * cs, (cc[1] - cc[0] + 1) * cs, (cr[1] - cr[0] + 1) * cs,
                         "field-outline", (("grid", "effective"),)))
        base.append(Text(x, top_y + rows * cs + 14, "mean of 8 random inits (Luo et al. 2016)", label - 1,
                         color=MUTED))
        x += max(cols * cs, text_width("mean of 8 random inits (Luo et al. 2016)", label - 1)) + gap
        bottom = max(bottom, top_y + rows * cs + 18)
    lines = [f"from the input: rf {fsize_of(grids[0])}, measured with convcalc.summarize (Araujo et al., Distill 2019)",
             "cells past a grid's edge are padding; with dilation the field is the extent between the taps"]
    y = bottom + 20
    width = max(x - gap + margin, 2 * margin + text_width(heading, 15) * 1.08)
    for line in lines:
        base.append(Text(margin, y, line, label, color=TEXT))
        width = max(width, 2 * margin + text_width(line, label))
        y += 16
    fig = Figure("receptive-field", "layers", ndim, (), (), heading, tuple(lines), tuple(unit),
                 {"grids": [{"index": g["index"], "name": g["name"], "size": list(g["size"]),
                             "field": [list(p) for p in g["field"]]} for g in grids]})
    return Scene(int(width), int(y + margin - 10), tuple(base), (), fig)


def fsize_of(grid: dict[str, Any]) -> str:
    return "x".join(str(hi - lo + 1) for lo, hi in grid["field"])
