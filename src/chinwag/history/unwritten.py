"""Messages on their way to the disk, added to what the store answers.

The writer thread writes a message a moment after the hub accepted it (it lets a few
gather first, longer under load). A question asked in that moment (the replay of whoever
just joined, ``/history``, ``CHATHISTORY``) must see it all the same, so history asks
the store and adds the writer's pending items (:meth:`HistoryWriter.pending`, read
*before* the store, so that an item is in one or the other).

The answer over both is the same question asked again of a small
:class:`~chinwag.history.store.MemoryHistory` holding the store's answer and the pending
records of the conversation (:func:`combined`; ids settle duplicates). That is exact for
every question of a range (LATEST, BEFORE, AFTER, BETWEEN, AROUND): the records it
selects among all of them are among the store's selection and the pending records.
TARGETS (:func:`merged_targets`) asks the store for as many more conversations as the
pending records touch, since each of those may leave its place.
"""

from __future__ import annotations

from collections.abc import Iterable

from chinwag.history.store import (
    Conversation,
    Cursor,
    MemoryHistory,
    Record,
    Target,
    position,
    target_of,
)
from chinwag.history.store import (
    kept as pending_record,
)
from chinwag.hub import names
from chinwag.hub.events import PrivateMessage, RoomMessage


def records_of(items: Iterable[object]) -> list[Record]:
    """The records among a writer's pending ``items`` (messages, records, state changes)."""
    found = []
    for item in items:
        if isinstance(item, RoomMessage | PrivateMessage):
            found.append(pending_record(item))
        elif isinstance(item, Record):
            found.append(item)
    return found


def records_in(items: Iterable[object], conversation: Conversation) -> list[Record]:
    """The records of ``conversation`` among pending ``items``."""
    key = conversation.key
    rooms: dict[str, str] = {}  # a room's name as messages give it -> its conversation
    found = []
    for item in items:
        if type(item) is RoomMessage:
            room = item.room
            if room in rooms:
                where = rooms[room]
            else:
                where = rooms[room] = "#" + names.fold(room)
            if where == key:
                found.append(pending_record(item))
        elif type(item) is PrivateMessage:
            if Conversation.private(item.sender, item.recipient).key == key:
                found.append(pending_record(item))
        elif isinstance(item, Record) and item.conversation.key == key:
            found.append(item)
    return found


def combined(kept: Iterable[Record], unwritten: Iterable[Record]) -> MemoryHistory:
    """A store holding both the store's answer and the pending records, each once."""
    both = MemoryHistory()
    both.append([*kept, *unwritten])
    return both


def merged_targets(
    kept: list[Target],
    unwritten: Iterable[Record],
    *,
    viewer: str,
    rooms: Iterable[str],
    start: Cursor,
    end: Cursor,
    limit: int,
) -> list[Target]:
    """TARGETS over the store and the pending records.

    Pending records are newer than every written one (the writer writes in the order
    the hub accepted them), so a conversation with one has it for its last message and
    sorts after those without. ``kept`` is the store's answer for ``limit`` plus the
    number of conversations ``unwritten`` touches, since each of those may leave it.
    """
    low, high = sorted((position(start), position(end)))
    readable = {Conversation.room(room).key for room in rooms}
    newest: dict[str, Record] = {}  # the pending conversations the viewer may read
    for record in unwritten:
        conversation = record.conversation
        if conversation.key in readable or conversation.includes(viewer):
            known = newest.get(conversation.key)
            if known is None or known.msgid < record.msgid:
                newest[conversation.key] = record
    untouched = [target for target in kept if _key(target, viewer) not in newest]
    moved = sorted(
        (record for record in newest.values() if low < record.msgid < high),
        key=lambda record: record.msgid,
    )
    return [*untouched, *(target_of(record, viewer) for record in moved)][:limit]


def _key(target: Target, viewer: str) -> str:
    if target.private:
        return Conversation.private(viewer, target.name).key
    return Conversation.room(target.name).key
