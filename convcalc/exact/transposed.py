"""Exact 2-D transposed convolution of matrices (PyTorch ``ConvTranspose2d``, d2l 14.10 ``trans_conv``).

Every input cell scatters ``x[a, b] * f[u, v]`` to output cell
``(a*s + u*d - p_top, b*s + v*d - p_left)``; the output is cropped by the
padding and extended by ``output_padding`` on the bottom/right, so its size is
:func:`convcalc.arithmetic.transposed_length`:
``o = (n - 1)*s - (p_lo + p_hi) + d*(k - 1) + output_padding + 1``.
The kernel is not flipped (PyTorch's weight ``w[c_in, c_out, u, v]`` for one
channel): d2l's ``trans_conv(X, K)`` with ``Y[i:i+h, j:j+w] += X[i, j] * K``.
"""

from __future__ import annotations

from dataclasses import dataclass

from convcalc._typing import as_tuple
from convcalc.arithmetic import resolve_padding, transposed_length
from convcalc.errors import ConvCalcError, invalid
from convcalc.exact.geometry import _check_cell, _ints
from convcalc.exact.values import Matrix, Value, _term, as_matrix
from convcalc.exact.work import check_work

__all__ = ["conv_transpose", "explain_transposed", "TransposedWorking", "TransposedGeometry"]


@dataclass(frozen=True)
class TransposedGeometry:
    """Sizes, steps and cropping of a transposed convolution, per axis (rows, columns)."""

    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    output_padding: tuple[int, int]
    output: tuple[int, int]

    def target(self, a: int, b: int, u: int, v: int) -> tuple[int, int]:
        """The output cell input ``(a, b)`` times kernel ``(u, v)`` lands in (may be cropped away)."""
        return (a * self.stride[0] + u * self.dilation[0] - self.padding[0][0],
                b * self.stride[1] + v * self.dilation[1] - self.padding[1][0])


def _geometry(x: Matrix, f: Matrix, stride: object, padding: object, output_padding: object,
              dilation: object) -> TransposedGeometry:
    s, d = _ints(stride, "stride"), _ints(dilation, "dilation")
    size, kernel = (len(x), len(x[0])), (len(f), len(f[0]))
    if isinstance(padding, str):
        raise invalid("padding", padding, "an int, an int per axis or (lo, hi) pairs (a transposed convolution "
                                          "has no 'same'/'full' mode)")
    pads = resolve_padding(padding, size, kernel, s, d)
    op = as_tuple(output_padding, 2, "output_padding")
    for name, values, given in (("padding", [v for pair in pads for v in pair], padding),
                                ("output_padding", list(op), output_padding)):
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
            raise invalid(name, given, "ints >= 0 (no symbols in an exact transposed convolution)")
    out = tuple(transposed_length(size[a], kernel[a], s[a], pads[a][0], pads[a][1], d[a], op[a], axis=a)
                for a in (0, 1))
    return TransposedGeometry(size, kernel, s, d, (pads[0], pads[1]), (op[0], op[1]), out)  # type: ignore[arg-type]


def conv_transpose(x: object, f: object, stride: object = 1, padding: object = 0, output_padding: object = 0,
                   dilation: object = 1, *, max_work: int | None = None) -> Matrix:
    """Exact 2-D transposed convolution, as PyTorch ``ConvTranspose2d`` on one channel (no bias).

    ``y[a*s + u*d - p_top, b*s + v*d - p_left] += x[a, b] * f[u, v]`` for every input
    cell and kernel cell, inside the output of size
    ``(n - 1)*s - (p_lo + p_hi) + d*(k - 1) + output_padding + 1`` per axis.

    Parameters
    ----------
    x, f : matrix
        Input and kernel: nested lists of int, Fraction or sympy values.
    stride, dilation : int or (int, int)
        Defaults to 1.
    padding : int, (int, int) or ((lo, hi), (lo, hi))
        Rows/columns cropped from each side of the full result. Defaults to 0.
    output_padding : int or (int, int)
        Extra rows/columns on the bottom/right, smaller than max(stride, dilation). Defaults to 0.
    max_work : int, optional
        Refuse above this many multiply-adds (input cells x kernel cells, plus the
        output cells allocated); default
        :data:`convcalc.exact.work.MAX_WORK`, 0 for no limit.

    Examples
    --------
    d2l 14.10 (``trans_conv``), then with stride 2, then padding 1:

    >>> conv_transpose([[0, 1], [2, 3]], [[0, 1], [2, 3]])
    [[0, 0, 1], [0, 4, 6], [4, 12, 9]]
    >>> conv_transpose([[0, 1], [2, 3]], [[0, 1], [2, 3]], stride=2)
    [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]
    >>> conv_transpose([[0, 1], [2, 3]], [[0, 1], [2, 3]], padding=1)
    [[4]]
    """
    xm, fm = as_matrix(x, "x"), as_matrix(f, "f")
    g = _geometry(xm, fm, stride, padding, output_padding, dilation)
    check_work(g.size[0] * g.size[1] * g.kernel[0] * g.kernel[1] + g.output[0] * g.output[1], max_work,
               f"exact transposed convolution of a {g.size[0]}x{g.size[1]} input with a "
               f"{g.kernel[0]}x{g.kernel[1]} kernel (stride {g.stride[0]},{g.stride[1]})")
    (oh, ow), (sh, sw), (dh, dw) = g.output, g.stride, g.dilation
    top, left = g.padding[0][0], g.padding[1][0]
    y: Matrix = [[0] * ow for _ in range(oh)]
    for u, frow in enumerate(fm):
        for v, w in enumerate(frow):
            for a, xrow in enumerate(xm):
                r = a * sh + u * dh - top
                if not 0 <= r < oh:
                    continue
                out = y[r]
                c = v * dw - left
                for value in xrow:
                    if 0 <= c < ow:
                        out[c] += value * w
                    c += sw
    return y


@dataclass(frozen=True)
class TransposedWorking:
    """The working of one output cell of a transposed convolution: every input cell that reaches it.

    Attributes
    ----------
    cell : (int, int)
        The output cell, 0-indexed.
    terms : tuple of ((a, b), (u, v), x value, f value, product)
        Input cell, kernel cell, their values and product, for each contribution
        (``a*s + u*d - p_top = i`` and ``b*s + v*d - p_left = j``).
    total : value
        The sum of the products (0 when no input cell reaches the cell).
    geometry : TransposedGeometry
        Strides, dilation and padding used.
    """

    cell: tuple[int, int]
    terms: tuple[tuple[tuple[int, int], tuple[int, int], Value, Value, Value], ...]
    total: Value
    geometry: TransposedGeometry

    def text(self) -> str:
        """``X(0,0)*F(1,1) + X(0,1)*F(1,0) + ... = 0*3 + 1*2 + ... = 4``."""
        i, j = self.cell
        if not self.terms:
            return (f"no input cell reaches Y({i},{j}) (it lies in the output_padding or between strided "
                    "copies): 0")
        names = " + ".join(f"X({a},{b})*F({u},{v})" for (a, b), (u, v), *_ in self.terms)
        values = " + ".join(f"{_term(xv)}*{_term(fv)}" for _, _, xv, fv, _ in self.terms)
        return f"{names} = {values} = {_term(self.total, bracket=False)}"


def explain_transposed(x: object, f: object, i: int, j: int, stride: object = 1, padding: object = 0,
                       output_padding: object = 0, dilation: object = 1) -> TransposedWorking:
    """The working of output cell ``(i, j)`` of :func:`conv_transpose`.

    Examples
    --------
    >>> w = explain_transposed([[0, 1], [2, 3]], [[0, 1], [2, 3]], 1, 1)
    >>> w.text()
    'X(0,0)*F(1,1) + X(0,1)*F(1,0) + X(1,0)*F(0,1) + X(1,1)*F(0,0) = 0*3 + 1*2 + 2*1 + 3*0 = 4'
    """
    xm, fm = as_matrix(x, "x"), as_matrix(f, "f")
    _check_cell(i, j)
    g = _geometry(xm, fm, stride, padding, output_padding, dilation)
    if not (0 <= i < g.output[0] and 0 <= j < g.output[1]):
        raise ConvCalcError(f"Cell ({i}, {j}) is outside the {g.output[0]}x{g.output[1]} output; valid cells are "
                            f"(0..{g.output[0] - 1}, 0..{g.output[1] - 1}).")
    def sources(axis: int, out: int) -> list[tuple[int, int]]:
        """(input index, kernel index) pairs with ``a*s + u*d - p_lo = out`` along one axis."""
        found = []
        for u in range(g.kernel[axis]):
            t = out + g.padding[axis][0] - u * g.dilation[axis]
            if t >= 0 and t % g.stride[axis] == 0 and t // g.stride[axis] < g.size[axis]:
                found.append((t // g.stride[axis], u))
        return found

    terms = [((a, b), (u, v), xm[a][b], fm[u][v], xm[a][b] * fm[u][v])
             for a, u in sorted(sources(0, i)) for b, v in sorted(sources(1, j))]
    total = sum((t[4] for t in terms), start=0)
    return TransposedWorking((i, j), tuple(terms), total, g)
