"""Freed memory goes back to the system (glibc only: elsewhere there is nothing to do)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from chinwag import memory

pytestmark = pytest.mark.skipif(not memory.AVAILABLE, reason="the C library has no malloc_trim")

MIB = 1 << 20


def _rss() -> int:
    pages = Path("/proc/self/statm").read_text().split()[1]
    return int(pages) * os.sysconf("SC_PAGE_SIZE")


def test_memory_freed_in_a_thread_is_given_back() -> None:
    held: list[bytes] = []
    peak = 0

    def allocate_and_free() -> None:
        nonlocal peak
        # Bigger than Python's own small-object arenas take: from malloc, in this
        # thread's heap. A few blocks stay, spread over it, so that the heap cannot
        # shrink from its top and the freed memory stays counted in RSS.
        blocks = [bytes(2000) + bytes([i % 256]) for i in range(30_000)]
        peak = _rss()
        held.extend(blocks[2999::3000])
        del blocks

    thread = threading.Thread(target=allocate_and_free)
    thread.start()
    thread.join()
    freed = _rss()
    assert peak - freed < 10 * MIB  # still held by the C library

    assert memory.release()

    assert freed - _rss() > 40 * MIB  # ~60 MiB were allocated and freed
    assert len(held) == 10
