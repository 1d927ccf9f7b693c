"""Time the graph analysis. Goals (issue 11): summarize(resnet50) under 20 ms; a 1,000-node random DAG
under 100 ms; parsing a spec of thousands of layers in linear time.

- ``resnet50``: the preset graph (176 nodes), summarized at 3x224x224;
- a random DAG of 1,000 nodes on 16x32x32: 3x3 'same' convolutions, batch norms and ReLUs
  (shape preserving, so any earlier node can be joined), an Add or Concat+1x1 conv every few
  nodes taking two or three earlier nodes; every merge is aligned, so the whole walk runs;
- parsing ``N`` residual blocks written in the spec language, for N = 500, 1000, 2000, 4000:
  time per node should stay flat (linear time).

The figure is the median over repeated calls in one process, after a warm-up call.

Usage: python benchmarks/bench_graph.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from convcalc.graph import Add, Concat, Graph, Node
from convcalc.layers import BatchNorm2D, Conv2D, ReLU
from convcalc.presets import preset
from convcalc.spec import parse_spec
from convcalc.stack import summarize

GOALS_MS = {"summarize(resnet50)": 20.0, "summarize(1,000-node random DAG)": 100.0}


def random_dag(nodes: int, seed: int = 0) -> Graph:
    """``nodes`` nodes on (16, 32, 32); merges take 2-3 earlier same-shape nodes (all aligned: centred kernels)."""
    rng = random.Random(seed)
    out = [Node(0, "input", None, ())]
    usable = [0]  # nodes with 16 channels (a Concat's 32 feed only its 1x1 conv)
    while len(out) <= nodes:
        index = len(out)
        if index > 4 and rng.random() < 0.2:
            inputs = tuple(sorted(rng.sample(usable, min(len(usable), rng.randint(2, 3)))))
            out.append(Node(index, str(index), Add(), inputs))
        elif index > 4 and rng.random() < 0.05:
            inputs = tuple(sorted(rng.sample(usable, 2)))
            out.append(Node(index, str(index), Concat(), inputs))
            out.append(Node(index + 1, str(index + 1), Conv2D(16, 1), (index,)))
            index += 1
        else:
            layer = rng.choice([Conv2D(16, 3, padding=1), BatchNorm2D(), ReLU()])
            out.append(Node(index, str(index), layer, (rng.choice(usable[-8:]),)))
        usable.append(index)
    return Graph(tuple(out[:nodes + 1]), (16, 32, 32))


def median_ms(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    resnet, shape = preset("resnet50")
    dag = random_dag(1000)
    rows = [("summarize(resnet50)", len(resnet.nodes) - 1, median_ms(lambda: summarize(resnet, shape), args.repeat)),
            ("summarize(1,000-node random DAG)", len(dag.nodes) - 1, median_ms(lambda: summarize(dag), args.repeat)),
            ("preset('resnet50') (functional API)", len(resnet.nodes) - 1,
             median_ms(lambda: preset("resnet50"), args.repeat))]
    print(f"{'what':<40} {'nodes':>6} {'median ms':>10} {'goal ms':>8}")
    for what, count, ms in rows:
        goal = GOALS_MS.get(what)
        print(f"{what:<40} {count:>6} {ms:>10.2f} {goal if goal else '':>8}")
    print()
    print(f"{'parse N residual blocks':<40} {'nodes':>6} {'median ms':>10} {'us/node':>8}")
    for blocks in (500, 1000, 2000, 4000):
        text = "input(8x16x16) " + "res[conv(8,3,p=1) bn relu conv(8,3,p=1) bn] relu " * blocks
        count = len(parse_spec(text).nodes) - 1
        ms = median_ms(lambda: parse_spec(text), max(3, args.repeat // 5))
        print(f"{blocks:<40} {count:>6} {ms:>10.2f} {1000 * ms / count:>8.2f}")


if __name__ == "__main__":
    main()
