"""Keep large freed arrays in the process's heap, so that the next array of that size reuses them (glibc only).

By default glibc serves every allocation over its mmap threshold (at most 32 MB) with its own mmap and returns
it to the kernel when freed; a V x V float64 temporary (0.2 GB at V = 5,000, 0.8 GB at 10,000) is then
faulted in afresh, page by page, each time one is made. On a virtual machine that hands freed pages back to
its host, a fresh page costs a trip to the host, and a pipeline that makes dozens of such temporaries (the
real-text study) spends much of its time there. Raising the mmap and trim thresholds keeps freed blocks for
reuse; the peak footprint is unchanged, only not given back before exit. A no-op where the C library has no
mallopt (macOS, musl).
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["keep_freed_memory"]

# mallopt parameters (malloc.h) and the largest threshold glibc accepts (a positive int).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 2 ** 31 - 1


def keep_freed_memory() -> bool:
    """Ask glibc to serve large allocations from its heap and keep freed ones; whether it agreed."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, THRESHOLD))
