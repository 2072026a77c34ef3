"""The drainer thread: finishes sending for outboxes whose socket was full.

Outboxes are parked here from any thread (rarely: only when a client reads slower than
the chat talks). One thread waits in ``select`` for those sockets to become writable and
sends what is queued; a socketpair wakes it when an outbox is parked or the drainer stops.
Parking goes through a queue so that only the drainer thread touches its selector.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from chinwag import log
from chinwag.server.outbox import Outbox
from chinwag.worker import Worker


class Drainer:
    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._arrivals: list[Outbox] = []
        self._watched: dict[Outbox, int] = {}  # outbox -> the file descriptor it is watched under
        self._worker = Worker("chinwag-drainer", self._round, log.problem)

    def start(self) -> None:
        self._worker.start()

    def park(self, outbox: Outbox) -> None:
        with self._lock:
            self._arrivals.append(outbox)
        self._wake()

    def stop(self) -> None:
        self._worker.stop(self._wake)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _round(self) -> bool:
        """Wait for writable sockets and send to them; False once stopped."""
        watched = self._watched
        try:
            ready = self._selector.select()
        except OSError:
            log.problem("the drainer's select failed")
            ready = []
        for key, _ in ready:
            if key.fileobj is self._wake_r:
                with contextlib.suppress(BlockingIOError):
                    self._wake_r.recv(4096)
            elif key.data.send_parked():
                self._forget(key.data, watched)
        # Forget closed outboxes before watching new ones: a closed connection's file
        # descriptor number may already belong to a socket that is parking now.
        for outbox in [o for o in watched if o.closed]:
            self._forget(outbox, watched)
        self._admit_arrivals(watched)
        return not self._worker.stopping.is_set()

    def _admit_arrivals(self, watched: dict[Outbox, int]) -> None:
        with self._lock:
            arrivals, self._arrivals = self._arrivals, []
        for outbox in arrivals:
            if outbox in watched or outbox.closed:
                continue
            try:
                fd = outbox.sock.fileno()
                self._selector.register(fd, selectors.EVENT_WRITE, outbox)
            except (ValueError, KeyError, OSError):
                log.problem("could not watch a parked connection; dropping its queue")
                outbox.close()
                continue
            watched[outbox] = fd

    def _forget(self, outbox: Outbox, watched: dict[Outbox, int]) -> None:
        fd = watched.pop(outbox, None)
        if fd is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(fd)
