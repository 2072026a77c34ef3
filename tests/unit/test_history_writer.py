"""The history writer: batches, a bounded queue, failures that cost history and not chat."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chinwag.history import writer as writer_module
from chinwag.history.ids import MessageIds
from chinwag.history.service import History
from chinwag.history.sqlite import (
    Database,
    RoomState,
    SqliteHistory,
    StateStore,
    open_database,
)
from chinwag.history.store import Conversation, HistoryUnavailable, MemoryHistory, Record
from chinwag.history.writer import BATCH, PRUNE_BATCH, HistoryWriter, RateLimitedReport
from chinwag.hub.events import PrivateMessage, RoomMessage
from tests.support import wait_for

LOBBY = Conversation.room("lobby")
IDS = MessageIds()


def record(text: str) -> Record:
    return Record(IDS.next(), datetime.now(UTC), "ann", "lobby", text)


class CountingStore(MemoryHistory):
    """A memory store that remembers the size of every batch, and can be made to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.failing = False
        self.gate = threading.Event()
        self.gate.set()

    def append(self, records: Sequence[Record]) -> None:
        self.gate.wait(5)
        if self.failing:
            raise OSError(28, "No space left on device")
        self.batches.append(len(records))
        super().append(records)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="chinwag")
    return caplog


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[Database, SqliteHistory, HistoryWriter]]:
    """A started writer on a real database in ``tmp_path / "data"``."""
    database = open_database(tmp_path / "data")
    store = SqliteHistory(database)
    writer = HistoryWriter(store)
    writer.start()
    yield database, store, writer
    writer.close()
    database.close()


@pytest.fixture
def writer(store: CountingStore) -> Iterator[HistoryWriter]:
    writer = HistoryWriter(store, max_queued=50, batch=10)
    writer.start()
    yield writer
    store.gate.set()
    writer.close()


def test_queued_records_are_written_in_batches(store: CountingStore) -> None:
    writer = HistoryWriter(store, batch=10)
    for n in range(25):
        writer.put(record(f"m{n}"))
    writer.start()
    assert writer.flush(5)
    writer.close()
    assert store.batches == [10, 10, 5]
    assert len(store.latest(LOBBY, 100)) == 25
    assert writer.written == 25


def test_a_few_records_gather_until_a_batch_fills_or_someone_flushes(
    store: CountingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "LINGER_SECONDS", 3600.0)  # would outlast the test
    writer = HistoryWriter(store, batch=4)
    writer.start()
    try:
        for n in range(4):
            writer.put(record(f"m{n}"))
        # A full batch is written without the linger (looked at every 50 ms).
        wait_for(lambda: writer.written == 4, timeout=5, what="the full batch written")
        writer.put(record("late"))
        assert writer.flush(5)  # a flush ends the gathering at once
        assert writer.written == 5
        assert store.batches == [4, 1]
    finally:
        writer.close(5)


def test_putting_never_blocks_and_a_full_queue_drops_and_says_so_once(
    writer: HistoryWriter, store: CountingStore, logs: pytest.LogCaptureFixture
) -> None:
    store.gate.clear()  # the disk is stuck
    writer.put(record("first"))
    assert not writer.flush(0.2)
    accepted = sum(writer.put(record(f"m{n}")) for n in range(200))
    assert accepted <= 50
    assert writer.dropped == 200 - accepted
    full = [r for r in logs.records if "history queue full" in r.getMessage()]
    assert len(full) == 1  # at most once a minute
    store.gate.set()
    assert writer.flush(5)
    assert len(store.latest(LOBBY, 1000)) == accepted + 1


def test_a_failing_write_is_logged_once_and_makes_history_unavailable_until_one_succeeds(
    writer: HistoryWriter, store: CountingStore, logs: pytest.LogCaptureFixture
) -> None:
    history = History(store, writer)
    store.failing = True
    for n in range(3):
        writer.put(record(f"lost {n}"))
        assert writer.flush(5)
    assert not writer.available
    failures = [r for r in logs.records if "cannot write history" in r.getMessage()]
    assert len(failures) == 1
    assert "No space left on device" in failures[0].getMessage()
    with pytest.raises(HistoryUnavailable):
        history.latest(LOBBY, 10)
    store.failing = False
    writer.put(record("back"))
    assert writer.flush(5)
    assert writer.available
    assert [r.text for r in history.latest(LOBBY, 10)] == ["back"]


def test_state_changes_are_applied_by_the_writer_thread(writer: HistoryWriter) -> None:
    threads: list[str] = []
    writer.put(lambda: threads.append(threading.current_thread().name))
    assert writer.flush(5)
    assert threads == ["chinwag-history"]


def test_close_writes_what_is_queued(store: CountingStore) -> None:
    writer = HistoryWriter(store)
    writer.start()
    store.gate.clear()
    for n in range(30):
        writer.put(record(f"m{n}"))
    store.gate.set()
    writer.close()
    assert len(store.latest(LOBBY, 100)) == 30


def test_close_waits_a_bounded_time_for_a_stuck_disk(store: CountingStore) -> None:
    writer = HistoryWriter(store)
    writer.start()
    store.gate.clear()
    writer.put(record("stuck"))
    writer.close(timeout=0.1)  # returns although the write has not finished
    store.gate.set()


def test_the_writer_prunes_old_history_as_it_goes(store: CountingStore) -> None:
    now = datetime.now(UTC)
    then = now - timedelta(days=40)
    old = Record(MessageIds(clock=then.timestamp).next(), then, "ann", "lobby", "old")
    store.append([old])
    writer = HistoryWriter(store, retention_age=timedelta(days=30), now=lambda: now)
    writer.start()
    writer.put(record("new"))
    assert writer.flush(5)
    writer.close()
    assert [r.text for r in store.latest(LOBBY, 10)] == ["new"]


def test_a_read_only_data_directory_costs_history_not_chat(
    on_disk: tuple[Database, SqliteHistory, HistoryWriter],
) -> None:
    database, store, writer = on_disk
    # The database is taken away from under the writer.
    database.writer.execute("PRAGMA query_only = ON")
    writer.put(record("lost"))
    assert writer.flush(5)
    assert not writer.available
    with pytest.raises(HistoryUnavailable):
        History(store, writer).latest(LOBBY, 5)


def test_changes_of_rooms_a_failed_write_left_unsaved_are_saved_when_it_works_again(
    on_disk: tuple[Database, SqliteHistory, HistoryWriter], logs: pytest.LogCaptureFixture
) -> None:
    database, store, writer = on_disk
    history = History(store, writer, state=StateStore(database), database=database)
    history.save_room(RoomState("den", "before"))
    assert writer.flush(5)
    database.writer.execute("PRAGMA query_only = ON")  # the disk fails
    history.save_room(RoomState("den", "during"))
    history.save_room(RoomState("attic", "also during"))
    writer.put(record("lost"))
    assert writer.flush(5)
    assert not writer.available
    assert {room.name: room.topic for room in history.load_rooms()} == {"den": "before"}
    database.writer.execute("PRAGMA query_only = OFF")  # and works again
    writer.put(record("back"))  # the next batch, or RETRY_SECONDS, saves them
    assert writer.flush(5)
    wait_for(
        lambda: (
            {room.name: room.topic for room in history.load_rooms()}
            == {"den": "during", "attic": "also during"}
        ),
        what="the unsaved changes saved",
    )
    assert not any("not saved" in r.getMessage() for r in logs.records)


def test_a_full_queue_still_takes_changes_of_bans_and_rooms(store: CountingStore) -> None:
    writer = HistoryWriter(store, max_queued=5, batch=10)  # not started: nothing drains
    assert all(writer.put(record(f"m{n}")) for n in range(5))
    assert not writer.put(record("dropped"))
    saved: list[str] = []
    assert writer.put(lambda: saved.append("ban"))
    writer.close()  # not started: writes what is queued, here
    assert saved == ["ban"]
    assert writer.dropped == 1


def test_a_database_deleted_while_in_use_makes_history_unavailable_and_says_why(
    on_disk: tuple[Database, SqliteHistory, HistoryWriter], logs: pytest.LogCaptureFixture
) -> None:
    database, store, writer = on_disk
    writer.put(record("kept"))
    assert writer.flush(5)
    for name in ("chinwag.db", "chinwag.db-wal", "chinwag.db-shm"):
        (database.directory / name).unlink(missing_ok=True)
    writer.put(record("into a deleted file"))
    assert writer.flush(5)
    assert not writer.available
    with pytest.raises(HistoryUnavailable):
        History(store, writer).latest(LOBBY, 5)
    [failure] = [r for r in logs.records if "cannot write history" in r.getMessage()]
    assert "chinwag.db was deleted or replaced while in use" in failure.getMessage()


def test_the_recorder_keeps_room_messages_and_private_ones_only_if_asked() -> None:
    now = datetime.now().replace(microsecond=123_000)  # history keeps milliseconds
    room = RoomMessage(now, "ann", "lobby", "hello", action=True)
    private = PrivateMessage(now, "ann", "bob", "psst")
    for keep_private, expected in ((False, ["hello"]), (True, ["hello", "psst"])):
        store = MemoryHistory()
        history = History(store, HistoryWriter(store), private=keep_private)
        history.record(room)
        history.record(private)
        history.writer.flush()
        kept = store.latest(LOBBY, 5) + store.latest(Conversation.private("bob", "ann"), 5)
        assert [r.text for r in kept] == expected
        assert kept[0].action
        assert kept[0].time == now.astimezone(UTC)


def test_actions_and_notices_among_many_plain_messages_keep_their_flags(
    on_disk: tuple[Database, SqliteHistory, HistoryWriter],
) -> None:
    # The recorder tells the writer of each flagged message, which spares the pages of
    # plain ones looking: those told of must still be kept flagged, wherever they fall.
    _, store, writer = on_disk
    history = History(store, writer, private=True)
    ids = MessageIds()
    now = datetime.now()
    flags = {300: (True, False), 450: (False, True), 1000: (True, True)}
    for n in range(1200):
        action, notice = flags.get(n, (False, False))
        event = RoomMessage(now, "ann", "lobby", f"m{n}", action, notice, msgid=ids.at_time(now))
        history.record(event)
    history.record(PrivateMessage(now, "ann", "bob", "psst", notice=True, msgid=ids.at_time(now)))
    history.record(PrivateMessage(now, "ann", "bob", "plain", msgid=ids.at_time(now)))
    assert writer.flush(10)
    kept = store.latest(LOBBY, 2000)
    assert [r.text for r in kept] == [f"m{n}" for n in range(1200)]
    assert {n: (r.action, r.notice) for n, r in enumerate(kept) if r.action or r.notice} == flags
    told = store.latest(Conversation.private("ann", "bob"), 5)
    assert [(r.text, r.notice) for r in told] == [("psst", True), ("plain", False)]


def test_a_report_is_due_at_most_once_an_interval() -> None:
    now = [0.0]
    report = RateLimitedReport(60, clock=lambda: now[0])
    assert report.due()
    assert not report.due()
    now[0] = 59.9
    assert not report.due()
    now[0] = 60.0
    assert report.due()


def test_pruning_keeps_pace_with_a_busy_chat(store: CountingStore) -> None:
    writer = HistoryWriter(
        store, retention_count=100, prune_seconds=3600, max_queued=3 * PRUNE_BATCH
    )
    writer.start()
    try:
        for n in range(3 * PRUNE_BATCH):
            writer.put(record(f"m{n}"))
        assert writer.flush(10)
    finally:
        writer.close()
    # Pruned at start and after every PRUNE_BATCH written: never far past the limit.
    assert len(store.latest(LOBBY, 100_000)) <= 100 + PRUNE_BATCH + BATCH
