"""The data directory and its SQLite database: history and the state that outlives a restart.

:func:`open_database` takes the directory (made ``0700`` if missing), locks it for this
process's lifetime (``flock`` on ``chinwag.lock``: one server per directory), opens
``chinwag.db`` and checks it is ours (``PRAGMA application_id``) and of a schema this
version knows (``PRAGMA user_version``; older ones are migrated in place, newer ones are
refused). Every problem is a :class:`StorageError` whose message names the file and
says what is wrong, in one line, for the operator.

The database runs in WAL mode with ``synchronous=NORMAL`` (a power cut may lose the
last transactions, never the file) and a busy timeout. It has two connections: one for
writing (the writer thread, and loading state at start) and one for reading (queries
from reader threads, which WAL lets run while a write is in progress); each is used
under its own lock.

:class:`SqliteHistory` is the :class:`~chinwag.history.store.HistoryStore` on it: one
table whose key is (conversation, id), without rowid, so a record is one entry in one
b-tree, every question is a range of one conversation's ids and so is every deletion.
An id is kept as its 16 bytes (big-endian, so they sort as the ids do), made from the
number the hub gave the message without writing it out in base32.
Records go in many rows per ``INSERT``. Retention deletes by range: past the newest
``max_count`` of each conversation that got records since it was last checked, and
older than ``max_age``, looking at a bounded number of conversations a step.
:class:`StateStore` keeps bans, topics and room settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

from chinwag.history import ids
from chinwag.history.store import (
    Conversation,
    Cursor,
    HistoryUnavailable,
    Pending,
    Record,
    Target,
    check_cursor,
    lower_bound,
    upper_bound,
)
from chinwag.hub import names
from chinwag.hub.bans import Ban, network_of

DATABASE_NAME = "chinwag.db"
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
)
SCHEMA_VERSION = len(MIGRATIONS)


class StorageError(Exception):
    """The data directory or its database cannot be used; the message says which and why."""


class Database:
    """The open database of a data directory, locked for this process (see the module)."""

    def __init__(self, directory: Path, lock_fd: int, writer: sqlite3.Connection) -> None:
        self.directory = directory
        self.path = directory / DATABASE_NAME
        self._lock_fd = lock_fd
        self.writer = writer
        self.write_lock = threading.Lock()
        self.reader = _connect(self.path)
        # A connection opens the write-ahead log with its first read: do it now, so the
        # server holds the same files from start to end (a first reader later would
        # look like a leaked descriptor).
        self.reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        self.read_lock = threading.Lock()

    def close(self) -> None:
        with self.write_lock:
            self.writer.close()
        with self.read_lock:
            self.reader.close()
        os.close(self._lock_fd)  # releases the lock

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The writing connection inside ``BEGIN IMMEDIATE`` ... ``COMMIT``."""
        with self.write_lock:
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
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StorageError(f"cannot use the data directory {directory}: {exc.strerror}") from None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock_fd)
        raise StorageError(
            f"the data directory {directory} is in use by another chinwag server"
        ) from None
    path = directory / DATABASE_NAME
    try:
        writer = _connect(path)
        try:
            _prepare(writer, path)
            return Database(directory, lock_fd, writer)
        except BaseException:
            writer.close()
            raise
    except sqlite3.Error as exc:
        os.close(lock_fd)
        raise StorageError(f"{path}: {_describe(exc)}") from None
    except BaseException:
        os.close(lock_fd)
        raise


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
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


# Above every kept id.
_PAST_EVERY_KEY = b"\xff" * 17


# A record's columns as they are read (and, with the conversation moved to the front of
# the key, written). Private or not is the conversation's kind ("@..." is private), and
# action and notice are bits of ``flags``: each column costs every insert.
_COLUMNS = "msgid, at_us, sender, target, text, conversation, flags, userhost"
ACTION, NOTICE = 1, 2
_PARAMETERS = 8  # a row's, when it is inserted


def _row(record: Record) -> tuple[object, ...]:
    return (
        _key(record.msgid),
        record.conversation.key,
        _microseconds(record.time),
        record.sender,
        record.target,
        record.text,
        record.action * ACTION | record.notice * NOTICE,
        record.userhost,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ROOM_KEYS_KEPT = 10_000  # room names whose conversation keys are remembered
# Rows in one INSERT, at most: a whole batch of the writer's, where SQLite allows that
# many parameters (32,766 since 3.32; 999 before).
ROWS_PER_INSERT = 1000
# Conversations one pruning step looks at for messages past their age, at most: each is
# one seek, and there may be thousands; the next step goes on from where this one ended.
AGE_VISITS = 100


@functools.lru_cache(maxsize=16)  # a busy chat's batches are all full: one size
def _insert_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * rows)  # _PARAMETERS each
    columns = "msgid, conversation, at_us, sender, target, text, flags, userhost"
    return f"INSERT OR IGNORE INTO messages ({columns}) VALUES {values}"


def _microseconds(when: datetime) -> int:
    return (when - _EPOCH) // _MICROSECOND


def _record(row: Sequence[object]) -> Record:
    msgid, at_us, sender, target, text, conversation, flags, userhost = row
    assert isinstance(msgid, bytes) and isinstance(at_us, int) and isinstance(flags, int)
    return Record(
        ids.encode(int.from_bytes(msgid, "big")),
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us),
        str(sender),
        str(target),
        str(text),
        str(conversation).startswith("@"),
        bool(flags & ACTION),
        bool(flags & NOTICE),
        str(userhost),
    )


class SqliteHistory:
    """The :class:`~chinwag.history.store.HistoryStore` in the database's ``messages``."""

    def __init__(self, database: Database) -> None:
        self._db = database
        # Conversations that got records since their count was last checked; None: all.
        self._unchecked: set[str] | None = None
        # How many records conversations hold, where known (counted once, then kept up
        # to date): retention by count deletes the excess, and never has to scan past a
        # conversation's newest ``max_count`` to find it.
        self._counts: dict[str, int] = {}
        self._room_keys: dict[str, str] = {}  # room name -> its conversation's key
        variables = database.writer.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._rows_per_insert = max(1, min(ROWS_PER_INSERT, variables // _PARAMETERS))
        # Where the next look for records past their age starts: after this conversation.
        self._aged_from = ""

    def append(self, records: Sequence[Record]) -> None:
        self._insert([_row(record) for record in records])

    def append_messages(self, messages: Sequence[Pending]) -> None:
        # The rows of kept(message), made in one pass without the records: the hub made
        # these messages, so there is nothing to check that it has not checked. A time
        # (naive: local) as a float of seconds is within a quarter of a microsecond of
        # exact until 2255, so rounding it gives _microseconds() of it in UTC.
        rows: list[tuple[object, ...]] = []
        keys = self._room_keys
        for msgid, when, sender, target, text, private, action, notice, userhost in messages:
            key = Conversation.private(sender, target).key if private else keys.get(target)
            if key is None:  # a room not seen lately
                if len(keys) >= _ROOM_KEYS_KEPT:
                    keys.clear()
                key = keys[target] = Conversation.room(target).key
            rows.append(
                (
                    msgid.to_bytes(16, "big"),
                    key,
                    round(when.timestamp() * 1_000_000),
                    sender,
                    target,
                    text,
                    action * ACTION | notice * NOTICE,
                    userhost,
                )
            )
        self._insert(rows)

    def _insert(self, rows: list[tuple[object, ...]]) -> None:
        if not rows:
            return
        inserted = 0
        with self._db.transaction() as connection:
            # Many rows per statement: a statement's every step lets go of the interpreter
            # lock, and taking it back from busy threads may wait a switch interval (5 ms),
            # so a batch written row by row could not keep up with a busy chat.
            for start in range(0, len(rows), self._rows_per_insert):
                chunk = rows[start : start + self._rows_per_insert]
                values = list(chain.from_iterable(chunk))
                inserted += connection.execute(_insert_sql(len(chunk)), values).rowcount
        added = Counter(str(row[1]) for row in rows)
        counts = self._counts
        for key, count in added.items():
            if inserted < len(rows):
                counts.pop(key, None)  # some were kept already: count these again
            elif key in counts:
                counts[key] += count
        if self._unchecked is not None:
            self._unchecked.update(added)

    def _select(self, where: str, parameters: Sequence[object], order: str) -> list[Record]:
        # Only this module's own fixed fragments are formatted in; values are parameters.
        sql = f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY msgid {order} LIMIT ?"
        try:
            with self._db.read_lock:
                rows = self._db.reader.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise HistoryUnavailable(str(exc)) from exc
        records = [_record(row) for row in rows]
        if order == "DESC":
            records.reverse()
        return records

    def latest(
        self, conversation: Conversation, limit: int, after: Cursor | None = None
    ) -> list[Record]:
        low = _key(lower_bound(after)) if after is not None else b""
        return self._select(
            "conversation = ? AND msgid > ?", (conversation.key, low, max(limit, 0)), "DESC"
        )

    def before(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        where = "conversation = ? AND msgid < ?"
        bound = _key(upper_bound(cursor))
        return self._select(where, (conversation.key, bound, max(limit, 0)), "DESC")

    def after(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        where = "conversation = ? AND msgid > ?"
        bound = _key(lower_bound(cursor))
        return self._select(where, (conversation.key, bound, max(limit, 0)), "ASC")

    def around(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        bound = _key(upper_bound(cursor))
        earlier = self._select(
            "conversation = ? AND msgid < ?", (conversation.key, bound, max(limit // 2, 0)), "DESC"
        )
        rest = max(limit - len(earlier), 0)
        later = self._select(
            "conversation = ? AND msgid >= ?", (conversation.key, bound, rest), "ASC"
        )
        return earlier + later

    def between(
        self, conversation: Conversation, start: Cursor, end: Cursor, limit: int
    ) -> list[Record]:
        check_cursor(start)
        check_cursor(end)
        where = "conversation = ? AND msgid > ? AND msgid < ?"
        if _position(start) <= _position(end):
            bounds = (_key(lower_bound(start)), _key(upper_bound(end)))
            return self._select(where, (conversation.key, *bounds, max(limit, 0)), "ASC")
        bounds = (_key(lower_bound(end)), _key(upper_bound(start)))
        return self._select(where, (conversation.key, *bounds, max(limit, 0)), "DESC")

    def recent(self, after: str | None, before: str | None, limit: int) -> list[Record]:
        where, parameters = "1", []
        if after is not None:
            where, parameters = where + " AND msgid > ?", [_key(after)]
        if before is not None:
            where, parameters = where + " AND msgid < ?", [*parameters, _key(before)]
        return self._select(where, [*parameters, limit], "DESC")

    def targets(
        self, viewer: str, rooms: Iterable[str], start: Cursor, end: Cursor, limit: int
    ) -> list[Target]:
        low, high = (_key(bound) for bound in sorted((_position(start), _position(end))))
        readable = sorted({Conversation.room(room).key for room in rooms})
        me = names.fold(viewer)
        # Each readable room's last message through the key, a step each; then the
        # private conversations, found among private rows only (keys start with "@",
        # and "A" is the character after it). A scan of every row, grouped, would make
        # the cost the whole history's size, under the lock every history read takes.
        last_of_room = (
            f"SELECT {_COLUMNS} FROM messages WHERE conversation = ? ORDER BY msgid DESC LIMIT 1"
        )
        private_sql = (
            f"SELECT {', '.join('m.' + c for c in _COLUMNS.split(', '))} FROM messages m JOIN "
            "(SELECT conversation, max(msgid) AS last FROM messages "
            "WHERE conversation >= '@' AND conversation < 'A' "
            "AND (substr(conversation, 1, ?) = ? OR substr(conversation, -?) = ?) "
            "GROUP BY conversation) t ON m.conversation = t.conversation AND m.msgid = t.last "
            "WHERE m.msgid > ? AND m.msgid < ? ORDER BY m.msgid LIMIT ?"
        )
        private_parameters = (len(me) + 2, f"@{me} ", len(me) + 1, f" {me}", low, high)
        try:
            with self._db.read_lock:
                reader = self._db.reader
                rows = [
                    row
                    for key in readable
                    for row in reader.execute(last_of_room, (key,)).fetchall()
                    if low < row[0] < high
                ]
                rows += reader.execute(private_sql, (*private_parameters, max(limit, 0))).fetchall()
        except sqlite3.Error as exc:
            raise HistoryUnavailable(str(exc)) from exc
        rows = sorted(rows, key=lambda row: bytes(row[0]))[: max(limit, 0)]
        found = []
        for row in rows:
            record = _record(row)
            if not record.private:
                found.append(Target(record.target, False, record.time))
            else:
                mine = names.fold(record.sender) == me
                found.append(Target(record.target if mine else record.sender, True, record.time))
        return found

    def prune(self, now: datetime, max_count: int, max_age: timedelta | None, batch: int) -> int:
        try:
            with self._db.transaction() as connection:
                removed = 0
                if max_age is not None:
                    floor = _key(ids.floor(now - max_age))
                    removed += self._prune_aged(connection, floor, batch)
                return removed + self._prune_counted(connection, max_count, batch - removed)
        except BaseException:
            self._counts.clear()  # rolled back: what was deleted is there again
            raise

    def _prune_counted(self, connection: sqlite3.Connection, max_count: int, batch: int) -> int:
        """Delete at most ``batch`` records past the newest ``max_count`` of conversations
        that got records since they were last checked."""
        if self._unchecked is None:
            found = connection.execute("SELECT DISTINCT conversation FROM messages")
            self._unchecked = {str(row[0]) for row in found}
        removed = 0
        for key in sorted(self._unchecked):
            if removed >= batch:
                break
            count = self._counts.get(key)
            if count is None:
                sql = "SELECT count(*) FROM messages WHERE conversation = ?"
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
                "SELECT conversation, msgid FROM messages WHERE conversation > ? "
                "ORDER BY conversation, msgid LIMIT 1",
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
    only those with ids below ``below`` if given: a range of the table's key."""
    bound = connection.execute(
        "SELECT msgid FROM messages WHERE conversation = ? ORDER BY msgid LIMIT 1 OFFSET ?",
        (key, limit - 1),
    ).fetchone()
    if bound is not None and (below is None or bound[0] < below):
        sql = "DELETE FROM messages WHERE conversation = ? AND msgid <= ?"
        return connection.execute(sql, (key, bound[0])).rowcount  # the limit-th oldest
    if below is None:
        below = _PAST_EVERY_KEY  # fewer than ``limit``: all of them
    sql = "DELETE FROM messages WHERE conversation = ? AND msgid < ?"
    return connection.execute(sql, (key, below)).rowcount


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
        """The bans still in force at ``now`` (a ``time.time()``); expired ones are deleted."""
        with self._db.transaction() as connection:
            connection.execute("DELETE FROM bans WHERE until IS NOT NULL AND until <= ?", (now,))
            rows = connection.execute(
                "SELECT address, by, nick, until FROM bans ORDER BY network"
            ).fetchall()
        bans = [Ban(str(a), str(b), str(n), None if u is None else float(u)) for a, b, n, u in rows]
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
        with self._db.write_lock:
            rows = self._db.writer.execute(
                "SELECT name, topic, topic_by, topic_at, flags, key, member_limit, bans "
                "FROM rooms ORDER BY room"
            ).fetchall()
        return [_room_state(row) for row in rows]

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
