"""Process-level speed setting for training: the number of BLAS threads.

**BLAS threads.** OpenBLAS runs a pool of threads for every matrix product and
its idle workers spin; the engine also splits its copies over the cores with
its own threads. On two cores with another program keeping one busy, a HW5
training step took 14.7 ms with two BLAS threads and 5.9 ms with one; on an
idle machine two threads are 5-20% faster (``docs/performance.md``,
"Training"). Robust wins: :meth:`Sequential.fit` runs under :func:`blas_threads`
(via ``threadpoolctl`` when it is installed; otherwise nothing changes).
``CONVCALC_BLAS_THREADS=N`` sets another count, ``0`` leaves BLAS alone.
(``convcalc train`` also calls :func:`convcalc.engine.tune_malloc` once.)

**Engine threads.** With BLAS on one thread, the engine's big kernels (the
shifted-product convolutions of many-channel stride-1 layers) split their work
into independent parts on Python threads, one per core (at most 4;
``CONVCALC_NUM_THREADS=N`` sets another count, ``1`` turns it off): each part
runs its own single-threaded products, and a waiting thread blocks instead of
spinning, so a busy core slows a step down by that core's share only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from convcalc.engine import engine_threads

__all__ = ["blas_threads", "engine_thread_count"]


def engine_thread_count() -> int:
    """``CONVCALC_NUM_THREADS``, else the cores this process may run on (at most 4)."""
    setting = os.environ.get("CONVCALC_NUM_THREADS", "").strip()
    if setting.isdigit():
        return max(1, int(setting))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


@contextmanager
def blas_threads(default: int = 1) -> Iterator[None]:
    """Limit the BLAS thread pools to ``CONVCALC_BLAS_THREADS`` (default ``default``) inside the block; with
    one BLAS thread the engine splits its big kernels over :func:`engine_thread_count` threads."""
    setting = os.environ.get("CONVCALC_BLAS_THREADS", "").strip()
    count = int(setting) if setting.isdigit() else default
    if count <= 0:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - an optional helper
        yield
        return
    with threadpool_limits(limits=count, user_api="blas"), engine_threads(engine_thread_count() if count == 1 else 1):
        yield
