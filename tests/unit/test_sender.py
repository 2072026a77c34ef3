"""The sender's queue: dispatch in submission order, farewells at once, a bounded queue.

The sender's thread is not started here: :meth:`Sender.dispatch` does in the test's
thread what the thread would do, so what is dispatched when is exact.
"""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace

from chinwag.hub.events import Delivery, Farewell, Problem, to
from chinwag.hub.hub import Member
from chinwag.server import sender as sender_module
from chinwag.server.outbox import Outbox
from chinwag.server.router import Router
from chinwag.server.sender import DeliveryRate, Sender
from chinwag.text.format import TEXT
from tests.support import DEADLINE, wait_for
from tests.unit.fakes import Clock, FakeEndpoint, make_member

ROUTER = Router()


def connect(client_id: str) -> Member:
    """A member with a fake endpoint this module's router reaches."""
    ROUTER.add(client_id, FakeEndpoint())
    return make_member(client_id)


def endpoint(member: Member) -> FakeEndpoint:
    found = ROUTER.endpoint(member.client_id)
    assert isinstance(found, FakeEndpoint)
    return found


def lines(member: Member) -> str:
    return lines_of(endpoint(member))


def lines_of(sink: FakeEndpoint) -> str:
    return b"".join(sink.sent).decode()


def problem(text: str, *recipients: Member) -> Delivery:
    return Delivery(Problem(text), to(*recipients))


def test_submissions_wait_for_the_sender_then_go_out_in_order() -> None:
    sender = Sender(ROUTER)
    ann, bob = connect("Client-1"), connect("Client-2")
    room = (ann, bob)
    sender.submit([problem("first", *room)])
    sender.submit([problem("to bob", bob), problem("second", *room)])
    assert lines(bob) == ""  # queued, not dispatched by the submitting thread
    sender.dispatch()
    text = lines(bob)
    assert text.index("first") < text.index("to bob") < text.index("second")
    assert "to bob" not in lines(ann)


def test_a_farewell_is_dispatched_at_once_after_what_came_before() -> None:
    sender = Sender(ROUTER)
    ann, bob = connect("Client-1"), connect("Client-2")
    sender.submit([problem("before", ann, bob)])
    sender.submit([Delivery(Farewell("You were kicked", "kicked"), to(bob))])
    text = lines(bob)  # no dispatch() needed: the farewell could not wait
    assert text.index("before") < text.index("You were kicked")
    assert endpoint(bob).closed == "kicked"
    sender.submit([problem("after", ann, bob)])
    sender.dispatch()
    assert "after" in lines(ann)
    assert "after" not in lines(bob)  # nothing after the last words


def test_a_long_queue_is_dispatched_by_the_submitter() -> None:
    sender = Sender(ROUTER)
    ann = connect("Client-1")
    limit = sender_module.MAX_QUEUED
    for n in range(limit):
        sender.submit([problem(f"line {n}", ann)])
    assert lines(ann) == ""
    sender.submit([problem("one too many", ann)])
    text = lines(ann)
    assert text.count("line ") == limit
    assert text.endswith("one too many\r\n")


def test_a_quiet_sender_leaves_a_message_to_its_submitter() -> None:
    sender = Sender(ROUTER)
    ann, bob = connect("Client-1"), connect("Client-2")
    sender.start()
    try:
        wait_for(lambda: sender.idle, what="the sender thread waiting for work")
        sender.submit([problem("quiet", ann, bob)])
        assert "quiet" in lines(bob)  # sent before submit returned: no hand-over
    finally:
        sender.stop()


class ThreadNoting(FakeEndpoint):
    """Notes which thread sent it each piece."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: list[str] = []

    def send(self, data: bytes) -> None:
        self.senders.append(threading.current_thread().name)
        super().send(data)


def test_a_busy_server_leaves_even_a_lone_message_to_the_thread() -> None:
    router = Router()
    clock = Clock()
    rate = DeliveryRate(busy=1000, window=0.1, clock=clock)
    sender = Sender(router, rate)
    noted = ThreadNoting()
    router.add("Client-1", noted)
    ann = make_member("Client-1")
    sender.start()
    try:
        wait_for(lambda: sender.idle, what="the sender thread waiting for work")
        sender.submit([problem("quiet", ann)])
        assert noted.senders == [threading.current_thread().name]  # dispatched here
        rate.add(100)  # 101 copies within a tenth of a second: past 1,000 a second
        wait_for(lambda: sender.idle, what="the sender thread waiting for work")
        sender.submit([problem("busy", ann)])
        wait_for(lambda: len(noted.senders) == 2, what="the second message sent")
        assert noted.senders[1] == "chinwag-sender"
        assert lines_of(noted) == "! quiet\r\n! busy\r\n"
        clock.now += 10  # ten quiet seconds: the window that ends says so
        sender.submit([problem("sent by the thread, which ends the window", ann)])
        wait_for(lambda: len(noted.senders) == 3, what="the third message sent")
        wait_for(lambda: sender.idle, what="the sender thread waiting for work")
        sender.submit([problem("quiet again", ann)])
        assert noted.senders[3] == threading.current_thread().name
    finally:
        sender.stop()


def test_the_delivery_rate_is_judged_over_the_last_window_or_the_current_one() -> None:
    clock = Clock()
    rate = DeliveryRate(busy=1000, window=0.1, clock=clock)
    assert not rate.busy()
    rate.add(100)  # the mark of a window (1,000 a second for a tenth), not past it
    assert not rate.busy()
    rate.add(1)
    assert rate.busy()  # past it before the window ended: busy at once
    clock.now += 0.1
    rate.add(0)  # the window ended with 101: busy over the next one too
    assert rate.busy()
    clock.now += 0.1
    rate.add(50)  # the window that ended held nothing
    assert not rate.busy()
    clock.now += 0.05
    rate.add(60)  # 110 within a tenth of a second
    assert rate.busy()
    clock.now += 60
    rate.add(1)  # a minute after: 110 over the whole minute is quiet
    assert not rate.busy()


class HeldEndpoint(FakeEndpoint):
    """Takes what is sent only once ``release`` is set (a recipient slow to take it)."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self._log = log

    def send(self, data: bytes) -> None:
        self.entered.set()
        assert self.release.wait(DEADLINE)
        self._log.append(data.decode())


def test_what_is_submitted_while_a_submitter_dispatches_follows_what_it_dispatches() -> None:
    router = Router()
    sender = Sender(router)
    log: list[str] = []
    held = HeldEndpoint(log)
    router.add("Client-1", held)
    ann = make_member("Client-1")
    sender.start()
    first = threading.Thread(target=sender.submit, args=([problem("first", ann)],))
    try:
        wait_for(lambda: sender.idle, what="the sender thread waiting for work")
        first.start()  # dispatches itself, and is held in the middle of sending
        assert held.entered.wait(DEADLINE)
        sender.submit([problem("second", ann)])  # waits its turn: the sender thread's
        held.release.set()
        first.join(DEADLINE)
        wait_for(lambda: len(log) == 2, what="both sent")
        assert log == ["! first\r\n", "! second\r\n"]
    finally:
        held.release.set()
        sender.stop()


class OutboxEndpoint:
    """A real outbox on one end of a socket pair, as a connection has one."""

    formatter = TEXT

    def __init__(self, sock: socket.socket, sender: Sender, parked: list[Outbox]) -> None:
        self.outbox = Outbox(
            sock, 1 << 20, SimpleNamespace(park=parked.append), [].append, sender=sender
        )
        self.send = self.outbox.post

    def close(self, reason: str, last_words: bytes = b"") -> None:
        self.outbox.write_last(last_words)


def read_until(sock: socket.socket, end: bytes) -> bytes:
    sock.settimeout(DEADLINE)
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(65536)
        assert chunk, "closed before the end"
        data += chunk
    return data


def test_a_round_of_one_delivery_is_sent_at_once_after_what_waits_before_it() -> None:
    router = Router()
    sender = Sender(router)
    parked: list[Outbox] = []
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        bob = OutboxEndpoint(ours, sender, parked)
        router.add("Client-2", bob)
        while not parked:  # the peer has not read yet: the kernel's buffer fills
            bob.send(b"x" * 1000 + b"\n")
            bob.outbox.flush()  # what the sender thread, not started yet, would do
        sender.start()
        try:
            sender.submit([problem("one message", make_member("Client-2"))])
            received = b""
            while b"one message" not in received:  # the peer reads; what waited goes first
                received += read_until(theirs, b"\n")
                parked[0].send_parked()
            assert received.index(b"one message") > received.rindex(b"x")
            sender.submit([problem("another", make_member("Client-2"))])
            assert b"another" in read_until(theirs, b"another\r\n")  # sent by the round itself
        finally:
            sender.stop()
    finally:
        ours.close()
        theirs.close()


def test_what_the_kernel_leaves_of_a_message_sent_at_once_is_parked_and_follows_it() -> None:
    router = Router()
    sender = Sender(router)
    parked: list[Outbox] = []
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        router.add("Client-2", OutboxEndpoint(ours, sender, parked))
        sender.start()
        try:
            long = "y" * 200_000  # far more than the kernel takes at once
            sender.submit([problem(f"{long} end", make_member("Client-2"))])
            wait_for(lambda: parked, what="the rest parked")
            theirs.settimeout(DEADLINE)
            received = b""
            while not received.endswith(b" end\r\n"):
                chunk = theirs.recv(65536)
                assert chunk, "closed before the end"
                received += chunk
                parked[0].send_parked()  # what the drainer does when the socket is writable
            assert received.count(b"y") == len(long)
            sender.submit([problem("after", make_member("Client-2"))])
            assert read_until(theirs, b"\n") == b"! after\r\n"
        finally:
            sender.stop()
    finally:
        ours.close()
        theirs.close()
