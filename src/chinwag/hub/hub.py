"""The hub's state and rules: members, nicknames, rooms, operators and bans.

Theory of operation: a front end (a text connection, an IRC connection, the server
console) calls one method per user action. The method checks the rules, changes the state
under the hub's single lock and returns the deliveries the action causes; the caller hands
them to the recipients' endpoints *after* the lock is released, so nothing ever blocks or
sends while holding it. Rule violations raise a :class:`~chinwag.hub.errors.ChatError`
for the user who caused them. Rooms keep an immutable snapshot of their members, rebuilt
on join and leave, so a broadcast costs no copying.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from chinwag import log
from chinwag.hub import errors, names
from chinwag.hub.bans import Ban, BanList, normalize_address
from chinwag.hub.endpoint import Endpoint
from chinwag.hub.events import (
    Delivery,
    Farewell,
    Joined,
    NickChanged,
    Parted,
    PrivateMessage,
    Quit,
    RoomMessage,
    Wall,
    info,
)
from chinwag.passwords import verify_password


class Member:
    """A connected user. Mutated only by the hub, under its lock."""

    __slots__ = (
        "address",
        "client_id",
        "connected_at",
        "endpoint",
        "last_active",
        "nick",
        "operator",
        "rooms",
    )

    def __init__(
        self,
        client_id: str,
        address: str,
        endpoint: Endpoint,
        connected_at: datetime | None = None,
    ) -> None:
        self.client_id = client_id
        self.nick = client_id
        self.address = address
        self.endpoint = endpoint
        self.connected_at = connected_at or datetime.now()
        self.last_active = time.monotonic()
        self.operator = False
        self.rooms: dict[str, str] = {}  # folded room key -> room name

    def __repr__(self) -> str:
        return f"<Member {self.client_id} {self.nick!r}>"


class Room:
    """A room's name and members, with a cached snapshot for broadcasting."""

    __slots__ = ("_members", "name", "snapshot")

    def __init__(self, name: str) -> None:
        self.name = name
        self._members: dict[Member, None] = {}
        self.snapshot: tuple[Member, ...] = ()

    def add(self, member: Member) -> None:
        self._members[member] = None
        self.snapshot = tuple(self._members)

    def discard(self, member: Member) -> None:
        self._members.pop(member, None)
        self.snapshot = tuple(self._members)

    def __len__(self) -> int:
        return len(self._members)


class Hub:
    """All members and rooms of one server."""

    def __init__(
        self,
        *,
        oper_password_hash: str = "",
        bans: BanList | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._lock = threading.Lock()
        self._oper_password_hash = oper_password_hash
        self._clock = clock
        self.bans = bans if bans is not None else BanList()
        self._members: dict[str, Member] = {}  # folded nick -> member
        self._rooms: dict[str, Room] = {names.fold(names.LOBBY): Room(names.LOBBY)}
        self._closing = False

    # --- arriving and leaving ----------------------------------------------------------

    def add(self, member: Member) -> list[Delivery]:
        """A new connection joins under its generated name, in the lobby."""
        with self._lock:
            key = names.fold(member.nick)
            if key in self._members:
                raise errors.NameInUse(f"{member.nick} is already connected")
            self._members[key] = member
            lobby = self._rooms[names.fold(names.LOBBY)]
            lobby.add(member)
            member.rooms[names.fold(names.LOBBY)] = lobby.name
            return [
                Delivery(Joined(member.nick, lobby.name, connected=True), lobby.snapshot, member)
            ]

    def remove(self, member: Member, reason: str = "") -> list[Delivery]:
        """``member`` left the server; everyone sharing a room with them is told once."""
        with self._lock:
            if self._members.get(names.fold(member.nick)) is not member:
                return []
            del self._members[names.fold(member.nick)]
            others = self._co_members(member)
            for key in list(member.rooms):
                self._leave_room(member, key)
            if self._closing:
                return []
            return [Delivery(Quit(member.nick, reason), others)] if others else []

    def close(self) -> None:
        """The server is shutting down: departures from now on are not announced."""
        with self._lock:
            self._closing = True

    # --- rooms ---------------------------------------------------------------------------

    def join(self, member: Member, room_name: str) -> list[Delivery]:
        names.check_room(room_name)
        key = names.fold(room_name)
        with self._lock:
            if key in member.rooms:
                raise errors.AlreadyInRoom(f"you are already in {member.rooms[key]}")
            room = self._rooms.get(key)
            if room is None:
                room = self._rooms[key] = Room(room_name)
            room.add(member)
            member.rooms[key] = room.name
            return [Delivery(Joined(member.nick, room.name), room.snapshot, member)]

    def part(self, member: Member, room_name: str, reason: str = "") -> list[Delivery]:
        key = names.fold(room_name)
        with self._lock:
            if key not in member.rooms:
                raise errors.NotInRoom(f"you are not in {room_name}")
            room = self._rooms[key]
            others = room.snapshot
            self._leave_room(member, key)
            return [Delivery(Parted(member.nick, room.name, reason), others, member)]

    def say(
        self, member: Member, room_name: str, text: str, *, action: bool = False
    ) -> list[Delivery]:
        """A message from ``member`` to everyone else in the room."""
        key = names.fold(room_name)
        member.last_active = time.monotonic()
        with self._lock:
            if key not in member.rooms:
                raise errors.NotInRoom(f"you are not in {room_name}")
            room = self._rooms[key]
            event = RoomMessage(self._clock(), member.nick, room.name, text, action)
            return [Delivery(event, room.snapshot, member)]

    def tell(self, member: Member, nick: str, text: str) -> list[Delivery]:
        """A private message from ``member`` to the user called ``nick``."""
        member.last_active = time.monotonic()
        with self._lock:
            target = self._find(nick)
            return [
                Delivery(PrivateMessage(self._clock(), member.nick, target.nick, text), (target,))
            ]

    # --- names ---------------------------------------------------------------------------

    def rename(self, member: Member, nick: str) -> list[Delivery]:
        names.check_nick(nick, member.client_id)
        with self._lock:
            old = member.nick
            # The console's member, or one already removed, has no entry to rename.
            if self._members.get(names.fold(old)) is not member:
                raise errors.NoSuchUser("you are not in the chat, so you have no name to change")
            if nick == old:
                raise errors.NameInUse(f"you are already called {nick}")
            holder = self._members.get(names.fold(nick))
            if holder is not None and holder is not member:
                raise errors.NameInUse(f"the name {nick} is taken")
            del self._members[names.fold(old)]
            self._members[names.fold(nick)] = member
            member.nick = nick
            others = self._co_members(member)
        log.event(f"{member.client_id} ({old}) is now known as {nick}")
        deliveries = [Delivery(NickChanged(old, nick, own=True), (member,))]
        if others:
            deliveries.append(Delivery(NickChanged(old, nick), others))
        return deliveries

    # --- queries -------------------------------------------------------------------------

    def find(self, nick: str) -> Member | None:
        with self._lock:
            return self._members.get(names.fold(nick))

    def members(self) -> tuple[Member, ...]:
        with self._lock:
            return tuple(self._members.values())

    def room_members(self, room_name: str) -> tuple[Member, ...]:
        with self._lock:
            room = self._rooms.get(names.fold(room_name))
            return room.snapshot if room is not None else ()

    def rooms(self) -> list[tuple[str, int]]:
        """Every room with its member count, the lobby first."""
        with self._lock:
            listing = [(room.name, len(room)) for room in self._rooms.values()]
        return sorted(listing, key=lambda item: (item[0] != names.LOBBY, names.fold(item[0])))

    # --- operators -----------------------------------------------------------------------

    def authenticate_operator(self, member: Member, password: str) -> list[Delivery]:
        if not self._oper_password_hash:
            raise errors.NoOperators("this server has no operators")
        # scrypt is slow on purpose: never hold the lock while it runs.
        if not verify_password(password, self._oper_password_hash):
            log.event(f"{member.client_id} ({member.nick}) gave a wrong operator password")
            raise errors.WrongPassword("wrong operator password")
        with self._lock:
            member.operator = True
        log.event(f"{member.client_id} ({member.nick}) is now an operator")
        return [info(member, "you are now an operator")]

    def kick(self, actor: Member, nick: str, reason: str = "") -> list[Delivery]:
        self._require_operator(actor)
        with self._lock:
            target = self._find(nick)
        log.event(f"{actor.nick} kicked {target.client_id} ({target.nick})" + _paren(reason))
        why = f"kicked by {actor.nick}" + (f": {reason}" if reason else "")
        return [
            Delivery(Farewell(f"You were {why}", why), (target,)),
            info(actor, f"{target.nick} was kicked"),
        ]

    def ban(self, actor: Member, target: str, minutes: float | None = None) -> list[Delivery]:
        """Ban an address (given, or the one a user connects from) and disconnect it."""
        self._require_operator(actor)
        with self._lock:
            named = self._members.get(names.fold(target))
            address = named.address if named is not None else normalize_address(target)
            if address is None:
                raise errors.NoSuchUser(f"there is no user or address called {target}")
            if named is not None:
                victims: Sequence[Member] = (named,)
            else:
                victims = [
                    m for m in self._members.values() if m.address == address and m is not actor
                ]
        until = None if minutes is None else time.time() + minutes * 60
        self.bans.add(Ban(address, actor.nick, named.nick if named else "", until))
        span = "for good" if minutes is None else f"for {minutes:g} minutes"
        log.event(
            f"{actor.nick} banned {address}" + _paren(named.nick if named else "") + f" {span}"
        )
        deliveries = [info(actor, f"{address} is banned {span}")]
        if victims:
            why = f"banned by {actor.nick}"
            deliveries.append(Delivery(Farewell(f"You were {why}", why), victims))
        return deliveries

    def unban(self, actor: Member, target: str) -> list[Delivery]:
        self._require_operator(actor)
        ban = self.bans.remove(target)
        if ban is None:
            raise errors.NoSuchUser(f"{target} is not banned")
        log.event(f"{actor.nick} lifted the ban on {ban.address}")
        return [info(actor, f"the ban on {ban.address} is lifted")]

    def ban_list(self, actor: Member) -> list[Ban]:
        self._require_operator(actor)
        return self.bans.active()

    def wall(self, actor: Member, text: str) -> list[Delivery]:
        self._require_operator(actor)
        with self._lock:
            everyone = tuple(self._members.values())
        log.event(f"notice from {actor.nick}: {text}")
        return [Delivery(Wall(self._clock(), actor.nick, text), everyone)]

    # --- helpers (called with the lock held) ---------------------------------------------

    def _find(self, nick: str) -> Member:
        target = self._members.get(names.fold(nick))
        if target is None:
            raise errors.NoSuchUser(f"there is no user called {nick}")
        return target

    def _co_members(self, member: Member) -> tuple[Member, ...]:
        """Everyone who shares at least one room with ``member``, each once."""
        seen: dict[Member, None] = {}
        for key in member.rooms:
            seen.update(dict.fromkeys(self._rooms[key].snapshot))
        seen.pop(member, None)
        return tuple(seen)

    def _leave_room(self, member: Member, key: str) -> None:
        room = self._rooms[key]
        room.discard(member)
        del member.rooms[key]
        if not len(room) and room.name != names.LOBBY:
            del self._rooms[key]

    @staticmethod
    def _require_operator(actor: Member) -> None:
        if not actor.operator:
            raise errors.NotOperator("only operators can do that")


def _paren(text: str) -> str:
    return f" ({text})" if text else ""


def idle_for(member: Member, now: float | None = None) -> timedelta:
    """How long ``member`` has been silent."""
    return timedelta(seconds=(now if now is not None else time.monotonic()) - member.last_active)
