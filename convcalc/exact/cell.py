"""The working of one output cell of a correlation or convolution: window, kernel, products, sum."""

from __future__ import annotations

from dataclasses import dataclass

from convcalc.exact.geometry import _check_cell, _conv_geometry
from convcalc.exact.values import Value, _flip, _term, _tuples, as_matrix


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

    def _repr_html_(self) -> str:  # Jupyter: window, kernel, products, sum; the renderer lives in convcalc.draw
        return __import__("importlib").import_module("convcalc.draw.reprs").cell_html(self)


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
    _check_cell(i, j)
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
