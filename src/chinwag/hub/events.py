"""What the hub tells users: frozen, validated event values, and who receives them.

Events carry facts (names, texts, times), never formatting: each front end renders them
in its own protocol. A text field can never hold a line break, so a rendered event is
always exactly one line of its protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chinwag.hub.hub import Member


def _single_line(*values: str) -> None:
    for value in values:
        if "\n" in value or "\r" in value:
            raise ValueError(f"event text must be a single line: {value!r}")


def _non_empty(*values: str) -> None:
    for value in values:
        if not value:
            raise ValueError("event names and texts must not be empty")


@dataclass(frozen=True, slots=True)
class RoomMessage:
    """``sender`` said ``text`` in ``room``; ``action`` for ``/me``."""

    time: datetime
    sender: str
    room: str
    text: str
    action: bool = False

    def __post_init__(self) -> None:
        _non_empty(self.sender, self.room, self.text)
        _single_line(self.sender, self.room, self.text)


@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """``sender`` said ``text`` to ``recipient`` alone."""

    time: datetime
    sender: str
    recipient: str
    text: str

    def __post_init__(self) -> None:
        _non_empty(self.sender, self.recipient, self.text)
        _single_line(self.sender, self.recipient, self.text)


@dataclass(frozen=True, slots=True)
class Joined:
    """``nick`` entered ``room``; ``connected`` when that is their arrival on the server."""

    nick: str
    room: str
    connected: bool = False

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.room)
        _single_line(self.nick, self.room)


@dataclass(frozen=True, slots=True)
class Parted:
    """``nick`` left ``room`` but is still connected."""

    nick: str
    room: str
    reason: str = ""

    def __post_init__(self) -> None:
        _non_empty(self.nick, self.room)
        _single_line(self.nick, self.room, self.reason)


@dataclass(frozen=True, slots=True)
class Quit:
    """``nick`` left the server."""

    nick: str
    reason: str = ""

    def __post_init__(self) -> None:
        _non_empty(self.nick)
        _single_line(self.nick, self.reason)


@dataclass(frozen=True, slots=True)
class NickChanged:
    """``old`` is now called ``new``; ``own`` in the copy sent to that user."""

    old: str
    new: str
    own: bool = False

    def __post_init__(self) -> None:
        _non_empty(self.old, self.new)
        _single_line(self.old, self.new)


@dataclass(frozen=True, slots=True)
class Wall:
    """A notice from an operator (or the server console) to everybody."""

    time: datetime
    sender: str
    text: str

    def __post_init__(self) -> None:
        _non_empty(self.sender, self.text)
        _single_line(self.sender, self.text)


@dataclass(frozen=True, slots=True)
class Info:
    """Information for one user, in reply to what they did: one line each."""

    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an info event needs at least one line")
        _non_empty(*self.lines)
        _single_line(*self.lines)


@dataclass(frozen=True, slots=True)
class Problem:
    """An error for one user: what they asked for could not be done."""

    text: str

    def __post_init__(self) -> None:
        _non_empty(self.text)
        _single_line(self.text)


@dataclass(frozen=True, slots=True)
class Farewell:
    """The last line a connection gets; the connection is closed after it."""

    text: str
    reason: str

    def __post_init__(self) -> None:
        _non_empty(self.text)
        _single_line(self.text, self.reason)


Event = (
    RoomMessage
    | PrivateMessage
    | Joined
    | Parted
    | Quit
    | NickChanged
    | Wall
    | Info
    | Problem
    | Farewell
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """``event`` goes to every member of ``recipients`` except ``exclude``.

    ``recipients`` may be a room's shared snapshot: leaving the sender out through
    ``exclude`` spares building a new sequence for every message.
    """

    event: Event
    recipients: Sequence[Member]
    exclude: Member | None = field(default=None)


def info(member: Member, *lines: str) -> Delivery:
    """A delivery of information lines to one member."""
    return Delivery(Info(lines), (member,))
