"""Time `convcalc.summarize` on long stacks. Goal (issue 3): a 1,000-layer stack in under 50 ms.

Stacks are built from a repeating block of same-padded convolutions with
per-axis kernels, dilation, ReLU, batch norm and an occasional stride, so the
shape never collapses and every layer goes through the size formulas, the
parameter and MAC counts and the receptive-field recurrences. The figure is
the median over repeated calls in one process (after a warm-up call), for the
default and a per-element convention, and for parsing the same stack from the
spec language.

Usage: python benchmarks/bench_stack.py [--layers 1000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

from convcalc.layers import BatchNorm2D, Conv2D, Layer, MaxPool2D, ReLU
from convcalc.spec import parse_spec
from convcalc.stack import summarize

GOAL_MS = 50.0


def long_stack(n: int) -> list[Layer]:
    """``n`` layers: conv (3x5, same), BN, ReLU, a dilated conv, and a stride-2 pool every 200 layers."""
    block: list[Layer] = [Conv2D(16, (3, 5), padding="same"), BatchNorm2D(), ReLU(),
                          Conv2D(16, 3, padding=2, dilation=2), ReLU()]
    layers: list[Layer] = []
    while len(layers) < n:
        layers += block
        if len(layers) % 200 == 0:
            layers.append(MaxPool2D(2, ceil_mode=True))
    return layers[:n]


def as_spec(layers: list[Layer]) -> str:
    words = {"BatchNorm2D()": "bn", "ReLU": "relu", "MaxPool2D(2, ceil)": "pool(2, ceil=true)",
             "Conv2D(16, 3x5, s=1, p=same)": "conv(16, (3, 5), p=same)",
             "Conv2D(16, 3, s=1, p=2, d=2)": "conv(16, 3, p=2, d=2)"}
    return " ".join(words[str(layer)] for layer in layers)


def median_ms(call, repeat: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    layers = long_stack(args.layers)
    text = as_spec(layers)
    shape = (3, 224, 224)
    rows = [
        ("summarize (torchvision)", lambda: summarize(layers, shape)),
        ("summarize (ptflops)", lambda: summarize(layers, shape, convention="ptflops", batch=8)),
        ("summarize (rf_from=500)", lambda: summarize(layers, shape, rf_from=500)),
        ("parse_spec", lambda: parse_spec(text)),
        ("parse_spec + summarize", lambda: summarize(parse_spec(text), shape)),
    ]
    print(f"{args.layers} layers on {shape}, median of {args.repeat} calls")
    print(f"{'operation':<28}{'ms':>9}{'us/layer':>10}")
    for name, call in rows:
        ms = median_ms(call, args.repeat)
        print(f"{name:<28}{ms:>9.2f}{ms * 1000 / args.layers:>10.1f}")
    best = median_ms(rows[0][1], args.repeat)
    verdict = "meets" if best < GOAL_MS else "MISSES"
    print(f"\nsummarize: {best:.1f} ms for {args.layers} layers ({verdict} the {GOAL_MS:.0f} ms goal)")


if __name__ == "__main__":
    main()
