"""Walk a graph in topological order: shapes, counts, memory and receptive fields per node.

The receptive fields follow Araujo, Norris & Sim, "Computing Receptive Fields
of Convolutional Neural Networks" (Distill 2019), multi-path section: every
node gets the forward recurrences of :mod:`convcalc.receptive` from its input;
a merge takes the **largest** field over its inputs, after checking that they
are **aligned**: the same jump (effective stride) and the same centre of the
first unit on every path, per axis. A misaligned merge raises
:class:`~convcalc.ConvCalcError` naming the merge, both paths and their
values. One visit per node and edge: ``O(|nodes| + |edges|)``.

An input that a merge broadcasts (a ``(C, 1, 1)`` gate) has no position to
align; it is left out of the alignment check and counts only for the size.

Examples
--------
>>> from convcalc.layers import Conv2D
>>> from convcalc.graph import Add, Input, Model
>>> x = Input((8, 16, 16))
>>> a = Conv2D(8, 3, padding=1)(x)
>>> b = Conv2D(8, 5, padding=2)(x)
>>> rows = analyse(Model(x, Add()(a, b))).rows
>>> rows[-1].rf, rows[-1].jump, rows[-1].start, rows[-1].inputs
((5, 5), (1, 1), (0, 0), ('1', '2'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.graph.merge import Merge
from convcalc.graph.model import Graph
from convcalc.layers import Layer, RFStep
from convcalc.receptive import RF_ORIGIN, RField, layer_steps, rf_forward

__all__ = ["LayerRow", "Analysis", "analyse", "collapse"]

Shape = tuple[int, ...]
Counter = Callable[[Layer, Shape, Shape, int], int]

_UNREACHED = "unreached"  # the node does not depend on the reference: no field from it


@dataclass(frozen=True)
class LayerRow:
    """One node (layer) of a summary.

    Shapes exclude the batch axis and follow the summary's layout. ``rf``,
    ``jump`` and ``start`` have one value per spatial axis of the reference
    grid; they are ``None`` before the ``rf_from`` reference, on nodes that do
    not depend on it, and after a layer with no shift-invariant receptive
    field. ``rf_step`` is this layer's own ``(kernel, stride, padding_lo,
    dilation)`` per axis (``None`` for a merge). ``node`` is the node's name
    (its number unless named) and ``inputs`` the names of the nodes it takes
    (Keras's "Connected to"); ``scope`` the blocks it sits in.
    """

    index: int
    layer: Layer
    name: str
    input_shape: Shape
    output_shape: Shape
    params: int
    trainable: int
    non_trainable: int
    macs: int
    activation_bytes: int
    rf: tuple[Any, ...] | None
    jump: tuple[Any, ...] | None
    start: tuple[Any, ...] | None
    rf_step: tuple[RFStep, ...] | None
    node: str = ""
    inputs: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per-axis values collapse to one number when every axis agrees; fractions as "1/2"."""
        return {
            "index": self.index, "name": self.name, "type": type(self.layer).__name__,
            "node": self.node, "inputs": list(self.inputs),
            "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
            "params": self.params, "trainable": self.trainable, "non_trainable": self.non_trainable,
            "macs": self.macs, "activation_bytes": self.activation_bytes,
            "rf": _json(collapse(self.rf)), "jump": _json(collapse(self.jump)), "start": _json(collapse(self.start)),
        }


def collapse(values: tuple | None) -> Any:
    """One value when every axis agrees, else the list; ``None`` for no axes."""
    if values is None or len(values) == 0:
        return None
    return values[0] if len(set(values)) == 1 else list(values)


def _json(value: Any) -> Any:
    from fractions import Fraction

    if isinstance(value, list):
        return [_json(v) for v in value]
    return str(value) if isinstance(value, Fraction) else value


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` returns: the rows and the output shape (channels first)."""

    rows: tuple[LayerRow, ...]
    input_shape: Shape
    output_shape: Shape


def _zero(layer: Layer, i: Shape, o: Shape, n: int) -> int:
    return layer.macs(i)


def _path(graph: Graph, start: int, stop: set[int]) -> str:
    """Node names from the fork (a node in ``stop``) down to ``start``, along first inputs."""
    names = [graph.nodes[start].name]
    node = graph.nodes[start]
    while node.inputs and node.index not in stop and len(names) < 12:
        node = graph.nodes[node.inputs[0]]
        names.append(node.name)
    if node.index not in stop and node.inputs:
        names.append("...")
    return " -> ".join(reversed(names))


def _ancestors(graph: Graph, index: int) -> set[int]:
    seen, todo = {index}, [index]
    while todo:
        for parent in graph.nodes[todo.pop()].inputs:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _fmt(value: Any) -> str:
    return str(value)


def _merge_fields(graph: Graph, index: int, fields: list[Any], broadcast: tuple[bool, ...]) -> Any:
    node = graph.nodes[index]
    known = [(p, fields[p], b) for p, b in zip(node.inputs, broadcast) if fields[p] is not _UNREACHED]
    if not known:
        return _UNREACHED
    if any(f is None for _, f, _ in known):
        return None
    aligned = [(p, f) for p, f, b in known if not b] or [(p, f) for p, f, _ in known]
    first, base = aligned[0]
    for other, field in aligned[1:]:
        if len(field) != len(base):
            return None
        for axis, (a, b) in enumerate(zip(base, field)):
            if a.jump != b.jump or a.start != b.start:
                what = "effective stride (jump)" if a.jump != b.jump else "centre of the first unit (start)"
                side_a, side_b = _ancestors(graph, other), _ancestors(graph, first)
                raise ConvCalcError(
                    f"{node.op} at node {node.name!r} is not aligned on spatial axis {axis}: the {what} differs "
                    f"between its inputs. Path {_path(graph, first, side_a)}: jump {_fmt(a.jump)}, start "
                    f"{_fmt(a.start)}, rf {_fmt(a.rf)}; path {_path(graph, other, side_b)}: jump {_fmt(b.jump)}, "
                    f"start {_fmt(b.start)}, rf {_fmt(b.rf)} (Araujo et al. 2019 need equal jumps and centres on "
                    "every path; pad or crop one branch so its centres match)")
    size = len(base)
    if any(len(f) != size for _, f, _ in known):
        return None
    return tuple(RField(max(f[a].rf for _, f, _ in known), base[a].jump, base[a].start) for a in range(size))


def _key(op: Layer, shape: Shape, seen: Shape) -> Any:
    """What a layer's answers depend on: its type, every field (also those left out of ``==``) and the shape.

    Layer specs are frozen and their answers pure functions of the fields and
    the input, so an equal layer on an equal shape (a repeated block) is worked
    out once. ``None`` when a field is unhashable (no reuse then).
    """
    try:
        key = (type(op), tuple(vars(op).items()), shape, seen)
        hash(key)
    except TypeError:
        return None
    return key


def analyse(graph: Graph, input_shape: Shape | None = None, *, count: Counter = _zero, batch: int = 1,
            element_bytes: int = 4, reference: int = 0,
            to_layout: Callable[[Shape], Shape] = tuple,  # type: ignore[assignment]
            rows: list[LayerRow] | None = None) -> Analysis:
    """Rows for every node but the input, in topological order.

    Parameters
    ----------
    graph : Graph
    input_shape : tuple of int, optional
        Channels first, no batch; defaults to the graph's own.
    count : callable
        ``count(layer, in_shape, out_shape, batch)`` MACs of a one-input layer
        (a counting convention, :mod:`convcalc.stack`); merges count 0.
    batch, element_bytes : int
        For the memory column.
    reference : int
        Node whose output is the receptive-field reference (0, the input).
    to_layout : callable
        Turns a channels-first shape into the shape shown.
    rows : list, optional
        Rows are appended here as they are made, so a caller sees the nodes
        before the one that raised.

    Raises
    ------
    ConvCalcError
        A layer the shape cannot pass (named ``layer <node> (<spec>)``), a
        merge whose input shapes do not fit (each input and its shape), a
        misaligned merge, or a channel count written in the source that the
        real shape contradicts.
    """
    shape0 = tuple(input_shape) if input_shape is not None else graph.input_shape
    if shape0 is None:
        raise ConvCalcError("The input shape is missing: pass it (e.g. (1, 28, 28)) or declare it with Input(...)")
    nodes = graph.nodes
    if not 0 <= reference < len(nodes):
        raise ConvCalcError(f"rf_from {reference} is not a node of the graph (0 to {len(nodes) - 1})")
    checks: dict[int, list[tuple[str, int]]] = {}
    for position, name, value in graph.checks:
        checks.setdefault(position, []).append((name, value))
    shapes: list[Shape] = [shape0] * len(nodes)
    grids: list[Shape] = [shape0[1:]] * len(nodes)
    fields: list[Any] = [_UNREACHED] * len(nodes)
    if reference == 0:
        fields[0] = (RF_ORIGIN,) * len(shape0[1:])
    rows = [] if rows is None else rows
    answers: dict[Any, tuple] = {}  # a layer's answers for one input shape, reused by its equal twins
    for node in nodes[1:]:
        index, op = node.index, node.op
        assert op is not None
        ins = [shapes[p] for p in node.inputs]
        shape = ins[0]
        for name, value in checks.get(index, ()):
            if value != shape[0]:
                raise ConvCalcError(f"layer {node.name} ({op}): {name}={value} but its input has shape {shape}")
        try:
            if isinstance(op, Merge):
                out = op.merge_shape(ins, [nodes[p].name for p in node.inputs])
                trainable, non_trainable, macs, steps = 0, 0, 0, None
                kept = prod(out)
            else:
                seen = shape if len(shape) > 1 else (shape[0], *grids[node.inputs[0]])
                key = _key(op, shape, seen)
                known_answers = answers.get(key) if key is not None else None
                if known_answers is None:
                    out = op.output_shape(shape)
                    params = op.param_count(shape)
                    known_answers = (out, params.trainable, params.non_trainable, count(op, shape, out, batch),
                                     layer_steps(op, seen), op.activation_size(shape, out))
                    if key is not None:
                        answers[key] = known_answers
                out, trainable, non_trainable, macs, steps, kept = known_answers
        except ConvCalcError as error:
            raise ConvCalcError(f"layer {node.name} ({op}): {error}") from None
        grid = out[1:] if len(out) > 1 else op.rf_grid_after(grids[node.inputs[0]])
        if isinstance(op, Merge):
            field = _merge_fields(graph, index, fields, op.broadcast_inputs(ins))
        else:
            parent = fields[node.inputs[0]]
            if parent is _UNREACHED or parent is None:
                field = parent
            elif steps is None or len(steps) != len(parent):
                field = None
            else:
                field = tuple(rf_forward(f, st) for f, st in zip(parent, steps))
        if index == reference:
            field = (RF_ORIGIN,) * len(grid)
        shapes[index], grids[index], fields[index] = out, grid, field
        known = field is not None and field is not _UNREACHED and len(field) > 0
        rows.append(LayerRow(
            index=index, layer=op, name=op.describe(),
            input_shape=to_layout(shape), output_shape=to_layout(out),
            params=trainable + non_trainable, trainable=trainable, non_trainable=non_trainable,
            macs=macs, activation_bytes=batch * kept * element_bytes,
            rf=tuple(f.rf for f in field) if known else None,
            jump=tuple(f.jump for f in field) if known else None,
            start=tuple(f.start for f in field) if known else None,
            rf_step=steps, node=node.name, inputs=tuple(nodes[p].name for p in node.inputs), scope=node.scope,
        ))
    return Analysis(tuple(rows), shape0, shapes[graph.output])
