"""Process-level speed setting for training: the number of BLAS threads.

**BLAS threads.** The engine splits its memory-bound steps (im2col copies,
col2im, pooling) over the cores with its own threads, and OpenBLAS runs its own
pool for every matrix product; its idle workers spin. Both pools on two cores
oversubscribe them: the same HW5 epoch was measured at 9.7 s with one BLAS
thread and anywhere from 10 to 70 s with two, depending on timing (see
``docs/performance.md``). For the small matrices of these CNNs one BLAS thread
loses nothing, so :meth:`Sequential.fit` runs under :func:`blas_threads` (via
``threadpoolctl`` when it is installed; otherwise nothing changes).
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
