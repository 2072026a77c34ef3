"""Rendering hub events as IRC lines, once per formatter for all who share it.

Every line about a user comes from ``nick!user@host`` (the events carry ``user@host``),
so IRC clients track joins, parts, quits and nick changes the usual way. Room ``lobby``
is channel ``#lobby``. Text too long for one 512-byte line is split over several
messages at spaces, as a client would split it; a reason or topic too long for one line
is cut short, and mode changes go out at most ``MODES`` with arguments to a line, so
every line is one valid line of at most 512 bytes. Events addressed to one client with
no IRC shape of their own (information, errors) become server notices.

One :class:`IrcFormatter` per distinct need: clients that asked for the ``server-time``
capability share one that tags each line with its time, all others share a plain one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from chinwag.hub.events import (
    Event,
    Farewell,
    Info,
    Invited,
    Joined,
    Kicked,
    ModesChanged,
    Negotiation,
    NickChanged,
    Parted,
    PrivateMessage,
    Problem,
    Quit,
    Reply,
    RoomMessage,
    TopicChanged,
    Wall,
)
from chinwag.irc.casemap import to_channel
from chinwag.irc.limits import MODES, TOPICLEN
from chinwag.irc.message import MAX_LINE_BYTES, Message, fit_message, fit_text, truncate_bytes

CTCP = "\x01"


def server_time(moment: datetime) -> str:
    """The ``server-time`` tag value: UTC, millisecond precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def source(nick: str, userhost: str) -> str:
    return f"{nick}!{userhost}" if userhost else nick


def mode_arguments(changes: Iterable[tuple[str, str]]) -> list[str]:
    """``[("+k", "x"), ("+l", "5"), ("-o", "bob")]`` as ``["+kl-o", "x", "5", "bob"]``."""
    letters = ""
    sign = ""
    arguments: list[str] = []
    for sign_letter, argument in changes:
        if sign_letter[0] != sign:
            sign = sign_letter[0]
            letters += sign
        letters += sign_letter[1]
        if argument:
            arguments.append(argument)
    return [letters, *arguments]


def _cut_to_size(render: Callable[[Any], list[Message]]) -> Callable[[Any], list[Message]]:
    def cut(event: Any) -> list[Message]:
        return [fit_message(message) for message in render(event)]

    return cut


class IrcFormatter:
    """Encodes hub events for IRC connections (see the module docstring)."""

    def __init__(self, server_name: str, *, tag_time: bool = False) -> None:
        self.server_name = server_name
        self.tag_time = tag_time
        # Messages are split to size as they are rendered; everything else is cut to size.
        fitted: dict[type[Any], Callable[[Any], list[Message]]] = {
            Joined: lambda e: [self._from(e, "JOIN", to_channel(e.room))],
            Parted: self._parted,
            Quit: lambda e: [self._from(e, "QUIT", e.reason or "Client Quit", trailing=True)],
            NickChanged: lambda e: [Message("NICK", (e.new,), source(e.old, e.userhost))],
            Kicked: lambda e: [
                Message(
                    "KICK",
                    (to_channel(e.room), e.nick, e.reason or e.actor),
                    source(e.actor, e.userhost),
                    trailing=True,
                )
            ],
            TopicChanged: lambda e: [
                self._from(
                    e, "TOPIC", to_channel(e.room), truncate_bytes(e.topic, TOPICLEN), trailing=True
                )
            ],
            ModesChanged: self._modes,
            Invited: lambda e: [self._from(e, "INVITE", e.target, to_channel(e.room))],
            Wall: lambda e: self._notices(f"*** Notice from {e.sender}: {e.text}"),
            Info: lambda e: [m for line in e.lines for m in self._notices(line)],
            Problem: lambda e: self._notices(e.text),
            Farewell: lambda e: [
                Message("ERROR", (f"Closing link: {e.reason or e.text}",), trailing=True)
            ],
        }
        self._render: dict[type[Any], Callable[[Any], list[Message]]] = {
            RoomMessage: self._room_message,
            PrivateMessage: self._private,
        }
        self._render.update({kind: _cut_to_size(render) for kind, render in fitted.items()})

    def format(self, event: Event) -> bytes:
        if isinstance(event, Reply):
            return "".join(line + "\r\n" for line in event.lines).encode("utf-8")
        if isinstance(event, Negotiation):  # no IRC session makes one
            return event.data
        messages = self._render[type(event)](event)
        if self.tag_time:
            stamp = server_time(getattr(event, "time", None) or datetime.now())
            messages = [
                Message(m.command, m.params, m.source, (("time", stamp),)) for m in messages
            ]
        return b"".join(message.encode() for message in messages)

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _from(event: Any, command: str, *params: str, trailing: bool = False) -> Message:
        return Message(command, params, source(event.nick, event.userhost), trailing=trailing)

    def _modes(self, e: ModesChanged) -> list[Message]:
        """One MODE line per ``MODES`` changes with arguments, or fewer if they are long."""
        origin, channel = source(e.nick, e.userhost), to_channel(e.room)
        messages: list[Message] = []
        line: list[tuple[str, str]] = []
        for change in e.changes:
            candidate = [*line, change]
            message = Message("MODE", (channel, *mode_arguments(candidate)), origin)
            fits = sum(1 for _, argument in candidate if argument) <= MODES and (
                len(message.encode()) <= MAX_LINE_BYTES
            )
            if line and not fits:
                messages.append(Message("MODE", (channel, *mode_arguments(line)), origin))
                line = [change]
            else:
                line = candidate
        if line:
            messages.append(Message("MODE", (channel, *mode_arguments(line)), origin))
        return messages

    def _say(
        self, command: str, sender: str, userhost: str, target: str, text: str, *, action: bool
    ) -> list[Message]:
        origin = source(sender, userhost)
        # What is left of 512 bytes after ":origin COMMAND target :" and "\r\n", and
        # the CTCP wrapping of an action.
        overhead = len(f":{origin} {command} {target} :".encode()) + 2
        if action:
            overhead += len(f"{CTCP}ACTION {CTCP}")
        pieces = fit_text(text, MAX_LINE_BYTES - overhead)
        return [
            Message(
                command,
                (target, f"{CTCP}ACTION {piece}{CTCP}" if action else piece),
                origin,
                trailing=True,
            )
            for piece in pieces
        ]

    def _room_message(self, e: RoomMessage) -> list[Message]:
        command = "NOTICE" if e.notice else "PRIVMSG"
        return self._say(command, e.sender, e.userhost, to_channel(e.room), e.text, action=e.action)

    def _private(self, e: PrivateMessage) -> list[Message]:
        command = "NOTICE" if e.notice else "PRIVMSG"
        return self._say(command, e.sender, e.userhost, e.recipient, e.text, action=False)

    def _parted(self, e: Parted) -> list[Message]:
        params = (to_channel(e.room), e.reason) if e.reason else (to_channel(e.room),)
        return [self._from(e, "PART", *params, trailing=bool(e.reason))]

    def _notices(self, text: str) -> list[Message]:
        overhead = len(f":{self.server_name} NOTICE * :".encode()) + 2
        return [
            Message("NOTICE", ("*", piece), self.server_name, trailing=True)
            for piece in fit_text(text, MAX_LINE_BYTES - overhead)
        ]
