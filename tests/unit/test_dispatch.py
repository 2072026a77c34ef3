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


def test_each_endpoint_is_flushed_once_per_batch() -> None:
    ann, bob = members(2, CountingFormatter())
    deliver([Delivery(Problem("one"), (ann,)), Delivery(Problem("two"), (ann, bob))])
    assert len(sent(ann)) == 2
    assert ann.endpoint.flushes == 1  # type: ignore[attr-defined]
    assert bob.endpoint.flushes == 1  # type: ignore[attr-defined]


def test_farewell_is_sent_then_closes_its_recipients_only() -> None:
    ann, bob, cat = members(3, CountingFormatter())
    farewell = Farewell("You were banned", "banned")
    deliver([Delivery(farewell, (bob, cat)), Delivery(Problem("done"), (ann,))])
    for member in (bob, cat):
        assert sent(member) == [repr(farewell).encode()]
        assert member.endpoint.closed == "banned"  # type: ignore[attr-defined]
    assert sent(ann) == [repr(Problem("done")).encode()]
    assert ann.endpoint.closed is None  # type: ignore[attr-defined]
