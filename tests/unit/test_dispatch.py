"""Handing deliveries to endpoints: encode once, skip the excluded, close after a farewell."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from chinwag.hub.events import Delivery, Event, Farewell, Problem, Quit, ToMembers, ToRoom
from chinwag.server import dispatch
from chinwag.server.router import Router
from tests.unit.fakes import FakeEndpoint

# One router for the module: every member made here has an id of its own.
ROUTER = Router()
_ids = itertools.count(1)
_versions = itertools.count(1)


def deliver(deliveries: Iterable[Delivery]) -> None:
    dispatch.deliver(deliveries, ROUTER)


def in_room(*ids: str) -> ToRoom:
    """A room's audience at a new membership version."""
    return ToRoom("room", next(_versions), ids)


class CountingFormatter:
    def __init__(self) -> None:
        self.calls = 0

    def format(self, event: Event) -> bytes:
        self.calls += 1
        return repr(event).encode()


def members(count: int, formatter: CountingFormatter) -> list[str]:
    """The ids of ``count`` new members whose endpoints use ``formatter``."""
    result = []
    for _ in range(count):
        endpoint = FakeEndpoint()
        endpoint.formatter = formatter  # type: ignore[assignment]
        member_id = f"Client-{next(_ids)}"
        ROUTER.add(member_id, endpoint)
        result.append(member_id)
    return result


def endpoint(member_id: str) -> FakeEndpoint:
    found = ROUTER.endpoint(member_id)
    assert isinstance(found, FakeEndpoint)
    return found


def sent(member_id: str) -> list[bytes]:
    return endpoint(member_id).sent


def test_each_event_is_encoded_once_for_all_recipients() -> None:
    formatter = CountingFormatter()
    ann, bob, cat = members(3, formatter)
    deliver([Delivery(Quit("dan"), ToMembers((ann, bob, cat)), exclude=bob)])
    assert formatter.calls == 1
    assert sent(ann) == sent(cat) == [repr(Quit("dan")).encode()]
    assert sent(bob) == []


def test_farewell_is_sent_then_closes_its_recipients_only() -> None:
    ann, bob, cat = members(3, CountingFormatter())
    farewell = Farewell("You were banned", "banned")
    deliver(
        [Delivery(farewell, ToMembers((bob, cat))), Delivery(Problem("done"), ToMembers((ann,)))]
    )
    for member in (bob, cat):
        assert sent(member) == [repr(farewell).encode()]
        assert endpoint(member).closed == "banned"  # type: ignore[attr-defined]
    assert sent(ann) == [repr(Problem("done")).encode()]
    assert endpoint(ann).closed is None  # type: ignore[attr-defined]


def test_a_burst_to_one_room_is_queued_as_one_piece_per_recipient() -> None:
    formatter = CountingFormatter()
    ann, bob, cat = members(3, formatter)
    room = in_room(ann, bob, cat)  # one audience, as a room hands out
    burst = [Delivery(Problem(f"line {i}"), room, exclude=ann) for i in range(5)]
    deliver(burst)
    expected = b"".join(repr(Problem(f"line {i}")).encode() for i in range(5))
    assert sent(bob) == sent(cat) == [expected]
    assert sent(ann) == []
    assert formatter.calls == 5  # still once per event, not per recipient


def test_grouping_never_reorders_what_one_recipient_gets() -> None:
    ann, bob = members(2, CountingFormatter())
    room = in_room(ann, bob)
    deliver(
        [
            Delivery(Problem("room 1"), room),
            Delivery(Problem("private"), ToMembers((bob,))),
            Delivery(Problem("room 2"), room),
            Delivery(Problem("room 3"), room, exclude=ann),
        ]
    )
    lines = b"".join(sent(bob)).decode()
    order = [lines.index(text) for text in ("room 1", "private", "room 2", "room 3")]
    assert order == sorted(order)
    assert b"".join(sent(ann)).decode().count("room") == 2


def test_a_burst_from_many_senders_leaves_each_sender_out_of_its_own_messages() -> None:
    formatter = CountingFormatter()
    ann, bob, cat = members(3, formatter)
    room = in_room(ann, bob, cat)
    said = [(ann, "a1"), (bob, "b1"), (ann, "a2"), (cat, "c1"), (ann, "a3"), (bob, "b2")]
    deliver([Delivery(Problem(text), room, exclude=who) for who, text in said])
    assert formatter.calls == len(said)  # once per event, whoever is left out of it

    def expected(member: str) -> list[bytes]:
        wanted = [repr(Problem(text)).encode() for who, text in said if who is not member]
        return [b"".join(wanted)]  # one piece, in the order said

    for member in room.members:
        assert sent(member) == expected(member)


def test_a_member_left_out_of_a_whole_burst_gets_nothing() -> None:
    ann, bob = members(2, CountingFormatter())
    room = in_room(ann, bob)
    deliver([Delivery(Problem(f"line {i}"), room, exclude=ann) for i in range(3)])
    assert sent(ann) == []
    assert len(sent(bob)) == 1


def test_a_burst_is_encoded_once_per_formatter() -> None:
    text, other = CountingFormatter(), CountingFormatter()
    ann, bob = members(2, text)
    cat, dan = members(2, other)
    room = in_room(ann, cat, bob, dan)
    deliver([Delivery(Problem(f"line {i}"), room, exclude=bob) for i in range(4)])
    assert text.calls == other.calls == 4
    assert sent(ann) == sent(cat) == sent(dan)
    assert sent(bob) == []


class BrokenFormatter:
    def format(self, event: Event) -> bytes:
        if isinstance(event, Problem) and event.text == "bad":
            raise RuntimeError("a formatting bug")
        return repr(event).encode()


def test_a_delivery_that_fails_costs_only_itself() -> None:
    ann, bob = members(2, BrokenFormatter())  # type: ignore[arg-type]
    deliver(
        [
            Delivery(Problem("good 1"), ToMembers((ann, bob))),
            Delivery(Problem("bad"), ToMembers((bob,))),
            Delivery(Problem("good 2"), ToMembers((ann, bob))),
        ]
    )
    assert b"".join(sent(bob)).decode().count("good") == 2
    assert b"".join(sent(ann)).decode().count("good") == 2


def test_a_burst_is_grouped_by_room_and_version_not_by_object() -> None:
    formatter = CountingFormatter()
    ann, bob = members(2, formatter)
    room = in_room(ann, bob)
    same = ToRoom(room.key, room.version, tuple(room.members))  # equal, not identical
    deliver([Delivery(Problem("one"), room), Delivery(Problem("two"), same)])
    assert len(sent(bob)) == 1  # one piece: the same audience


def test_a_new_membership_version_starts_a_new_burst() -> None:
    ann, bob, cat = members(3, CountingFormatter())
    before, after = in_room(ann, bob), in_room(ann, bob, cat)
    deliver([Delivery(Problem("before"), before), Delivery(Problem("after"), after)])
    assert b"".join(sent(cat)).decode().count("before") == 0
    assert len(sent(ann)) == 2


def test_members_this_server_does_not_know_are_skipped() -> None:
    ann, bob = members(2, CountingFormatter())
    room = in_room(ann, "elsewhere-1", bob)  # a member connected to another server
    deliver([Delivery(Problem("hi"), room, exclude="elsewhere-2")])
    assert sent(ann) == sent(bob) == [repr(Problem("hi")).encode()]
