"""What a node has yet to write to the log: its operations in order, the messages bounded.

Theory of operation: callers :meth:`~Backlog.put` encoded operations, each numbered in
order (its *sequence*: how the node finds the caller waiting for it when the entry
comes back, and how readers drop an entry written twice); the node's writer takes
the oldest as a :meth:`~Backlog.batch`, writes it, and removes it once written
(:meth:`~Backlog.written`), so a failed write is tried again whole and nothing is lost
or reordered. Any thread puts; one at a time takes and removes (the node's writer: a
caller writing what is queued, or the appender, see :mod:`chinwag.cluster.link`).
Putting wakes nobody: a caller writes the log itself, and the appender, which retries
when Redis fails, is woken by :meth:`~Backlog.wake` when it is wanted.

Two kinds of operation wait here. Those that change the chat (an arrival, a departure,
a join, a ``node-lost``) and messages said while in touch are never dropped: the log is
how every node agrees, and there is at most one per connection waiting at a time (its
thread waits for it), besides the messages a connection did not wait for (a bounded
number: ``IN_FLIGHT`` in :mod:`chinwag.cluster.hub`), plus the rare ``node-lost``. The
others are *messages* said while the node is cut off from Redis, which its own users
have already heard (:mod:`chinwag.cluster`): they wait to reach the other nodes, and
are bounded. Past :data:`MAX_MESSAGES` waiting, a new one is refused
(:meth:`put` returns ``None``); one that waited longer than :data:`MAX_AGE_SECONDS`
without being tried is taken out by :meth:`expire`, which returns the sequences taken
out so that their senders can be told. A message already tried (it was in a batch whose
write failed, so Redis may have it) is never expired: the senders are told only of what
certainly did not reach the others. Pure: the clock is injected; no Redis here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_MESSAGES = 10_000  # messages said while cut off, waiting to reach the other nodes
MAX_AGE_SECONDS = 300.0  # ... and how long one may wait before it is given up


@dataclass(slots=True)
class _Queued:
    sequence: int
    data: bytes
    at: float  # when it was put, by the backlog's clock
    droppable: bool  # a message: bounded (see the module docstring)
    tried: bool = False  # it was in a batch whose write was attempted


class Backlog:
    """The operations waiting to be written to the log (see the module docstring)."""

    def __init__(
        self,
        *,
        max_messages: int = MAX_MESSAGES,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_messages = max_messages
        self.max_age = max_age
        self._clock = clock
        self._queue: deque[_Queued] = deque()
        self._messages = 0  # droppable entries in the queue
        self._sequence = 0
        self._written = 0  # the sequence of the last operation written
        self._ready = threading.Condition()
        self._woken = False  # wake() was called since the last wait()

    def put(self, data: bytes, *, droppable: bool = False) -> int | None:
        """Queue ``data``; its sequence number, or ``None`` for a message past the bound."""
        with self._ready:
            if droppable:
                if self._messages >= self.max_messages:
                    return None
                self._messages += 1
            self._sequence += 1
            self._queue.append(_Queued(self._sequence, data, self._clock(), droppable))
            return self._sequence

    def wait(self, timeout: float) -> bool:
        """Wait for :meth:`wake` (one since the last wait counts) or ``timeout``; whether
        anything is queued."""
        with self._ready:
            if not self._woken:
                self._ready.wait(timeout)
            self._woken = False
            return bool(self._queue)

    def wake(self) -> None:
        """Have the waiter (the appender) come round now."""
        with self._ready:
            self._woken = True
            self._ready.notify_all()

    def batch(self, most: int) -> list[tuple[int, bytes]]:
        """The oldest ``most`` operations (sequence, data), marked as tried."""
        with self._ready:
            taken = [self._queue[i] for i in range(min(most, len(self._queue)))]
            for item in taken:
                item.tried = True
        return [(item.sequence, item.data) for item in taken]

    def written(self, count: int) -> None:
        """The oldest ``count`` operations are in the log: forget them."""
        with self._ready:
            for _ in range(count):
                item = self._queue.popleft()
                self._messages -= item.droppable
                self._written = item.sequence

    def written_up_to(self) -> int:
        """The sequence of the last operation written (0: none yet); every one before
        it was written, or expired."""
        with self._ready:
            return self._written

    def expire(self) -> list[int]:
        """Take out the messages that waited too long untried; their sequences."""
        with self._ready:
            if not self._messages:
                return []  # the usual case: nothing said while cut off waits
            oldest = self._clock() - self.max_age
            if not any(i.droppable and not i.tried and i.at < oldest for i in self._queue):
                return []
            kept: deque[_Queued] = deque()
            expired: list[int] = []
            for item in self._queue:
                if item.droppable and not item.tried and item.at < oldest:
                    expired.append(item.sequence)
                else:
                    kept.append(item)
            self._queue = kept
            self._messages -= len(expired)
            return expired

    def messages(self) -> int:
        """How many messages (droppable operations) wait."""
        return self._messages

    def __len__(self) -> int:
        return len(self._queue)
