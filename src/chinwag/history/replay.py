"""History as users see it: the messages replayed on joining a room, and more on request.

Front ends ask a :class:`Replayer` (the server's, on the hub as ``hub.history``) and get
a :class:`~chinwag.hub.events.HistoryReplay` to deliver to the one user who asked, or
``None`` when there is nothing to show. Records become the message events they were,
with their original id, author and time (local, as the hub's clock tells time), so
every front end renders them as it renders live messages. Private conversations are
named from the viewer's side (:meth:`~chinwag.history.store.Conversation.private`):
nobody can ask for a conversation they were not part of. Names are not accounts: a
conversation is kept under its two names, and whoever takes a name sees only what was
said since they took it (:func:`private_floor`), never what was said to someone who held
it before. Queries raise
:class:`~chinwag.history.store.HistoryUnavailable` while history cannot be written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chinwag.history import ids
from chinwag.history.service import History
from chinwag.history.store import Conversation, Cursor, Record, lower_bound
from chinwag.hub.events import HistoryReplay, PrivateMessage, RoomMessage

DEFAULT_ON_JOIN = 20
DEFAULT_MAX = 100


def event_of(record: Record) -> RoomMessage | PrivateMessage:
    """The message event ``record`` keeps, with its id and its time in local time."""
    when = record.time.astimezone().replace(tzinfo=None)
    msgid = ids.decode(record.msgid)
    if record.private:
        return PrivateMessage(
            when, record.sender, record.target, record.text, record.notice, record.userhost, msgid
        )
    return RoomMessage(
        when,
        record.sender,
        record.target,
        record.text,
        record.action,
        record.notice,
        record.userhost,
        msgid,
    )


def private_floor(named: int) -> str:
    """The id every private record a member may read is after: the id their taking their
    name took (``Member.named``)."""
    return ids.encode(named)


def since(records: list[Record], floor: str) -> list[Record]:
    """The ``records`` after ``floor`` (:func:`private_floor`)."""
    return [record for record in records if record.msgid > floor]


def not_before(cursor: Cursor | None, floor: str) -> Cursor:
    """``cursor`` as a lower bound, moved up to ``floor`` if it is below it (``None``:
    from the start)."""
    if cursor is None or lower_bound(cursor) < floor:
        return floor
    return cursor


class Replayer:
    """What users may see of ``history``: ``on_join`` messages when they enter a room
    (0: none), at most ``maximum`` when they ask."""

    def __init__(
        self,
        history: History,
        *,
        on_join: int = DEFAULT_ON_JOIN,
        maximum: int = DEFAULT_MAX,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.history = history
        self.on_join = on_join
        self.maximum = maximum
        self._clock = clock

    def joined(self, room: str, entered: int | None = None) -> HistoryReplay | None:
        """The last messages of ``room`` for whoever just entered it, before the id their
        entering took (``entered``; later messages reach them live)."""
        if not self.on_join:
            return None
        if entered is None:
            return self.room(room, self.on_join)
        limit = self._limit(self.on_join)
        before = ids.encode(entered)
        return self._replay(room, self.history.before(Conversation.room(room), before, limit))

    def room(self, room: str, limit: int) -> HistoryReplay | None:
        """The last ``limit`` (at most :attr:`maximum`) messages of ``room``."""
        records = self.history.latest(Conversation.room(room), self._limit(limit))
        return self._replay(room, records)

    def private(
        self, viewer: str, other: str, limit: int, *, named: int = 0
    ) -> HistoryReplay | None:
        """The last messages between ``viewer`` and ``other``, as ``viewer`` sees them:
        those after ``named``, the id ``viewer``'s taking the name took."""
        if not self.history.private:
            return None
        conversation = Conversation.private(viewer, other)
        records = self.history.latest(conversation, self._limit(limit), private_floor(named))
        return self._replay(other, records)

    def _limit(self, limit: int) -> int:
        return max(0, min(limit, self.maximum))

    def _replay(self, where: str, records: list[Record]) -> HistoryReplay | None:
        if not records:
            return None
        return HistoryReplay(where, tuple(event_of(r) for r in records), self._clock())
