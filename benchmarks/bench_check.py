"""`convcalc check` on large answer files: 1,000 / 5,000 / 20,000 simple `outsize` questions.

Issue 15: an answer file of 20,000 simple questions did not finish in 20 s (the verdict table was a
Rich Table, which measures every cell several times); the goal is a few seconds, linear in the
number of questions. Each size is timed three ways, each in a fresh process (what an autograder
runs): the whole command with the table (`convcalc check FILE > /dev/null`), the same with `--json`,
and the library alone (`check_file`) inside one process. About 1% of the answers are wrong, so the
report also writes out their working; ``--all-wrong`` makes every answer wrong (the worst case for
the report).

Figures are medians of ``--runs`` runs; the per-question cost should stay flat as the file grows.

Usage: python benchmarks/bench_check.py [--runs 3] [--sizes 1000,5000,20000] [--all-wrong]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def answer_file(folder: Path, n: int, all_wrong: bool) -> Path:
    """``n`` outsize questions: sizes 20..69, kernel 3; about 1% (or all) wrong by one."""
    path = folder / f"q{n}{'_wrong' if all_wrong else ''}.toml"
    with path.open("w") as handle:
        for i in range(n):
            wrong = all_wrong or i % 97 == 0
            handle.write(f'[[question]]\nkind = "outsize"\nin = {20 + i % 50}\nk = 3\n'
                         f"answer = {18 + i % 50 + (1 if wrong else 0)}\n\n")
    return path


def time_command(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, "COLUMNS": "100"}, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.decode()[:500]}")
    return statistics.median(times)


def time_library(path: Path, runs: int) -> float:
    code = ("import time, sys; from convcalc.check import check_file; t = time.perf_counter(); "
            f"r = check_file({str(path)!r}); print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--all-wrong", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    convcalc = [sys.executable, "-m", "convcalc"]
    print(f"{'questions':>10}{'table s':>10}{'--json s':>10}{'library s':>11}{'table ms/q':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            path = answer_file(Path(folder), n, args.all_wrong)
            table = time_command(convcalc + ["check", str(path)], args.runs)
            as_json = time_command(convcalc + ["check", str(path), "--json"], args.runs)
            library = time_library(path, args.runs)
            print(f"{n:>10,}{table:>10.2f}{as_json:>10.2f}{library:>11.2f}{1000 * table / n:>12.3f}")


if __name__ == "__main__":
    main()
