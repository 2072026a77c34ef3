"""Fixtures for the IRC tests: in-memory sessions on a hub, and a real server on loopback.

Unit tests drive :class:`~chinwag.irc.session.IrcSession` with bytes and read what its
client would receive, with the real dispatcher and no sockets. Integration tests start a
:class:`~chinwag.server.server.ChatServer` with an IRC listener on 127.0.0.1 port 0 and
stop it afterwards.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from chinwag.config import Config
from chinwag.hub.hub import Hub, Member
from chinwag.hub.visibility import cloak
from chinwag.irc.listener import irc_refusal, irc_sessions
from chinwag.irc.session import IrcSession, ServerInfo
from chinwag.server.dispatch import deliver
from chinwag.server.router import Router
from chinwag.server.server import ChatServer
from chinwag.text.session import TextSession
from tests.support import DEADLINE, LineClient, wait_for

__all__ = ["DEADLINE", "HOST", "IRC_CONFIG", "IrcHarness", "LineSocket", "wait_for"]

# A fixed cloak secret, so the in-memory tests know the host others see for 127.0.0.1.
CLOAK_SECRET = b"the irc tests' cloak secret"
HOST = cloak(CLOAK_SECRET, "127.0.0.1")
UNIT_CONFIG = Config(host="127.0.0.1", port=0, console=False, server_name="irc.test")
IRC_CONFIG = Config(host="127.0.0.1", port=0, console=False, server_name="irc.test", flood_burst=0)


# --- in-memory clients -------------------------------------------------------------------


class MemoryEndpoint:
    """What a connection would be to the dispatcher: collects the bytes sent to it."""

    def __init__(self, hub: Hub, router: Router) -> None:
        self.hub = hub
        self.router = router
        self.data = b""
        self.closed = ""
        self.member: Member
        self.session: IrcSession | TextSession

    @property
    def formatter(self):  # type: ignore[no-untyped-def]
        return self.session.formatter

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.data += data

    def close(self, reason: str, last_words: bytes = b"") -> None:
        if not self.closed:
            self.data += last_words
            self.closed = reason or "closed"
            deliver(self.hub.remove(self.member, reason), self.router)


class MemoryClient:
    """A client of either protocol, driven with lines and read line by line."""

    def __init__(self, endpoint: MemoryEndpoint) -> None:
        self.endpoint = endpoint
        self.session = endpoint.session
        self.member = endpoint.member
        self._read = 0

    def send(self, *lines: str) -> None:
        data = "".join(line + "\r\n" for line in lines).encode()
        deliver(self.session.receive(data), self.endpoint.router)

    def lines(self) -> list[str]:
        """Lines received since the last call."""
        text = self.endpoint.data.decode("utf-8", "replace")
        new = text[self._read :]
        self._read = len(text)
        return [line for line in new.split("\r\n") if line]

    def numerics(self) -> list[str]:
        """The numeric codes (or commands) of the lines received since the last call."""
        return [_verb(line) for line in self.lines()]

    def tick(self, now: float) -> None:
        deliver(self.session.tick(now), self.endpoint.router)

    @property
    def closed(self) -> str:
        return self.endpoint.closed


def _verb(line: str) -> str:
    words = line.split(" ")
    if words[0].startswith("@"):
        words = words[1:]
    return words[1] if words[0].startswith(":") else words[0]


class World:
    """One hub with IRC and text clients attached in memory."""

    def __init__(self, config: Config = UNIT_CONFIG, hub: Hub | None = None) -> None:
        self.hub = hub or Hub(cloak_secret=CLOAK_SECRET)
        self.server = ServerInfo(config)
        self._ids = itertools.count(1)
        self.router = Router()

    def _endpoint(self) -> tuple[MemoryEndpoint, Member]:
        endpoint = MemoryEndpoint(self.hub, self.router)
        member = Member(f"Client-{next(self._ids)}", "127.0.0.1")
        self.router.add(member.client_id, endpoint)
        endpoint.member = member
        return endpoint, member

    def irc(self, nick: str | None = None, *, user: str = "user") -> MemoryClient:
        """An IRC client, registered as ``nick`` (its burst already read) if given."""
        endpoint, member = self._endpoint()
        endpoint.session = IrcSession(self.hub, member, self.server)
        client = MemoryClient(endpoint)
        deliver(endpoint.session.start(), self.router)
        if nick is not None:
            client.send(f"NICK {nick}", f"USER {user} 0 * :{nick} Real")
            assert "001" in client.numerics()
        return client

    def in_channel(self, channel: str, *nicks: str) -> list[MemoryClient]:
        """IRC clients registered as ``nicks``, each having joined ``channel`` (what that
        told them already read)."""
        clients = [self.irc(nick) for nick in nicks]
        for client in clients:
            client.send(f"JOIN {channel}")
        for client in clients:
            client.lines()
        return clients

    def text(self, nick: str | None = None) -> MemoryClient:
        endpoint, member = self._endpoint()
        endpoint.session = TextSession(self.hub, member)
        client = MemoryClient(endpoint)
        deliver(endpoint.session.start(), self.router)
        if nick is not None:
            client.send(f"/nick {nick}")
        client.lines()
        return client


@pytest.fixture
def world() -> World:
    return World()


# --- a real server -----------------------------------------------------------------------


class LineSocket(LineClient):
    """A raw IRC client socket: lines end with CRLF."""

    EOL = "\r\n"
    ROUND_TRIP = ("PING :round-trip", r" PONG .*round-trip$")


class IrcHarness:
    """A started server with text and IRC listeners, and the sockets a test opened."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server
        self.sockets: list[LineSocket] = []

    @property
    def irc_address(self) -> tuple[str, int]:
        return self.server.listener_address("irc")

    def raw_irc(self) -> LineSocket:
        client = LineSocket(self.irc_address)
        self.sockets.append(client)
        return client

    def irc(self, nick: str) -> LineSocket:
        client = self.raw_irc()
        client.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        client.expect(r" 001 ")
        client.expect(r" (376|422) ")
        return client

    def text(self, nick: str) -> LineSocket:
        client = LineSocket(self.server.address)
        self.sockets.append(client)
        client.expect(r"^\* Welcome to chinwag")
        client.send(f"/nick {nick}")
        client.expect(f"you are now known as {nick}")
        return client

    def close(self) -> None:
        for client in self.sockets:
            client.close()


@pytest.fixture
def make_irc_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., IrcHarness]]:
    started: list[IrcHarness] = []

    def make(housekeeping_seconds: float = 0.05, **overrides: object) -> IrcHarness:
        # Each server has its own data directory: the database is exercised, in private.
        overrides.setdefault("data_dir", str(tmp_path_factory.mktemp("data")))
        config = replace(IRC_CONFIG, **overrides)  # type: ignore[arg-type]
        server = ChatServer(config, housekeeping_seconds=housekeeping_seconds)
        server.add_listener("irc", 0, irc_sessions(config), refusal=irc_refusal)
        harness = IrcHarness(server)
        started.append(harness)
        server.start()
        return harness

    yield make
    for harness in started:
        harness.close()
        harness.server.shutdown()


@pytest.fixture
def irc_server(make_irc_server: Callable[..., IrcHarness]) -> IrcHarness:
    return make_irc_server()
