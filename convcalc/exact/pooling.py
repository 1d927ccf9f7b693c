"""Exact 2-D max and average pooling, and the working of one pooled cell (PyTorch's conventions)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from convcalc._typing import is_symbolic
from convcalc.errors import ConvCalcError, invalid
from convcalc.exact.geometry import Geometry, _check_cell, _ints, _pool_geometry
from convcalc.exact.values import Matrix, Value, _term, _tuples, as_matrix
from convcalc.exact.work import check_work


@dataclass(frozen=True)
class PoolWorking:
    """The working of one pooled cell.

    Attributes
    ----------
    cell : (int, int)
        The output cell, 0-indexed.
    rows, cols : tuple of int
        Input rows and columns under the window (padding and off-edge cells included).
    window : tuple of tuple
        Input values (None where the cell is padding or past the padded edge).
    op : {"max", "avg"}
        Which pooling.
    divisor : int
        Average pooling: the count the sum is divided by (1 for max).
    value : value
        The pooled value: the maximum, or the exact average (a Fraction when it is not whole).
    """

    cell: tuple[int, int]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    window: tuple[tuple[Value | None, ...], ...]
    op: str
    divisor: int
    value: Value

    def text(self) -> str:
        """``max(1, 5, 2, 0) = 5`` or ``(1 + 5 + 2 + 0) / 4 = 2``."""
        vals = [str(v) for row in self.window for v in row if v is not None]
        if self.op == "max":
            return f"max({', '.join(vals)}) = {self.value}"
        return f"({' + '.join(_term(v) for row in self.window for v in row if v is not None)}) / {self.divisor} " \
               f"= {self.value}"


def _pool_cell(xm: Matrix, g: Geometry, i: int, j: int, op: str, count_include_pad: bool) -> PoolWorking:
    rows, cols = g.window(i, j)
    n_rows, n_cols = g.size
    (top, bottom), (left, right) = g.padding
    window = [[xm[r][c] if 0 <= r < n_rows and 0 <= c < n_cols else None for c in cols] for r in rows]
    values = [v for row in window for v in row if v is not None]
    if not values and (op == "max" or not count_include_pad):
        what = "-inf (max pooling)" if op == "max" else "nan (0 / 0: average over no real cell)"
        raise ConvCalcError(
            f"The window of output cell ({i}, {j}) covers only padding (input rows {rows[0]}..{rows[-1]}, columns "
            f"{cols[0]}..{cols[-1]} of a {n_rows}x{n_cols} input): PyTorch gives {what} there, which is not an "
            "exact value; use less padding or dilation")
    if op == "max":
        return PoolWorking((i, j), tuple(rows), tuple(cols), _tuples(window), op, 1, max(values))  # type: ignore
    if count_include_pad:  # PyTorch: the window clipped to the padded input (ceil mode can overhang it)
        in_rows = sum(1 for r in rows if -top <= r < n_rows + bottom)
        in_cols = sum(1 for c in cols if -left <= c < n_cols + right)
        divisor = in_rows * in_cols
    else:
        divisor = len(values)
    total = sum(values, start=0)
    value = total / divisor if is_symbolic(total) else Fraction(total, divisor)
    return PoolWorking((i, j), tuple(rows), tuple(cols), _tuples(window), op, divisor, value)  # type: ignore


def _pool(x: object, kernel: object, stride: object, padding: object, dilation: object, ceil_mode: bool,
          op: str, count_include_pad: bool = True, max_work: int | None = None) -> Matrix:
    xm = as_matrix(x, "x")
    g = _pool_geometry(xm, kernel, stride, padding, dilation, ceil_mode)
    check_work(g.output[0] * g.output[1] * g.kernel[0] * g.kernel[1], max_work,
               f"exact {op} pooling of a {g.size[0]}x{g.size[1]} input with a {g.kernel[0]}x{g.kernel[1]} window",
               "window reads")
    return [[_pool_cell(xm, g, i, j, op, count_include_pad).value for j in range(g.output[1])]
            for i in range(g.output[0])]


def max_pool(x: object, kernel: object, stride: object = None, padding: object = 0, dilation: object = 1,
             ceil_mode: bool = False, *, max_work: int | None = None) -> Matrix:
    """Exact 2-D max pooling (PyTorch ``MaxPool2d``: padding cells never win).

    Output size from :func:`convcalc.arithmetic.pool_length`, ceil mode with
    PyTorch's last-window rule. ``stride`` defaults to ``kernel``. ``max_work``
    limits the comparisons (output cells x window cells; default
    :data:`convcalc.exact.work.MAX_WORK`, 0 for none).

    Examples
    --------
    >>> max_pool([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 7, 6], [9, 1, 3, 3]], 2)
    [[5, 8], [9, 7]]
    >>> max_pool([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2, ceil_mode=True)
    [[5, 6], [8, 9]]
    """
    return _pool(x, kernel, stride, padding, dilation, ceil_mode, "max", max_work=max_work)


def avg_pool(x: object, kernel: object, stride: object = None, padding: object = 0, ceil_mode: bool = False,
             count_include_pad: bool = True, *, max_work: int | None = None) -> Matrix:
    """Exact 2-D average pooling: averages are exact Fractions (PyTorch ``AvgPool2d`` conventions).

    The divisor is the window clipped to the padded input when
    ``count_include_pad`` (PyTorch's default), else the number of real input
    cells in the window. Every average is a Fraction (sympy input gives sympy).
    ``max_work`` as in :func:`max_pool`.

    Examples
    --------
    >>> avg_pool([[1, 2, 3], [1, 2, 3], [0, 1, 2]], 3)
    [[Fraction(5, 3)]]
    >>> avg_pool([[1, 3], [5, 7]], 2)
    [[Fraction(4, 1)]]
    """
    return _pool(x, kernel, stride, padding, 1, ceil_mode, "avg", count_include_pad, max_work)


def explain_pool(x: object, i: int, j: int, kernel: object, stride: object = None, padding: object = 0,
                 dilation: object = 1, ceil_mode: bool = False, *, op: str = "max",
                 count_include_pad: bool = True) -> PoolWorking:
    """The working of pooled cell ``(i, j)``: the window and its max or exact average.

    Examples
    --------
    >>> explain_pool([[1, 2, 3], [1, 2, 3], [0, 1, 2]], 0, 0, 3, op="avg").text()
    '(1 + 2 + 3 + 1 + 2 + 3 + 0 + 1 + 2) / 9 = 5/3'
    """
    if op not in ("max", "avg"):
        raise invalid("op", op, "'max' or 'avg'")
    if op == "avg" and _ints(dilation, "dilation") != (1, 1):
        raise invalid("dilation", dilation, "1 for average pooling (PyTorch AvgPool2d has none)")
    xm = as_matrix(x, "x")
    g = _pool_geometry(xm, kernel, stride, padding, dilation, ceil_mode)
    _check_cell(i, j)
    return _pool_cell(xm, g, i, j, op, count_include_pad)
