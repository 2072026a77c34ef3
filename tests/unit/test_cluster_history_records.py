"""History's records as a live node sends them to one that missed them: they come back
whole, private ones included."""

from __future__ import annotations

from datetime import UTC, datetime

from chinwag.cluster import snapshot
from chinwag.history.ids import MessageIds
from chinwag.history.store import Record


def test_records_come_back_whole() -> None:
    made = MessageIds()
    when = datetime(2026, 3, 1, 12, 0, 0, 123_456, tzinfo=UTC)
    records = [
        Record(made.next(), when, "ann", "lobby", "héllo ☕", action=True, userhost="a@h"),
        Record(made.next(), when, "ann", "bob", "between us", private=True, notice=True),
    ]
    assert snapshot.load_records(snapshot.dump_records(records)) == records
    assert snapshot.load_records(snapshot.dump_records([])) == []
