"""Reader threads take turns to interpret what they read, so a crowd waking at once queues
instead of fighting for the interpreter's lock.

Theory of operation: CPython runs one thread at a time. A thread that wants the
interpreter's lock waits at most the switch interval (5 ms), then makes the holder let
go; a thousand threads woken at once (a thousand clients sending a line at the same
moment) each do so every interval, so the lock changes hands every few microseconds and
the CPU spends its time in the kernel handing it over. Measured: a thousand clients
joining a room at once cost from 1.1 to 13.5 s of CPU, as much as the wall time. A thread
waiting for a plain lock sleeps until that lock is free, asking nothing of anyone. So a
reader takes the server's turn (:meth:`Turns.turn`) before it interprets what it read,
and gives it back after: the crowd queues on the turn and is served one by one at full
speed, as it could only have been anyway.

A thread must not keep the turn while it waits for something that is not the
interpreter (a password check in the pool, flood control's pacing, other clients'
queues draining): it steps :func:`away` meanwhile, giving the turn back and taking it
again after. Outside a turn, :func:`away` does nothing, so code that may wait calls it
whoever runs it.
"""

from __future__ import annotations

import threading
from types import TracebackType

_held = threading.local()  # the Turns whose turn this thread has, if any


class Turns:
    """One turn, taken by one reader thread at a time (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def turn(self) -> _Turn:
        """A context manager: this thread's turn, from entry to exit."""
        return _Turn(self._lock)


class _Turn:
    __slots__ = ("_lock",)

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        _held.lock = self._lock

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _held.lock = None
        self._lock.release()


class away:  # lower case: used as a function, ``with away(): ...``
    """While waiting for something other than the interpreter: give this thread's turn
    back, if it has one, and take it again after."""

    __slots__ = ("_lock",)

    def __enter__(self) -> None:
        lock: threading.Lock | None = getattr(_held, "lock", None)
        self._lock = lock
        if lock is not None:
            _held.lock = None
            lock.release()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        lock = self._lock
        if lock is not None:
            lock.acquire()
            _held.lock = lock
