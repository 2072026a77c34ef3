"""The sender's queue: dispatch in submission order, farewells at once, a bounded queue.

The sender's thread is not started here: :meth:`Sender.dispatch` does in the test's
thread what the thread would do, so what is dispatched when is exact.
"""

from __future__ import annotations

from chinwag.hub.events import Delivery, Farewell, Problem, to
from chinwag.hub.hub import Member
from chinwag.server import sender as sender_module
from chinwag.server.router import Router
from chinwag.server.sender import Sender
from tests.unit.fakes import FakeEndpoint, make_member

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
    return b"".join(endpoint(member).sent).decode()


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
