"""Handing deliveries to endpoints: encode once, skip the excluded, close after a farewell."""

from __future__ import annotations

from chinwag.hub.events import Delivery, Event, Farewell, Problem, Quit
from chinwag.hub.hub import Member
from chinwag.server.dispatch import deliver
from tests.unit.fakes import FakeEndpoint


class CountingFormatter:
    def __init__(self) -> None:
        self.calls = 0

    def format(self, event: Event) -> bytes:
        self.calls += 1
        return repr(event).encode()


def members(count: int, formatter: CountingFormatter) -> list[Member]:
    result = []
    for n in range(1, count + 1):
        endpoint = FakeEndpoint()
        endpoint.formatter = formatter  # type: ignore[assignment]
        result.append(Member(f"Client-{n}", "10.0.0.1", endpoint))
    return result


def sent(member: Member) -> list[bytes]:
    return member.endpoint.sent  # type: ignore[attr-defined, no-any-return]


def test_each_event_is_encoded_once_for_all_recipients() -> None:
    formatter = CountingFormatter()
    ann, bob, cat = members(3, formatter)
    deliver([Delivery(Quit("dan"), (ann, bob, cat), exclude=bob)])
    assert formatter.calls == 1
    assert sent(ann) == sent(cat) == [repr(Quit("dan")).encode()]
    assert sent(bob) == []


def test_farewell_is_sent_then_closes_its_recipients_only() -> None:
    ann, bob, cat = members(3, CountingFormatter())
    farewell = Farewell("You were banned", "banned")
    deliver([Delivery(farewell, (bob, cat)), Delivery(Problem("done"), (ann,))])
    for member in (bob, cat):
        assert sent(member) == [repr(farewell).encode()]
        assert member.endpoint.closed == "banned"  # type: ignore[attr-defined]
    assert sent(ann) == [repr(Problem("done")).encode()]
    assert ann.endpoint.closed is None  # type: ignore[attr-defined]


def test_a_burst_to_one_room_is_queued_as_one_piece_per_recipient() -> None:
    formatter = CountingFormatter()
    ann, bob, cat = members(3, formatter)
    room = (ann, bob, cat)  # the same snapshot object, as a room hands out
    burst = [Delivery(Problem(f"line {i}"), room, exclude=ann) for i in range(5)]
    deliver(burst)
    expected = b"".join(repr(Problem(f"line {i}")).encode() for i in range(5))
    assert sent(bob) == sent(cat) == [expected]
    assert sent(ann) == []
    assert formatter.calls == 5  # still once per event, not per recipient


def test_grouping_never_reorders_what_one_recipient_gets() -> None:
    ann, bob = members(2, CountingFormatter())
    room = (ann, bob)
    deliver(
        [
            Delivery(Problem("room 1"), room),
            Delivery(Problem("private"), (bob,)),
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
    room = (ann, bob, cat)
    said = [(ann, "a1"), (bob, "b1"), (ann, "a2"), (cat, "c1"), (ann, "a3"), (bob, "b2")]
    deliver([Delivery(Problem(text), room, exclude=who) for who, text in said])
    assert formatter.calls == len(said)  # once per event, whoever is left out of it

    def expected(member: Member) -> list[bytes]:
        wanted = [repr(Problem(text)).encode() for who, text in said if who is not member]
        return [b"".join(wanted)]  # one piece, in the order said

    for member in room:
        assert sent(member) == expected(member)


def test_a_member_left_out_of_a_whole_burst_gets_nothing() -> None:
    ann, bob = members(2, CountingFormatter())
    room = (ann, bob)
    deliver([Delivery(Problem(f"line {i}"), room, exclude=ann) for i in range(3)])
    assert sent(ann) == []
    assert len(sent(bob)) == 1


def test_a_burst_is_encoded_once_per_formatter() -> None:
    text, other = CountingFormatter(), CountingFormatter()
    ann, bob = members(2, text)
    cat, dan = members(2, other)
    room = (ann, cat, bob, dan)
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
            Delivery(Problem("good 1"), (ann, bob)),
            Delivery(Problem("bad"), (bob,)),
            Delivery(Problem("good 2"), (ann, bob)),
        ]
    )
    assert b"".join(sent(bob)).decode().count("good") == 2
    assert b"".join(sent(ann)).decode().count("good") == 2
