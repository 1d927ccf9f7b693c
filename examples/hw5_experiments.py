"""Reproduce the seed HW5 CNN experiments on the embedded mnist5k: learning rates, momentum, a second conv layer.

The seed (a Keras notebook) trains a CNN -- Conv2D(32, 3x3, relu), MaxPool 2x2,
Flatten, Dense(100, relu), Dense(10, softmax) -- with SGD at batch 32 for 10
epochs, the test set as validation data, and compares: learning rate 0.01
(baseline), 1 and 1e-5; momentum 0.9; and a second Conv2D(64) + pool. This
script runs the same five configurations with convcalc on mnist5k (4,000
training and 1,000 test digits shipped inside convcalc), writes the table and
the curves into docs/experiments.md and docs/img/, and prints a summary.

Usage (about a minute and a half here):

    flock /tmp/cpu.lock python examples/hw5_experiments.py [--epochs 10]
"""

from __future__ import annotations

import argparse
import platform

import numpy as np

import _experiments as ex
from convcalc.nn import session
from convcalc.engine import tune_malloc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tune_malloc()

    def config(**options: object) -> session.TrainConfig:
        return session.TrainConfig(**{"model": "hw5", "data": "mnist5k", "epochs": args.epochs, "batch_size": 32,
                                      "optimizer": "sgd", "lr": 0.01, "seed": args.seed, **options})

    baseline = ex.run("lr=0.01", config())
    large = ex.run("lr=1", config(lr=1.0))
    small = ex.run("lr=1e-5", config(lr=1e-5))
    momentum = ex.run("lr=0.01, momentum 0.9", config(momentum=0.9))
    two_conv = ex.run("2 conv layers", config(model="hw5-2conv"))
    runs = [baseline, large, small, momentum, two_conv]

    small_h = small["history"].history
    findings = {
        "lr=1 does not learn (test accuracy at chance, <= 0.2)": large["test"] <= 0.2 or bool(large["note"]),
        "lr=1e-5 learns, slowly (loss falls every epoch but stays above 2)":
            all(b < a for a, b in zip(small_h["loss"], small_h["loss"][1:])) and small_h["loss"][-1] > 2.0,
        "momentum 0.9 beats the baseline (test accuracy)": momentum["test"] > baseline["test"],
        "momentum 0.9 beats the baseline at every epoch (training accuracy)": all(
            m > b for m, b in zip(momentum["history"].history["accuracy"], baseline["history"].history["accuracy"])),
        "2 conv layers end above 1 conv layer (test accuracy)": two_conv["test"] > baseline["test"],
    }
    for claim, ok in findings.items():
        print(f"[{'x' if ok else ' '}] {claim}")

    text = f"""
## HW5 CNN on mnist5k (`examples/hw5_experiments.py`)

The seed's Keras CNN (`hw5` preset: Conv2D(32, 3x3) ReLU, MaxPool 2x2, Flatten, Dense(100) ReLU,
Dense(10) softmax; 542,230 parameters), SGD, batch 32, {args.epochs} epochs, categorical
cross-entropy, Glorot-uniform kernels and zero biases (Keras's defaults), seed {args.seed}; the test set is the
validation set, as in the seed. Reproduce with `flock /tmp/cpu.lock python examples/hw5_experiments.py`.
Every run can also be made with the CLI, e.g. `convcalc train --model hw5 --lr 0.01 --momentum 0.9 --epochs 10`.

{ex.table(runs)}

`s/epoch` is the wall time of an epoch's training and validation on a two-core machine shared with
other jobs, so it varies from run to run; speed is measured in [performance.md](performance.md), "Training".

{ex.curves([baseline], "hw5_baseline", "HW5 CNN, SGD lr=0.01 (train vs test)")}

{ex.curves([baseline, small, large], "hw5_learning_rates", "Learning rate", metrics=("accuracy",), validation=False)}

{ex.curves([baseline, momentum], "hw5_momentum", "Momentum", metrics=("accuracy",), validation=False)}

{ex.curves([baseline, two_conv], "hw5_two_conv", "One vs two conv layers", metrics=("accuracy",))}

**Findings against the seed** (checked by the script):

{chr(10).join(f"- [{'x' if ok else ' '}] {claim}" for claim, ok in findings.items())}

**Deviations from the seed.** The seed trains on the full MNIST (60,000 images, 1,875 steps per
epoch); mnist5k has 4,000 training images, so {args.epochs} epochs are 15x fewer steps
({args.epochs * 125:,}). Hence the lower accuracies (the seed's baseline ends at 0.974, its momentum run
at 0.987, its 2-conv run at 0.987), and lr=1e-5 moves even less than the seed's (which reached 0.33
after 18,750 steps): here its loss falls from {small_h['loss'][0]:.4f} to {small_h['loss'][-1]:.4f}. With
lr=1 the seed's loss also sits at 2.30 with 10% accuracy: the first steps push the ReLUs into
their dead zone, which is what happens here too. Measured on {platform.machine()}, NumPy {np.__version__}.
"""
    ex.write_section("hw5", text)


if __name__ == "__main__":
    main()
