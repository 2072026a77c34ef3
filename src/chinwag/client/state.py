"""The client's side of the text protocol, with no socket: bytes in, lines out.

:class:`ClientState` frames received bytes into lines (UTF-8, invalid bytes replaced,
never an exception), classifies them, and remembers what the server said about this
user: the current nickname (from the welcome and from ``* you are now known as``), the
current room (``* you are now in ROOM``), whether the user is away (the server's answers
to ``/away``) and the nicknames seen, for Tab completion. After
:meth:`ClientState.reset_connection`, the next welcome queues the commands that bring the
old name, room and away message back; :meth:`ClientState.take_outgoing` hands them over.
When the client itself asks for a name (:meth:`ClientState.ask_nick`, or a restored one),
the greeting's "Choose a name with /nick" hint is dropped: the name is on its way.
Joins, leaves and renames carry no time from the server; they get the local time they
arrived, so every line a person reads is stamped alike.
:meth:`ClientState.echo` builds the local echo of a sent message.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from datetime import datetime

from chinwag.client.lines import Kind, Received, classify
from chinwag.client.outgoing import Intent, Outgoing
from chinwag.client.safety import neutralise
from chinwag.text.framing import LineBuffer, LineTooLong

LOBBY = "lobby"
MAX_LINE_BYTES = 64 * 1024  # far above what the server sends; a bound, not a format rule
MAX_NICKS_SEEN = 1000  # most recent first out of the completion list beyond this

_WELCOME = re.compile(r"\* Welcome to chinwag, (?P<nick>\S+)! You are in (?P<room>\S+)\.")
_OWN_NICK = re.compile(r"\* you are now known as (?P<nick>\S+)")
_OWN_ROOM = re.compile(r"\* you are now in (?P<room>\S+) \(\d+ here\)")
_RENAMED = re.compile(r"\* (?P<old>\S+) is now known as (?P<new>\S+)")
_QUIT = re.compile(r"\* (?P<nick>\S+) left the chat(?: \(.*\))?")
_AWAY = re.compile(r"\* you are marked away: (?P<message>.+)")
_BACK = re.compile(r"\* you are no longer marked away")
# The greeting's hint to pick a name, pointless once the client asks for one. Matched
# loosely (case, spacing, the wording after "/nick"), so rewording it keeps it hidden.
_NAME_HINT = re.compile(r"\*\s+choose\s+a\s+(?:nick)?name\b.*/nick\b.*", re.IGNORECASE)
_WHO_ENTRY = re.compile(r"\*   (?P<nick>[^\s:*]+)(?: \(operator\))? - connected .*")
# Last words of a server about to close the connection: whether coming straight back
# makes sense (not after a kick, a ban or a wrong password, which were meant), and whether
# they are a refusal (the server would not have this user) rather than a loss.
_FAREWELLS = (
    (re.compile(r"\* (?P<why>server shutting down)"), True, False),
    (re.compile(r"\* (?P<why>You sent too much too fast.*)"), True, True),
    (re.compile(r"! (?P<why>.*; try again later)"), True, True),
    (re.compile(r"\* (?P<why>You were (?:kicked|banned) by .*)"), False, True),
    (re.compile(r"\* (?P<why>Wrong password)"), False, True),
    (re.compile(r"! (?P<why>You are banned from this server.*)"), False, True),
)
_GOODBYE = re.compile(r"\* Goodbye, \S+!")  # the answer to /quit, before the server closes
# The first bytes of a TLS record (a handshake or an alert, version 3.x): the server
# speaks TLS and this connection does not.
_TLS_RECORD = re.compile(rb"[\x15\x16]\x03")


def encode(line: str) -> bytes:
    """The wire form of one line the user sends."""
    return (line + "\n").encode("utf-8")


class ClientState:
    """What the client knows from the lines received so far."""

    def __init__(self) -> None:
        self._framer = LineBuffer(MAX_LINE_BYTES)
        self.nick = ""  # unknown until the welcome
        self.generated_nick = ""  # the name the server gave this connection
        self.room = LOBBY
        self.away = ""  # the away message the server confirmed; empty when not away
        self.farewell = ""  # why the server is about to close, when it said so
        self.refused = False  # the farewell turns this user away (a ban, a kick, a password)
        self.said_goodbye = False  # the server answered /quit
        self.heard = False  # anything at all arrived on this connection
        self.speaks_tls = False  # what arrived was TLS: the server wants --tls
        self._may_rejoin = True
        self._nicks: OrderedDict[str, str] = OrderedDict()  # folded -> as spelled
        self._restore: list[str] = []  # sent once the next welcome arrives
        self._outgoing: list[str] = []
        self._hide_name_hint = False  # the client asked for a name: the hint is noise

    def ask_nick(self, nick: str) -> str:
        """The line asking for ``nick``; the greeting's hint to choose a name is hidden."""
        self._hide_name_hint = True
        return f"/nick {nick}"

    def receive_data(self, data: bytes, now: datetime | None = None) -> list[Received]:
        """The lines that ``data`` completes, classified and neutralised.

        Joins, leaves and renames are stamped with ``now`` (the local time by default).
        """
        if not self.heard and data:
            self.heard = True
            if _TLS_RECORD.match(data):
                self.speaks_tls = True
                return []
        if self.speaks_tls:
            return []
        received = []
        for frame in self._framer.feed(data):
            if isinstance(frame, LineTooLong):
                received.append(
                    Received(Kind.ERROR, f"! (a line over {frame.limit} bytes was dropped)")
                )
                continue
            line = classify(frame.text)
            if self._hide_name_hint and _NAME_HINT.fullmatch(line.line):
                self._hide_name_hint = False  # only the one hint, not a later /help
                continue
            self._learn(line)
            if line.kind is Kind.PRESENCE and not line.stamp:
                stamp = (now or datetime.now()).strftime("%H:%M:%S")
                line = dataclasses.replace(line, stamp=stamp)
            received.append(line)
        return received

    def reset_connection(self) -> None:
        """A new connection starts: on its welcome, the old name, room and away are asked back."""
        self._framer = LineBuffer(MAX_LINE_BYTES)
        self.farewell = ""
        self.refused = self.said_goodbye = self.heard = self.speaks_tls = False
        self._may_rejoin = True
        self._restore = []
        self._hide_name_hint = False
        if self.nick and self.nick != self.generated_nick:
            self._restore.append(self.ask_nick(self.nick))
        if self.room.casefold() != LOBBY:
            self._restore.append(f"/join {self.room}")
        if self.away:
            self._restore.append(f"/away {self.away}")

    def take_outgoing(self) -> list[str]:
        """Lines the protocol itself wants sent now (the restoring commands)."""
        lines, self._outgoing = self._outgoing, []
        return lines

    @property
    def may_rejoin(self) -> bool:
        """False after a kick, a ban or a wrong password: retrying would defeat them."""
        return self._may_rejoin

    @property
    def nicks_seen(self) -> list[str]:
        """Nicknames seen, most recently active first."""
        return list(reversed(self._nicks.values()))

    def echo(self, outgoing: Outgoing, now: datetime) -> Received | None:
        """The local echo of a message this user sent, in the server's line shape."""
        stamp = now.strftime("%H:%M:%S")
        nick = self.nick or "me"
        text = neutralise(outgoing.text)
        if outgoing.intent is Intent.SAY:
            line = f"[{stamp}] {nick}: {text}"
            return Received(Kind.CHAT, line, stamp, nick, text, own=True)
        if outgoing.intent is Intent.ACTION:
            line = f"[{stamp}] * {nick} {text}"
            return Received(Kind.ACTION, line, stamp, nick, text, own=True)
        if outgoing.intent is Intent.PRIVATE:
            target = neutralise(outgoing.target)
            line = f"[{stamp}] -> *{target}* {text}"
            return Received(Kind.PRIVATE, line, stamp, target, text, own=True)
        return None

    def _see(self, nick: str) -> None:
        key = nick.casefold()
        self._nicks.pop(key, None)
        self._nicks[key] = nick
        while len(self._nicks) > MAX_NICKS_SEEN:
            self._nicks.popitem(last=False)

    def _forget(self, nick: str) -> None:
        self._nicks.pop(nick.casefold(), None)

    def _learn(self, line: Received) -> None:
        if line.kind in {Kind.CHAT, Kind.ACTION, Kind.PRIVATE, Kind.WALL}:
            self._see(line.nick)
            return
        for pattern, rejoin, refused in _FAREWELLS:
            if match := pattern.fullmatch(line.line):
                self.farewell, self._may_rejoin, self.refused = match["why"], rejoin, refused
                return
        if _GOODBYE.fullmatch(line.line):
            self.said_goodbye = True
            return
        if line.kind not in {Kind.NOTICE, Kind.PRESENCE}:
            return
        text = line.line
        if self._learn_about_me(text):
            return
        if match := _RENAMED.fullmatch(text):
            self._forget(match["old"])
            self._see(match["new"])
        elif match := _QUIT.fullmatch(text):
            self._forget(match["nick"])
        elif match := _WHO_ENTRY.fullmatch(text):
            self._see(match["nick"])
        elif line.kind is Kind.PRESENCE:
            self._see(line.nick)

    def _learn_about_me(self, text: str) -> bool:
        """Learn from a notice about this user's name, room or away; False if it is none."""
        if match := _WELCOME.fullmatch(text):
            self.nick = self.generated_nick = match["nick"]
            self.room = match["room"]
            self._outgoing += self._restore
            self._restore = []
        elif match := _OWN_NICK.fullmatch(text):
            self.nick = match["nick"]
        elif match := _OWN_ROOM.fullmatch(text):
            self.room = match["room"]
        elif match := _AWAY.fullmatch(text):
            self.away = match["message"]
        elif _BACK.fullmatch(text):
            self.away = ""
        else:
            return False
        return True
