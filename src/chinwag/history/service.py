"""A server's history and kept state, as its configuration asks: one object to own.

:meth:`History.open` opens the data directory (or, for ``data_dir = ''``, keeps history
in memory and no state), :meth:`History.start` starts the writer thread and
:meth:`History.close` writes what is queued and closes the database.

:meth:`History.record` is the recorder the server calls with every batch of deliveries
its readers hand to the sender: one type check per delivery and an O(1) append for a
message, no I/O. Queries go to the store, but say :class:`HistoryUnavailable` while the
writer cannot write (what they would show has a hole in it).

Kept state: :meth:`bans` makes the server's ban list, filled from the database and
saving each change through the writer. Rooms' topics and settings are saved with
:meth:`save_room` and read with :meth:`load_rooms`; the hub must call ``save_room``
where a room's topic, flags, key, limit or ban masks change (``Hub.set_topic``,
``Hub.change_modes``) and apply ``load_rooms`` to the rooms it creates, which it does
through :class:`~chinwag.history.rooms.KeptRooms`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial

from chinwag.config import Config
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
from chinwag.hub.events import Delivery, PrivateMessage, RoomMessage


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

    def record(self, deliveries: Sequence[Delivery]) -> None:
        """Queue the messages among ``deliveries`` for writing (never blocks; no I/O)."""
        for delivery in deliveries:
            event = delivery.event
            # A message to a room's operators or voiced users only (``status``) is not
            # the room's: replaying it to everyone who joins would show it to all.
            if (isinstance(event, RoomMessage) and not event.status) or (
                self.private and isinstance(event, PrivateMessage)
            ):
                # The hub gave the message its id; one made before ids did gets one here.
                self.writer.put(pending(event.msgid or self._ids.next_value(), event))

    # --- queries ----------------------------------------------------------------------------

    def _store(self) -> HistoryStore:
        if not self.writer.available:
            raise HistoryUnavailable("history cannot be written at the moment")
        return self.store

    def latest(
        self, conversation: Conversation, limit: int, after: Cursor | None = None
    ) -> list[Record]:
        return self._store().latest(conversation, limit, after)

    def before(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        return self._store().before(conversation, cursor, limit)

    def after(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        return self._store().after(conversation, cursor, limit)

    def around(self, conversation: Conversation, cursor: Cursor, limit: int) -> list[Record]:
        return self._store().around(conversation, cursor, limit)

    def between(
        self, conversation: Conversation, start: Cursor, end: Cursor, limit: int
    ) -> list[Record]:
        return self._store().between(conversation, start, end, limit)

    def targets(
        self, viewer: str, rooms: Iterable[str], start: Cursor, end: Cursor, limit: int
    ) -> list[Target]:
        return self._store().targets(viewer, rooms, start, end, limit)

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

    def load_rooms(self) -> list[RoomState]:
        return self.state.load_rooms() if self.state is not None else []
