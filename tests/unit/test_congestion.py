"""The congestion gate and the outbox's marks, with a fake clock and a socket pair."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chinwag.server.congestion import Congestion
from chinwag.server.outbox import Outbox
from tests.support import DEADLINE
from tests.unit.fakes import Clock


class Gauge:
    def __init__(self, progressed_at: float) -> None:
        self.closed = False
        self.progressed_at = self.congested_since = progressed_at
        self.dropped = False
        self.reads = False  # what the kernel would say of the client's reading

    def stalled(self) -> None:
        self.dropped = True

    def reading(self) -> bool:
        return self.reads


class Parked:
    def __init__(self) -> None:
        self.outboxes: list[Outbox] = []

    def park(self, outbox: Outbox) -> None:
        self.outboxes.append(outbox)


def _small_buffers(
    ours: socket.socket, theirs: socket.socket, size: int
) -> Iterator[tuple[socket.socket, socket.socket]]:
    """``ours`` sending into ``theirs``, both with kernel buffers of about ``size``."""
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    yield from _small_buffers(*socket.socketpair(), 4096)


def test_an_outbox_is_congested_past_a_quarter_and_relieved_at_a_sixteenth(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    clock = Clock()
    gate = Congestion(patience=2.0, stall=30.0, clock=clock)
    drops: list[str] = []
    outbox = Outbox(ours, 64 * 1024, Parked(), drops.append, congestion=gate)
    while not gate.active:  # the peer reads nothing: the kernel's buffers fill first
        outbox.post(b"x" * 1024)
    assert outbox.progressed_at == outbox.congested_since == clock.now
    assert drops == []
    clock.now += 5
    theirs.setblocking(False)
    while gate.active:  # the peer reads: each send that moves bytes is progress
        theirs.recv(65536)
        outbox.send_parked()
    assert outbox.progressed_at == clock.now


def test_a_client_that_stopped_reading_before_it_fell_behind_holds_nobody_back(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair  # the peer never reads
    clock = Clock()
    gate = Congestion(patience=0.3, stall=30.0, clock=clock)
    outbox = Outbox(ours, 64 * 1024, Parked(), [].append, congestion=gate)
    while outbox.progressed_at == 0.0:  # until the kernel leaves bytes waiting
        outbox.post(b"x" * 1024)
    stopped = clock.now
    clock.now += 1.0
    assert not outbox.send_parked()  # the kernel takes nothing: no progress
    while not gate.active:
        outbox.post(b"x" * 1024)
    assert outbox.congested_since == clock.now
    assert outbox.progressed_at == stopped  # not when its queue grew long enough to count
    gate.wait(threading.Event())  # returns at once: the patience was spent before


def test_the_hard_limit_still_drops(pair: tuple[socket.socket, socket.socket]) -> None:
    gate = Congestion(clock=Clock())
    drops: list[str] = []
    outbox = Outbox(pair[0], 64 * 1024, Parked(), drops.append, congestion=gate)
    for _ in range(200):
        outbox.post(b"x" * 1024)
    assert drops == ["send queue exceeded"]
    outbox.close()
    assert not gate.active


def test_a_reader_passes_at_once_when_nothing_is_congested() -> None:
    gate = Congestion(clock=Clock())
    assert not gate.active
    gate.wait(threading.Event())


def test_a_client_that_takes_nothing_holds_readers_back_only_for_the_patience() -> None:
    clock = Clock()
    gate = Congestion(patience=2.0, stall=30.0, clock=clock)
    stuck = Gauge(progressed_at=clock.now - 2.0)
    gate.congested(stuck)
    assert gate.active
    gate.wait(threading.Event())  # returns: the patience is spent
    assert gate.stalled() == []
    clock.now += 28.0
    assert gate.stalled() == [stuck]


def test_a_client_that_trickles_is_dropped_if_it_does_not_catch_up_in_time() -> None:
    clock = Clock()
    gate = Congestion(patience=2.0, stall=10.0, clock=clock)
    trickler = Gauge(progressed_at=clock.now)
    gate.congested(trickler)
    for _ in range(9):
        clock.now += 1.0
        trickler.progressed_at = clock.now  # a few bytes a second: it holds readers back
        assert gate.stalled() == []
    clock.now += 1.0
    assert gate.stalled() == [trickler]


def test_a_waiting_reader_wakes_when_relieved_or_closed() -> None:
    gate = Congestion(patience=60.0)  # the real clock: this waits for real
    slow = Gauge(progressed_at=gate.clock())
    for end in ("relieved", "closed"):
        gate.congested(slow)
        stop = threading.Event()
        waiter = threading.Thread(target=gate.wait, args=(stop,))
        waiter.start()
        if end == "relieved":
            gate.relieved(slow)
        else:
            stop.set()
            gate.wake()
        waiter.join(DEADLINE)
        assert not waiter.is_alive(), end
        gate.relieved(slow)
    assert not gate.active


def test_a_client_found_reading_goes_on_holding_readers_back_past_the_patience() -> None:
    # Its kernel buffer drains, but not yet by the third that makes the socket writable
    # again, so the server has sent it nothing: the kernel's queue says it reads.
    clock = Clock()
    gate = Congestion(patience=0.3, stall=30.0, clock=clock)
    slow = Gauge(progressed_at=clock.now - 1.0)
    gate.congested(slow)
    slow.reads = True
    assert gate._holding_until(clock.now) == clock.now + 0.3
    assert slow.progressed_at == clock.now
    clock.now += 1.0
    slow.reads = False  # stopped: holds nobody back once the patience is spent
    assert gate._holding_until(clock.now) < clock.now
    gate.wait(threading.Event())  # returns at once


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname())
        theirs, _ = listener.accept()
    yield from _small_buffers(ours, theirs, 16384)


def test_an_outbox_knows_from_the_kernel_whether_its_client_reads(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = tcp_pair
    gate = Congestion(patience=0.3, stall=30.0, clock=Clock())
    outbox = Outbox(ours, 1024 * 1024, Parked(), [].append, congestion=gate)
    while not gate.active:  # the peer reads nothing: the kernel's buffers fill, then ours
        outbox.post(b"x" * 4096)
    assert not outbox.reading()  # nothing taken since it became congested
    theirs.setblocking(False)
    taken = 0
    deadline = time.monotonic() + DEADLINE
    while not outbox.reading():  # the peer reads: the kernel's queue goes down
        assert time.monotonic() < deadline, "the kernel's queue never went down"
        with contextlib.suppress(BlockingIOError):
            taken += len(theirs.recv(65536))
    assert taken > 0
    # The server hands the kernel more: its client's reading is told from there on, even
    # when what it holds now is more than when the client became congested.
    assert outbox.send_parked() is False  # took some, not all
    deadline = time.monotonic() + DEADLINE
    while not outbox.reading():
        assert time.monotonic() < deadline, "the kernel's queue never went down again"
        with contextlib.suppress(BlockingIOError):
            taken += len(theirs.recv(65536))
