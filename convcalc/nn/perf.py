"""Process-level speed settings for training: glibc's malloc thresholds.

glibc returns every freed block above ``M_MMAP_THRESHOLD`` (128 KiB at first,
adjusting itself later) to the kernel and maps it in again on the next
allocation, so the per-batch temporaries of a CNN (a few hundred KiB to a few
MiB) are page-faulted in on every step; how much depends on what the process
allocated before. Raising the mmap threshold to 256 MiB and the trim threshold
to 1 GiB keeps them in the heap (see ``docs/performance.md``). The cost is that
freed memory is kept by the process instead of going back to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["tune_malloc"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_done = False


def tune_malloc(mmap_threshold: int = 256 << 20, trim_threshold: int = 1 << 30) -> bool:
    """Raise glibc's ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` for this process (once).

    Returns True when the settings were applied (Linux with glibc), False elsewhere.
    """
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1 and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1
    _done = ok
    return ok
