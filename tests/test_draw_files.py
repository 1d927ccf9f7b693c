"""convcalc draw: PNG and GIF files, golden SVGs of the guide's figures, receptive fields, the command line."""

from __future__ import annotations

import builtins
import os
import random
from pathlib import Path

import pytest

from convcalc import ConvCalcError
from convcalc.draw import draw
from convcalc.draw.gallery import CLASSICS, SEEDS
from convcalc.draw.receptive import field_intervals, receptive_scene
from convcalc.layers import Conv2D, MaxPool2D, ReLU

Image = pytest.importorskip("PIL.Image", reason="PNG/GIF need Pillow (the plot and dev extras install it)")

GOLDEN = Path(__file__).parent / "golden" / "draw"


# --------------------------------------------------------------------------- PNG and GIF
def test_png_has_the_scene_size_at_twice_the_scale(tmp_path: Path) -> None:
    picture = draw((5, 5), 3, 2, 1, cell=(1, 1))
    path = picture.save(tmp_path / "p.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (round(picture.scene.width * 2), round(picture.scene.height * 2))
        assert len(image.convert("RGB").getcolors(1 << 20)) > 20  # not blank


def test_gif_has_one_frame_per_output_position_and_loops(tmp_path: Path) -> None:
    picture = draw((5, 5), 3, 2, 1)
    path = picture.save(tmp_path / "a.gif")
    with Image.open(path) as image:
        assert image.format == "GIF"
        assert image.n_frames == 9 == len(picture.figure.frames)
        assert image.size == (picture.scene.width, picture.scene.height)
        assert image.info.get("loop") == 0
        first = image.convert("RGB").tobytes()
        image.seek(4)
        assert image.convert("RGB").tobytes() != first  # the window moved


def test_gif_frames_match_a_full_drawing_of_each_frame(tmp_path: Path) -> None:
    """The GIF redraws only each frame's box: every frame must still equal the whole frame drawn afresh."""
    from PIL import ImageChops

    from convcalc.draw.raster import _base, _frame
    from convcalc.draw.gallery import SEEDS

    kwargs = dict(next(k for n, _, k in SEEDS if n == "laplacian_6x6"))
    kwargs.update(cell=None, padding=1)
    picture = draw(**kwargs)
    path = picture.save(tmp_path / "lap.gif")
    base, under = _base(picture.scene, 1.0)
    with Image.open(path) as image:
        assert image.n_frames == 36
        for number in (0, 7, 20, 35):
            image.seek(number)
            fresh = _frame(picture.scene, base, under, number, 1.0)
            diff = ImageChops.difference(image.convert("RGB"), fresh).convert("L").histogram()
            assert sum(diff[30:]) < 0.001 * sum(diff), number  # palette rounding only: no pixel really differs


def test_1d_gif_and_transposed_scatter_frames(tmp_path: Path) -> None:
    with Image.open(draw(16, 2, 2, 1, 4).save(tmp_path / "hw5.gif")) as image:
        assert image.n_frames == 7
    scatter = draw((2, 3), 3, 2, op="transposed", view="scatter")
    with Image.open(scatter.save(tmp_path / "t.gif")) as image:
        assert image.n_frames == 6  # one per input cell


def test_missing_pillow_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_import = builtins.__import__

    def no_pil(name: str, *args: object, **kwargs: object) -> object:
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ConvCalcError, match=r"pip install 'convcalc\[plot\]'"):
        draw(5, 3).save(tmp_path / "x.png")
    draw(5, 3).save(tmp_path / "x.svg")  # SVG needs nothing


def test_pooling_a_matrix_draws_the_pooled_values() -> None:
    import re

    from convcalc.exact import avg_pool, max_pool

    x = [[1, 2, 3, 4, 5], [5, 6, 7, 8, 9], [0, 1, 2, 3, 4], [9, 8, 7, 6, 5], [1, 1, 1, 1, 1]]
    for pool_op, expected in (("max", max_pool(x, 2, 2, 1, 1, True)), ("avg", avg_pool(x, 2, 2, 1, True))):
        svg = draw(None, 2, 2, 1, op="pool", ceil_mode=True, x=x, pool_op=pool_op, cell=(2, 2)).svg()
        values = re.findall(r'data-grid="output" data-row="(\d)" data-col="(\d)" data-kind="output"/>', svg)
        assert len(values) == 9
        shown = re.findall(r'text-anchor="middle" fill="#111">([^<]*)</text>', svg)[-9:]
        assert shown == [str(v) for row in expected for v in row]
    assert "y[2, 2] = max(6, 5, 1, 1) = 6" in draw(None, 2, 2, 1, op="pool", ceil_mode=True, x=x, cell=(2, 2)).svg()


# --------------------------------------------------------------------------- golden SVGs
@pytest.mark.parametrize("name, caption, kwargs", CLASSICS + SEEDS, ids=[c[0] for c in CLASSICS + SEEDS])
def test_golden_svg(name: str, caption: str, kwargs: dict, request: pytest.FixtureRequest) -> None:
    args = dict(kwargs)
    args.setdefault("cell", None)
    if args["cell"] is None:  # the golden file holds the first frame; the animation is tested above
        picture = draw(**args)
        svg = picture.svg(frame=0)
    else:
        svg = draw(**args).svg()
    path = GOLDEN / f"{name}.svg"
    overwrite = os.environ.get("CONVCALC_OVERWRITE_GOLDEN") == "1" or request.config.getoption("--overwrite")
    if overwrite or not path.exists():
        if not overwrite and os.environ.get("CI"):
            pytest.fail(f"golden file {path} is missing; run pytest --overwrite locally and commit it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg)
    assert svg == path.read_text(), f"{path} differs (pytest --overwrite to accept a deliberate change)"


def test_guide_sizes() -> None:
    """The guide's stated output sizes (Dumoulin & Visin, figures 2.1-2.7, 4.1-4.7, 5.1)."""
    expected = {"no_padding_no_strides": (2, 2), "arbitrary_padding_no_strides": (6, 6),
                "same_padding_no_strides": (5, 5), "full_padding_no_strides": (7, 7), "no_padding_strides": (2, 2),
                "padding_strides": (3, 3), "padding_strides_odd": (3, 3), "dilation": (3, 3),
                "no_padding_no_strides_transposed": (4, 4), "same_padding_no_strides_transposed": (5, 5),
                "no_padding_strides_transposed": (5, 5), "padding_strides_transposed": (5, 5),
                "padding_strides_odd_transposed": (6, 6), "padding_strides_odd_transposed_scatter": (6, 6)}
    for name, _, kwargs in CLASSICS:
        assert draw(**kwargs).output == expected[name], name


# --------------------------------------------------------------------------- receptive fields
def brute_field(layers: list, unit: tuple[int, int]) -> list[tuple[tuple[int, int], ...]]:
    """Walk the interval of cells down through each layer: [a, b] -> [a*s - p, b*s - p + d*(k-1)]."""
    fields = [tuple((u, u) for u in unit)]
    for layer in reversed(layers):
        k, s, p, d = layer.geometry
        fields.append(tuple((a * s - p, b * s - p + d * (k - 1)) for a, b in fields[-1]))
    return fields[::-1]


class Geo:
    def __init__(self, spec: object, k: int, s: int, p: int, d: int) -> None:
        self.spec, self.geometry = spec, (k, s, p, d)


def test_receptive_field_intervals_match_brute_force_on_random_chains() -> None:
    rng = random.Random(7)
    checked = 0
    while checked < 200:
        chain, size = [], 32
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.3:
                k = rng.randint(2, 3)
                chain.append(Geo(MaxPool2D(k), k, k, 0, 1))
            else:
                k, s, d = rng.randint(1, 5), rng.randint(1, 2), rng.choice((1, 2))
                p = rng.randint(0, (d * (k - 1)) // 2)
                chain.append(Geo(Conv2D(4, k, stride=s, padding=p, dilation=d), k, s, p, d))
        try:
            grids = field_intervals([g.spec for g in chain], (1, size, size), (0, 0))
        except ConvCalcError:
            continue
        top = grids[-1]["size"]
        unit = (rng.randrange(top[0]), rng.randrange(top[1]))
        grids = field_intervals([g.spec for g in chain], (1, size, size), unit)
        assert [g["field"] for g in grids] == brute_field(chain, unit)
        checked += 1


def test_receptive_scene_hw5_and_elementwise_layers() -> None:
    from convcalc.draw.svg import to_svg

    layers = [Conv2D(32, 3), ReLU(), MaxPool2D(2)]
    grids = field_intervals(layers, (1, 28, 28), (6, 6))
    assert [g["field"] for g in grids] == [((12, 15), (12, 15)), ((12, 13), (12, 13)), ((12, 13), (12, 13)),
                                           ((6, 6), (6, 6))]
    svg = to_svg(receptive_scene(layers, (1, 28, 28), (6, 6)))
    assert 'data-field-rows="12:15"' in svg and 'data-kind="unit"' in svg
    with pytest.raises(ConvCalcError, match="unit"):
        field_intervals(layers, (1, 28, 28), (13, 0))


def test_receptive_field_through_a_residual_graph() -> None:
    """res[...]: the field on layer 1 is the hull of the two paths (Distill 2019): via the branch,
    rows 6..7 of the sum grow by two 3x3 convolutions to 4..9; via the shortcut they stay 6..7."""
    from convcalc.spec import load_stack

    layers, shape = load_stack("conv(8,3,p=1) res[conv(8,3,p=1) relu conv(8,3,p=1)] pool(2)", (1, 16, 16))
    grids = {g["index"]: g["field"] for g in field_intervals(layers, shape, (3, 3))}
    assert grids[6] == ((3, 3), (3, 3))
    assert grids[5] == ((6, 7), (6, 7)) and grids[4] == ((6, 7), (6, 7))
    assert grids[2] == ((5, 8), (5, 8)) and grids[1] == ((4, 9), (4, 9)) and grids[0] == ((3, 10), (3, 10))
    # The effective field of a graph runs through convcalc.nn's graph model: inside the hull, reaching its corners.
    heat = {(r, c) for r, row in enumerate(field_map(layers, shape)) for c, v in enumerate(row) if v > 0}
    assert heat <= {(r, c) for r in range(3, 11) for c in range(3, 11)} and {(3, 3), (10, 10)} <= heat


def field_map(layers: object, shape: tuple[int, ...]) -> list[list[float]]:
    from convcalc.draw.effective import effective_field

    return effective_field(layers, shape, (3, 3), 6, samples=2)


def test_deep_networks_show_one_grid_per_resolution() -> None:
    from convcalc.draw import receptive_field

    picture = receptive_field("vgg16", None, (3, 3))
    svg = picture.svg()
    sizes = [g["size"] for g in picture.figure.params["grids"]]
    assert sizes[0] == [224, 224] and sizes[-1] == [7, 7]
    assert svg.count("field ") <= 9 + 2  # at most 8 grids (plus the two notes)


def test_effective_field_lives_inside_the_receptive_field() -> None:
    """|d unit / d input| at initialisation is non-zero exactly on the theoretical field for a linear chain
    (no ReLU), and never outside it with ReLU and pooling (Luo et al. 2016)."""
    from convcalc.draw.effective import effective_field

    linear = [Conv2D(4, 3), Conv2D(4, 3, dilation=2), Conv2D(4, 2, stride=2)]
    (r_lo, r_hi), (c_lo, c_hi) = field_intervals(linear, (2, 16, 16), (2, 1))[0]["field"]
    heat = effective_field(linear, (2, 16, 16), (2, 1), 3, samples=2)
    support = {(r, c) for r, row in enumerate(heat) for c, v in enumerate(row) if v > 0}
    inside = {(r, c) for r in range(r_lo, r_hi + 1) for c in range(c_lo, c_hi + 1)}
    # the dilated middle layer leaves holes, so the support is inside the extent and reaches its corners
    assert support <= inside and {(r_lo, c_lo), (r_hi, c_hi)} <= support
    assert max(max(row) for row in heat) == 1.0
    relu = [Conv2D(4, 3), ReLU(), MaxPool2D(2), Conv2D(4, 3)]
    (r_lo, r_hi), (c_lo, c_hi) = field_intervals(relu, (1, 16, 16), (2, 2))[0]["field"]
    heat = effective_field(relu, (1, 16, 16), (2, 2), 4, samples=4)
    support = {(r, c) for r, row in enumerate(heat) for c, v in enumerate(row) if v > 0}
    assert support and all(r_lo <= r <= r_hi and c_lo <= c <= c_hi for r, c in support)


# --------------------------------------------------------------------------- the command line
def test_cli_writes_each_format(run_cli, tmp_path: Path) -> None:
    for name in ("a.svg", "a.png", "a.gif"):
        result = run_cli(*["draw", "--in", "5x5", "--k", "3", "--s", "2", "--p", "1", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 500
    assert "9 frames" in result.output
    result = run_cli(*["draw", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4", "--cell", "3"])
    assert result.exit_code == 0 and result.output.startswith("<svg") and 'data-output="7"' in result.output


def test_cli_options_of_outsize(run_cli, tmp_path: Path) -> None:
    out = str(tmp_path / "x.svg")
    for args in (["--in", "3x3", "--k", "3", "--s", "2", "--p", "1", "--transposed", "--output-padding", "1"],
                 ["--in", "3x3", "--k", "3", "--s", "2", "--transposed", "--view", "scatter", "--cell", "2,2"],
                 ["--in", "5x5", "--k", "2", "--pool", "--ceil", "--p", "1"],
                 ["--in", "5", "--k", "2", "--s", "2", "--p", "same", "--framework", "keras"],
                 ["--in", "5,7", "--k", "3", "--p", "0:1"],
                 ["--x", "1 2 3; 4 5 6; 7 8 9", "--f", "1 0; 0 -1", "--cell", "1,1"],
                 ["--pool", "--x", "1 2 3; 4 5 6; 7 8 9", "--k", "2", "--s", "1", "--avg"],
                 ["--stack", "hw5", "--unit", "6,6"],
                 ["--stack", "conv(8,3,p=1) pool(2)", "--in", "1x16x16", "--unit", "1,2", "--layer", "1"],
                 ["--stack", "conv(8,3) relu conv(8,3)", "--in", "1x12x12", "--unit", "3,3", "--effective"]):
        result = run_cli(*["draw", *args, "-o", out])
        assert result.exit_code == 0, (args, result.output)
    assert "receptive field" in result.output


@pytest.mark.parametrize("args, words", [
    (["--in", "10000", "--k", "3"], "at most 64 cells"),
    (["--in", "5", "--k", "3", "--cell", "7"], "cell"),
    (["--in", "5", "--k", "3", "--cell", "a,b"], "cell"),
    (["--in", "5", "--k", "3", "-o", "x.pdf"], ".svg, .png or .gif"),
    (["--in", "5", "--k", "3", "--ceil"], "--pool"),
    (["--in", "5", "--k", "3", "--view", "scatter"], "--transposed"),
    (["--in", "5", "--k", "3", "--pool", "--transposed"], "not both"),
    (["--k", "3"], "--in"),
    (["--x", "1 2; 3 4"], "--f"),
    (["--x", "1 2; 3 4", "--f", "1", "--in", "3"], "disagrees"),
    (["--in", "2", "--k", "5"], "larger than the padded input"),
    (["--stack", "hw5"], "--unit"),
    (["--stack", "hw5", "--unit", "99,0"], "unit"),
    (["--stack", "nosuchnet", "--unit", "0,0"], "neither a preset"),
    (["--in", "5", "--k", "3", "--unit", "1,1"], "--stack"),
    (["--in", "5", "--k", "3", "--avg"], "--avg goes with"),
    (["--pool", "--x", "1 2; 3 4", "--f", "1", "--k", "2"], "one matrix"),
    (["--transposed", "--x", "1 2; 3 4"], "give both --x and --f"),  # with both, a transposed convolution is drawn
    (["--in", "5", "--k", "3", "--effective"], "--stack"),
    (["--in", "40x40", "--k", "3", "-o", "x.gif"], "frames"),
])
def test_cli_bad_values_one_line_exit_2(run_cli, args: list[str], words: str) -> None:
    result = run_cli(*["draw", *args])
    assert result.exit_code == 2, result.output
    text = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert words in text
    assert "Traceback" not in text


def test_cli_unwritable_outputs_are_one_line(run_cli, tmp_path: Path) -> None:
    (tmp_path / "d.svg").mkdir()
    for target, words in ((tmp_path / "missing" / "x.svg", "does not exist"), (tmp_path / "d.svg", "is a folder")):
        result = run_cli("draw", "--in", "5", "--k", "3", "-o", str(target))
        assert result.exit_code == 2 and words in result.output, result.output
    result = run_cli("draw", "--in", "5", "--k", "3", "-o", str(tmp_path / "d\x00.svg"))
    assert result.exit_code == 2 and "NUL" in result.output, result.output
    result = run_cli("draw", "--in", "5", "--k", "3", "-o", str(tmp_path / ("x" * 300 + ".svg")))
    assert result.exit_code == 2 and "Cannot write the picture" in result.output, result.output
    existing = tmp_path / "old.svg"
    existing.write_text("old")
    assert run_cli("draw", "--in", "5", "--k", "3", "-o", str(existing)).exit_code == 0
    assert existing.read_text().startswith("<svg")  # a picture is regenerated in place
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_serve_refuses_a_bad_port(run_cli) -> None:
    result = run_cli(*["serve", "--port", "70000"])
    assert result.exit_code == 2
