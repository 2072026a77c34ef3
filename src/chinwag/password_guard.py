"""Password checks under a budget: a small pool of scrypt computations, and penalties.

Theory of operation: every password check (operator and server password, every front
end) goes through the one :class:`PasswordGuard` of the server. Each check first asks
:class:`Penalties` whether it may run: after a wrong password, the guessing connection and
its address must wait a delay that doubles with each failure (1 s, 2 s, 4 s ... capped);
a guess before that, or while another guess from the same address is being checked, is
refused at once without computing anything, and counts as a failure of the connection.
After ``max_failures`` failures the connection is dropped by its owner (see
:meth:`PasswordGuard.exhausted`). Failures per address outlive the connection, so
reconnecting starts nothing afresh; they are forgotten after a quiet while, and the
table is bounded. Exempt addresses (loopback by default) get only the per-connection
penalties.

A check that may run is then handed to :class:`CheckPool`: ``concurrency`` worker threads
compute scrypt (each ~40 ms of CPU and ~16 MiB), so no more run at once; the rest wait a
bounded time in a bounded queue or are refused as busy. So a guessing storm costs at
most that many cores and that much memory, whoever sends it.

Nothing here serves the delays: the guesser's own reader thread does, asking
:meth:`PasswordGuard.pause` after each line and waiting outside every lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, TypeVar, cast

from chinwag import log
from chinwag.turns import away

T = TypeVar("T")

MAX_DELAY_SECONDS = 60.0
ADDRESS_MEMORY_SECONDS = 600.0  # an address's failures are forgotten after this quiet time
MAX_ADDRESSES = 4096  # failing addresses remembered at once; the oldest go first
QUEUE_LIMIT = 16  # checks waiting for a slot; more are refused as busy
QUEUE_SECONDS = 2.0  # how long a check waits for a slot before it is refused as busy


class TryLater(Exception):
    """The check was not run: too soon after a wrong password, or the server is busy."""

    def __init__(self, seconds: int, busy: bool = False) -> None:
        self.seconds = seconds
        self.busy = busy
        unit = "second" if seconds == 1 else "seconds"
        super().__init__(
            f"the server is busy checking passwords: try again in {seconds} {unit}"
            if busy
            else f"too many wrong passwords: try again in {seconds} {unit}"
        )


class Attempts:
    """One connection's password attempts; changed only by :class:`Penalties`, under its lock."""

    __slots__ = ("address", "failures", "not_before")

    def __init__(self, address: str) -> None:
        self.address = address
        self.failures = 0  # wrong passwords and guesses refused for coming too soon
        self.not_before = 0.0  # no check before this time (the clock's)


class _Address:
    __slots__ = ("failures", "last_failure", "not_before")

    def __init__(self) -> None:
        self.failures = 0
        self.last_failure = 0.0
        self.not_before = 0.0


class Penalties:
    """Who may have a password checked now, and the delays that failures cost (pure)."""

    def __init__(
        self,
        *,
        max_failures: int = 5,
        base_delay: float = 1.0,
        max_delay: float = MAX_DELAY_SECONDS,
        memory_seconds: float = ADDRESS_MEMORY_SECONDS,
        max_addresses: int = MAX_ADDRESSES,
        exempt: Callable[[str], bool] = lambda address: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._memory_seconds = memory_seconds
        self._max_addresses = max_addresses
        self._exempt = exempt
        self._clock = clock
        self._lock = threading.Lock()
        self._addresses: OrderedDict[str, _Address] = OrderedDict()  # oldest failure first
        self._checking: set[str] = set()  # addresses with a check running or waiting

    def begin(self, attempts: Attempts) -> None:
        """Claim the right to check one password now, or raise :class:`TryLater`.

        A refusal counts as a failure of the connection (not of the address). Every
        successful ``begin`` must be followed by :meth:`end`.
        """
        now = self._clock()
        with self._lock:
            self._forget(now)
            guarded = not self._exempt(attempts.address)
            until = attempts.not_before
            state = self._addresses.get(attempts.address)
            if guarded and state is not None:
                until = max(until, state.not_before)
            busy = guarded and attempts.address in self._checking
            if until > now or busy or attempts.failures >= self.max_failures:
                attempts.failures += 1
                hasty = until > now or attempts.failures > self.max_failures
                raise TryLater(max(1, math.ceil(until - now)), busy=not hasty)
            if guarded:
                self._checking.add(attempts.address)

    def end(self, attempts: Attempts, matched: bool | None) -> int:
        """Record the outcome of a check (``None``: it did not run); return how many
        wrong passwords its address has given lately."""
        now = self._clock()
        with self._lock:
            self._checking.discard(attempts.address)
            state = self._addresses.get(attempts.address)
            if matched is not False:
                return state.failures if state is not None else 0
            if state is None:
                state = self._addresses[attempts.address] = _Address()
            self._addresses.move_to_end(attempts.address)
            state.failures += 1
            state.last_failure = now
            attempts.failures += 1
            counted = attempts.failures
            if not self._exempt(attempts.address):
                counted = max(counted, state.failures)
            delay = min(self._max_delay, self._base_delay * 2 ** min(counted - 1, 62))
            attempts.not_before = now + delay
            state.not_before = max(state.not_before, now + delay)
            while len(self._addresses) > self._max_addresses:
                self._addresses.popitem(last=False)
            return state.failures

    def pause(self, attempts: Attempts) -> float:
        """Seconds the connection's reader should wait before reading on (0: none)."""
        return max(0.0, attempts.not_before - self._clock())

    def exhausted(self, attempts: Attempts) -> bool:
        """Whether the connection has failed often enough to be dropped."""
        return attempts.failures >= self.max_failures

    def tracked(self) -> int:
        """How many addresses have failures on record (for tests and statistics)."""
        with self._lock:
            return len(self._addresses)

    def _forget(self, now: float) -> None:
        while self._addresses:
            address, state = next(iter(self._addresses.items()))
            if now - state.last_failure < self._memory_seconds:
                return
            del self._addresses[address]


class _Job:
    __slots__ = ("check", "done", "error", "result", "started")

    def __init__(self, check: Callable[[], Any]) -> None:
        self.check = check
        self.started = False
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class CheckPool:
    """``concurrency`` worker threads that run checks; callers wait a while or are refused.

    Checks run in the pool's own threads, not the callers': scrypt's 16 MiB comes from
    the allocator of the thread that runs it, and unless :mod:`chinwag.allocator` has
    told glibc otherwise each thread keeps such memory for reuse, so a thread per guesser
    would keep a few MiB per guesser long after the guess.
    The workers start with :meth:`start` (a server with a password calls it as it starts,
    so they are part of its resting state), or else with the first check, and end with
    :meth:`close`.
    """

    def __init__(
        self,
        concurrency: int = 2,
        queue_limit: int = QUEUE_LIMIT,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> None:
        self.concurrency = concurrency
        self._queue_limit = queue_limit
        self._queue_seconds = queue_seconds
        self._changed = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._workers: list[threading.Thread] = []
        self._closed = False
        self._running = 0
        self.peak = 0  # the most checks that ever ran at once (for tests and statistics)
        self.refused = 0  # checks refused as busy

    def start(self) -> None:
        """Start the workers now rather than at the first check."""
        with self._changed:
            if not self._workers and not self._closed:
                self._start_workers()

    def run(self, check: Callable[[], T]) -> T:
        """The result of ``check()``, run by a worker; raises :class:`TryLater` if no
        worker takes it in time (the caller waits, which is its own reader thread, away
        from its turn: see :mod:`chinwag.turns`)."""
        with away():
            return self._run(check)

    def _run(self, check: Callable[[], T]) -> T:
        job = _Job(check)
        with self._changed:
            if self._closed or len(self._queue) >= self._queue_limit:
                self._refuse()
            if not self._workers:
                self._start_workers()
            self._queue.append(job)
            self._changed.notify_all()
            if not self._changed.wait_for(lambda: job.started, self._queue_seconds):
                self._queue.remove(job)
                self._refuse()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    @property
    def waiting(self) -> int:
        """Checks waiting for a worker (for tests and statistics)."""
        with self._changed:
            return len(self._queue)

    def close(self) -> None:
        """Let the workers finish what is queued, then stop and join them."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            workers = list(self._workers)
        for worker in workers:
            worker.join()

    def _start_workers(self) -> None:
        for number in range(1, self.concurrency + 1):
            worker = threading.Thread(
                target=self._work, name=f"chinwag-password-{number}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return  # closed, and nothing left to do
                job = self._queue.popleft()
                job.started = True
                self._running += 1
                self.peak = max(self.peak, self._running)
                self._changed.notify_all()
            try:
                job.result = job.check()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller to raise
                job.error = exc
            finally:
                with self._changed:
                    self._running -= 1
                job.done.set()

    def _refuse(self) -> None:
        self.refused += 1
        if _worth_logging(self.refused):
            log.event(f"Password checks refused while busy: {self.refused} so far")
        raise TryLater(1, busy=True)


class PasswordGuard:
    """Every password check of one server: pooled, penalised and logged."""

    def __init__(self, pool: CheckPool | None = None, penalties: Penalties | None = None) -> None:
        self.pool = pool if pool is not None else CheckPool()
        self.penalties = penalties if penalties is not None else Penalties()

    @property
    def peak_checks(self) -> int:
        return self.pool.peak

    def check(self, attempts: Attempts, verify: Callable[[], bool], *, who: str, what: str) -> bool:
        """Whether ``verify()`` says the password matches; raises :class:`TryLater` when
        it may not run now. ``who`` and ``what`` ("operator", "server") are for the log."""
        self.penalties.begin(attempts)
        outcome: bool | None = None  # None: it never ran
        try:
            outcome = matched = self.pool.run(verify)
        finally:
            failures = self.penalties.end(attempts, outcome)
        if not matched and _worth_logging(failures):
            lately = f" ({failures} from this address lately)" if failures > 1 else ""
            log.event(f"{who} gave a wrong {what} password from {attempts.address}{lately}")
        return matched

    def pause(self, attempts: Attempts) -> float:
        return self.penalties.pause(attempts)

    def close(self) -> None:
        """Stop and join the pool's workers (the owner's job, at shutdown)."""
        self.pool.close()

    def exhausted(self, attempts: Attempts) -> bool:
        return self.penalties.exhausted(attempts)


def _worth_logging(count: int) -> bool:
    """The first few of a series, then only at powers of two: a storm logs a handful of lines."""
    return count <= 3 or count & (count - 1) == 0
