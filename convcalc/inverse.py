"""Inverse solving: which padding, which input sizes, which ``output_padding``.

The questions users ask in forums (CMSIS_5#603, mxnet#3240, tensorflow#2118,
pytorch#56328), answered from the same formulas as the forward sizes:

- ``solve_padding``: every ``(lo, hi)`` padding that gives a target output;
- ``input_sizes``: every input size that maps to one output size (with
  stride ``s > 1`` there are up to ``s`` of them, Dumoulin & Visin rel. 6);
- ``inverse_output_padding``: the ``output_padding`` (the paper's ``a``) that
  makes a transposed convolution restore the input size of a convolution.
"""

from __future__ import annotations

from typing import Any

from convcalc._typing import IntOrTuple, as_value
from convcalc.arithmetic import (
    _axes,
    _values,
    conv_length,
    effective_kernel,
    resolve_padding,
    transposed_length,
)
from convcalc.errors import ConvCalcError, invalid

__all__ = ["solve_padding", "input_sizes", "inverse_output_padding"]


def _int(value: object, name: str) -> int:
    v = as_value(value, name)
    if not isinstance(v, int):
        raise invalid(name, value, "an int (inverse solving needs numbers, not symbols)")
    return v


def padding_pairs_1d(n: int, k: int, target: int, s: int = 1, d: int = 1) -> list[tuple[int, int]]:
    """Every ``(lo, hi)`` padding giving output ``target`` along one axis.

    The output ``floor((n + T - d*(k-1) - 1)/s) + 1`` equals ``target`` exactly
    when the total padding ``T = lo + hi`` lies in
    ``[(target-1)*s + d*(k-1) + 1 - n,  that + s - 1]`` (and ``T >= 0``).
    Pairs are sorted by total, then by how balanced they are.

    Examples
    --------
    >>> padding_pairs_1d(28, 3, 28)
    [(1, 1), (0, 2), (2, 0)]
    >>> padding_pairs_1d(29, 2, 15, 2)   # CMSIS_5#603: 29 -> 15 with k=2, s=2
    [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0)]
    """
    for value, name in ((n, "size"), (k, "kernel"), (target, "target"), (s, "stride"), (d, "dilation")):
        if value < 1:
            raise invalid(name, value, "an int >= 1")
    low = (target - 1) * s + effective_kernel(k, d) - n
    totals = [t for t in range(max(low, 0), low + s) if t >= 0]
    if not totals:
        smallest = conv_length(n, k, s, 0, 0, d)
        raise ConvCalcError(
            f"no padding gives output {target}: with padding 0 the output is already {smallest}, "
            "and padding only makes it larger; use a larger stride or kernel"
        )
    pairs = [(lo, t - lo) for t in totals for lo in range(t + 1)]
    pairs.sort(key=lambda p: (p[0] + p[1], abs(p[0] - p[1]), -p[1]))
    return [p for p in pairs if conv_length(n, k, s, p[0], p[1], d) == target]


def solve_padding(size: IntOrTuple, kernel: IntOrTuple, target: IntOrTuple, stride: IntOrTuple = 1,
                  dilation: IntOrTuple = 1) -> list[tuple[int, int]] | tuple[list[tuple[int, int]], ...]:
    """Every symmetric or ``(lo, hi)`` padding that gives ``target``, per axis.

    Symmetric solutions are the pairs with ``lo == hi``; the rest need
    asymmetric padding (``F.pad`` in PyTorch, explicit lists in TensorFlow).

    Examples
    --------
    >>> solve_padding(16, 2, 7, stride=2, dilation=4)   # the seed's layer: p = 1 is one answer
    [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0)]
    >>> [p for p in solve_padding(32, 3, 16, stride=2) if p[0] == p[1]]
    [(1, 1)]
    """
    ndim, as_seq = _axes(size, kernel, stride, dilation, 0, target)
    n, k, t, s, d = ([_int(v, name) for v in _values(x, ndim, name)] for x, name in
                     ((size, "size"), (kernel, "kernel"), (target, "target"), (stride, "stride"),
                      (dilation, "dilation")))
    result = [padding_pairs_1d(*args) for args in zip(n, k, t, s, d)]
    return tuple(result) if as_seq else result[0]


def input_sizes(output: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple = 1, padding: Any = 0,
                dilation: IntOrTuple = 1) -> list[int] | tuple[list[int], ...]:
    """All input sizes that a convolution maps to ``output``, per axis.

    ``n`` ranges over ``[(o-1)*s + d*(k-1) + 1 - p_lo - p_hi, that + s - 1]``
    (Dumoulin & Visin rel. 6: with ``s > 1`` several inputs share one output).

    Examples
    --------
    >>> input_sizes(7, 2, stride=2, padding=1, dilation=4)
    [15, 16]
    >>> input_sizes(8, 3, stride=2, padding=1)
    [15, 16]
    """
    ndim, as_seq = _axes(output, kernel, stride, dilation, padding)
    o, k, s, d = ([_int(v, name) for v in _values(x, ndim, name)] for x, name in
                  ((output, "output"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation")))
    pads = resolve_padding(padding, [1] * ndim, k, s, d)
    result = []
    for oo, kk, ss, dd, (lo, hi) in zip(o, k, s, d, pads):
        if oo < 1:
            raise invalid("output", oo, "an int >= 1")
        first = (oo - 1) * ss + effective_kernel(kk, dd) - lo - hi
        result.append([n for n in range(max(first, 1), first + ss) if conv_length(n, kk, ss, lo, hi, dd) == oo])
    return tuple(result) if as_seq else result[0]


def inverse_output_padding(size: IntOrTuple, kernel: IntOrTuple, stride: IntOrTuple = 1, padding: Any = 0,
                           dilation: IntOrTuple = 1) -> int | tuple[int, ...]:
    """The ``output_padding`` with which ``ConvTranspose`` restores ``size``.

    For a convolution ``n -> o``, the transposed convolution with the same
    ``k, s, p, d`` gives back ``n`` when
    ``output_padding = (n + p_lo + p_hi - d*(k-1) - 1) mod s``
    (Dumoulin & Visin rel. 14, the paper's ``a``; PyTorch ``output_padding``).

    Examples
    --------
    >>> inverse_output_padding(28, 3, stride=2, padding=1)   # 28 -> 14 -> 28 needs 1
    1
    >>> inverse_output_padding((27, 28), 3, stride=2, padding=1)
    (0, 1)
    """
    ndim, as_seq = _axes(size, kernel, stride, dilation, padding)
    n, k, s, d = ([_int(v, name) for v in _values(x, ndim, name)] for x, name in
                  ((size, "size"), (kernel, "kernel"), (stride, "stride"), (dilation, "dilation")))
    pads = resolve_padding(padding, n, k, s, d)
    result = []
    for nn, kk, ss, dd, (lo, hi) in zip(n, k, s, d, pads):
        out = conv_length(nn, kk, ss, lo, hi, dd)
        a = (nn + lo + hi - effective_kernel(kk, dd)) % ss
        if a >= max(ss, dd) or transposed_length(out, kk, ss, lo, hi, dd, a) != nn:
            raise ConvCalcError(
                f"no output_padding lets the transposed convolution restore size {nn}: it would need {a}, "
                f"and PyTorch allows less than max(stride, dilation) = {max(ss, dd)}"
            )
        result.append(a)
    return tuple(result) if as_seq else result[0]
