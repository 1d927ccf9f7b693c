"""Branching graphs: declare them (functional API or spec blocks), analyse them node by node.

- :mod:`~convcalc.graph.model`: :class:`Graph` and :class:`Node` (nodes in
  topological order, a layer list is :meth:`Graph.chain`), and the functional
  API :func:`Input`, :func:`Model` (a layer spec called on a tensor adds a node);
- :mod:`~convcalc.graph.merge`: :class:`Add`, :class:`Multiply`, :class:`Concat`;
- :mod:`~convcalc.graph.analysis`: :func:`analyse`, the walk behind
  :func:`convcalc.stack.summarize` (shapes, counts, memory, receptive fields
  with the Distill multi-path alignment check);
- :mod:`~convcalc.graph.fold`: ``--depth`` folding of blocks into one row;
- :mod:`~convcalc.graph.inverse`: the input sizes a network takes exactly
  (``convcalc solve input --stack unet``) and shapes for a symbolic input size.

docs/graphs.md works a residual block, an Inception block and a U-Net skip by hand.
"""

from __future__ import annotations

from convcalc.graph.merge import Add, Concat, Merge, Multiply
from convcalc.graph.model import MAX_NODES, Graph, Input, Model, Node, Tensor, apply, scope

__all__ = ["Graph", "Node", "Tensor", "Input", "Model", "apply", "Merge", "Add", "Multiply", "Concat", "MAX_NODES", "scope"]
