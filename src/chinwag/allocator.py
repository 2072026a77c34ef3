"""Give large freed blocks back to the operating system at once.

glibc's ``malloc`` serves blocks above a threshold with their own ``mmap`` and unmaps them
when freed, but by default it raises that threshold to the size of each such block freed,
so that a second 16 MiB request (scrypt's working memory, for one) is served from the
thread's heap instead and stays resident there after it is freed: one password check per
worker thread and the server keeps 16 MiB per worker for good. Fixing the threshold at
1 MiB turns the adjustment off: blocks that big are mapped and unmapped every time, which
costs a few page faults per block, nothing beside a password check's 40 ms.

Elsewhere than on glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

M_MMAP_THRESHOLD = -3  # from glibc's <malloc.h>
THRESHOLD_BYTES = 1 << 20


def return_large_blocks() -> bool:
    """Fix glibc's mmap threshold; whether it was done (False off glibc)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False
