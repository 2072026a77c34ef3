"""The history writer thread: records and state changes reach the disk here, in batches.

Threads that chat hand items over with :meth:`HistoryWriter.put`: an append to a
bounded deque, O(1), no lock, no I/O, never blocking. When the queue is full the item is
dropped and counted; the count is logged at most once a minute. The writer thread takes
up to ``batch`` items at a time and writes the records among them in one transaction,
then applies the state changes (each a call on the state store); fewer than ``batch``
wait for more up to :data:`LINGER_SECONDS` (half a second) unless someone flushes, so
the disk lags chat, and a crash of the process may lose, at most that much. Every ``prune_seconds``
and after every ``PRUNE_BATCH`` records written, it deletes a step of at most
``PRUNE_BATCH`` expired records, so deleting keeps pace with writing in small steps.

Until a message is written, queries find it with :meth:`pending`: everything queued or
being written, oldest first. An item leaves the queue only after it joined the batch
being written, which :meth:`pending` also reads, and that batch is forgotten only once
written, so whatever :meth:`pending` misses is already in the store.

A write that fails (disk full, database deleted) loses its batch's messages; the failure
is logged at most once a minute and :attr:`available` turns false until a write succeeds
again, so queries can say history is unavailable instead of showing a hole. Chat never
waits: a slow disk only lets the queue fill. State changes (bans, rooms' topics and
settings) are not lost so: a full queue still takes them, and one that fails is tried
again, in order with those after it, every :data:`RETRY_SECONDS` and before every batch
until it succeeds (each is a whole snapshot or deletion, so doing one twice is harmless).

:meth:`close` writes what is queued, within a bounded wait, and joins the thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import repeat, starmap
from typing import Final, cast

from chinwag import log
from chinwag.history.store import HistoryStore, Pending, Record
from chinwag.hub.events import PrivateMessage, RoomMessage
from chinwag.worker import Worker

# A busy room's messages arrive at tens of thousands a second: the queue holds a second
# of them, so that the writer, one thread among the readers, can fall behind for a while.
MAX_QUEUED: Final = 32_768
# A transaction writes every database page it touched again (the WAL's frames): a batch of
# 4,096 (sixteen full pages of a busy room, pages.PAGE_RECORDS) costs a message a fifth
# less than one of 1,024 did.
BATCH: Final = 4096
PRUNE_SECONDS: Final = 60.0
# A pruning step is a transaction of its own, a commit writes every database page it
# touched, and a step usually cuts one page in two (read, split, written again): in a busy
# room, steps of four batches cost the writer some 8 % less a message than steps of one
# batch, and take it a few milliseconds. A room may hold this many records past its limit
# until the next step.
PRUNE_BATCH: Final = 4 * BATCH
# A batch smaller than ``batch`` waits up to LINGER_SECONDS for more, looked at every
# TICK_SECONDS: a commit costs as much as a few hundred records, so a quiet chat's
# messages are written a few transactions a second, a busy chat's as batches fill.
LINGER_SECONDS: Final = 0.5
TICK_SECONDS: Final = 0.05
REPORT_SECONDS: Final = 60.0
CLOSE_SECONDS: Final = 5.0
RETRY_SECONDS: Final = 5.0  # state changes a failed write left unsaved are tried again

StateChange = Callable[[], None]  # a call on the state store, made in the writer thread
Item = Record | Pending | StateChange
_MESSAGES_ONLY = {RoomMessage}  # the type of a batch of room messages only


class RateLimitedReport:
    """Say something at most once per ``interval`` seconds (the first time at once)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next = float("-inf")

    def due(self) -> bool:
        now = self._clock()
        if now < self._next:
            return False
        self._next = now + self._interval
        return True


class HistoryWriter:
    """The writer thread and its queue (see the module docstring)."""

    def __init__(
        self,
        history: HistoryStore,
        *,
        max_queued: int = MAX_QUEUED,
        batch: int = BATCH,
        retention_count: int = 10_000,
        retention_age: timedelta | None = None,
        prune_seconds: float = PRUNE_SECONDS,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.history = history
        self.max_queued = max_queued
        self.batch = batch
        self.retention_count = retention_count
        self.retention_age = retention_age
        self.prune_seconds = prune_seconds
        self.available = True
        self.written = 0  # records written, for tests and statistics
        self._now = now
        self._clock = clock
        self._queue: deque[Item] = deque()
        self._writing: list[Item] = []  # the batch being written, for pending()
        self._wake = threading.Event()
        # True while the writer thread waits for _wake, or is about to: put() must wake
        # it. A flag, not the event's own state, so that a put() reads one attribute.
        self._asleep = False
        # True from before the writer takes items out of the queue until they are written:
        # with an empty queue, everything put so far is written; changes are announced.
        self._busy = False
        self._progress = threading.Condition()
        self._flushing = 0  # callers of flush() waiting (changed under _progress)
        # The highest id of an action or a notice put so far (0: none), told by the
        # recorder before it puts the message: pages of messages with ids above it are
        # spared looking for them.
        self._flagged = 0
        self._dropped = 0
        self._lost = 0
        self._drop_report = RateLimitedReport(REPORT_SECONDS, clock)
        self._error_report = RateLimitedReport(REPORT_SECONDS, clock)
        self._next_prune = clock()
        self._since_prune = 0  # records written since the last pruning step
        # State changes not yet made in the store (a write failed), oldest first; only
        # the writer thread touches it once started.
        self._unsaved: deque[StateChange] = deque()
        self._worker = Worker("chinwag-history", self._step, log.problem)
        self._started = False

    def start(self) -> None:
        self._started = True
        self._worker.start()

    def put(self, item: Item) -> bool:
        """Queue ``item`` for writing; False (and counted) when the queue is full, which
        refuses records and messages, not state changes (at most as many again). A
        message that is an action or a notice is told first (:meth:`flag`)."""
        if len(self._queue) >= self.max_queued and (
            not callable(item) or len(self._queue) >= 2 * self.max_queued
        ):
            self._dropped += 1
            if self._drop_report.due():
                log.event(
                    f"history queue full ({self.max_queued}): {self._dropped} item(s) "
                    "not written so far"
                )
            return False
        self._queue.append(item)
        if self._asleep:
            self._asleep = False
            self._wake.set()
        return True

    def flag(self, msgid: int) -> None:
        """Note that the message with id ``msgid``, to be put next, is an action or a
        notice (from one thread at a time: the hub's recorder, under its lock)."""
        self._flagged = max(self._flagged, msgid)

    def pending(self) -> list[Item]:
        """What is queued or being written, oldest first (some items perhaps twice):
        anything put before this call and not among them is in the store."""
        while True:
            try:
                queued = list(self._queue)  # first: an item leaves it for the batch
            except RuntimeError:  # appended to while copied: copy again
                continue
            return self._writing + queued

    @property
    def dropped(self) -> int:
        """Items refused because the queue was full, since start."""
        return self._dropped

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        if not self._started:
            self._write_queued()
            return True
        deadline = None if timeout is None else self._clock() + timeout
        with self._progress:
            self._flushing += 1  # the writer stops gathering: written at once
            try:
                while self._queue or self._busy:
                    self._wake.set()
                    left = None if deadline is None else deadline - self._clock()
                    if left is not None and left <= 0:
                        return False
                    self._progress.wait(left)
            finally:
                self._flushing -= 1
        return True

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued (waiting at most ``timeout``), then join the thread."""
        if not self._started:
            self._write_queued()
            return
        self._worker.stop(self._wake.set, timeout)
        if self._queue:
            log.event(f"history: {len(self._queue)} item(s) not written at shutdown")
        if self._unsaved:
            log.event(f"history: {len(self._unsaved)} change(s) of bans or rooms not saved")

    def _step(self) -> bool:
        wait = max(0.0, self._next_prune - self._clock())
        if self._unsaved:
            wait = min(wait, RETRY_SECONDS)
        self._wake.clear()
        self._asleep = True  # first: a put() from now on wakes this thread ...
        if not self._queue:  # ... and one before it left something here to write
            self._wake.wait(wait)
        self._asleep = False
        if 0 < len(self._queue) < self.batch:
            self._gather()
        if self._queue:
            self._write_batch()  # one at a time, so that pruning gets its turn under load
        else:
            self._save_changes()  # what an earlier failure left unsaved (a batch does too)
        # Every minute, and after every PRUNE_BATCH records, so that deleting keeps up
        # with writing however busy the chat is.
        if self._clock() >= self._next_prune or self._since_prune >= PRUNE_BATCH:
            self._next_prune = self._clock() + self.prune_seconds
            self._since_prune = 0
            self._prune()
        return not self._worker.stopping.is_set() or bool(self._queue)

    def _gather(self) -> None:
        """Let messages gather until a batch is full, :data:`LINGER_SECONDS` passed,
        or somebody waits for them (:meth:`flush`, :meth:`close`). Counted in ticks of
        the stop event's wait, so that no clock, real or not, can hold history back."""
        stopping = self._worker.stopping
        for _ in range(round(LINGER_SECONDS / TICK_SECONDS)):
            if self._flushing or len(self._queue) >= self.batch:
                return
            if stopping.wait(TICK_SECONDS):
                return

    def _write_queued(self) -> None:
        while self._queue:
            self._write_batch()

    def _write_batch(self) -> None:
        if self._queue:
            self._busy = True
            queue = self._queue
            count = min(self.batch, len(queue))
            # The batch pending() reads is published first, then filled from the queue
            # in one call in C, which no other thread can run in the middle of: an item
            # is always in one of them, as pending() needs.
            items: list[Item] = []
            self._writing = items
            items.extend(starmap(queue.popleft, repeat((), count)))
            messages, records, changes = _sorted_out(items)
            try:
                if messages:
                    # Straight from the events: no record is made on the way to the disk.
                    # Every flagged message taken was flagged before it was put.
                    self.history.append_messages(messages, self._flagged)
                if records:
                    self.history.append(records)
            except Exception as exc:  # noqa: BLE001 - a disk's failure must not stop chat
                self._failed(exc, len(messages) + len(records))
            else:
                written = len(messages) + len(records)
                self.written += written
                self._since_prune += written
                self.available = True
            self._unsaved.extend(changes)
            self._save_changes()
            self._writing = []
            with self._progress:
                self._busy = False
                self._progress.notify_all()

    def _save_changes(self) -> None:
        """Make the unsaved state changes, in order, until one fails (kept for later)."""
        unsaved = self._unsaved
        while unsaved:
            try:
                unsaved[0]()
            except Exception as exc:  # noqa: BLE001 - as for writes; tried again later
                self._failed(exc, 0)
                return
            unsaved.popleft()

    def _prune(self) -> None:
        try:
            self.history.prune(self._now(), self.retention_count, self.retention_age, PRUNE_BATCH)
        except Exception as exc:  # noqa: BLE001 - as for writes
            self._failed(exc, 0)

    def _failed(self, exc: Exception, lost: int) -> None:
        self.available = False
        self._lost += lost
        if self._error_report.due():
            log.event(f"cannot write history: {exc}; {self._lost} item(s) lost so far")


def _sorted_out(items: list[Item]) -> tuple[list[Pending], list[Record], list[StateChange]]:
    """A batch's messages, records and state changes, each in their order."""
    if set(map(type, items)) == _MESSAGES_ONLY:  # nearly always: one pass in C tells
        return cast(list[Pending], items), [], []
    messages: list[Pending] = []
    records: list[Record] = []
    changes: list[StateChange] = []
    for item in items:
        if isinstance(item, RoomMessage | PrivateMessage):
            messages.append(item)
        elif isinstance(item, Record):
            records.append(item)
        else:
            changes.append(item)
    return messages, records, changes
