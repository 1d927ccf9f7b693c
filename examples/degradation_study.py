"""Plain vs residual networks on Fashion-MNIST: He et al. 2016's degradation finding, at small scale.

He et al. ("Deep Residual Learning for Image Recognition", CVPR 2016, section 4.2,
Figure 6) train CIFAR-10 networks of 6n+2 layers with and without shortcuts: the
deeper *plain* nets have a higher **training** error than the shallower ones (the
degradation problem, not overfitting), while the deeper *residual* nets train at
least as well as the shallower ones. This script trains the presets ``plain8``,
``plain20``, ``resnet8`` and ``resnet20`` (:func:`convcalc.networks.cifar_resnet`,
option B shortcuts) on a stratified subset of Fashion-MNIST's 60,000 training
images with SGD (momentum 0.9, batch 128, He initialisation), evaluates each on
the full 10,000-image test set, and writes:

1. ``--json`` (default ``docs/img/degradation_study.json``): every run's per-epoch
   training loss and error (the running mean over the epoch's batches, in training
   mode, as He et al.'s thin curves), the test loss and error, and the final training
   error in evaluation mode; written after every run, so a stopped study keeps
   what it finished;
2. from that file, the ``degradation`` section of ``docs/experiments.md`` and the
   figure ``docs/img/degradation.png`` (``--from-json`` redoes only this step).

Usage (the run of docs/experiments.md; 23 minutes on a two-core machine shared with other jobs):

    nohup nice -n 5 python examples/degradation_study.py --limit 10000 --epochs 5 \
        --models plain20 resnet20 plain8 resnet8 &
    python examples/degradation_study.py --from-json docs/img/degradation_study.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _experiments as ex  # noqa: E402

MODELS = ("plain8", "resnet8", "plain20", "resnet20")
LABELS = {"plain8": "plain-8", "resnet8": "ResNet-8", "plain20": "plain-20", "resnet20": "ResNet-20"}
DEFAULT_JSON = ex.IMG / "degradation_study.json"


def load(limit: int | None, seed: int, data_dir: str | None = None) -> tuple[np.ndarray, ...]:
    """Fashion-MNIST: a stratified subset of ``limit`` training images (all when None), the full test set."""
    from convcalc.data import load_dataset, stratified_split

    data = load_dataset("fashion-mnist", data_dir=data_dir)
    x, y = data.x_train, data.y_train
    if limit is not None and limit < len(x):
        _, keep = stratified_split(y, limit, seed=seed)
        x, y = x[keep], y[keep]
    return np.ascontiguousarray(x), y, np.ascontiguousarray(data.x_test), data.y_test


def train(name: str, data: tuple[np.ndarray, ...], *, epochs: int, seed: int, lr: float, batch: int = 128,
          test_every_epoch: bool = True) -> dict[str, Any]:
    """One run: ``epochs`` epochs of preset ``name`` from seed ``seed``; per-epoch figures and the final ones."""
    from convcalc.nn import Sequential
    from convcalc.stack import summarize
    from convcalc.spec import load_stack

    x, y, xt, yt = data
    shape = tuple(x.shape[1:])
    model = Sequential.from_spec(name, shape, seed=seed, init="he_normal")
    model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"], lr=lr, momentum=0.9)
    rows: list[dict[str, float]] = []
    for epoch in range(epochs):
        start = time.perf_counter()
        history = model.fit(x, y, batch, 1, shuffle=True, seed=seed * 1000 + epoch)
        last = history.epochs[-1]
        row = {"epoch": epoch + 1, "train_loss": float(last["loss"]), "train_error": 1 - float(last["accuracy"]),
               "seconds": time.perf_counter() - start}
        if test_every_epoch or epoch == epochs - 1:
            test = model.evaluate(xt, yt)
            row.update(test_loss=test["loss"], test_error=1 - test["accuracy"])
        rows.append(row)
        print(f"{name} seed {seed} epoch {epoch + 1}: " + ", ".join(f"{k} {v:.4f}" for k, v in row.items()
                                                                    if k != "epoch"), flush=True)
    final = model.evaluate(x, y)
    return {"model": name, "seed": seed, "params": summarize(*load_stack(name, shape)).trainable_params,
            "epochs": rows, "final_train_loss": final["loss"], "final_train_error": 1 - final["accuracy"],
            "test_error": rows[-1]["test_error"], "test_loss": rows[-1]["test_loss"]}


def study(args: argparse.Namespace) -> dict[str, Any]:
    """Train every model for every seed, rewriting ``args.json`` after each run."""
    from convcalc.engine import tune_malloc

    tune_malloc()
    data = load(args.limit, 0, args.data_dir)
    result: dict[str, Any] = {
        "config": {"limit": len(data[0]), "test": len(data[2]), "epochs": args.epochs, "lr": args.lr, "batch": 128,
                   "momentum": 0.9, "init": "he_normal", "seeds": list(range(args.seeds)), "models": list(args.models),
                   "machine": platform.machine(), "numpy": np.__version__},
        "runs": []}
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    for seed in range(args.seeds):
        for name in args.models:
            result["runs"].append(train(name, data, epochs=args.epochs, seed=seed, lr=args.lr,
                                        test_every_epoch=not args.test_at_end))
            path.write_text(json.dumps(result, indent=1))
    return result


# --------------------------------------------------------------------------- from the JSON to the docs
def mean_curve(runs: list[dict[str, Any]], key: str) -> np.ndarray:
    """The per-epoch mean of ``key`` over ``runs`` (epochs where every run has it)."""
    n = min(len(r["epochs"]) for r in runs)
    return np.array([np.mean([r["epochs"][e][key] for r in runs]) for e in range(n)])


def complete_seeds(result: dict[str, Any]) -> list[int]:
    """The seeds for which every model that ran finished (a stopped study keeps its partial seed out)."""
    done = {(r["model"], r["seed"]) for r in result["runs"]}
    models = {r["model"] for r in result["runs"]}
    return [s for s in result["config"]["seeds"] if all((m, s) in done for m in models)]


def by_model(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The runs of the complete seeds, per model."""
    seeds = set(complete_seeds(result))
    out: dict[str, list[dict[str, Any]]] = {}
    for run in result["runs"]:
        if run["seed"] in seeds:
            out.setdefault(run["model"], []).append(run)
    return out


def findings(result: dict[str, Any]) -> dict[str, bool]:
    """He et al.'s claims, checked on the mean over seeds of the final training error (evaluation mode)."""
    runs = by_model(result)

    def final(name: str) -> float:
        return float(np.mean([r["final_train_error"] for r in runs[name]]))

    def epoch_mean(name: str) -> float:  # the training curve's last point (training mode)
        return float(mean_curve(runs[name], "train_error")[-1])

    def above_every_epoch(a: str, b: str) -> bool:  # a's training curve (training mode) above b's at every epoch
        return bool(np.all(mean_curve(runs[a], "train_error") > mean_curve(runs[b], "train_error")))

    claims: dict[str, bool] = {}
    if {"plain8", "plain20"} <= runs.keys():
        claims["plain-20 has a higher final training error (eval mode) than plain-8 (degradation)"] = (
            final("plain20") > final("plain8"))
        claims["plain-20 ends higher on the training curve (training mode) than plain-8"] = (
            epoch_mean("plain20") > epoch_mean("plain8"))
        claims["plain-20's training curve is above plain-8's at every epoch"] = above_every_epoch("plain20", "plain8")
    if {"resnet8", "resnet20"} <= runs.keys():
        claims["ResNet-20 has a final training error (eval mode) no higher than ResNet-8"] = (
            final("resnet20") <= final("resnet8"))
        claims["ResNet-20's training curve is below ResNet-8's at every epoch"] = above_every_epoch("resnet8",
                                                                                                  "resnet20")
    if {"plain20", "resnet20"} <= runs.keys():
        claims["ResNet-20 has a lower final training error (eval mode) than plain-20"] = final("resnet20") < final("plain20")
        claims["ResNet-20 ends lower on the training curve (training mode) than plain-20"] = (
            epoch_mean("resnet20") < epoch_mean("plain20"))
        claims["ResNet-20's training curve is below plain-20's at every epoch"] = above_every_epoch("plain20",
                                                                                                  "resnet20")
        test = {n: float(np.mean([r["test_error"] for r in runs[n]])) for n in ("plain20", "resnet20")}
        claims["ResNet-20 has a lower test error than plain-20"] = test["resnet20"] < test["plain20"]
    return claims


def figure(result: dict[str, Any], path: Path) -> None:
    """He et al.'s Figure 6 layout: error per epoch, training dashed and test solid; plain left, residual right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    runs = by_model(result)
    colours = {"8": "tab:blue", "20": "tab:red"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, family, title in ((axes[0], "plain", "plain networks"), (axes[1], "resnet", "ResNets")):
        for depth in ("8", "20"):
            name = f"{family}{depth}"
            if name not in runs:
                continue
            train = mean_curve(runs[name], "train_error")
            epochs = np.arange(1, len(train) + 1)
            ax.plot(epochs, 100 * train, "--o", color=colours[depth], markersize=3, label=f"{LABELS[name]} training")
            tests = [r for r in runs[name] if all("test_error" in e for e in r["epochs"])]
            if tests:
                ax.plot(epochs, 100 * mean_curve(tests, "test_error")[:len(epochs)], "-", color=colours[depth],
                        linewidth=2, label=f"{LABELS[name]} test")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("error (%)")
    seeds = len(complete_seeds(result))
    fig.suptitle(f"Fashion-MNIST, {result['config']['limit']:,} training images, "
                 + ("one seed" if seeds == 1 else f"mean of {seeds} seeds")
                 + "; dashed: training (running, training mode), solid: test")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def table(result: dict[str, Any]) -> str:
    runs = by_model(result)
    lines = ["| network | layers | parameters | training error, last epoch (running) | training error, final "
             "(eval mode) | training loss, final | test error | s/epoch |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(values: list[float], percent: bool = True) -> str:
        scale = 100 if percent else 1
        text = f"{scale * np.mean(values):.2f}"
        if len(values) > 1:
            text += f" ± {scale * np.std(values):.2f}"
        return text + (" %" if percent else "")

    for name in MODELS:
        if name not in runs:
            continue
        rs = runs[name]
        depth = name.removeprefix("plain").removeprefix("resnet")
        lines.append("| " + " | ".join([
            LABELS[name], depth, f"{rs[0]['params']:,}",
            cell([r["epochs"][-1]["train_error"] for r in rs]),
            cell([r["final_train_error"] for r in rs]),
            cell([r["final_train_loss"] for r in rs], percent=False),
            cell([r["test_error"] for r in rs]),
            f"{np.mean([e['seconds'] for r in rs for e in r['epochs']]):.0f}"]) + " |")
    return "\n".join(lines)


def _gap(runs: dict[str, list[dict[str, Any]]], a: str, b: str, key: str = "final_train_error") -> float | None:
    """Mean ``key`` of ``a`` minus that of ``b``, in percentage points (None when either did not run)."""
    if a not in runs or b not in runs:
        return None
    return 100 * float(np.mean([r[key] for r in runs[a]]) - np.mean([r[key] for r in runs[b]]))


def _seeds(n: int) -> str:
    return "one seed" if n == 1 else f"{n} seeds"


def discussion(result: dict[str, Any]) -> str:
    """What the numbers say against He et al., and how this run differs from theirs (all from the JSON)."""
    runs, c = by_model(result), result["config"]
    steps = c["epochs"] * -(-c["limit"] // c["batch"])
    said = []
    plain, residual = _gap(runs, "plain20", "plain8"), _gap(runs, "resnet20", "resnet8")
    across = _gap(runs, "plain20", "resnet20")
    test = _gap(runs, "plain20", "resnet20", "test_error")
    if plain is not None:
        curve = 100 * (mean_curve(runs["plain20"], "train_error") - mean_curve(runs["plain8"], "train_error"))
        said.append(f"Going from 8 to 20 layers, the plain net's final training error (eval mode) changes by "
                    f"{plain:+.2f} points" + (" (higher, as the degradation He et al. report)" if plain > 0 else
                                              " (not higher)") + ", but its running training error per epoch "
                    "changes by " + ", ".join(f"{d:+.2f}" for d in curve) + " points: "
                    + ("higher at every epoch." if np.all(curve > 0) else
                       f"higher at {int(np.sum(curve > 0))} of {len(curve)} epochs, so at this scale the plain "
                       "nets' degradation is not clearly there; the eval-mode figure of one seed, at a constant "
                       "learning rate, moves by points from epoch to epoch (see the test curves)."))
    if residual is not None:
        said.append(f"The residual net's changes by {residual:+.2f} points"
                    + (" (deeper trains at least as well, as in the paper)." if residual <= 0 else
                       " (deeper is worse here too, unlike the paper).")
                    + (f" The gap between the two is {plain - residual:.2f} points." if plain is not None else ""))
    if across is not None and test is not None:
        said.append(f"At 20 layers the shortcuts lower the training error by {across:.2f} points and the test "
                    f"error by {test:.2f} points.")
    return ("**What this run shows.** " + " ".join(said) + "\n\n" if said else "") + f"""**Deviations from He et al.**
Fashion-MNIST (28x28, one channel) instead of CIFAR-10; {c['limit']:,} training images instead of 50,000,
no augmentation, {c['epochs']} epochs of {-(-c['limit'] // c['batch'])} steps ({steps:,} steps; the paper
trains 64,000 steps with the learning rate divided by 10 at 32,000 and 48,000), a constant learning
rate of {c['lr']} instead of 0.1, no weight decay (the paper: 0.0001), option B shortcuts instead of A,
{_seeds(len(complete_seeds(result)))}, so a difference of a point or so may be seed noise. The budget was one core of a shared
two-core machine for about half an hour; the depth effect the paper shows is over 100x more steps, and
early in training batch norm keeps a 20-layer plain net trainable, so this is a first look at small scale,
not a replication of Figure 6."""


def section(result: dict[str, Any], image: str = "degradation") -> str:
    """The Markdown of the section, from the JSON of a study (figure written to docs/img/IMAGE.png)."""
    figure(result, ex.IMG / f"{image}.png")
    c = result["config"]
    claims = findings(result)
    done = complete_seeds(result)
    seeds = len(done)
    return f"""
## Plain vs residual nets on Fashion-MNIST (`examples/degradation_study.py`)

He et al. 2016 (section 4.2, Figure 6) train CIFAR-10 networks of 6n+2 layers with and without
shortcuts and find the **degradation problem**: the deeper plain nets have a *higher training
error* than the shallower ones (so it is not overfitting), while deeper residual nets train at least
as well as shallower ones. Here the presets `plain8`, `plain20`, `resnet8` and `resnet20` (the
paper's networks, n=1 and n=3, option B shortcuts: see `convcalc stack resnet20 --depth 1`) train
on a stratified subset of {c['limit']:,} Fashion-MNIST images (28x28, one channel) and are tested on
the full {c['test']:,}-image test set: SGD, lr {c['lr']} (constant), momentum {c['momentum']}, batch
{c['batch']}, {c['epochs']} epochs, He-normal kernels, {_seeds(seeds)}
({', '.join(map(str, done))}; a seed draws the weights and the batch order). Reproduce with
`python examples/degradation_study.py --limit {c['limit']} --epochs {c['epochs']} --seeds {seeds}
--lr {c['lr']}`; one run on the CLI: `convcalc train --model resnet20 --data fashion-mnist --limit
{c['limit']} --epochs {c['epochs']} --batch-size 128 --lr {c['lr']} --momentum 0.9 --init he_normal`.
The numbers below are read from `docs/img/degradation_study.json`, written by the run.

{table(result)}

"Running" is the mean over the epoch's batches while the weights change, in training mode (batch
statistics), as the thin curves of He et al.'s figures; "final (eval mode)" is one pass over the
training subset after the last epoch with the running batch-norm statistics. `s/epoch` is the
wall time of one training epoch (without the test pass), on one core of a two-core machine shared with
other jobs (speed is measured in [performance.md](performance.md)).

![Training (dashed) and test (solid) error per epoch, plain vs residual]({f'img/{image}.png'})

**He et al.'s findings, at this scale** (checked by the script, on the mean over seeds):

{chr(10).join(f"- [{'x' if ok else ' '}] {claim}" for claim, ok in claims.items())}

{discussion(result)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10000, help="training images (stratified subset)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--test-at-end", action="store_true", help="test only after the last epoch (faster)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--json", default=str(DEFAULT_JSON), help="where the study's numbers go")
    parser.add_argument("--from-json", default=None, help="write the docs section from this file; no training")
    parser.add_argument("--no-docs", action="store_true", help="train and write the JSON only")
    args = parser.parse_args()
    if args.from_json:
        result = json.loads(Path(args.from_json).read_text())
    else:
        result = study(args)
    for claim, ok in findings(result).items():
        print(f"[{'x' if ok else ' '}] {claim}")
    if not args.no_docs:
        ex.write_section("degradation", section(result))


if __name__ == "__main__":
    main()
