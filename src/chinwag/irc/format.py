"""Rendering hub events as IRC lines, once per formatter for all who share it.

Every line about a user comes from ``nick!user@host`` (the events carry ``user@host``),
so IRC clients track joins, parts, quits and nick changes the usual way. Room ``lobby``
is channel ``#lobby``. Text too long for one 512-byte line is split over several
messages at spaces, as a client would split it; a reason or topic too long for one line
is cut short, and mode changes go out at most ``MODES`` with arguments to a line, so
every line is one valid line of at most 512 bytes. Events addressed to one client with
no IRC shape of their own (information, errors) become server notices.

One :class:`IrcFormatter` per distinct need: clients that asked for the same
capabilities among those that change rendering (:data:`RENDERING_CAPABILITIES`) share
one. ``server-time`` tags each line with its time; ``extended-join`` adds account and
realname to JOIN; ``away-notify``, ``setname`` and ``invite-notify`` render the quiet
events (away changes, new realnames, invitations seen by a channel's operators) that
every other formatter renders as nothing.

Messages from history (:class:`~chinwag.hub.events.HistoryReplay`) are sent as they were
said: a PRIVMSG (or NOTICE) from the original author, tagged with their original time
for ``server-time`` clients and, for ``batch`` clients, inside a ``chathistory`` batch.
Clients that negotiated ``message-tags`` see every message's id (``msgid``), live or
replayed: the id history keeps, and a cursor for ``CHATHISTORY``; they also see the
client-only tags (``+typing``, ``+draft/reply``) the sender attached to a live message,
and the ``TAGMSG`` messages that carry tags alone, which other formatters render as
nothing; a live message from a user with mode ``+B`` carries the ``bot`` tag.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Set
from datetime import UTC, datetime
from typing import Any, assert_never

from chinwag.history import ids
from chinwag.hub.events import (
    AwayChanged,
    BanLifted,
    BanSet,
    BecameOperator,
    Disconnected,
    Event,
    Farewell,
    HistoryReplay,
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
    RealnameChanged,
    Reply,
    RoomMessage,
    TagMessage,
    TopicChanged,
    Wall,
)
from chinwag.irc.casemap import to_channel
from chinwag.irc.limits import MODES, TOPICLEN
from chinwag.irc.message import MAX_LINE_BYTES, Message, fit_message, fit_text, truncate_bytes

CTCP = "\x01"
# The capabilities that change how events are rendered, hence which formatter serves.
RENDERING_CAPABILITIES = frozenset(
    {
        "away-notify",
        "batch",
        "extended-join",
        "invite-notify",
        "message-tags",
        "server-time",
        "setname",
    }
)


def server_time(moment: datetime) -> str:
    """The ``server-time`` tag value: UTC, millisecond precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _time_of(event: Event) -> datetime:
    """When ``event`` happened, for its ``time`` tag: a message's is its id's millisecond,
    so that a ``timestamp=`` a client copies from the tag is where the message sorts among
    ids in ``CHATHISTORY`` (the event's clock and the id's can straddle a millisecond)."""
    if isinstance(event, RoomMessage | PrivateMessage | TagMessage) and event.msgid:
        return ids.time_of_value(event.msgid)
    return getattr(event, "time", None) or datetime.now()


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


def _fit(messages: list[Message]) -> list[Message]:
    """``messages``, each cut to the size of an IRC line."""
    return [fit_message(message) for message in messages]


class IrcFormatter:
    """Encodes hub events for IRC connections (see the module docstring)."""

    def __init__(
        self,
        server_name: str,
        *,
        capabilities: Set[str] = frozenset(),
        tag_time: bool = False,
        batch: bool = False,
        tag_msgid: bool = False,
    ) -> None:
        """A formatter for clients with ``capabilities`` (those not in
        :data:`RENDERING_CAPABILITIES` are ignored); ``tag_time``, ``batch`` and
        ``tag_msgid`` add ``server-time``, ``batch`` and ``message-tags``."""
        flags = {"server-time": tag_time, "batch": batch, "message-tags": tag_msgid}
        asked = set(capabilities) | {name for name, on in flags.items() if on}
        self.server_name = server_name
        self.capabilities = frozenset(asked) & RENDERING_CAPABILITIES
        self.tag_time = "server-time" in self.capabilities
        # the client negotiated ``message-tags``: ids on messages
        self.tag_msgid = "message-tags" in self.capabilities
        self.batch = "batch" in self.capabilities  # history comes in a ``batch``
        self._batches = itertools.count(1)  # batch references (thread-safe in CPython)

    def format(self, event: Event) -> bytes:
        if isinstance(event, Reply):
            return "".join(line + "\r\n" for line in event.lines).encode("utf-8")
        if isinstance(event, Negotiation):  # no IRC session makes one
            return event.data
        if isinstance(event, HistoryReplay):
            return b"".join(message.encode() for message in self._replay(event))
        messages = self._messages(event)
        if not messages:
            return b""  # a quiet event this formatter's clients did not ask to see
        tags: tuple[tuple[str, str], ...] = ()
        if self.tag_time:
            tags = (("time", server_time(_time_of(event))),)
        if self.tag_msgid and isinstance(event, RoomMessage | PrivateMessage | TagMessage):
            if event.msgid:
                tags += (("msgid", ids.encode(event.msgid)),)
            if event.bot:  # IRCv3 bot mode: the sender is a bot (user mode +B)
                tags += (("bot", ""),)
            tags += event.tags  # the sender's client-only tags
        if tags:
            messages = [
                Message(m.command, m.params, m.source, tags, trailing=m.trailing) for m in messages
            ]
        return b"".join(message.encode() for message in messages)

    def _messages(self, event: Event) -> list[Message]:  # noqa: PLR0911, PLR0912 - one case per event type
        """The IRC messages for ``event``: a ``match`` over every event type ending in
        ``assert_never``, so an event added to :data:`~chinwag.hub.events.Event` fails
        type checking here until it is rendered. Messages are split to size as they are
        rendered; everything else is cut to size."""
        match event:
            case RoomMessage():
                return self._room_message(event)
            case PrivateMessage():
                return self._private(event)
            case TagMessage():
                if not self.tag_msgid:
                    return []  # only message-tags clients are sent TAGMSG
                target = event.recipient or event.status + to_channel(event.room)
                return [Message("TAGMSG", (target,), source(event.sender, event.userhost))]
            case HistoryReplay():
                return [m for said in event.messages for m in self._messages(said)]
            case Joined():
                return _fit(self._joined(event))
            case Parted():
                return _fit(self._parted(event))
            case Quit():
                reason = event.reason or "Client Quit"
                return _fit([self._from(event, "QUIT", reason, trailing=True)])
            case NickChanged():
                return _fit([Message("NICK", (event.new,), source(event.old, event.userhost))])
            case Kicked():
                params = (to_channel(event.room), event.nick, event.reason or event.actor)
                origin = source(event.actor, event.userhost)
                return _fit([Message("KICK", params, origin, trailing=True)])
            case TopicChanged():
                topic = truncate_bytes(event.topic, TOPICLEN)
                return _fit(
                    [self._from(event, "TOPIC", to_channel(event.room), topic, trailing=True)]
                )
            case ModesChanged():
                return _fit(self._modes(event))
            case Invited():
                if event.notice and "invite-notify" not in self.capabilities:
                    return []
                return _fit([self._from(event, "INVITE", event.target, to_channel(event.room))])
            case AwayChanged():
                return _fit(self._away(event))
            case RealnameChanged():
                if "setname" not in self.capabilities:
                    return []
                return _fit([self._from(event, "SETNAME", event.realname, trailing=True)])
            case Wall():
                return _fit(self._notices(f"*** Notice from {event.sender}: {event.text}"))
            case Info():
                return _fit([m for line in event.lines for m in self._notices(line)])
            case Problem():
                return _fit(self._notices(event.text))
            case BecameOperator():
                return _fit(self._notices("you are now an operator"))
            case Disconnected():
                return _fit(self._notices(f"{event.nick} was kicked"))
            case BanSet():
                span = "for good" if event.minutes is None else f"for {event.minutes:g} minutes"
                return _fit(self._notices(f"{event.address} is banned {span}"))
            case BanLifted():
                return _fit(self._notices(f"the ban on {event.address} is lifted"))
            case Farewell():
                closing = f"Closing link: {event.reason or event.text}"
                return _fit([Message("ERROR", (closing,), trailing=True)])
            case Reply() | Negotiation():
                raise TypeError("sent as they are, not rendered")  # format() does
            case _:
                assert_never(event)

    # --- helpers -------------------------------------------------------------------------

    def _replay(self, e: HistoryReplay) -> list[Message]:
        private = isinstance(e.messages[0], PrivateMessage)
        return self.history(e.where if private else to_channel(e.where), e.messages)

    def history(
        self, target: str, messages: Iterable[RoomMessage | PrivateMessage]
    ) -> list[Message]:
        """Messages from history as they were said, each with its own time (and id),
        inside a ``chathistory`` batch for ``target`` if the client negotiated ``batch``
        (an empty batch if there are none: the client asked)."""
        reference = self.batch_reference() if self.batch else ""
        out: list[Message] = []
        if reference:
            out.append(Message("BATCH", (f"+{reference}", "chathistory", target), self.server_name))
        for said in messages:
            tags: tuple[tuple[str, str], ...] = ()
            if self.tag_time:
                tags += (("time", server_time(_time_of(said))),)
            if self.tag_msgid and said.msgid:
                tags += (("msgid", ids.encode(said.msgid)),)
            if reference:
                tags += (("batch", reference),)
            for m in self._messages(said):
                out.append(Message(m.command, m.params, m.source, tags, trailing=m.trailing))
        if reference:
            out.append(Message("BATCH", (f"-{reference}",), self.server_name))
        return out

    def batch_reference(self) -> str:
        """A new batch reference, unique for this formatter."""
        return f"history{next(self._batches)}"

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
        target = e.status + to_channel(e.room)  # "@#room": STATUSMSG
        return self._say(command, e.sender, e.userhost, target, e.text, action=e.action)

    def _private(self, e: PrivateMessage) -> list[Message]:
        command = "NOTICE" if e.notice else "PRIVMSG"
        return self._say(command, e.sender, e.userhost, e.recipient, e.text, action=False)

    def _joined(self, e: Joined) -> list[Message]:
        if "extended-join" not in self.capabilities:
            joined = self._from(e, "JOIN", to_channel(e.room))
        else:
            # No accounts on this server: ``*``; the realname, or the nick as WHOIS shows it.
            realname = e.realname or e.nick
            joined = self._from(e, "JOIN", to_channel(e.room), "*", realname, trailing=True)
        # away-notify: an away joiner's state follows the JOIN, as IRCv3 says.
        away = self._away(AwayChanged(e.nick, e.away, e.userhost)) if e.away else []
        return [joined, *away]

    def _away(self, e: AwayChanged) -> list[Message]:
        if "away-notify" not in self.capabilities:
            return []
        if not e.message:
            return [self._from(e, "AWAY")]
        return [self._from(e, "AWAY", e.message, trailing=True)]

    def _parted(self, e: Parted) -> list[Message]:
        params = (to_channel(e.room), e.reason) if e.reason else (to_channel(e.room),)
        return [self._from(e, "PART", *params, trailing=bool(e.reason))]

    def _notices(self, text: str) -> list[Message]:
        overhead = len(f":{self.server_name} NOTICE * :".encode()) + 2
        return [
            Message("NOTICE", ("*", piece), self.server_name, trailing=True)
            for piece in fit_text(text, MAX_LINE_BYTES - overhead)
        ]
