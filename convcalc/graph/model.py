"""The graph model: nodes in topological order, and a functional API that reads like Keras's.

A :class:`Graph` is a tuple of :class:`Node` s; node 0 is the input and every
node's inputs come earlier, so the tuple order is a topological order. A
linear stack is the graph whose every node takes the node before it
(:meth:`Graph.chain`); :func:`convcalc.stack.summarize` turns a layer list into
that graph and runs the same analysis.

Functional API (Keras's ``Input``/``Model``; a layer spec called on a tensor
adds a node)::

    >>> from convcalc.layers import Conv2D, BatchNorm2D, ReLU
    >>> from convcalc.graph import Add, Input, Model
    >>> x = Input((64, 56, 56))
    >>> y = ReLU()(BatchNorm2D()(Conv2D(64, 3, padding=1)(x)))
    >>> y = BatchNorm2D()(Conv2D(64, 3, padding=1)(y))
    >>> out = ReLU()(Add()(y, x))
    >>> model = Model(x, out)
    >>> len(model.nodes), model.nodes[-2].inputs
    (8, (5, 0))

``Add()([a, b])`` (a list, as Keras) and ``Add()(a, b)`` are the same. A name
can be given with ``layer(x, name="skip1")``; the default is the node's number.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from convcalc.errors import ConvCalcError, ConvCalcTypeError, invalid
from convcalc.layers import Layer

__all__ = ["Node", "Graph", "Tensor", "Input", "Model", "MAX_NODES", "scope"]

Shape = tuple[int, ...]

#: The most nodes a graph may have (a spec such as ``100000*[...]`` is refused, not expanded).
MAX_NODES = 200_000


@dataclass(frozen=True)
class Node:
    """One node: ``op`` applied to the outputs of the nodes numbered ``inputs``.

    ``op`` is ``None`` for the input node. ``scope`` names the blocks the node
    sits in, outermost first (``("layer1", "layer1.0")``); ``--depth`` folds on it.
    """

    index: int
    name: str
    op: Layer | None
    inputs: tuple[int, ...]
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Graph:
    """A single-input, single-output graph of layer specs, nodes in topological order.

    ``input_shape`` (channels first) is the shape the graph was declared with,
    or ``None``; ``checks`` are ``(node, parameter, value)`` channel counts
    written in the source (PyTorch's ``in_channels``) that the analysis checks
    against the real input of that node.
    """

    nodes: tuple[Node, ...]
    input_shape: Shape | None = None
    checks: tuple[tuple[int, str, int], ...] = ()
    output: int = -1

    def __post_init__(self) -> None:
        if not self.nodes or self.nodes[0].op is not None:
            raise ConvCalcError("a graph starts with its input node")
        for position, node in enumerate(self.nodes):
            if node.index != position:
                raise ConvCalcError(f"node {node.name!r} is numbered {node.index}, not {position}")
            if position and (not node.inputs or any(not 0 <= i < position for i in node.inputs)):
                raise ConvCalcError(f"node {node.name!r} must take earlier nodes as inputs; got {node.inputs}")
        if self.output < 0:
            object.__setattr__(self, "output", len(self.nodes) - 1)

    @classmethod
    def chain(cls, layers: Sequence[Layer], input_shape: Shape | None = None) -> Graph:
        """The linear stack ``layers`` as a graph: node ``i`` takes node ``i - 1``.

        >>> from convcalc.layers import Conv2D, ReLU
        >>> [n.inputs for n in Graph.chain([Conv2D(8, 3), ReLU()]).nodes]
        [(), (0,), (1,)]
        """
        nodes = [Node(0, "input", None, ())]
        for index, layer in enumerate(layers, start=1):
            nodes.append(Node(index, str(index), layer, (index - 1,)))
        return cls(tuple(nodes), input_shape)

    @property
    def is_chain(self) -> bool:
        """True when every node takes exactly the node before it (a plain layer list)."""
        return all(node.inputs == (node.index - 1,) for node in self.nodes[1:]) and self.output == len(self.nodes) - 1

    @property
    def layers(self) -> list[Layer]:
        """The layer specs of every node but the input, in order."""
        return [node.op for node in self.nodes[1:] if node.op is not None]

    def __len__(self) -> int:
        return len(self.nodes) - 1

    def _chain_only(self) -> list[Layer]:
        if not self.is_chain:
            raise ConvCalcError("this model branches (res[...], cat[...] or named skips); a layer list was "
                                "expected here (convcalc stack/summarize and the trainer take graphs)")
        return self.layers

    def __iter__(self) -> Iterator[Layer]:
        """The layers of a chain; a branching graph is not a layer list (one clear error)."""
        return iter(self._chain_only())

    def __getitem__(self, key: Any) -> Any:
        """Index or slice the layers of a chain, as a list; a branching graph raises."""
        return self._chain_only()[key]

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes) - 1} nodes, input_shape={self.input_shape})"


# --------------------------------------------------------------------------- the functional API
_counter = itertools.count()
_SCOPE: list[str] = []


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Nodes declared inside ``with scope("layer1"):`` sit in block ``layer1`` (``--depth`` folds on it).

    >>> from convcalc.layers import ReLU
    >>> x = Input((3, 8, 8))
    >>> with scope("stem"):
    ...     y = ReLU()(x)
    >>> Model(x, y).nodes[1].scope
    ('stem',)
    """
    _SCOPE.append(str(name))
    try:
        yield
    finally:
        _SCOPE.pop()


@dataclass(frozen=True, eq=False)
class Tensor:
    """The output of one node while a model is declared (Keras's symbolic tensor)."""

    op: Layer | None
    parents: tuple[Tensor, ...]
    name: str | None
    shape: Shape | None = None
    serial: int = field(default_factory=lambda: next(_counter))
    scope: tuple[str, ...] = field(default_factory=lambda: tuple(_SCOPE))

    def _apply_layer(self, layer: Layer, inputs: Sequence[Any], name: str | None = None) -> Tensor:
        """``layer(*inputs)``: the hook :meth:`convcalc.layers.Layer.__call__` calls."""
        return apply(layer, *inputs, name=name)


def apply(layer: Layer, *inputs: Any, name: str | None = None) -> Tensor:
    """Add a node running ``layer`` on ``inputs`` (tensors, or one list of tensors as Keras's merges take).

    >>> from convcalc.layers import ReLU
    >>> apply(ReLU(), Input((3, 8, 8))).op
    ReLU()
    """
    from convcalc.graph.merge import Merge

    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    if not isinstance(layer, Layer):
        raise ConvCalcTypeError(f"expected a layer spec such as Conv2D(32, 3); got {layer!r}")
    if not inputs or not all(isinstance(t, Tensor) for t in inputs):
        raise ConvCalcTypeError(f"{layer} must be called on tensors from Input(...) or other layers; got {inputs!r}")
    if len(inputs) > 1 and not isinstance(layer, Merge):
        raise ConvCalcError(f"{layer} takes one input; got {len(inputs)} (join branches with Add(), "
                            "Multiply() or Concat() first)")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise invalid("name", name, "a non-empty string")
    return Tensor(layer, tuple(inputs), name)


def Input(shape: Sequence[int], name: str = "input") -> Tensor:  # noqa: N802 - Keras's spelling
    """The input of a model: one sample's shape, channels first, no batch axis.

    >>> Input((3, 224, 224)).shape
    (3, 224, 224)
    """
    what = "a tuple of ints >= 1 such as (3, 224, 224)"
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape):
        raise invalid("shape", shape, what)
    return Tensor(None, (), name, tuple(shape))


def Model(inputs: Tensor, outputs: Tensor) -> Graph:  # noqa: N802 - Keras's spelling
    """The graph from ``inputs`` (an :func:`Input`) to ``outputs``, nodes numbered in declaration order.

    Raises
    ------
    ConvCalcError
        When ``outputs`` does not depend on ``inputs``, or depends on another ``Input``.
    """
    if not isinstance(inputs, Tensor) or inputs.op is not None:
        raise ConvCalcTypeError(f"Model's first argument must be the Input(...) tensor; got {inputs!r}")
    if not isinstance(outputs, Tensor):
        raise ConvCalcTypeError(f"Model's second argument must be a tensor; got {outputs!r}")
    seen: dict[int, Tensor] = {}
    stack = [outputs]
    while stack:
        tensor = stack.pop()
        if tensor.serial in seen:
            continue
        seen[tensor.serial] = tensor
        if tensor.op is None and tensor is not inputs:
            raise ConvCalcError(f"the output depends on an input {tensor.name!r} other than the model's input")
        stack.extend(tensor.parents)
    if inputs.serial not in seen:
        raise ConvCalcError("the output does not depend on the model's input")
    ordered = sorted(seen.values(), key=lambda t: t.serial)  # declaration order is topological
    number = {t.serial: i for i, t in enumerate(ordered)}
    nodes = []
    names: set[str] = set()
    for i, tensor in enumerate(ordered):
        name = tensor.name if tensor.name is not None else ("input" if i == 0 else str(i))
        if name in names:
            raise ConvCalcError(f"two nodes are named {name!r}; names must be unique")
        names.add(name)
        nodes.append(Node(i, name, tensor.op, tuple(number[p.serial] for p in tensor.parents), tensor.scope))
    return Graph(tuple(nodes), inputs.shape)
