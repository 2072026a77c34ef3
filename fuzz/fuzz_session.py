"""Fuzz target: the text command interpreter (``TextSession``) on a real ``Hub``.

A few users, each a ``TextSession`` with a fake endpoint that records what it is sent,
take turns sending fuzzer-chosen input: whole lines through :meth:`TextSession.handle` or
raw bytes through :meth:`TextSession.receive`. One user is an operator so the operator
commands are reached too; every other user must first give the server password
(``/pass``). A user who quits, or is kicked or banned, leaves the hub the way a connection
does (``Hub.remove``) and a new user connects in their place.

Invariants checked after every step:

* nothing raises; every non-blank line is answered (returns at least one delivery);
* everything sent to any user is CRLF-terminated text with no control character or
  escape sequence in it (tab excepted), so no user can reach another's terminal, besides
  the answers to the user's own telnet commands;
* the hub is consistent: every connected user is registered under their nick and in
  exactly the room their session thinks, rooms list exactly their members, no empty room
  survives but the lobby, and nobody who left is still anywhere (no ghosts);
* a user who has not given the server password is nowhere in the hub;
* every departure is announced exactly once to each user who shared a room with the
  leaver, and to nobody else.

Run: ``python fuzz/fuzz_session.py -atheris_runs=20000`` or ``-max_total_time=60``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

import atheris

with atheris.instrument_imports(include=["chinwag"]):
    from chinwag.hub import names
    from chinwag.hub.events import Delivery, Quit
    from chinwag.hub.hub import Hub, Member
    from chinwag.server.dispatch import deliver
    from chinwag.server.router import Router
    from chinwag.text.format import TEXT, TextFormatter
    from chinwag.text.sanitize import clean
    from chinwag.text.session import COMMANDS, TextSession

USERS = 3
MAX_STEPS = 24
ADDRESSES = ("127.0.0.1", "127.0.0.2")
PASSWORD = "sesame"
# Words the fuzzer would take long to invent: commands, and names that already exist.
COMMAND_WORDS = [*(f"/{name}" for name in COMMANDS), "exit", "/nosuch", "/pass", "/PASS"]
WORDS = (
    "//",
    "lobby",
    "Lobby",
    "room",
    "ROOM",
    "Client-1",
    "client-2",
    "alice",
    "ALICE",
    "server",
    "127.0.0.1",
    "127.0.0.2",
    "5",
    "nan",
    PASSWORD,
    "\x1b[2J",
    "\u202e",
)


class FakeEndpoint:
    """Records the bytes a user would be sent, and whether the server closed it."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed_reason: str | None = None

    @property
    def formatter(self) -> TextFormatter:
        return TEXT

    def send(self, data: bytes) -> None:
        # Like a connection's outbox: once closed, nothing more is queued. (A user closed
        # in the same step as another still hears of the other's departure.)
        if self.closed_reason is None:
            self.data += data

    def close(self, reason: str, last_words: bytes = b"") -> None:
        if self.closed_reason is None:
            self.data += last_words
            self.closed_reason = reason


class World:
    """The hub and the users connected to it."""

    def __init__(self) -> None:
        self.hub = Hub()
        self.counter = 0
        self.sessions: list[TextSession] = []
        self.gone: list[Member] = []
        self.router = Router()
        for index in range(USERS):
            self.connect(operator=index == 0)

    def connect(self, *, operator: bool = False) -> None:
        """A new user; every other one must first give the server password."""
        self.counter += 1
        member = Member(f"Client-{self.counter}", ADDRESSES[self.counter % len(ADDRESSES)])
        self.router.add(member.client_id, FakeEndpoint())
        member.operator = operator  # as authenticate_operator would, without the slow scrypt
        gated = self.counter % 2 == 0
        session = TextSession(
            self.hub,
            member,
            max_line_bytes=64,
            password_check=(lambda password: password == PASSWORD) if gated else None,
        )
        self.sessions.append(session)
        self.deliver(session.start())

    def deliver(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            # Departures are announced by Hub.remove alone, which settle() calls.
            assert not isinstance(delivery.event, Quit), delivery
        deliver(deliveries, self.router)

    def endpoint(self, member: Member) -> FakeEndpoint:
        endpoint = self.router.endpoint(member.client_id)
        assert isinstance(endpoint, FakeEndpoint)
        return endpoint

    def settle(self) -> None:
        """Users who quit or were closed leave the hub, as their connection thread would."""
        for session in list(self.sessions):
            endpoint = self.endpoint(session.member)
            if session.finished or endpoint.closed_reason is not None:
                self.sessions.remove(session)
                self.gone.append(session.member)
                rooms = self.hub._rooms
                sharing = {m for key in session.member.rooms for m in rooms[key].snapshot}
                sharing.discard(session.member)
                departures = self.hub.remove(session.member, endpoint.closed_reason or "")
                assert all(isinstance(d.event, Quit) for d in departures), departures
                # Everyone who shared a room is told, once; nobody else is.
                told = [m for delivery in departures for m in delivery.audience.ids]  # type: ignore[union-attr]
                assert sorted(told) == sorted(m.client_id for m in sharing), (told, sharing)
                deliver(departures, self.router)
                self.connect()


# The server's answers to telnet commands (IAC WILL/WONT/DONT option): never in UTF-8
# text, which has no byte 255, so they can be told apart and set aside.
TELNET_ANSWER = re.compile(rb"\xff[\xfb\xfc\xfe][\x00-\xff]")


def check_output(data: bytes) -> None:
    data = TELNET_ANSWER.sub(b"", data)
    assert not data or data.endswith(b"\r\n"), data[-80:]
    for line in data.decode("utf-8").split("\r\n"):
        for char in line:
            assert char == "\t" or not (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F), line
            assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", line


def check_hub(world: World) -> None:
    """The hub's private state agrees with itself and with the users connected."""
    hub = world.hub
    registered = hub._members
    rooms = hub._rooms
    # A user still asked for the server password is not in the chat yet.
    waiting = {s.member for s in world.sessions if s._password_check is not None}
    live = {session.member for session in world.sessions} - waiting
    assert set(registered.values()) == live, (registered, live)
    for key, member in registered.items():
        assert key == names.fold(member.nick), (key, member)
    assert names.fold(names.LOBBY) in rooms
    for key, room in rooms.items():
        assert key == names.fold(room.name)
        assert len(room) or room.name == names.LOBBY, f"empty room {room.name} kept"
        assert room.snapshot == tuple(room._members), room.name
        for member in room.snapshot:
            assert member in live, f"ghost {member} in {room.name}"
            assert member.rooms.get(key) == room.name, (member, member.rooms, room.name)
    for session in world.sessions:
        member = session.member
        if member in waiting:
            assert not member.rooms, (member, member.rooms)
            continue
        assert session.room is not None
        assert list(member.rooms) == [names.fold(session.room)], (member.rooms, session.room)
        assert member in rooms[names.fold(session.room)].snapshot
    for member in world.gone:
        assert not member.rooms, f"{member} left but is still in {member.rooms}"


def next_input(fdp: atheris.FuzzedDataProvider, world: World) -> str:
    """A line: mostly a command with plausible arguments, sometimes anything at all."""
    shape = fdp.ConsumeIntInRange(0, 3)
    if shape == 0:
        # Lines from the network are decoded with "replace": never a lone surrogate.
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 48))
    nicks = [session.member.nick for session in world.sessions]
    vocabulary = [*WORDS, *nicks]
    parts = [fdp.PickValueInList(COMMAND_WORDS)] if shape < 3 else []
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        if fdp.ConsumeIntInRange(0, 3):
            parts.append(fdp.PickValueInList(vocabulary))
        else:
            parts.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 16)))
    return " ".join(parts)


def test_one_input(raw: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(raw)
    world = World()
    for _ in range(fdp.ConsumeIntInRange(1, MAX_STEPS)):
        if not fdp.remaining_bytes():
            break
        session = world.sessions[fdp.ConsumeIntInRange(0, len(world.sessions) - 1)]
        if fdp.ConsumeBool():
            line = next_input(fdp, world)
            deliveries = session.handle(line)
            if clean(line).strip():
                assert deliveries, f"no answer to {line!r}"
        else:
            data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 96))
            deliveries = session.receive(data)
        world.deliver(deliveries)
        world.settle()
        check_hub(world)
    for member in [session.member for session in world.sessions] + world.gone:
        endpoint = world.endpoint(member)
        check_output(bytes(endpoint.data))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
