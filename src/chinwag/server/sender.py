"""The sender thread: hands out what reader threads submit, and sends it, in bulk.

Reader threads do not fan their messages out themselves: they append the hub's
deliveries to one queue (:meth:`Sender.submit`, a few hundred nanoseconds) and go back to
reading. This thread takes everything queued in one go and dispatches it in the order it
was submitted, so the messages of many senders to one room become one burst, queued as
one piece for each member of the room (:mod:`chinwag.server.dispatch`). Queuing marks the
recipients' outboxes as due (:meth:`Sender.due`); the thread then flushes each due outbox
once, so a recipient gets everything since the last round in one ``send``. The busier the
chat, the more each round carries; when it is quiet, a message costs one thread hand-off,
and a round of one delivery, which has nothing to gather, sends as it posts
(:attr:`Sender.at_once`: each outbox sends at once unless something waits in it).

Two things are dispatched at once by the thread that submits them, under the same lock, in
the same order: a farewell (its recipient is closed right after its last words, which must
follow everything submitted before them), and anything submitted while the queue is long
(readers then pay for their own messages, so the queue cannot grow without bound).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from itertools import chain

from chinwag import log
from chinwag.hub.events import Delivery, Farewell
from chinwag.server.dispatch import deliver
from chinwag.server.outbox import Outbox
from chinwag.server.router import Router
from chinwag.worker import Worker

MAX_QUEUED = 100  # submissions waiting before submitters dispatch themselves


class Sender:
    def __init__(self, router: Router) -> None:
        self._router = router  # this server's endpoints, by member id
        self._lock = threading.Lock()
        self._due: dict[Outbox, None] = {}  # ordered: outboxes flush in the order marked
        self._queue: deque[Sequence[Delivery]] = deque()
        self._dispatching = threading.Lock()  # keeps dispatch in submission order
        self._wake = threading.Event()
        # True while this thread dispatches, when it flushes what it marks anyway.
        self._dispatching_here = False
        # True while this thread dispatches a round of one delivery: outboxes then send
        # what is posted to them at once, as nothing else this round could join it.
        self.at_once = False
        self._worker = Worker("chinwag-sender", self._round, log.problem)

    def start(self) -> None:
        self._worker.start()

    def submit(self, deliveries: Sequence[Delivery]) -> None:
        """Have ``deliveries`` dispatched after everything submitted before them."""
        if not deliveries:
            return
        self._queue.append(deliveries)
        if len(self._queue) > MAX_QUEUED or any(
            isinstance(delivery.event, Farewell) for delivery in deliveries
        ):
            self.dispatch()
        elif not self._wake.is_set():
            self._wake.set()

    def dispatch(self) -> None:
        """Dispatch everything submitted so far, in order, in the calling thread; the
        sender thread sends it."""
        self._dispatch_queued()
        if self._due and not self._wake.is_set():
            self._wake.set()

    def _dispatch_queued(self) -> None:
        with self._dispatching:
            queue = self._queue
            while queue:
                batch = [queue.popleft() for _ in range(len(queue))]
                self.at_once = self._dispatching_here and len(batch) == 1 and len(batch[0]) == 1
                try:
                    deliver(chain.from_iterable(batch), self._router)
                finally:
                    self.at_once = False

    def due(self, outbox: Outbox) -> None:
        """Have ``outbox`` flushed soon; never blocks."""
        with self._lock:
            self._due[outbox] = None
        if not self._dispatching_here and not self._wake.is_set():
            self._wake.set()  # marked by another thread (the console): come round

    def stop(self) -> None:
        """Dispatch and flush what is queued, then end the thread."""
        self._worker.stop(self._wake.set)

    def _round(self) -> bool:
        """Dispatch what is queued and flush what is due; False once stopped and done.

        A round that fails loses what it had taken (the worker logs it); the next round
        carries on with what came after.
        """
        self._wake.wait()
        self._wake.clear()
        self._dispatching_here = True
        try:
            self._dispatch_queued()
        except Exception:
            self._wake.set()  # what was marked due before the failure still goes out
            raise
        finally:
            self._dispatching_here = False
        with self._lock:
            due, self._due = self._due, {}
        for outbox in due:
            try:
                outbox.flush()
            except Exception:  # noqa: BLE001 - one outbox must not stop the others
                log.problem("error while sending")
        if not self._worker.stopping.is_set():
            return True
        if self._queue or self._due:
            self._wake.set()  # another round for what came in meanwhile
            return True
        return False
