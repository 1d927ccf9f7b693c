"""`convcalc sweep` wall time: 8 mnist5k runs with --jobs 1, --jobs 2 and a local Dask cluster of 2 workers.

Issue 14's goals on a 2-core machine: ``--jobs 2`` in at most 0.6x the time of
``--jobs 1``; ``--scheduler local`` (a Dask LocalCluster of 2 single-threaded
worker processes) in at most 1.2x the time of ``--jobs 2``.

Each measurement is the whole command, as a user runs it, in a fresh process:
``convcalc sweep --model hw5 --epochs E --grid lr=... --grid seed=0,1 --json``
(the HW5 CNN, SGD, batch 32, on the embedded mnist5k: 4,000 training and
1,000 test images), from start-up to the JSON on stdout, so worker start-up,
data loading and (for Dask) starting the cluster are included. The three modes
must give the same test accuracies bit for bit (checked). The load average
before each measurement is printed, since other programs on the machine change
the result; so is the CPU time of the command and all its processes (what the
extra processes cost, whatever the load). Run under the CPU lock:

    flock /tmp/cpu.lock python benchmarks/bench_sweep.py [--epochs 5] [--repeats 2]
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

GRID = ["--grid", "lr=0.005,0.01,0.02,0.05", "--grid", "seed=0,1"]  # 8 runs
MODES = {
    "--jobs 1": ["--jobs", "1"],
    "--jobs 2": ["--jobs", "2"],
    "Dask local, 2 workers": ["--scheduler", "local", "--jobs", "2"],
}


def measure(model: str, epochs: int, options: list[str]) -> tuple[float, float, list[float]]:
    """Wall time and CPU time (user + system, the command and all its processes) of one sweep, and its
    runs' test accuracies."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "convcalc", "sweep", "--model", model, "--epochs", str(epochs), *GRID,
                   *options, "--json", "--no-checkpoints", "--dir", os.path.join(folder, "s")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    runs = json.loads(done.stdout)["runs"]
    assert len(runs) == 8 and all(r["status"] == "finished" for r in runs), runs
    return seconds, cpu, [r["test_accuracy"] for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="hw5")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2, help="measurements per mode (the median is kept)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpus: dict[str, list[float]] = {mode: [] for mode in MODES}
    accuracies: dict[str, list[float]] = {}
    for repeat in range(args.repeats):
        for mode, options in MODES.items():
            load = os.getloadavg()[0]
            seconds, cpu, acc = measure(args.model, args.epochs, options)
            times[mode].append(seconds)
            cpus[mode].append(cpu)
            accuracies.setdefault(mode, acc)
            assert acc == accuracies[mode], f"{mode}: accuracies changed between repeats"
            print(f"repeat {repeat + 1}, {mode}: {seconds:.2f} s, CPU {cpu:.2f} s (load average before: {load:.2f})",
                  flush=True)
    reference = accuracies["--jobs 1"]
    same = all(acc == reference for acc in accuracies.values())
    median = {mode: statistics.median(t) for mode, t in times.items()}
    print(f"\n8 runs of {args.model}, {args.epochs} epochs each on mnist5k, {os.cpu_count()} cores; "
          f"median of {args.repeats}")
    print("| mode | seconds (median) | all | ratio | goal | CPU s (median) |")
    print("| --- | ---: | --- | ---: | --- | ---: |")
    goals = {"--jobs 1": ("1.00 (reference)", ""),
             "--jobs 2": (f"{median['--jobs 2'] / median['--jobs 1']:.2f} of --jobs 1", "<= 0.6"),
             "Dask local, 2 workers": (f"{median['Dask local, 2 workers'] / median['--jobs 2']:.2f} of --jobs 2",
                                       "<= 1.2")}
    for mode in MODES:
        ratio, goal = goals[mode]
        print(f"| {mode} | {median[mode]:.2f} | {', '.join(f'{t:.2f}' for t in times[mode])} | {ratio} | {goal} | "
              f"{statistics.median(cpus[mode]):.2f} |")
    print(f"\nsame test accuracies in every mode, bit for bit: {same}")


if __name__ == "__main__":
    main()
