"""What a training run will cost, estimated from the layer specs before anything is allocated.

**Memory** (:func:`estimate_memory`): from the stack's sizes (:func:`convcalc.stack.summarize`),
in bytes of the model's dtype (4 for float32, 8 for float64):

- parameters ``P``: the weights, their gradients and the copy of the last good epoch kept
  for a diverging run: ``3 P``;
- optimiser state: SGD with momentum keeps one buffer per weight, Adam two moments, plain
  SGD none; each also copied for the last good epoch: ``2 s P`` with ``s`` slots;
- activations: ``(2 A + 3 C) B``, with ``A`` the values of one sample through the stack
  (the input and every layer's output, each kept for the backward pass and met by a gradient
  of the same size), ``C`` the largest convolution's unfolded input (``C_in k_h k_w H_out
  W_out``, the engine's matrix-product operand, its gradient and a padded copy) and ``B`` the batch (at most the number of
  samples; validation runs forward only, in batches of ``max(batch, 256)``).

Measured with ``tracemalloc`` on one training step (the engine's NumPy buffers), the
activation term was 0.2-0.9 times this estimate for HW5, its 2-conv variant, LeNet-5 and
three other stacks (``tests/test_nn_budget.py``): the estimate is an upper bound of that
order, not an exact count.

:func:`check_memory` compares it with the memory the machine has free
(:func:`available_memory`: ``MemAvailable`` of ``/proc/meminfo``, else ``os.sysconf``'s
available pages) and refuses a run that does not fit, with the estimate and the option that
overrides it (``convcalc train --max-memory SIZE``).

**Time** (:func:`estimate_epoch_seconds`): forward multiply-accumulates per sample (torchvision's
count, ``convcalc stack``'s) times the samples, divided by the rate of the seed models in
``benchmarks/bench_train.py`` (docs/performance.md, 2026-11-26: 60,000 images of Fashion-MNIST
per epoch; HW5 6.66 s, its 2-conv variant 14.39 s, LeNet-5 4.98 s): 5.0 to 10.8 billion forward
MACs per second of training, so an estimate is a range.

Examples
--------
>>> from convcalc.presets import preset
>>> layers, shape = preset("hw5")
>>> estimate = estimate_memory(layers, shape, batch_size=32)
>>> estimate.parameters == 3 * 542230 * 4, estimate.optimizer
(True, 0)
>>> parse_size("1.5G"), parse_size("512MiB"), parse_size("1000")
(1500000000, 536870912, 1000)
>>> low, high = estimate_epoch_seconds(736488, 60000)
>>> round(low, 1), round(high, 1)
(4.1, 8.8)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from math import prod

from convcalc import layers as specs
from convcalc.data.npzfile import available_memory
from convcalc.errors import ConvCalcError, invalid

__all__ = ["MemoryEstimate", "estimate_memory", "available_memory", "check_memory", "parse_size", "format_bytes",
           "estimate_epoch_seconds", "TRAIN_MACS_PER_SECOND", "HEAVY_EPOCH_SECONDS"]

#: Forward MACs per second of training, slowest and fastest seed model in benchmarks/bench_train.py
#: (docs/performance.md, measured 2026-11-26): LeNet-5 416,520 MACs x 60,000 / 4.98 s = 5.0e9,
#: HW5 736,488 x 60,000 / 6.66 s = 6.6e9, its 2-conv variant 2,585,960 x 60,000 / 14.39 s = 10.8e9.
TRAIN_MACS_PER_SECOND = (5.0e9, 10.8e9)
#: An epoch estimated longer than this is "heavy for the CPU trainer", said before training starts.
HEAVY_EPOCH_SECONDS = 60.0

_OPTIMIZER_SLOTS = {"sgd": 0, "adam": 2}
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training run needs, by part (see the module's docstring for the formulas)."""

    parameters: int
    optimizer: int
    activations: int
    batch: int
    dtype: str
    data: int = 0


    @property
    def total(self) -> int:
        """All parts together."""
        return self.parameters + self.optimizer + self.activations + self.data

    def describe(self) -> str:
        """``"2.1 GB (parameters 1.6 GB, optimiser state 0 B, activations 512 MB for a batch of 32, float32)"``."""
        data = f"the dataset {format_bytes(self.data)}, " if self.data else ""
        return (f"{format_bytes(self.total)} ({data}parameters {format_bytes(self.parameters)}, optimiser state "
                f"{format_bytes(self.optimizer)}, activations {format_bytes(self.activations)} for a batch of "
                f"{self.batch:,}, {self.dtype})")


def format_bytes(n: int | float) -> str:
    """Decimal units: ``format_bytes(1_500_000) == "1.5 MB"``."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            value = n / size
            return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"
    return f"{int(n)} B"


def parse_size(text: str | int) -> int:
    """Bytes from ``"8G"``, ``"512MB"``, ``"1.5GiB"`` or a plain number of bytes (decimal and binary units).

    Raises
    ------
    ConvCalcError
        Naming ``max_memory`` when ``text`` is not a positive size.
    """
    if isinstance(text, bool):
        raise invalid("max_memory", text, "a size such as 8G, 512MB, 1.5GiB or a number of bytes")
    if isinstance(text, int):
        if text <= 0:
            raise invalid("max_memory", text, "a positive number of bytes")
        return text
    match = re.fullmatch(r"\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([a-zA-Z]{0,3})\s*", str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        raise invalid("max_memory", text, "a size such as 8G, 512MB, 1.5GiB or a number of bytes")
    return int(float(match.group(1)) * _UNITS[unit])



def _kernel(spec: specs.Layer) -> tuple[int, ...]:
    k = getattr(spec, "kernel_size", 1)
    return tuple(k) if isinstance(k, tuple) else (int(k),)


def estimate_memory(layers: Sequence[specs.Layer] | Any, input_shape: Sequence[int], batch_size: int, *,
                    optimizer: str = "sgd", momentum: float = 0.0, dtype: str = "float32",
                    samples: int | None = None, eval_samples: int | None = None) -> MemoryEstimate:
    """Bytes needed to train ``layers`` on inputs of ``input_shape``, from the specs alone.

    Parameters
    ----------
    layers, input_shape
        The specs (a list, or a :class:`convcalc.graph.Graph`) and one sample's shape, channels first.
    batch_size : int
        Samples per step; capped at ``samples`` when given.
    optimizer : {"sgd", "adam"}
    momentum : float
        SGD momentum (a nonzero value keeps one buffer per weight).
    dtype : {"float32", "float64"}
    samples, eval_samples : int, optional
        Training and validation set sizes (the batches never exceed them).
    """
    from convcalc.stack import summarize

    itemsize = 8 if str(dtype) == "float64" else 4
    summary = summarize(layers if hasattr(layers, "nodes") else list(layers), tuple(input_shape))  # a list or a Graph
    values, unfolded = prod(summary.input_shape), 0
    for row in summary.layers:
        spec, shape, out = row.layer, tuple(row.input_shape), tuple(row.output_shape)
        values += prod(out)
        if isinstance(spec, specs.Layer) and hasattr(spec, "filters") and len(out) >= 2:
            kernel = _kernel(spec)
            kernel = kernel * (len(out) - 1) if len(kernel) == 1 else kernel
            unfolded = max(unfolded, shape[0] * prod(kernel) * prod(out[1:]))
    batch = min(batch_size, samples) if samples else batch_size
    eval_batch = max(batch_size, 256)
    eval_batch = min(eval_batch, eval_samples) if eval_samples else eval_batch
    train = (2 * values + 3 * unfolded) * batch
    forward_only = (values + unfolded) * eval_batch
    slots = _OPTIMIZER_SLOTS.get(str(optimizer).lower(), 2)
    if str(optimizer).lower() == "sgd" and momentum:
        slots = 1
    params = summary.total_params
    return MemoryEstimate(parameters=3 * params * itemsize, optimizer=2 * slots * params * itemsize,
                          activations=max(train, forward_only) * itemsize, batch=batch, dtype=str(dtype))


def check_memory(estimate: MemoryEstimate, limit: int | None = None, *, what: str = "This run",
                 option: str = "--max-memory SIZE (e.g. --max-memory 64G)") -> None:
    """Refuse (``ConvCalcError``) when ``estimate`` exceeds ``limit`` (default: :func:`available_memory`).

    The message gives the estimate by part, the limit and where it came from, and ``option``, which
    overrides it.
    """
    source = "the limit given"
    if limit is None:
        limit, source = available_memory(), "the memory available on this machine (MemAvailable)"
    if limit is None or estimate.total <= limit:
        return
    raise ConvCalcError(
        f"{what} needs about {estimate.describe()}, more than {source}, {format_bytes(limit)}. Use a smaller "
        f"--batch-size or model, or, if the estimate is too high for your machine, raise the limit with {option}.")


def estimate_epoch_seconds(forward_macs: int, samples: int) -> tuple[float, float]:
    """``(low, high)`` seconds for one training epoch, from :data:`TRAIN_MACS_PER_SECOND`."""
    work = float(forward_macs) * samples
    return work / TRAIN_MACS_PER_SECOND[1], work / TRAIN_MACS_PER_SECOND[0]
