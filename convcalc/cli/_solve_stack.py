"""`convcalc solve input --stack NET`: the input sizes a whole network takes exactly (U-Net's question)."""

from __future__ import annotations

from typing import Optional

from convcalc.cli._console import console, print_json

#: Sizes tried when --range is not given.
DEFAULT_RANGE = (1, 1024)


def _range(text: Optional[str]) -> tuple[int, int]:
    """``LO..HI`` (or ``LO-HI``, ``LO:HI``) inclusive, both ints >= 1."""
    from convcalc.errors import invalid

    if text is None:
        return DEFAULT_RANGE
    import re

    match = re.fullmatch(r"\s*([0-9]{1,9})\s*(?:\.\.|-|:)\s*([0-9]{1,9})\s*", text)  # ASCII digits only
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise invalid("range", text, "two sizes LO..HI with 1 <= LO <= HI, e.g. --range 100..1000")
    return int(match[1]), int(match[2])


def solve_input_for_stack(spec: str, output: Optional[str], sizes: Optional[str], as_json: bool) -> None:
    """Print the input sizes in the range for which every layer of ``spec`` is exact (and the output fits)."""
    from convcalc.errors import ConvCalcError
    from convcalc.graph import Graph
    from convcalc.graph.inverse import input_fits
    from convcalc.parse import parse_sizes
    from convcalc.spec import load_stack

    model, shape = load_stack(spec, require_shape=False)
    graph = model if isinstance(model, Graph) else Graph.chain(model, shape)
    if graph.input_shape is None and shape is not None:
        graph = Graph(graph.nodes, tuple(shape), graph.checks, graph.output)
    if graph.input_shape is None:
        raise ConvCalcError("The model does not state its input shape; start the spec with input(CxHxW) "
                            "(the channels are needed)")
    wanted = None
    if output is not None:
        values = parse_sizes(output, "output")
        values = values if isinstance(values, tuple) else (values,)
        if len(set(values)) != 1:
            raise ConvCalcError(f"--out with --stack is one size for every axis (square inputs); got {output!r}")
        wanted = values[0]
    low, high = _range(sizes)
    fits = input_fits(graph, range(low, high + 1), output=wanted)
    good = [f for f in fits if f.ok]
    if as_json:
        print_json({"range": [low, high], "output": wanted,
                    "input_sizes": [f.size for f in good],
                    "outputs": [list(f.output_shape or ()) for f in good]})
        return
    what = f" giving {wanted} per axis" if wanted is not None else ""
    if not good:
        console.print(f"No input size from {low} to {high}{what} passes every layer exactly.")
        first = fits[0] if fits else None
        if first is not None:
            console.print(f"e.g. {first.size}: {first.reason}", highlight=False)
        return
    console.print(f"Input sizes from {low} to {high}{what} that every layer takes exactly "
                  f"(no rows dropped, merges aligned):", highlight=False)
    for fit in good[:50]:
        console.print(f"  {fit.size} -> {fit.output_shape}", highlight=False)
    if len(good) > 50:
        console.print(f"  ... {len(good) - 50} more (--json lists all)")
    near = next((f for f in fits if not f.ok and f.size > good[0].size), None)
    if near is not None:
        console.print(f"e.g. {near.size} does not: {near.reason}", highlight=False)
