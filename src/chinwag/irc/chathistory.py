"""IRCv3 ``draft/chathistory``: clients ask for the history of a channel or a private
conversation themselves.

``CHATHISTORY LATEST|BEFORE|AFTER|AROUND target reference limit``, ``BETWEEN target
reference reference limit`` and ``TARGETS timestamp timestamp limit``; a reference is
``timestamp=2026-11-28T11:05:00.000Z`` or ``msgid=ID`` (``*`` too, for LATEST). Answers
come in a ``chathistory`` batch (``draft/chathistory-targets`` for TARGETS, whose lines
are ``CHATHISTORY TARGETS name time``), empty when there is nothing, with each message's
time and id as tags. Channels are readable by
their members only; a nick names the private conversation of the asker and that nick,
kept only with ``history_private``. Limits above ``history_max`` are lowered to it, as
Ergo does. Errors are ``FAIL CHATHISTORY CODE ...`` lines, as the draft says.
Clients that negotiate the capability get no replay on JOIN: they ask for what they lack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chinwag.history import ids
from chinwag.history.replay import Replayer, event_of, not_before, private_floor, since
from chinwag.history.store import (
    Conversation,
    Cursor,
    HistoryUnavailable,
    Record,
    lower_bound,
    position,
    upper_bound,
)
from chinwag.irc import casemap
from chinwag.irc.commands import command
from chinwag.irc.format import server_time
from chinwag.irc.message import Message, safe_param

if TYPE_CHECKING:
    from chinwag.irc.session import IrcSession

CAPABILITY = "draft/chathistory"
SUBCOMMANDS = ("LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN", "TARGETS")


class _Fail(Exception):
    """A ``FAIL CHATHISTORY`` reply: ``code`` and its parameters, then a description."""

    def __init__(self, code: str, *params: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.params = params
        self.text = text


def reference(text: str, *, star: bool = False) -> Cursor | None:
    """A message reference: a time or an id; ``None`` for ``*`` where allowed."""
    if star and text == "*":
        return None
    kind, _, value = text.partition("=")
    if kind == "msgid" and ids.is_id(value):
        return value.upper()
    if kind == "timestamp":
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    raise ValueError(text)


@command("CHATHISTORY", min_params=1)
def _chathistory(session: IrcSession, message: Message) -> None:
    try:
        _answer(session, message.params[0].upper(), message.params[1:])
    except _Fail as fail:
        params = ("CHATHISTORY", fail.code, *map(safe_param, fail.params), fail.text)
        session.send(Message("FAIL", params, session.server.name, trailing=True))


def _answer(session: IrcSession, sub: str, params: tuple[str, ...]) -> None:
    if sub not in SUBCOMMANDS:
        raise _Fail("INVALID_PARAMS", sub, text="Unknown subcommand")
    replayer = session.hub.history
    if replayer is None:
        raise _Fail("MESSAGE_ERROR", sub, "*", text="This server keeps no history")
    if sub == "TARGETS":
        _targets(session, replayer, params)
    else:
        _messages(session, replayer, sub, params)


def _limit(replayer: Replayer, sub: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise _Fail("INVALID_PARAMS", sub, text, text="Invalid limit")
    return min(int(text), replayer.maximum)


def _messages(session: IrcSession, replayer: Replayer, sub: str, params: tuple[str, ...]) -> None:
    needed = 4 if sub == "BETWEEN" else 3
    if len(params) < needed:
        raise _Fail("NEED_MORE_PARAMS", sub, text="Missing parameters")
    target = params[0]
    conversation = _conversation(session, replayer, sub, target)
    try:
        first = reference(params[1], star=sub == "LATEST")
        second = reference(params[2]) if sub == "BETWEEN" else None
    except ValueError as exc:
        raise _Fail("INVALID_PARAMS", sub, str(exc), text="Invalid message reference") from None
    limit = _limit(replayer, sub, params[needed - 1])
    history = replayer.history
    records: list[Record] = []
    # Of a private conversation, only what was said since the asker took their name.
    private = conversation is not None and conversation.is_private
    floor = private_floor(session.member.named) if private else None
    first, second = _from_floor(sub, first, second, floor)
    try:
        if conversation is not None:
            if sub == "LATEST":
                records = history.latest(conversation, limit, first)
            elif first is None:  # only LATEST takes "*"
                raise _Fail("INVALID_PARAMS", sub, "*", text="Invalid message reference")
            elif sub == "BEFORE":
                records = history.before(conversation, first, limit)
            elif sub == "AFTER":
                records = history.after(conversation, first, limit)
            elif sub == "AROUND":
                records = history.around(conversation, first, limit)
            else:
                assert second is not None
                records = history.between(conversation, first, second, limit)
    except HistoryUnavailable:
        raise _Fail("MESSAGE_ERROR", sub, target, text="History is unavailable") from None
    records = since(records, floor) if floor is not None else records
    formatter = session.formatter
    lines = formatter.history(target, [event_of(record) for record in records])
    for line in lines:
        session.send(line)


def _from_floor(
    sub: str, first: Cursor | None, second: Cursor | None, floor: str | None
) -> tuple[Cursor | None, Cursor | None]:
    """The references of a question about a private conversation, their lower end moved
    up to ``floor`` (``None``: not private): only what was said since the asker took
    their name is theirs (see :mod:`chinwag.history.replay`; the answer is filtered
    too)."""
    if floor is None:
        return first, second
    if sub in ("LATEST", "AFTER"):
        return not_before(first, floor), second
    if sub == "BETWEEN" and first is not None and second is not None:
        if position(first) <= position(second):
            return not_before(first, floor), second
        return first, not_before(second, floor)
    return first, second


def _conversation(
    session: IrcSession, replayer: Replayer, sub: str, target: str
) -> Conversation | None:
    """The conversation ``target`` names for this client; ``None``: one never kept."""
    if casemap.is_channel(target):
        room = casemap.to_room(target)
        if casemap.fold(room) not in session.member.rooms:
            raise _Fail("INVALID_TARGET", sub, target, text="You are not on that channel")
        return Conversation.room(room)
    if not replayer.history.private:
        return None
    return Conversation.private(session.member.nick, target)


def _targets(session: IrcSession, replayer: Replayer, params: tuple[str, ...]) -> None:
    if len(params) < 3:
        raise _Fail("NEED_MORE_PARAMS", "TARGETS", text="Missing parameters")
    try:
        start, end = reference(params[0]), reference(params[1])
    except ValueError as exc:
        raise _Fail("INVALID_PARAMS", "TARGETS", str(exc), text="Invalid timestamp") from None
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise _Fail("INVALID_PARAMS", "TARGETS", params[0], text="TARGETS takes timestamps")
    limit = _limit(replayer, "TARGETS", params[2])
    rooms = list(session.member.rooms.values())
    # Both ends are left out, to the millisecond, as BETWEEN's are: a time copied from a
    # message's tag leaves that message's conversation out unless it spoke again since.
    earlier, later = sorted((start, end))
    low, high = lower_bound(earlier), upper_bound(later)
    try:
        found = (
            replayer.history.targets(session.member.nick, rooms, low, high, limit)
            if low < high
            else []
        )
    except HistoryUnavailable:
        raise _Fail("MESSAGE_ERROR", "TARGETS", "*", text="History is unavailable") from None
    # A private conversation last spoken in before the asker took their name is not theirs
    # (see history.replay): left out, to the millisecond, erring on leaving out.
    floor = private_floor(session.member.named)
    found = [t for t in found if not t.private or ids.floor(t.latest) > floor]
    server = session.server.name
    formatter = session.formatter
    batch = formatter.batch_reference() if formatter.batch else ""
    tags = (("batch", batch),) if batch else ()
    if batch:
        session.send(Message("BATCH", (f"+{batch}", "draft/chathistory-targets"), server))
    for target in found:
        name = target.name if target.private else casemap.to_channel(target.name)
        # The time alone, as server-time writes it: the draft's replies carry no "timestamp="
        # (that prefix is for the references a client sends).
        line = ("TARGETS", name, server_time(target.latest))
        session.send(Message("CHATHISTORY", line, server, tags))
    if batch:
        session.send(Message("BATCH", (f"-{batch}",), server))
