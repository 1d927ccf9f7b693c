"""Training branching models: convcalc against PyTorch on a ResNet-20 for 28x28 images (and its plain twin).

Two measurements, each job in its own fresh process (PyTorch's threads slow NumPy down when both
live in one process; PERFORMANCE-NOTES):

1. **Epoch time**: one epoch (SGD, momentum 0.9, batch 128) of ``resnet20`` (He et al. 2016's
   CIFAR ResNet, 3 stages of 3 basic blocks with 16/32/64 channels, projection shortcuts at the
   stride-2 blocks, global average pool, dense 10; 20 weighted layers) on ``--limit`` Fashion-MNIST
   images (all 60,000 by default), after a warm-up of a few batches; both frameworks.
2. **Accuracy parity** (``--accuracy``): ``--epochs`` epochs on mnist5k from the *same initial
   weights* (convcalc draws them, PyTorch loads them), the same batches in the same order; test
   accuracy, mean of ``--seeds`` seeds.

The PyTorch twin is built from the same convcalc graph, node by node (Conv2d, BatchNorm2d, ReLU,
``+`` at the joins, mean over H and W, Linear). Run under the CPU lock:

    flock /tmp/cpu.lock python benchmarks/bench_graph_train.py [--model resnet20|plain20] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def _stage(width: int, blocks: int, first_stride: int, residual: bool) -> str:
    def block(stride: int) -> str:
        body = f"conv({width},3,s={stride},p=1) bn relu conv({width},3,p=1) bn"
        if not residual:
            return f"{body} relu"
        short = f"; conv({width},1,s={stride}) bn" if stride != 1 else ""
        return f"res[{body}{short}] relu"
    return " ".join([block(first_stride)] + [block(1)] * (blocks - 1))


#: The residual network of issue 16's command line: 3 blocks of 16 channels at full resolution.
RES3 = "conv(16,3,p=1) bn relu 3*[res[conv(16,3,p=1) bn relu conv(16,3,p=1) bn] relu] gap dense(10)"


def spec(name: str) -> str:
    """``resnet20`` / ``plain20`` for 1-channel 28x28 images, or ``res3`` (:data:`RES3`), in the spec language."""
    if name == "res3":
        return RES3
    residual = name == "resnet20"
    return " ".join(["conv(16,3,p=1) bn relu", _stage(16, 3, 1, residual), _stage(32, 3, 2, residual),
                     _stage(64, 3, 2, residual), "gap dense(10)"])


LR, MOMENTUM, BATCH = 0.05, 0.9, 128


def load(dataset: str, limit: int | None):
    from convcalc.data import load_dataset

    data = load_dataset(dataset)
    x, y = data.x_train, data.y_train
    if limit:
        x, y = x[:limit], y[:limit]
    return np.ascontiguousarray(x), y, np.ascontiguousarray(data.x_test), data.y_test


def orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(10_000 + seed)
    return [rng.permutation(n) for _ in range(epochs)]


def convcalc_job(job: dict) -> dict:
    from convcalc.engine import tune_malloc
    from convcalc.nn import Sequential

    tune_malloc()
    x, y, xt, yt = load(job["data"], job.get("limit"))
    dtype = job.get("dtype", "float32")
    x, xt = x.astype(dtype), xt.astype(dtype)
    model = Sequential.from_spec(spec(job["model"]), x.shape[1:], seed=job["seed"], init="he_normal", dtype=dtype)
    model.compile("sgd", "sparse_categorical_crossentropy", lr=LR, momentum=MOMENTUM)
    if job["task"] == "epoch":
        model.fit(x[:BATCH * 3], y[:BATCH * 3], BATCH, 1, shuffle=False)  # warm-up
        start = time.perf_counter()
        model.fit(x, y, BATCH, 1, shuffle=True, seed=job["seed"])
        return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb()}
    np.savez(job["weights"], **model.get_weights())
    for perm in orders(len(x), job["epochs"], job["seed"]):
        model.fit(x[perm], y[perm], BATCH, 1, shuffle=False)
    logits = model.predict(xt)
    np.save(job["weights"] + ".convcalc.npy", np.exp(logits - logits.max(1, keepdims=True)) /
            np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
    return {"test_accuracy": model.evaluate(xt, yt)["accuracy"]}


def torch_net(name: str, shape: tuple[int, ...]):
    """The graph as a torch module; returns it and ``{convcalc weight name: torch tensor}``."""
    import torch

    from convcalc import layers as L
    from convcalc.graph import Add
    from convcalc.spec import load_stack

    graph, _ = load_stack(spec(name), shape, require_shape=False)
    shapes = [tuple(shape)]
    for node in graph.nodes[1:]:
        ins = [shapes[j] for j in node.inputs]
        shapes.append(node.op.merge_shape(ins) if isinstance(node.op, Add) else node.op.output_shape(ins[0]))

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            ops = []
            for node in graph.nodes[1:]:
                op, c = node.op, shapes[node.inputs[0]][0]
                if isinstance(op, L.Conv2D):
                    ops.append(torch.nn.Conv2d(c, op.filters, op.kernel_size, op.stride, op.padding, bias=op.bias))
                elif isinstance(op, L.BatchNorm2D):
                    ops.append(torch.nn.BatchNorm2d(c))
                elif isinstance(op, L.Dense):
                    ops.append(torch.nn.Linear(c, op.units))
                else:
                    ops.append(torch.nn.Identity())
            self.ops = torch.nn.ModuleList(ops)

        def forward(self, x):
            values = [x]
            for node, op in zip(graph.nodes[1:], self.ops):
                ins = [values[j] for j in node.inputs]
                if isinstance(node.op, Add):
                    out = ins[0] + ins[1]
                elif isinstance(node.op, L.ReLU):
                    out = torch.relu(ins[0])
                elif isinstance(node.op, L.GlobalAvgPool2D):
                    out = ins[0].mean(dim=(2, 3))
                else:
                    out = op(ins[0])
                values.append(out)
            return values[-1]

    net = Net()
    named = {f"{i}.{k}": getattr(op, k) for i, op in enumerate(net.ops)
             for k in ("weight", "bias", "running_mean", "running_var") if getattr(op, k, None) is not None}
    return net, named


def torch_job(job: dict) -> dict:
    import torch

    x, y, xt, yt = load(job["data"], job.get("limit"))
    net, named = torch_net(job["model"], tuple(x.shape[1:]))
    if job.get("dtype") == "float64":
        x, xt, net = x.astype(np.float64), xt.astype(np.float64), net.double()
    if job["task"] == "accuracy":
        weights = np.load(job["weights"])
        with torch.no_grad():
            for k, t in named.items():
                t.copy_(torch.from_numpy(weights[k]).to(t.dtype))
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)

    def epoch(perm: np.ndarray) -> None:
        net.train()
        idx = torch.from_numpy(perm)
        for i in range(0, len(perm), BATCH):
            b = idx[i:i + BATCH]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xs[b]), ys[b]).backward()
            opt.step()

    if job["task"] == "epoch":
        epoch(np.arange(min(BATCH * 3, len(x))))
        start = time.perf_counter()
        epoch(np.random.default_rng(job["seed"]).permutation(len(x)))
        return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb()}
    for perm in orders(len(x), job["epochs"], job["seed"]):
        epoch(perm)
    net.eval()
    with torch.no_grad():
        probs = torch.cat([torch.softmax(net(torch.from_numpy(xt[i:i + 500])), 1) for i in range(0, len(xt), 500)])
    np.save(job["weights"] + ".torch.npy", probs.numpy())
    return {"test_accuracy": float((probs.argmax(1).numpy() == yt).mean())}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spawn(job: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--job", json.dumps(job)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"job {job} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job")
    parser.add_argument("--model", default="resnet20", choices=("resnet20", "plain20", "res3"))
    parser.add_argument("--limit", type=int, default=None, help="images in the timed epoch (default: all)")
    parser.add_argument("--accuracy", action="store_true", help="also the accuracy parity on mnist5k")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-from", type=int, default=0, help="first seed of the accuracy runs")
    parser.add_argument("--skip-epoch", action="store_true", help="only the accuracy parity")
    parser.add_argument("--float64", action="store_true",
                        help="train the accuracy runs in float64: both frameworks should then give the same test "
                             "probabilities (printed: their largest difference), so a float32 gap is rounding")
    args = parser.parse_args()
    if args.job:
        job = json.loads(args.job)
        print(json.dumps((convcalc_job if job["framework"] == "convcalc" else torch_job)(job)))
        return
    if not args.skip_epoch:
        base = {"model": args.model, "seed": 0, "task": "epoch", "data": "fashion-mnist", "limit": args.limit}
        ours = spawn({**base, "framework": "convcalc"})
        theirs = spawn({**base, "framework": "torch"})
        print(f"{args.model} epoch on {args.limit or 'all'} Fashion-MNIST images, batch {BATCH}: "
              f"convcalc {ours['seconds']:.2f} s ({ours['rss_mb']:.0f} MB), PyTorch {theirs['seconds']:.2f} s "
              f"({theirs['rss_mb']:.0f} MB), ratio {ours['seconds'] / theirs['seconds']:.2f}x")
    if args.accuracy:
        accs: dict[str, list[float]] = {"convcalc": [], "torch": []}
        for seed in range(args.seed_from, args.seed_from + args.seeds):
            with tempfile.TemporaryDirectory() as tmp:
                job = {"model": args.model, "seed": seed, "task": "accuracy", "data": "mnist5k",
                       "epochs": args.epochs, "weights": f"{tmp}/w.npz",
                       "dtype": "float64" if args.float64 else "float32"}
                accs["convcalc"].append(spawn({**job, "framework": "convcalc"})["test_accuracy"])
                accs["torch"].append(spawn({**job, "framework": "torch"})["test_accuracy"])
                gap = np.abs(np.load(f"{tmp}/w.npz.convcalc.npy") - np.load(f"{tmp}/w.npz.torch.npy")).max()
                print(f"seed {seed}: convcalc {accs['convcalc'][-1]:.4f}, PyTorch {accs['torch'][-1]:.4f}, "
                      f"largest difference of a test probability {gap:.1e}", flush=True)
        print(f"{args.model} test accuracy on mnist5k after {args.epochs} epochs, mean of {args.seeds} seeds: "
              f"convcalc {statistics.mean(accs['convcalc']):.4f} {accs['convcalc']}, "
              f"PyTorch {statistics.mean(accs['torch']):.4f} {accs['torch']}")


if __name__ == "__main__":
    main()
