"""Exact 2-D correlation and convolution of whole matrices (the hot loop works on ints)."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import repeat
from operator import add, mul

from convcalc.exact.geometry import Geometry, _conv_geometry
from convcalc.exact.values import Matrix, _flip, as_matrix
from convcalc.exact.work import check_work


def _padded(x: Matrix, pads: tuple[tuple[int, int], tuple[int, int]]) -> Matrix:
    (top, bottom), (left, right) = pads
    width = len(x[0]) + left + right
    zero_rows = [[0] * width for _ in range(top)], [[0] * width for _ in range(bottom)]
    if left or right:
        body = [[0] * left + row + [0] * right for row in x]
    else:
        body = x
    return zero_rows[0] + body + zero_rows[1]


def _correlate_padded(xp: Matrix, f: Matrix, g: Geometry) -> Matrix:
    """Correlate a padded matrix; rationals go through integers over a common denominator.

    ``Fraction`` arithmetic normalises with a gcd at every step. Scaling ``x``
    by the lcm ``Lx`` of its denominators and ``f`` by ``Lf`` makes every
    product an int, and ``y = Y_int / (Lx * Lf)`` exactly (about 30x faster).
    Any Fraction in the input makes every output a Fraction.
    """
    x_den, f_den = _denominator(xp), _denominator(f)
    if x_den is None or f_den is None or (x_den == f_den == 0):
        return _correlate_ints(xp, f, g)  # ints only (0), or sympy values (None)
    lx, lf = max(x_den, 1), max(f_den, 1)
    y = _correlate_ints(_scaled(xp, lx), _scaled(f, lf), g)
    scale = lx * lf
    return [[Fraction(v, scale) for v in row] for row in y]


def _denominator(m: Matrix) -> int | None:
    """lcm of the denominators; 0 when every entry is an int; None when any entry is not rational."""
    lcm = 0
    for row in m:
        for v in row:
            if type(v) is int:
                continue
            if isinstance(v, Fraction):
                lcm = math.lcm(lcm or 1, v.denominator)
            else:
                return None
    return lcm


def _scaled(m: Matrix, scale: int) -> Matrix:
    return [[int(v * scale) for v in row] for row in m]


def _correlate_ints(xp: Matrix, f: Matrix, g: Geometry) -> Matrix:
    """The hot loop: per output row, add ``w * (strided input row)`` for every kernel weight.

    Each ``map`` runs over a whole output row in C, so the Python-level work is
    ``rows_out * kernel_cells`` calls instead of one per product.
    """
    (sh, sw), (dh, dw), (oh, ow) = g.stride, g.dilation, g.output
    stop = sw * (ow - 1) + 1
    weights = [[(v * dw, w) for v, w in enumerate(frow)] for frow in f]
    out: Matrix = []
    for i in range(oh):
        acc: list | None = None
        for u, frow in enumerate(weights):
            row = xp[i * sh + u * dh]
            for start, w in frow:
                seg = row[start:start + stop:sw]
                if acc is None:
                    acc = list(map(mul, repeat(w, ow), seg))
                else:
                    acc = list(map(add, acc, map(mul, repeat(w, ow), seg)))
        out.append(acc)  # type: ignore[arg-type]
    return out


def correlate(x: object, f: object, mode: str = "valid", stride: object = 1, dilation: object = 1,
              padding: object = None, *, framework: str = "torch", max_work: int | None = None) -> Matrix:
    """Exact 2-D cross-correlation, as in CNN layers (no kernel flip).

    ``y[i, j] = sum_{u, v} x[i*s + u*d - p_top, j*s + v*d - p_left] * f[u, v]``
    (zeros outside ``x``), the operator PyTorch ``Conv2d`` documents as "valid
    cross-correlation" and SciPy computes with ``correlate2d``. Output size per
    axis ``o = floor((n + p_lo + p_hi - d*(k - 1) - 1) / s) + 1`` from
    :func:`convcalc.arithmetic.conv_length`.

    Parameters
    ----------
    x, f : matrix
        Input and kernel: nested lists of int, Fraction or sympy values (or NumPy
        integer arrays). Floats are refused: the result must be exact.
    mode : {"valid", "same", "full"}
        Padding mode, used when ``padding`` is None. 'same' puts the odd pixel of
        an even kernel at the bottom/right, as SciPy and PyTorch. Defaults to "valid".
    stride, dilation : int or (int, int)
        Step between windows and spacing of kernel taps (1 = none). Defaults to 1.
    padding : int, (int, int), ((lo, hi), (lo, hi)) or str, optional
        Explicit zeros around ``x``; overrides ``mode``. Defaults to None.
    framework : {"torch", "keras"}
        Rule for 'same' with a stride (PyTorch refuses it; Keras uses ``ceil(n/s)``).
        Defaults to "torch".
    max_work : int, optional
        Refuse above this many multiply-adds (output cells x kernel cells),
        estimated before any is done; default :data:`convcalc.exact.work.MAX_WORK`
        (20 million, about 5-10 s), 0 for no limit.

    Returns
    -------
    list of list
        Rows of exact values.

    Raises
    ------
    ConvCalcError
        A malformed matrix, a bad parameter, a kernel larger than the padded input,
        or more work than ``max_work``.

    Examples
    --------
    >>> correlate([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    [[-4, -4], [-4, -4]]
    >>> correlate([[1, 2], [3, 4]], [[1]], padding=1, stride=2)
    [[0, 0], [0, 4]]
    >>> from fractions import Fraction
    >>> correlate([[1, 2, 3]], [[Fraction(1, 3), Fraction(1, 3)]])
    [[Fraction(1, 1), Fraction(5, 3)]]
    """
    xm, fm = as_matrix(x, "x"), as_matrix(f, "f")
    g = _conv_geometry(xm, fm, mode, stride, dilation, padding, framework, flipped=False)
    _check_work(g, max_work, "correlation")
    return _correlate_padded(_padded(xm, g.padding), fm, g)


def _check_work(g: Geometry, max_work: int | None, op: str) -> None:
    check_work(g.output[0] * g.output[1] * g.kernel[0] * g.kernel[1] + padded_cells(g), max_work,
               f"exact {op} of a {g.size[0]}x{g.size[1]} input{describe_padding(g.padding)} with a "
               f"{g.kernel[0]}x{g.kernel[1]} kernel")


def padded_cells(g: Geometry) -> int:
    """Cells of the zero-padded input that is built before correlating (counted as work: 10^20 padding is not free)."""
    (top, bottom), (left, right) = g.padding
    return (g.size[0] + top + bottom) * (g.size[1] + left + right)


def describe_padding(pads: tuple[tuple[int, int], tuple[int, int]]) -> str:
    """``" padded by 1"``, ``" padded by ((0, 1), (1, 1))"``, or ``""`` without padding (for messages)."""
    values = {v for pair in pads for v in pair}
    if values == {0}:
        return ""
    return f" padded by {values.pop()}" if len(values) == 1 else f" padded by {pads}"


def convolve(x: object, f: object, mode: str = "valid", stride: object = 1, dilation: object = 1,
             padding: object = None, *, framework: str = "torch", max_work: int | None = None) -> Matrix:
    """Exact 2-D convolution: :func:`correlate` with the kernel flipped on both axes.

    ``y[i, j] = sum_{u, v} x[i*s + u*d - p_top, j*s + v*d - p_left] * f[kh-1-u, kw-1-v]``.
    Same parameters as :func:`correlate`. In 'same' mode an even kernel's odd pixel
    of padding goes to the top/left, so that the result equals
    ``scipy.signal.convolve2d(x, f, mode="same")`` (the centre of the full convolution).

    Examples
    --------
    >>> convolve([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    [[4, 4], [4, 4]]
    >>> convolve([[1, 2]], [[1, 10]], mode="full")
    [[1, 12, 20]]
    """
    xm, fm = as_matrix(x, "x"), as_matrix(f, "f")
    g = _conv_geometry(xm, fm, mode, stride, dilation, padding, framework, flipped=True)
    _check_work(g, max_work, "convolution")
    return _correlate_padded(_padded(xm, g.padding), _flip(fm), g)
