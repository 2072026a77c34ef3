"""The hub's state and rules: members, nicknames, rooms, operators and bans.

Theory of operation: a front end (a text connection, an IRC connection, the server
console) calls one method per user action. The method checks the rules, changes the state
under the hub's single lock and returns the deliveries the action causes; the caller hands
them to the recipients' endpoints *after* the lock is released, so nothing ever blocks or
sends while holding it. Deliveries name members by id and rooms by key and membership
version; the hub holds no endpoint, and each server's router finds its own. Rule
violations raise a :class:`~chinwag.hub.errors.ChatError` for the user who caused them.
Rooms keep an immutable audience of their members' ids, rebuilt on the first message
after a join or leave, so a broadcast costs no copying. Text from users arrives cleaned:
events and the records others read later refuse anything else
(:mod:`chinwag.hub.cleaning`).

Every message gets an id under the lock, and so does every entering of a room
(``Member.entered``): ids order messages and arrivals as the lock did. Each message is
handed to history's recorder under the lock too (it only queues it), so that whoever
enters a room finds in its history exactly the messages accepted before their entering,
and gets the later ones live.

Rooms also have settings (topic, modes, bans, invitations, room operators; see
:mod:`chinwag.hub.modes`) that every front end can read and change. Whoever makes a new
room is its first operator; the lobby has none, so there only server operators (who
count as operators of every room) can do what a room operator can. What each member may
see of rooms, of other members and of their addresses is decided in
:mod:`chinwag.hub.visibility`, for every front end at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chinwag import log
from chinwag.history.ids import PROCESS_IDS, MessageIds
from chinwag.hub import errors, modes, names, visibility
from chinwag.hub.bans import Ban, BanList, covers, describe, network_of, refusal
from chinwag.hub.cleaning import require_clean
from chinwag.hub.events import (
    AwayChanged,
    BanLifted,
    BanSet,
    BecameOperator,
    ClientTags,
    Delivery,
    Disconnected,
    Event,
    Farewell,
    Invited,
    Joined,
    Kicked,
    ModesChanged,
    NickChanged,
    Parted,
    PrivateMessage,
    Quit,
    RealnameChanged,
    RoomMessage,
    TagMessage,
    ToMembers,
    TopicChanged,
    Wall,
    to,
)
from chinwag.hub.model import (
    LOBBY_FLAGS,
    Member,
    MemberView,
    Room,
    RoomView,
    idle_for,
    set_ban,
    set_flag,
    set_key,
    set_limit,
)
from chinwag.hub.whowas import Departed, NameHistory
from chinwag.password_guard import PasswordGuard, TryLater
from chinwag.passwords import verify_password

if TYPE_CHECKING:
    from chinwag.history.replay import Replayer
    from chinwag.history.rooms import KeptRooms
    from chinwag.history.sqlite import RoomState

__all__ = ["Hub", "Member", "MemberView", "Room", "RoomView", "idle_for"]

# Rooms are cheap but not free: without a bound a few connections joining lists of new
# rooms fill the memory, and every listing of rooms grows with them.
DEFAULT_MAX_ROOMS_PER_MEMBER = 50  # the lobby included
DEFAULT_MAX_ROOMS = 10_000  # the lobby included


class Hub:
    """All members and rooms of one server."""

    def __init__(
        self,
        *,
        oper_password_hash: str = "",
        bans: BanList | None = None,
        clock: Callable[[], datetime] = datetime.now,
        quiet_room_size: int = 0,
        cloak_secret: bytes | None = None,
        max_rooms_per_member: int = DEFAULT_MAX_ROOMS_PER_MEMBER,
        max_rooms: int = DEFAULT_MAX_ROOMS,
        reserved_names: Iterable[str] = (),
        passwords: PasswordGuard | None = None,
        message_ids: MessageIds = PROCESS_IDS,
        kept_rooms: KeptRooms | None = None,
        recorder: Callable[[RoomMessage | PrivateMessage], None] | None = None,
    ) -> None:
        """``kept_rooms``: the rooms' kept topics and settings, given to each room when
        it is made and saved after each change (none: nothing outlives the hub).

        ``recorder``: history's, given every message to a room or a user under the lock,
        in the order accepted (so it must only queue it), so that whoever joins after a
        message finds it in history. Messages to a room's operators or voiced users only
        are not the room's, and not recorded."""
        self._lock = threading.Lock()
        # Every message gets its id here, where it is made, from the time it is made at:
        # history and clients share it, and history tells the time from it.
        self._id_at = message_ids.at_time
        self._record = recorder or _ignore
        # Random unless given (tests), so cloaks are stable for one run and no longer.
        self._cloak_secret = cloak_secret if cloak_secret is not None else visibility.new_secret()
        self.max_rooms_per_member = max_rooms_per_member
        self.max_rooms = max_rooms
        # Rooms with more members than this do not announce arrivals, departures and
        # renames: each would go to every member, so a crowd arriving one by one would
        # cost the square of its size. Messages are always delivered. 0: always announce.
        self._quiet_room_size = quiet_room_size
        self._oper_password_hash = oper_password_hash
        self._clock = clock
        self.bans = bans if bans is not None else BanList()
        # Every password check of the server goes through this, whichever front end asks.
        self.passwords = passwords if passwords is not None else PasswordGuard()
        self._members: dict[str, Member] = {}  # folded nick -> member
        # Each look of each member's nick (names.looks) -> the member: a nick that looks
        # like a connected member's is theirs too.
        self._looks: dict[str, Member] = {}
        # Names nobody may take or imitate besides names.RESERVED_NICKS: the server's own.
        self._reserved = names.reserved_looks(reserved_names)
        # The lobby belongs to everybody: anyone may set its topic.
        self._kept = kept_rooms
        # What front ends show of history; set by the server. The hub never reads it.
        self.history: Replayer | None = None
        lobby = Room(names.LOBBY, LOBBY_FLAGS)
        if kept_rooms is not None:
            kept_rooms.restore(lobby)
        self._rooms: dict[str, Room] = {names.fold(names.LOBBY): lobby}
        self._closing = False
        # The most members connected at once since the server started (IRC's LUSERS).
        self.most_members = 0
        # Names left behind by quits and renames, newest last (IRC's WHOWAS).
        self._departed = NameHistory()

    # --- arriving and leaving ----------------------------------------------------------

    def add(self, member: Member) -> list[Delivery]:
        """A new connection joins under its generated name, in the lobby."""
        its_looks = names.looks(member.nick)  # outside the lock: a crowd may be arriving
        with self._lock:
            self._check_ban(member)
            key = names.fold(member.nick)
            if key in self._members:
                raise errors.NameInUse(f"{member.nick} is already connected")
            self._members[key] = member
            self._identify(member)
            self._take_looks(member, its_looks)
            self.most_members = max(self.most_members, len(self._members))
            lobby = self._rooms[names.fold(names.LOBBY)]
            lobby.add(member)
            member.rooms[lobby.folded] = lobby.name
            member.entered[lobby.folded] = member.named = self._id_at(self._clock())
            joined = Joined(
                member.nick,
                lobby.name,
                connected=True,
                userhost=member.userhost,
                realname=member.realname,
                away=member.away,
            )
            return self._announce(joined, lobby, member)

    def register(
        self, member: Member, nick: str, username: str = "", realname: str = ""
    ) -> list[Delivery]:
        """A new connection enters under a name it chose, in no room.

        For protocols whose clients pick their name before they arrive and then join
        rooms themselves.
        """
        names.check_nick(nick, member.client_id, self._reserved)
        require_clean(username, realname)
        with self._lock:
            if self._members.get(names.fold(member.nick)) is member:
                raise errors.AlreadyInRoom("you are connected already")
            self._check_ban(member)
            self._check_free(member, nick)
            member.nick = nick
            member.named = self._id_at(self._clock())
            member.username = username or member.client_id
            member.realname = realname
            self._identify(member)
            self._members[names.fold(nick)] = member
            self._take_looks(member, names.looks(nick))
            self.most_members = max(self.most_members, len(self._members))
        log.event(f"{member.client_id} is now known as {nick}")
        return []

    def remove(self, member: Member, reason: str = "") -> list[Delivery]:
        """``member`` left the server; everyone sharing a room with them is told once."""
        with self._lock:
            if self._members.get(names.fold(member.nick)) is not member:
                return []
            del self._members[names.fold(member.nick)]
            self._drop_looks(member)
            self._departed.record(member, self._clock())
            others = self._co_members(member)
            for key in list(member.rooms):
                self._leave_room(member, key)
            for room in member.invitations:
                room.invited.discard(member)
            member.invitations.clear()
            if self._closing:
                return []
            quit_event = Quit(member.nick, reason, userhost=member.userhost)
            return [Delivery(quit_event, others)] if others.ids else []

    def close(self) -> None:
        """The server is shutting down: departures from now on are not announced."""
        with self._lock:
            self._closing = True

    # --- rooms ---------------------------------------------------------------------------

    def join(self, member: Member, room_name: str, password: str = "") -> list[Delivery]:
        """``member`` enters a room (made if new, with them as its operator)."""
        names.check_room(room_name)
        key = names.fold(room_name)
        with self._lock:
            self._require_present(member, "so you cannot join a room")
            if key in member.rooms:
                raise errors.AlreadyInRoom(f"you are already in {member.rooms[key]}")
            if len(member.rooms) >= self.max_rooms_per_member:
                limit = self.max_rooms_per_member
                rooms = "1 room" if limit == 1 else f"{limit} rooms"
                raise errors.TooManyRooms(f"you may be in at most {rooms} at once")
            room = self._rooms.get(key)
            if room is None:
                if len(self._rooms) >= self.max_rooms:
                    raise errors.TooManyRoomsOnServer(
                        f"the server has no more rooms to give, so {room_name} cannot be made"
                    )
                room = Room(room_name, created_at=self._clock())
                if self._kept is not None:
                    # A kept room is made again as it was: its key and bans still count,
                    # and so does +i, which nobody is in it to invite past, but a server
                    # operator, whom it would otherwise shut out for good.
                    self._kept.restore(room)
                    self._check_admission(member, room, password, reopening=True)
                self._rooms[key] = room
                room.operators.add(member)
            else:
                self._check_admission(member, room, password)
            room.add(member)
            room.invited.discard(member)
            member.invitations.discard(room)
            member.rooms[key] = room.name
            member.entered[key] = self._id_at(self._clock())
            joined = Joined(
                member.nick,
                room.name,
                userhost=member.userhost,
                realname=member.realname,
                away=member.away,
            )
            return self._announce(joined, room, member)

    def part(self, member: Member, room_name: str, reason: str = "") -> list[Delivery]:
        key = names.fold(room_name)
        with self._lock:
            if key not in member.rooms:
                raise errors.NotInRoom(f"you are not in {room_name}")
            room = self._rooms[key]
            parted = Parted(member.nick, room.name, reason, userhost=member.userhost)
            deliveries = self._announce(parted, room, member)
            self._leave_room(member, key)
            return deliveries

    def say(
        self,
        member: Member,
        room_name: str,
        text: str,
        *,
        action: bool = False,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,  # unused: this hub always answers at once
    ) -> list[Delivery]:
        """A message from ``member`` to everyone else in the room."""
        key = names.fold(room_name)
        member.last_active = time.monotonic()
        with self._lock:
            room = self._room_to_speak_in(member, key, room_name)
            now = self._clock()
            event = RoomMessage(
                now,
                member.nick,
                room.name,
                text,
                action,
                notice,
                member.userhost,
                self._id_at(now),
                tags=tags,
                bot=member.bot,
            )
            self._record(event)
            return [Delivery(event, room.audience, member.client_id)]

    def say_to_status(
        self,
        member: Member,
        room_name: str,
        text: str,
        status: str,
        *,
        action: bool = False,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,  # unused: this hub always answers at once
    ) -> list[Delivery]:
        """A message to the room's operators (``@``), or its voiced users and operators
        (``+``), allowed exactly when a message to the whole room would be."""
        key = names.fold(room_name)
        member.last_active = time.monotonic()
        with self._lock:
            room = self._room_to_speak_in(member, key, room_name)
            now = self._clock()
            event = RoomMessage(
                now,
                member.nick,
                room.name,
                text,
                action,
                notice,
                member.userhost,
                self._id_at(now),
                status,
                tags,
                member.bot,
            )
            return [Delivery(event, self._status_audience(room, status), member.client_id)]

    def tell(
        self,
        member: Member,
        nick: str,
        text: str,
        *,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,  # unused: this hub always answers at once
    ) -> list[Delivery]:
        """A private message from ``member`` to the user called ``nick``."""
        member.last_active = time.monotonic()
        with self._lock:
            target = self._find(nick)
            now = self._clock()
            event = PrivateMessage(
                now,
                member.nick,
                target.nick,
                text,
                notice,
                member.userhost,
                self._id_at(now),
                tags,
                member.bot,
            )
            self._record(event)
            return [Delivery(event, to(target))]

    def check_say(self, member: Member, room_name: str) -> None:
        """Raise what :meth:`say` would raise now, saying nothing (a hub that applies the
        message later asks first; see :mod:`chinwag.cluster.hub`)."""
        with self._lock:
            self._room_to_speak_in(member, names.fold(room_name), room_name)

    def check_tell(self, nick: str) -> None:
        """Raise what :meth:`tell` would raise now, telling nothing."""
        with self._lock:
            self._find(nick)

    def tag_room(
        self, member: Member, room_name: str, tags: ClientTags, status: str = ""
    ) -> list[Delivery]:
        """Tags without text to a room (or its operators or voiced users, as for
        :meth:`say_to_status`), allowed exactly when a message would be."""
        key = names.fold(room_name)
        with self._lock:
            room = self._room_to_speak_in(member, key, room_name)
            now = self._clock()
            event = TagMessage(
                now,
                member.nick,
                tags,
                room=room.name,
                userhost=member.userhost,
                msgid=self._id_at(now),
                status=status,
                bot=member.bot,
            )
            audience = self._status_audience(room, status) if status else room.audience
            return [Delivery(event, audience, member.client_id)]

    def tag_member(self, member: Member, nick: str, tags: ClientTags) -> list[Delivery]:
        """Tags without text to the user called ``nick``."""
        with self._lock:
            target = self._find(nick)
            now = self._clock()
            event = TagMessage(
                now,
                member.nick,
                tags,
                recipient=target.nick,
                userhost=member.userhost,
                msgid=self._id_at(now),
                bot=member.bot,
            )
            return [Delivery(event, to(target))]

    # --- room settings -------------------------------------------------------------------

    def set_topic(self, member: Member, room_name: str, topic: str) -> list[Delivery]:
        require_clean(topic)  # kept, and shown to whoever asks later
        with self._lock:
            room = self._room_of(member, room_name)
            if "t" in room.flags and not self._is_room_operator(member, room):
                raise errors.NotRoomOperator(f"only operators of {room.name} set its topic")
            room.topic = topic
            room.topic_by = member.nick
            room.topic_at = self._clock()
            event = TopicChanged(member.nick, room.name, topic, member.userhost)
            audience = room.audience
            kept = self._snapshot(room)
        self._save(kept)
        return [Delivery(event, audience)]

    def change_modes(
        self, actor: Member, room_name: str, changes: Iterable[modes.ModeChange]
    ) -> list[Delivery]:
        """Apply mode changes to a room; those that change nothing are left out."""
        changes = list(changes)
        with self._lock:
            room = self._rooms.get(names.fold(room_name))
            if room is None:
                raise errors.NoSuchRoom(f"there is no room called {room_name}")
            if not self._is_room_operator(actor, room):
                raise errors.NotRoomOperator(f"only operators of {room.name} change its modes")
            # Check every named member first, so a bad change applies none of them.
            targets = {
                change: self._member_in(room, change.argument)
                for change in changes
                if change.letter in modes.PRIVILEGES
            }
            _check_room_for_bans(room, changes)
            applied = [
                done
                for change in changes
                if (done := self._apply_mode(actor, room, change, targets.get(change)))
            ]
            if not applied:
                return []
            event = ModesChanged(actor.nick, room.name, tuple(applied), actor.userhost)
            audience = room.audience
            kept = self._snapshot(room)
        self._save(kept)
        return [Delivery(event, audience)]

    def kick_from(
        self, actor: Member, room_name: str, nick: str, reason: str = ""
    ) -> list[Delivery]:
        """A room operator puts ``nick`` out of the room; they stay connected."""
        with self._lock:
            room = self._rooms.get(names.fold(room_name))
            if room is None:
                raise errors.NoSuchRoom(f"there is no room called {room_name}")
            if actor not in room and not actor.operator:
                raise errors.NotInRoom(f"you are not in {room.name}")
            if not self._is_room_operator(actor, room):
                raise errors.NotRoomOperator(f"only operators of {room.name} kick")
            target = self._member_in(room, nick)
            everyone = room.audience  # the target too: they are told they are out
            self._leave_room(target, names.fold(room.name))
        log.event(f"{actor.nick} kicked {target.nick} from {room.name}" + _paren(reason))
        event = Kicked(actor.nick, room.name, target.nick, reason, actor.userhost)
        return [Delivery(event, everyone)]

    def invite(self, actor: Member, nick: str, room_name: str) -> list[Delivery]:
        """Invite ``nick`` into a room: past its ``+i``, ``+l`` and ``+b``, never its ``+k``."""
        names.check_room(room_name)
        with self._lock:
            target = self._find(nick)
            room = self._rooms.get(names.fold(room_name))
            if room is None and self._kept is not None and self._kept.invite_only(room_name):
                # Kept invite-only with nobody in it: an invitation could not be kept
                # until it is made again, so say so rather than send one that fails.
                raise errors.NotInRoom(f"you are not in {room_name}")
            if room is not None:
                if actor not in room:
                    raise errors.NotInRoom(f"you are not in {room.name}")
                if "i" in room.flags and not self._is_room_operator(actor, room):
                    raise errors.NotRoomOperator(f"only operators of {room.name} invite")
                if target in room:
                    raise errors.AlreadyInvited(f"{target.nick} is in {room.name} already")
                room.invited.add(target)
                target.invitations.add(room)
                room_name = room.name
            event = Invited(actor.nick, target.nick, room_name, actor.userhost)
            deliveries = [Delivery(event, to(target))]
            if room is not None:
                deliveries.extend(self._invite_notices(event, room, actor, target))
            return deliveries

    def _invite_notices(
        self, event: Invited, room: Room, actor: Member, target: Member
    ) -> list[Delivery]:
        """The invitation's copy for the room's other operators (IRC's invite-notify)."""
        others = [op for op in room.operators if op is not actor and op is not target]
        if not others:
            return []
        return [Delivery(replace(event, notice=True), to(*others))]

    # --- personal settings ---------------------------------------------------------------

    def set_away(self, member: Member, message: str) -> list[Delivery]:
        """Mark ``member`` away with ``message``, or back when it is empty."""
        require_clean(message)  # kept, and shown to whoever writes to them
        with self._lock:
            if member.away == message:
                return []
            member.away = message
            others = self._co_members(member)
        if not others.ids:
            return []
        return [Delivery(AwayChanged(member.nick, message, member.userhost), others)]

    def set_realname(self, member: Member, realname: str) -> list[Delivery]:
        """``member`` now calls themselves ``realname`` (cleaned, not empty)."""
        require_clean(realname)
        if not realname:
            raise errors.BadArguments("a real name must not be empty")
        with self._lock:
            self._require_present(member, "so you have no real name to change")
            member.realname = realname
            audience = ToMembers((member.client_id, *self._co_members(member).ids))
        return [Delivery(RealnameChanged(member.nick, realname, member.userhost), audience)]

    def set_bot(self, member: Member, bot: bool) -> list[Delivery]:
        """Mark ``member`` as a program (shown in listings), or as a person again."""
        with self._lock:
            member.bot = bot
        return []

    def set_invisible(self, member: Member, invisible: bool) -> list[Delivery]:
        with self._lock:
            member.invisible = invisible
        return []

    # --- names ---------------------------------------------------------------------------

    def rename(self, member: Member, nick: str) -> list[Delivery]:
        names.check_nick(nick, member.client_id, self._reserved)
        with self._lock:
            old = member.nick
            self._require_present(member, "so you have no name to change")
            if nick == old:
                raise errors.NameInUse(f"you are already called {nick}")
            self._check_free(member, nick)
            self._departed.record(member, self._clock())
            del self._members[names.fold(old)]
            self._drop_looks(member)
            self._members[names.fold(nick)] = member
            if names.fold(nick) != names.fold(old):
                # A name someone else may have held: what was said privately to it
                # before now is not this member's to read (history.replay.private_floor).
                member.named = self._id_at(self._clock())
            member.nick = nick
            self._take_looks(member, names.looks(nick))
            others = self._co_members(member)
        log.event(f"{member.client_id} ({old}) is now known as {nick}")
        userhost = member.userhost
        deliveries = [Delivery(NickChanged(old, nick, own=True, userhost=userhost), to(member))]
        if others.ids:
            deliveries.append(Delivery(NickChanged(old, nick, userhost=userhost), others))
        return deliveries

    def check_name(self, member: Member, nick: str, *, taken: bool = True) -> None:
        """Raise unless ``member`` could take ``nick`` now: for protocols whose clients
        name themselves before they arrive. With ``taken`` false, only the name's form
        and the reserved names are checked, not who is connected."""
        names.check_nick(nick, member.client_id, self._reserved)
        if taken:
            with self._lock:
                self._check_free(member, nick)

    # --- queries -------------------------------------------------------------------------

    def find(self, nick: str) -> Member | None:
        with self._lock:
            return self._members.get(names.fold(nick))

    def members(self) -> tuple[Member, ...]:
        with self._lock:
            return tuple(self._members.values())

    def room(self, room_name: str, *, members: bool = True) -> RoomView:
        """A snapshot of one room; :class:`~errors.NoSuchRoom` if there is none. Without
        ``members``, its member list is left empty: for a look at its settings (the topic
        shown to each arrival), which a crowd arriving in a big room would otherwise pay
        for with the whole list, once per arrival."""
        with self._lock:
            room = self._rooms.get(names.fold(room_name))
            if room is None:
                raise errors.NoSuchRoom(f"there is no room called {room_name}")
            return self._view(room, members=members)

    def needs_key(self, room_name: str) -> bool:
        """Whether entering ``room_name`` takes a key: it has one, or, if it is not
        there now, it had one when it was last kept and will again when made."""
        with self._lock:
            room = self._rooms.get(names.fold(room_name))
            if room is not None:
                return bool(room.key)
            return self._kept is not None and bool(self._kept.key(room_name))

    def room_views(self, viewer: Member) -> list[RoomView]:
        """Every room ``viewer`` may see (secret rooms only from inside), lobby first."""
        with self._lock:
            views = [
                self._view(room)
                for room in self._rooms.values()
                if visibility.can_see_room(viewer, room)
            ]
        return sorted(views, key=lambda v: (v.name != names.LOBBY, names.fold(v.name)))

    def whois(self, viewer: Member, nick: str) -> MemberView:
        """What ``viewer`` may know about ``nick`` (rooms: not secret ones they are not in)."""
        with self._lock:
            target = self._find(nick)
            rooms = tuple(
                (room.name, room.prefix(target))
                for room in (self._rooms[key] for key in target.rooms)
                if visibility.can_see_room(viewer, room)
            )
            return MemberView(
                target.nick,
                target.username,
                target.realname,
                visibility.shown_host(viewer, target),
                rooms,
                target.operator,
                target.away,
                idle_for(target),
                target.connected_at,
                target.bot,
            )

    def who(self, viewer: Member, room_name: str) -> tuple[visibility.Seen, ...]:
        """The members of a room that ``viewer`` may see listed, as they may see them;
        none if there is no such room or it is hidden from ``viewer``."""
        with self._lock:
            room = self._rooms.get(names.fold(room_name))
            if room is None:
                return ()
            return tuple(
                visibility.seen(viewer, m, room.prefix(m))
                for m in visibility.visible_members(viewer, room)
            )

    def who_all(self, viewer: Member) -> tuple[visibility.Seen, ...]:
        """Every member ``viewer`` may see listed, as they may see them."""
        with self._lock:
            return tuple(
                visibility.seen(viewer, m)
                for m in self._members.values()
                if visibility.can_see_member(viewer, m)
            )

    def whowas(self, viewer: Member, nick: str, count: int = 0) -> list[tuple[Departed, str]]:
        """The names ``nick`` left behind, most recent first (at most ``count`` if
        positive), each with the host ``viewer`` may see."""
        with self._lock:
            return [
                (entry, entry.address if viewer.operator else entry.cloak)
                for entry in self._departed.find(nick, count)
            ]

    def shown_host(self, viewer: Member, member: Member) -> str:
        """``member``'s host as ``viewer`` may see it (the real address, or the cloak)."""
        with self._lock:
            return visibility.shown_host(viewer, member)

    def cloak(self, address: str) -> str:
        """The host shown for ``address`` to those who may not see it."""
        return visibility.cloak(self._cloak_secret, address)

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
        self.check_operator_password(member, password)
        return self.make_operator(member)

    def check_operator_password(self, member: Member, password: str) -> None:
        """Raise unless ``password`` is the operator password (slowly, without the lock,
        and within the password guard's limits)."""
        if not self._oper_password_hash:
            raise errors.NoOperators("this server has no operators")
        stored = self._oper_password_hash
        # scrypt is slow on purpose: never hold the lock while it runs.
        try:
            matched = self.passwords.check(
                member.password_attempts,
                lambda: verify_password(password, stored),
                who=f"{member.client_id} ({member.nick})",
                what="operator",
            )
        except TryLater as refusal:
            raise errors.TryAgainLater(str(refusal), refusal.seconds) from None
        if not matched:
            raise errors.WrongPassword("wrong operator password")

    def make_operator(self, member: Member) -> list[Delivery]:
        """``member`` is a server operator from now on (their password was checked:
        here, or by the server they are connected to)."""
        with self._lock:
            member.operator = True
        log.event(f"{member.client_id} ({member.nick}) is now an operator")
        return [Delivery(BecameOperator(), to(member))]

    def drop_operator(self, member: Member) -> list[Delivery]:
        """``member`` gives up being a server operator; being one again takes the password.
        Anyone may do this for themself (RFC 2812 3.1.5: no restriction on deopping)."""
        with self._lock:
            if not member.operator:
                return []
            member.operator = False
        log.event(f"{member.client_id} ({member.nick}) is no longer an operator")
        return []

    def kick(self, actor: Member, nick: str, reason: str = "") -> list[Delivery]:
        self._require_operator(actor)
        with self._lock:
            target = self._find(nick)
            # Whoever shares a room with the target is told of their leaving, with the
            # reason: the actor among them needs no second line saying the same.
            told = actor.client_id in self._co_members(target).ids
        log.event(f"{actor.nick} kicked {target.client_id} ({target.nick})" + _paren(reason))
        why = f"kicked by {actor.nick}" + (f": {reason}" if reason else "")
        deliveries = [Delivery(Farewell(f"You were {why}", why), to(target))]
        if told:
            return deliveries
        return [*deliveries, Delivery(Disconnected(target.nick), to(actor))]

    def ban(self, actor: Member, target: str, minutes: float | None = None) -> list[Delivery]:
        """Ban a network (an address or ``net/bits``, or the address a user connects from,
        for IPv6 its /64) and disconnect every connection in it: operators are spared
        unless named, and so is the actor."""
        self._require_operator(actor)
        with self._lock:
            named = self._members.get(names.fold(target))
        network = network_of(named.address if named is not None else target)
        if network is None:
            raise errors.NoSuchUser(f"there is no user or address called {target}")
        until = None if minutes is None else time.time() + minutes * 60
        shown = describe(network)
        # Refuse new connections first, so none slips in between the two steps.
        self.bans.add(Ban(shown, actor.nick, named.nick if named else "", until))
        with self._lock:
            victims = [
                m
                for m in self._members.values()
                if m is not actor
                and (m is named or (not m.operator and covers(network, m.address)))
            ]
        span = "for good" if minutes is None else f"for {minutes:g} minute" + "s" * (minutes != 1)
        log.event(f"{actor.nick} banned {shown}" + _paren(named.nick if named else "") + f" {span}")
        deliveries = [Delivery(BanSet(shown, minutes), to(actor))]
        if victims:
            why = f"banned by {actor.nick}"
            deliveries.append(Delivery(Farewell(f"You were {why}", why), to(*victims)))
        return deliveries

    def unban(self, actor: Member, target: str) -> list[Delivery]:
        self._require_operator(actor)
        ban = self.bans.remove(target)
        if ban is None:
            raise errors.NoSuchUser(f"{target} is not banned")
        log.event(f"{actor.nick} lifted the ban on {ban.address}")
        return [Delivery(BanLifted(ban.address), to(actor))]

    def ban_list(self, actor: Member) -> list[Ban]:
        self._require_operator(actor)
        return self.bans.active()

    def wall(self, actor: Member, text: str) -> list[Delivery]:
        self._require_operator(actor)
        with self._lock:
            everyone = to(*self._members.values())
        log.event(f"notice from {actor.nick}: {text}")
        return [Delivery(Wall(self._clock(), actor.nick, text), everyone)]

    # --- helpers (called with the lock held) ---------------------------------------------

    def _snapshot(self, room: Room) -> RoomState | None:
        """What to keep of ``room`` after a change, taken under the lock."""
        return self._kept.snapshot(room) if self._kept is not None else None

    def _save(self, state: RoomState | None) -> None:
        """Keep a snapshot (called after the lock is released: saving queues a write)."""
        if state is not None and self._kept is not None:
            self._kept.save(state)

    def _check_ban(self, member: Member) -> None:
        """Keep out an arriving member whose address is banned. The accept thread looked
        before, but a ban set since would not have disconnected them (``ban`` takes its
        victims from the members): with the ban added before that and this check under
        the lock, a connection is either among the victims or refused here."""
        ban = self.bans.find(member.address)
        if ban is not None:
            log.event(f"Refused {member.client_id} from {member.address}: banned")
            raise errors.Banned(refusal(ban), ban)

    def _require_present(self, member: Member, consequence: str) -> None:
        # The console's member, or one already removed, is not in the hub's table.
        if self._members.get(names.fold(member.nick)) is not member:
            raise errors.NoSuchUser(f"you are not in the chat, {consequence}")

    def _identify(self, member: Member) -> None:
        """Fix the host others see and the ``user@host`` of ``member``'s messages."""
        member.cloak = self.cloak(member.address)
        member.userhost = f"{member.username}@{member.cloak}"

    def _check_free(self, member: Member, nick: str) -> None:
        """Raise unless nobody but ``member`` has ``nick`` or a name that looks like it."""
        holder = self._members.get(names.fold(nick))
        if holder is not None and holder is not member:
            raise errors.NameInUse(f"the name {nick} is taken")
        for look in names.looks(nick):
            holder = self._looks.get(look)
            if holder is not None and holder is not member:
                raise errors.NameInUse(f"the name {nick} looks like {holder.nick}, who is here")

    def _take_looks(self, member: Member, its_looks: Iterable[str]) -> None:
        for look in its_looks:
            # A generated name may look like a chosen one (names are checked against
            # those connected, not those yet to come): the first keeps the look.
            self._looks.setdefault(look, member)

    def _drop_looks(self, member: Member) -> None:
        for look in names.looks(member.nick):
            if self._looks.get(look) is member:
                del self._looks[look]

    def _find(self, nick: str) -> Member:
        target = self._members.get(names.fold(nick))
        if target is None:
            raise errors.NoSuchUser(f"there is no user called {nick}")
        return target

    def _room_of(self, member: Member, room_name: str) -> Room:
        key = names.fold(room_name)
        if key not in member.rooms:
            if key not in self._rooms:
                raise errors.NoSuchRoom(f"there is no room called {room_name}")
            raise errors.NotInRoom(f"you are not in {room_name}")
        return self._rooms[key]

    def _room_to_speak_in(self, member: Member, key: str, room_name: str) -> Room:
        """The room ``member`` may send a message to, or the error why not."""
        room = self._rooms.get(key)
        if room is None or (key not in member.rooms and "n" in room.flags):
            raise errors.NotInRoom(f"you are not in {room_name}")
        privileged = member in room.operators or member in room.voiced or member.operator
        if "m" in room.flags and not privileged:
            raise errors.CannotSend(f"{room.name} is moderated: only voiced users speak")
        if not privileged and room.banned(member):
            raise errors.CannotSend(f"you are banned from {room.name}")
        return room

    def _status_audience(self, room: Room, status: str) -> ToMembers:
        """The room's operators (``@``), or its voiced users and operators (``+``)."""
        return ToMembers(
            tuple(
                each.client_id
                for each in room.snapshot
                if self._is_room_operator(each, room) or (status == "+" and each in room.voiced)
            )
        )

    def _member_in(self, room: Room, nick: str) -> Member:
        target = self._find(nick)
        if target not in room:
            raise errors.TargetNotInRoom(f"{target.nick} is not in {room.name}")
        return target

    def _view(self, room: Room, *, members: bool = True) -> RoomView:
        return RoomView(
            room.name,
            room.topic,
            room.topic_by,
            room.topic_at,
            room.created_at,
            frozenset(room.flags),
            room.key,
            room.limit,
            tuple((mask, by, at) for mask, (by, at) in room.bans.items()),
            tuple((m, room.prefix(m)) for m in room.snapshot) if members else (),
        )

    @staticmethod
    def _is_room_operator(member: Member, room: Room) -> bool:
        return member.operator or member in room.operators

    @staticmethod
    def _check_admission(
        member: Member, room: Room, password: str, *, reopening: bool = False
    ) -> None:
        """Raise unless ``member`` may enter ``room`` (``reopening``: a kept room made
        again, with nobody in it).

        An invitation lets them past ``+i``, ``+b`` and ``+l`` but never past a key: the
        key is a secret the room shares on purpose, and anyone in the room may invite.
        Into an empty invite-only room nobody can invite, so a server operator enters it."""
        if room.key and password != room.key:
            raise errors.WrongRoomKey(f"{room.name} needs the right key")
        if member in room.invited:
            return
        if room.banned(member):
            raise errors.BannedFromRoom(f"you are banned from {room.name}")
        if "i" in room.flags and not (reopening and member.operator):
            raise errors.InviteOnly(f"{room.name} is invite-only")
        if room.limit and len(room) >= room.limit:
            raise errors.RoomFull(f"{room.name} is full")

    def _apply_mode(
        self, actor: Member, room: Room, change: modes.ModeChange, target: Member | None
    ) -> tuple[str, str] | None:
        """Change one setting; the change as applied, or ``None`` if nothing changed."""
        if change.letter in modes.FLAGS:
            return set_flag(room, change)
        if change.letter == "k":
            return set_key(room, change)
        if change.letter == "l":
            return set_limit(room, change)
        if change.letter == "b":
            return set_ban(room, change, actor.nick, self._clock())
        assert target is not None  # privileges always name a member
        group = room.operators if change.letter == "o" else room.voiced
        if change.on == (target in group):
            return None
        (group.add if change.on else group.discard)(target)
        return change.sign_letter, target.nick

    def _co_members(self, member: Member) -> ToMembers:
        """Everyone told of ``member``'s quit or rename: who shares a room with them
        that is not too large to announce it, each once."""
        seen: dict[str, None] = {}
        for key in member.rooms:
            room = self._rooms[key]
            if not self._quiet(room):
                seen.update(dict.fromkeys(room.audience.members))
        seen.pop(member.client_id, None)
        return ToMembers(tuple(seen))

    def _quiet(self, room: Room) -> bool:
        """Whether comings and goings in ``room`` go unannounced: it is too large."""
        return bool(self._quiet_room_size) and len(room) > self._quiet_room_size

    def _announce(self, event: Event, room: Room, member: Member) -> list[Delivery]:
        if len(room) < 2 or self._quiet(room):  # nobody to tell, or too many
            return []
        return [Delivery(event, room.audience, member.client_id)]

    def _leave_room(self, member: Member, key: str) -> None:
        room = self._rooms[key]
        room.discard(member)
        del member.rooms[key]
        member.entered.pop(key, None)
        if not len(room) and room.name != names.LOBBY:
            del self._rooms[key]
            for invitee in room.invited:
                invitee.invitations.discard(room)
            room.invited.clear()

    @staticmethod
    def _require_operator(actor: Member) -> None:
        if not actor.operator:
            raise errors.NotOperator("only operators can do that")


def _ignore(message: RoomMessage | PrivateMessage) -> None:
    """The recorder of a hub that keeps no history."""


def _check_room_for_bans(room: Room, changes: list[modes.ModeChange]) -> None:
    """Raise, before any change is made, if the masks ``changes`` add would not all fit."""
    kept = {names.fold(mask) for mask in room.bans}
    added = {names.fold(c.argument) for c in changes if c.on and c.letter == "b"} - kept
    if added and len(kept) + len(added) > modes.MAX_BANS:
        raise errors.BanListFull(
            f"the ban list of {room.name} is full ({modes.MAX_BANS} masks): remove one first"
        )


def _paren(text: str) -> str:
    return f" ({text})" if text else ""
