"""Reusable work buffers and glibc malloc tuning for the engine.

- **Work buffers.** Temporaries that never leave a kernel (column chunks,
  padded chunks, column gradients) are kept per thread and reused, so a
  training loop does not allocate, page-fault in and free megabytes on every
  step. Arrays that reach the caller (outputs, gradients, caches) are always
  fresh.
- **malloc.** :func:`tune_malloc` raises glibc's mmap and trim thresholds; it
  is never called on import. See ``docs/engine.md``.
- **Threads only when asked.** Outside :func:`engine_threads` the engine
  stays on the calling thread and BLAS uses the cores (copies on Python
  threads next to OpenBLAS's spinning workers were measured 1x to 25x slower
  on two cores, ``docs/engine.md``). Inside ``engine_threads(n)`` (what
  ``fit`` sets, with BLAS on one thread) the big kernels split their work
  into ``n`` independent parts (:func:`parallel`): sample ranges of the
  shifted-product convolutions, each part's products on single-threaded BLAS
  (NumPy and ``ctypes`` calls release the GIL). Waiting threads block, they
  do not spin, so another program on a core slows a step down by at most
  that core's share.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

__all__ = ["tune_malloc", "workspace", "marked_workspace", "release_workspaces", "engine_threads", "threads",
           "parallel", "split"]

_local = threading.local()
_state: dict[str, object] = {"threads": 1, "pool": None}


def threads() -> int:
    """How many parts the kernels split their work into (1 outside :func:`engine_threads`)."""
    return int(_state["threads"])  # type: ignore[call-overload]


@contextmanager
def engine_threads(count: int) -> Iterator[None]:
    """Let the kernels split their work over ``count`` threads inside the block (the calling thread is
    one of them). Use it with BLAS on one thread (``threadpoolctl``), as ``fit`` does."""
    before = _state["threads"]
    _state["threads"] = max(1, int(count))
    try:
        yield
    finally:
        _state["threads"] = before


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """``[0, n)`` as at most ``parts`` contiguous, non-empty ranges of near-equal length."""
    parts = max(1, min(parts, n))
    cuts = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def parallel(fn: Callable[[int, int], object], ranges: Sequence[tuple[int, int]]) -> None:
    """``fn(a, b)`` for every range, the first on the calling thread and the others on a pool of worker
    threads; returns when all are done and raises the first error. The calls must touch disjoint memory."""
    if len(ranges) <= 1:
        for a, b in ranges:
            fn(a, b)
        return
    pool = _state["pool"]
    if pool is None or pool._max_workers < len(ranges) - 1:  # type: ignore[attr-defined]
        pool = _state["pool"] = ThreadPoolExecutor(max_workers=len(ranges) - 1, thread_name_prefix="convcalc")
    futures = [pool.submit(fn, a, b) for a, b in ranges[1:]]  # type: ignore[attr-defined]
    error: BaseException | None = None
    try:
        fn(*ranges[0])
    except BaseException as exc:  # noqa: BLE001 - re-raised below, after the workers are done
        error = exc
    for future in futures:
        try:
            future.result()
        except BaseException as exc:  # noqa: BLE001
            error = error or exc
    if error is not None:
        raise error


def workspace(name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A reusable C-contiguous buffer of this thread, uninitialised; valid until the next
    request for the same ``name`` on the same thread. Never return it to a caller."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    size = int(np.prod(shape, dtype=np.int64))
    dtype = np.dtype(dtype)
    buf = buffers.get((name, dtype))
    if buf is None or buf.size < size:
        buf = buffers[(name, dtype)] = np.empty(max(size, 1), dtype=dtype)
        getattr(_local, "marks", {}).pop((name, dtype), None)  # new memory: nothing is known about it
    return buf[:size].reshape(shape)


def marked_workspace(name: str, shape: tuple[int, ...], dtype: np.dtype, mark: object) -> tuple[np.ndarray, bool]:
    """:func:`workspace`, and whether the previous request for ``name`` on this thread had the same
    shape and ``mark`` and got the same memory. A caller that only ever rewrites the same cells
    of such a buffer can then skip re-filling the others (the zero gaps of a padded grid)."""
    buf = workspace(name, shape, dtype)
    marks = getattr(_local, "marks", None)
    if marks is None:
        marks = _local.marks = {}
    key = (name, np.dtype(dtype))
    stamp = (tuple(shape), mark)
    same = marks.get(key) == stamp
    marks[key] = stamp
    return buf, same


def release_workspaces() -> None:
    """Free this thread's reusable buffers (they are rebuilt on demand)."""
    _local.buffers = {}
    _local.marks = {}


def tune_malloc(mmap_threshold: int = 256 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Keep large freed blocks in glibc's heap instead of returning them to the kernel.

    By default glibc serves blocks above 128 KiB (a threshold that adapts up
    to 32 MiB) with ``mmap`` and unmaps them on ``free``, so every training
    step page-faults its big temporaries in again; the same code then runs
    1x or 2x depending on what the process allocated before. This sets
    ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` with ``mallopt``, as the
    environment variables ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` would. It affects the whole process, so it is
    never called on import: a trainer or a benchmark calls it once.

    Parameters
    ----------
    mmap_threshold : int
        Blocks at least this big still use ``mmap``. Defaults to 256 MiB.
    trim_threshold : int
        Free memory kept at the top of the heap. Defaults to 1 GiB.

    Returns
    -------
    bool
        True if glibc accepted both settings, False elsewhere (musl, macOS,
        Windows), where it does nothing.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc <malloc.h>
    return bool(mallopt(m_mmap_threshold, int(mmap_threshold)) and mallopt(m_trim_threshold, int(trim_threshold)))
