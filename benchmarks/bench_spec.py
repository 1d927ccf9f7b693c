"""Spec parsing time against spec length: linear, not quadratic (issue 15).

Run ``python benchmarks/bench_spec.py``: for specs of 1,000 to 64,000 layers (``conv(8,3,p=1) relu
bn`` repeated) it prints the parse time, the time per layer, and the ratio to the previous row's
time; a linear parser keeps the per-layer time flat (ratios near 4 for 4x the layers). Also the
time to refuse a spec nested 20,000 deep and one past ``MAX_SPEC_CHARS``.
"""

from __future__ import annotations

import time

from convcalc import ConvCalcError
from convcalc.spec import parse_spec
from convcalc.spec.tokens import MAX_SPEC_CHARS


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"{'layers':>8} {'chars':>10} {'parse ms':>10} {'us/layer':>9} {'ratio':>6}")
    previous = None
    for blocks in (333, 1_333, 5_333, 21_333):
        text = " ".join(["conv(8,3,p=1) relu bn"] * blocks)
        seconds = _best(lambda: parse_spec(text))
        ratio = f"{seconds / previous:6.2f}" if previous else "      "
        print(f"{3 * blocks:>8,} {len(text):>10,} {seconds * 1e3:>10.1f} {seconds / (3 * blocks) * 1e6:>9.2f} {ratio}")
        previous = seconds

    def refuse(text: str) -> None:
        try:
            parse_spec(text)
        except ConvCalcError:
            return
        raise AssertionError("not refused")

    deep = "conv(" * 20_000 + "8,3" + ")" * 20_000
    print(f"nested 20,000 deep refused in {_best(lambda: refuse(deep)) * 1e3:.1f} ms")
    long = "relu " * (MAX_SPEC_CHARS // 5 + 1)
    print(f"{len(long):,} characters refused in {_best(lambda: refuse(long)) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
