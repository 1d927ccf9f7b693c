"""Exact 2-D correlation, convolution and pooling over ints, Fractions and sympy values.

Pure Python, no floats and no NumPy: every output cell is an exact sum of
exact products, so ``[[1, 2], [3, 4]]`` correlated with ``[[1/2, 0], [0, 1/3]]``
gives Fractions, and a sympy matrix gives sympy expressions. Sizes come from
:mod:`convcalc.arithmetic` (``conv_length``, ``pool_length``), never from a
formula written here.

Conventions
-----------
* ``correlate`` is the cross-correlation of CNNs (PyTorch ``Conv2d``, SciPy
  ``correlate2d``): ``y[i, j] = sum_{u, v} x[i*s + u*d - p_top, j*s + v*d - p_left] * f[u, v]``,
  with zeros outside the input.
* ``convolve`` flips the kernel on both axes (SciPy ``convolve2d``).
* ``mode="same"`` pads ``d*(k - 1)`` in total per axis. For :func:`correlate`
  the odd pixel of an even kernel goes to the bottom/right (``lo = total // 2``),
  which is what both ``scipy.signal.correlate2d(mode="same")`` and PyTorch
  ``padding="same"`` do. For :func:`convolve` SciPy's ``convolve2d(mode="same")``
  keeps the centre of the full convolution, which puts the odd pixel at the
  top/left (``lo = total - total // 2``); :func:`convolve` matches SciPy.
* Pooling follows PyTorch: max pooling ignores padding cells, average pooling
  divides by the window clipped to the padded input (``count_include_pad=True``)
  or by the real cells only (``count_include_pad=False``).

Modules, all re-exported here (import from ``convcalc.exact``): ``values``
(the value and matrix types, :func:`as_matrix`), ``geometry`` (where the
windows sit), ``correlation`` (:func:`correlate`, :func:`convolve`), ``cell``
(:func:`explain`, the working of one cell), ``pooling``, ``channels``
(:func:`correlate_channels`: ``C x H x W`` inputs, ``C x k x k`` or
``O x C x k x k`` filters, summed over channels), ``transposed``
(:func:`conv_transpose`, PyTorch ``ConvTranspose2d`` on one channel) and
``work`` (every operation estimates its multiply-adds first and refuses above
``max_work``, default :data:`MAX_WORK`).
"""

from __future__ import annotations

from convcalc.exact.cell import CellWorking, explain
from convcalc.exact.channels import ChannelWorking, correlate_channels, explain_channels
from convcalc.exact.correlation import convolve, correlate
from convcalc.exact.geometry import Geometry
from convcalc.exact.pooling import PoolWorking, avg_pool, explain_pool, max_pool
from convcalc.exact.transposed import TransposedWorking, conv_transpose, explain_transposed
from convcalc.exact.values import Matrix, Value, as_matrix
from convcalc.exact.work import MAX_WORK

__all__ = [
    "Value",
    "Matrix",
    "Geometry",
    "CellWorking",
    "PoolWorking",
    "as_matrix",
    "correlate",
    "convolve",
    "explain",
    "max_pool",
    "avg_pool",
    "explain_pool",
    "correlate_channels",
    "explain_channels",
    "ChannelWorking",
    "conv_transpose",
    "explain_transposed",
    "TransposedWorking",
    "MAX_WORK",
]
