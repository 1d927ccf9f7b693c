"""Experiment grids: many ``convcalc train`` runs as one sweep, in parallel here or on a Dask cluster.

- :mod:`~convcalc.sweep.grid`: ``--grid NAME=V1,V2`` and sweep TOML files into runs;
- :mod:`~convcalc.sweep.runner`: one run, through :func:`convcalc.nn.session.run`;
- :mod:`~convcalc.sweep.backends`: this process, a pool of worker processes, Dask;
- :mod:`~convcalc.sweep.store`: the sweep directory, written atomically run by run;
- :mod:`~convcalc.sweep.orchestrate`: :func:`run_sweep`, the whole sweep;
- :mod:`~convcalc.sweep.report`: one row per configuration over seeds, the figure.

See docs/sweeps.md.
"""

from __future__ import annotations

from convcalc.sweep.grid import DEFAULT_MAX_RUNS, Run, SweepSpec, load_sweep_file, parse_grid
from convcalc.sweep.orchestrate import SweepResult, SweepState, run_sweep
from convcalc.sweep.report import plot_sweep, summarize

__all__ = ["SweepSpec", "Run", "parse_grid", "load_sweep_file", "run_sweep", "SweepResult", "SweepState",
           "summarize", "plot_sweep", "DEFAULT_MAX_RUNS"]
