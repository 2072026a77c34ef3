"""Stand-ins for connections, so the hub and sessions run with no sockets and no threads."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from chinwag.hub.events import Audience, Delivery, Event, ToRoom
from chinwag.hub.hub import Hub, Member
from chinwag.password_guard import PasswordGuard
from chinwag.server.dispatch import deliver
from chinwag.server.router import Router
from chinwag.text.format import EOL, TEXT
from chinwag.text.session import TextSession

# A fixed clock makes every time stamp in a rendered line predictable.
NOON = datetime(2026, 11, 21, 12, 34, 56)
STAMP = "[12:34:56]"


def fixed_clock() -> datetime:
    return NOON


class Clock:
    """A monotonic clock that moves only when a test sets ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeEndpoint:
    """Records what a connection would have sent, and whether (and why) it was closed."""

    formatter = TEXT

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: str | None = None

    def send(self, data: bytes) -> None:
        if self.closed is None:  # like a real connection, a closed one receives nothing
            self.sent.append(data)

    def close(self, reason: str, last_words: bytes = b"") -> None:
        if self.closed is None and last_words:
            self.sent.append(last_words)
        self.closed = reason

    def take_lines(self) -> list[str]:
        """The lines received since the last call, without their line ends."""
        text = b"".join(self.sent).decode("utf-8")
        self.sent.clear()
        assert not text or text.endswith(EOL), "every line ends with CRLF"
        return text.split(EOL)[:-1]


# Every member made here by id, so that audiences (which name members by id) can be
# told back as members: the latest member made under an id is the one meant.
_MADE: dict[str, Member] = {}


def make_member(client_id: str, address: str = "10.0.0.1") -> Member:
    member = _MADE[client_id] = Member(client_id, address)
    return member


def audience_ids(audience: Audience) -> tuple[str, ...]:
    return audience.members if isinstance(audience, ToRoom) else audience.ids


def fan_out(deliveries: Iterable[Delivery]) -> dict[Member, list[Event]]:
    """Who receives which events, in order, as the dispatcher would hand them out."""
    inbox: dict[Member, list[Event]] = defaultdict(list)
    for delivery in deliveries:
        for member_id in audience_ids(delivery.audience):
            if member_id != delivery.exclude:
                inbox[_MADE[member_id]].append(delivery.event)
    return dict(inbox)


class User:
    """One text client: a member with a fake endpoint and its session."""

    def __init__(
        self, chat: Chat, member: Member, session: TextSession, endpoint: FakeEndpoint
    ) -> None:
        self.chat = chat
        self.member = member
        self.session = session
        self.endpoint = endpoint

    def send(self, line: str) -> None:
        self.chat.run(self.session.handle(line))

    def lines(self) -> list[str]:
        return self.endpoint.take_lines()

    @property
    def nick(self) -> str:
        return self.member.nick


class Chat:
    """A real hub and real sessions, wired to fake endpoints the way the server wires them.

    Like a server connection, a user whose endpoint was closed (after ``/quit``, a kick or
    a ban) leaves the hub with the close reason.
    """

    def __init__(
        self, oper_password_hash: str = "", passwords: PasswordGuard | None = None
    ) -> None:
        self.hub = Hub(
            oper_password_hash=oper_password_hash, clock=fixed_clock, passwords=passwords
        )
        self._numbers = itertools.count(1)
        self.users: list[User] = []
        self.router = Router()

    def connect(self, address: str = "10.0.0.1", *, console: bool = False) -> User:
        client_id = "server" if console else f"Client-{next(self._numbers)}"
        member = Member(client_id, address)
        endpoint = FakeEndpoint()
        self.router.add(client_id, endpoint)
        session = TextSession(self.hub, member, console=console)
        user = User(self, member, session, endpoint)
        if console:
            member.operator = True  # the console is an operator and never enters the hub
        else:
            self.users.append(user)
            self.run(session.start())
        return user

    def run(self, deliveries: list[Delivery]) -> None:
        deliver(deliveries, self.router)
        for user in list(self.users):
            if user.endpoint.closed is not None:
                self.users.remove(user)
                deliver(self.hub.remove(user.member, user.endpoint.closed), self.router)
                self.router.remove(user.member.client_id)

    def clear(self) -> None:
        for user in self.users:
            user.lines()
