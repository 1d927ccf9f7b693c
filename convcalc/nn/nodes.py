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

It runs *steps* (:mod:`convcalc.nn.fusion`): one per module, or a fused module decided when the
model is built (:func:`~convcalc.nn.fusion.graph_plan`: ``BatchNorm -> ReLU`` in one pass) that
computes the last node of the modules it stands for from the first one's inputs.
A chain (every node reading the one before) runs the same way; :class:`~convcalc.nn.Sequential`
runs chains through its fused steps instead (:func:`convcalc.nn.fusion.plan`), which is faster.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convcalc.nn.fusion import Step
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
    steps : list of convcalc.nn.fusion.Step, optional
        What computes the modules: fused steps over ``[first, stop)`` read ``inputs[first]`` and compute
        node ``stop`` (:func:`convcalc.nn.fusion.graph_plan`). Defaults to one step per module.
    """

    def __init__(self, modules: Sequence[Module], inputs: Sequence[tuple[int, ...]], output: int,
                 steps: Sequence[Step] | None = None) -> None:
        self.modules = list(modules)
        self.inputs = [tuple(ins) for ins in inputs]
        self.output = output
        self.steps = list(steps) if steps is not None else [Step(m, i, i + 1) for i, m in enumerate(self.modules)]
        self._ran: tuple[int, list[Step]] | None = None  # (end, steps) of the last forward

    def target(self, end: int) -> int:
        """The node a pass over modules ``[0, end)`` delivers: the output, or what feeds module ``end``."""
        return self.output if end >= len(self.modules) else self.inputs[end][0]

    def steps_to_run(self, end: int) -> list[Step]:
        """The steps computing modules ``[0, end)``; a fused step that ``end`` cuts through runs as its modules."""
        run: list[Step] = []
        for step in self.steps:
            if step.stop <= end:
                run.append(step)
            elif step.first < end:
                run.extend(Step(self.modules[i], i, i + 1) for i in range(step.first, end))
        return run

    def forward(self, x: np.ndarray, training: bool, end: int) -> np.ndarray:
        """The value of :meth:`target` after running modules ``[0, end)`` on the batch ``x``."""
        target = self.target(end)
        run = self.steps_to_run(end)
        readers = [0] * (len(self.modules) + 1)
        for step in run:
            for j in self.inputs[step.first]:
                readers[j] += 1
        values: list[np.ndarray | None] = [x] + [None] * len(self.modules)
        for step in run:
            module, ins = step.module, self.inputs[step.first]
            if isinstance(module, MergeModule):
                values[step.stop] = module.forward([values[j] for j in ins], training)  # type: ignore[misc]
            else:
                values[step.stop] = module.forward(values[ins[0]], training)  # type: ignore[arg-type]
            for j in ins:
                readers[j] -= 1
                if readers[j] == 0 and j != target:
                    values[j] = None
        self._ran = (end, run)
        return values[target]  # type: ignore[return-value]

    def backward(self, dout: np.ndarray, end: int) -> np.ndarray | None:
        """Gradients of every module in ``[0, end)`` (in their ``grads``) from ``dout``, the gradient of
        :meth:`target` of the last :meth:`forward` (run with ``training=True`` and the same ``end``); returns
        the gradient of the input, or None when no module reading it computes one (``input_grad = False``)."""
        grads: list[np.ndarray | None] = [None] * (len(self.modules) + 1)
        grads[self.target(end)] = dout
        run = self._ran[1] if self._ran is not None and self._ran[0] == end else self.steps_to_run(end)
        for step in reversed(run):
            g = grads[step.stop]
            grads[step.stop] = None
            if g is None:  # not upstream of the target: its parameters do not move the loss
                for module in self.modules[step.first:step.stop]:
                    module.grads.update({k: np.zeros_like(v) for k, v in module.params.items()})
                continue
            module = step.module
            back = module.backward(g)
            parts = back if isinstance(module, MergeModule) else [back]
            for j, part in zip(self.inputs[step.first], parts):
                if part is None:
                    continue
                # never in place: a merge may hand the same array to several inputs
                grads[j] = part if grads[j] is None else grads[j] + part
        return grads[0]
