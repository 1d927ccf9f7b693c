"""Start-up time of `convcalc outsize` against `python -c "import typer, rich"`.

Each command runs in a fresh process, alternating, after warm-up runs; the
figure is the median wall time. Goal (issue 2): at most 1.15x the baseline.

Usage: python benchmarks/bench_cli.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time

BASELINE = [sys.executable, "-c", "import typer, rich"]
OUTSIZE_ARGS = ["outsize", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4"]


def convcalc_command() -> list[str]:
    """The installed `convcalc` script if there is one, else `python -m convcalc`."""
    script = shutil.which("convcalc")
    return [script, *OUTSIZE_ARGS] if script else [sys.executable, "-m", "convcalc", *OUTSIZE_ARGS]


# Users' Pythons cache bytecode; some sandboxes switch that off. Measure the usual case:
# the warm-up runs write the .pyc files, as a first run does on a user's machine.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    return time.perf_counter() - start


def on_terminal(command: list[str]) -> list[str]:
    """Run ``command`` under a pseudo-terminal (util-linux ``script``), as a user at a shell sees it."""
    return ["script", "-qec", shlex.join(command), "/dev/null"]


def measure(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time in ms of each command, runs interleaved, after warm-up."""
    for command in commands.values():  # warm the page cache and write the .pyc files
        for _ in range(3):
            wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall_time(command))
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def report(title: str, medians: dict[str, float]) -> float:
    base = medians["python -c 'import typer, rich'"]
    print(f"\n{title}\n{'command':<34}{'median ms':>10}{'ratio':>8}")
    for name, ms in medians.items():
        print(f"{name:<34}{ms:>10.1f}{ms / base:>8.2f}")
    return medians["convcalc outsize ..."] / base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    commands = {"python -c 'import typer, rich'": BASELINE, "convcalc outsize ...": convcalc_command(),
                "python -c pass": [sys.executable, "-c", "pass"]}
    ratio = report("stdout is a pipe (scripts, autograders, CI)", measure(commands, args.runs))
    print(f"convcalc outsize / import typer, rich = {ratio:.2f} (goal <= 1.15)")
    if shutil.which("script"):
        tty = {name: on_terminal(command) for name, command in commands.items()}
        ratio = report("stdout is a terminal (Rich styling; run under `script`)", measure(tty, args.runs))
        print(f"convcalc outsize / import typer, rich = {ratio:.2f}")


if __name__ == "__main__":
    main()
