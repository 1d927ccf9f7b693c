"""The fused ``Conv2d -> ReLU -> MaxPool2d`` block against the same layers called in turn, and PyTorch.

The four blocks of the seed models, float32, forward and forward+backward
(``dw``, ``db``, and ``dx`` except for a network's first layer, which nothing
upstream needs):

  hw5       32x1x28x28,  32@3x3, pool 2   (HW5's block; first layer)
  2conv-2   32x32x13x13, 64@3x3, pool 2   (hw5-2conv's second block)
  lenet-1   64x1x32x32,   6@5x5, pool 2   (LeNet-5's first block; first layer)
  lenet-2   64x6x14x14,  16@5x5, pool 2   (LeNet-5's second block)

Sides: ``fused`` (``engine.conv2d_maxpool2d_*``, what ``convcalc.nn`` runs),
``separate`` (``conv2d_*``, ReLU, ``max_pool2d_*``), each with one BLAS thread
and ``tune_malloc()`` as ``fit`` runs them; ``torch`` (autograd through
``conv2d``, ``relu``, ``max_pool2d``; its default two threads), when installed.
Every side runs in its own fresh process, in alternating rounds; a figure is
the best over rounds of each round's median.

    flock /tmp/cpu.lock python benchmarks/bench_conv_pool.py [--rounds 3] [--budget 1.0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench_engine import _time  # the same timing rule: median over a budget, after a warm-up

BLOCKS = {  # name: (x shape, w shape, input gradient needed)
    "hw5": ((32, 1, 28, 28), (32, 1, 3, 3), False),
    "2conv-2": ((32, 32, 13, 13), (64, 32, 3, 3), True),
    "lenet-1": ((64, 1, 32, 32), (6, 1, 5, 5), False),
    "lenet-2": ((64, 6, 14, 14), (16, 6, 5, 5), True),
}
SIDES = ("separate", "fused", "torch")


def _data(name: str):
    import numpy as np

    xs, ws, _ = BLOCKS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = (rng.standard_normal(ws) * 0.3).astype(np.float32)
    return x, w, rng.standard_normal(ws[0]).astype(np.float32)


def worker_numpy(side: str, budget: float) -> dict:
    import numpy as np

    from convcalc import engine
    from convcalc.nn.perf import blas_threads

    engine.tune_malloc()
    out: dict = {}
    with blas_threads(1):
        for name, (_, _, dx) in BLOCKS.items():
            x, w, b = _data(name)
            if side == "fused":
                def forward():
                    return engine.conv2d_maxpool2d_forward(x, w, b, pool=2, relu=True)

                def both():
                    y, cache = forward()
                    engine.conv2d_maxpool2d_backward(np.ones_like(y), cache, input_grad=dx)
            else:
                def forward():
                    z, conv_cache = engine.conv2d_forward(x, w, b)
                    p, pool_cache = engine.max_pool2d_forward(np.maximum(z, 0, out=z), 2)
                    return p, (conv_cache, pool_cache, z)

                def both():
                    y, (conv_cache, pool_cache, z) = forward()
                    dz = engine.max_pool2d_backward(np.ones_like(y), pool_cache)
                    dz *= z > 0
                    engine.conv2d_backward(dz, conv_cache, input_grad=dx)
            out[name] = {"forward": _time(forward, 20, budget), "forward+backward": _time(both, 20, budget)}
    return out


def worker_torch(budget: float) -> dict:
    import torch

    out: dict = {}
    for name, (_, _, dx) in BLOCKS.items():
        x, w, b = (torch.from_numpy(a) for a in _data(name))
        x.requires_grad_(dx)
        w.requires_grad_(True)
        b.requires_grad_(True)

        def forward():
            with torch.no_grad():
                return torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(x, w, b)), 2)

        def both():
            y = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(x, w, b)), 2)
            y.backward(torch.ones_like(y))

        out[name] = {"forward": _time(forward, 20, budget), "forward+backward": _time(both, 20, budget)}
    return out


def run(side: str, budget: float) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, "--worker", side, "--budget", str(budget)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        if side == "torch" and "No module named 'torch'" in proc.stderr:
            return None
        raise SystemExit(f"{side} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per timed cell")
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        res = worker_torch(args.budget) if args.worker == "torch" else worker_numpy(args.worker, args.budget)
        print(json.dumps(res))
        return
    rounds: dict[str, list[dict]] = {side: [] for side in SIDES}
    for _ in range(args.rounds):
        for side in SIDES:
            res = run(side, args.budget)
            if res is not None:
                rounds[side].append(res)
    sides = [s for s in SIDES if rounds[s]]
    print("float32 ms, best of rounds of medians; convcalc on one BLAS thread, PyTorch on its default threads")
    print(f"{'block':<9} {'direction':<17} " + " ".join(f"{s:>9}" for s in sides) + "  fused/separate"
          + ("  fused/torch" if "torch" in sides else ""))
    for name in BLOCKS:
        for direction in ("forward", "forward+backward"):
            best = {s: min(r[name][direction] for r in rounds[s]) for s in sides}
            line = f"{name:<9} {direction:<17} " + " ".join(f"{best[s]:>9.3f}" for s in sides)
            line += f"  {best['fused'] / best['separate']:>14.2f}"
            if "torch" in best:
                line += f"  {best['fused'] / best['torch']:>11.2f}"
            print(line)


if __name__ == "__main__":
    main()
