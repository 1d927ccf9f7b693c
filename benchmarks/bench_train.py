"""Training speed and accuracy of convcalc against PyTorch on the seed models.

Two measurements, each job in its own fresh process (PyTorch's OpenMP threads
slow NumPy down when both live in one process; see PERFORMANCE-NOTES):

1. **Epoch time** on 60,000 28x28 images (Fashion-MNIST from
   /usr/share/datasets/fashion-mnist, or --data): the HW5 CNN and its 2-conv
   variant with SGD at batch 32, LeNet-5 (images padded to 32x32) with Adam at
   batch 64. Wall time of one full epoch after a warm-up of a few batches, and
   the peak resident memory of the process.
2. **Accuracy parity** on the embedded mnist5k (4,000 train / 1,000 test): the
   same models trained in both frameworks from the *same initial weights*
   (convcalc draws them, PyTorch loads them), on the same batches in the same
   order, with the same optimiser and batch size; final test accuracy, mean of
   three seeds.

PyTorch runs only when it is installed. Run under the CPU lock:

    flock /tmp/cpu.lock python benchmarks/bench_train.py [--skip-epoch] [--skip-accuracy] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: model, optimiser, learning rate, batch size, epochs for the accuracy runs
MODELS = {
    "hw5": ("sgd", 0.01, 32, 10),
    "hw5-2conv": ("sgd", 0.01, 32, 10),
    "lenet5": ("adam", 5e-4, 64, 10),
}
EPOCH_DATA = "fashion-mnist"


# --------------------------------------------------------------------------- data shared by both workers
def load(dataset: str, model: str, data_dir: str | None = None, limit: int | None = None):
    from convcalc.data import load_dataset, pad_to

    data = load_dataset(dataset, data_dir=data_dir)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    if model == "lenet5":
        x_train, x_test = pad_to(x_train, 32), pad_to(x_test, 32)
    return np.ascontiguousarray(x_train), y_train, np.ascontiguousarray(x_test), y_test


def orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """The sample order of every epoch, the same for both frameworks."""
    rng = np.random.default_rng(10_000 + seed)
    return [rng.permutation(n) for _ in range(epochs)]


# --------------------------------------------------------------------------- convcalc worker
def convcalc_job(job: dict) -> dict:
    from convcalc.nn import Sequential
    from convcalc.engine import tune_malloc

    tune_malloc()
    optimizer, lr, batch, epochs = MODELS[job["model"]]
    x, y, xt, yt = load(job["data"], job["model"], job.get("data_dir"), job.get("limit"))
    model = Sequential.from_spec(job["model"], x.shape[1:], seed=job["seed"])
    model.compile(optimizer, "sparse_categorical_crossentropy", lr=lr)
    if job["task"] == "epoch":
        model.fit(x[:batch * 20], y[:batch * 20], batch, 1, shuffle=False)  # warm-up
        start = time.perf_counter()
        model.fit(x, y, batch, 1, shuffle=True, seed=job["seed"])
        return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb()}
    np.savez(job["weights"], **model.get_weights())
    for perm in orders(len(x), epochs, job["seed"]):
        model.fit(x[perm], y[perm], batch, 1, shuffle=False)
    return {"test_accuracy": model.evaluate(xt, yt)["accuracy"], "rss_mb": _peak_rss_mb()}


# --------------------------------------------------------------------------- PyTorch worker
def torch_model(model: str, shape: tuple[int, ...]):
    """The preset as a torch.nn.Sequential (Softmax dropped: cross_entropy takes the logits)."""
    import torch

    from convcalc import layers as L
    from convcalc.presets import preset

    specs, _ = preset(model)
    mods, names = [], []
    for i, spec in enumerate(specs):
        kind = type(spec)
        if kind is L.Conv2D:
            mods.append(torch.nn.Conv2d(shape[0], spec.filters, spec.kernel_size))
            names.append(i)
        elif kind is L.MaxPool2D:
            mods.append(torch.nn.MaxPool2d(spec.pool_size))
        elif kind is L.Dense:
            mods.append(torch.nn.Linear(shape[0], spec.units))
            names.append(i)
        elif kind is L.Flatten:
            mods.append(torch.nn.Flatten())
        elif kind is L.ReLU:
            mods.append(torch.nn.ReLU())
        elif kind is not L.Softmax:
            raise SystemExit(f"no torch twin for {spec}")
        shape = spec.output_shape(shape)
    return torch.nn.Sequential(*mods), names


def torch_job(job: dict) -> dict:
    import torch

    optimizer, lr, batch, epochs = MODELS[job["model"]]
    x, y, xt, yt = load(job["data"], job["model"], job.get("data_dir"), job.get("limit"))
    net, layer_ids = torch_model(job["model"], tuple(x.shape[1:]))
    if job["task"] == "accuracy":
        weights = np.load(job["weights"])
        params = [m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        with torch.no_grad():
            for module, i in zip(params, layer_ids):
                module.weight.copy_(torch.from_numpy(weights[f"{i}.weight"]))
                module.bias.copy_(torch.from_numpy(weights[f"{i}.bias"]))
    make = {"sgd": lambda p: torch.optim.SGD(p, lr=lr), "adam": lambda p: torch.optim.Adam(p, lr=lr)}[optimizer]
    opt = make(net.parameters())
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)

    def epoch(perm: np.ndarray) -> None:
        net.train()
        idx = torch.from_numpy(perm)
        for i in range(0, len(perm), batch):
            b = idx[i:i + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xs[b]), ys[b]).backward()
            opt.step()

    if job["task"] == "epoch":
        epoch(np.arange(batch * 20))
        start = time.perf_counter()
        epoch(np.random.default_rng(job["seed"]).permutation(len(x)))
        return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb()}
    for perm in orders(len(x), epochs, job["seed"]):
        epoch(perm)
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(torch.from_numpy(xt[i:i + 1000])).argmax(1) for i in range(0, len(xt), 1000)])
    return {"test_accuracy": float((pred.numpy() == yt).mean()), "rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- driver
def spawn(job: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--job", json.dumps(job)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"job {job} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def have_torch() -> bool:
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--skip-epoch", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--data", default=EPOCH_DATA, help="dataset for the epoch timing (60,000 images)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--repeats", type=int, default=1, help="epoch timings per model and framework (median)")
    args = parser.parse_args()
    if args.job:
        job = json.loads(args.job)
        print(json.dumps(convcalc_job(job) if job["framework"] == "convcalc" else torch_job(job)))
        return
    frameworks = ["convcalc"] + (["torch"] if have_torch() else [])
    models = args.models.split(",")
    if not args.skip_epoch:
        print(f"Epoch time on 60,000 images of {args.data} (one epoch after a warm-up; peak RSS)")
        print(f"{'model':<10} {'optimiser':<12} " + " ".join(f"{f + ' s':>12} {'MB':>6}" for f in frameworks)
              + ("   ratio" if len(frameworks) == 2 else ""))
        for model in models:
            row = {}
            for framework in frameworks:
                runs = [spawn({"framework": framework, "task": "epoch", "model": model, "data": args.data,
                               "data_dir": args.data_dir, "seed": r}) for r in range(args.repeats)]
                row[framework] = (statistics.median(r["seconds"] for r in runs), max(r["rss_mb"] for r in runs))
            opt, lr, batch, _ = MODELS[model]
            cells = " ".join(f"{row[f][0]:>12.2f} {row[f][1]:>6.0f}" for f in frameworks)
            ratio = f"   {row['convcalc'][0] / row['torch'][0]:.2f}x" if "torch" in row else ""
            print(f"{model:<10} {opt + ' b' + str(batch):<12} {cells}{ratio}", flush=True)
    if not args.skip_accuracy:
        print(f"\nTest accuracy on mnist5k, same initial weights and batches, mean of {args.seeds} seeds")
        print(f"{'model':<10} {'setup':<22} " + " ".join(f"{f:>10}" for f in frameworks)
              + ("   diff (points)" if len(frameworks) == 2 else ""))
        with tempfile.TemporaryDirectory() as tmp:
            for model in models:
                accs: dict[str, list[float]] = {f: [] for f in frameworks}
                for seed in range(args.seeds):
                    weights = os.path.join(tmp, f"{model}-{seed}.npz")
                    for framework in frameworks:  # convcalc first: it writes the initial weights
                        job = {"framework": framework, "task": "accuracy", "model": model, "data": "mnist5k",
                               "seed": seed, "weights": weights}
                        accs[framework].append(spawn(job)["test_accuracy"])
                opt, lr, batch, epochs = MODELS[model]
                means = {f: statistics.mean(a) for f, a in accs.items()}
                cells = " ".join(f"{means[f]:>10.4f}" for f in frameworks)
                diff = f"   {100 * (means['convcalc'] - means['torch']):+.2f}" if "torch" in means else ""
                print(f"{model:<10} {f'{opt} lr={lr:g} b{batch} {epochs} ep':<22} {cells}{diff}", flush=True)
                print(f"{'':<10} {'per seed':<22} " + " ".join(
                    f"{'/'.join(f'{a:.3f}' for a in accs[f]):>10}" for f in frameworks))


if __name__ == "__main__":
    main()
