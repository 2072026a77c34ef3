"""What history keeps and the questions it answers: records, conversations, the store.

A :class:`Record` is one message as kept: its id (:mod:`chinwag.history.ids`), time,
sender, where it went and what it said. Records belong to a :class:`Conversation`: a
room, or the private conversation of two users. A private conversation can only be
named from one of its two sides (:meth:`Conversation.private` takes the viewer), so a
front end that names conversations for its own user cannot show anyone else's.

A :class:`HistoryStore` answers what IRCv3 ``draft/chathistory`` asks (LATEST, BEFORE,
AFTER, AROUND, BETWEEN, TARGETS), and what was said in every conversation together
(:meth:`~HistoryStore.recent`: for a node of a cluster that missed it). A cursor is a
message id or a time; ids sort in time order, so a time is turned into the lowest or
highest id of its millisecond and every question is a range of ids. Results are always
oldest first. Retention (:meth:`prune`) deletes at most ``batch`` records a call, so the
writer thread can keep it up in steps that never hold the database for long.

:class:`MemoryHistory` keeps records in lists (the ``--data-dir ''`` store, and the model
the SQLite store is tested against: both pass ``tests/unit/test_history_contract.py``).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from chinwag.history import ids
from chinwag.hub import names
from chinwag.hub.events import PrivateMessage, RoomMessage

Cursor = str | datetime  # a message id, or a time


class HistoryUnavailable(Exception):
    """History cannot be read now (the database failed); chat goes on without it."""


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where records belong: ``key`` is ``#room`` or ``@one two`` (folded, sorted)."""

    key: str

    @classmethod
    def room(cls, name: str) -> Conversation:
        return cls("#" + names.fold(name))

    @classmethod
    def private(cls, viewer: str, other: str) -> Conversation:
        """The private conversation of ``viewer`` and ``other``, as ``viewer`` sees it."""
        one, two = sorted((names.fold(viewer), names.fold(other)))
        return cls(f"@{one} {two}")

    @property
    def is_private(self) -> bool:
        return self.key.startswith("@")

    def includes(self, nick: str) -> bool:
        """Whether ``nick`` is one of a private conversation's two sides."""
        return self.is_private and names.fold(nick) in self.key[1:].split(" ")


@dataclass(frozen=True, slots=True)
class Record:
    """One message as history keeps it; ``target`` is the room, or the recipient."""

    msgid: str
    time: datetime  # UTC
    sender: str
    target: str
    text: str
    private: bool = False
    action: bool = False
    notice: bool = False
    userhost: str = ""

    def __post_init__(self) -> None:
        if not ids.is_id(self.msgid):
            raise ValueError(f"not a message id: {self.msgid!r}")
        if self.time.tzinfo is None:
            raise ValueError("a record's time must be aware (UTC)")

    @property
    def conversation(self) -> Conversation:
        if self.private:
            return Conversation.private(self.sender, self.target)
        return Conversation.room(self.target)


# A message as the recorder hands it over: the hub's event itself, its id (``msgid``, a
# number) given. Stores make what they keep of it in the writer thread, so that the path of
# a message pays an append and no more. (The events wait in the writer's queue tracked by
# the garbage collector: a few dozen more young collections for 100,000 messages.)
Pending = RoomMessage | PrivateMessage


def pending(msgid: int, event: Pending) -> Pending:
    """``event`` as the writer takes it: with ``msgid`` as its id."""
    return event if event.msgid == msgid else replace(event, msgid=msgid)


def kept(message: Pending) -> Record:
    """The record of a pending message: its time is its id's (to the millisecond, as
    the hub made the id from it), which is all a page keeps of it."""
    if isinstance(message, RoomMessage):
        target, private, action = message.room, False, message.action
    else:
        target, private, action = message.recipient, True, False
    return Record(
        ids.encode(message.msgid),
        ids.time_of_value(message.msgid),
        message.sender,
        target,
        message.text,
        private,
        action,
        message.notice,
        message.userhost,
    )


def record_of(msgid: int, event: RoomMessage | PrivateMessage) -> Record:
    """The record of a message event, given its id as a number."""
    return kept(pending(msgid, event))


@dataclass(frozen=True, slots=True)
class Target:
    """A conversation with something said in it, for TARGETS: ``name`` as the viewer
    calls it (the room, or the other user), and when it was last spoken in."""

    name: str
    private: bool
    latest: datetime


class HistoryStore(Protocol):
    """Keeps records and answers history questions (see the module docstring).

    Methods may be called from any thread. Queries raise :class:`HistoryUnavailable`
    when the store cannot be read.
    """

    def append(self, records: Sequence[Record]) -> None:
        """Keep ``records`` (in one transaction, where the store has them)."""

    def append_messages(self, messages: Sequence[Pending], flagged: int | None = None) -> None:
        """Keep the records of ``messages`` (:func:`kept` each), as :meth:`append`;
        ``flagged``, if given, is known to be at or above the id of every action and
        notice among them (0: there is none), which spares looking at the others."""

    def latest(
        self, conversation: Conversation, limit: int, after: Cursor | None = None
    ) -> list[Record]:
        """The last ``limit`` records, only those after ``after`` if given."""

    def before(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        """The last ``limit`` records before ``cursor``."""

    def after(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        """The first ``limit`` records after ``cursor``."""

    def around(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        """``limit`` records around ``cursor``: half before it, the rest from it on."""

    def between(
        self, conversation: Conversation, start: Cursor, end: Cursor, limit: int
    ) -> list[Record]:
        """Records strictly between ``start`` and ``end``: the first ``limit`` after
        ``start`` if it is the earlier, else the last ``limit`` before it."""

    def targets(
        self, viewer: str, rooms: Iterable[str], start: Cursor, end: Cursor, limit: int
    ) -> list[Target]:
        """The conversations ``viewer`` may read (``rooms``, and its private ones) last
        spoken in between ``start`` and ``end``, earliest first, at most ``limit``."""

    def recent(self, after: str | None, before: str | None, limit: int) -> list[Record]:
        """The last ``limit`` records of every conversation together with ids strictly
        between ``after`` and ``before`` (message ids; ``None``: that end open)."""

    def prune(self, now: datetime, max_count: int, max_age: timedelta | None, batch: int) -> int:
        """Delete at most ``batch`` records: older than ``max_age``, or past the newest
        ``max_count`` of their conversation; return how many went."""

    def close(self) -> None:
        """Release what the store holds; it is not used again."""


def lower_bound(cursor: Cursor) -> str:
    """The id a record must exceed to be *after* ``cursor``."""
    return cursor if isinstance(cursor, str) else ids.ceiling(cursor)


def upper_bound(cursor: Cursor) -> str:
    """The id a record must stay below to be *before* ``cursor``."""
    return cursor if isinstance(cursor, str) else ids.floor(cursor)


def check_cursor(cursor: Cursor) -> None:
    if isinstance(cursor, str) and not ids.is_id(cursor):
        raise ValueError(f"not a message id: {cursor!r}")


class MemoryHistory:
    """A :class:`HistoryStore` in memory: one sorted list of records per conversation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, list[Record]] = {}
        self._ids: dict[str, list[str]] = {}  # the records' ids, for bisecting

    def append_messages(self, messages: Sequence[Pending], flagged: int | None = None) -> None:
        self.append([kept(message) for message in messages])

    def append(self, records: Sequence[Record]) -> None:
        with self._lock:
            for record in records:
                key = record.conversation.key
                kept = self._records.setdefault(key, [])
                keys = self._ids.setdefault(key, [])
                at = bisect.bisect(keys, record.msgid)
                if at and keys[at - 1] == record.msgid:
                    continue  # already kept
                kept.insert(at, record)
                keys.insert(at, record.msgid)

    def _range(self, conversation: Conversation, low: str | None, high: str | None) -> list[Record]:
        """Records with ``low < msgid < high`` (either end open when ``None``)."""
        keys = self._ids.get(conversation.key, [])
        start = bisect.bisect_right(keys, low) if low is not None else 0
        end = bisect.bisect_left(keys, high) if high is not None else len(keys)
        return self._records.get(conversation.key, [])[start:end]

    def latest(
        self, conversation: Conversation, limit: int, after: Cursor | None = None
    ) -> list[Record]:
        low = lower_bound(after) if after is not None else None
        with self._lock:
            return _last(self._range(conversation, low, None), limit)

    def before(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        with self._lock:
            return _last(self._range(conversation, None, upper_bound(cursor)), limit)

    def after(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        with self._lock:
            return self._range(conversation, lower_bound(cursor), None)[:limit]

    def around(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        check_cursor(cursor)
        bound = upper_bound(cursor)
        with self._lock:
            earlier = _last(self._range(conversation, None, bound), limit // 2)
            keys = self._ids.get(conversation.key, [])
            start = bisect.bisect_left(keys, bound)
            later = self._records.get(conversation.key, [])[start : start + limit - len(earlier)]
            return earlier + later

    def between(
        self, conversation: Conversation, start: Cursor, end: Cursor, limit: int
    ) -> list[Record]:
        check_cursor(start)
        check_cursor(end)
        with self._lock:
            if position(start) <= position(end):
                return self._range(conversation, lower_bound(start), upper_bound(end))[:limit]
            found = self._range(conversation, lower_bound(end), upper_bound(start))
            return _last(found, limit)

    def recent(self, after: str | None, before: str | None, limit: int) -> list[Record]:
        found: list[Record] = []
        with self._lock:
            for key in self._records:
                found.extend(_last(self._range(Conversation(key), after, before), limit))
        found.sort(key=lambda record: record.msgid)
        return _last(found, limit)

    def targets(
        self, viewer: str, rooms: Iterable[str], start: Cursor, end: Cursor, limit: int
    ) -> list[Target]:
        low, high = sorted((position(start), position(end)))
        readable = {Conversation.room(room).key for room in rooms}
        found = []
        with self._lock:
            for key, records in self._records.items():
                if not records:
                    continue
                conversation = Conversation(key)
                if key not in readable and not conversation.includes(viewer):
                    continue
                last = records[-1]
                if low < last.msgid < high:
                    found.append((last.msgid, target_of(last, viewer)))
        return [target for _, target in sorted(found)[:limit]]

    def prune(self, now: datetime, max_count: int, max_age: timedelta | None, batch: int) -> int:
        removed = 0
        oldest = ids.floor(now - max_age) if max_age is not None else None
        with self._lock:
            for key in list(self._records):
                if removed >= batch:
                    break
                keys = self._ids[key]
                cut = len(keys) - max_count if len(keys) > max_count else 0
                if oldest is not None:
                    cut = max(cut, bisect.bisect_left(keys, oldest))
                cut = min(cut, batch - removed)
                if cut:
                    del keys[:cut], self._records[key][:cut]
                    removed += cut
                if not keys:
                    del self._ids[key], self._records[key]
        return removed

    def close(self) -> None:
        pass


def _last(records: list[Record], limit: int) -> list[Record]:
    return records[max(len(records) - limit, 0) :] if limit > 0 else []


def position(cursor: Cursor) -> str:
    """Where a cursor sorts among ids (a time: the start of its millisecond)."""
    check_cursor(cursor)
    return cursor if isinstance(cursor, str) else ids.floor(cursor)


def target_of(record: Record, viewer: str) -> Target:
    if not record.private:
        return Target(record.target, False, record.time)
    other = record.target if names.fold(record.sender) == names.fold(viewer) else record.sender
    return Target(other, True, record.time)
