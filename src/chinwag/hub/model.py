"""The hub's records: members, rooms, and the read-only views front ends are given.

Mutated only by :class:`~chinwag.hub.hub.Hub`, under its lock. The ``_set_*`` helpers
apply one parsed mode change to a room and say what changed.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from chinwag.hub import masks, modes, names
from chinwag.hub.events import ToRoom
from chinwag.password_guard import Attempts


class Member:
    """A connected user. Mutated only by the hub, under its lock.

    ``client_id`` is the member's id: opaque, unique, fixed for the whole connection; it
    is how deliveries name their audience. The member holds no endpoint: each server's
    router maps the ids of its own connections to their endpoints.
    """

    __slots__ = (
        "address",
        "away",
        "ban_verdicts",
        "bot",
        "client_id",
        "cloak",
        "connected_at",
        "entered",
        "invisible",
        "invitations",
        "last_active",
        "named",
        "nick",
        "operator",
        "password_attempts",
        "realname",
        "rooms",
        "userhost",
        "username",
    )

    def __init__(
        self,
        client_id: str,
        address: str,
        connected_at: datetime | None = None,
    ) -> None:
        self.client_id = client_id
        self.nick = client_id
        self.address = address
        self.connected_at = connected_at or datetime.now()
        self.last_active = time.monotonic()
        self.operator = False
        self.rooms: dict[str, str] = {}  # folded room key -> room name
        # Folded room key -> the message id the member's entering took: messages before
        # it are the room's history to them, messages after it reach them live.
        self.entered: dict[str, int] = {}
        # The message id the member's taking its name took (see ``Hub.rename``): names
        # are not accounts, so private history before it was someone else's.
        self.named = 0
        self.username = client_id  # what the client calls its user, where it says
        self.realname = ""
        self.away = ""  # the away message; empty: present
        self.invisible = False  # hidden from listings of people who share no room
        self.bot = False  # a program, not a person (IRC's user mode +B)
        # The host others see, and the ``user@host`` of message prefixes: set by the hub
        # once, when the member arrives (see :mod:`chinwag.hub.visibility`).
        self.cloak = ""
        self.userhost = ""
        # The rooms that invited this member (each has them in ``invited``), so that
        # leaving costs the member's own invitations, not a walk over every room.
        self.invitations: set[Room] = set()
        # Its own lock (the guard's), so not the hub's business beyond holding it.
        self.password_attempts = Attempts(address)
        # Folded room key -> whether the room's bans cover this member, as worked out
        # for one ban list of the room and one way of looking (see ``Room.banned``).
        self.ban_verdicts: dict[str, BanVerdict] = {}

    def __repr__(self) -> str:
        return f"<Member {self.client_id} {self.nick!r}>"


# The flags a room is made with (the lobby: anyone may set its topic).
ROOM_FLAGS = "nt"
LOBBY_FLAGS = "n"


MAX_BAN_VERDICTS = 64  # rooms a member's ban verdicts are kept for; then they start afresh
_ban_lists = itertools.count(1)  # versions of rooms' ban lists, never reused


class BanVerdict(NamedTuple):
    """Whether a room's bans cover a member: for which version of its ban list, and for
    the member looking how (nick, user name, address, cloak)."""

    version: int
    looks: tuple[str, str, str, str]
    banned: bool


def _covered(ban_masks: tuple[str, ...], member: Member) -> bool:
    """Whether one of ``ban_masks`` covers ``member`` (see :meth:`Room.banned`)."""
    by_address = masks.subject(member.nick, member.username, member.address)
    if any(masks.matches_subject(mask, by_address) for mask in ban_masks):
        return True
    if not member.cloak:
        return False
    by_cloak = masks.subject(member.nick, member.username, member.cloak)
    return any(masks.matches_subject(mask, by_cloak) for mask in ban_masks)


# Membership versions, for every room of every hub in this process: a version is never
# reused, so a router's cache can never mistake one membership for another. (next() on a
# count is atomic: rooms of different hubs may take versions at once.)
_versions = itertools.count(1)


class Room:
    """A room's name, members and settings, with a cached snapshot for broadcasting."""

    __slots__ = (
        "_audience",
        "_ban_list",
        "_members",
        "_snapshot",
        "bans",
        "created_at",
        "flags",
        "folded",
        "invited",
        "key",
        "limit",
        "name",
        "operators",
        "topic",
        "topic_at",
        "topic_by",
        "voiced",
    )

    def __init__(
        self, name: str, flags: str = ROOM_FLAGS, created_at: datetime | None = None
    ) -> None:
        self.name = name
        self.folded = names.fold(name)
        self._members: dict[Member, None] = {}
        self._snapshot: tuple[Member, ...] | None = ()
        self._audience: ToRoom | None = None
        self.created_at = created_at or datetime.now()
        self.topic = ""
        self.topic_by = ""
        self.topic_at: datetime | None = None
        self.flags = set(flags)
        self.key = ""
        self.limit = 0  # 0: no limit
        self.bans: dict[str, tuple[str, datetime]] = {}  # mask -> (set by, set at)
        # The ban list as last seen, and its version: members' verdicts name the version.
        self._ban_list: tuple[tuple[str, ...], int] = ((), 0)
        self.operators: set[Member] = set()
        self.voiced: set[Member] = set()
        self.invited: set[Member] = set()  # each has this room in ``invitations``

    @property
    def snapshot(self) -> tuple[Member, ...]:
        """The members, as one tuple shared by every broadcast until membership changes.

        Made when first asked for after a change, so a crowd arriving or leaving without
        a word costs no copying (it would be the room's size for every arrival)."""
        if self._snapshot is None:
            self._snapshot = tuple(self._members)
        return self._snapshot

    @property
    def audience(self) -> ToRoom:
        """Everyone in the room, by id: one value shared by every delivery until
        membership changes, with a version no other membership of any room has."""
        if self._audience is None:
            ids = tuple(member.client_id for member in self.snapshot)
            self._audience = ToRoom(self.folded, next(_versions), ids)
        return self._audience

    def add(self, member: Member) -> None:
        self._members[member] = None
        self._snapshot = self._audience = None

    def discard(self, member: Member) -> None:
        self._members.pop(member, None)
        self.operators.discard(member)
        self.voiced.discard(member)
        self._snapshot = self._audience = None

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def prefix(self, member: Member) -> str:
        """The privilege marks of ``member`` here, highest first (``@``, ``+``)."""
        return ("@" if member in self.operators else "") + ("+" if member in self.voiced else "")

    def banned(self, member: Member) -> bool:
        """Whether a ban mask covers ``member``, by their real address or by their cloak
        (so a room operator can ban what they see).

        Worked out once for each ban list and each way the member looks (nick, user
        name, address), and kept on the member for a while (``ban_verdicts``, at most
        :data:`MAX_BAN_VERDICTS` rooms): a line said in the room, or a join refused and
        tried again, costs a lookup, not a match of every mask.
        """
        if not self.bans:  # the usual case, on the path of every message
            return False
        listed = tuple(self.bans)
        known, version = self._ban_list
        if listed != known:  # changed since last asked (a mode, a restored room)
            version = next(_ban_lists)
            self._ban_list = (listed, version)
        looks = (member.nick, member.username, member.address, member.cloak)
        verdicts = member.ban_verdicts
        verdict = verdicts.get(self.folded)
        if verdict is not None and verdict.version == version and verdict.looks == looks:
            return verdict.banned
        banned = _covered(listed, member)
        if len(verdicts) >= MAX_BAN_VERDICTS and self.folded not in verdicts:
            verdicts.clear()
        verdicts[self.folded] = BanVerdict(version, looks, banned)
        return banned

    def __len__(self) -> int:
        return len(self._members)


@dataclass(frozen=True, slots=True)
class RoomView:
    """A snapshot of one room, for listings and replies; taken under the hub's lock."""

    name: str
    topic: str
    topic_by: str
    topic_at: datetime | None
    created_at: datetime
    flags: frozenset[str]
    key: str
    limit: int
    bans: tuple[tuple[str, str, datetime], ...]
    members: tuple[tuple[Member, str], ...]  # each member with their privilege marks

    @property
    def secret(self) -> bool:
        return "s" in self.flags

    def mode_params(self, *, with_key: bool) -> tuple[str, ...]:
        """The set flags and settings as ``("+nkl", "key", "10")``; the key as ``*``
        unless ``with_key``."""
        letters = "".join(sorted(self.flags))
        arguments: list[str] = []
        if self.key:
            letters += "k"
            arguments.append(self.key if with_key else "*")
        if self.limit:
            letters += "l"
            arguments.append(str(self.limit))
        return ("+" + letters, *arguments)


@dataclass(frozen=True, slots=True)
class MemberView:
    """A snapshot of what others may know about one member (``/whois``)."""

    nick: str
    username: str
    realname: str
    address: str  # as the viewer may see it: the real address, or the cloak
    rooms: tuple[tuple[str, str], ...]  # each visible room with the member's marks there
    operator: bool
    away: str
    idle: timedelta
    connected_at: datetime
    bot: bool = False


def idle_for(member: Member, now: float | None = None) -> timedelta:
    """How long ``member`` has been silent."""
    return timedelta(seconds=(now if now is not None else time.monotonic()) - member.last_active)


def set_flag(room: Room, change: modes.ModeChange) -> tuple[str, str] | None:
    if change.on == (change.letter in room.flags):
        return None
    (room.flags.add if change.on else room.flags.discard)(change.letter)
    return change.sign_letter, ""


def set_key(room: Room, change: modes.ModeChange) -> tuple[str, str] | None:
    if change.on:
        room.key = change.argument
        return change.sign_letter, change.argument
    if not room.key:
        return None
    room.key = ""
    return change.sign_letter, "*"


def set_limit(room: Room, change: modes.ModeChange) -> tuple[str, str] | None:
    if change.on:
        room.limit = int(change.argument)
        return change.sign_letter, change.argument
    if not room.limit:
        return None
    room.limit = 0
    return change.sign_letter, ""


def set_ban(room: Room, change: modes.ModeChange, by: str, at: datetime) -> tuple[str, str] | None:
    mask = masks.normalize(change.argument)
    # Masks match under the names' case folding, so they are one mask under it too:
    # "-b bob!*@*" lifts "+b BOB!*@*" (and is shown as the mask that was set).
    folded = names.fold(mask)
    kept = next((known for known in room.bans if names.fold(known) == folded), None)
    if change.on:
        if kept is not None or len(room.bans) >= modes.MAX_BANS:
            return None
        room.bans[mask] = (by, at)
    elif kept is None:
        return None
    else:
        del room.bans[kept]
        mask = kept
    return change.sign_letter, mask
