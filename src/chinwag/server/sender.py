"""The sender thread: sends what reader threads queued, many messages to a send.

Reader threads queue a message for each recipient and then only mark the recipients'
outboxes as due (:meth:`Sender.due`). This thread takes every due outbox in turn and
flushes it. While it is busy, readers keep queuing and marking; an outbox already due is
not marked twice, so the next round sends everything queued for it since, from every
sender, in one ``send``. Under load that is many messages per system call; when the chat
is quiet it is one thread hand-off per message, a few tens of microseconds.
"""

from __future__ import annotations

import threading

from chinwag import log
from chinwag.server.outbox import Outbox


class Sender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[Outbox, None] = {}  # ordered: outboxes flush in the order marked
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="chinwag-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def due(self, outbox: Outbox) -> None:
        """Have ``outbox`` flushed soon; never blocks."""
        with self._lock:
            self._due[outbox] = None
        if not self._wake.is_set():
            self._wake.set()

    def stop(self) -> None:
        """Flush what is due, then end the thread."""
        self._stop = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                due, self._due = self._due, {}
            for outbox in due:
                try:
                    outbox.flush()
                except Exception:  # noqa: BLE001 - one outbox must not stop the others
                    log.problem("error while sending")
            if self._stop and not self._due:
                return
