"""The chat's commands, once for every front end: what a user asked, done, and what came of it.

Theory of operation: a front end (the text protocol, IRC, the console; a web one next)
parses what its client sent into the arguments of an action here, calls it, and renders
what it returns; it decides nothing about the chat itself. An action checks what the
hub does not (a mode string read into changes, a ban that would shut its operator out),
calls the hub, and returns plain values: the hub's deliveries for whoever must hear of
it, and the snapshots (:class:`~chinwag.hub.model.RoomView`, :class:`Away`) the actor's
answer is made of, so no front end looks anything up again after acting. Refusals are
:class:`~chinwag.hub.errors.ChatError` values that carry data (which mode letter, which
room), never prose a front end must parse; each front end words them its own way (an
error line, a numeric).

What a refusal means is decided here once: a message to a room that is not there is
:class:`~chinwag.hub.errors.NoSuchRoom`, one to a room the sender may not speak in is
:class:`~chinwag.hub.errors.NotInRoom`; a secret room seen from outside is
:class:`~chinwag.hub.errors.SecretRoom`. Such checks run only once the hub has refused,
so an action that succeeds costs what the hub call costs.

A command that is exactly one hub call with nothing to check or answer (``rename``,
``set_topic``, ``set_away``, ``kick``, ``wall``...) is called on the hub directly: the
hub contract (:mod:`chinwag.hub.contract`) is this layer's lower half, and a wrapper that
only passes its arguments on would be a second name for the same thing. A plain line of
chat is such a call too, and the hottest path of the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from chinwag.history.store import HistoryUnavailable
from chinwag.hub import errors, modes, names
from chinwag.hub.bans import covers, network_of
from chinwag.hub.contract import ChatHub
from chinwag.hub.events import ClientTags, Delivery, Invited, Problem, to
from chinwag.hub.model import Member, MemberView, RoomView

HISTORY_UNAVAILABLE = "history is unavailable right now"


# --- rooms ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entered:
    """What joining a room did: ``deliveries`` for those already there; ``name``, the
    room as the hub spells it; ``view``, the room as the joiner found it (``None`` if it
    was gone again by the time it was looked at); ``replay``, its last messages for the
    joiner alone (or a problem saying history is unavailable)."""

    deliveries: list[Delivery]
    name: str
    view: RoomView | None
    replay: list[Delivery]


def join(hub: ChatHub, member: Member, room: str, key: str = "", *, replay: bool = True) -> Entered:
    """``member`` enters ``room`` (made if new); with ``replay``, its history follows."""
    deliveries = hub.join(member, room, key)
    name = member.rooms.get(names.fold(room), room)
    view = view_or_none(hub, name)
    return Entered(deliveries, name, view, joined_replay(hub, member, name) if replay else [])


def joined_replay(hub: ChatHub, member: Member, room: str) -> list[Delivery]:
    """The last messages of ``room``, which ``member`` just entered, for them alone: those
    accepted before they entered (the later ones reach them live)."""
    replayer = hub.history
    if replayer is None:
        return []
    try:
        replay = replayer.joined(room, member.entered.get(names.fold(room)))
    except HistoryUnavailable:
        return [Delivery(Problem(HISTORY_UNAVAILABLE), to(member))]
    return [Delivery(replay, to(member))] if replay is not None else []


@dataclass(frozen=True, slots=True)
class Left:
    """What leaving a room did: ``deliveries`` for those still there; ``name``, the room
    as the hub spells it."""

    deliveries: list[Delivery]
    name: str


def part(hub: ChatHub, member: Member, room: str, reason: str = "") -> Left:
    """``member`` leaves ``room``; :class:`~errors.NoSuchRoom` if there is none."""
    name = member.rooms.get(names.fold(room), room)
    try:
        deliveries = hub.part(member, room, reason)
    except errors.NotInRoom:
        _require_room(hub, room)
        raise
    return Left(deliveries, name)


def view_or_none(hub: ChatHub, room: str, *, members: bool = True) -> RoomView | None:
    """A snapshot of ``room`` (without its member list unless ``members``), or ``None`` if
    there is no such room."""
    try:
        return hub.room(room, members=members)
    except errors.ChatError:
        return None


def inside(view: RoomView, member: Member) -> bool:
    """Whether ``member`` was in the room when ``view`` was taken."""
    return any(each is member for each, _ in view.members)


def visible_room(hub: ChatHub, viewer: Member, room: str) -> RoomView:
    """A snapshot of ``room`` for ``viewer`` to read (its topic, its modes):
    :class:`~errors.SecretRoom` if it is secret and they are neither in it nor a server
    operator, :class:`~errors.NoSuchRoom` if there is none."""
    view = hub.room(room)
    if view.secret and not viewer.operator and not inside(view, viewer):
        raise errors.SecretRoom(f"there is no room called {room}", view.name)
    return view


def _require_room(hub: ChatHub, room: str) -> None:
    if view_or_none(hub, room, members=False) is None:
        raise errors.NoSuchRoom(f"there is no room called {room}") from None


# --- messages ------------------------------------------------------------------------------


def say(
    hub: ChatHub,
    member: Member,
    room: str,
    text: str,
    *,
    status: str = "",
    action: bool = False,
    notice: bool = False,
    tags: ClientTags = (),
    reply: bool = True,
) -> list[Delivery]:
    """A message to ``room`` (to its operators with ``status`` ``@``, its voiced users
    too with ``+``); a refused one says whether the room is there at all. ``reply``: as
    for the hub's (:mod:`chinwag.hub.contract`)."""
    try:
        if status:
            return hub.say_to_status(
                member, room, text, status, action=action, notice=notice, tags=tags, reply=reply
            )
        return hub.say(member, room, text, action=action, notice=notice, tags=tags, reply=reply)
    except errors.NotInRoom:
        _require_room(hub, room)
        raise


def tag_room(
    hub: ChatHub, member: Member, room: str, tags: ClientTags, status: str = ""
) -> list[Delivery]:
    """Tags without text to ``room``, refused as :func:`say` is."""
    try:
        return hub.tag_room(member, room, tags, status)
    except errors.NotInRoom:
        _require_room(hub, room)
        raise


@dataclass(frozen=True, slots=True)
class Invitation:
    """What an invitation did: ``deliveries`` for the invitee (and the room's other
    operators); ``nick``, the invitee as the hub spells them."""

    deliveries: list[Delivery]
    nick: str


def invite(hub: ChatHub, actor: Member, nick: str, room: str) -> Invitation:
    """``actor`` invites ``nick`` into ``room`` (past its ``+i``, ``+l`` and ``+b``)."""
    deliveries = hub.invite(actor, nick, room)
    event = deliveries[0].event if deliveries else None
    return Invitation(deliveries, event.target if isinstance(event, Invited) else nick)


class Away(NamedTuple):
    """A member who is away: their name as the hub spells it, and their message."""

    nick: str
    message: str


def away(hub: ChatHub, nick: str) -> Away | None:
    """Whether the user called ``nick`` is away, and with what message: what the sender
    of a private message (or an invitation) is told. ``None`` if they are not (or gone)."""
    member = hub.find(nick)
    if member is None or not member.away:
        return None
    return Away(member.nick, member.away)


def look_up(hub: ChatHub, viewer: Member, nick: str) -> MemberView | None:
    """What ``viewer`` may know about the user called ``nick`` (a snapshot), or ``None``
    if nobody is called that."""
    try:
        return hub.whois(viewer, nick)
    except errors.NoSuchUser:
        return None


# --- room settings ---------------------------------------------------------------------------


class ListAsked(NamedTuple):
    """A list mode given without an argument (``+b``): its entries are asked for."""

    letter: str


ModeItem = modes.ModeChange | ListAsked | errors.ChatError
"""One letter of a mode string, read: a valid change, a list asked for, or what is
wrong with it (:class:`~errors.UnknownMode`, :class:`~errors.MissingModeArgument`,
:class:`~errors.InvalidModeArgument`)."""


def read_modes(letters: str, arguments: Iterable[str]) -> list[ModeItem]:
    """``+kl-v`` and ``["key", "10", "bob"]`` read into one item per letter, in order.

    The arguments must be cleaned already. Each front end decides what to do with the
    items that are not changes: refuse the whole line at the first (text), or answer
    each and apply the rest (IRC)."""
    items: list[ModeItem] = []
    for word in modes.split(letters, arguments):
        items.append(_read_mode(word))
    return items


def _read_mode(word: modes.ModeWord) -> ModeItem:
    if not modes.known(word.letter):
        return errors.UnknownMode(f"there is no room mode {word.letter!r}", word.letter)
    if word.argument is None:  # none was left for it
        if word.letter in modes.LISTS:
            return ListAsked(word.letter)
        return errors.MissingModeArgument(f"mode {word.letter} needs an argument", word.letter)
    if not word.argument and modes.takes_argument(word.letter, word.on):
        # Given, but empty (or nothing but characters cleaning took out).
        return errors.InvalidModeArgument("The argument is empty", word.letter, "*")
    try:
        return modes.ModeChange(word.on, word.letter, word.argument)
    except errors.ChatError as error:
        return error


def modes_shown(view: RoomView) -> str:
    """The flags and settings of a room as one word (``+nstkl``), with no arguments."""
    settings = ("k" if view.key else "") + ("l" if view.limit else "")
    return "+" + "".join(sorted(view.flags)) + settings


# --- server operators -------------------------------------------------------------------------


def ban(
    hub: ChatHub,
    actor: Member,
    target: str,
    minutes: float | None = None,
    *,
    force: bool = False,
) -> list[Delivery]:
    """Ban ``target`` (a user's address, an address or a network) for ``minutes`` or
    for good. Unless ``force``, a ban that would cover the operator's own address is
    refused (:class:`~errors.WouldBanYourself`): it spares their connection but not
    their next one."""
    if not force:
        _refuse_banning_yourself(hub, actor, target)
    return hub.ban(actor, target, minutes)


def _refuse_banning_yourself(hub: ChatHub, actor: Member, target: str) -> None:
    named = hub.find(target)
    network = network_of(named.address if named is not None else target)
    if network is None or not covers(network, actor.address):
        return
    other = named.nick if named is not None and named is not actor else ""
    raise errors.WouldBanYourself(
        f"the ban on {target} would shut you out too", target, other, actor.address
    )
