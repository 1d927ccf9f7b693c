"""Fused blocks, decided once when a model is built: what a model runs instead of some of its modules.

A :class:`~convcalc.nn.Sequential` keeps one module per spec (its weights, names, summary and
saved files). :func:`plan` turns that list into the *steps* it runs, replacing two blocks by
cheaper modules with exactly the same values and gradients:

- ``Conv2D -> [ReLU ->] MaxPool2D`` whose pooling windows tile the convolution's output
  (window = stride, no padding or dilation, nothing left over but trailing rows and columns
  floor mode drops), ``groups=1``: :class:`ConvMaxPool2d`, one engine pass
  (:func:`convcalc.engine.conv2d_maxpool2d_forward`) that computes only the output cells the
  pooling reads and sends the gradient straight to each window's winner;
- any other ``ReLU -> MaxPool2D``: :class:`ReluMaxPool2d`, the pooling first and the ReLU on its
  smaller output;
- ``BatchNorm -> ReLU``, in a layer list and in a branching graph (where the batch norm's node
  must feed only the ReLU): :class:`BatchNormReLU`, one engine pass
  (:func:`convcalc.engine.batch_norm_forward` with ``relu=True``) whose backward pass applies the
  ReLU's mask while it computes the batch norm's gradient.

``relu`` and ``max`` commute in value and in gradient: a window whose maximum is not positive
passes no gradient either way, and otherwise both pick the same first maximum. Each fused
module is built from the modules it replaces and shares their parameter and gradient dicts,
so the optimiser, the regularizer and :meth:`Sequential.save` see the model's own arrays; its
behaviour is fixed by its constructor (no flags set on other modules).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convcalc import engine
from convcalc.nn.activations import ReLU
from convcalc.nn.layers import BatchNorm, Conv2d, MaxPool2d
from convcalc.nn.module import Module

__all__ = ["ConvMaxPool2d", "ReluMaxPool2d", "BatchNormReLU", "Step", "plan", "graph_plan"]


class ConvMaxPool2d(Module):
    """``maxpool(conv(x))``, or ``relu(maxpool(conv(x)))`` with ``relu``, in one engine pass.

    Parameters
    ----------
    conv : Conv2d
        The convolution (its ``params`` and ``grads`` are this module's).
    pool : tuple of int
        The max pooling's window, equal to its stride.
    relu : bool
        A ReLU sits between the two (applied after the pooling: the same values and gradients).
    """

    regularized = Conv2d.regularized

    def __init__(self, conv: Conv2d, pool: tuple[int, int], relu: bool) -> None:
        super().__init__()
        self.params, self.grads = conv.params, conv.grads
        self.stride, self.padding, self.dilation = conv.stride, conv.padding, conv.dilation
        self.input_grad = conv.input_grad
        self.pool, self.relu = tuple(pool), relu
        self._cache: engine.ConvPoolCache | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out, cache = engine.conv2d_maxpool2d_forward(x, self.params["weight"], self.params.get("bias"),
                                                     pool=self.pool, stride=self.stride, padding=self.padding,
                                                     dilation=self.dilation, relu=self.relu)
        self._cache = cache if training else None
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        dx, dw, db = engine.conv2d_maxpool2d_backward(dout, self._cache, input_grad=self.input_grad)
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        return dx


class ReluMaxPool2d(Module):
    """``relu(maxpool(x))``, which equals ``maxpool(relu(x))``, from the model's own max pooling module."""

    def __init__(self, pool: MaxPool2d) -> None:
        super().__init__()
        self.pool = pool
        self._relu_out: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out = self.pool.forward(x, training)
        out = np.maximum(out, out.dtype.type(0), out=out if not training else None)
        self._relu_out = out if training else None
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.pool.backward(dout * (self._relu_out > 0))


class BatchNormReLU(Module):
    """``relu(batch_norm(x))`` from the model's own batch norm module (its parameters, gradients and
    running statistics): :meth:`convcalc.nn.layers.BatchNorm.normalize` with ``relu=True``."""

    def __init__(self, norm: BatchNorm) -> None:
        super().__init__()
        self.norm = norm
        self.params, self.grads, self.buffers = norm.params, norm.grads, norm.buffers

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.norm.normalize(x, training, relu=True)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.norm.backward(dout)  # the cache holds the output: the mask is applied there


@dataclass(frozen=True)
class Step:
    """One module a model runs, standing for its modules ``[first, stop)``."""

    module: Module
    first: int
    stop: int


def plan(modules: list[Module], shapes: list[tuple[int, ...]], fuse: bool = True) -> list[Step]:
    """The steps that compute ``modules`` (``shapes[i]`` is the input shape of ``modules[i]``)."""
    steps, i = [], 0
    while i < len(modules):
        first = modules[i]
        relu = i + 1 < len(modules) and type(modules[i + 1]) is ReLU
        j = i + 1 + relu  # the module a Conv2D block would pool with
        pool = modules[j] if j < len(modules) else None
        if (fuse and type(first) is Conv2d and first.groups == 1 and type(pool) is MaxPool2d
                and pool.tiles(shapes[j])):
            steps.append(Step(ConvMaxPool2d(first, pool.kernel, relu), i, j + 1))
            i = j + 1
        elif fuse and type(first) is BatchNorm and type(modules[i + 1] if i + 1 < len(modules) else None) is ReLU:
            steps.append(Step(BatchNormReLU(first), i, i + 2))
            i += 2
        elif fuse and type(first) is ReLU and type(modules[i + 1] if i + 1 < len(modules) else None) is MaxPool2d:
            steps.append(Step(ReluMaxPool2d(modules[i + 1]), i, i + 2))
            i += 2
        else:
            steps.append(Step(first, i, i + 1))
            i += 1
    return steps


def graph_plan(modules: list[Module], inputs: list[tuple[int, ...]], output: int, fuse: bool = True) -> list[Step]:
    """The steps of a branching graph whose module ``i`` reads the nodes ``inputs[i]`` and computes node ``i + 1``.

    A step over modules ``[first, stop)`` reads ``inputs[first]`` and computes node ``stop``. Fused: a
    ``BatchNorm`` followed by a ``ReLU`` that is the only reader of its node (and that node is not the
    output) becomes one :class:`BatchNormReLU` step; every other module is a step of its own.
    """
    readers = [0] * (len(modules) + 1)
    for ins in inputs:
        for j in ins:
            readers[j] += 1
    steps, i = [], 0
    while i < len(modules):
        if (fuse and type(modules[i]) is BatchNorm and i + 1 < len(modules) and type(modules[i + 1]) is ReLU
                and inputs[i + 1] == (i + 1,) and readers[i + 1] == 1 and output != i + 1):
            steps.append(Step(BatchNormReLU(modules[i]), i, i + 2))  # type: ignore[arg-type]
            i += 2
        else:
            steps.append(Step(modules[i], i, i + 1))
            i += 1
    return steps
