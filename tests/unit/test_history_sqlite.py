"""The data directory and its database: opening, refusing, migrating; the kept state."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chinwag.history import pages
from chinwag.history import sqlite as storage
from chinwag.history.ids import MessageIds
from chinwag.history.service import History
from chinwag.history.sqlite import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    RoomState,
    SqliteHistory,
    StateStore,
    StorageError,
    open_database,
)
from chinwag.history.store import Conversation, Record, pending
from chinwag.hub.bans import Ban
from chinwag.hub.events import RoomMessage

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_a_missing_data_directory_is_made_private(tmp_path: Path) -> None:
    directory = tmp_path / "deep" / "data"
    database = open_database(directory)
    try:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert (directory / "chinwag.db").exists()
        connection = database.reader
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert database.writer.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        for each in (database.reader, database.writer):  # a bounded cache each
            assert each.execute("PRAGMA cache_size").fetchone()[0] == storage.CACHE_PAGES
            assert each.execute("PRAGMA secure_delete").fetchone()[0] == 2  # FAST
    finally:
        database.close()


def test_one_server_per_data_directory(tmp_path: Path) -> None:
    database = open_database(tmp_path)
    try:
        with pytest.raises(StorageError, match=f"{tmp_path} is in use by another chinwag"):
            open_database(tmp_path)
    finally:
        database.close()
    open_database(tmp_path).close()  # free again once closed


def test_the_data_directory_stays_locked_when_its_lock_file_is_deleted(tmp_path: Path) -> None:
    database = open_database(tmp_path)
    try:
        (tmp_path / storage.LOCK_NAME).unlink()  # a cleaner of stale files, say
        with pytest.raises(StorageError, match=f"{tmp_path} is in use by another chinwag"):
            open_database(tmp_path)
    finally:
        database.close()


def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "chinwag.db").write_text("my shopping list\n" * 100)
    with pytest.raises(StorageError) as caught:
        open_database(tmp_path)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "chinwag.db"))
    assert "not a chinwag database" in message
    assert "\n" not in message
    open_database_again_is_still_refused(tmp_path)  # the lock was released


def open_database_again_is_still_refused(path: Path) -> None:
    with pytest.raises(StorageError, match="not a chinwag database"):
        open_database(path)


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "chinwag.db") as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    connection.close()
    with pytest.raises(StorageError, match="another program's SQLite file"):
        open_database(tmp_path)


def test_a_database_with_another_application_id_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "chinwag.db") as connection:
        connection.execute("PRAGMA application_id = 1234")
    connection.close()
    with pytest.raises(StorageError, match="application id 0x4d2"):
        open_database(tmp_path)


def test_a_database_from_a_newer_chinwag_is_refused(tmp_path: Path) -> None:
    open_database(tmp_path).close()
    with sqlite3.connect(tmp_path / "chinwag.db") as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StorageError, match="made by a newer chinwag"):
        open_database(tmp_path)


def test_an_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_database(tmp_path).close()
    newer = (*storage.MIGRATIONS, "ALTER TABLE bans ADD COLUMN reason TEXT NOT NULL DEFAULT ''")
    monkeypatch.setattr(storage, "MIGRATIONS", newer)
    monkeypatch.setattr(storage, "SCHEMA_VERSION", len(newer))
    database = open_database(tmp_path)
    try:
        assert database.reader.execute("PRAGMA user_version").fetchone()[0] == len(newer)
        columns = [row[1] for row in database.reader.execute("PRAGMA table_info(bans)")]
        assert "reason" in columns
    finally:
        database.close()


def test_a_new_database_has_large_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = open_database(tmp_path / "new")
    try:
        assert database.reader.execute("PRAGMA page_size").fetchone()[0] == storage.PAGE_SIZE
    finally:
        database.close()
    old = tmp_path / "old"
    with monkeypatch.context() as before:  # made by a chinwag of 4 KiB pages
        before.setattr(storage, "PAGE_SIZE", 4096)
        open_database(old).close()
    database = open_database(old)
    try:
        assert database.reader.execute("PRAGMA page_size").fetchone()[0] == 4096
        history = SqliteHistory(database)
        record = Record(MessageIds().next(), START, "ann", "#lobby", "hello")
        history.append([record])
        assert history.latest(Conversation.room("#lobby"), 10) == [record]
    finally:
        database.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_data_directory_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StorageError, match=r"cannot use the data directory .*Permission"):
            open_database(tmp_path / "data")
    finally:
        tmp_path.chmod(0o700)


def test_a_data_directory_that_cannot_be_made_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match=r"cannot use the data directory .*Not a directory"):
        open_database(tmp_path / "file" / "data")


def test_bans_are_kept_until_they_expire(tmp_path: Path) -> None:
    database = open_database(tmp_path)
    state = StateStore(database)
    now = time.time()
    state.save_ban(Ban("10.0.0.2", "op", "spammer"))
    state.save_ban(Ban("10.1.0.0/16", "op", until=now + 60))
    state.save_ban(Ban("10.2.0.9", "op", until=now - 1))
    state.save_ban(Ban("2001:db8::1", "op"))
    state.delete_ban("2001:db8::5")  # the same /64
    database.close()
    database = open_database(tmp_path)
    try:
        kept = StateStore(database).load_bans(now)
        assert kept == [Ban("10.0.0.2", "op", "spammer"), Ban("10.1.0.0/16", "op", until=now + 60)]
        rows = database.reader.execute("SELECT count(*) FROM bans").fetchone()[0]
        assert rows == 2  # the expired one is gone for good
    finally:
        database.close()


def test_rooms_are_kept_with_their_topic_and_settings(tmp_path: Path) -> None:
    database = open_database(tmp_path)
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    tea = RoomState(
        "Tea", "earl grey only", "ann", at, "knt", "secret", 10, (("*!*@x", "ann", at),)
    )
    state = StateStore(database)
    state.save_room(tea)
    state.save_room(RoomState("gone"))
    state.delete_room("GONE")
    database.close()
    database = open_database(tmp_path)
    try:
        assert StateStore(database).load_rooms() == [tea]
    finally:
        database.close()


def test_the_servers_ban_list_saves_changes_and_comes_back(tmp_path: Path) -> None:
    from chinwag.config import Config

    config = Config(data_dir=str(tmp_path))
    history = History.open(config)
    history.start()
    bans = history.bans()
    bans.add(Ban("10.0.0.2", "op", "spammer"))
    bans.add(Ban("10.0.0.3", "op"))
    bans.remove("spammer")
    history.close()
    history = History.open(config)
    try:
        assert [ban.address for ban in history.bans().active()] == ["10.0.0.3"]
    finally:
        history.close()


def test_no_data_directory_keeps_history_in_memory_and_no_state() -> None:
    from chinwag.config import Config

    history = History.open(Config(data_dir=""))
    try:
        assert history.state is None
        assert history.bans().active() == []
        assert history.load_rooms() == []
    finally:
        history.close()


def _steps_of_targets(tmp_path: Path, others: int) -> int:
    """SQLite's steps for one user's TARGETS, with ``others`` messages in a room not theirs."""
    database = open_database(tmp_path / str(others))
    history = SqliteHistory(database)
    ids = MessageIds()
    said = datetime(2026, 1, 2, 3, 4, 5)
    history.append_messages(
        [
            pending(ids.next_value(), RoomMessage(said, "bob", "elsewhere", f"m{n}"))
            for n in range(others)
        ]
        + [pending(ids.next_value(), RoomMessage(said, "ann", "den", "mine"))]
    )
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    database.reader.set_progress_handler(count, 10)
    try:
        early, late = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        found = history.targets("ann", ["den"], early, late, 50)
    finally:
        database.reader.set_progress_handler(None, 0)
        history.close()
        database.close()
    assert [target.name for target in found] == ["den"]
    return steps


def test_targets_costs_the_viewers_conversations_not_the_whole_history(tmp_path: Path) -> None:
    # Every history read shares one reader and its lock: a TARGETS that scanned every
    # row held up every join's replay for as long as the whole history takes to read.
    assert _steps_of_targets(tmp_path, 2000) == _steps_of_targets(tmp_path, 20)


def test_pruning_by_age_reaches_every_conversation_a_few_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "AGE_VISITS", 2)
    made = MessageIds(clock=START.timestamp)
    rooms = [f"room{n}" for n in range(5)]
    old = [Record(made.next(), START, "ann", room, f"old {room}") for room in rooms]
    later = START + timedelta(days=2)
    kept = [Record(MessageIds(clock=later.timestamp).next(), later, "ann", "room4", "new")]
    database = open_database(tmp_path)
    history = storage.SqliteHistory(database)
    try:
        history.append([*old, *kept])
        now, age = START + timedelta(days=2, seconds=1), timedelta(days=1)
        steps = [history.prune(now, 100, age, 1000) for _ in range(3)]
        assert steps == [2, 2, 1]  # two conversations looked at per step, then the rest
        for room in rooms:
            left = [r.text for r in history.latest(Conversation.room(room), 10)]
            assert left == (["new"] if room == "room4" else [])
        assert history.prune(now, 100, age, 1000) == 0
    finally:
        database.close()


def test_pruning_by_age_goes_in_steps_of_at_most_a_batch(tmp_path: Path) -> None:
    made = MessageIds(clock=START.timestamp)
    records = [Record(made.next(), START, "ann", "lobby", f"m{n}") for n in range(7)]
    database = open_database(tmp_path)
    history = storage.SqliteHistory(database)
    try:
        history.append(records)
        now, age = START + timedelta(days=2), timedelta(days=1)
        assert [history.prune(now, 100, age, 3) for _ in range(4)] == [3, 3, 1, 0]
    finally:
        database.close()


def test_retention_by_count_counts_again_after_records_it_had_already(tmp_path: Path) -> None:
    made = MessageIds(clock=START.timestamp)
    records = [Record(made.next(), START, "ann", "lobby", f"m{n}") for n in range(8)]
    database = open_database(tmp_path)
    history = storage.SqliteHistory(database)
    try:
        history.append(records[:5])
        assert history.prune(START, 10, None, 1000) == 0  # five counted, none too many
        history.append(records)  # five of these are kept already: three more
        assert history.prune(START, 4, None, 1000) == 4
        assert [r.text for r in history.latest(Conversation.room("lobby"), 10)] == [
            "m4",
            "m5",
            "m6",
            "m7",
        ]
    finally:
        database.close()


def test_a_batch_larger_than_one_page_is_kept_whole(tmp_path: Path) -> None:
    made = MessageIds(clock=START.timestamp)
    count = pages.PAGE_RECORDS * 2 + 345
    records = [Record(made.next(), START, "ann", "lobby", f"m{n}") for n in range(count)]
    database = open_database(tmp_path)
    history = storage.SqliteHistory(database)
    try:
        history.append(records)
        kept = history.latest(Conversation.room("lobby"), count + 1)
        assert [r.text for r in kept] == [r.text for r in records]
    finally:
        database.close()
