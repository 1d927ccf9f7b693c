"""convcalc.draw: the geometry read back from the SVG against brute-force windows and the arithmetic.

The oracle here is independent of the drawing code: window positions are
enumerated from their definition (``i*s + u*d - p_lo``, PyTorch's Conv2d /
ConvTranspose2d), coverage by brute force over every window, and ceil mode by
PyTorch's rule written out again (a window must start inside the input or the
left padding). Output sizes are checked against :mod:`convcalc.arithmetic`.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict

import pytest

from convcalc import ConvCalcError, conv_output_size, pool_output_size, transposed_output_size
from convcalc.draw import MAX_CELLS_PER_AXIS, draw
from convcalc.draw.layout import layout
from convcalc.draw.model import build_figure
from convcalc.draw.svg import to_svg
from convcalc.working import explain_output_size
from tests.oracles import dilated_span, window_taps, windows_ceil, windows_floor

CELL = re.compile(r'data-grid="(\w+)" data-row="(-?\d+)" data-col="(-?\d+)" data-kind="([\w-]+)"')
MARK = re.compile(r'data-mark="(\w+)" data-grid="(\w+)" data-row="(-?\d+)" data-col="(-?\d+)"')
OUTPUT = re.compile(r'<svg [^>]*data-output="([\dx]+)"')


def parse(svg: str) -> tuple[dict, dict, tuple[int, ...]]:
    """``cells[grid][(r, c)] = kind``, ``marks[mark] = {(grid, r, c)}`` and the output size, from the SVG."""
    cells: dict = defaultdict(dict)
    for grid, r, c, kind in CELL.findall(svg):
        cells[grid][(int(r), int(c))] = kind
    marks: dict = defaultdict(set)
    for mark, grid, r, c in MARK.findall(svg):
        marks[mark].add((grid, int(r), int(c)))
    found = OUTPUT.search(svg)
    assert found, "the SVG names its output size"
    return cells, marks, tuple(int(v) for v in found.group(1).split("x"))


def random_config(rng: random.Random) -> dict:
    ndim = rng.choice((1, 2))
    op = rng.choice(("conv", "conv", "pool", "transposed"))
    axes = []
    for _ in range(ndim):
        n = rng.randint(1, 8 if op == "transposed" else 12)  # the stretched input stays under the 64-cell limit
        k = rng.randint(1, 5)
        s = rng.randint(1, 4)
        d = rng.choice((1, 1, 2, 3))
        lo, hi = (rng.randint(0, 3), rng.randint(0, 3)) if rng.random() < 0.4 else (rng.randint(0, 3),) * 2
        a = rng.randint(0, max(s, d) - 1) if op == "transposed" else 0
        axes.append((n, k, s, lo, hi, d, a))
    if op == "pool":  # PyTorch: pool padding at most half the window
        axes = [(n, k, s, min(lo, dilated_span(k, d) // 2), min(hi, dilated_span(k, d) // 2), d, a)
                for n, k, s, lo, hi, d, a in axes]
    return {"ndim": ndim, "op": op, "axes": axes, "ceil": op == "pool" and rng.random() < 0.5,
            "view": rng.choice(("direct", "scatter"))}


def library_output(cfg: dict) -> tuple[int, ...]:
    n, k, s, lo, hi, d, a = zip(*cfg["axes"])
    pads = tuple(zip(lo, hi))
    if cfg["op"] == "conv":
        out = conv_output_size(n, k, s, pads, d)
    elif cfg["op"] == "pool":
        out = pool_output_size(n, k, s, pads, d, cfg["ceil"])
    else:
        out = transposed_output_size(n, k, s, pads, d, a)
    # The picture writes the library's working: a geometry it refuses has no picture either.
    explain_output_size(cfg["op"], n, k, s, pads, d, ceil_mode=cfg["ceil"], output_padding=a)
    return tuple(out)


def check_conv_or_pool(cfg: dict, cells: dict, marks: dict, out: tuple[int, ...], target: tuple[int, ...]) -> None:
    axes = cfg["axes"]
    wins = [window_taps(o, k, s, lo, d) for o, (n, k, s, lo, hi, d, a) in zip(out, axes)]
    if cfg["ndim"] == 1:
        wins = [[[0]]] + wins
        target = (0, *target)
        axes = [(1, 1, 1, 0, 0, 1, 0)] + axes
    (nr, _, _, lor, hir, _, _), (nc, _, _, loc, hic, _, _) = axes
    covered = {(r, c) for wr in wins[0] for wc in wins[1] for r in wr for c in wc}
    for (r, c), kind in cells["input"].items():
        real = 0 <= r < nr and 0 <= c < nc
        in_pad = -lor <= r < nr + hir and -loc <= c < nc + hic
        expect = ("input" if (r, c) in covered else "uncovered") if real else "padding" if in_pad else "outside"
        assert kind == expect, (cfg, (r, c), kind, expect)
    # Every cell of the padded input is drawn.
    for r in range(-lor, nr + hir):
        for c in range(-loc, nc + hic):
            assert (r, c) in cells["input"], (cfg, r, c)
    window = {(r, c) for r in wins[0][target[0]] for c in wins[1][target[1]]}
    assert {(r, c) for g, r, c in marks["window"]} == window, cfg
    assert marks["target"] == {("output", *target)}
    assert set(cells["output"]) == {(i, j) for i in range(len(wins[0])) for j in range(len(wins[1]))}


def check_transposed(cfg: dict, cells: dict, marks: dict, out: tuple[int, ...], target: tuple[int, ...]) -> None:
    axes = cfg["axes"]
    if cfg["ndim"] == 1:
        axes = [(1, 1, 1, 0, 0, 1, 0)] + axes
        target = (0, *target)
        out = (1, *out)
    # Brute force scatter: which input cells write to the target (PyTorch ConvTranspose2d).
    writers = {(i, j) for i in range(axes[0][0]) for j in range(axes[1][0])
               if any(i * axes[0][2] + u * axes[0][5] - axes[0][3] == target[0] for u in range(axes[0][1]))
               and any(j * axes[1][2] + v * axes[1][5] - axes[1][3] == target[1] for v in range(axes[1][1]))}
    if cfg["view"] == "scatter":
        sources = {(r, c) for g, r, c in marks["source"]}
        assert sources == writers, cfg
        assert set(cells["input"]) == {(i, j) for i in range(axes[0][0]) for j in range(axes[1][0])}
        inside = {rc for rc, kind in cells["output"].items() if kind != "cropped"}
        assert inside == {(i, j) for i in range(out[0]) for j in range(out[1])}, cfg
        border = {rc for rc, kind in cells["output"].items() if kind == "output-padding"}
        assert border == {(i, j) for i in range(out[0]) for j in range(out[1])
                          if i >= out[0] - axes[0][6] or j >= out[1] - axes[1][6]}, cfg
        return
    # Direct view: input cell q sits at q*s in the stretched input; the window of the target reads exactly
    # the stretched cells of the writers (the equivalent convolution, kernel flipped).
    window = {(r, c) for g, r, c in marks["window"]}
    seen = {(r // axes[0][2], c // axes[1][2]) for r, c in window if cells["input"].get((r, c)) == "input"}
    assert seen == writers, cfg
    # The stretched input (s - 1 zeros between cells), read over [-lo', m + hi') with the equivalent
    # padding lo' = d*(k-1) - p_lo, hi' = d*(k-1) - p_hi + output_padding (Dumoulin & Visin, section 4.6).
    m = [(nn - 1) * ss + 1 for nn, _, ss, *_ in axes]
    reads = [(-(dd * (kk - 1) - lo), mm + dd * (kk - 1) - hi + a) for (_, kk, _, lo, hi, dd, a), mm in zip(axes, m)]
    for (r, c), kind in cells["input"].items():
        read = reads[0][0] <= r < reads[0][1] and reads[1][0] <= c < reads[1][1]
        stretched = 0 <= r < m[0] and 0 <= c < m[1]
        if not read:
            assert kind == "cropped", cfg
        elif stretched:
            assert kind == ("input" if r % axes[0][2] == 0 and c % axes[1][2] == 0 else "zero"), cfg
        else:
            band = r >= reads[0][1] - axes[0][6] or c >= reads[1][1] - axes[1][6]
            assert kind == ("output-padding" if band else "padding"), cfg
    for r in range(min(reads[0][0], 0), max(reads[0][1], m[0])):
        for c in range(min(reads[1][0], 0), max(reads[1][1], m[1])):
            assert (r, c) in cells["input"], cfg
    assert len(window) == axes[0][1] * axes[1][1]
    assert all(cells["input"].get(rc) not in (None, "cropped") for rc in window), cfg


def test_geometry_from_svg_matches_brute_force_on_5000_configurations() -> None:
    rng = random.Random(20261204)
    drawn = refused = 0
    while drawn < 5000:
        cfg = random_config(rng)
        n, k, s, lo, hi, d, a = zip(*cfg["axes"])
        pads = tuple(zip(lo, hi))
        try:
            expected = library_output(cfg)
        except ConvCalcError:
            with pytest.raises(ConvCalcError):
                build_figure(n, k, s, pads, d, op=cfg["op"], ceil_mode=cfg["ceil"], output_padding=a)
            refused += 1
            continue
        if cfg["op"] == "pool":  # the arithmetic itself against PyTorch's rule written out again
            windows = windows_ceil if cfg["ceil"] else windows_floor  # (pool padding <= half the window here)
            for axis, o in enumerate(expected):
                assert o == windows(n[axis], k[axis], s[axis], lo[axis], hi[axis], d[axis])
        target = tuple(rng.randrange(o) for o in expected)
        fig = build_figure(n, k, s, pads, d, op=cfg["op"], ceil_mode=cfg["ceil"], output_padding=a,
                           cell=target, view=cfg["view"])
        cells, marks, out = parse(to_svg(layout(fig)))
        assert out == expected
        if cfg["op"] == "transposed":
            check_transposed(cfg, cells, marks, out, target)
        else:
            check_conv_or_pool(cfg, cells, marks, out, target)
        drawn += 1
    assert refused > 50  # the generator also reaches impossible geometry, refused as the arithmetic refuses it


def test_ceil_mode_draws_the_dropped_window() -> None:
    # n=5, k=2, s=2, p=1: ceil mode would start a 4th window at 5 (the right padding): PyTorch drops it.
    svg = draw(5, 2, 2, 1, op="pool", ceil_mode=True, cell=(0,)).svg()
    cells, marks, out = parse(svg)
    assert out == (3,)
    dropped = {(int(r), int(c)) for r, c in re.findall(r'data-mark="dropped" data-row="(-?\d+)" data-col="(-?\d+)"',
                                                       svg)}
    assert dropped == {(0, 5), (0, 6)}
    assert cells["input"][(0, 6)] == "outside" and cells["input"][(0, 5)] == "padding"
    assert "PyTorch drops it" in svg
    no_drop = draw(5, 2, 2, 0, op="pool", ceil_mode=True, cell=(0,)).svg()
    assert 'data-mark="dropped"' not in no_drop


def test_uncovered_cells_are_shaded_and_explained() -> None:
    svg = draw(16, 2, 2, 1, 4, cell=(3,)).svg()  # HW5: dilation 4 skips every even input cell
    cells, marks, out = parse(svg)
    assert out == (7,)
    assert sorted(c for (r, c), kind in cells["input"].items() if kind == "uncovered") == list(range(0, 16, 2))
    assert {c for _, _, c in marks["window"]} == {5, 9}
    assert "input cell no window covers" in svg


def test_animation_has_one_frame_per_output_position() -> None:
    picture = draw((4, 5), 3, padding=(0, 1))
    svg = picture.svg()
    assert picture.output == (2, 5)
    assert svg.count('class="frame"') == 10 and svg.count("<animate ") == 10
    assert 'data-frames="10"' in svg
    assert picture.svg(frame=3).count('class="frame"') == 1
    with pytest.raises(ConvCalcError, match="frame"):
        picture.svg(frame=10)


def test_matrices_show_values_and_the_cell_sum() -> None:
    x = "1 0 -2; 2 9 5; 0 -3 1"
    from convcalc.matrix_input import parse_matrix

    picture = draw(None, None, x=parse_matrix(x), f=parse_matrix("-1 -1 -1; -1 8 -1; -1 -1 -1"), cell=(0, 0))
    svg = picture.svg()
    assert "y[0, 0] = (-1) + 0 + 2 + (-2) + 72 + (-5) + 0 + 3 + (-1) = 68" in svg  # README's seed cell
    assert re.search(r'data-grid="output" data-row="0" data-col="0" data-kind="output"/>', svg)
    assert ">68</text>" in svg


def test_keras_same_and_asymmetric_padding() -> None:
    cells, _, out = parse(draw(5, 2, 2, "same", framework="keras", cell=(0,)).svg())
    assert out == (3,)
    assert sorted(c for (_, c), kind in cells["input"].items() if kind == "padding") == [5]  # extra on the right
    cells, _, out = parse(draw((3, 3), 2, 1, ((0, 1), (1, 0)), cell=(0, 0)).svg())
    assert out == (3, 3)
    pads = {rc for rc, kind in cells["input"].items() if kind == "padding"}
    assert (3, 0) in pads and (0, -1) in pads and (-1, 0) not in pads


@pytest.mark.parametrize("args, match", [
    ((10000, 3), "at most 64 cells"),
    ((5, 3, 1, 0, 1), None),
    ((70, 3, 35), "at most 64 cells"),
    ((40, 3, 1, 0, 1), "frames"),
])
def test_limits(args: tuple, match: str | None) -> None:
    if match is None:
        draw(*args)
        return
    with pytest.raises(ConvCalcError, match=match):
        draw(*args) if match != "frames" else draw((40, 40), 3)
    assert MAX_CELLS_PER_AXIS == 64


def test_bad_values_raise_convcalc_errors() -> None:
    for kwargs in ({"cell": (3,)}, {"cell": (0, 0)}, {"view": "sideways"}, {"op": "deconv"}):
        with pytest.raises(ConvCalcError):
            draw(5, 3, **kwargs)
    with pytest.raises(ConvCalcError, match="symbol"):
        draw("n", 3)
    with pytest.raises(ConvCalcError, match="larger than the padded input"):
        draw(2, 3)
    with pytest.raises(ConvCalcError, match="1-D and 2-D"):
        draw((3, 3, 3), 1)
