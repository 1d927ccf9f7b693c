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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from numbers import Rational
from operator import add, mul
from typing import Any, Union

from convcalc._typing import as_tuple, is_symbolic
from convcalc.arithmetic import PADDING_MODES, conv_length, pool_length, resolve_padding
from convcalc.errors import ConvCalcError, invalid

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
]

#: One exact value: an int, a Fraction, or a sympy expression.
Value = Union[int, Fraction, Any]
#: A matrix as rows of exact values.
Matrix = list[list[Value]]


# --------------------------------------------------------------------------- input checks
def _exact(value: object, name: str, r: int, c: int) -> Value:
    """One entry as an exact value, or a ConvCalcError naming its row and column (1-based)."""
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, Fraction)):
        return value
    elif isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    elif isinstance(value, Decimal):
        return Fraction(value)
    elif is_symbolic(value):
        return value
    elif hasattr(value, "__index__") and not isinstance(value, float):
        return int(value.__index__())  # NumPy integers
    kind = "float" if isinstance(value, float) else type(value).__name__
    raise ConvCalcError(
        f"The {name!r} matrix must hold exact numbers (int, Fraction or sympy); row {r + 1}, "
        f"column {c + 1} is the {kind} {value!r}. Pass Fraction('0.5') or parse text with "
        "convcalc.matrix_input.parse_matrix"
    )


def as_matrix(x: object, name: str = "x") -> Matrix:
    """Check ``x`` is a non-empty rectangular 2-D matrix of exact values; return it as lists.

    Accepts nested lists or tuples, and NumPy integer arrays (through ``tolist``).
    A flat sequence is one row.

    Raises
    ------
    ConvCalcError
        Empty, ragged, or holding a float or a non-number; the message names the
        row and column (1-based).

    Examples
    --------
    >>> as_matrix([[1, 2], [3, 4]])
    [[1, 2], [3, 4]]
    >>> as_matrix([1, 2, 3])
    [[1, 2, 3]]
    """
    if hasattr(x, "tolist") and not isinstance(x, (list, tuple)):
        x = x.tolist()
    if not isinstance(x, (list, tuple)):
        raise invalid(name, x, "a matrix: a list of rows of numbers")
    if not x:
        raise ConvCalcError(f"The {name!r} matrix is empty; give at least one row with one number.")
    if not any(isinstance(row, (list, tuple)) for row in x):
        x = [x]
    rows: Matrix = []
    width = None
    for r, row in enumerate(x):
        if not isinstance(row, (list, tuple)):
            raise ConvCalcError(f"The {name!r} matrix mixes rows and numbers: row {r + 1} is {row!r}, not a list.")
        if not row:
            raise ConvCalcError(f"The {name!r} matrix has an empty row {r + 1}.")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ConvCalcError(
                f"The {name!r} matrix is ragged: row {r + 1} has {len(row)} "
                f"entr{'y' if len(row) == 1 else 'ies'} but row 1 has {width}"
                + (f" (column {width + 1} is extra)." if len(row) > width else f" (column {len(row) + 1} is missing).")
            )
        rows.append([_exact(v, name, r, c) for c, v in enumerate(row)])
    return rows


def _ints(value: object, name: str) -> tuple[int, int]:
    """A stride or dilation: one int >= 1 for both axes, or a pair."""
    pair = as_tuple(value, 2, name)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise invalid(name, value, "an int >= 1 or a pair of them" +
                          (" (1 means no dilation)" if name == "dilation" else ""))
    return pair[0], pair[1]


# --------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Geometry:
    """Where the kernel windows sit: sizes, steps and padding per axis (rows, columns).

    Attributes
    ----------
    size, kernel, stride, dilation : tuple of int
        ``(rows, columns)`` of the input, the kernel, the step and the dilation.
    padding : tuple of (int, int)
        ``((top, bottom), (left, right))`` zeros around the input.
    output : tuple of int
        ``(rows, columns)`` of the result, from :func:`convcalc.arithmetic.conv_length`
        (or ``pool_length`` for pooling).
    """

    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    output: tuple[int, int]

    def window(self, i: int, j: int) -> tuple[list[int], list[int]]:
        """Input rows and columns (unpadded coordinates; outside the input = padding) of cell (i, j)."""
        if not (0 <= i < self.output[0] and 0 <= j < self.output[1]):
            raise ConvCalcError(
                f"Cell ({i}, {j}) is outside the {self.output[0]}x{self.output[1]} output; "
                f"valid cells are (0..{self.output[0] - 1}, 0..{self.output[1] - 1})."
            )
        rows = [i * self.stride[0] + u * self.dilation[0] - self.padding[0][0] for u in range(self.kernel[0])]
        cols = [j * self.stride[1] + v * self.dilation[1] - self.padding[1][0] for v in range(self.kernel[1])]
        return rows, cols


def _conv_geometry(x: Matrix, f: Matrix, mode: str, stride: object, dilation: object, padding: object,
                   framework: str, flipped: bool) -> Geometry:
    s, d = _ints(stride, "stride"), _ints(dilation, "dilation")
    size = (len(x), len(x[0]))
    kernel = (len(f), len(f[0]))
    if padding is None:
        key = str(mode).strip().lower()
        if key not in PADDING_MODES:
            raise invalid("mode", mode, "one of 'valid', 'same', 'full'")
        padding = key
    elif str(mode).strip().lower() != "valid":
        raise ConvCalcError(f"Give either mode={mode!r} or padding={padding!r}, not both.")
    pads = resolve_padding(padding, size, kernel, s, d, framework)
    if flipped and isinstance(padding, str) and padding.strip().lower() == "same":
        pads = tuple((hi, lo) for lo, hi in pads)  # SciPy convolve2d: centre of the full convolution
    for lo, hi in pads:
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise invalid("padding", padding, "concrete ints (no symbols) for an exact correlation")
    out = tuple(conv_length(size[a], kernel[a], s[a], pads[a][0], pads[a][1], d[a], axis=a) for a in (0, 1))
    return Geometry(size, kernel, s, d, (pads[0], pads[1]), out)  # type: ignore[arg-type]


def _padded(x: Matrix, pads: tuple[tuple[int, int], tuple[int, int]]) -> Matrix:
    (top, bottom), (left, right) = pads
    width = len(x[0]) + left + right
    zero_rows = [[0] * width for _ in range(top)], [[0] * width for _ in range(bottom)]
    if left or right:
        body = [[0] * left + row + [0] * right for row in x]
    else:
        body = x
    return zero_rows[0] + body + zero_rows[1]


def _flip(f: Matrix) -> Matrix:
    return [row[::-1] for row in f[::-1]]


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
              padding: object = None, *, framework: str = "torch") -> Matrix:
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

    Returns
    -------
    list of list
        Rows of exact values.

    Raises
    ------
    ConvCalcError
        A malformed matrix, a bad parameter, or a kernel larger than the padded input.

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
    return _correlate_padded(_padded(xm, g.padding), fm, g)


def convolve(x: object, f: object, mode: str = "valid", stride: object = 1, dilation: object = 1,
             padding: object = None, *, framework: str = "torch") -> Matrix:
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
    return _correlate_padded(_padded(xm, g.padding), _flip(fm), g)


# --------------------------------------------------------------------------- the working of one cell
@dataclass(frozen=True)
class CellWorking:
    """The working of one output cell: window, kernel, products, sum.

    Attributes
    ----------
    cell : (int, int)
        The output cell ``(i, j)``, 0-indexed.
    rows, cols : tuple of int
        Input row and column of each window row/column (0-indexed, unpadded; a
        negative index or one past the input is a padding cell).
    window : tuple of tuple
        The input values under the kernel (0 in padding cells).
    is_padding : tuple of tuple of bool
        True where the window cell lies in the padding.
    kernel : tuple of tuple
        The kernel as applied (flipped when ``flipped``).
    products : tuple of tuple
        ``window * kernel`` elementwise.
    total : value
        The sum of the products: the output value.
    flipped : bool
        True for a convolution (kernel flipped).
    """

    cell: tuple[int, int]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    window: tuple[tuple[Value, ...], ...]
    is_padding: tuple[tuple[bool, ...], ...]
    kernel: tuple[tuple[Value, ...], ...]
    products: tuple[tuple[Value, ...], ...]
    total: Value
    flipped: bool = False

    @property
    def coords(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """``(row, column)`` in the input of every window cell."""
        return tuple(tuple((r, c) for c in self.cols) for r in self.rows)

    @property
    def any_padding(self) -> bool:
        """True when part of the window lies in the padding."""
        return any(any(row) for row in self.is_padding)

    def sum_text(self) -> str:
        """The sum written out: ``-1 + 0 + 2 + ... = 68`` (negative terms in parentheses)."""
        terms = [_term(p) for row in self.products for p in row]
        return " + ".join(terms) + f" = {_term(self.total, bracket=False)}"


def _term(v: Value, bracket: bool = True) -> str:
    text = str(v)
    if bracket and (text.startswith("-") or (not isinstance(v, int) and ("/" in text or " " in text))):
        return f"({text})"
    return text


def explain(x: object, f: object, i: int, j: int, mode: str = "valid", stride: object = 1, dilation: object = 1,
            padding: object = None, *, convolve: bool = False, framework: str = "torch") -> CellWorking:
    """The working of output cell ``(i, j)``: the window, its input coordinates, products and sum.

    Same parameters as :func:`correlate`; ``convolve=True`` flips the kernel as
    :func:`convolve` does (and uses its 'same' padding).

    Examples
    --------
    >>> w = explain([[1, 0, -2], [2, 9, 5], [0, -3, 1]], [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], 0, 0)
    >>> w.products
    ((-1, 0, 2), (-2, 72, -5), (0, 3, -1))
    >>> w.total
    68
    >>> explain([[1, 2], [3, 4]], [[1, 1]], 0, 0, padding=1).coords[0]
    ((-1, -1), (-1, 0))
    """
    xm, fm = as_matrix(x, "x"), as_matrix(f, "f")
    for v, name in ((i, "i"), (j, "j")):
        if isinstance(v, bool) or not isinstance(v, int):
            raise invalid(name, v, "an int (0-indexed output cell)")
    g = _conv_geometry(xm, fm, mode, stride, dilation, padding, framework, flipped=convolve)
    kernel = _flip(fm) if convolve else fm
    rows, cols = g.window(i, j)
    n_rows, n_cols = g.size
    inside = [[0 <= r < n_rows and 0 <= c < n_cols for c in cols] for r in rows]
    window = [[xm[r][c] if inside[a][b] else 0 for b, c in enumerate(cols)] for a, r in enumerate(rows)]
    products = [[w * k for w, k in zip(wrow, krow)] for wrow, krow in zip(window, kernel)]
    total = sum((p for row in products for p in row), start=0)
    return CellWorking(
        (i, j), tuple(rows), tuple(cols), _tuples(window), tuple(tuple(not c for c in row) for row in inside),
        _tuples(kernel), _tuples(products), total, convolve,
    )


def _tuples(m: Matrix) -> tuple[tuple[Value, ...], ...]:
    return tuple(tuple(row) for row in m)


# --------------------------------------------------------------------------- pooling
def _pool_geometry(x: Matrix, kernel: object, stride: object, padding: object, dilation: object,
                   ceil_mode: bool) -> Geometry:
    k = _ints(kernel, "kernel")
    s = k if stride is None else _ints(stride, "stride")
    d = _ints(dilation, "dilation")
    size = (len(x), len(x[0]))
    if isinstance(padding, str):
        raise invalid("padding", padding, "an int, an int per axis or (lo, hi) pairs for pooling")
    pads = resolve_padding(padding, size, k, s, d)
    for (lo, hi), kk, dd in zip(pads, k, d):
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise invalid("padding", padding, "concrete ints for exact pooling")
        limit = (dd * (kk - 1) + 1) // 2
        if max(lo, hi) > limit:
            raise invalid("padding", padding, f"at most half the pool window ({limit})",
                          "PyTorch rejects larger pool padding")
    out = tuple(pool_length(size[a], k[a], s[a], pads[a][0], pads[a][1], d[a], ceil_mode, axis=a) for a in (0, 1))
    return Geometry(size, k, s, d, (pads[0], pads[1]), out)  # type: ignore[arg-type]


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
          op: str, count_include_pad: bool = True) -> Matrix:
    xm = as_matrix(x, "x")
    g = _pool_geometry(xm, kernel, stride, padding, dilation, ceil_mode)
    return [[_pool_cell(xm, g, i, j, op, count_include_pad).value for j in range(g.output[1])]
            for i in range(g.output[0])]


def max_pool(x: object, kernel: object, stride: object = None, padding: object = 0, dilation: object = 1,
             ceil_mode: bool = False) -> Matrix:
    """Exact 2-D max pooling (PyTorch ``MaxPool2d``: padding cells never win).

    Output size from :func:`convcalc.arithmetic.pool_length`, ceil mode with
    PyTorch's last-window rule. ``stride`` defaults to ``kernel``.

    Examples
    --------
    >>> max_pool([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 7, 6], [9, 1, 3, 3]], 2)
    [[5, 8], [9, 7]]
    >>> max_pool([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2, ceil_mode=True)
    [[5, 6], [8, 9]]
    """
    return _pool(x, kernel, stride, padding, dilation, ceil_mode, "max")


def avg_pool(x: object, kernel: object, stride: object = None, padding: object = 0, ceil_mode: bool = False,
             count_include_pad: bool = True) -> Matrix:
    """Exact 2-D average pooling: averages are exact Fractions (PyTorch ``AvgPool2d`` conventions).

    The divisor is the window clipped to the padded input when
    ``count_include_pad`` (PyTorch's default), else the number of real input
    cells in the window. Every average is a Fraction (sympy input gives sympy).

    Examples
    --------
    >>> avg_pool([[1, 2, 3], [1, 2, 3], [0, 1, 2]], 3)
    [[Fraction(5, 3)]]
    >>> avg_pool([[1, 3], [5, 7]], 2)
    [[Fraction(4, 1)]]
    """
    return _pool(x, kernel, stride, padding, 1, ceil_mode, "avg", count_include_pad)


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
    for v, name in ((i, "i"), (j, "j")):
        if isinstance(v, bool) or not isinstance(v, int):
            raise invalid(name, v, "an int (0-indexed output cell)")
    return _pool_cell(xm, g, i, j, op, count_include_pad)
