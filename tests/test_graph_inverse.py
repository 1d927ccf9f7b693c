"""`input_fits` / `convcalc solve input --stack`: the input sizes a whole network takes exactly."""

from __future__ import annotations

import json

import pytest

from convcalc.errors import ConvCalcError
from convcalc.graph import Graph
from convcalc.graph.inverse import input_fits
from convcalc.layers import Conv2D, MaxPool2D
from convcalc.presets import preset


def test_unet_sizes_are_188_plus_multiples_of_16() -> None:
    """Four 2x2 pools after pairs of valid 3x3 convs: every pool needs an even input, so n = 188 + 16k."""
    graph, _ = preset("unet")
    fits = input_fits(graph, range(100, 700))
    assert [f.size for f in fits if f.ok] == list(range(188, 700, 16))
    assert next(f for f in fits if f.size == 572).output_shape == (2, 388, 388)


def test_a_chain_against_the_divisibility_rule() -> None:
    """conv 3 s2 then pool 2: n fits iff (n - 3) % 2 == 0 and the conv's output (n - 3)//2 + 1 is even."""
    layers = [Conv2D(4, 3, stride=2), MaxPool2D(2)]
    fits = input_fits(Graph.chain(layers, (1, 8, 8)), range(5, 80))
    expected = [n for n in range(5, 80) if (n - 3) % 2 == 0 and ((n - 3) // 2 + 1) % 2 == 0]
    assert [f.size for f in fits if f.ok] == expected
    assert all(f.reason for f in fits if not f.ok)


def test_output_filter_and_errors() -> None:
    graph, _ = preset("unet")
    assert [f.size for f in input_fits(graph, range(500, 600), output=388) if f.ok] == [572]
    with pytest.raises(ConvCalcError, match="'sizes'"):
        input_fits(graph, range(1, 10**6))


def test_cli_lists_the_sizes(run_cli) -> None:
    result = run_cli("solve", "input", "--stack", "unet", "--range", "100..700", "--out", "388", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["input_sizes"] == [572]
    text = run_cli("solve", "input", "--stack", "unet", "--range", "180..200").output
    assert "188 -> (2, 4, 4)" in text and "189 does not: layer 5 (MaxPool2D(2)) drops input rows" in text


@pytest.mark.parametrize(("args", "message"), [
    (["solve", "input", "--stack", "unet", "--range", "9..1"], "'range'"),
    (["solve", "input", "--stack", "unet", "--range", "1..100000"], "at most 5,000"),
    (["solve", "input", "--out", "7"], "Missing option '--k'"),
    (["solve", "input", "--stack", "conv(8,3)"], "does not state its input shape"),
])
def test_cli_errors(run_cli, args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2 and message in result.output + getattr(result, "stderr", "")


def test_symbolic_shapes_agree_with_numbers() -> None:
    """Substituting n into the symbolic shapes gives summarize's shapes for every node (resnet18 at 224, 97)."""
    from convcalc.graph.inverse import symbolic_shapes
    from convcalc.stack import summarize

    graph, _ = preset("resnet18")
    result = symbolic_shapes(graph)
    rows = result.rows
    n = next(v for r in rows for v in r[2] if hasattr(v, "free_symbols") and v.free_symbols)
    (symbol,) = n.free_symbols
    for size in (224, 97):
        numbers = [r.output_shape for r in summarize(graph, (3, size, size)).layers]
        assert [tuple(int(v.subs(symbol, size)) if hasattr(v, "subs") else v for v in r[2]) for r in rows] == numbers
    assert result.conditions == ()


def test_symbolic_unet_output_and_its_four_conditions() -> None:
    """unet: n - 184 per axis; each skip's concatenation needs an even size before its pool (188 + 16k)."""
    import sympy

    from convcalc.graph.inverse import symbolic_shapes

    result = symbolic_shapes(preset("unet")[0])
    (n,) = result.output_shape[1].free_symbols
    assert result.output_shape[1] == n - 184 and len(result.conditions) == 4
    for size, holds in ((572, True), (188, True), (580, False)):
        values = [sympy.sympify(c.split(" (at")[0].replace("==", "-(") + ")", locals={"n": n}).subs(n, size)
                  for c in result.conditions]
        assert all(v == 0 for v in values) == holds
