"""Running a branching model: its modules in the graph's topological order, and back again.

A model built from a :class:`convcalc.graph.Graph` has one module per node but the input
(module ``i`` computes node ``i + 1``). :class:`NodeRunner` holds which nodes each module reads
and runs them:

- **forward**: node values in order; each module reads its input nodes' values (a merge
  reads a list); a value is dropped once the last module that reads it has run (what a
  module needs for its backward pass it keeps itself);
- **backward**: in reverse order; the gradient of a node read by several modules (a residual
  block's input: the body and the shortcut) is the *sum* of what each of them sends back
  (the multivariate chain rule); a node whose output reaches nothing that was differentiated
  gets zero gradients for its parameters.

A chain (every node reading the one before) runs the same way; :class:`~convcalc.nn.Sequential`
runs chains through its fused steps instead (:mod:`convcalc.nn.fusion`), which is faster.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convcalc.nn.merges import MergeModule
from convcalc.nn.module import Module

__all__ = ["NodeRunner"]


class NodeRunner:
    """Forward and backward over ``modules`` where module ``i`` reads the nodes ``inputs[i]`` (node 0 is the input).

    Parameters
    ----------
    modules : list of Module
        One per node after the input, in topological order.
    inputs : sequence of tuple of int
        ``inputs[i]``: the nodes module ``i`` reads, all ``<= i``.
    output : int
        The model's output node.
    """

    def __init__(self, modules: Sequence[Module], inputs: Sequence[tuple[int, ...]], output: int) -> None:
        self.modules = list(modules)
        self.inputs = [tuple(ins) for ins in inputs]
        self.output = output

    def target(self, end: int) -> int:
        """The node a pass over modules ``[0, end)`` delivers: the output, or what feeds module ``end``."""
        return self.output if end >= len(self.modules) else self.inputs[end][0]

    def forward(self, x: np.ndarray, training: bool, end: int) -> np.ndarray:
        """The value of :meth:`target` after running modules ``[0, end)`` on the batch ``x``."""
        target = self.target(end)
        readers = [0] * (len(self.modules) + 1)
        for ins in self.inputs[:end]:
            for j in ins:
                readers[j] += 1
        values: list[np.ndarray | None] = [x] + [None] * len(self.modules)
        for i in range(end):
            module, ins = self.modules[i], self.inputs[i]
            if isinstance(module, MergeModule):
                values[i + 1] = module.forward([values[j] for j in ins], training)  # type: ignore[misc]
            else:
                values[i + 1] = module.forward(values[ins[0]], training)  # type: ignore[arg-type]
            for j in ins:
                readers[j] -= 1
                if readers[j] == 0 and j != target:
                    values[j] = None
        return values[target]  # type: ignore[return-value]

    def backward(self, dout: np.ndarray, end: int) -> np.ndarray | None:
        """Gradients of every module in ``[0, end)`` (in their ``grads``) from ``dout``, the gradient of
        :meth:`target` of the last :meth:`forward` (run with ``training=True``); returns the gradient of
        the input, or None when no module reading it computes one (``input_grad = False``)."""
        grads: list[np.ndarray | None] = [None] * (len(self.modules) + 1)
        grads[self.target(end)] = dout
        for i in reversed(range(end)):
            module, g = self.modules[i], grads[i + 1]
            grads[i + 1] = None
            if g is None:  # not upstream of the target: its parameters do not move the loss
                module.grads.update({k: np.zeros_like(v) for k, v in module.params.items()})
                continue
            back = module.backward(g)
            parts = back if isinstance(module, MergeModule) else [back]
            for j, part in zip(self.inputs[i], parts):
                if part is None:
                    continue
                # never in place: a merge may hand the same array to several inputs
                grads[j] = part if grads[j] is None else grads[j] + part
        return grads[0]
