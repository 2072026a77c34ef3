"""Give large freed blocks back to the operating system at once.

glibc's ``malloc`` serves blocks above a threshold with their own ``mmap`` and unmaps them
when freed, but by default it raises that threshold to the size of each such block freed,
so that a second 16 MiB request (scrypt's working memory, for one) is served from the
thread's heap instead and stays resident there after it is freed: one password check per
worker thread and the server keeps 16 MiB per worker for good. Fixing the threshold at
1 MiB turns the adjustment off: blocks that big are mapped and unmapped every time, which
costs a few page faults per block, nothing beside a password check's 40 ms.

Fixing it also fixes the trim threshold, the free memory a heap keeps at its top rather
than give back, at glibc's default of 128 KiB; a busy server frees and takes back more
than that between two bursts all the time, and every page taken back is a page fault
(24,000 in a five-second burst of 50 clients talking at once). It is set to 4 MiB, a
little more than what that burst cycles, so such memory stays with the process.

Elsewhere than on glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_TRIM_THRESHOLD = -1  # from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
THRESHOLD_BYTES = 1 << 20
TRIM_BYTES = 4 << 20


def return_large_blocks() -> bool:
    """Fix glibc's mmap and trim thresholds; whether it was done (False off glibc)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trimmed = libc.mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES) and trimmed)
    except (OSError, AttributeError):
        return False
