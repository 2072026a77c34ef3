"""Pages of records in the SQLite store: the format, merging records told late, and the
store answering as the memory model does whatever the pages' boundaries."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chinwag.history import ids as message_ids
from chinwag.history import pages
from chinwag.history import sqlite as storage
from chinwag.history.ids import MessageIds
from chinwag.history.sqlite import SqliteHistory, open_database
from chinwag.history.store import (
    Conversation,
    HistoryUnavailable,
    MemoryHistory,
    Pending,
    Record,
    kept,
    pending,
)
from chinwag.hub.events import PrivateMessage, RoomMessage

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
LOBBY = Conversation.room("lobby")


def made(count: int, room: str = "lobby", start: datetime = START) -> list[Record]:
    """``count`` records, a millisecond apart, their ids made from their times (as the
    hub makes them)."""
    source = MessageIds()
    times = [start + timedelta(milliseconds=n) for n in range(count)]
    return [
        Record(message_ids.encode(source.at_time(when)), when, "ann", room, f"m{n}")
        for n, when in enumerate(times)
    ]


def as_pending(record: Record) -> Pending:
    """The message the hub would have handed the writer for ``record``."""
    msgid = message_ids.decode(record.msgid)
    if record.private:
        return PrivateMessage(
            record.time,
            record.sender,
            record.target,
            record.text,
            record.notice,
            record.userhost,
            msgid,
        )
    return RoomMessage(
        record.time,
        record.sender,
        record.target,
        record.text,
        record.action,
        record.notice,
        record.userhost,
        msgid,
    )


def flagged(records: list[Record]) -> list[Record]:
    """``records``, some of them actions, notices or both, with user@hosts."""
    return [
        dataclasses.replace(r, action=n % 3 == 0, notice=n % 4 == 0, userhost=f"u{n}@h")
        for n, r in enumerate(records)
    ]


def test_a_record_comes_back_from_its_entry() -> None:
    record = Record(
        made(1)[0].msgid, START.replace(microsecond=7), "ann", "#tea", "héllo\tthere", False, True
    )
    entry = pages.pack(pages.row_of(record))
    assert pages.record(entry, private=False) == record


def test_a_separator_in_a_field_cannot_split_a_page() -> None:
    records = made(2)
    rows = [pages.row_of(r) for r in records]
    rows[0] = (*rows[0][:4], "one\x1etwo\x1fthree", *rows[0][5:])
    entries = [pages.pack(row) for row in rows]
    with pytest.raises(ValueError, match="separator"):
        pages.page(entries)
    text = pages.page(entries, rows)
    back = [pages.record(entry, private=False) for entry in pages.entries(text)]
    assert [r.text for r in back] == ["one\ufffdtwo\ufffdthree", "m1"]
    assert [r.msgid for r in back] == [r.msgid for r in records]


def test_records_told_late_are_merged_among_the_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_RECORDS", 3)
    records = made(20)
    database = open_database(tmp_path)
    store = SqliteHistory(database)
    try:
        store.append(records[::2])  # the even ones, in pages of three
        store.append(records[1::2] + records[:4])  # the odd ones, and four kept already
        assert store.latest(LOBBY, 100) == records
        pages_kept = database.reader.execute("SELECT count(*) FROM pages").fetchone()[0]
        assert pages_kept == 7  # 20 records, at most 3 a page, none overlapping
        assert store.prune(START + timedelta(days=1), 5, None, 100) == 15
        assert store.latest(LOBBY, 100) == records[15:]
    finally:
        database.close()


@pytest.mark.parametrize("by_column", [False, True])
@pytest.mark.parametrize("batch", [2, 4, 100])
def test_pruning_by_age_cuts_into_a_page_where_the_age_falls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_column: bool, batch: int
) -> None:
    monkeypatch.setattr(pages, "PAGE_RECORDS", 3)
    steps = iter(range(10))
    clock = MessageIds(clock=lambda: START.timestamp() + next(steps) / 1000)  # 1 ms apart
    records = [
        Record(clock.next(), START + timedelta(milliseconds=n), "ann", "lobby", f"m{n}")
        for n in range(10)
    ]
    model = MemoryHistory()
    model.append(records)
    database = open_database(tmp_path)
    try:
        store = SqliteHistory(database)
        if by_column:
            store.append_messages([as_pending(r) for r in records])
        else:
            store.append(records)
        # Older than 30 days at 4 ms past START: the first four go, in steps of ``batch``.
        now, age = START + timedelta(days=30, milliseconds=4), timedelta(days=30)
        while (removed := store.prune(now, 100, age, batch)) != 0:
            assert removed == model.prune(now, 100, age, batch)
        assert store.latest(LOBBY, 100) == model.latest(LOBBY, 100) == records[4:]
    finally:
        database.close()


def test_a_batch_spread_over_rooms_is_kept_in_each_room_in_order(tmp_path: Path) -> None:
    # Room 0 is said as "Tea" and "tea": one room, whose messages stay in one order.
    rooms = 3
    names = ["Tea", *(f"room{n}" for n in range(1, rooms))]
    ids = MessageIds()
    said = datetime(2026, 1, 2, 3, 4, 5)
    messages = []
    for n in range(pages.PAGE_RECORDS * 3):
        name = names[n // 7 % rooms]
        if name == "Tea" and n % 2:
            name = "tea"
        event = RoomMessage(said, f"u{n % 5}", name, f"m{n}", n % 11 == 0, userhost=f"h{n % 3}")
        messages.append(pending(ids.at_time(said), event))
    database = open_database(tmp_path)
    try:
        store = SqliteHistory(database)
        store.append_messages(messages)
        for name in names:
            room = Conversation.room(name)
            expected = [kept(m) for m in messages if Conversation.room(m.room) == room]
            assert store.latest(room, 10_000) == expected
    finally:
        database.close()


def test_the_hubs_messages_go_in_pages_and_come_back(tmp_path: Path) -> None:
    ids = MessageIds()
    said = datetime(2026, 1, 2, 3, 4, 5)
    messages = [
        pending(ids.at_time(said), RoomMessage(said, "ann", "Lobby", f"m{n}", n % 2 == 0))
        for n in range(pages.PAGE_RECORDS + 10)
    ]
    database = open_database(tmp_path)
    store = SqliteHistory(database)
    try:
        store.append_messages(messages)
        kept = store.latest(LOBBY, 1000)
        assert [r.text for r in kept] == [f"m{n}" for n in range(len(messages))]
        assert [r.action for r in kept[:3]] == [True, False, True]
        assert all(r.target == "Lobby" and r.time == said.astimezone(UTC) for r in kept)
        rows = database.reader.execute("SELECT count FROM pages ORDER BY first").fetchall()
        assert rows == [(pages.PAGE_RECORDS,), (10,)]
    finally:
        database.close()


def test_a_page_by_column_reads_back_as_the_records_it_was_made_of() -> None:
    records = flagged(made(7))
    text = pages.columns([as_pending(r) for r in records])
    assert text.startswith(pages.FS)
    back = [pages.record(entry, private=False) for entry in pages.entries(text)]
    assert back == records
    assert pages.record(pages.last_entry(text), private=False) == records[-1]
    assert text.count("lobby") == 1  # a room's page names its room once


def test_a_private_page_by_column_keeps_each_records_target() -> None:
    records = [
        dataclasses.replace(
            r, private=True, sender=("ann", "bob")[n % 2], target=("bob", "ann")[n % 2]
        )
        for n, r in enumerate(made(5))
    ]
    text = pages.columns([as_pending(r) for r in records])
    back = [pages.record(entry, private=True) for entry in pages.entries(text)]
    assert back == records


def test_a_page_of_messages_known_to_be_plain_is_the_page_made_by_looking() -> None:
    # Ids a millisecond apart (made()) and ids counting up within one, side by side.
    source, later = MessageIds(), START + timedelta(milliseconds=10)
    records = made(3) + [
        Record(message_ids.encode(source.at_time(later)), later, "bob", "lobby", f"n{n}")
        for n in range(3)
    ]
    messages = [as_pending(r) for r in records]
    text = pages.columns(messages, plain=True)
    assert text == pages.columns(messages)
    assert [pages.record(e, private=False) for e in pages.entries(text)] == records


def test_a_page_by_column_with_its_times_written_out_still_reads() -> None:
    # As chinwag wrote pages by column before ids told the time: GS, then seven columns,
    # the times the first's microseconds and then each other's microseconds after it.
    records = [
        dataclasses.replace(r, time=r.time + timedelta(microseconds=n))
        for n, r in enumerate(flagged(made(4)))
    ]
    first_us = (records[0].time - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    offsets = [(r.time - records[0].time) // timedelta(microseconds=1) for r in records]
    columns = [
        [hex(message_ids.decode(r.msgid)) for r in records],
        [str(first_us)] + [str(o) for o in offsets[1:]],
        [r.sender for r in records],
        [r.target for r in records],
        [r.text for r in records],
        None,
        [r.userhost for r in records],
    ]
    flags = "".join(str(r.action * pages.ACTION | r.notice * pages.NOTICE) for r in records)
    text = pages.GS + pages.US.join(
        flags if column is None else pages.RS.join(column) for column in columns
    )
    back = [pages.record(entry, private=False) for entry in pages.entries(text)]
    assert back == records  # to the microsecond
    assert pages.entries(text, slice(1, 3)) == pages.entries(text)[1:3]


@pytest.mark.parametrize("by_column", [False, True])
@pytest.mark.parametrize(
    "part", [slice(None), slice(-3, None), slice(2), slice(-1, None), slice(2, 5), slice(-20, None)]
)
def test_part_of_a_page_is_that_part_of_its_entries(by_column: bool, part: slice) -> None:
    records = flagged(made(7))
    if by_column:
        text = pages.columns([as_pending(r) for r in records])
    else:
        text = pages.page([pages.pack(pages.row_of(r)) for r in records])
    every = pages.entries(text)
    assert [pages.record(e, private=False) for e in every] == records
    assert pages.entries(text, part) == every[part]


@pytest.mark.parametrize("layout", ["room", "private", "by record"])
def test_a_page_without_its_oldest_records_holds_the_rest_in_its_layout(layout: str) -> None:
    records = flagged(made(7))
    if layout == "private":
        records = [
            dataclasses.replace(r, private=True, target=f"u{n % 2}") for n, r in enumerate(records)
        ]
    if layout == "by record":
        text = pages.page([pages.pack(pages.row_of(r)) for r in records])
    else:
        text = pages.columns([as_pending(r) for r in records])
    every = pages.entries(text)
    assert pages.numbers(text) == [message_ids.decode(r.msgid) for r in records]
    for count in range(1, len(records)):
        rest = pages.without_oldest(text, count)
        assert rest.startswith(pages.FS) == (layout != "by record")
        assert pages.entries(rest) == every[count:]
        assert pages.numbers(rest) == pages.numbers(text)[count:]


def test_a_damaged_page_by_column_cannot_be_cut() -> None:
    text = pages.columns([as_pending(r) for r in made(4)])
    senders = text.split(pages.US)[1]
    damaged = text.replace(senders, senders.rsplit(pages.RS, 1)[0])  # a sender short
    with pytest.raises(ValueError, match="damaged"):
        pages.without_oldest(damaged, 1)


def test_a_separator_in_a_message_is_refused_by_columns_and_kept_cleaned(
    tmp_path: Path,
) -> None:
    # Events refuse control characters in what people say; a user@host is the server's.
    records = made(3)
    records[1] = dataclasses.replace(records[1], userhost="one\x1etwo\x1fthree")
    with pytest.raises(ValueError, match="separator"):
        pages.columns([as_pending(r) for r in records])
    database = open_database(tmp_path)
    try:
        store = SqliteHistory(database)
        store.append_messages([as_pending(r) for r in records])
        kept = [r.userhost for r in store.latest(LOBBY, 10)]
        assert kept == ["", "one\ufffdtwo\ufffdthree", ""]
    finally:
        database.close()


@pytest.fixture
def london() -> Iterator[None]:
    """Local time is London's, which left summer time at 01:00 UTC on 25 October 2026."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("london")
def test_a_page_across_a_change_of_the_local_clock_keeps_every_time() -> None:
    # The hub's times are naive local times: a page whose messages straddle the end of
    # summer time must not take one offset from UTC for all of them.
    change = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    at_utc = [change + timedelta(seconds=s) for s in (-2, -1, 0, 1)]
    local = [datetime.fromtimestamp(when.timestamp()) for when in at_utc]  # as datetime.now()
    assert local[0].hour == 1 and local[-1].hour == 1  # the same naive hour, twice over
    source = MessageIds()
    messages = [
        pending(source.at_time(when), RoomMessage(when, "ann", "lobby", f"m{n}"))
        for n, when in enumerate(local)
    ]
    back = [pages.record(e, private=False) for e in pages.entries(pages.columns(messages))]
    assert [r.time for r in back] == at_utc
    assert back == [kept(m) for m in messages]


def test_a_database_of_one_row_per_message_is_migrated_to_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MIGRATIONS", storage.MIGRATIONS[:1])
    monkeypatch.setattr(storage, "SCHEMA_VERSION", 1)
    database = open_database(tmp_path)
    records = made(3)
    with database.transaction() as connection:
        for n, record in enumerate(records):
            connection.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "#lobby",
                    int.from_bytes(bytes.fromhex(f"{pages.row_of(record)[0]:032x}")).to_bytes(
                        16, "big"
                    ),
                    pages.row_of(record)[1],
                    "ann",
                    "lobby",
                    record.text,
                    n % 2,  # an action, or not
                    "ann@host",
                ),
            )
    database.close()
    monkeypatch.undo()
    database = open_database(tmp_path)
    try:
        kept = SqliteHistory(database).latest(LOBBY, 10)
        assert [(r.msgid, r.time, r.text, r.action) for r in kept] == [
            (r.msgid, r.time, r.text, n % 2 == 1) for n, r in enumerate(records)
        ]
        assert all(r.userhost == "ann@host" for r in kept)
        tables = {row[0] for row in database.reader.execute("SELECT name FROM sqlite_master")}
        assert "messages" not in tables
    finally:
        database.close()


# --- the store answers as the memory model does, whatever its pages ------------------------

_ROOMS = ["lobby", "tea"]
_batches = st.lists(
    st.tuples(
        st.sampled_from(_ROOMS),
        st.lists(st.integers(0, 59), min_size=1, max_size=12),
        st.booleans(),  # handed over as the hub's messages (pages by column), or as records
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=_batches,
    keep=st.integers(1, 30),
    cursor=st.integers(0, 59),
    other=st.integers(0, 59),
    limit=st.integers(0, 25),
)
def test_the_store_answers_as_the_model_does(
    batches: list[tuple[str, list[int], bool]], keep: int, cursor: int, other: int, limit: int
) -> None:
    # Records numbered 0-59, told in batches of any order (and again): pages of three
    # records, of either layout, merged and cut every way the batches make them.
    every = {room: flagged(made(60, room)) for room in _ROOMS}
    model = MemoryHistory()
    original = pages.PAGE_RECORDS
    pages.PAGE_RECORDS = 3
    try:
        with tempfile.TemporaryDirectory() as directory:
            database = open_database(directory)
            store = SqliteHistory(database)
            try:
                for room, numbers, as_messages in batches:
                    batch = [every[room][n] for n in numbers]
                    if as_messages:
                        store.append_messages([as_pending(r) for r in batch])
                    else:
                        store.append(batch)
                    model.append(batch)
                now = START + timedelta(days=1)
                assert store.prune(now, keep, None, 1000) == model.prune(now, keep, None, 1000)
                for room in _ROOMS:
                    records = every[room]
                    conversation = Conversation.room(room)
                    at, to = records[cursor].msgid, records[other].msgid
                    for ask in (
                        lambda s: s.latest(conversation, limit),  # noqa: B023
                        lambda s: s.latest(conversation, limit, at),  # noqa: B023
                        lambda s: s.before(conversation, at, limit),  # noqa: B023
                        lambda s: s.after(conversation, at, limit),  # noqa: B023
                        lambda s: s.around(conversation, at, limit),  # noqa: B023
                        lambda s: s.between(conversation, at, to, limit),  # noqa: B023
                    ):
                        assert ask(store) == ask(model)
                low, high = every["lobby"][cursor].msgid, every["tea"][other].msgid
                assert store.recent(None, None, limit) == model.recent(None, None, limit)
                assert store.recent(low, high, limit) == model.recent(low, high, limit)
                times = (START - timedelta(days=1), START + timedelta(days=1))
                assert store.targets("ann", _ROOMS, *times, 5) == model.targets(
                    "ann", _ROOMS, *times, 5
                )
            finally:
                database.close()
    finally:
        pages.PAGE_RECORDS = original


@pytest.mark.parametrize(
    ("damage", "found_by_every_question"),
    [
        ("UPDATE pages SET records = 'garbage'", True),
        ("UPDATE pages SET records = x'00ff'", True),  # not text at all
        # By column, with columns missing or of different lengths.
        ("UPDATE pages SET records = char(28) || 'a' || char(31) || 'b'", True),
        (
            "UPDATE pages SET records = char(28) || replace(substr(records, 2), "
            "char(30) || 'm1', '')",
            True,
        ),
        ("UPDATE pages SET records = char(29) || 'a' || char(31) || 'b'", True),
        (
            "UPDATE pages SET records = char(29) || replace(substr(records, 2), "
            "char(30) || 'm1', '')",
            True,
        ),
        # Keys of the wrong kind: a question whose range they fall outside does not see
        # the page at all; none may fail otherwise than by saying history is unavailable.
        ("UPDATE pages SET last = 'a text', first = 12", False),
    ],
)
@pytest.mark.parametrize("by_column", [False, True])
def test_a_page_that_is_not_ours_reads_as_unavailable(
    tmp_path: Path, damage: str, found_by_every_question: bool, by_column: bool
) -> None:
    database = open_database(tmp_path)
    store = SqliteHistory(database)
    try:
        if by_column:
            store.append_messages([as_pending(r) for r in made(3)])
        else:
            store.append(made(3))
        with database.transaction() as connection:
            connection.execute(damage)
        for ask in (
            lambda: store.latest(LOBBY, 10),
            lambda: store.after(LOBBY, START, 10),
            lambda: store.recent(None, None, 10),
            lambda: store.targets("ann", ["lobby"], START - timedelta(1), START + timedelta(1), 5),
        ):
            try:
                answer = ask()
            except HistoryUnavailable as unavailable:
                assert "damaged" in str(unavailable)
            else:
                assert not found_by_every_question and answer == []
    finally:
        database.close()


def test_records_kept_already_leave_the_pages_as_they_were(tmp_path: Path) -> None:
    # A node catching up is told what it may have already: that must not cost a rewrite.
    records = made(10)
    database = open_database(tmp_path)
    store = SqliteHistory(database)
    try:
        store.append(records)
        before = database.reader.execute("SELECT rowid, first FROM pages").fetchall()
        store.append(records[2:7])
        assert database.reader.execute("SELECT rowid, first FROM pages").fetchall() == before
        assert store.latest(LOBBY, 100) == records
    finally:
        database.close()
