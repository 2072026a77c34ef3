"""Giving memory that was freed back to the system.

A thread per connection means many threads allocating and freeing. Python takes small
objects from arenas of its own, but everything bigger (what a socket read returns, a
batch of lines to send) comes from the C library's ``malloc``, and glibc's keeps one heap
per thread it saw allocate (up to eight per core) and returns freed memory to the system
only from the top of each heap. Memory freed in the middle of a heap stays counted in the
process's RSS, so a server whose connections come and go grows slowly however much it
frees. ``malloc_trim(0)`` gives every free page of every heap back (``madvise``); the
server calls :func:`release` from its housekeeping thread once a minute
(:data:`RELEASE_SECONDS`). Elsewhere (no glibc) :func:`release` does nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Final

RELEASE_SECONDS: Final = 60.0


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (AttributeError, OSError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM: Final = _malloc_trim()

AVAILABLE: Final = _TRIM is not None


def release() -> bool:
    """Give the C library's free memory back to the system; True if some was.

    Runs without the interpreter's lock (``ctypes`` lets go of it), taking each heap's
    own lock in turn for as long as it takes to walk that heap: a few milliseconds.
    """
    return _TRIM is not None and _TRIM(0) == 1
