"""Exact multi-channel correlation: a ``C x H x W`` input with ``C x kh x kw`` filters, summed over channels.

``y[o, i, j] = b[o] + sum_c sum_{u, v} x[c, i*s + u*d - p_top, j*s + v*d - p_left] * f[o, c, u, v]``,
the operator of a CNN layer (PyTorch ``Conv2d`` with ``weight[o, c, u, v]``),
the CS231n convolution demo (a 3-channel input, two 3x3x3 filters, stride 2,
padding 1, a bias each) and d2l 7.4's ``corr2d_multi_in`` /
``corr2d_multi_in_out``. Each channel is one :func:`convcalc.exact.correlate`
(same geometry and modes), so sizes still come from :mod:`convcalc.arithmetic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convcalc.errors import ConvCalcError
from convcalc.exact.cell import CellWorking, explain
from convcalc.exact.correlation import _correlate_padded, _padded, describe_padding, padded_cells
from convcalc.exact.geometry import _conv_geometry
from convcalc.exact.values import Matrix, Value, _term, as_matrix
from convcalc.exact.work import check_work

__all__ = ["correlate_channels", "explain_channels", "ChannelWorking", "as_channels", "as_filters"]


def _depth(x: object) -> int:
    depth = 0
    while isinstance(x, (list, tuple)) and x:
        depth += 1
        x = x[0]
    return depth


def as_channels(x: object, name: str = "x") -> list[Matrix]:
    """A ``C x H x W`` input as C matrices of one size (a 2-D matrix is one channel).

    Examples
    --------
    >>> as_channels([[1, 2], [3, 4]])
    [[[1, 2], [3, 4]]]
    >>> len(as_channels([[[1]], [[2]], [[3]]]))
    3
    """
    if hasattr(x, "tolist") and not isinstance(x, (list, tuple)):
        x = x.tolist()
    depth = _depth(x)
    if depth <= 2:
        return [as_matrix(x, name)]
    if depth != 3:
        raise ConvCalcError(f"The {name!r} input must be 2-D (H x W) or 3-D (C x H x W); it is {depth}-D.")
    assert isinstance(x, (list, tuple))
    channels = [as_matrix(c, f"{name}[{k}]") for k, c in enumerate(x)]
    _same_size(channels, name, "channel")
    return channels


def as_filters(f: object, name: str = "f") -> tuple[list[list[Matrix]], int]:
    """Filters as ``O`` lists of ``C`` kernels, and the depth they were given in (2, 3 or 4).

    A 2-D kernel is one filter of one channel; ``C x kh x kw`` one filter;
    ``O x C x kh x kw`` O filters (PyTorch's ``Conv2d.weight`` layout).
    """
    if hasattr(f, "tolist") and not isinstance(f, (list, tuple)):
        f = f.tolist()
    depth = _depth(f)
    if depth <= 2:
        return [[as_matrix(f, name)]], 2
    if depth == 3:
        return [as_channels(f, name)], 3
    if depth != 4:
        raise ConvCalcError(f"The {name!r} filters must be 2-D, 3-D (C x kh x kw) or 4-D (O x C x kh x kw); "
                            f"they are {depth}-D.")
    assert isinstance(f, (list, tuple))
    filters = [as_channels(one, f"{name}[{o}]") for o, one in enumerate(f)]
    for o, one in enumerate(filters[1:], start=1):
        if len(one) != len(filters[0]) or (len(one[0]), len(one[0][0])) != (len(filters[0][0]),
                                                                          len(filters[0][0][0])):
            raise ConvCalcError(f"The {name!r} filters differ: filter {o} is {_dims(one)}, filter 0 is "
                                f"{_dims(filters[0])}; every filter is C x kh x kw.")
    return filters, 4


def _dims(channels: list[Matrix]) -> str:
    return f"{len(channels)}x{len(channels[0])}x{len(channels[0][0])}"


def _same_size(channels: list[Matrix], name: str, what: str) -> None:
    rows, cols = len(channels[0]), len(channels[0][0])
    for k, c in enumerate(channels):
        if (len(c), len(c[0])) != (rows, cols):
            raise ConvCalcError(f"The {name!r} {what}s differ in size: {what} {k} is {len(c)}x{len(c[0])}, "
                                f"{what} 0 is {rows}x{cols}.")


def _bias(bias: object, maps: int) -> list[Value]:
    if bias is None:
        return [0] * maps
    values = list(bias) if isinstance(bias, (list, tuple)) else [bias]
    if len(values) != maps:
        raise ConvCalcError(f"The 'bias' must give one value per output map ({maps}); got {len(values)}.")
    return as_matrix([values], "bias")[0]


def correlate_channels(x: object, f: object, mode: str = "valid", stride: object = 1, dilation: object = 1,
                       padding: object = None, *, bias: object = None, framework: str = "torch",
                       max_work: int | None = None) -> Any:
    """Exact multi-channel correlation, summed over input channels (a CNN layer without its activation).

    Parameters
    ----------
    x : C x H x W nested lists (or H x W for one channel)
        The input, exact values.
    f : C x kh x kw (one filter) or O x C x kh x kw (O filters) nested lists
        The filters; their C must equal the input's.
    mode, stride, dilation, padding, framework
        As :func:`convcalc.exact.correlate`, the same for every channel.
    bias : value or list of O values, optional
        Added to every cell of each output map. Defaults to none.
    max_work : int, optional
        Refuse above this many multiply-adds (``O * C * output cells * kernel
        cells``); default :data:`convcalc.exact.work.MAX_WORK`, 0 for no limit.

    Returns
    -------
    list of list, or list of O of them
        One output matrix for a 3-D (or 2-D) filter; O output maps for 4-D filters.

    Examples
    --------
    d2l 7.4's ``corr2d_multi_in`` and ``corr2d_multi_in_out`` (K, K + 1, K + 2):

    >>> X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    >>> K = [[[0, 1], [2, 3]], [[1, 2], [3, 4]]]
    >>> correlate_channels(X, K)
    [[56, 72], [104, 120]]
    >>> K3 = [[[[v + n for v in row] for row in k] for k in K] for n in range(3)]
    >>> correlate_channels(X, K3)
    [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]
    """
    xs = as_channels(x, "x")
    filters, depth = as_filters(f, "f")
    if len(filters[0]) != len(xs):
        raise ConvCalcError(f"The input has {len(xs)} channel{'s' if len(xs) != 1 else ''} but each filter has "
                            f"{len(filters[0])}; a filter is C x kh x kw with the input's C.")
    g = _conv_geometry(xs[0], filters[0][0], mode, stride, dilation, padding, framework, flipped=False)
    products = len(filters) * len(xs) * g.output[0] * g.output[1] * g.kernel[0] * g.kernel[1] + \
        len(xs) * padded_cells(g)
    check_work(products, max_work, f"exact correlation of a {len(xs)}x{g.size[0]}x{g.size[1]} input"
                                   f"{describe_padding(g.padding)} with "
                                   f"{len(filters)} filter{'s' if len(filters) != 1 else ''} of "
                                   f"{_dims(filters[0])}")
    biases = _bias(bias, len(filters))
    padded = [_padded(c, g.padding) for c in xs]
    maps = []
    for filt, b in zip(filters, biases):
        total: Matrix | None = None
        for xc, fc in zip(padded, filt):
            y = _correlate_padded(xc, fc, g)
            total = y if total is None else [[p + q for p, q in zip(r1, r2)] for r1, r2 in zip(total, y)]
        assert total is not None
        maps.append([[v + b for v in row] for row in total] if b != 0 else total)
    return maps if depth == 4 else maps[0]


@dataclass(frozen=True)
class ChannelWorking:
    """The working of one output cell of a multi-channel correlation: one :class:`CellWorking` per channel.

    Attributes
    ----------
    cell : (int, int)
        The output cell, 0-indexed.
    out : int
        The output map (filter) index.
    channels : tuple of CellWorking
        Window, kernel slice, products and partial sum of each input channel.
    bias : value
        The filter's bias (0 when none).
    total : value
        ``sum of the channel sums + bias``: the output value.
    """

    cell: tuple[int, int]
    out: int
    channels: tuple[CellWorking, ...]
    bias: Value
    total: Value

    def text(self) -> str:
        """``68 + 23 + (-4) + 1 (bias) = 88``: the channel sums added."""
        parts = [_term(w.total) for w in self.channels]
        if self.bias != 0:
            parts.append(f"{_term(self.bias)} (bias)")
        return " + ".join(parts) + f" = {_term(self.total, bracket=False)}"


def explain_channels(x: object, f: object, i: int, j: int, out: int = 0, mode: str = "valid", stride: object = 1,
                     dilation: object = 1, padding: object = None, *, bias: object = None,
                     framework: str = "torch") -> ChannelWorking:
    """The working of cell ``(i, j)`` of output map ``out``: each channel's window and products, then the sum.

    Examples
    --------
    >>> X = [[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    >>> w = explain_channels(X, [[[0, 1], [2, 3]], [[1, 2], [3, 4]]], 0, 0)
    >>> [c.total for c in w.channels], w.text()
    ([19, 37], '19 + 37 = 56')
    """
    xs = as_channels(x, "x")
    filters, _ = as_filters(f, "f")
    if isinstance(out, bool) or not isinstance(out, int) or not 0 <= out < len(filters):
        raise ConvCalcError(f"Output map {out!r} does not exist; there {'is' if len(filters) == 1 else 'are'} "
                            f"{len(filters)} (0..{len(filters) - 1}).")
    if len(filters[out]) != len(xs):
        raise ConvCalcError(f"The input has {len(xs)} channels but each filter has {len(filters[out])}.")
    cells = tuple(explain(xc, fc, i, j, mode, stride, dilation, padding, framework=framework)
                  for xc, fc in zip(xs, filters[out]))
    b = _bias(bias, len(filters))[out]
    return ChannelWorking((i, j), out, cells, b, sum((w.total for w in cells), start=0) + b)
