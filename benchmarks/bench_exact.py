"""Exact correlation speed: a 64x64 integer matrix with a 5x5 kernel, pure Python.

Compares convcalc.correlate (one ``map`` per kernel weight and output row)
with a per-cell window loop written the obvious way, and with SciPy's
``correlate2d`` on the same integers (int64, C code) for scale. Also times
Fractions, 'same'/'full' modes, stride/dilation, and checking a class's worth
of answer files. Goal (issue 4): the 64x64/5x5 integer case under 50 ms.

Every figure is the median of ``--runs`` repetitions in this process (no
PyTorch is imported, so nothing competes for the cores).

Usage: python benchmarks/bench_exact.py [--runs 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from convcalc import correlate

GOAL_MS = 50.0


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def per_cell_loop(x: list[list[int]], f: list[list[int]]) -> list[list[int]]:
    """The textbook loop: one Python multiply-add per product (valid mode, stride 1)."""
    kh, kw = len(f), len(f[0])
    out = []
    for i in range(len(x) - kh + 1):
        row = []
        for j in range(len(x[0]) - kw + 1):
            total = 0
            for u in range(kh):
                for v in range(kw):
                    total += x[i + u][j + v] * f[u][v]
            row.append(total)
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(0)
    x = [[rng.randint(-128, 127) for _ in range(64)] for _ in range(64)]
    f = [[rng.randint(-8, 8) for _ in range(5)] for _ in range(5)]
    xq = [[Fraction(v, 7) for v in row] for row in x]
    assert correlate(x, f) == per_cell_loop(x, f)

    rows: list[tuple[str, float]] = [
        ("convcalc.correlate 64x64 * 5x5 valid (int)", median_ms(lambda: correlate(x, f), args.runs)),
        ("per-cell Python loop, same task", median_ms(lambda: per_cell_loop(x, f), max(5, args.runs // 3))),
        ("convcalc.correlate, mode='same' (int)", median_ms(lambda: correlate(x, f, "same"), args.runs)),
        ("convcalc.correlate, mode='full' (int)", median_ms(lambda: correlate(x, f, "full"), args.runs)),
        ("convcalc.correlate, stride 2, dilation 2", median_ms(lambda: correlate(x, f, stride=2, dilation=2),
                                                                args.runs)),
        ("convcalc.correlate, Fraction input", median_ms(lambda: correlate(xq, f), max(5, args.runs // 3))),
    ]
    try:
        import numpy as np
        from scipy.signal import correlate2d

        xa, fa = np.array(x, dtype=np.int64), np.array(f, dtype=np.int64)
        assert correlate2d(xa, fa, "valid").tolist() == correlate(x, f)
        rows.append(("scipy.signal.correlate2d, int64 (C)", median_ms(lambda: correlate2d(xa, fa, "valid"),
                                                                        args.runs)))
    except ImportError:  # pragma: no cover
        pass

    from convcalc.check import check_file

    answers = Path(__file__).resolve().parent.parent / "examples" / "hw5_answers.toml"
    rows.append(("check examples/hw5_answers.toml (20 questions)", median_ms(lambda: check_file(answers),
                                                                              max(5, args.runs // 3))))

    base = rows[0][1]
    print(f"{'task':<50}{'median ms':>10}{'x ours':>8}")
    for name, ms in rows:
        print(f"{name:<50}{ms:>10.2f}{ms / base:>8.2f}")
    print(f"\n64x64 * 5x5 exact integer correlation: {base:.1f} ms (goal < {GOAL_MS:.0f} ms)")


if __name__ == "__main__":
    main()
