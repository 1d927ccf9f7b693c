"""convcalc draw --transposed with matrices: the drawn numbers against conv_transpose and PyTorch.

Oracles, independent of the drawing code:

* ``torch.nn.functional.conv_transpose2d`` in float64 on integer data (exact there);
* the direct view re-added by hand: every window cell's drawn value times the
  weight drawn in its corner, summed, must give the drawn output cell (this is
  the equivalent direct convolution, so it checks the stretching, the padding
  and the 180° rotation of the kernel);
* the scatter view re-added by hand: the products drawn in the cells each input
  cell writes, summed per output cell over all frames, must give the drawn output.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from fractions import Fraction

import pytest
from typer.testing import CliRunner

from convcalc import ConvCalcError
from convcalc.cli.main import app
from convcalc.draw import draw
from convcalc.draw.model import build_figure, format_value
from convcalc.exact import conv_transpose

RECT = re.compile(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*'
                  r'data-grid="output" data-row="(-?\d+)" data-col="(-?\d+)" data-kind')
LABEL = re.compile(r'<text x="([\d.]+)" y="([\d.]+)" [^>]*fill="#111">([^<]*)</text>')


def output_values_in_svg(svg: str) -> dict:
    """``{(row, col): text}``: the number written inside each output cell's rectangle of the SVG."""
    rects = [tuple(map(float, m[:4])) + (int(m[4]), int(m[5])) for m in RECT.findall(svg)]
    found = {}
    for lx, ly, text in LABEL.findall(svg):
        for x, y, w, h, r, c in rects:
            if x < float(lx) < x + w and y < float(ly) < y + h:
                assert (r, c) not in found
                found[(r, c)] = text
    return found


def random_case(rng: random.Random) -> dict:
    """A legal transposed convolution small enough to draw (output >= 1 per axis)."""
    while True:
        n = (rng.randint(1, 4), rng.randint(1, 4))
        k = (rng.randint(1, 3), rng.randint(1, 3))
        s = (rng.randint(1, 3), rng.randint(1, 3))
        d = (rng.randint(1, 2), rng.randint(1, 2))
        p = tuple((rng.randint(0, 2), rng.randint(0, 2)) for _ in range(2))
        a = tuple(rng.randint(0, max(s[i], d[i]) - 1) for i in range(2))
        if all((n[i] - 1) * s[i] - sum(p[i]) + d[i] * (k[i] - 1) + a[i] + 1 >= 1 for i in range(2)):
            x = [[rng.randint(-5, 5) for _ in range(n[1])] for _ in range(n[0])]
            f = [[rng.randint(-4, 4) for _ in range(k[1])] for _ in range(k[0])]
            return {"x": x, "f": f, "stride": s, "padding": p, "dilation": d, "output_padding": a}


def figure(case: dict, view: str, cell: tuple[int, int] | None = None):
    return build_figure(None, None, case["stride"], case["padding"], case["dilation"], op="transposed",
                        output_padding=case["output_padding"], x=case["x"], f=case["f"], view=view, cell=cell)


def exact(case: dict) -> list:
    return conv_transpose(case["x"], case["f"], case["stride"], case["padding"], case["output_padding"],
                          case["dilation"])


def grid(fig, name: str):
    (g,) = [g for g in fig.grids if g.name == name]
    return g


def drawn(g) -> dict:
    return {(g.row0 + a, g.col0 + b): v for a, row in enumerate(g.values) for b, v in enumerate(row)}


def torch_oracle(case: dict) -> list:
    """PyTorch's conv_transpose2d (float64, integer data) without padding, then cropped ``p_lo`` at the start to the
    output size; output_padding cells past the full result are zeros (PyTorch's, whose padding is symmetric)."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(case["x"], dtype=torch.float64)[None, None]
    f = torch.tensor(case["f"], dtype=torch.float64)[None, None]
    full = torch.nn.functional.conv_transpose2d(x, f, stride=case["stride"], dilation=case["dilation"])[0, 0]
    n, k = (len(case["x"]), len(case["x"][0])), (len(case["f"]), len(case["f"][0]))
    size = [(n[i] - 1) * case["stride"][i] - sum(case["padding"][i]) + case["dilation"][i] * (k[i] - 1)
            + case["output_padding"][i] + 1 for i in range(2)]
    (top, _), (left, _) = case["padding"]
    out = torch.zeros(size, dtype=torch.float64)
    part = full[top:top + size[0], left:left + size[1]]
    out[:part.shape[0], :part.shape[1]] = part
    return [[int(v) for v in row] for row in out.tolist()]


def test_torch_oracle_agrees_with_torch_own_symmetric_padding() -> None:
    torch = pytest.importorskip("torch")
    case = {"x": [[1, -2, 3], [0, 4, -1]], "f": [[2, -1], [1, 3], [0, 1]], "stride": (2, 3), "dilation": (1, 2),
            "padding": ((1, 1), (2, 2)), "output_padding": (1, 1)}
    y = torch.nn.functional.conv_transpose2d(torch.tensor(case["x"], dtype=torch.float64)[None, None],
                                             torch.tensor(case["f"], dtype=torch.float64)[None, None],
                                             stride=(2, 3), padding=(1, 2), output_padding=(1, 1),
                                             dilation=(1, 2))[0, 0]
    assert torch_oracle(case) == [[int(v) for v in row] for row in y.tolist()]


@pytest.mark.parametrize("view", ["direct", "scatter"])
def test_every_drawn_output_value_is_conv_transpose(view: str) -> None:
    rng = random.Random(13 if view == "direct" else 31)
    for _ in range(40):
        case = random_case(rng)
        fig = figure(case, view)
        y = exact(case)
        assert fig.output == (len(y), len(y[0]))
        out = grid(fig, "output")
        values = drawn(out)
        for i, row in enumerate(y):
            for j, v in enumerate(row):
                assert values[(i, j)] == format_value(v)
        # and the SVG writes the same numbers in the same cells
        svg = draw(None, None, case["stride"], case["padding"], case["dilation"], op="transposed",
                   output_padding=case["output_padding"], x=case["x"], f=case["f"], view=view).svg(frame=0)
        assert output_values_in_svg(svg) == {rc: v for rc, v in values.items() if v != ""}


def test_direct_view_adds_up_to_the_output_and_to_torch() -> None:
    rng = random.Random(2026)
    for _ in range(40):
        case = random_case(rng)
        fig = figure(case, "direct")
        inputs, outputs = drawn(grid(fig, "input")), drawn(grid(fig, "output"))
        y = exact(case)
        assert y == torch_oracle(case), case
        assert len(fig.frames) == len(y) * len(y[0])
        for fr in fig.frames:
            ((i, j),) = [(r, c) for g, r, c, m in fr.marks if m == "target"]
            window = {(r, c) for g, r, c, m in fr.marks if m == "window"}
            tags = {(r, c): text for g, r, c, text in fr.tags}
            assert set(tags) == window
            total = sum(Fraction(inputs[rc]) * Fraction(tags[rc].lstrip("×")) for rc in window)
            assert total == Fraction(outputs[(i, j)]) == y[i][j]
            assert fr.note.startswith(f"y[{i}, {j}] = ") and fr.note.endswith(format_value(y[i][j]))


def test_direct_view_puts_inputs_at_stretched_positions_and_rotates_the_kernel() -> None:
    x, f = [[1, 2], [3, 4]], [[1, 2, 3], [4, 5, 6]]
    fig = build_figure(None, None, 3, op="transposed", x=x, f=f, cell=(0, 0))
    inputs = drawn(grid(fig, "input"))
    assert [inputs[(r, c)] for r, c in ((0, 0), (0, 3), (3, 0), (3, 3))] == ["1", "2", "3", "4"]
    assert inputs[(0, 1)] == inputs[(1, 1)] == inputs[(-1, -2)] == "0"
    assert grid(fig, "kernel").values == (("6", "5", "4"), ("3", "2", "1"))
    assert dict(((r, c), t) for _, r, c, t in fig.frames[0].tags)[(0, 0)] == "×1"  # x[0,0]*f[0,0] lands on y[0,0]


def test_scatter_view_products_add_up_to_the_output_and_to_torch() -> None:
    rng = random.Random(7)
    for _ in range(40):
        case = random_case(rng)
        fig = figure(case, "scatter")
        y = exact(case)
        assert y == torch_oracle(case), case
        sums: dict = defaultdict(Fraction)
        for fr in fig.frames:
            ((a, b),) = [(r, c) for g, r, c, m in fr.marks if m == "source"]
            assert fr.note.startswith(f"x[{a}, {b}] = {case['x'][a][b]}")
            for _, r, c, text in fr.tags:
                sums[(r, c)] += Fraction(text.lstrip("+"))
        outputs = drawn(grid(fig, "output"))
        for i, row in enumerate(y):
            for j, v in enumerate(row):
                assert sums.get((i, j), 0) == Fraction(outputs[(i, j)]) == v


def test_scatter_view_with_a_cell_shows_its_writers_and_sum() -> None:
    x, f = [[0, 1], [2, 3]], [[0, 1], [2, 3]]  # d2l 14.10
    fig = build_figure(None, None, 1, op="transposed", x=x, f=f, cell=(1, 1), view="scatter")
    assert len(fig.frames) == 4
    assert all(fr.note == "y[1, 1] = X(0,0)*F(1,1) + X(0,1)*F(1,0) + X(1,0)*F(0,1) + X(1,1)*F(0,0) "
                          "= 0*3 + 1*2 + 2*1 + 3*0 = 4" for fr in fig.frames)
    # an output_padding cell nobody writes: its working says so
    fig = build_figure(None, None, 2, op="transposed", x=[[1]], f=[[2]], output_padding=1, cell=(1, 1),
                       view="scatter")
    assert fig.frames[0].note.startswith("y[1, 1] = no input cell reaches Y(1,1)")
    assert grid(fig, "output").values == (("2", "0"), ("0", "0"))


def test_fractions_are_drawn_exactly() -> None:
    fig = build_figure(None, None, 2, op="transposed", x=[[Fraction(1, 2), 1]], f=[[Fraction(-1, 3), 3]],
                       cell=(0, 1))
    assert grid(fig, "output").values == (("-1/6", "3/2", "-1/3", "3"),)
    assert fig.frames[0].note == "y[0, 1] = X(0,0)*F(0,1) = (1/2)*3 = 3/2"  # the working's own text


def test_cli_draws_the_numbers_and_refuses_one_matrix() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["draw", "--x", "0 1; 2 3", "--f", "0 1; 2 3", "--transposed", "--s", "2",
                                 "--cell", "3,3"])
    assert result.exit_code == 0, result.output
    assert "y[3, 3] = X(1,1)*F(1,1) = 3*3 = 9" in result.stdout
    assert output_values_in_svg(result.stdout)[(3, 3)] == "9"
    result = runner.invoke(app, ["draw", "--x", "0 1; 2 3", "--f", "0 1; 2 3", "--transposed", "--view", "scatter",
                                 "--cell", "1,1"])
    assert result.exit_code == 0, result.output
    assert "= 0*3 + 1*2 + 2*1 + 3*0 = 4</text>" in result.stdout
    result = runner.invoke(app, ["draw", "--x", "0 1; 2 3", "--transposed"])
    assert result.exit_code == 2 and "--f" in result.output
    with pytest.raises(ConvCalcError, match="x and f"):
        build_figure(None, None, 1, op="transposed", x=[[1]])


def test_scatter_view_keeps_the_frame_limit() -> None:
    """One frame per input cell: 62x62 = 3844 frames is refused (as the direct view's 1,024), one cell is drawn."""
    x = [[(i + j) % 3 for j in range(62)] for i in range(62)]
    with pytest.raises(ConvCalcError, match="1024 frames"):
        build_figure(None, None, 1, op="transposed", x=x, f=[[1]], view="scatter")
    with pytest.raises(ConvCalcError, match="1024 frames"):
        build_figure((62, 62), 1, 1, op="transposed", view="scatter")
    fig = build_figure(None, None, 1, op="transposed", x=x, f=[[2]], view="scatter", cell=(61, 61))
    assert fig.frames[0].note == "y[61, 61] = X(61,61)*F(0,0) = 2*2 = 4"
