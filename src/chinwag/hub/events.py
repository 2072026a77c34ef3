"""What the hub tells users: frozen, validated event values, and who receives them.

Events carry facts (names, texts, times), never formatting (``userhost``, the actor's
``user@host`` for protocols that show it, is left out of comparisons: it describes the
actor, not what happened): each front end renders them
in its own protocol. A text field can never hold a line break, so a rendered event is
always exactly one line of its protocol, nor any other control character, escape or
bidirectional override (:mod:`chinwag.hub.cleaning`): front ends clean what users send
where it enters, and an event refuses text that was not, so a field added later cannot
forget it.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from chinwag.hub.cleaning import is_clean

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chinwag.hub.hub import Member


STATUS_PREFIXES = ("", "@", "+")  # who a room message is for: everyone, operators, voiced

ClientTags = tuple[tuple[str, str], ...]
"""Tags a client attached to a message for the other clients (IRCv3's client-only tags,
``+typing=active``): ``(name, value)`` pairs, each name starting with ``+``, relayed as
they came to the protocols that can carry them and ignored by the rest."""
_TAG_NAME_FORBIDDEN = frozenset(" ;=\0")


def _single_line(*values: str) -> None:
    for value in values:
        if "\n" in value or "\r" in value:
            raise ValueError(f"event text must be a single line: {value!r}")


def _clean(*values: str) -> None:
    """Refuse text that could drive a terminal: line breaks, other controls, escapes."""
    for value in values:
        # isprintable() inline: on the path of every message, a call per field shows.
        if not value.isprintable() and not is_clean(value):
            _single_line(value)  # the more specific complaint first
            raise ValueError(f"event text must be cleaned where it enters: {value!r}")


def _client_tags(tags: ClientTags) -> None:
    for name, value in tags:
        if len(name) < 2 or name[0] != "+" or not _TAG_NAME_FORBIDDEN.isdisjoint(name):
            raise ValueError(f"not a client tag name: {name!r}")
        _clean(name, value)


def _non_empty(*values: str) -> None:
    for value in values:
        if not value:
            raise ValueError("event names and texts must not be empty")


_Event = TypeVar("_Event")


def _quick_init(cls: type[_Event]) -> type[_Event]:
    """Give the frozen, slotted dataclass ``cls`` an ``__init__`` that sets each field
    through its slot's descriptor, then calls ``__post_init__``.

    A frozen dataclass's own ``__init__`` sets each field with ``object.__setattr__``, a
    lookup and a call per field: for the message events, one made for every line said,
    that was most of what making one cost. The class stays frozen (``__setattr__`` still
    refuses), and the signature is the dataclass's, built the way :mod:`dataclasses`
    builds its own: as source text.
    """
    names: dict[str, object] = {}
    parameters, body = [], []
    for spec in fields(cls):  # type: ignore[arg-type]  # a dataclass, checked by fields()
        if spec.default_factory is not MISSING:
            raise TypeError("_quick_init takes fields with plain defaults only")
        names[f"_set_{spec.name}"] = getattr(cls, spec.name).__set__
        if spec.default is MISSING:
            parameters.append(spec.name)
        else:
            names[f"_default_{spec.name}"] = spec.default
            parameters.append(f"{spec.name}=_default_{spec.name}")
        body.append(f"    _set_{spec.name}(self, {spec.name})\n")
    source = f"def __init__(self, {', '.join(parameters)}):\n{''.join(body)}"
    exec(source + "    self.__post_init__()\n", names)  # noqa: S102 - made from fields only
    init = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    setattr(cls, "__init__", init)  # noqa: B010 - mypy refuses assigning a method
    return cls


@_quick_init
@dataclass(frozen=True, slots=True)
class RoomMessage:
    """``sender`` said ``text`` in ``room``; ``action`` for ``/me``."""

    time: datetime
    sender: str
    room: str
    text: str
    action: bool = False
    notice: bool = False  # a notice, which clients must never answer automatically
    userhost: str = field(
        default="", compare=False
    )  # the sender's ``user@host``, for protocols that show it
    # The message's id (:mod:`chinwag.history.ids`, as a number; 0: none), given by the
    # hub that made it: history keeps it, and clients that ask see it.
    msgid: int = field(default=0, compare=False)
    status: str = ""  # "@": to the room's operators only; "+": to its voiced users too
    tags: ClientTags = ()  # the sender's client-only tags, for protocols that carry them
    bot: bool = field(default=False, compare=False)  # the sender marked itself a bot

    def __post_init__(self) -> None:
        # _non_empty() and _clean() inline: this runs for every line said in a room.
        sender, room, text = self.sender, self.room, self.text
        if not (sender and room and text):
            _non_empty(sender, room, text)
        if not (sender.isprintable() and room.isprintable() and text.isprintable()):
            _clean(sender, room, text)
        if self.status and self.status not in STATUS_PREFIXES:
            raise ValueError(f"not a status prefix: {self.status!r}")
        if self.tags:
            _client_tags(self.tags)


@_quick_init
@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """``sender`` said ``text`` to ``recipient`` alone."""

    time: datetime
    sender: str
    recipient: str
    text: str
    notice: bool = False
    userhost: str = field(default="", compare=False)
    msgid: int = field(default=0, compare=False)  # as for a room message
    tags: ClientTags = ()  # as for a room message
    bot: bool = field(default=False, compare=False)  # as for a room message

    def __post_init__(self) -> None:
        _non_empty(self.sender, self.recipient, self.text)
        _clean(self.sender, self.recipient, self.text)
        if self.tags:
            _client_tags(self.tags)


@dataclass(frozen=True, slots=True)
class TagMessage:
    """``sender`` sent ``tags`` and no text (IRC's ``TAGMSG``: typing notifications,
    reactions) to ``room`` (with ``status`` as for a room message) or to ``recipient``.

    A quiet event: only protocols that carry client tags render it; it is not history.
    """

    time: datetime
    sender: str
    tags: ClientTags
    room: str = ""
    recipient: str = ""
    userhost: str = field(default="", compare=False)
    msgid: int = field(default=0, compare=False)
    status: str = ""
    bot: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.sender)
        if bool(self.room) == bool(self.recipient):
            raise ValueError("a tag message goes to a room or to a member, not both")
        _clean(self.sender, self.room, self.recipient)
        if not self.tags:
            raise ValueError("a tag message needs tags")
        _client_tags(self.tags)
        if self.status not in STATUS_PREFIXES or (self.status and not self.room):
            raise ValueError(f"not a status prefix for this target: {self.status!r}")


@dataclass(frozen=True, slots=True)
class HistoryReplay:
    """Messages from history for one user, oldest first, each with its original time
    and author: the last of a room on joining it, or more when asked. ``where`` is the
    room, or the other side of a private conversation; ``now`` is when they were looked
    up, so that front ends can tell which are from another day."""

    where: str
    messages: tuple[RoomMessage | PrivateMessage, ...]
    now: datetime

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("a replay needs at least one message")
        _non_empty(self.where)
        _clean(self.where)


@dataclass(frozen=True, slots=True)
class Joined:
    """``nick`` entered ``room``; ``connected`` when that is their arrival on the server."""

    nick: str
    room: str
    connected: bool = False
    userhost: str = field(default="", compare=False)
    realname: str = field(default="", compare=False)  # for protocols that show it on joining
    away: str = field(default="", compare=False)  # likewise: the joiner's away message

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.room)
        _clean(self.nick, self.room, self.realname, self.away)


@dataclass(frozen=True, slots=True)
class Parted:
    """``nick`` left ``room`` but is still connected."""

    nick: str
    room: str
    reason: str = ""
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.room)
        _clean(self.nick, self.room, self.reason)


@dataclass(frozen=True, slots=True)
class Quit:
    """``nick`` left the server."""

    nick: str
    reason: str = ""
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.nick)
        _clean(self.nick, self.reason)


@dataclass(frozen=True, slots=True)
class NickChanged:
    """``old`` is now called ``new``; ``own`` in the copy sent to that user."""

    old: str
    new: str
    own: bool = False
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.old, self.new)
        _clean(self.old, self.new)


@dataclass(frozen=True, slots=True)
class Wall:
    """A notice from an operator (or the server console) to everybody."""

    time: datetime
    sender: str
    text: str

    def __post_init__(self) -> None:
        _non_empty(self.sender, self.text)
        _clean(self.sender, self.text)


@dataclass(frozen=True, slots=True)
class Info:
    """Information for one user, in reply to what they did: one line each."""

    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an info event needs at least one line")
        _non_empty(*self.lines)
        _clean(*self.lines)


@dataclass(frozen=True, slots=True)
class Problem:
    """An error for one user: what they asked for could not be done."""

    text: str

    def __post_init__(self) -> None:
        _non_empty(self.text)
        _clean(self.text)


@dataclass(frozen=True, slots=True)
class Farewell:
    """The last line a connection gets; the connection is closed after it."""

    text: str
    reason: str

    def __post_init__(self) -> None:
        _non_empty(self.text)
        _clean(self.text, self.reason)


@dataclass(frozen=True, slots=True)
class Kicked:
    """``actor`` put ``nick`` out of ``room`` (who stays connected)."""

    actor: str
    room: str
    nick: str
    reason: str = ""
    userhost: str = field(default="", compare=False)  # the actor's

    def __post_init__(self) -> None:
        _non_empty(self.actor, self.room, self.nick)
        _clean(self.actor, self.room, self.nick, self.reason)


@dataclass(frozen=True, slots=True)
class TopicChanged:
    """``nick`` set the topic of ``room`` (empty: cleared)."""

    nick: str
    room: str
    topic: str
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.room)
        _clean(self.nick, self.room, self.topic)


@dataclass(frozen=True, slots=True)
class ModesChanged:
    """``nick`` changed the modes of ``room``: ``changes`` as ``("+k", "secret")`` pairs.

    Mode letters are the hub's short names for room settings (see
    :mod:`chinwag.hub.modes`); the argument is empty for modes that take none.
    """

    nick: str
    room: str
    changes: tuple[tuple[str, str], ...]
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.room)
        if not self.changes:
            raise ValueError("a mode change must change something")
        for sign_letter, argument in self.changes:
            if len(sign_letter) != 2 or sign_letter[0] not in "+-":
                raise ValueError(f"not a mode change: {sign_letter!r}")
            _clean(argument)
            if " " in argument:
                raise ValueError(f"a mode argument has no spaces: {argument!r}")
        _clean(self.nick, self.room)


@dataclass(frozen=True, slots=True)
class Invited:
    """``nick`` invited ``target`` into ``room``; sent to the target, and as ``notice``
    to the room's operators (a copy only protocols that offer to show it render)."""

    nick: str
    target: str
    room: str
    userhost: str = field(default="", compare=False)
    notice: bool = False

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.target, self.room)
        _clean(self.nick, self.target, self.room)


@dataclass(frozen=True, slots=True)
class AwayChanged:
    """``nick`` is now away with ``message``, or back (empty); sent to who shares a room.

    A quiet event: it changes nothing a reader needs to see, so only protocols whose
    clients ask for it (IRC's ``away-notify``) render it.
    """

    nick: str
    message: str = ""
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.nick)
        _clean(self.nick, self.message)


@dataclass(frozen=True, slots=True)
class RealnameChanged:
    """``nick`` now calls themselves ``realname``; sent to them and who shares a room.

    A quiet event, like :class:`AwayChanged` (IRC's ``setname``).
    """

    nick: str
    realname: str
    userhost: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.realname)
        _clean(self.nick, self.realname)


@dataclass(frozen=True, slots=True)
class BecameOperator:
    """The member who gave the operator password is now a server operator."""


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The operator's kick took effect: ``nick`` was disconnected."""

    nick: str

    def __post_init__(self) -> None:
        _non_empty(self.nick)
        _clean(self.nick)


@dataclass(frozen=True, slots=True)
class BanSet:
    """The operator's ban took effect: ``address`` (an address or a network, as shown)
    is banned for ``minutes``, or for good (``None``)."""

    address: str
    minutes: float | None = None

    def __post_init__(self) -> None:
        _non_empty(self.address)
        _clean(self.address)


@dataclass(frozen=True, slots=True)
class BanLifted:
    """The operator lifted the ban on ``address``."""

    address: str

    def __post_init__(self) -> None:
        _non_empty(self.address)
        _clean(self.address)


@dataclass(frozen=True, slots=True)
class Reply:
    """Lines a session rendered itself, in its own protocol, for its own client.

    Protocols whose replies have a shape the hub knows nothing about (IRC numerics) use
    this; the hub never makes one. Only line breaks are refused: a reply goes to the one
    client it answers and may echo what that client sent, as IRC servers do; what other
    users said reaches it from the hub's records, which hold cleaned text only.
    """

    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        _non_empty(*self.lines)
        _single_line(*self.lines)


@dataclass(frozen=True, slots=True)
class Negotiation:
    """Bytes of a session's own line control for its own client (telnet's answers),
    sent as they are and never shown as text; the hub never makes one."""

    data: bytes

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("a negotiation must send something")


Event = (
    RoomMessage
    | PrivateMessage
    | TagMessage
    | HistoryReplay
    | Joined
    | Parted
    | Quit
    | NickChanged
    | Wall
    | Info
    | Problem
    | Farewell
    | Kicked
    | TopicChanged
    | ModesChanged
    | Invited
    | AwayChanged
    | RealnameChanged
    | BecameOperator
    | Disconnected
    | BanSet
    | BanLifted
    | Reply
    | Negotiation
)


class ToRoom(NamedTuple):
    """Everyone in the room ``key`` (folded) as it was at membership ``version``.

    Made once per membership change and shared by every delivery until the next, so it
    costs a message nothing. ``version`` is unique across all rooms and all time for one
    hub: two audiences are the same exactly when their key and version are. ``members``
    are the member ids at that version, whichever server each is connected to; each
    server's router resolves them to its own endpoints once per version.
    """

    key: str
    version: int
    members: tuple[str, ...]


class ToMembers(NamedTuple):
    """The members ``ids`` (member ids, not nicknames), each once."""

    ids: tuple[str, ...]


Audience = ToRoom | ToMembers


class Delivery(NamedTuple):
    """``event`` goes to everyone in ``audience`` except the member ``exclude`` (an id).

    Audiences name members by id, never by object, so a hub whose members live on other
    servers can address them too; leaving the sender out through ``exclude`` lets every
    message to a room share the room's audience. A named tuple rather than a dataclass:
    one is made for every message, and a tuple is made in a third of the time.
    """

    event: Event
    audience: Audience
    exclude: str | None = None


def to(*members: Member) -> ToMembers:
    """The audience of exactly ``members``."""
    return ToMembers(tuple(member.client_id for member in members))


def reach_others(deliveries: Iterable[Delivery], member: Member) -> bool:
    """Whether any of ``deliveries`` goes to someone other than ``member`` (a session
    holding such deliveries lets a hub deliver none of its later messages by itself:
    see :mod:`chinwag.hub.contract`)."""
    own = (member.client_id,)
    return any(not isinstance(d.audience, ToMembers) or d.audience.ids != own for d in deliveries)


def info(member: Member, *lines: str) -> Delivery:
    """A delivery of information lines to one member."""
    return Delivery(Info(lines), ToMembers((member.client_id,)))
