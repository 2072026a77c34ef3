"""A text-protocol user's side of the conversation: lines in, hub calls, deliveries out.

Theory of operation: each received line is cleaned (no control characters or escapes),
then it is either ``exit``, a ``/command`` looked up in :data:`COMMANDS`, or a chat message
for the user's current room (``//text`` sends a message that starts with ``/``). Handlers
are small functions that read their arguments, call the protocol-neutral actions
(:mod:`chinwag.actions`) or the hub, and render what comes back as the deliveries to
make; a
:class:`~chinwag.hub.errors.ChatError` becomes an error line for the user. The session
holds no socket: the connection that owns it hands the deliveries on.

Users who know IRC are met half-way: a room may be written ``#dev``, ``/list`` lists
rooms, ``/names``, ``/whois`` and ``/query`` work, and arriving in a room (the lobby on
connecting too) shows its topic as IRC clients show 332/333.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from chinwag import actions
from chinwag.hub import errors, modes, names
from chinwag.hub.contract import ChatHub
from chinwag.hub.events import (
    Delivery,
    Farewell,
    Info,
    Negotiation,
    Problem,
    info,
    reach_others,
    to,
)
from chinwag.hub.hub import Member, RoomView
from chinwag.password_guard import TryLater
from chinwag.text.format import TEXT, TextFormatter
from chinwag.text.framing import DEFAULT_MAX_LINE_BYTES, LineBuffer, LineTooLong
from chinwag.text.history import USAGE as HISTORY_USAGE
from chinwag.text.history import history_command
from chinwag.text.sanitize import clean
from chinwag.text.telnet import IAC, TelnetFilter

Handler = Callable[["TextSession", str], list[Delivery]]

# Listings (of rooms, of people) are split into lines no longer than this, so a line
# stays readable and a listing of thousands of rooms is many lines, not one huge one.
LIST_LINE_CHARS = 390


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    usage: str
    summary: str
    operator: bool = False


COMMANDS: dict[str, Command] = {}


def command(
    *aliases: str, usage: str, summary: str, operator: bool = False
) -> Callable[[Handler], Handler]:
    """Register a handler under ``/name`` and any further aliases."""

    def register(handler: Handler) -> Handler:
        entry = Command(aliases[0], handler, usage, summary, operator)
        for alias in aliases:
            COMMANDS[alias] = entry
        return handler

    return register


class TextSession:
    """The command interpreter of one text connection (or of the server console)."""

    formatter: TextFormatter = TEXT

    def __init__(
        self,
        hub: ChatHub,
        member: Member,
        *,
        console: bool = False,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        password_check: Callable[[str], bool] | None = None,
        motd: str = "",
    ) -> None:
        self.hub = hub
        self.member = member
        self.console = console
        self.room: str | None = None if console else names.LOBBY
        self.finished = False
        self._telnet = TelnetFilter()
        self._framer = LineBuffer(max_line_bytes)
        # This step holds deliveries for others: its later messages wait for theirs, so
        # that they are handed over in order (see _say).
        self._holding = False
        self._password_check = password_check  # None once the client is let in
        # The operator writes it (``\\n`` between lines, as in a configuration file): it
        # is cleaned like anything else that reaches a user.
        self._motd = tuple(
            text for line in motd.replace("\\n", "\n").splitlines() if (text := clean(line).strip())
        )

    def start(self) -> list[Delivery]:
        """Greet the client; let it in unless the server wants a password first."""
        if self._password_check is not None:
            return [info(self.member, "This server needs a password: send /pass PASSWORD")]
        return self._enter()

    def _enter(self) -> list[Delivery]:
        try:
            deliveries = self.hub.add(self.member)
        except errors.Banned as banned:
            return self._refused(banned, "banned")
        except errors.TryAgainLater as busy:  # a cluster's server cut off from the rest
            return self._refused(busy, "unavailable")
        nick = self.member.nick
        deliveries.append(
            info(
                self.member,
                f"Welcome to chinwag, {nick}! You are in {names.LOBBY}.",
                "Choose a name with /nick NAME; /help lists the commands.",
            )
        )
        if self._motd:
            deliveries.append(info(self.member, *self._motd))
        replay = actions.joined_replay(self.hub, self.member, names.LOBBY)
        return deliveries + _room_topic(self, names.LOBBY) + replay

    def receive(self, data: bytes) -> list[Delivery]:
        """The deliveries caused by bytes received from the client.

        Telnet commands are taken out first and answered in order with the rest: the
        answer to a timing mark follows the replies to the lines sent before it.
        """
        self._holding = False
        if IAC not in data and self._telnet.idle:
            return self._lines(data)
        deliveries: list[Delivery] = []
        start = 0
        while start < len(data):  # line by line: a line is interpreted at its end
            end = data.find(b"\n", start) + 1 or len(data)
            text, answers = self._telnet.feed(data[start:end])
            if answers:
                deliveries.append(Delivery(Negotiation(answers), to(self.member)))
            deliveries += self._lines(text)
            start = end
        return deliveries

    def _lines(self, data: bytes) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for frame in self._framer.feed(data):
            if isinstance(frame, LineTooLong):
                problem = f"line too long (over {frame.limit} bytes); it was dropped"
                deliveries.append(self.problem(problem))
            else:
                handled = self.handle(frame.text)
                deliveries += handled
                self._holding = self._holding or reach_others(handled, self.member)
        return deliveries

    def tick(self, now: float) -> list[Delivery]:
        """Text clients are never pinged: TCP keepalive finds the dead ones."""
        return []

    def handle(self, line: str) -> list[Delivery]:
        """The deliveries caused by one received line."""
        text = clean(line).strip()
        if not text or self.finished:
            return []
        self.member.last_active = time.monotonic()
        if text.casefold() == "exit":
            return self._quit("")
        if self._password_check is not None:
            return self._authenticate(text)
        return self._go_home() + self._interpret(text)

    def _interpret(self, text: str) -> list[Delivery]:
        try:
            if not text.startswith("/"):  # a message: refused too, in a moderated room say
                return self._say(text)
            if text.startswith("//"):
                return self._say(text[1:])
            name, _, args = text[1:].partition(" ")
            entry = COMMANDS.get(name.casefold())
            if entry is None:
                return [self.problem(f"unknown command /{name}, try /help")]
            return entry.handler(self, args.strip())
        except errors.ChatError as error:
            return [self.problem(str(error))]

    def _go_home(self) -> list[Delivery]:
        """Back to the lobby if a room operator put this user out of their room.

        A text user is always in one room, but IRC users can kick them out of it; that is
        noticed here, at their next line, rather than in the hub, which has no notion of
        a user's "current" room.
        """
        if self.room is None or names.fold(self.room) in self.member.rooms:
            return []
        self.room = names.LOBBY
        if names.fold(names.LOBBY) in self.member.rooms:
            return [info(self.member, f"you are back in {names.LOBBY}")]
        try:
            deliveries = self.hub.join(self.member, names.LOBBY)
        except errors.ChatError as error:
            return [self.problem(f"you are in no room: {error}")]
        back = info(self.member, f"you are back in {names.LOBBY}")
        return [*deliveries, back, *_room_topic(self, names.LOBBY)]

    def _authenticate(self, text: str) -> list[Delivery]:
        command, _, password = text.partition(" ")
        if command.casefold() in {"/quit", "/exit"}:
            return self._quit("")
        if command.casefold() != "/pass" or not password:
            return [self.problem("send /pass PASSWORD first")]
        check = self._password_check
        assert check is not None
        try:
            matched = self.hub.passwords.check(
                self.member.password_attempts,
                lambda: check(password),
                who=self.member.client_id,
                what="server",
            )
        except TryLater as refusal:
            return [self.problem(str(refusal))]
        if not matched:
            self.finished = True
            return [Delivery(Farewell("Wrong password", "wrong password"), to(self.member))]
        self._password_check = None
        return self._enter()

    def _refused(self, refusal: errors.ChatError, reason: str) -> list[Delivery]:
        """A connection kept out (a ban set since it was accepted) is told why."""
        self.finished = True
        return [Delivery(Farewell(str(refusal), reason), to(self.member))]

    def problem(self, text: str) -> Delivery:
        return Delivery(Problem(text), to(self.member))

    def _say(self, text: str) -> list[Delivery]:
        if self.room is None:  # the console has no room: plain text is a notice to all
            return self.hub.wall(self.member, text)
        # Nothing of a message comes back to its sender: the hub may deliver it later,
        # unless what this step holds for others must reach them first.
        return self.hub.say(self.member, self.room, text, reply=self._holding)

    def _quit(self, reason: str) -> list[Delivery]:
        self.finished = True
        goodbye = Farewell(f"Goodbye, {self.member.nick}!", reason)
        return [Delivery(goodbye, to(self.member))]

    @property
    def holding(self) -> bool:
        """Whether this step holds deliveries for others, to be handed over after it."""
        return self._holding

    def current_room(self) -> str:
        if self.room is None:
            raise errors.BadArguments("the console is in no room")
        return self.room


def _require(args: str, usage: str) -> str:
    if not args:
        raise errors.BadArguments(f"usage: {usage}")
    return args


def _split(args: str, usage: str) -> tuple[str, str]:
    first, _, rest = _require(args, usage).partition(" ")
    return first, rest.strip()


def _room(name: str) -> str:
    """A room as the user named it: ``#dev`` is ``dev``, as IRC users write it."""
    return name[1:] if name.startswith("#") and len(name) > 1 else name


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _topic_of(view: RoomView) -> str:
    """``TEXT (set by alice, 2026-11-29 10:05)``; the topic must not be empty."""
    when = f", {view.topic_at:%Y-%m-%d %H:%M}" if view.topic_at is not None else ""
    return f"{view.topic} (set by {view.topic_by}{when})"


def _room_topic(session: TextSession, room: str) -> list[Delivery]:
    """The topic of ``room`` for a user who just came in, as IRC clients are shown it."""
    return _topic_shown(session, actions.view_or_none(session.hub, room, members=False))


def _topic_shown(session: TextSession, view: RoomView | None) -> list[Delivery]:
    if view is None or not view.topic:
        return []
    return [info(session.member, f"topic: {_topic_of(view)}")]


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


# --- commands everyone has ---------------------------------------------------------------


@command("help", usage="/help [COMMAND]", summary="list the commands, or explain one")
def _help(session: TextSession, args: str) -> list[Delivery]:
    if args:
        entry = COMMANDS.get(args.lstrip("/").casefold())
        if entry is None:
            raise errors.BadArguments(f"there is no command /{args.lstrip('/')}")
        aliases = sorted(a for a, c in COMMANDS.items() if c is entry and a != entry.name)
        also = f" (also /{', /'.join(aliases)})" if aliases else ""
        return [info(session.member, f"{entry.usage}: {entry.summary}{also}")]
    lines = ["commands:"]
    for entry in dict.fromkeys(COMMANDS.values()):
        if entry.operator and not session.member.operator:
            continue
        lines.append(f"  {entry.usage:<24} {entry.summary}")
    lines.append("  exit                     leave the chat")
    lines.append("anything else you type is sent to everyone in your room")
    return [info(session.member, *lines)]


@command("nick", usage="/nick NAME", summary="change your name")
def _nick(session: TextSession, args: str) -> list[Delivery]:
    return session.hub.rename(session.member, _require(args, "/nick NAME"))


@command("who", "users", usage="/who [ROOM]", summary="who is in your room")
def _who(session: TextSession, args: str) -> list[Delivery]:
    # Whom this user may see is the hub's decision (secret rooms, invisible users).
    if args:
        where = _room(args)
        names.check_room(where)
        seen = session.hub.who(session.member, where)
    elif session.room is None:
        seen, where = session.hub.who_all(session.member), "the chat"
    else:
        seen, where = session.hub.who(session.member, session.room), session.room
    now = time.monotonic()
    lines = [f"{_plural(len(seen), 'user')} in {where}:"]
    for m in sorted(seen, key=lambda m: names.fold(m.nick)):
        role = " (operator)" if m.operator else ""
        since = m.connected_at.strftime("%H:%M:%S")
        away = f", away: {m.away}" if m.away else ""
        idle = _duration(m.idle(now))
        lines.append(f"  {m.nick}{role} - connected {since}, idle {idle}{away}")
    return [info(session.member, *lines)]


@command("names", usage="/names [ROOM]", summary="the names of those in your room, on one line")
def _names(session: TextSession, args: str) -> list[Delivery]:
    room = _room(args) if args else session.current_room()
    names.check_room(room)
    seen = sorted(session.hub.who(session.member, room), key=lambda s: names.fold(s.nick))
    if not seen:  # no such room, a secret one, or nobody the user may see there
        return [info(session.member, f"nobody to list in {room}")]
    listing = [entry.marks[:1] + entry.nick for entry in seen]
    return [info(session.member, *_wrap(f"{room} ({len(seen)}): ", listing))]


@command("whois", usage="/whois NAME", summary="who a user is: rooms, connected, idle, away")
def _whois(session: TextSession, args: str) -> list[Delivery]:
    nick = _require(args, "/whois NAME").partition(" ")[0]
    view = session.hub.whois(session.member, nick)
    rooms = ", ".join(marks[:1] + room for room, marks in view.rooms) or "none you can see"
    lines = [
        f"{view.nick}" + (" (server operator)" if view.operator else ""),
        f"  rooms: {rooms}",
        f"  connected since {view.connected_at:%Y-%m-%d %H:%M:%S}, idle {_duration(view.idle)}",
    ]
    if view.away:
        lines.append(f"  away: {view.away}")
    return [info(session.member, *lines)]


@command("rooms", "list", usage="/rooms", summary="the rooms and how many are in each")
def _rooms(session: TextSession, args: str) -> list[Delivery]:
    listing = [
        f"{view.name} ({len(view.members)})" for view in session.hub.room_views(session.member)
    ]
    return [info(session.member, *_wrap("rooms: ", listing))]


def _wrap(heading: str, items: list[str], width: int = LIST_LINE_CHARS) -> list[str]:
    """``items`` joined by commas into lines of at most ``width`` characters (unless one
    item is longer): the first after ``heading``, the others indented."""
    lines: list[str] = []
    line = heading
    for item in items:
        if line.strip() and len(line) + len(item) + 1 > width:
            lines.append(line.removesuffix(" "))
            line = "  "
        line += item + ", "
    lines.append(line.removesuffix(", "))
    return lines


@command("join", usage="/join ROOM [KEY]", summary="move to another room (made if new)")
def _join(session: TextSession, args: str) -> list[Delivery]:
    target, key = _split(args, "/join ROOM [KEY]")
    target = _room(target)
    if key and not _needs_key(session, target):
        names.check_room(_room(args))  # "/join my room" is a room name with a space, not a key
    if " " in key:
        raise errors.BadArguments("usage: /join ROOM [KEY]")
    current = session.current_room()
    names.check_room(target)
    if names.fold(target) == names.fold(current):
        raise errors.AlreadyInRoom(f"you are already in {current}")
    entered = actions.join(session.hub, session.member, target, key)
    deliveries = entered.deliveries + session.hub.part(session.member, current)
    session.room = entered.name
    count = len(entered.view.members) if entered.view is not None else 0
    deliveries.append(info(session.member, f"you are now in {session.room} ({count} here)"))
    return deliveries + _topic_shown(session, entered.view) + entered.replay


def _needs_key(session: TextSession, room: str) -> bool:
    try:
        names.check_room(room)
    except errors.ChatError:
        return False
    return session.hub.needs_key(room)


@command("leave", "part", usage="/leave [ROOM]", summary="leave your room for the lobby")
def _leave(session: TextSession, args: str) -> list[Delivery]:
    current = session.current_room()
    room = _room(args.strip()) if args.strip() else current
    # A text user is in one room, the one they talk in: only that one can be left.
    if names.fold(room) != names.fold(current):
        raise errors.NotInRoom(f"you are not in {room}")
    if names.fold(current) == names.fold(names.LOBBY):
        raise errors.AlreadyInRoom("you are in the lobby already")
    return _join(session, names.LOBBY)


@command("msg", "tell", "query", usage="/msg NAME TEXT", summary="a private message to one user")
def _msg(session: TextSession, args: str) -> list[Delivery]:
    nick, text = _split(args, "/msg NAME TEXT")
    if not text:
        raise errors.BadArguments("usage: /msg NAME TEXT")
    deliveries = session.hub.tell(session.member, nick, text, reply=session.holding)
    # As IRC's 301: the sender learns the message waits, and why.
    away = actions.away(session.hub, nick)
    if away is not None:
        deliveries.append(info(session.member, f"{away.nick} is away: {away.message}"))
    return deliveries


command("history", usage=HISTORY_USAGE, summary="the last messages of your room, or with NAME")(
    history_command
)


@command("me", usage="/me ACTION", summary="describe what you do: /me waves")
def _me(session: TextSession, args: str) -> list[Delivery]:
    text = _require(args, "/me ACTION")
    room = session.current_room()
    return session.hub.say(session.member, room, text, action=True, reply=session.holding)


@command("quit", "exit", usage="/quit [REASON]", summary="leave the chat")
def _quit(session: TextSession, args: str) -> list[Delivery]:
    return session._quit(args)


@command("op", usage="/op PASSWORD", summary="become an operator")
def _op(session: TextSession, args: str) -> list[Delivery]:
    return session.hub.authenticate_operator(session.member, _require(args, "/op PASSWORD"))


# --- operator commands -------------------------------------------------------------------


@command("kick", usage="/kick NAME [REASON]", summary="disconnect a user", operator=True)
def _kick(session: TextSession, args: str) -> list[Delivery]:
    nick, reason = _split(args, "/kick NAME [REASON]")
    return session.hub.kick(session.member, nick, reason)


@command(
    "ban",
    usage="/ban NAME|IP[/BITS] [MINUTES] [force]",
    summary="ban an address or network and disconnect it",
    operator=True,
)
def _ban(session: TextSession, args: str) -> list[Delivery]:
    usage = "/ban NAME|IP[/BITS] [MINUTES] [force]"
    target, *rest = _require(args, usage).split()
    force = bool(rest) and rest[-1].casefold() == "force"
    if force:
        rest.pop()
    if len(rest) > 1:
        raise errors.BadArguments(f"usage: {usage}")
    minutes: float | None = None
    if rest:
        try:
            minutes = float(rest[0])
        except ValueError:
            raise errors.BadArguments(f"usage: {usage}") from None
        if not 0 < minutes < 10**7:
            raise errors.BadArguments("the minutes must be a positive number")
    try:
        return actions.ban(session.hub, session.member, target, minutes, force=force)
    except errors.WouldBanYourself as refusal:
        if refusal.nick:
            who = f"{refusal.nick} connects from your address"
        else:
            who = f"{target} covers your own address"
        raise errors.BadArguments(
            f"{who} ({refusal.address}): the ban would shut you out too;"
            f" /ban {args} force bans it anyway"
        ) from None


@command("unban", usage="/unban IP|NAME", summary="lift a ban", operator=True)
def _unban(session: TextSession, args: str) -> list[Delivery]:
    return session.hub.unban(session.member, _require(args, "/unban IP|NAME"))


@command("bans", usage="/bans", summary="the bans in force", operator=True)
def _bans(session: TextSession, args: str) -> list[Delivery]:
    bans = session.hub.ban_list(session.member)
    if not bans:
        return [info(session.member, "no bans")]
    lines = []
    for ban in bans:
        until = (
            "for good"
            if ban.until is None
            else time.strftime("until %H:%M:%S", time.localtime(ban.until))
        )
        who = f" ({ban.nick})" if ban.nick else ""
        lines.append(f"{ban.address}{who} by {ban.by} {until}")
    return [Delivery(Info(tuple(lines)), to(session.member))]


@command("wall", usage="/wall TEXT", summary="a notice to everyone on the server", operator=True)
def _wall(session: TextSession, args: str) -> list[Delivery]:
    return session.hub.wall(session.member, _require(args, "/wall TEXT"))


# --- room settings, shared with IRC users ------------------------------------------------


def _named_room(session: TextSession, args: str) -> tuple[str, str]:
    """The room a command names IRC's way, with a leading ``#`` (``/topic #dev TEXT``),
    and the rest of its arguments; without one, the user's own room."""
    if args.startswith("#") and len(args) > 1:
        first, _, rest = args.partition(" ")
        room = _room(first)
        names.check_room(room)
        return room, rest.strip()
    return session.current_room(), args


@command("topic", usage="/topic [#ROOM] [TEXT]", summary="show or set your room's topic")
def _topic(session: TextSession, args: str) -> list[Delivery]:
    room, text = _named_room(session, args)
    if text:
        return session.hub.set_topic(session.member, room, text)
    view = actions.visible_room(session.hub, session.member, room)
    if not view.topic:
        return [info(session.member, f"{view.name} has no topic")]
    return [info(session.member, f"topic of {view.name}: {_topic_of(view)}")]


@command("away", usage="/away [MESSAGE]", summary="mark yourself away, or back without one")
def _away(session: TextSession, args: str) -> list[Delivery]:
    deliveries = session.hub.set_away(session.member, args)
    state = f"you are marked away: {args}" if args else "you are no longer marked away"
    return [*deliveries, info(session.member, state)]


@command("invite", usage="/invite NAME [#ROOM]", summary="invite a user into your room")
def _invite(session: TextSession, args: str) -> list[Delivery]:
    nick, rest = _split(args, "/invite NAME [#ROOM]")
    if " " in rest:
        raise errors.BadArguments("usage: /invite NAME [#ROOM]")
    room = _room(rest) if rest else session.current_room()
    invitation = actions.invite(session.hub, session.member, nick, room)
    return [*invitation.deliveries, info(session.member, f"{nick} is invited to {room}")]


@command(
    "mode",
    usage="/mode [#ROOM] [+-FLAGS]",
    summary="show or change your room's modes (+k KEY, +l N, +b MASK, +o NAME, +imnst)",
)
def _mode(session: TextSession, args: str) -> list[Delivery]:
    room, args = _named_room(session, args)
    if not args:
        view = actions.visible_room(session.hub, session.member, room)
        return [info(session.member, f"modes of {view.name}: {actions.modes_shown(view)}")]
    letters, *arguments = args.split()
    changes: list[modes.ModeChange] = []
    for item in actions.read_modes(letters, arguments):
        # The whole line is refused at its first mistake: nothing of it is applied.
        if isinstance(item, errors.ChatError):
            raise item
        if isinstance(item, actions.ListAsked):
            raise errors.MissingModeArgument(f"mode {item.letter} needs an argument", item.letter)
        changes.append(item)
    deliveries = session.hub.change_modes(session.member, room, changes)
    # The hub leaves out changes that change nothing; the user still gets an answer.
    return deliveries or [info(session.member, f"the modes of {room} are unchanged")]
