"""How the server's memory goes back to the operating system (glibc's ``malloc``).

**Large blocks.** glibc's ``malloc`` serves blocks above a threshold with their own
``mmap`` and unmaps them when freed, but by default it raises that threshold to the size of
each such block freed, so that a second 16 MiB request (scrypt's working memory, for one)
is served from the thread's heap instead and stays resident there after it is freed: one
password check per worker thread and the server keeps 16 MiB per worker for good. Fixing
the threshold at 1 MiB turns the adjustment off: blocks that big are mapped and unmapped
every time, which costs a few page faults per block, nothing beside a password check's
40 ms.

Fixing it also fixes the trim threshold, the free memory a heap keeps at its top rather
than give back, at glibc's default of 128 KiB; a busy server frees and takes back more
than that between two bursts all the time, and every page taken back is a page fault
(24,000 in a five-second burst of 50 clients talking at once). It is set to 4 MiB, a
little more than what that burst cycles, so such memory stays with the process.

**Heaps.** glibc gives threads heaps of their own, up to eight per core, and a heap gives
memory back only from its top: what is freed in its middle stays counted in the process's
RSS. A thread per connection, each allocating what it reads, spreads the server over
many heaps, each holding some freed memory, and the server grows slowly however much it
frees. The threads take turns at the interpreter, so they seldom allocate at the same
moment: :data:`HEAPS` heaps serve them all (:func:`tune`). And once a minute the server's
housekeeping thread calls :func:`release` (``malloc_trim``), which gives every free page of
every heap back, so that a burst's memory goes back a minute after it.

Elsewhere than on glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from typing import Final

M_TRIM_THRESHOLD: Final = -1  # from glibc's <malloc.h>
M_MMAP_THRESHOLD: Final = -3
M_ARENA_MAX: Final = -8
THRESHOLD_BYTES: Final = 1 << 20
TRIM_BYTES: Final = 4 << 20
HEAPS: Final = 2
RELEASE_SECONDS: Final = 60.0


def _glibc() -> ctypes.CDLL | None:
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC: Final = _glibc()
AVAILABLE: Final = _LIBC is not None


def tune() -> bool:
    """Fix glibc's mmap and trim thresholds and its number of heaps (before threads
    start: a thread keeps the heap it was given); whether it was done (False off glibc)."""
    if _LIBC is None:
        return False
    try:
        done = [
            _LIBC.mallopt(M_TRIM_THRESHOLD, TRIM_BYTES),
            _LIBC.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES),
            _LIBC.mallopt(M_ARENA_MAX, HEAPS),
        ]
    except AttributeError:
        return False
    return all(done)


def release() -> bool:
    """Give every heap's free pages back to the system; True if there were some.

    Runs without the interpreter's lock (``ctypes`` lets go of it), taking each heap's
    own lock in turn for as long as it takes to walk that heap: a millisecond or so.
    """
    if _LIBC is None:
        return False
    try:
        return bool(_LIBC.malloc_trim(ctypes.c_size_t(0)))
    except AttributeError:
        return False
