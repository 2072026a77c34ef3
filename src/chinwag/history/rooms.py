"""A room's kept state to and from the hub's :class:`~chinwag.hub.model.Room`.

Rooms are freed when their last member leaves, so what is kept of one (topic, flags,
key, limit, ban masks) is put back when it is made again, after a restart or not.
The hub owns rooms and its lock, so it calls these (through :class:`KeptRooms`, which
it is given), under its lock:

- :func:`snapshot` after each change of a room's topic (``Hub.set_topic``) or settings
  (``Hub.change_modes``: flags, key, limit, ban masks), handing the result to
  :meth:`~chinwag.history.service.History.save_room` (queued; it never blocks);
- :func:`restore` where a room is made (``Hub.join``, and the lobby at start), with the
  state :meth:`~chinwag.history.service.History.load_rooms` read at start, looked up by
  the folded name.

A room whose state is back to what a room of its name is made with (no topic, key,
limit or bans, its first flags: :func:`is_default`) has nothing to keep: it is
forgotten (:meth:`~chinwag.history.service.History.forget_room`) rather than saved, and
so are such rooms found at start, so the table holds only rooms that differ.

Times in the hub are naive local times (its clock is ``datetime.now``); kept ones are UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from chinwag import log
from chinwag.history.sqlite import RoomState
from chinwag.history.writer import REPORT_SECONDS, RateLimitedReport
from chinwag.hub import names
from chinwag.hub.model import LOBBY_FLAGS, ROOM_FLAGS, Room


class KeptRooms:
    """The kept state of every room, as the hub uses it: :meth:`restore` a room when it
    is made, :meth:`snapshot` it after a change (under the hub's lock, which also keeps
    the table here current for a room freed and made again), then :meth:`save` the
    snapshot once the lock is released."""

    def __init__(
        self,
        states: Iterable[RoomState],
        save: Callable[[RoomState], None],
        forget: Callable[[str], None],
        *,
        limit: int | None = None,
    ) -> None:
        """``limit``: the most rooms kept; past it, a room not kept yet keeps its settings
        only while it is open (said in the log at most once a minute)."""
        self._states: dict[str, RoomState] = {}
        self._save = save
        self._forget = forget
        self._limit = limit
        self._full_report = RateLimitedReport(REPORT_SECONDS)
        for state in states:
            if is_default(state):
                forget(state.name)  # kept by an earlier version: nothing to keep
            else:
                self._states[names.fold(state.name)] = state

    def save(self, state: RoomState) -> None:
        """Keep a snapshot, or forget the room if it has nothing to keep (queued)."""
        if is_default(state):
            self._forget(state.name)
        else:
            self._save(state)

    def restore(self, room: Room) -> None:
        state = self._states.get(room.folded)
        if state is not None:
            restore(room, state)

    def key(self, name: str) -> str:
        """The key ``name`` had when last kept ('' if none, or never kept)."""
        state = self._states.get(names.fold(name))
        return state.key if state is not None else ""

    def invite_only(self, name: str) -> bool:
        """Whether ``name`` was invite-only (``+i``) when last kept."""
        state = self._states.get(names.fold(name))
        return state is not None and "i" in state.flags

    def states(self) -> list[RoomState]:
        """Every room's kept state (for a server that shares them with another)."""
        return list(self._states.values())

    def replace(self, states: Iterable[RoomState]) -> None:
        """Keep ``states`` instead of what was kept (another server's, shared)."""
        self._states = {names.fold(state.name): state for state in states}

    def snapshot(self, room: Room) -> RoomState | None:
        """What to save of ``room`` after a change (under the hub's lock); None: nothing,
        as the table of kept rooms is full and this one is not in it."""
        state = snapshot(room)
        if is_default(state):
            self._states.pop(room.folded, None)
        elif (
            room.folded in self._states or self._limit is None or (len(self._states) < self._limit)
        ):
            self._states[room.folded] = state
        else:
            if self._full_report.due():
                log.event(
                    f"{self._limit} rooms' settings are kept already: those of {room.name} "
                    "last only while it is open"
                )
            return None
        return state


def is_default(state: RoomState) -> bool:
    """Whether ``state`` is what the hub makes a room of its name with: nothing to keep."""
    made = LOBBY_FLAGS if names.fold(state.name) == names.fold(names.LOBBY) else ROOM_FLAGS
    nothing_set = not (state.topic or state.key or state.limit or state.bans)
    return nothing_set and state.flags == "".join(sorted(made))


def snapshot(room: Room) -> RoomState:
    """What is kept of ``room`` (call under the hub's lock)."""
    topic_at = room.topic_at.astimezone() if room.topic_at is not None else None
    return RoomState(
        room.name,
        room.topic,
        room.topic_by,
        topic_at,
        "".join(sorted(room.flags)),
        room.key,
        room.limit,
        tuple((mask, by, at.astimezone()) for mask, (by, at) in room.bans.items()),
    )


def restore(room: Room, state: RoomState) -> None:
    """Give a newly made ``room`` its kept topic and settings (under the hub's lock)."""
    room.topic = state.topic
    room.topic_by = state.topic_by
    room.topic_at = _local(state.topic_at)
    room.flags = set(state.flags)
    room.key = state.key
    room.limit = state.limit
    room.bans = {mask: (by, _naive(at)) for mask, by, at in state.bans}


def _naive(when: datetime) -> datetime:
    """A kept (UTC) time as the hub's clock tells time: naive, local."""
    return when.astimezone().replace(tzinfo=None)


def _local(when: datetime | None) -> datetime | None:
    return _naive(when) if when is not None else None
