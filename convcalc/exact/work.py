"""The cost of an exact computation, estimated before it starts, and the limit it must stay under.

Exact arithmetic is pure Python: about 4-6 million integer multiply-adds per
second on the reference machine (``benchmarks/bench_exact.py``), fewer with
Fractions or sympy values. Every exact operation counts its multiply-adds
first (output cells x kernel cells, times channels and output maps; input cells
x kernel cells for a transposed convolution) and refuses past ``max_work``
with the estimate and the option that raises the limit.
"""

from __future__ import annotations

from convcalc.errors import ConvCalcError, invalid

__all__ = ["MAX_WORK", "check_work"]

#: Default limit on the multiply-adds of one exact operation (about 3-5 s of pure Python on ints).
MAX_WORK = 20_000_000
#: Beyond this (days of pure Python) the refusal does not offer --max-work.
HOPELESS = 10**13


def check_work(products: int, max_work: int | None, what: str, unit: str = "multiply-adds") -> None:
    """Refuse ``products`` multiply-adds above ``max_work`` (``None``: :data:`MAX_WORK`; ``0``: no limit).

    Examples
    --------
    >>> check_work(1_000, None, "exact correlation")
    >>> check_work(50_000_000, None, "exact correlation of a 1000x1000 input with a 7x7 kernel")
    Traceback (most recent call last):
    ...
    convcalc.errors.ConvCalcError: exact correlation of a 1000x1000 input with a 7x7 kernel needs about 50,000,000 multiply-adds, over the limit of 20,000,000 (about 1 s per 5 million on ints in pure Python); raise it with --max-work 50000000 (library: max_work=50_000_000), or 0 for no limit
    """
    limit = MAX_WORK if max_work is None else max_work
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise invalid("max_work", max_work, "an int >= 0 (0: no limit)")
    if limit and products > limit and products > HOPELESS:
        raise ConvCalcError(f"{what} needs about {products:.2e} multiply-adds, far more than can ever finish (the "
                            f"limit is {limit:,}); check the sizes, padding and stride")
    if limit and products > limit:
        raise ConvCalcError(
            f"{what} needs about {products:,} {unit}, over the limit of {limit:,} (about 1 s per "
            f"5 million on ints in pure Python); raise it with --max-work {products} (library: max_work={products:_}), "
            "or 0 for no limit"
        )
