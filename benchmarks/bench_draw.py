"""Time convcalc draw: one SVG figure, a 16x16 animation (SVG and GIF), a PNG, the explorer's answer.

    python benchmarks/bench_draw.py

Goals (docs/performance.md): one SVG figure under 50 ms; a 16x16-input animation
(14x14 = 196 frames with a 3x3 kernel) under 1 s. Each figure is the median of
several runs, from the arguments to the finished text or file (geometry, layout
and writing), in this process after one warm-up.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from convcalc.draw import draw
from convcalc.draw.server import answer


def median_ms(work: Callable[[], object], repeat: int = 7) -> float:
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    cases = [
        ("one SVG figure: 5x5, k3, s2, p1, one cell", 50,
         lambda: draw((5, 5), 3, 2, 1, cell=(1, 1)).svg()),
        ("one SVG figure: HW5 1-D, d4, one cell", 50,
         lambda: draw(16, 2, 2, 1, 4, cell=(3,)).svg()),
        ("one SVG figure: 32x32, k5, p2, one cell", 50,
         lambda: draw((32, 32), 5, 1, 2, cell=(10, 10)).svg()),
        ("one SVG figure: transposed 3x3 s2 p1 op1", 50,
         lambda: draw((3, 3), 3, 2, 1, op="transposed", output_padding=1, cell=(1, 1)).svg()),
        ("animated SVG: 16x16 input, k3 (196 frames)", 1000,
         lambda: draw((16, 16), 3).svg()),
        ("animated GIF: 16x16 input, k3 (196 frames)", 1000,
         lambda: draw((16, 16), 3).save(tmp / "a.gif")),
        ("PNG: 5x5, k3, s2, p1 (2x scale)", 1000,
         lambda: draw((5, 5), 3, 2, 1, cell=(1, 1)).save(tmp / "a.png")),
        ("explorer answer (JSON with SVG)", 50,
         lambda: answer({"in": "16x16", "k": "3", "s": "1", "p": "1", "d": "1", "cell": "3,4"})),
    ]
    print(f"{'case':48} {'median ms':>10} {'goal ms':>8}")
    for name, goal, work in cases:
        repeat = 3 if goal >= 1000 else 9
        ms = median_ms(work, repeat)
        print(f"{name:48} {ms:10.1f} {goal:8d}{'' if ms < goal else '  OVER'}")


if __name__ == "__main__":
    main()
