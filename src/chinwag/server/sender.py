"""The sender thread: hands out what reader threads submit, and sends it, in bulk.

Reader threads do not fan their messages out themselves while the chat is busy: they
append the hub's deliveries to one queue (:meth:`Sender.submit`, a few hundred
nanoseconds) and go back to reading. This thread takes everything queued in one go and
dispatches it in the order it was submitted, so the messages of many senders to one room
become one burst, queued as one piece for each member of the room
(:mod:`chinwag.server.dispatch`). Queuing marks the recipients' outboxes as due
(:meth:`Sender.due`); the thread then flushes each due outbox once, so a recipient gets
everything since the last round in one ``send``. The busier the chat, the more each round
carries. A round of one delivery, which has nothing to gather, sends as it posts
(:attr:`Sender.at_once`: each outbox sends at once unless something waits in it).

When it is quiet (the thread waits for work, nothing is queued, and the server has
been delivering fewer than :data:`BUSY_COPIES_PER_SECOND` copies a second), waking the
thread would only hand a round of one delivery from one thread to another: two context
switches and a hand-over of the interpreter's lock for every message. So such a submitter
dispatches its own deliveries, under the same lock and with the same rule for sending at
once; whatever others submit meanwhile waits for that lock, so the order of submission
is kept. When the server is busy, a message is likely to have company within the time a
hand-over takes, and a message dispatched at once would cost a ``send`` per recipient
that the thread's round would have shared with the messages behind it (in a room of 500,
500 ``send`` calls against one hand-over): then the thread gathers even when it is idle.
The rate is counted in copies (recipients), not messages, because that is what a round
saves: a message to 5 is worth dispatching at once at a rate where one to 500 is not.

Two things are dispatched at once by the thread that submits them, under the same lock, in
the same order: a farewell (its recipient is closed right after its last words, which must
follow everything submitted before them), and anything submitted while the queue is long
(readers then pay for their own messages, so the queue cannot grow without bound).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from itertools import chain

from chinwag import log
from chinwag.hub.events import Delivery, Farewell
from chinwag.server.dispatch import deliver
from chinwag.server.outbox import Outbox
from chinwag.server.router import Router
from chinwag.worker import Worker

MAX_QUEUED = 100  # submissions waiting before submitters dispatch themselves
# Copies of messages (one per recipient) dispatched a second above which the server is
# busy, so that submitters leave even a lone message to the thread (see the module
# docstring): about a tenth of a core's time in ``send`` calls, if each went alone. A
# room of 100 with five people talking at 20 lines a second each is about 10,000.
BUSY_COPIES_PER_SECOND = 20_000
RATE_WINDOW_SECONDS = 0.1


class DeliveryRate:
    """Whether the server is busy delivering: more than ``busy`` copies a second, over
    the last window of ``window`` seconds that ended, or over the current one already.

    :meth:`add` is called by one thread at a time (the dispatcher, under its lock);
    :meth:`busy` by any: a reading that misses a beat only misjudges one message.
    """

    def __init__(
        self,
        busy: float = BUSY_COPIES_PER_SECOND,
        window: float = RATE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._busy_rate = busy
        self._window = window
        self._per_window = busy * window
        self._clock = clock
        self._start = clock()
        self._count = 0
        self._busy = False  # over the last window that ended

    def add(self, copies: int) -> None:
        """Count ``copies`` just dispatched."""
        now = self._clock()
        elapsed = now - self._start
        if elapsed >= self._window:  # a window ended: judged over all the time since
            self._busy = self._count > self._busy_rate * elapsed
            self._start, self._count = now, 0
        self._count += copies

    def busy(self) -> bool:
        return self._busy or self._count > self._per_window


class Sender:
    def __init__(self, router: Router, rate: DeliveryRate | None = None) -> None:
        self._router = router  # this server's endpoints, by member id
        self._rate = rate if rate is not None else DeliveryRate()
        self._lock = threading.Lock()
        self._due: dict[Outbox, None] = {}  # ordered: outboxes flush in the order marked
        self._queue: deque[Sequence[Delivery]] = deque()
        self._dispatching = threading.Lock()  # keeps dispatch in submission order
        self._wake = threading.Event()
        # True while this thread dispatches, when it flushes what it marks anyway.
        self._dispatching_here = False
        # True while this thread waits for work: a submitter then dispatches itself.
        self._idle = False
        # True while a round of one delivery is dispatched (by this thread, or by a
        # submitter while it is idle): outboxes then send what is posted to them at
        # once, as nothing else this round could join it.
        self.at_once = False
        self._worker = Worker("chinwag-sender", self._round, log.problem)

    def start(self) -> None:
        self._worker.start()

    def submit(self, deliveries: Sequence[Delivery]) -> None:
        """Have ``deliveries`` dispatched after everything submitted before them."""
        if not deliveries:
            return
        queue = self._queue
        queue.append(deliveries)
        if len(queue) > MAX_QUEUED or any(
            isinstance(delivery.event, Farewell) for delivery in deliveries
        ):
            self.dispatch()
        elif (
            self._idle
            and len(queue) == 1
            and not self._wake.is_set()
            and not self._rate.busy()
            and self._dispatching.acquire(blocking=False)
        ):
            try:  # quiet: dispatched here, as the thread would (see the module docstring)
                self._dispatch_locked(at_once=True)
            except Exception:  # noqa: BLE001 - as a round of the thread: these are lost
                log.problem(f"error in {self._worker.name} (in a submitter); it carries on")
            finally:
                self._dispatching.release()
        elif not self._wake.is_set():
            self._wake.set()

    def dispatch(self) -> None:
        """Dispatch everything submitted so far, in order, in the calling thread; the
        sender thread sends it."""
        with self._dispatching:
            self._dispatch_locked(at_once=False)
        if self._due and not self._wake.is_set():
            self._wake.set()

    def _dispatch_locked(self, *, at_once: bool) -> None:
        """Dispatch what is queued (with the dispatching lock); with ``at_once``, a round
        of one delivery is sent as it is posted, else outboxes are marked due."""
        queue = self._queue
        while queue:
            batch = [queue.popleft() for _ in range(len(queue))]
            self.at_once = at_once and len(batch) == 1 and len(batch[0]) == 1
            try:
                self._rate.add(deliver(chain.from_iterable(batch), self._router))
            finally:
                self.at_once = False

    @property
    def idle(self) -> bool:
        """Whether the thread waits for work (a submission to an empty queue is then
        dispatched by its submitter)."""
        return self._idle

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
        self._idle = True
        self._wake.wait()
        self._idle = False
        self._wake.clear()
        self._dispatching_here = True
        try:
            with self._dispatching:
                self._dispatch_locked(at_once=True)
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
