"""Reader threads take turns to interpret what they read, so a crowd waking at once queues
instead of fighting for the interpreter's lock.

Theory of operation: CPython runs one thread at a time. A thread that wants the
interpreter's lock waits at most the switch interval (5 ms), then makes the holder let
go; a thousand threads woken at once (a thousand clients sending a line at the same
moment) each do so every interval, so the lock changes hands every few microseconds and
the CPU spends its time in the kernel handing it over. Measured: a thousand clients
joining a room at once cost from 1.1 to 13.5 s of CPU, as much as the wall time. A thread
waiting for a semaphore sleeps until it is let in, asking nothing of anyone. So a reader
takes one of a few turns (:meth:`Turns.turn`, :data:`TURNS` of them) before it interprets
what it read, and gives it back after: the crowd queues for the turns and is served a
few at a time, at full speed. A few, not one: a client whose line takes long (a listing of
thousands of rooms) then holds up one turn, not every other client. The turns are tokens
in a ``queue.SimpleQueue``: taking and giving one back is a tenth of a microsecond in C,
where ``threading.Semaphore``, written in Python, costs a microsecond, paid for every
chunk every reader reads.

A thread must not keep its turn while it waits for something that is not the
interpreter (a password check in the pool, flood control's pacing, other clients'
queues draining): it steps :func:`away` meanwhile, giving the turn back and taking one
again after. Outside a turn, :func:`away` does nothing, so code that may wait calls it
whoever runs it.
"""

from __future__ import annotations

import threading
from queue import SimpleQueue

TURNS = 4

_held = threading.local()  # the turns this thread has one of, if any

Slots = SimpleQueue[bool]


class Turns:
    """``count`` turns, each taken by one reader thread at a time (see the module)."""

    def __init__(self, count: int = TURNS) -> None:
        self._slots: Slots = SimpleQueue()  # a token for each turn not taken
        for _ in range(count):
            self._slots.put(True)

    def turn(self) -> _Turn:
        """A context manager: one of the turns, from entry to exit."""
        return _Turn(self._slots)


class _Turn:
    __slots__ = ("_slots",)

    def __init__(self, slots: Slots) -> None:
        self._slots = slots

    def __enter__(self) -> None:
        self._slots.get()
        _held.slots = self._slots

    def __exit__(self, *failure: object) -> None:
        _held.slots = None
        self._slots.put(True)


class away:  # lower case: used as a function, ``with away(): ...``
    """While waiting for something other than the interpreter: give this thread's turn
    back, if it has one, and take it again after."""

    __slots__ = ("_slots",)

    def __enter__(self) -> None:
        slots: Slots | None = getattr(_held, "slots", None)
        self._slots = slots
        if slots is not None:
            _held.slots = None
            slots.put(True)

    def __exit__(self, *failure: object) -> None:
        slots = self._slots
        if slots is not None:
            slots.get()
            _held.slots = slots
