"""Independent oracles the tests share: where convolution windows sit, counted by brute force.

Each function here walks the definition (window starts every ``s`` cells of the
padded input, taps ``d`` apart) instead of calling a formula, and none of them
imports convcalc: they are what convcalc's formulas (:mod:`convcalc.arithmetic`,
:mod:`convcalc.exact`, the engine, the pictures) are checked against. Keep them
that way: a test that computed its expected value with convcalc's own rule would
check nothing.

Conventions are PyTorch's: ``dilation=1`` means no dilation, ``lo``/``hi`` are
the zero padding before and after the input along one axis, and a window of
``k`` taps ``d`` apart spans ``d*(k - 1) + 1`` cells.
"""

from __future__ import annotations


def dilated_span(k: int, d: int = 1) -> int:
    """The cells a kernel of ``k`` taps, ``d`` apart, covers: ``d*(k - 1) + 1``.

    >>> dilated_span(3), dilated_span(3, 2), dilated_span(1, 5)
    (3, 5, 1)
    """
    return d * (k - 1) + 1


def kernel_fits(n: int, k: int, d: int = 1, lo: int = 0, hi: int | None = None) -> bool:
    """The "kernel fits" rule: the dilated kernel fits in the padded input, ``d*(k - 1) + 1 <= n + lo + hi``.

    ``hi`` defaults to ``lo`` (symmetric padding ``p``: ``n + 2p >= d*(k - 1) + 1``).

    >>> kernel_fits(4, 3), kernel_fits(4, 3, d=2), kernel_fits(4, 3, d=2, lo=1)
    (True, False, True)
    """
    return dilated_span(k, d) <= n + lo + (lo if hi is None else hi)


def window_starts(n: int, k: int, s: int, lo: int, hi: int, d: int) -> list[int]:
    """Where each window that fits entirely inside the padded input starts (padded coordinates, 0 = first pad).

    >>> window_starts(5, 3, 2, 1, 1, 1)
    [0, 2, 4]
    """
    span, padded, starts, start = dilated_span(k, d), n + lo + hi, [], 0
    while start + span <= padded:
        starts.append(start)
        start += s
    return starts


def windows_floor(n: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    """Count window positions that fit entirely inside the padded input (floor mode)."""
    return len(window_starts(n, k, s, lo, hi, d))


def windows_ceil(n: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    """PyTorch's ceil mode, as a rule on each window: it may overhang the padded input
    by less than one stride, and it must start inside the input or the left padding."""
    span, padded, count, start = dilated_span(k, d), n + lo + hi, 0, 0
    while start + span - padded < s and start < n + lo:
        count, start = count + 1, start + s
    return count


def window_taps(o: int, k: int, s: int, lo: int, d: int) -> list[list[int]]:
    """The input cells window ``i`` reads, for each of ``o`` windows (input coordinates: a pad cell is < 0).

    >>> window_taps(3, 3, 2, 1, 1)
    [[-1, 0, 1], [1, 2, 3], [3, 4, 5]]
    """
    return [[i * s + u * d - lo for u in range(k)] for i in range(o)]


def transposed_by_scatter(n: int, k: int, s: int, lo: int, hi: int, d: int, a: int) -> int:
    """Transposed-convolution output length: scatter every input position through every kernel tap,
    crop the padding, add ``output_padding`` ``a``."""
    touched = {i * s + t * d for i in range(n) for t in range(k)}
    return max(touched) + 1 - lo - hi + a
