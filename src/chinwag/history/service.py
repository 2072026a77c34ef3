"""A server's history and kept state, as its configuration asks: one object to own.

:meth:`History.open` opens the data directory (or, for ``data_dir = ''``, keeps history
in memory and no state), :meth:`History.start` starts the writer thread and
:meth:`History.close` writes what is queued and closes the database.

:meth:`History.record` is the recorder the hub calls with every message it accepts,
under its lock: a type check and an O(1) append, no I/O. Queries go to the store and add
the messages the writer has yet to write (:mod:`chinwag.history.unwritten`), so a
message is in history from the moment the hub accepted it; they say
:class:`HistoryUnavailable` while the writer cannot write (what they would show has a
hole in it).

:meth:`recent` and :meth:`add` are a cluster node's: what it sends a node that missed
part of the chat, and what it keeps of what it was sent.

Kept state: :meth:`bans` makes the server's ban list, filled from the database and
saving each change through the writer. Rooms' topics and settings are saved with
:meth:`save_room` (deleted with :meth:`forget_room` once back to a new room's) and read
with :meth:`load_rooms`; the hub must call ``save_room``
where a room's topic, flags, key, limit or ban masks change (``Hub.set_topic``,
``Hub.change_modes``) and apply ``load_rooms`` to the rooms it creates, which it does
through :class:`~chinwag.history.rooms.KeptRooms`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from functools import partial

from chinwag.config import Config
from chinwag.history import unwritten
from chinwag.history.ids import MessageIds
from chinwag.history.sqlite import Database, RoomState, SqliteHistory, StateStore, open_database
from chinwag.history.store import (
    Conversation,
    Cursor,
    HistoryStore,
    HistoryUnavailable,
    MemoryHistory,
    Record,
    Target,
    pending,
)
from chinwag.history.writer import HistoryWriter
from chinwag.hub.bans import Ban, BanList
from chinwag.hub.events import PrivateMessage, RoomMessage


class History:
    """See the module docstring."""

    def __init__(
        self,
        store: HistoryStore,
        writer: HistoryWriter,
        *,
        state: StateStore | None = None,
        database: Database | None = None,
        private: bool = False,
        ids: MessageIds | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self.state = state
        self.private = private
        self._database = database
        self._ids = ids or MessageIds()

    @classmethod
    def open(cls, config: Config) -> History:
        """The history ``config`` asks for; ``StorageError`` if its directory is unusable."""
        age = (
            timedelta(days=config.history_retention_days) if config.history_retention_days else None
        )
        database = open_database(config.data_dir) if config.data_dir else None
        store: HistoryStore = SqliteHistory(database) if database else MemoryHistory()
        writer = HistoryWriter(
            store, retention_count=config.history_retention_count, retention_age=age
        )
        state = StateStore(database) if database else None
        return cls(
            store,
            writer,
            state=state,
            database=database,
            private=config.history_private,
        )

    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        self.writer.close()
        self.store.close()
        if self._database is not None:
            self._database.close()

    # --- recording ------------------------------------------------------------------------

    def record(self, event: RoomMessage | PrivateMessage) -> None:
        """Queue a message the hub just accepted for writing (never blocks; no I/O).

        The hub calls this under its lock, so the queue holds messages in the order they
        were accepted and a member who joins after a message finds it in history.
        """
        # A message to a room's operators or voiced users only (``status``) is not the
        # room's: replaying it to everyone who joins would show it to all.
        if type(event) is RoomMessage:
            if not event.status:
                # The event itself: this runs for every message said, under the hub's lock.
                message = event if event.msgid else pending(self._ids.at_time(event.time), event)
                if event.action or event.notice:
                    self.writer.flag(message.msgid)
                self.writer.put(message)
        elif self.private:
            # The hub gave the message its id; one made before ids did gets one here.
            message = pending(event.msgid or self._ids.at_time(event.time), event)
            if event.notice:
                self.writer.flag(message.msgid)
            self.writer.put(message)

    # --- queries ----------------------------------------------------------------------------
    # Each asks the store and adds what the writer has yet to write (``unwritten``).

    def _ask(
        self, conversation: Conversation, question: Callable[[HistoryStore], list[Record]]
    ) -> list[Record]:
        if not self.writer.available:
            raise HistoryUnavailable("history cannot be written at the moment")
        waiting = unwritten.records_in(self.writer.pending(), conversation)  # before the store
        kept = question(self.store)
        return question(unwritten.combined(kept, waiting)) if waiting else kept

    def latest(
        self, conversation: Conversation, limit: int, after: Cursor | None = None
    ) -> list[Record]:
        return self._ask(conversation, lambda store: store.latest(conversation, limit, after))

    def before(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        return self._ask(conversation, lambda store: store.before(conversation, cursor, limit))

    def after(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        return self._ask(conversation, lambda store: store.after(conversation, cursor, limit))

    def around(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        return self._ask(conversation, lambda store: store.around(conversation, cursor, limit))

    def between(
        self, conversation: Conversation, start: Cursor, end: Cursor, limit: int
    ) -> list[Record]:
        return self._ask(conversation, lambda store: store.between(conversation, start, end, limit))

    def targets(
        self, viewer: str, rooms: Iterable[str], start: Cursor, end: Cursor, limit: int
    ) -> list[Target]:
        if not self.writer.available:
            raise HistoryUnavailable("history cannot be written at the moment")
        rooms = list(rooms)
        waiting = unwritten.records_of(self.writer.pending())  # before the store
        touched = len({record.conversation.key for record in waiting})
        kept = self.store.targets(viewer, rooms, start, end, limit + touched)
        if not waiting:
            return kept
        return unwritten.merged_targets(
            kept, waiting, viewer=viewer, rooms=rooms, start=start, end=end, limit=limit
        )

    def recent(self, after: str | None, before: str | None, limit: int) -> list[Record]:
        """The last ``limit`` messages of every conversation together between two ids
        (``None``: that end open), oldest first: what a server that missed them needs."""
        if not self.writer.available:
            raise HistoryUnavailable("history cannot be written at the moment")
        waiting = unwritten.records_of(self.writer.pending())  # before the store
        kept = self.store.recent(after, before, limit)
        if not waiting:
            return kept
        return unwritten.combined(kept, waiting).recent(after, before, limit)

    def add(self, records: Sequence[Record]) -> None:
        """Keep messages this server did not see, told by another (written now, in this
        thread: they are in history when this returns; those kept already stay once;
        private ones only if this server keeps private messages)."""
        self.store.append([r for r in records if self.private or not r.private])

    # --- kept state ---------------------------------------------------------------------------

    def bans(self) -> BanList:
        """A ban list holding the kept bans, saving every change through the writer."""
        state = self.state
        if state is None:
            return BanList()

        def added(ban: Ban) -> None:
            self.writer.put(partial(state.save_ban, ban))

        def removed(ban: Ban) -> None:
            self.writer.put(partial(state.delete_ban, ban.address))

        bans = BanList(on_add=added, on_remove=removed)
        bans.restore(state.load_bans(time.time()))
        return bans

    def save_room(self, room: RoomState) -> None:
        """Keep a room's topic and settings (queued; never blocks)."""
        if self.state is not None:
            self.writer.put(partial(self.state.save_room, room))

    def forget_room(self, name: str) -> None:
        """Delete a room's kept state: it has nothing left to keep (queued; never blocks)."""
        if self.state is not None:
            self.writer.put(partial(self.state.delete_room, name))

    def load_rooms(self) -> list[RoomState]:
        return self.state.load_rooms() if self.state is not None else []
