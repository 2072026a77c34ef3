"""Rendering hub events as lines of the text protocol.

Line shapes (each ends with ``\\r\\n`` so ``telnet`` shows it right too):

* ``[HH:MM:SS] nick: text``      a message in the room
* ``[HH:MM:SS] * nick text``     an action (``/me``)
* ``[HH:MM:SS] *nick* text``     a private message
* ``[HH:MM:SS] -nick- text``     a notice (in a room or private; never answered by bots)
* ``[HH:MM:SS] *** Notice from nick: text``  an operator's notice to everyone
* ``* ...``                      a notice: joins, leaves, nick changes, replies
* ``! ...``                      an error in reply to what you sent

Messages from history (on joining a room, or asked for with ``/history``) come between
``* --- last N messages ---`` and ``* --- end of history ---``, shaped as when they were
said, with their original time; those from another day show the date too:
``[2026-11-28 11:05] alice: hi``.
"""

from datetime import datetime
from typing import assert_never

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

EOL = "\r\n"


_TWO_DIGITS = [f"{n:02d}" for n in range(60)]


def stamp(time: datetime) -> str:
    # Every message's: looked up, four times faster than formatting (strftime is slower).
    two = _TWO_DIGITS
    return f"[{two[time.hour]}:{two[time.minute]}:{two[time.second]}]"


def _with_reason(text: str, reason: str) -> str:
    return f"{text} ({reason})" if reason else text


def dated_stamp(time: datetime, now: datetime) -> str:
    """The stamp of a message from history: the time alone if it is from ``now``'s day,
    else the date and the minute (``[2026-11-28 11:05]``)."""
    if time.date() == now.date():
        return stamp(time)
    return f"[{time.year:04d}-{time.month:02d}-{time.day:02d} {time.hour:02d}:{time.minute:02d}]"


def _room_message(e: RoomMessage, when: str | None = None) -> str:
    when = when or stamp(e.time)
    sender = e.sender + _STATUS_AUDIENCE[e.status]
    if e.notice:
        return f"{when} -{sender}- {e.text}"
    if e.action:
        return f"{when} * {sender} {e.text}"
    return f"{when} {sender}: {e.text}"


# Who a room message was for, after its sender's name, when not the whole room.
_STATUS_AUDIENCE = {"": "", "@": " (to operators)", "+": " (to voiced users)"}


def _private(e: PrivateMessage, when: str | None = None) -> str:
    when = when or stamp(e.time)
    if e.notice:
        return f"{when} -{e.sender}- {e.text}"
    return f"{when} *{e.sender}* {e.text}"


def _replay(e: HistoryReplay) -> str:
    count = len(e.messages)
    lines = [f"* --- last {count} message{'s' if count != 1 else ''} ---"]
    for message in e.messages:
        when = dated_stamp(message.time, e.now)
        if isinstance(message, RoomMessage):
            lines.append(_room_message(message, when))
        else:
            lines.append(_private(message, when))
    lines.append("* --- end of history ---")
    return EOL.join(lines)


def _joined(e: Joined) -> str:
    return f"* {e.nick} joined " + ("the chat" if e.connected else e.room)


def _parted(e: Parted) -> str:
    return _with_reason(f"* {e.nick} left {e.room}", e.reason)


def _quit(e: Quit) -> str:
    return _with_reason(f"* {e.nick} left the chat", e.reason)


def _nick(e: NickChanged) -> str:
    return f"* you are now known as {e.new}" if e.own else f"* {e.old} is now known as {e.new}"


def _wall(e: Wall) -> str:
    return f"{stamp(e.time)} *** Notice from {e.sender}: {e.text}"


def _info(e: Info) -> str:
    return EOL.join(f"* {line}" for line in e.lines)


def _problem(e: Problem) -> str:
    return f"! {e.text}"


def _farewell(e: Farewell) -> str:
    return f"* {e.text}"


def _kicked(e: Kicked) -> str:
    return _with_reason(f"* {e.actor} put {e.nick} out of {e.room}", e.reason)


def _topic(e: TopicChanged) -> str:
    if not e.topic:
        return f"* {e.nick} cleared the topic of {e.room}"
    return f"* {e.nick} set the topic of {e.room}: {e.topic}"


def _modes(e: ModesChanged) -> str:
    letters = "".join(sign_letter for sign_letter, _ in e.changes)
    arguments = "".join(f" {argument}" for _, argument in e.changes if argument)
    return f"* {e.nick} set mode {letters}{arguments} on {e.room}"


def _invited(e: Invited) -> str:
    return f"* {e.nick} invites you to {e.room} (/join {e.room})"


def ban_span(minutes: float | None) -> str:
    """How long a ban lasts, in words: ``for good``, ``for 5 minutes``."""
    if minutes is None:
        return "for good"
    return f"for {minutes:g} minute" + "s" * (minutes != 1)


def _reply(e: Reply) -> str:
    return EOL.join(e.lines)


def render(event: Event) -> str:  # noqa: PLR0911, PLR0912 - one case per event type
    """The text line(s) for ``event``, without the final line end; empty for the
    quiet events text users are not shown.

    A ``match`` over every event type ending in ``assert_never``: an event added to
    :data:`~chinwag.hub.events.Event` fails type checking here until it is rendered.
    """
    match event:
        case RoomMessage():
            return _room_message(event)
        case PrivateMessage():
            return _private(event)
        case HistoryReplay():
            return _replay(event)
        case Joined():
            return _joined(event)
        case Parted():
            return _parted(event)
        case Quit():
            return _quit(event)
        case NickChanged():
            return _nick(event)
        case Wall():
            return _wall(event)
        case Info():
            return _info(event)
        case Problem():
            return _problem(event)
        case Farewell():
            return _farewell(event)
        case Kicked():
            return _kicked(event)
        case TopicChanged():
            return _topic(event)
        case ModesChanged():
            return _modes(event)
        case Invited():
            return "" if event.notice else _invited(event)
        case AwayChanged() | RealnameChanged():
            return ""  # quiet: text users see away states in whois and names
        case TagMessage():
            return ""  # tags alone say nothing a reader could see
        case BecameOperator():
            return "* you are now an operator"
        case Disconnected():
            return f"* {event.nick} was kicked"
        case BanSet():
            return f"* {event.address} is banned {ban_span(event.minutes)}"
        case BanLifted():
            return f"* the ban on {event.address} is lifted"
        case Reply():
            return _reply(event)
        case Negotiation():
            raise TypeError("a negotiation is bytes to send, not a line to show")
        case _:
            assert_never(event)


class TextFormatter:
    """Encodes events for text-protocol connections; one shared instance serves them all."""

    def format(self, event: Event) -> bytes:
        if isinstance(event, Negotiation):
            return event.data
        text = render(event)
        return (text + EOL).encode("utf-8") if text else b""

    def line(self, text: str) -> bytes:
        """A line that is no event (a refusal before the hub knows the client)."""
        return (text + EOL).encode("utf-8")


TEXT = TextFormatter()
