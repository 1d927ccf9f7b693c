"""Input sizes a network takes exactly: every layer reads every row, every merge fits and aligns.

The question every U-Net user asks: which input sizes work? For each candidate
size ``n`` (a square ``n x n`` input, or ``n`` for 1-d) the graph is analysed;
a size fits when

- every layer passes (no error) and every merge's inputs have matching,
  aligned shapes (:mod:`convcalc.graph.analysis`);
- no strided layer drops input rows: per axis, the last window of a convolution
  or pool with stride ``s > 1`` ends at or after the last input row,
  ``(o - 1)*s - p_lo + d*(k - 1) + 1 >= n`` (a 2x2 pool on 569 rows reads rows
  0..567 and drops row 568; a crop drops rows on purpose and is not counted);
- the output has the size asked for, when one is asked.

Examples
--------
>>> from convcalc.presets import preset
>>> graph, _ = preset("unet")
>>> fits = input_fits(graph, range(560, 580))
>>> [(f.size, f.output_shape) for f in fits if f.ok]
[(572, (2, 388, 388))]
>>> next(f.reason for f in fits if f.size == 573)
'layer 5 (MaxPool2D(2)) drops input rows on axis 0: 569 rows, windows reach 568'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from convcalc.errors import ConvCalcError, invalid
from convcalc.graph.analysis import analyse
from convcalc.graph.merge import Merge
from convcalc.graph.model import Graph

__all__ = ["InputFit", "input_fits", "MAX_CANDIDATES", "SymbolicShapes", "symbolic_shapes"]

Shape = tuple[int, ...]

#: Most candidate sizes one call tries (each is a full analysis of the graph).
MAX_CANDIDATES = 5_000


@dataclass(frozen=True)
class InputFit:
    """One candidate input size: whether it fits, the output shape, and why not."""

    size: int
    ok: bool
    output_shape: Shape | None
    reason: str = ""


def _dropped(row: object) -> str:
    steps = getattr(row, "rf_step", None)
    shape_in, shape_out = row.input_shape, row.output_shape  # type: ignore[attr-defined]
    if steps is None or len(shape_in) < 2 or len(shape_out) != len(shape_in):
        return ""
    for axis, (step, n, o) in enumerate(zip(steps, shape_in[1:], shape_out[1:])):
        if not isinstance(step.stride, int) or not isinstance(step.padding_lo, int) or step.stride == 1:
            continue  # up-sampling reads every input; stride 1 drops nothing (a crop drops rows on purpose)
        reach = (o - 1) * step.stride - step.padding_lo + step.effective_kernel
        if reach < n:
            return (f"layer {row.node} ({row.name}) drops input rows on axis {axis}: {n} rows, "  # type: ignore
                    f"windows reach {reach}")
    return ""


def input_fits(graph: Graph, sizes: Iterable[int], *, output: int | None = None,
               channels: int | None = None) -> list[InputFit]:
    """For each size in ``sizes``, whether a square input of that size fits ``graph`` exactly.

    Parameters
    ----------
    graph : Graph
    sizes : iterable of int
        Candidate sizes (at most :data:`MAX_CANDIDATES`), each ``>= 1``.
    output : int, optional
        The output size wanted (every spatial axis); ``None`` accepts any.
    channels : int, optional
        Input channels; defaults to the graph's own input shape.

    Raises
    ------
    ConvCalcError
        A bad size list, or no channel count to use.
    """
    candidates = list(sizes)
    if len(candidates) > MAX_CANDIDATES:
        raise invalid("sizes", f"{len(candidates)} sizes", f"at most {MAX_CANDIDATES:,} candidate sizes")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in candidates):
        raise invalid("sizes", candidates[:5], "ints >= 1")
    declared = graph.input_shape
    if channels is None and declared is None:
        raise ConvCalcError("the graph does not declare its input shape: give the channels")
    c = channels if channels is not None else declared[0]  # type: ignore[index]
    rank = len(declared) - 1 if declared is not None else 2
    fits = []
    for n in candidates:
        rows: list = []
        try:
            out: Shape | None = analyse(graph, (c, *([n] * rank)), rows=rows).output_shape
            failure = ""
        except ConvCalcError as error:
            out, failure = None, str(error).splitlines()[0]
        reason = next((r for r in map(_dropped, (row for row in rows if not isinstance(row.layer, Merge))) if r),
                      failure)  # the first problem in topological order
        if out is None:
            fits.append(InputFit(n, False, None, reason))
            continue
        if not reason and output is not None and (len(out) < 2 or any(v != output for v in out[1:])):
            reason = f"the output is {out}, not {output} per axis"
        fits.append(InputFit(n, not reason, out, reason))
    return fits


@dataclass(frozen=True)
class SymbolicShapes:
    """Output shapes as sympy expressions of the input size, and the equalities the merges need."""

    rows: tuple[tuple[str, str, Shape], ...]  # (node name, layer, output shape)
    output_shape: Shape
    conditions: tuple[str, ...]  # "a == b (at node X)" for merge sizes sympy cannot prove equal


def symbolic_shapes(graph: Graph, symbol: str = "n", channels: int | None = None) -> SymbolicShapes:
    """Every node's output shape for a square input ``symbol x symbol`` (sympy), through the graph.

    The size formulas are :mod:`convcalc.arithmetic`'s, which work on sympy
    expressions; a merge whose input sizes sympy cannot prove equal records the
    equality as a condition (U-Net's skips need even sizes before each pool),
    taking the first input's size onwards.

    Examples
    --------
    >>> from convcalc.spec import parse_spec
    >>> result = symbolic_shapes(parse_spec("input(3x8x8) res[conv(8,3,p=1); conv(8,1)] pool(2)"))
    >>> result.output_shape, result.conditions
    ((8, floor(n/2), floor(n/2)), ())
    >>> skip = symbolic_shapes(parse_spec("input(3x8x8) conv(8,3) as a pool(2) convtranspose(8,2,s=2) cat[@a | ]"))
    >>> skip.output_shape, skip.conditions          # the pool must not drop a row: n - 2 even
    ((16, n - 2, n - 2), ('n - 2 == 2*floor(n/2) - 2 (at node 4, Concat)',))
    """
    import sympy  # type: ignore[import-untyped]

    from convcalc.graph.merge import Concat

    if not isinstance(symbol, str) or not symbol.isidentifier():
        raise invalid("symbol", symbol, "a name such as n")
    n = sympy.Symbol(symbol, integer=True, positive=True)
    declared = graph.input_shape
    if channels is None and declared is None:
        raise ConvCalcError("the graph does not declare its input shape: give the channels")
    c = channels if channels is not None else declared[0]  # type: ignore[index]
    rank = len(declared) - 1 if declared is not None else 2
    shapes: list[Shape] = [(c, *([n] * rank))]
    rows, conditions = [], []
    for node in graph.nodes[1:]:
        op = node.op
        ins = [shapes[p] for p in node.inputs]
        try:
            if isinstance(op, Merge):
                first = ins[0]
                skip = 0 if isinstance(op, Concat) and op.axis % len(first) == 0 else None
                for other, parent in zip(ins[1:], node.inputs[1:]):
                    for axis, (a, b) in enumerate(zip(first, other)):
                        if axis == skip or a == b or sympy.simplify(a - b) == 0:
                            continue
                        if a == 1 or b == 1:
                            continue  # broadcast
                        conditions.append(f"{a} == {b} (at node {node.name}, {type(op).__name__})")
                out = (sum(s[0] for s in ins), *first[1:]) if skip == 0 else tuple(first)
            else:
                out = op.output_shape(ins[0])  # type: ignore[union-attr]
        except ConvCalcError as error:
            raise ConvCalcError(f"layer {node.name} ({op}): {error}") from None
        except TypeError as error:  # a layer whose checks need numbers
            raise ConvCalcError(f"layer {node.name} ({op}) needs numeric sizes: {error}") from None
        shapes.append(tuple(out))
        rows.append((node.name, str(op), tuple(out)))
    return SymbolicShapes(tuple(rows), shapes[graph.output], tuple(dict.fromkeys(conditions)))
