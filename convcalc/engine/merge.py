"""Merges of a branching network: elementwise add and multiply, concatenation; forward and backward.

A residual join computes ``y = a + b`` (He et al. 2016), an Inception or DenseNet join
``y = cat(a, b)`` along the channel axis 1 of ``(N, C, H, W)`` (``torch.cat(dim=1)``), a
gate ``y = a * b``. Inputs of an add or a multiply may broadcast (NumPy's rule, as PyTorch's
``+`` and ``*``: a ``(N, C, 1, 1)`` gate times ``(N, C, H, W)``).

Backward (the chain rule on each input):

- add: ``dL/da = dL/dy``, summed over the axes along which ``a`` was broadcast;
- multiply: ``dL/da = dL/dy * prod(other inputs)``, summed the same way;
- concat: ``dL/da`` is ``dL/dy``'s slice of ``a``'s channels.

Examples
--------
>>> import numpy as np
>>> a, b = np.ones((1, 2, 1, 1)), np.full((1, 3, 1, 1), 2.0)
>>> y = concat_forward([a, b])
>>> y.ravel().tolist()
[1.0, 1.0, 2.0, 2.0, 2.0]
>>> [g.shape for g in concat_backward(y, [2, 3])]
[(1, 2, 1, 1), (1, 3, 1, 1)]
>>> [g.ravel().tolist() for g in add_backward(np.ones((1, 2)), [(1, 2), (1, 1)])]
[[1.0, 1.0], [2.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["add_forward", "add_backward", "multiply_forward", "multiply_backward", "concat_forward",
           "concat_backward", "unbroadcast"]


def unbroadcast(grad: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """``grad`` summed back to ``shape``: over the leading axes ``shape`` lacks and the axes where it has size 1."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def add_forward(xs: Sequence[np.ndarray]) -> np.ndarray:
    """``xs[0] + xs[1] + ...`` (a new array; the inputs are not modified)."""
    out = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
    for x in xs[2:]:
        out += x  # out is a fresh array of the broadcast shape
    return out


def add_backward(dout: np.ndarray, shapes: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """The gradient of each input of :func:`add_forward` (inputs of ``shapes``) given ``dL/dy = dout``.

    Inputs of the output's own shape receive ``dout`` itself (the same array, not a copy):
    callers must not modify it in place.
    """
    return [unbroadcast(dout, s) for s in shapes]


def multiply_forward(xs: Sequence[np.ndarray]) -> np.ndarray:
    """``xs[0] * xs[1] * ...``."""
    out = xs[0] * xs[1] if len(xs) > 1 else xs[0].copy()
    for x in xs[2:]:
        out *= x
    return out


def multiply_backward(dout: np.ndarray, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The gradient of each input of :func:`multiply_forward`: ``dout`` times the product of the other inputs."""
    grads = []
    for i, x in enumerate(xs):
        g = dout
        for j, other in enumerate(xs):
            if j != i:
                g = g * other
        grads.append(unbroadcast(g, x.shape))
    return grads


def concat_forward(xs: Sequence[np.ndarray], axis: int = 1) -> np.ndarray:
    """The inputs joined along ``axis`` (1, the channels of ``(N, C, ...)``, by default)."""
    return np.concatenate(list(xs), axis=axis)


def concat_backward(dout: np.ndarray, sizes: Sequence[int], axis: int = 1) -> list[np.ndarray]:
    """``dout`` cut back into the inputs' parts: ``sizes[i]`` entries of ``axis`` each (contiguous copies)."""
    bounds = np.cumsum([0, *sizes])
    if bounds[-1] != dout.shape[axis]:
        raise ValueError(f"concat_backward: sizes {list(sizes)} do not add up to {dout.shape[axis]}")
    index: list[slice] = [slice(None)] * dout.ndim
    grads = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index[axis] = slice(int(lo), int(hi))
        grads.append(np.ascontiguousarray(dout[tuple(index)]))
    return grads
