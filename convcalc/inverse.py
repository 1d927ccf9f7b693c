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

from convcalc._typing import IntOrTuple
from convcalc.arithmetic import (
    UNSET,
    conv_length,
    effective_kernel,
    framework_keywords,
    per_axis,
    resolve_padding,
    transposed_length,
)
from convcalc.errors import ConvCalcError, invalid

__all__ = ["solve_padding", "input_sizes", "inverse_output_padding", "MAX_LISTED"]

#: Most answers an inverse solver lists (paddings or input sizes); a question with more is refused.
MAX_LISTED = 10_000

_LOW = {"size": 1, "output": 1, "target": 1, "kernel": 1, "stride": 1, "dilation": 1}


def _ints(values: dict[str, Any], padding: Any = 0) -> tuple[bool, list[dict[str, int]]]:
    """Per-axis ints, each checked ``>= 1`` (inverse solving needs numbers, not symbols)."""
    axes = per_axis(values, padding)
    for name, per in axes.values.items():
        for v in per:
            if not isinstance(v, int):
                raise invalid(name, values[name], "an int (inverse solving needs numbers, not symbols)")
            if v < _LOW[name]:
                what = "an int >= 1" + (" (1 means no dilation)" if name == "dilation" else "")
                raise invalid(name, v, what)
    return axes.as_seq, [{name: per[i] for name, per in axes.values.items()} for i in range(axes.ndim)]


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
    first, last = max(low, 0), low + s - 1  # the totals T that give the target
    if last < first:
        smallest = conv_length(n, k, s, 0, 0, d)
        raise ConvCalcError(
            f"no padding gives output {target}: with padding 0 the output is already {smallest}, "
            "and padding only makes it larger; use a larger stride or kernel"
        )
    count = (last - first + 1) * (first + last + 2) // 2  # sum of T + 1 splits (lo, hi) over those totals
    if count > MAX_LISTED:
        raise ConvCalcError(
            f"output {target} needs a total padding of at least {first}: that is {count} (lo, hi) pairs, "
            f"more than MAX_LISTED = {MAX_LISTED}; a symmetric padding of {(first + 1) // 2} per side "
            "is the first to try"
        )
    totals = range(first, last + 1)
    pairs = [(lo, t - lo) for t in totals for lo in range(t + 1)]
    pairs.sort(key=lambda p: (p[0] + p[1], abs(p[0] - p[1]), -p[1]))
    return [p for p in pairs if conv_length(n, k, s, p[0], p[1], d) == target]


def solve_padding(size: IntOrTuple, kernel: IntOrTuple = UNSET, target: IntOrTuple = UNSET,
                  stride: IntOrTuple = UNSET, dilation: IntOrTuple = UNSET, *, kernel_size: IntOrTuple = UNSET,
                  strides: IntOrTuple = UNSET,
                  dilation_rate: IntOrTuple = UNSET) -> list[tuple[int, int]] | tuple[list[tuple[int, int]], ...]:
    """Every symmetric or ``(lo, hi)`` padding that gives ``target``, per axis.

    Symmetric solutions are the pairs with ``lo == hi``; the rest need
    asymmetric padding (``F.pad`` in PyTorch, explicit lists in TensorFlow).
    Every inverse solver takes ``kernel_size=``, ``strides=``, ``dilation_rate=`` too.

    Examples
    --------
    >>> solve_padding(16, 2, 7, stride=2, dilation=4)   # the seed's layer: p = 1 is one answer
    [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0)]
    >>> [p for p in solve_padding(32, 3, 16, stride=2) if p[0] == p[1]]
    [(1, 1)]
    """
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate)
    if target is UNSET:
        raise invalid("target", None, "the output size wanted (an int, or one per axis)")
    as_seq, axes = _ints({"size": size, "kernel": kernel, "target": target, "stride": stride, "dilation": dilation})
    result = [padding_pairs_1d(a["size"], a["kernel"], a["target"], a["stride"], a["dilation"]) for a in axes]
    return tuple(result) if as_seq else result[0]


def input_sizes(output: IntOrTuple, kernel: IntOrTuple = UNSET, stride: IntOrTuple = UNSET, padding: Any = 0,
                dilation: IntOrTuple = UNSET, *, kernel_size: IntOrTuple = UNSET, strides: IntOrTuple = UNSET,
                dilation_rate: IntOrTuple = UNSET) -> list[int] | tuple[list[int], ...]:
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
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate)
    as_seq, axes = _ints({"output": output, "kernel": kernel, "stride": stride, "dilation": dilation}, padding)
    pads = resolve_padding(padding, [1] * len(axes), [a["kernel"] for a in axes], [a["stride"] for a in axes],
                           [a["dilation"] for a in axes], modes=("valid",), where="inverse solving")
    result = []
    for a, (lo, hi) in zip(axes, pads):
        oo, kk, ss, dd = a["output"], a["kernel"], a["stride"], a["dilation"]
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise invalid("padding", padding, "ints (inverse solving needs numbers, not symbols)")
        if ss > MAX_LISTED:
            raise ConvCalcError(f"stride {ss} leaves up to {ss} input sizes, more than MAX_LISTED = {MAX_LISTED}")
        first = (oo - 1) * ss + effective_kernel(kk, dd) - lo - hi
        result.append([n for n in range(max(first, 1), first + ss) if conv_length(n, kk, ss, lo, hi, dd) == oo])
    return tuple(result) if as_seq else result[0]


def inverse_output_padding(size: IntOrTuple, kernel: IntOrTuple = UNSET, stride: IntOrTuple = UNSET,
                           padding: Any = 0, dilation: IntOrTuple = UNSET, *, kernel_size: IntOrTuple = UNSET,
                           strides: IntOrTuple = UNSET, dilation_rate: IntOrTuple = UNSET) -> int | tuple[int, ...]:
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
    kernel, stride, dilation = framework_keywords(kernel, stride, dilation, kernel_size, strides, dilation_rate)
    as_seq, axes = _ints({"size": size, "kernel": kernel, "stride": stride, "dilation": dilation}, padding)
    n, k, s, d = ([a[key] for a in axes] for key in ("size", "kernel", "stride", "dilation"))
    pads = resolve_padding(padding, n, k, s, d)
    for lo, hi in pads:
        if not (isinstance(lo, int) and isinstance(hi, int)):
            raise invalid("padding", padding, "ints (inverse solving needs numbers, not symbols)")
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
