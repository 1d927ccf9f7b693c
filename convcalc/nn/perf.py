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
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["blas_threads"]


@contextmanager
def blas_threads(default: int = 1) -> Iterator[None]:
    """Limit the BLAS thread pools to ``CONVCALC_BLAS_THREADS`` (default ``default``) inside the block."""
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
    with threadpool_limits(limits=count, user_api="blas"):
        yield
