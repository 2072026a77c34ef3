"""A connection's bounded outgoing queue, written without ever blocking the writer.

Theory of operation: any thread may :meth:`Outbox.post` bytes for a client; the outbox
is then flushed by the sender thread (or at once, without one, or when a round of one
delivery is posted and nothing waits in the outbox: the bytes then go straight to the
kernel). Flushing sends
everything queued in one ``send`` call with ``MSG_DONTWAIT``; whatever the kernel does
not take stays queued and the outbox is *parked* with the
:class:`~chinwag.server.drainer.Drainer`, which finishes the job when the socket becomes
writable. So a client that does not read costs its senders nothing: their
threads never wait on it. When the queued bytes would pass the limit, the outbox closes
and ``on_overflow`` is called once (the connection then drops the client). A closed
outbox lets go of ``on_overflow``, its one reference back to its connection, so a
finished connection is freed at once, not by a later full garbage collection.

Past a quarter of the limit the outbox is congested until it is down to a sixteenth,
and tells the :class:`~chinwag.server.congestion.Congestion` gate, which holds the
talkers back meanwhile; it notes when the kernel last took some of its bytes, so that
the gate can tell a client that reads slowly from one that does not read at all.

With TLS, queued plaintext is sealed into records when it is flushed, and the reader
decrypts through :meth:`Outbox.open`, both under the outbox's lock (see ``tls.py``).
"""

from __future__ import annotations

import fcntl
import socket
import sys
import termios
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chinwag.server.congestion import Congestion

DEFAULT_SEND_QUEUE_BYTES = 1024 * 1024
_DONTWAIT = socket.MSG_DONTWAIT  # a global, not an attribute lookup, in the hot path


class Parking(Protocol):
    def park(self, outbox: Outbox) -> None: ...


class Scheduler(Protocol):
    # True while a round of one delivery is posted: nothing else would join it.
    at_once: bool

    def due(self, outbox: Outbox) -> None: ...


class RecordLayer(Protocol):
    """What sits between plaintext and the wire (TLS); ``None`` when nothing does."""

    def seal(self, plaintext: bytes) -> bytes: ...

    def open(self, data: bytes) -> tuple[bytes, bytes]: ...


class _Posted:
    """Where an outbox keeps what every post reads: see :class:`Outbox`'s slots."""

    # The sender thread touches every recipient's outbox for every message, and after
    # the pause between paced messages those objects are no longer in the CPU's caches.
    # CPython lays out a class's slots in alphabetical order, after its base's: the
    # fields of a post are this base's, so that they share the object's first bytes
    # (two cache lines) with its header, and the rest come after them.
    __slots__ = (
        "_closed",
        "_due",
        "_high",
        "_lock",
        "_parked",
        "_queued",
        "_records",
        "_sealed",
        "_sender",
        "sock",
    )


def _closed(reason: str) -> None:
    """The ``on_overflow`` of a closed outbox: its client is being dropped already."""


class Outbox(_Posted):
    # Slots, not a dict (see :class:`_Posted`), after the fields of a post.
    __slots__ = (
        "_chunks",
        "_clock",
        "_congested",
        "_congestion",
        "_emptied",
        "_emptied_event",
        "_kernel_queued",
        "_low",
        "_on_overflow",
        "_parking",
        "_relieved",
        "_waiting",
        "_wire",
        "congested_since",
        "limit",
        "progressed_at",
    )

    def __init__(
        self,
        sock: socket.socket,
        limit: int,
        parking: Parking,
        on_overflow: Callable[[str], None],
        *,
        records: RecordLayer | None = None,
        sender: Scheduler | None = None,
        congestion: Congestion | None = None,
    ) -> None:
        """``on_overflow(reason)`` is called once when the client is to be dropped for
        not reading: its queue passed ``limit``, or it stalled while congested."""
        self.sock = sock
        self.limit = limit
        self._parking = parking
        self._on_overflow = on_overflow
        self._congestion = congestion
        # Marks past which this outbox is congested, and down to which it is relieved.
        self._high = limit // 4 if congestion is not None else limit
        self._low = limit // 16
        self._clock = congestion.clock if congestion is not None else time.monotonic
        self._congested = False
        self._relieved = False  # relieved under the lock; the gate is told after it
        # When the kernel last took some of this client's bytes while others waited (or
        # when bytes began to wait): how long a client has made no progress is measured
        # from here, including the time before its queue grew long enough to count.
        self.progressed_at = 0.0
        self._kernel_queued = 0  # bytes in the kernel's send queue when last asked
        self._waiting = False  # the kernel did not take everything last time
        self.congested_since = 0.0
        self._lock = threading.Lock()
        self._records = records
        self._sender = sender
        self._chunks: list[bytes] = []  # queued, not yet sealed or sent
        self._wire = b""  # ready for the socket: what a send did not take, or sealed records
        self._queued = 0
        self._parked = False
        self._sealed = False  # after the last words, nothing more is queued
        self._due = False  # handed to the sender thread, not flushed yet
        self._closed = False
        # Sealed, and nothing left to send; the event for :meth:`finish` to wait on is
        # made only when someone waits: an Event is five more objects per connection,
        # spread between the outboxes the sender thread walks for every message.
        self._emptied = False
        self._emptied_event: threading.Event | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def post(self, data: bytes) -> None:  # noqa: PLR0912 - every recipient, one frame
        """Queue ``data`` and have it sent soon: by the sender thread when there is one
        (once for everything queued until it comes round), else at once. Never blocks."""
        park = relieved = False  # when sent at once: what is left over, and relief
        overflowed: Callable[[str], None] | None = None
        with self._lock:
            if self._closed or self._sealed:
                return
            waiting = self._queued
            queued = waiting + len(data)
            if queued > self._high:  # rare: congested, or past the limit
                due = self._post_high_locked(data, queued)
                if due is None:
                    overflowed = self._close_locked()
            elif self._due or self._parked:
                self._chunks.append(data)  # already on its way: this goes with it
                self._queued = queued
                return
            elif self._sender is None or not self._sender.at_once:
                self._chunks.append(data)
                self._queued = queued
                self._due = due = True
            elif not waiting and self._records is None:
                # The common case of a quiet server, once per recipient of each message:
                # nothing waits, so the bytes go straight to the kernel, and a send that
                # takes them all leaves nothing to update.
                try:
                    sent = self.sock.send(data, _DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    self._close_locked()  # the peer is gone; its reader sees the same
                    return
                if sent == queued:
                    return
                park, due = self._keep_rest_locked(data[sent:]), False
            else:
                self._chunks.append(data)
                self._queued = queued
                park, relieved = self._send_at_once_locked()
                due = False
        if relieved:
            self._relieve()
        if park:
            self._parking.park(self)
        if overflowed is not None:
            overflowed("send queue exceeded")
        elif due:
            if self._sender is not None:
                self._sender.due(self)
            else:
                self.flush()

    def _keep_rest_locked(self, rest: bytes) -> bool:
        """Keep what the kernel did not take of a message sent as posted, to be sent when
        the socket is writable; ``True``: the outbox is to be parked."""
        self._wire = rest
        self._queued = len(rest)
        self.progressed_at = self._clock()  # bytes begin to wait now
        self._waiting = True
        self._parked = True
        return True

    def _send_at_once_locked(self) -> tuple[bool, bool]:
        """Send what is queued (the sender thread, posting a message it would flush right
        after: in one step, rather than mark the outbox and come back); whether the rest
        must be parked, and whether the outbox was relieved."""
        self._send_locked()
        park = self._parked = self._queued > 0
        relieved, self._relieved = self._relieved, False
        return park, relieved

    def _post_high_locked(self, data: bytes, queued: int) -> bool | None:
        """:meth:`post` past the high-water mark: ``None`` if the outbox overflowed (to be
        closed by the caller), else whether it must be scheduled. Tells the gate (under
        the lock: its lock is only ever taken last) when the outbox becomes congested."""
        if queued > self.limit:
            return None
        self._chunks.append(data)
        self._queued = queued
        if not self._congested and self._congestion is not None:
            self._congested = True
            self._kernel_queued = self._kernel_waiting()  # to tell later if it moves
            self.congested_since = now = self._clock()
            if not self._waiting:
                self.progressed_at = now
            self._congestion.congested(self)
        if self._due or self._parked:
            return False
        self._due = True
        return True

    def reading(self) -> bool:
        """Whether the client took bytes out of the kernel's send queue since last asked
        (the bytes sent and not yet acknowledged, ``SIOCOUTQ``, went down): it reads,
        though the kernel has not had room enough yet to say the socket is writable."""
        waiting = self._kernel_waiting()
        before, self._kernel_queued = self._kernel_queued, waiting
        return waiting < before

    def _kernel_waiting(self) -> int:
        """The bytes in the kernel's send queue (-1 if it cannot say: closed meanwhile)."""
        try:
            answer = fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        except (OSError, ValueError):
            return -1
        return int.from_bytes(answer, sys.byteorder, signed=True)

    def stalled(self) -> None:
        """Drop the client, which has not caught up for too long while congested."""
        self._close()("send queue stalled")

    def write_last(self, data: bytes) -> None:
        """Queue ``data`` (maybe nothing), flush, and accept nothing more, in one step.

        In one step so that no other thread's line can slip in after the last words.
        """
        with self._lock:
            if self._sealed:
                return
            self._sealed = True
            if data and not self._closed and self._queued + len(data) <= self.limit:
                self._chunks.append(data)
                self._queued += len(data)
            park = self._flush_locked()
            if not park and not self._parked:
                self._set_emptied()
            relieved = self._take_relief()
        if relieved:
            self._relieve()
        if park:
            self._parking.park(self)

    def finish(self, timeout: float) -> bool:
        """Accept nothing more and wait, at most ``timeout`` seconds, until everything
        queued has been handed to the kernel (or the outbox closed); ``True`` if it was."""
        self.write_last(b"")
        with self._lock:
            if self._emptied:
                return True
            if self._emptied_event is None:
                self._emptied_event = threading.Event()
            emptied = self._emptied_event
        return emptied.wait(timeout)

    def _set_emptied(self) -> None:
        """Note that nothing is left to send (called with the lock)."""
        self._emptied = True
        if self._emptied_event is not None:
            self._emptied_event.set()

    def flush(self) -> None:
        """Send what is queued, as far as the socket takes it now; park the rest."""
        with self._lock:
            self._due = False
            if self._parked or self._closed or not self._queued:
                return  # nothing to send here (and so nothing relieved)
            # _flush_locked inline: this runs once per recipient of every message.
            self._send_locked()
            park = self._parked = self._queued > 0
            relieved = self._relieved  # rare: checked inline, taken only when set
            if relieved:
                self._relieved = False
        if relieved:
            self._relieve()
        if park:
            self._parking.park(self)

    def _flush_locked(self) -> bool:
        """Send what the socket takes; ``True`` if the rest must be parked (by the caller,
        once the lock is released)."""
        if self._parked or self._closed or not self._queued:
            return False
        self._send_locked()
        if not self._queued:
            return False
        self._parked = True
        return True

    def open(self, data: bytes) -> bytes:
        """Pass received ``data`` through the record layer; return the plaintext."""
        if self._records is None:
            return data
        with self._lock:
            plaintext, reply = self._records.open(data)
            park = False
            if reply and not self._closed:
                # Records the TLS layer wants sent back (a handshake message, a ticket)
                # go out like any other bytes, and whatever the socket does not take
                # is parked rather than left behind.
                self._wire += reply
                self._queued += len(reply)
                park = self._flush_locked()
            relieved = self._take_relief()
        if relieved:
            self._relieve()
        if park:
            self._parking.park(self)
        return plaintext

    def send_parked(self) -> bool:
        """Called by the drainer when the socket is writable; ``True`` once nothing is left."""
        with self._lock:
            if not self._closed:
                self._send_locked()
            relieved = self._take_relief()
            done = not self._queued or self._closed
            if done:
                self._parked = False
                if self._sealed:
                    self._set_emptied()
        if relieved:
            self._relieve()
        return done

    def close(self) -> None:
        """Drop whatever is queued and accept nothing more."""
        self._close()

    def _close(self) -> Callable[[str], None]:
        """:meth:`close`; what :meth:`_close_locked` returns."""
        with self._lock:
            overflowed = self._close_locked()
        self._relieve()
        return overflowed

    def _take_relief(self) -> bool:
        """Whether this outbox was relieved since the last call (called with the lock)."""
        relieved, self._relieved = self._relieved, False
        return relieved

    def _relieve(self) -> None:
        if self._congestion is not None:
            self._congestion.relieved(self)

    def _close_locked(self) -> Callable[[str], None]:
        """Close; return ``on_overflow`` (a no-op once closed), which the outbox lets go
        of: it is the outbox's one reference back to its connection, and a connection
        that points to its outbox would otherwise be a reference cycle, freed (with its
        socket, thread, session and buffers) only by the garbage collector's next full
        collection, so that a server with many short connections holds many dead ones."""
        overflowed, self._on_overflow = self._on_overflow, _closed
        self._closed = True
        self._congested = False
        self._set_emptied()
        self._chunks.clear()
        self._wire = b""
        self._queued = 0
        return overflowed

    def _send_locked(self) -> None:
        if self._chunks:
            data = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
            self._chunks.clear()
            if self._records is not None:
                data = self._records.seal(data)
            self._wire = self._wire + data if self._wire else data
        data = self._wire
        try:
            sent = self.sock.send(data, _DONTWAIT)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            # The peer is gone. Its reader thread sees the same and cleans up.
            self._close_locked()
            return
        self._wire = data[sent:] if sent < len(data) else b""
        self._queued = len(self._wire)
        if self._queued:  # the client is behind: note whether it is moving at all
            if sent or not self._waiting:
                self.progressed_at = self._clock()
                self._waiting = True
                if sent and self._congested:
                    # The kernel's queue grew by what it took: its client's reading is
                    # told from here on (see reading()).
                    self._kernel_queued = self._kernel_waiting()
        else:
            self._waiting = False
        if self._congested and self._queued <= self._low:
            self._congested = False
            self._relieved = True
