"""Flow control between clients: when listeners fall behind, the talkers wait for them.

Theory of operation: every outbox counts the bytes queued for its client. Past its
high-water mark (a quarter of ``send_queue_bytes``) it is *congested* and says so here;
once sent down to its low-water mark (a sixteenth) it is relieved. While any outbox is
congested, reader threads wait before reading their next chunk (:meth:`Congestion.wait`),
so clients that talk are held back by TCP, not cut off, until those that listen catch up:
a burst slows the room down and loses nothing.

Waiting depends only on outboxes draining to the network, which the sender and drainer
threads do and which never wait here, so readers never wait for each other and nothing
here can deadlock. A reader waits with no lock held and wakes when relieved, when its own
connection closes (:meth:`Congestion.wake`), or when the congested clients stop taking
bytes: a client whose kernel has taken nothing for ``patience`` seconds (counted from
when its bytes began to wait, which for a client that has stopped reading is before its
queue was long enough to count) no longer holds anyone back (its queue then fills to
the hard limit and it is dropped). A client that reads, however slowly, makes progress
every few milliseconds; one that does not read stops all at once, so a short patience
tells them apart without holding the room back for the dead one, and one that is still
congested ``stall`` seconds after it became so is dead (:meth:`Congestion.stalled`, asked
by the housekeeping thread), however quiet the room: with the talkers waiting for it, a
client that reads at all catches up in far less, so one that trickles a few bytes at a
time cannot hold the room back for longer than that either.

The per-message cost is one comparison in :meth:`Outbox.post
<chinwag.server.outbox.Outbox.post>` and one attribute read per chunk a reader reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

DEFAULT_PATIENCE_SECONDS = 0.3
DEFAULT_STALL_SECONDS = 10.0


class Gauge(Protocol):
    """What the gate needs to know of an outbox."""

    @property
    def closed(self) -> bool: ...

    # When the kernel last took some of the queued bytes (or congestion began); the gate
    # moves it on when the client is found reading.
    progressed_at: float

    @property
    def congested_since(self) -> float:
        """When the queue last went past the high-water mark."""

    def stalled(self) -> None:
        """Drop the client: it has not taken anything for too long."""

    def reading(self) -> bool:
        """Whether the client took bytes out of the kernel's buffers since last asked."""


class Congestion:
    """The server-wide gate readers pass before each read."""

    def __init__(
        self,
        patience: float = DEFAULT_PATIENCE_SECONDS,
        stall: float = DEFAULT_STALL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.patience = patience
        self.stall = stall
        self.clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._congested: dict[Gauge, None] = {}
        # Read without the lock by every reader before every chunk: a stale True costs
        # one trip through wait(), a stale False one more chunk read.
        self.active = False

    def congested(self, outbox: Gauge) -> None:
        with self._cond:
            self._congested[outbox] = None
            self.active = True

    def relieved(self, outbox: Gauge) -> None:
        with self._cond:
            if self._congested.pop(outbox, 0) is None:
                self.active = bool(self._congested)
                self._cond.notify_all()

    def wake(self) -> None:
        """Have waiting readers look again (one of their connections is closing)."""
        with self._cond:
            self._cond.notify_all()

    def _holding_until(self, now: float) -> float:
        """Until when (by the clock) the congested clients hold readers back, as things
        stand; in the past if none does. Called with the lock held.

        The server sends to a client whose kernel buffer is full only once the kernel
        says it has room, a third of the buffer, which may be megabytes: a client that
        reads steadily but slowly may look still for longer than the patience. So before
        a client counts as still, the kernel is asked whether its bytes are moving."""
        until = float("-inf")
        for outbox in list(self._congested):
            if outbox.closed:
                del self._congested[outbox]
                continue
            held = outbox.progressed_at + self.patience
            if held <= now and outbox.reading():
                outbox.progressed_at = now  # it reads: it goes on holding readers back
                held = now + self.patience
            until = max(until, held)
        self.active = bool(self._congested)
        return until

    def wait(self, stop: threading.Event) -> None:
        """Wait until no congested client that is still taking bytes holds readers back,
        or ``stop`` is set."""
        with self._cond:
            while not stop.is_set():
                now = self.clock()
                left = self._holding_until(now) - now
                if left <= 0:
                    return
                self._cond.wait(left)

    def stalled(self) -> list[Gauge]:
        """The outboxes that have been congested for ``stall`` seconds."""
        with self._cond:
            now = self.clock()
            return [o for o in self._congested if now - o.congested_since >= self.stall]
