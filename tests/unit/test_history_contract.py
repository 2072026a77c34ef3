"""One contract for every history store: the memory store and the SQLite one both pass it.

Records are made with a clock the test moves, one second apart unless said otherwise,
so cursors by time and by id can be checked against each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chinwag.history import ids
from chinwag.history.ids import MessageIds
from chinwag.history.sqlite import SqliteHistory, open_database
from chinwag.history.store import (
    Conversation,
    HistoryStore,
    MemoryHistory,
    Record,
    pending,
    record_of,
)
from chinwag.hub.events import PrivateMessage, RoomMessage

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LOBBY = Conversation.room("lobby")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    if request.param == "memory":
        memory = MemoryHistory()
        yield memory
        memory.close()
        return
    database = open_database(tmp_path / "data")
    sqlite = SqliteHistory(database)
    try:
        yield sqlite
    finally:
        sqlite.close()
        database.close()


class Recorder:
    """Makes records at a time the test controls."""

    def __init__(self) -> None:
        self.now = START
        # A lambda, not self.now.timestamp: the test moves self.now.
        self.ids = MessageIds(clock=lambda: self.now.timestamp())  # noqa: PLW0108

    def room(self, text: str, room: str = "lobby", sender: str = "ann", **kw: object) -> Record:
        self.now += timedelta(seconds=1)
        return Record(self.ids.next(), self.now, sender, room, text, **kw)  # type: ignore[arg-type]

    def private(self, sender: str, recipient: str, text: str) -> Record:
        self.now += timedelta(seconds=1)
        return Record(self.ids.next(), self.now, sender, recipient, text, private=True)


def texts(records: list[Record]) -> list[str]:
    return [record.text for record in records]


def said(store: HistoryStore, count: int, room: str = "lobby") -> tuple[Recorder, list[Record]]:
    recorder = Recorder()
    records = [recorder.room(f"m{n}", room) for n in range(count)]
    store.append(records)
    return recorder, records


def test_latest_is_the_last_n_oldest_first(store: HistoryStore) -> None:
    said(store, 10)
    assert texts(store.latest(LOBBY, 3)) == ["m7", "m8", "m9"]
    assert texts(store.latest(LOBBY, 100)) == [f"m{n}" for n in range(10)]
    assert store.latest(LOBBY, 0) == []
    assert store.latest(Conversation.room("elsewhere"), 5) == []


def test_latest_after_a_cursor(store: HistoryStore) -> None:
    _, records = said(store, 10)
    assert texts(store.latest(LOBBY, 3, records[8].msgid)) == ["m9"]
    assert texts(store.latest(LOBBY, 3, records[8].time)) == ["m9"]
    assert texts(store.latest(LOBBY, 20, records[5].msgid)) == ["m6", "m7", "m8", "m9"]


def test_recent_is_the_last_n_of_every_conversation_together_between_two_ids(
    store: HistoryStore,
) -> None:
    recorder = Recorder()
    records = [
        recorder.room("in lobby"),
        recorder.room("in den", room="den"),
        recorder.private("ann", "bob", "between us"),
        recorder.room("lobby again"),
        recorder.room("den again", room="den"),
    ]
    store.append(records)
    assert store.recent(None, None, 10) == records
    assert texts(store.recent(None, None, 2)) == ["lobby again", "den again"]
    between = store.recent(records[0].msgid, records[4].msgid, 10)
    assert texts(between) == ["in den", "between us", "lobby again"]
    assert texts(store.recent(records[0].msgid, None, 1)) == ["den again"]
    assert store.recent(records[4].msgid, None, 10) == []
    assert store.recent(None, None, 0) == []


def test_records_come_back_whole(store: HistoryStore) -> None:
    recorder = Recorder()
    record = recorder.room("héllo ☕ wörld", action=True, notice=True, userhost="ann@host")
    record = Record(
        record.msgid,
        record.time.replace(microsecond=123_456),
        record.sender,
        record.target,
        record.text,
        action=True,
        notice=True,
        userhost="ann@host",
    )
    store.append([record])
    assert store.latest(LOBBY, 1) == [record]


def test_messages_are_kept_as_their_records(store: HistoryStore) -> None:
    ids = MessageIds()
    paris = timezone(timedelta(hours=1))
    events: list[RoomMessage | PrivateMessage] = [
        RoomMessage(
            START.replace(microsecond=123_456).astimezone(paris),
            "Ann",
            "Lobby",
            "héllo ☕",
            action=True,
            notice=True,
            userhost="ann@host",
        ),
        RoomMessage(START.replace(second=1), "bob", "lobby", "hi"),
        # The hub's clock: local time, naive.
        RoomMessage(datetime(2026, 7, 1, 9, 30, 0, 987_654), "cy", "lobby", "yo"),
        PrivateMessage(START.replace(second=2), "Bob", "ann", "psst", notice=True),
    ]
    # As the hub does: each id made from its message's time.
    messages = [(ids.at_time(event.time), event) for event in events]
    store.append_messages([pending(msgid, event) for msgid, event in messages])
    store.append_messages([pending(*messages[0])])  # kept once
    records = [record_of(msgid, event) for msgid, event in messages]
    assert store.latest(LOBBY, 10) == records[:3]
    assert store.latest(Conversation.private("ann", "bob"), 10) == records[3:]
    # A message's time in history is its id's: the same moment, to the millisecond.
    assert records[0].time == START.replace(microsecond=123_000)
    naive = datetime(2026, 7, 1, 9, 30, 0, 987_000).astimezone(UTC)
    assert records[2].time == naive


def test_appending_a_record_twice_keeps_it_once(store: HistoryStore) -> None:
    _, records = said(store, 3)
    store.append(records[1:2])
    assert texts(store.latest(LOBBY, 10)) == ["m0", "m1", "m2"]


def test_rooms_are_found_whatever_the_case(store: HistoryStore) -> None:
    said(store, 2, room="Tea")
    assert texts(store.latest(Conversation.room("tEA"), 5)) == ["m0", "m1"]
    assert store.latest(LOBBY, 5) == []


def test_before_and_after_a_message_id(store: HistoryStore) -> None:
    _, records = said(store, 10)
    cursor = records[5].msgid
    assert texts(store.before(LOBBY, cursor, 2)) == ["m3", "m4"]
    assert texts(store.before(LOBBY, cursor, 100)) == ["m0", "m1", "m2", "m3", "m4"]
    assert texts(store.after(LOBBY, cursor, 2)) == ["m6", "m7"]
    assert texts(store.after(LOBBY, cursor, 100)) == ["m6", "m7", "m8", "m9"]


def test_before_and_after_a_time(store: HistoryStore) -> None:
    _, records = said(store, 10)
    at = records[5].time
    assert texts(store.before(LOBBY, at, 2)) == ["m3", "m4"]
    assert texts(store.after(LOBBY, at, 2)) == ["m6", "m7"]
    between_messages = at + timedelta(milliseconds=500)
    assert texts(store.before(LOBBY, between_messages, 1)) == ["m5"]
    assert texts(store.after(LOBBY, between_messages, 1)) == ["m6"]


def test_around_a_cursor_is_half_before_and_the_rest_from_it(store: HistoryStore) -> None:
    _, records = said(store, 10)
    assert texts(store.around(LOBBY, records[5].msgid, 4)) == ["m3", "m4", "m5", "m6"]
    assert texts(store.around(LOBBY, records[5].time, 3)) == ["m4", "m5", "m6"]
    assert texts(store.around(LOBBY, records[0].msgid, 4)) == ["m0", "m1", "m2", "m3"]
    assert texts(store.around(LOBBY, records[9].msgid, 4)) == ["m7", "m8", "m9"]


def test_between_two_cursors_either_way_round(store: HistoryStore) -> None:
    _, records = said(store, 10)
    first, last = records[2].msgid, records[8].msgid
    assert texts(store.between(LOBBY, first, last, 100)) == ["m3", "m4", "m5", "m6", "m7"]
    assert texts(store.between(LOBBY, first, last, 2)) == ["m3", "m4"]
    assert texts(store.between(LOBBY, last, first, 2)) == ["m6", "m7"]
    assert texts(store.between(LOBBY, records[2].time, records[5].time, 10)) == ["m3", "m4"]


def test_a_cursor_that_is_not_an_id_is_refused(store: HistoryStore) -> None:
    said(store, 1)
    with pytest.raises(ValueError, match="not a message id"):
        store.before(LOBBY, "bogus", 5)


def test_private_messages_are_seen_by_their_two_participants_only(store: HistoryStore) -> None:
    recorder = Recorder()
    store.append(
        [
            recorder.private("ann", "bob", "hi bob"),
            recorder.private("Bob", "ann", "hi ann"),
            recorder.private("ann", "cat", "hi cat"),
            recorder.room("in public"),
        ]
    )
    expected = ["hi bob", "hi ann"]
    assert texts(store.latest(Conversation.private("ann", "bob"), 10)) == expected
    assert texts(store.latest(Conversation.private("BOB", "Ann"), 10)) == expected
    assert texts(store.latest(Conversation.private("cat", "bob"), 10)) == []
    assert texts(store.latest(Conversation.private("cat", "ann"), 10)) == ["hi cat"]
    assert texts(store.latest(LOBBY, 10)) == ["in public"]
    assert texts(store.latest(Conversation.room("bob"), 10)) == []


def test_targets_lists_what_the_viewer_may_read_by_latest_message(store: HistoryStore) -> None:
    recorder = Recorder()
    store.append(
        [
            recorder.room("early", "lobby"),
            recorder.private("bob", "cat", "not for ann"),
            recorder.room("tea time", "tea"),
            recorder.private("ann", "bob", "psst"),
            recorder.room("secret", "hidden"),
            recorder.room("late", "lobby"),
            recorder.private("dan", "Ann", "hello"),
        ]
    )
    far_past, far_future = START - timedelta(days=1), START + timedelta(days=1)
    found = store.targets("ann", ["lobby", "Tea"], far_past, far_future, 10)
    assert [(t.name, t.private) for t in found] == [
        ("tea", False),
        ("bob", True),
        ("lobby", False),
        ("dan", True),
    ]
    assert found[2].latest == START + timedelta(seconds=6)
    assert [t.name for t in store.targets("ann", ["lobby", "Tea"], far_past, far_future, 2)] == [
        "tea",
        "bob",
    ]
    window = store.targets("ann", ["lobby", "tea"], START + timedelta(seconds=5), far_future, 10)
    assert [t.name for t in window] == ["lobby", "dan"]
    backwards = store.targets("ann", ["lobby", "tea"], far_future, START + timedelta(seconds=5), 10)
    assert [t.name for t in backwards] == ["lobby", "dan"]
    assert [t.name for t in store.targets("bob", [], far_past, far_future, 10)] == ["cat", "ann"]


def test_retention_by_count_per_conversation(store: HistoryStore) -> None:
    said(store, 10)
    said(store, 3, room="tea")
    removed = store.prune(START + timedelta(days=1), 4, None, 1000)
    assert removed == 6
    assert texts(store.latest(LOBBY, 100)) == ["m6", "m7", "m8", "m9"]
    assert texts(store.latest(Conversation.room("tea"), 100)) == ["m0", "m1", "m2"]
    assert store.prune(START + timedelta(days=1), 4, None, 1000) == 0


def test_retention_by_age(store: HistoryStore) -> None:
    _, records = said(store, 10)
    now = records[9].time + timedelta(days=30)
    removed = store.prune(now, 1000, timedelta(days=30, seconds=3), 1000)
    assert removed == 6  # m6 is exactly as old as allowed: kept
    assert texts(store.latest(LOBBY, 100)) == ["m6", "m7", "m8", "m9"]


def test_retention_goes_in_steps_of_at_most_a_batch(store: HistoryStore) -> None:
    said(store, 10)
    said(store, 10, room="tea")
    now = START + timedelta(days=1)
    steps = []
    while removed := store.prune(now, 2, None, 3):
        assert removed <= 3
        steps.append(removed)
    assert sum(steps) == 16
    assert texts(store.latest(LOBBY, 100)) == ["m8", "m9"]
    assert texts(store.latest(Conversation.room("tea"), 100)) == ["m8", "m9"]


def test_ids_sort_like_the_times_they_were_made(store: HistoryStore) -> None:
    _, records = said(store, 5)
    assert [r.msgid for r in records] == sorted(r.msgid for r in records)
    assert all(ids.time_of(r.msgid) == r.time for r in records)
