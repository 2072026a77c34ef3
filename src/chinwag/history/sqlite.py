"""The data directory and its SQLite database: history and the state that outlives a restart.

:func:`open_database` takes the directory (made ``0700`` if missing), locks it for this
process's lifetime (``flock`` on the directory and on ``chinwag.lock``: one server per
directory), opens ``chinwag.db`` and checks it is ours (``PRAGMA application_id``) and
of a schema this version knows (``PRAGMA user_version``; older ones are migrated in
place, newer ones are refused). Every problem is a :class:`StorageError` whose message
names the file and says what is wrong, in one line, for the operator.

The database runs in WAL mode with ``synchronous=NORMAL`` (a power cut may lose the
last transactions, never the file), ``secure_delete=FAST`` (what is deleted is wiped
from b-tree pages, not from pages deleting frees), a busy timeout, (made new) pages of
16 KiB and a cache of :data:`CACHE_PAGES` pages a connection. It has two connections:
one for writing (the writer thread, and loading state at start) and one for reading
(queries from reader threads, which WAL lets run while a write is in progress); each is
used under its own lock.

:class:`SqliteHistory` is the :class:`~chinwag.history.store.HistoryStore` on it:
records are kept many to a row (:mod:`chinwag.history.pages`), up to 256 consecutive
records of one conversation a row, found by (conversation, first id) through an index;
the pages of a conversation never overlap, so every question is a walk over a few pages
of one conversation, newest or oldest first, and stops as soon as it has its answer.
An id is kept in a page's key as its 16 bytes (big-endian, so they sort as the ids do).
The writer's batch makes one page (or a few) per conversation it touches, so a busy
chat costs SQLite a row per batch rather than per message. Retention deletes whole pages,
and writes again the one page it cuts into: past the newest ``max_count`` of each
conversation that got records since it was last checked, and older than ``max_age``,
looking at a bounded number of conversations a step.
:class:`StateStore` keeps bans, topics and room settings.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import json
import operator
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from pathlib import Path

from chinwag import log
from chinwag.history import ids, pages
from chinwag.history.store import (
    Conversation,
    Cursor,
    HistoryUnavailable,
    Pending,
    Record,
    Target,
    check_cursor,
    kept,
    lower_bound,
    upper_bound,
)
from chinwag.hub import names
from chinwag.hub.bans import Ban, network_of
from chinwag.hub.events import RoomMessage

DATABASE_NAME = "chinwag.db"
# A new database's page size: a page of records (pages.PAGE_RECORDS of them, some 30 KB
# in a busy room) fills two or three pages of 16 KiB where it would need eight of 4 KiB
# in a chain of overflow pages, so each write has fewer pages to log and check in.
PAGE_SIZE = 16384
# Each connection's page cache, in pages: 2 MiB of 16 KiB pages, the memory SQLite's
# default aims at (its default, -2000 KiB, let the two connections hold some 8 MiB of
# pages this size). Replay reads a room's newest page or two; the rest is the system's.
CACHE_PAGES = 128
LOCK_NAME = "chinwag.lock"
APPLICATION_ID = 0x43485747  # "CHWG"
BUSY_TIMEOUT_SECONDS = 5.0

# Each entry brings a database from the version of its index to the next; user_version
# is the number applied. Never edit one that was released: add another.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE messages (
        conversation TEXT NOT NULL,
        msgid BLOB NOT NULL,
        at_us INTEGER NOT NULL,
        sender TEXT NOT NULL,
        target TEXT NOT NULL,
        text TEXT NOT NULL,
        flags INTEGER NOT NULL,
        userhost TEXT NOT NULL,
        PRIMARY KEY (conversation, msgid)
    ) WITHOUT ROWID;
    CREATE TABLE bans (
        network TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        by TEXT NOT NULL,
        nick TEXT NOT NULL,
        until REAL
    );
    CREATE TABLE rooms (
        room TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        topic TEXT NOT NULL,
        topic_by TEXT NOT NULL,
        topic_at REAL,
        flags TEXT NOT NULL,
        key TEXT NOT NULL,
        member_limit INTEGER NOT NULL,
        bans TEXT NOT NULL
    );
    """,
    # Records kept many to a row (chinwag.history.pages); each row of messages becomes
    # a page of one record.
    """
    CREATE TABLE pages (
        conversation TEXT NOT NULL,
        first BLOB NOT NULL,
        last BLOB NOT NULL,
        count INTEGER NOT NULL,
        records TEXT NOT NULL
    );
    CREATE UNIQUE INDEX pages_in_order ON pages (conversation, first);
    INSERT INTO pages (conversation, first, last, count, records)
        SELECT conversation, msgid, msgid, 1,
            lower(hex(msgid)) || char(31) || at_us || char(31) || sender || char(31)
            || target || char(31) || text || char(31) || flags || char(31) || userhost
        FROM messages ORDER BY conversation, msgid;
    DROP TABLE messages;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StorageError(Exception):
    """The data directory or its database cannot be used; the message says which and why."""


class Database:
    """The open database of a data directory, locked for this process (see the module)."""

    def __init__(
        self, directory: Path, lock_fds: tuple[int, ...], writer: sqlite3.Connection
    ) -> None:
        self.directory = directory
        self.path = directory / DATABASE_NAME
        self._lock_fds = lock_fds
        self.writer = writer
        self.write_lock = threading.Lock()
        self.reader = _connect(self.path)
        # A connection opens the write-ahead log with its first read: do it now, so the
        # server holds the same files from start to end (a first reader later would
        # look like a leaked descriptor).
        self.reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        self.read_lock = threading.Lock()
        self._file = _identity(self.path)

    def close(self) -> None:
        with self.write_lock:
            self.writer.close()
        with self.read_lock:
            self.reader.close()
        _unlock(self._lock_fds)  # closed, they are unlocked

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The writing connection inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; a
        :class:`StorageError` if the file was deleted or replaced since it was opened
        (what is written would be lost: SQLite goes on writing the open file)."""
        with self.write_lock:
            if _identity(self.path) != self._file:
                raise StorageError(
                    f"{self.path} was deleted or replaced while in use; "
                    "history is kept again after a restart"
                )
            self.writer.execute("BEGIN IMMEDIATE")
            try:
                yield self.writer
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.writer.execute("ROLLBACK")
                raise
            self.writer.execute("COMMIT")


def open_database(directory: str | Path) -> Database:
    """Lock ``directory`` and open its database (see the module docstring)."""
    directory = Path(directory).expanduser()
    lock_fds = _lock(directory)
    path = directory / DATABASE_NAME
    try:
        writer = _connect(path)
        try:
            _prepare(writer, path)
            return Database(directory, lock_fds, writer)
        except BaseException:
            writer.close()
            raise
    except sqlite3.Error as exc:
        _unlock(lock_fds)
        raise StorageError(f"{path}: {_describe(exc)}") from None
    except BaseException:
        _unlock(lock_fds)
        raise


def _lock(directory: Path) -> tuple[int, ...]:
    """Make ``directory`` if missing and lock it: the directory itself, which no cleaner
    of stale files can take away, and ``chinwag.lock`` in it, as earlier versions do."""
    fds: list[int] = []
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name, flags in (
            ("", os.O_RDONLY | os.O_DIRECTORY),
            (LOCK_NAME, os.O_RDWR | os.O_CREAT),
        ):
            fds.append(os.open(directory / name, flags | os.O_CLOEXEC, 0o600))
            fcntl.flock(fds[-1], fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _unlock(fds)
        raise StorageError(
            f"the data directory {directory} is in use by another chinwag server"
        ) from None
    except OSError as exc:
        _unlock(fds)
        raise StorageError(f"cannot use the data directory {directory}: {exc.strerror}") from None
    return tuple(fds)


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` is (device and inode), or None if there is none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _unlock(fds: Sequence[int]) -> None:
    for fd in fds:
        os.close(fd)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    connection.execute(f"PRAGMA cache_size = {CACHE_PAGES}")
    # Deleted records are overwritten where that writes nothing more (b-tree pages), not
    # on pages that deleting frees: some builds zero each freed page, and write it to
    # the log, which made a pruning step cost as much as the batch it followed.
    connection.execute("PRAGMA secure_delete = FAST")
    return connection


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if text == "file is not a database":
        return "not a chinwag database (not an SQLite file)"
    return text


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Check the database is ours and current, migrating an older one; set it up."""
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if application_id == 0 and version == 0:
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise StorageError(f"{path}: not a chinwag database (another program's SQLite file)")
    elif application_id != APPLICATION_ID:
        raise StorageError(f"{path}: not a chinwag database (application id {application_id:#x})")
    elif version > SCHEMA_VERSION:
        raise StorageError(
            f"{path}: made by a newer chinwag (schema {version}; this one knows up to "
            f"{SCHEMA_VERSION}); upgrade chinwag or use another --data-dir"
        )
    if version == 0:
        connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before anything is written
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(f"{path}: cannot use write-ahead logging (journal mode {mode})")
    connection.execute("PRAGMA synchronous = NORMAL")
    if version < SCHEMA_VERSION:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for step in MIGRATIONS[version:]:
                for statement in step.split(";"):
                    if statement.strip():
                        connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


# --- history ----------------------------------------------------------------------------------


def _key(msgid: str) -> bytes:
    """How an id is kept: its 128 bits, big-endian, which sort as the ids do; ``""``
    (below every id) is kept as the empty blob, which sorts first."""
    return ids.decode(msgid).to_bytes(16, "big") if msgid else b""


def _bytes(msgid: int) -> bytes:
    return msgid.to_bytes(16, "big")


# Above every kept id.
_PAST_EVERY_KEY = b"\xff" * 17
_ROOM_KEYS_KEPT = 10_000  # room names whose conversation keys are remembered
# Conversations one pruning step looks at for messages past their age, at most: each is
# one seek, and there may be thousands; the next step goes on from where this one ended.
AGE_VISITS = 100

_INSERT = "INSERT INTO pages (conversation, first, last, count, records) VALUES (?, ?, ?, ?, ?)"
# Pages of one conversation with ids in a range, newest or oldest first; the bounds are
# on the pages' first ids, which order them (their ranges never overlap).
_NEWEST = (
    "SELECT first, last, count, records FROM pages "
    "WHERE conversation = ? AND first < ? ORDER BY first DESC"
)
_OLDEST = (
    "SELECT first, last, count, records FROM pages "
    "WHERE conversation = ? AND first >= ? AND first < ? ORDER BY first"
)
# Where a range that starts at an id starts among pages: the page holding it, if any.
_HOLDING = (
    "SELECT first FROM pages WHERE conversation = ? AND first <= ? ORDER BY first DESC LIMIT 1"
)
_LAST_PAGE = "SELECT last, records FROM pages WHERE conversation = ? ORDER BY first DESC LIMIT 1"


# What reading a page that is not what this module wrote raises (a damaged or foreign
# database): history is then unavailable, and whoever asked is told so.
_DAMAGE = (sqlite3.Error, ValueError, TypeError, AttributeError, IndexError)


class _Range:
    """What a query wants of one conversation: ids with ``low < id < high`` (``low <=
    id`` with ``from_low``), at most ``limit``, the oldest or the newest of them."""

    __slots__ = ("from_low", "high", "limit", "low", "newest")

    def __init__(
        self, low: bytes, high: bytes, limit: int, *, newest: bool, from_low: bool = False
    ) -> None:
        self.low = low
        self.high = high
        self.limit = max(limit, 0)
        self.newest = newest
        self.from_low = from_low

    def above(self, msgid: bytes) -> bool:
        """Whether ``msgid`` is past the range's low end."""
        return msgid >= self.low if self.from_low else msgid > self.low

    def holds(self, msgid: bytes) -> bool:
        return self.above(msgid) and msgid < self.high


class SqliteHistory:
    """The :class:`~chinwag.history.store.HistoryStore` in the database's ``pages``.

    The pages of one conversation never overlap: a page's records all come after the
    previous page's and before the next one's. Records the writer brings come after
    everything kept (the hub's ids go up), so they make new pages; records that do not
    (another server's, told late) are merged with the pages they fall among, which are
    written again.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        # Conversations that got records since their count was last checked; None: all.
        self._unchecked: set[str] | None = None
        # How many records conversations hold, where known (counted once, then kept up
        # to date): retention by count deletes the excess, and never has to scan past a
        # conversation's newest ``max_count`` to find it.
        self._counts: dict[str, int] = {}
        # The last id kept in a conversation, where known: what comes after it needs no
        # merging.
        self._last: dict[str, bytes] = {}
        self._room_keys: dict[str, str] = {}  # room name -> its conversation's key
        # Where the next look for records past their age starts: after this conversation.
        self._aged_from = ""

    # --- writing ----------------------------------------------------------------------------

    def append(self, records: Sequence[Record]) -> None:
        groups: dict[str, list[pages.Row]] = {}
        for record in records:
            groups.setdefault(record.conversation.key, []).append(pages.row_of(record))
        with self._writing() as connection:
            for key, rows in groups.items():
                rows.sort()
                unique = all(a[0] != b[0] for a, b in pairwise(rows))
                entries = [pages.pack(row) for row in rows]
                self._keep(connection, key, entries, unique=unique, rows=rows)

    def append_messages(self, messages: Sequence[Pending], flagged: int | None = None) -> None:
        # The records of kept(message), made into pages by column without the records:
        # the hub made these messages, in the order of their ids. Each check is one pass
        # in C (map, all, count): this runs for every message.
        numbers = list(map(_MSGID, messages))
        if not all(map(operator.lt, numbers, islice(numbers, 1, None))):
            self.append([kept(message) for message in messages])  # not the hub's: sorted
            return
        try:
            rooms = list(map(_ROOM, messages))  # a room message's room ...
        except AttributeError:  # ... which a private message has not
            rooms = [None]
        room = rooms[0]
        if room is not None and rooms.count(room) == len(rooms):
            # All to one room, as in a busy room's batch: one group.
            with self._writing() as connection:
                key = self._room_key(room)
                self._keep_messages(connection, key, messages, numbers, room=room, flagged=flagged)
            return
        grouped: dict[str, list[Pending]] = {}
        for message in messages:
            key = (
                self._room_key(message.room)
                if isinstance(message, RoomMessage)
                else Conversation.private(message.sender, message.recipient).key
            )
            grouped.setdefault(key, []).append(message)
        with self._writing() as connection:
            for key, group in grouped.items():
                ids_of_group = list(map(_MSGID, group))
                self._keep_messages(
                    connection, key, group, ids_of_group, room=None, flagged=flagged
                )

    def _keep_messages(
        self,
        connection: sqlite3.Connection,
        key: str,
        messages: Sequence[Pending],
        numbers: Sequence[int],
        *,
        room: str | None,
        flagged: int | None,
    ) -> None:
        """Keep the records of ``messages`` (the hub's, ids ``numbers``, ascending) of
        conversation ``key`` (of ``room``, if known to be one room's; ``flagged`` as for
        :meth:`append_messages`): new pages by column, or merged with what is kept if
        not all after it."""
        last = _bytes(numbers[-1])
        kept_last = self._kept_last(connection, key)
        if _bytes(numbers[0]) > kept_last:
            size = pages.PAGE_RECORDS
            for start in range(0, len(messages), size):
                chunk = messages[start : start + size]
                ids_of_chunk = numbers[start : start + size]
                try:
                    plain = flagged is not None and flagged < ids_of_chunk[0]
                    text = pages.columns(chunk, ids_of_chunk, room, plain=plain)
                except ValueError:  # a field held a separator: kept by record, cleaned
                    rows = _rows_of(key, chunk)
                    text = pages.page([pages.pack(row) for row in rows], rows)
                first_id, last_id = _bytes(ids_of_chunk[0]), _bytes(ids_of_chunk[-1])
                connection.execute(_INSERT, (key, first_id, last_id, len(chunk), text))
            added = len(messages)
        else:
            added = self._merge(connection, key, _rows_of(key, messages))
        self._kept(key, kept_last, last, added)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; what is known of kept records is forgotten if it fails."""
        try:
            with self._db.transaction() as connection:
                yield connection
        except BaseException:
            self._counts.clear()
            self._last.clear()
            raise

    def _room_key(self, room: str) -> str:
        """The key of the conversation of ``room`` (remembered for the rooms seen lately)."""
        keys = self._room_keys
        key = keys.get(room)
        if key is None:
            if len(keys) >= _ROOM_KEYS_KEPT:
                keys.clear()
            key = keys[room] = Conversation.room(room).key
        return key

    def _keep(
        self,
        connection: sqlite3.Connection,
        key: str,
        entries: list[str],
        *,
        unique: bool,
        rows: list[pages.Row],
    ) -> None:
        """Keep the packed ``entries`` (ascending ids; ``unique``: no id twice) of
        conversation ``key``, packed from ``rows``."""
        first, last = _bytes(pages.entry_id(entries[0])), _bytes(pages.entry_id(entries[-1]))
        kept_last = self._kept_last(connection, key)
        if first > kept_last and unique:
            self._insert(connection, key, entries, rows)
            added = len(entries)
        else:
            added = self._merge(connection, key, rows)
        self._kept(key, kept_last, last, added)

    def _kept_last(self, connection: sqlite3.Connection, key: str) -> bytes:
        """The last id kept in conversation ``key`` (``b""``: none)."""
        kept_last = self._last.get(key)
        if kept_last is None:
            found = connection.execute(_LAST_PAGE, (key,)).fetchone()
            kept_last = found[0] if found is not None else b""
        return kept_last

    def _kept(self, key: str, kept_last: bytes, last: bytes, added: int) -> None:
        """Note that conversation ``key`` got ``added`` records, up to id ``last``."""
        self._last[key] = max(kept_last, last)
        count = self._counts.get(key)
        if count is not None:
            self._counts[key] = count + added
        if self._unchecked is not None:
            self._unchecked.add(key)

    def _insert(
        self,
        connection: sqlite3.Connection,
        key: str,
        entries: list[str],
        rows: list[pages.Row] | None,
    ) -> None:
        """Write ``entries`` (ascending, after everything kept) as new pages."""
        size = pages.PAGE_RECORDS
        for start in range(0, len(entries), size):
            chunk = entries[start : start + size]
            text = pages.page(chunk, None if rows is None else rows[start : start + size])
            first = _bytes(pages.entry_id(chunk[0]))
            last = _bytes(pages.entry_id(chunk[-1]))
            connection.execute(_INSERT, (key, first, last, len(chunk), text))

    def _merge(self, connection: sqlite3.Connection, key: str, rows: list[pages.Row]) -> int:
        """Merge ``rows`` (ascending ids) with the pages their ids fall among and write
        those again; how many records were new (an id kept already keeps its record)."""
        first, last = _bytes(rows[0][0]), _bytes(rows[-1][0])
        start = connection.execute(_HOLDING, (key, first)).fetchone()
        low = start[0] if start is not None else b""
        found = connection.execute(
            "SELECT first, records FROM pages WHERE conversation = ? AND first >= ? "
            "AND first <= ? ORDER BY first",
            (key, low, last),
        ).fetchall()
        merged = {row[0]: pages.pack(pages.clean(row)) for row in rows}
        kept = 0
        for _, text in found:
            for entry in pages.entries(text):
                merged[pages.entry_id(entry)] = entry  # what was kept stays
                kept += 1
        if len(merged) == kept:
            return 0  # all of them kept already: nothing to write
        connection.execute(
            "DELETE FROM pages WHERE conversation = ? AND first >= ? AND first <= ?",
            (key, low, last),
        )
        ordered = [merged[msgid] for msgid in sorted(merged)]
        self._insert(connection, key, ordered, None)
        return len(ordered) - kept

    # --- reading ----------------------------------------------------------------------------

    def _read(self, conversation: Conversation, wanted: _Range) -> list[Record]:
        """The records of ``conversation`` in ``wanted``, oldest first."""
        if not wanted.limit:
            return []
        key = conversation.key
        parts: list[list[str]] = []  # the records found in each page, in the walk's order
        count = 0
        try:
            with self._db.read_lock:
                reader = self._db.reader
                if wanted.newest:
                    cursor = reader.execute(_NEWEST, (key, wanted.high))
                else:
                    holding = reader.execute(_HOLDING, (key, wanted.low)).fetchone()
                    start = holding[0] if holding is not None else b""
                    cursor = reader.execute(_OLDEST, (key, start, wanted.high))
                for first, last, _, text in cursor:
                    if wanted.newest and not wanted.above(last):
                        break  # this page and all before it are below the range
                    left = wanted.limit - count
                    # The newest or the oldest ``left`` of those in range.
                    part = slice(-left, None) if wanted.newest else slice(left)
                    if wanted.above(first) and last < wanted.high:  # all in range
                        chunk = pages.entries(text, part)
                    else:
                        chunk = [e for e in pages.entries(text) if wanted.holds(_entry_key(e))]
                        chunk = chunk[part]
                    parts.append(chunk)
                    count += len(chunk)
                    if count >= wanted.limit:
                        break
                cursor.close()
            if wanted.newest:
                parts.reverse()
            found = [entry for part in parts for entry in part]
            private = conversation.is_private
            return [pages.record(entry, private) for entry in found]
        except _DAMAGE as exc:
            raise HistoryUnavailable(_unreadable(exc)) from exc

    def latest(
        self, conversation: Conversation, limit: int, after: Cursor | None = None
    ) -> list[Record]:
        low = _key(lower_bound(after)) if after is not None else b""
        return self._read(conversation, _Range(low, _PAST_EVERY_KEY, limit, newest=True))

    def before(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        high = _key(upper_bound(cursor))
        return self._read(conversation, _Range(b"", high, limit, newest=True))

    def after(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        low = _key(lower_bound(cursor))
        return self._read(conversation, _Range(low, _PAST_EVERY_KEY, limit, newest=False))

    def around(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        bound = _key(upper_bound(cursor))
        earlier = self._read(conversation, _Range(b"", bound, limit // 2, newest=True))
        rest = limit - len(earlier)
        later = _Range(bound, _PAST_EVERY_KEY, rest, newest=False, from_low=True)
        return earlier + self._read(conversation, later)

    def between(
        self, conversation: Conversation, start: Cursor, end: Cursor, limit: int
    ) -> list[Record]:
        check_cursor(start)
        check_cursor(end)
        if _position(start) <= _position(end):
            low, high = _key(lower_bound(start)), _key(upper_bound(end))
            return self._read(conversation, _Range(low, high, limit, newest=False))
        low, high = _key(lower_bound(end)), _key(upper_bound(start))
        return self._read(conversation, _Range(low, high, limit, newest=True))

    def recent(self, after: str | None, before: str | None, limit: int) -> list[Record]:
        low = _key(after) if after is not None else b""
        high = _key(before) if before is not None else _PAST_EVERY_KEY
        wanted = _Range(low, high, limit, newest=True)
        if not wanted.limit:
            return []
        found: list[tuple[bytes, str, str]] = []  # id, entry, conversation
        try:
            with self._db.read_lock:
                reader = self._db.reader
                # The pages in the range, newest last id first: once ``limit`` records
                # are found that are all newer than the next page's last, none is missing.
                spans = reader.execute(
                    "SELECT conversation, first, last FROM pages WHERE first < ? AND last > ? "
                    "ORDER BY last DESC",
                    (high, low),
                ).fetchall()
                for conversation, first, last in spans:
                    if len(found) >= wanted.limit:
                        found.sort(reverse=True)
                        del found[wanted.limit :]
                        if found[-1][0] > last:
                            break
                    row = reader.execute(
                        "SELECT records FROM pages WHERE conversation = ? AND first = ?",
                        (conversation, first),
                    ).fetchone()
                    for entry in pages.entries(row[0]):
                        msgid = _entry_key(entry)
                        if wanted.holds(msgid):
                            found.append((msgid, entry, conversation))
            found.sort(reverse=True)
            newest = found[: wanted.limit]
            newest.reverse()
            return [pages.record(entry, key.startswith("@")) for _, entry, key in newest]
        except _DAMAGE as exc:
            raise HistoryUnavailable(_unreadable(exc)) from exc

    def targets(
        self, viewer: str, rooms: Iterable[str], start: Cursor, end: Cursor, limit: int
    ) -> list[Target]:
        low, high = (_key(bound) for bound in sorted((_position(start), _position(end))))
        readable = sorted({Conversation.room(room).key for room in rooms})
        me = names.fold(viewer)
        # Each readable room's last page through the key, a step each; then the private
        # conversations' last pages, found among private pages only (keys start with
        # "@", and "A" is the character after it). A scan of every page, grouped, would
        # make the cost the whole history's size, under the lock every history read takes.
        private_sql = (
            "SELECT p.conversation, p.last, p.records FROM pages p JOIN "
            "(SELECT conversation, max(first) AS newest FROM pages "
            "WHERE conversation >= '@' AND conversation < 'A' "
            "AND (substr(conversation, 1, ?) = ? OR substr(conversation, -?) = ?) "
            "GROUP BY conversation) t ON p.conversation = t.conversation AND p.first = t.newest "
            "WHERE p.last > ? AND p.last < ?"
        )
        private_parameters = (len(me) + 2, f"@{me} ", len(me) + 1, f" {me}", low, high)
        last_pages: list[tuple[bytes, str, str]] = []  # last id, records, conversation
        try:
            with self._db.read_lock:
                reader = self._db.reader
                for key in readable:
                    for last, text in reader.execute(_LAST_PAGE, (key,)).fetchall():
                        if low < last < high:
                            last_pages.append((last, text, key))
                for key, last, text in reader.execute(private_sql, private_parameters):
                    last_pages.append((last, text, key))
            last_pages.sort()
        except _DAMAGE as exc:
            raise HistoryUnavailable(_unreadable(exc)) from exc
        found = []
        for _, text, key in last_pages[: max(limit, 0)]:
            try:
                record = pages.record(pages.last_entry(text), key.startswith("@"))
            except _DAMAGE as exc:
                raise HistoryUnavailable(_unreadable(exc)) from exc
            if not record.private:
                found.append(Target(record.target, False, record.time))
            else:
                mine = names.fold(record.sender) == me
                found.append(Target(record.target if mine else record.sender, True, record.time))
        return found

    # --- retention --------------------------------------------------------------------------

    def prune(self, now: datetime, max_count: int, max_age: timedelta | None, batch: int) -> int:
        with self._writing() as connection:  # failed: what was deleted is there again
            removed = 0
            if max_age is not None:
                floor = _key(ids.floor(now - max_age))
                removed += self._prune_aged(connection, floor, batch)
            return removed + self._prune_counted(connection, max_count, batch - removed)

    def _prune_counted(self, connection: sqlite3.Connection, max_count: int, batch: int) -> int:
        """Delete at most ``batch`` records past the newest ``max_count`` of conversations
        that got records since they were last checked."""
        if self._unchecked is None:
            found = connection.execute("SELECT DISTINCT conversation FROM pages")
            self._unchecked = {str(row[0]) for row in found}
        removed = 0
        for key in sorted(self._unchecked):
            if removed >= batch:
                break
            count = self._counts.get(key)
            if count is None:
                sql = "SELECT coalesce(sum(count), 0) FROM pages WHERE conversation = ?"
                count = self._counts[key] = connection.execute(sql, (key,)).fetchone()[0]
            excess = count - max_count
            if excess > 0:
                gone = _delete_oldest(connection, key, min(excess, batch - removed))
                self._counted(key, -gone)
                removed += gone
                if gone < excess:
                    break  # more to go: checked again next time
            self._unchecked.discard(key)
        return removed

    def _counted(self, key: str, change: int) -> None:
        count = self._counts.get(key)
        if count is not None:
            if count + change > 0:
                self._counts[key] = count + change
            else:
                del self._counts[key]  # gone: nothing to keep for it

    def _prune_aged(self, connection: sqlite3.Connection, floor: bytes, batch: int) -> int:
        """Delete at most ``batch`` records with ids below ``floor``, looking at up to
        :data:`AGE_VISITS` conversations from where the last step stopped (a seek each:
        the table is ordered by conversation, not by id alone)."""
        removed = 0
        key = self._aged_from
        for _ in range(AGE_VISITS):
            oldest = connection.execute(
                "SELECT conversation, first FROM pages WHERE conversation > ? "
                "ORDER BY conversation, first LIMIT 1",
                (key,),
            ).fetchone()
            if oldest is None:
                key = ""  # round all of them: from the first again next time
                break
            if oldest[1] < floor:
                gone = _delete_oldest(connection, oldest[0], batch - removed, below=floor)
                self._counted(oldest[0], -gone)
                removed += gone
                if removed >= batch:
                    break  # this one again next time: maybe more to go
            key = oldest[0]
        self._aged_from = key
        return removed

    def close(self) -> None:
        pass  # the database is closed by its owner


def _delete_oldest(
    connection: sqlite3.Connection, key: str, limit: int, below: bytes | None = None
) -> int:
    """Delete the oldest records of conversation ``key``, at most ``limit`` of them, and
    only those with ids below ``below`` if given: whole pages, then part of one, which
    is written again without them."""
    removed = 0
    oldest = connection.execute(
        "SELECT first, last, count FROM pages WHERE conversation = ? ORDER BY first", (key,)
    )
    whole: list[bytes] = []  # pages that go
    partial: bytes | None = None  # the page that loses its oldest records, if any
    for first, last, count in oldest:
        if removed >= limit or (below is not None and first >= below):
            break
        if count <= limit - removed and (below is None or last < below):
            whole.append(first)
            removed += count
        else:
            partial = first
            break
    oldest.close()
    connection.executemany(
        "DELETE FROM pages WHERE conversation = ? AND first = ?", [(key, f) for f in whole]
    )
    if partial is not None:
        text = connection.execute(
            "SELECT records FROM pages WHERE conversation = ? AND first = ?", (key, partial)
        ).fetchone()[0]
        numbers = pages.numbers(text)
        cut = min(len(numbers), limit - removed)
        if below is not None:  # the ids ascend: the first not below, by halves
            cut = bisect.bisect_left(numbers, int.from_bytes(below, "big"), hi=cut)
        removed += cut
        if cut:
            connection.execute(
                "DELETE FROM pages WHERE conversation = ? AND first = ?", (key, partial)
            )
            if cut < len(numbers):
                first, last = _bytes(numbers[cut]), _bytes(numbers[-1])
                rest = pages.without_oldest(text, cut)
                connection.execute(_INSERT, (key, first, last, len(numbers) - cut, rest))
    return removed


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, sqlite3.Error):
        return str(exc)
    return "the history database holds a damaged page"


_MSGID = operator.attrgetter("msgid")  # a pending message's id ...
_ROOM = operator.attrgetter("room")  # ... and a room message's room


def _entry_key(entry: str) -> bytes:
    return _bytes(pages.entry_id(entry))


def _row_of(entry: str) -> pages.Row:
    msgid, at_us, sender, target, text, flags, userhost = entry.split(pages.US)
    return (int(msgid, 16), int(at_us), sender, target, text, int(flags), userhost)


def _rows_of(key: str, messages: Sequence[Pending]) -> list[pages.Row]:
    """The rows of the messages of ``messages`` in conversation ``key``, in order."""
    records = (kept(message) for message in messages)
    return [pages.row_of(record) for record in records if record.conversation.key == key]


def _position(cursor: Cursor) -> str:
    check_cursor(cursor)
    return cursor if isinstance(cursor, str) else ids.floor(cursor)


# --- state --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomState:
    """What is kept of a room across restarts: its topic and settings (not its members)."""

    name: str
    topic: str = ""
    topic_by: str = ""
    topic_at: datetime | None = None
    flags: str = "nt"
    key: str = ""
    limit: int = 0
    bans: tuple[tuple[str, str, datetime], ...] = ()  # mask, set by, set at


class StateStore:
    """Bans, topics and room settings in the database; loaded at start, saved on change.

    The ``save_*`` and ``delete_*`` methods write at once; the server calls them from the
    writer thread (queued through :class:`~chinwag.history.writer.HistoryWriter`), never
    from a thread that chats.
    """

    def __init__(self, database: Database) -> None:
        self._db = database

    def load_bans(self, now: float) -> list[Ban]:
        """The bans still in force at ``now`` (a ``time.time()``); expired ones are deleted.
        At start: a database that cannot be read is a :class:`StorageError`, a damaged
        row is left out (and said so)."""
        try:
            with self._db.transaction() as connection:
                sql = "DELETE FROM bans WHERE until IS NOT NULL AND until <= ?"
                connection.execute(sql, (now,))
                rows = connection.execute(
                    "SELECT address, by, nick, until FROM bans ORDER BY network"
                ).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"{self._db.path}: {_describe(exc)}") from None
        bans = []
        for address, by, nick, until in rows:
            try:
                bans.append(Ban(str(address), str(by), str(nick), _seconds(until)))
            except (TypeError, ValueError):
                log.event(f"{self._db.path}: a damaged ban of {address!r} is left out")
        return [ban for ban in bans if not ban.expired(now)]

    def save_ban(self, ban: Ban) -> None:
        network = network_of(ban.address)
        if network is None:
            raise ValueError(f"not an address or network: {ban.address!r}")
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO bans (network, address, by, nick, until) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(network), ban.address, ban.by, ban.nick, ban.until),
            )

    def delete_ban(self, address: str) -> None:
        network = network_of(address)
        if network is None:
            return
        with self._db.transaction() as connection:
            connection.execute("DELETE FROM bans WHERE network = ?", (str(network),))

    def load_rooms(self) -> list[RoomState]:
        """Every kept room (at start: as :meth:`load_bans`)."""
        try:
            with self._db.write_lock:
                rows = self._db.writer.execute(
                    "SELECT name, topic, topic_by, topic_at, flags, key, member_limit, bans "
                    "FROM rooms ORDER BY room"
                ).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"{self._db.path}: {_describe(exc)}") from None
        rooms = []
        for row in rows:
            try:
                rooms.append(_room_state(row))
            except (ValueError, TypeError, OverflowError):
                log.event(f"{self._db.path}: the damaged state of room {row[0]!r} is left out")
        return rooms

    def save_room(self, room: RoomState) -> None:
        bans = json.dumps([[mask, by, at.timestamp()] for mask, by, at in room.bans])
        topic_at = room.topic_at.timestamp() if room.topic_at is not None else None
        with self._db.transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO rooms (room, name, topic, topic_by, topic_at, flags, "
                "key, member_limit, bans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    names.fold(room.name),
                    room.name,
                    room.topic,
                    room.topic_by,
                    topic_at,
                    "".join(sorted(room.flags)),
                    room.key,
                    room.limit,
                    bans,
                ),
            )

    def delete_room(self, name: str) -> None:
        with self._db.transaction() as connection:
            connection.execute("DELETE FROM rooms WHERE room = ?", (names.fold(name),))


def _seconds(value: object) -> float | None:
    """A kept time (seconds since the epoch), or None; ``TypeError`` if it is not one."""
    if value is None:
        return None
    if not isinstance(value, int | float):
        raise TypeError(f"not a time: {value!r}")
    return float(value)


def _room_state(row: Sequence[object]) -> RoomState:
    name, topic, topic_by, topic_at, flags, key, limit, bans = row
    masks = tuple(
        (str(mask), str(by), datetime.fromtimestamp(float(at), UTC))
        for mask, by, at in json.loads(str(bans))
    )
    return RoomState(
        str(name),
        str(topic),
        str(topic_by),
        None if topic_at is None else datetime.fromtimestamp(float(str(topic_at)), UTC),
        str(flags),
        str(key),
        int(str(limit)),
        masks,
    )
