"""Numerical gradients for checking a layer's backward pass (cs231n style).

``numerical_gradient(f, x, dout)`` estimates ``d(sum(f(x) * dout))/dx`` by
centred differences, one element at a time::

    grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)

and ``rel_error(a, b) = max |a - b| / max(1e-8, |a| + |b|)``. In float64 a
correct backward pass typically agrees to ``rel_error < 1e-7``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    ``x`` is perturbed in place and restored, so ``f`` must read it afresh
    on every call (a closure over the same array, as in cs231n's
    ``eval_numerical_gradient_array``).

    Parameters
    ----------
    f : callable
        Maps the array ``x`` to an output array.
    x : ndarray
        Point of evaluation; use float64.
    dout : ndarray
        Upstream gradient, the shape of ``f(x)``.
    h : float
        Step. Defaults to ``1e-5``.

    Returns
    -------
    ndarray
        The gradient, shape of ``x``.

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> np.round(numerical_gradient(lambda v: v ** 2, x, np.ones(3)), 6)
    array([2., 4., 6.])
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old
        grad[i] = np.sum((pos - neg) * dout) / (2 * h)
        it.iternext()
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative error ``|a - b| / max(1e-8, |a| + |b|)`` over all elements.

    Examples
    --------
    >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2e-9])) < 1e-9
    True
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
