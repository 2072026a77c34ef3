"""An IRC client's side of the conversation: lines in, hub calls, deliveries out.

Theory of operation: received bytes are cut into lines (:mod:`chinwag.irc.framing`) and
parsed (:mod:`chinwag.irc.message`); each message's command is looked up in the
registry of small handlers (:mod:`chinwag.irc.commands`) and the handler is called with
the session. Handlers call the protocol-neutral actions (:mod:`chinwag.actions`) or the
hub, and add replies; a
:class:`~chinwag.hub.errors.ChatError` becomes the numeric its class maps to.

Registration (CAP, PASS, NICK, USER, and the welcome burst) is a small state machine
with its rules in one module, :mod:`chinwag.irc.registration`; its state is kept in the
session's fields, which the dispatcher reads on every line. Until registered the client
is not in the hub, and only the registration commands (and PING, PONG, QUIT) work.

Time: :meth:`tick` is called every few seconds by the server's housekeeping thread. It
drops clients that do not register in time, pings clients that have been silent, and
drops those that do not answer. :meth:`receive` and :meth:`tick` run on different
threads, hence the session's lock (always taken before the hub's, never the other way).
:meth:`tick` never waits for it: a session busy with its client is alive, and a long
reply must not hold up the housekeeping thread (nor, through it, shutdown).

A line that was not UTF-8 (its bad bytes already U+FFFD, see the framing) gets
``WARN <command> INVALID_UTF8`` before it is handled, as IRCv3's UTF8ONLY asks.

Replies are collected as lines and become one :class:`~chinwag.hub.events.Reply` when
something else is delivered or the batch is taken, so a reply of n lines costs O(n).
A handler that fails unexpectedly costs its command, not the connection: the client
gets 400 and the log one line (a traceback only the first time for each command).
What a labeled command (IRCv3 ``labeled-response``) produced for its client is gathered
into one labeled reply (:mod:`chinwag.irc.labels`).
"""

from __future__ import annotations

import threading
import time
import weakref
from datetime import datetime

from chinwag import log
from chinwag.config import Config
from chinwag.hub import errors
from chinwag.hub.contract import ChatHub
from chinwag.hub.events import Delivery, Farewell, Reply, reach_others, to
from chinwag.hub.hub import Member
from chinwag.irc import casemap, chathistory, commands, framing, labels, registration, sasl
from chinwag.irc import numerics as rpl
from chinwag.irc.format import RENDERING_CAPABILITIES, IrcFormatter
from chinwag.irc.message import (
    Message,
    ParseError,
    fit_message,
    line_fits,
    parse,
    safe_param,
)
from chinwag.passwords import password_checker

# Numerics whose last parameter is a value, not text.
_NO_TRAILING_TEXT = frozenset(
    {
        rpl.RPL_MYINFO,
        rpl.RPL_UMODEIS,
        rpl.RPL_CHANNELMODEIS,
        rpl.RPL_CREATIONTIME,
        rpl.RPL_TOPICWHOTIME,
        rpl.RPL_INVITING,
        rpl.RPL_BANLIST,
        rpl.ERR_NICKNAMEINUSE,
    }
)
ERR_UNKNOWNERROR = "400"
assert chathistory.CAPABILITY in commands.CAPABILITIES  # and its command is registered
assert sasl.CAPABILITY == registration.SASL  # and AUTHENTICATE is registered
# (command, exception type) pairs whose traceback has been logged: bounded by the table.
_LOGGED_FAILURES: set[tuple[str, str]] = set()


class ServerInfo:
    """What every IRC session of one server shares: its settings and its formatters."""

    def __init__(self, config: Config, created: datetime | None = None) -> None:
        self.config = config
        self.name = config.server_name
        self.password_check = password_checker(config.password, config.password_hash)
        self.created = created or datetime.now()
        self.plain = IrcFormatter(self.name)
        self.timed = IrcFormatter(self.name, tag_time=True)
        # One formatter per set of rendering capabilities asked for (at most 2**7).
        self._formatters: dict[frozenset[str], IrcFormatter] = {
            frozenset(): self.plain,
            frozenset({"server-time"}): self.timed,
        }
        self._formatters_lock = threading.Lock()
        # Every session, for LUSERS's count of connections not yet registered. Sessions
        # are made on the accepting thread and counted on others: hence the lock.
        self._sessions: weakref.WeakSet[IrcSession] = weakref.WeakSet()
        self._sessions_lock = threading.Lock()

    def formatter_for(self, capabilities: set[str]) -> IrcFormatter:
        """The formatter shared by every session with these rendering capabilities."""
        key = frozenset(capabilities) & RENDERING_CAPABILITIES
        with self._formatters_lock:
            formatter = self._formatters.get(key)
            if formatter is None:
                formatter = self._formatters[key] = IrcFormatter(self.name, capabilities=key)
            return formatter

    def track(self, session: IrcSession) -> None:
        with self._sessions_lock:
            self._sessions.add(session)

    def unregistered(self) -> int:
        """Connections that have not registered yet, nor ended.

        A session is not told that its connection closed, so one whose client left
        before registering counts until it would have timed out anyway, or is collected.
        """
        now = time.monotonic()
        with self._sessions_lock:
            sessions = list(self._sessions)
        return sum(1 for session in sessions if session.waiting(now))


class IrcSession:
    """The protocol state of one IRC connection."""

    def __init__(self, hub: ChatHub, member: Member, server: ServerInfo) -> None:
        self.hub = hub
        self.member = member
        self.server = server
        self.config = server.config
        self.finished = False
        self.registered = False
        self.capabilities: set[str] = set()
        self._formatter = server.plain  # kept in step with capabilities: read per delivery
        self.cap_version = 0  # 302 once the client has said CAP LS 302
        self.nick = ""  # asked for, before registration
        self.username = ""
        self.realname = ""
        self.password = ""
        self.password_accepted = server.password_check is None
        self.sasl_payload: str | None = None  # base64 received so far, during SASL
        self.sasl_done = False
        self.negotiating = False  # between CAP LS/REQ and CAP END
        self._framer = framing.line_buffer()
        self._lock = threading.Lock()
        self._out: list[Delivery] = []
        self._lines: list[str] = []  # reply lines not yet in a Reply
        # id() of deliveries in _out that reach the client but answer nothing it asked
        # (a message it sent itself): a labeled response leaves them out.
        self._not_responses: set[int] = set()
        self._labels = 0  # labeled responses sent: their batch references
        now = time.monotonic()
        self._started = now
        self._last_heard = now
        self._ping_sent: float | None = None
        server.track(self)

    def waiting(self, now: float) -> bool:
        """Whether this connection is still within its time to register."""
        pending = not self.registered and not self.finished
        return pending and now - self._started < self.config.irc_registration_seconds

    @property
    def formatter(self) -> IrcFormatter:
        return self._formatter

    def capabilities_changed(self) -> None:
        """Pick the formatter for the capabilities now enabled."""
        self._formatter = self.server.formatter_for(self.capabilities)

    @property
    def me(self) -> str:
        """The name numerics are addressed to: the nick, or ``*`` before there is one."""
        return self.member.nick if self.registered else (self.nick or "*")

    @property
    def source(self) -> str:
        return f"{self.member.nick}!{self.member.userhost}"

    # --- the Session interface ---------------------------------------------------------

    def start(self) -> list[Delivery]:
        """IRC clients speak first; there is nothing to send yet."""
        return []

    def receive(self, data: bytes) -> list[Delivery]:
        with self._lock:
            self._last_heard = time.monotonic()
            self._ping_sent = None  # whatever arrives shows the client is alive
            for frame in self._framer.feed(data):
                if self.finished:
                    break
                if isinstance(frame, framing.LineTooLong) or framing.too_long(frame.text):
                    self.numeric(rpl.ERR_INPUTTOOLONG, "Input line was too long")
                else:
                    self._handle_line(frame.text, replaced=frame.replaced)
            return self._take()

    def tick(self, now: float) -> list[Delivery]:
        """Timed work: registration timeout, pinging the idle, dropping the dead.

        A session whose reader holds the lock (waiting for a password check, say) is
        skipped this round rather than waited for: the housekeeping thread serves everyone.
        """
        if not self._lock.acquire(blocking=False):
            return []
        try:
            if self.finished:
                return []
            if not self.registered:
                if now - self._started >= self.config.irc_registration_seconds:
                    self.leave("Registration timed out")
            elif self._ping_sent is not None:
                if now - self._ping_sent >= self.config.irc_ping_timeout_seconds:
                    self.leave(f"Ping timeout: {int(now - self._last_heard)} seconds")
            elif now - self._last_heard >= self.config.irc_ping_seconds:
                self._ping_sent = now
                self.send(Message("PING", (self.server.name,), trailing=True))
            return self._take()
        finally:
            self._lock.release()

    # --- what handlers use --------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Reply to the client with ``message``, its last parameter cut to fit a line."""
        line = message.format()
        self._lines.append(line if line_fits(line) else fit_message(message).format())

    def numeric(self, code: str, *params: str) -> None:
        # Most numerics end in free text, written with ":" as servers do. Middle
        # parameters may echo what the client sent, which may not be a word.
        trailing = code not in _NO_TRAILING_TEXT
        *middle, last = (self.me, *params)
        params = (*map(safe_param, middle), last)
        self.send(Message(code, params, self.server.name, trailing=trailing))

    def add(self, deliveries: list[Delivery], *, response: bool = True) -> None:
        """Deliveries from the hub, in order with the replies. Not a ``response``: what
        reaches the client of them is not an answer to its command (labeled-response)."""
        self._flush_replies()
        self._out.extend(deliveries)
        if not response:
            self._not_responses.update(map(id, deliveries))

    def leave(self, reason: str) -> None:
        """End the connection: the client gets ERROR, everyone else a QUIT."""
        self.finished = True
        self.add([Delivery(Farewell(reason, reason), to(self.member))])

    def _flush_replies(self) -> None:
        # Consecutive replies travel as one event: one formatting, one queue entry.
        if self._lines:
            self._out.append(Delivery(Reply(tuple(self._lines)), to(self.member)))
            self._lines = []

    def _take(self) -> list[Delivery]:
        self._flush_replies()
        out, self._out = self._out, []
        self._not_responses.clear()
        return out

    # --- dispatch ------------------------------------------------------------------------

    def _handle_line(self, line: str, *, replaced: bool = False) -> None:
        if not line.strip():
            return
        try:
            message = parse(line)
        except ParseError:
            return  # as servers do: a line that is no message is ignored
        label = self._label(message)
        if not label:
            self._dispatch(message, replaced)
            return
        self._flush_replies()
        start = len(self._out)
        self._dispatch(message, replaced)
        self._flush_replies()
        if self.finished:
            return  # the connection ends with its ERROR: no reply is awaited
        self._labels += 1
        self._out[start:] = labels.label_response(
            self._out[start:],
            me=self.member.client_id,
            formatter=self.formatter,
            label=label,
            reference=f"label{self._labels}",
            server=self.server.name,
            not_responses=self._not_responses,
        )

    def labeled(self, message: Message) -> bool:
        """Whether ``message`` is answered with a labeled response."""
        return bool(self._label(message))

    def holding(self) -> bool:
        """Whether deliveries for others wait to be handed over after this step."""
        return reach_others(self._out, self.member)

    def _label(self, message: Message) -> str:
        """The command's label, if the client negotiated labeled responses."""
        if not message.tags or not {labels.CAPABILITY, "batch"} <= self.capabilities:
            return ""
        return next((value for name, value in message.tags if name == "label"), "")

    def _dispatch(self, message: Message, replaced: bool) -> None:
        if replaced:  # UTF8ONLY: say so, then go on with U+FFFD where the bytes were
            warning = (message.verb, "INVALID_UTF8", "Invalid UTF-8 was replaced")
            self.send(Message("WARN", warning, self.server.name, trailing=True))
        entry = commands.COMMANDS.get(message.verb)
        if entry is None:
            self.numeric(rpl.ERR_UNKNOWNCOMMAND, message.command, "Unknown command")
            return
        if entry.registered and not self.registered:
            self.numeric(rpl.ERR_NOTREGISTERED, "You have not registered")
            return
        if len(message.params) < entry.min_params:
            self.numeric(rpl.ERR_NEEDMOREPARAMS, message.verb, "Not enough parameters")
            return
        if self.registered:
            self.member.last_active = time.monotonic()
        try:
            entry.handler(self, message)
        except errors.ChatError as error:
            commands.report(self, error, message)
        except Exception as exc:  # noqa: BLE001 - a bug costs the command, not the client
            self._failed(message.verb, exc)

    def _failed(self, verb: str, exc: Exception) -> None:
        """Tell the client its command failed; log it, with a traceback the first time."""
        key = (verb, type(exc).__name__)
        if key in _LOGGED_FAILURES:
            log.event(f"{self.member.client_id}: {verb} failed again ({key[1]})")
        else:
            _LOGGED_FAILURES.add(key)
            log.problem(f"{self.member.client_id}: {verb} failed")
        self.numeric(ERR_UNKNOWNERROR, verb, "Could not process the command")

    def is_channel(self, target: str) -> bool:
        return casemap.is_channel(target)
