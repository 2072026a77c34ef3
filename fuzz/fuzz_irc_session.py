"""Fuzz target: IRC sessions (``IrcSession``), registered or not, on a real ``Hub``.

Four clients share a hub whose server asks for a password: one registered and in two
channels, one that has given the password but not registered, one that has given
nothing yet, and a text user. They take turns sending fuzzer-chosen bytes or lines
made of commands, plausible words and anything at all (spaces, leading ``:``, empty
parameters, Unicode digits, control characters).

Invariants checked after every step:

* nothing raises out of ``receive``, and no handler fails (no 400 reply);
* everything sent to an IRC client is CRLF-terminated lines of at most 512 bytes
  (tags aside), each one valid IRC message with no CR, LF or NUL inside;
* a client that has not given the password is not in the hub and is not told that a
  nick it asked for is taken (no 433).

Run: ``python fuzz/fuzz_irc_session.py -atheris_runs=20000`` or ``-max_total_time=60``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["chinwag"]):
    from chinwag.config import Config
    from chinwag.hub.hub import Hub, Member
    from chinwag.irc.commands import COMMANDS
    from chinwag.irc.message import MAX_LINE_BYTES, ParseError, parse
    from chinwag.irc.session import IrcSession, ServerInfo
    from chinwag.server.dispatch import deliver
    from chinwag.server.router import Router
    from chinwag.text.format import TEXT
    from chinwag.text.session import TextSession

PASSWORD = "sesame"
MAX_STEPS = 16
CONFIG = Config(host="127.0.0.1", port=0, console=False, server_name="irc.test", password=PASSWORD)
VERBS = [*COMMANDS, "FOO", "cap", "nick"]
WORDS = (
    "#lobby", "#room", "lobby", "alice", "ALICE", "carol", "*", "0", "+k", "-k", "+l", "+b",
    "+bb", "+o", "-v", "+imnst", "²", "٣", ":", "::x", ":a b", "a,b", "#a,#b", "LS", "302",
    "REQ", "END", "server-time", PASSWORD, "", " ", "\x01", "\x03", "\t", "\u202e",
)  # fmt: skip


class FakeEndpoint:
    """Records the bytes a client would be sent."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.session: IrcSession | TextSession | None = None

    @property
    def formatter(self):  # type: ignore[no-untyped-def]
        return self.session.formatter if self.session is not None else TEXT

    def send(self, data: bytes) -> None:
        if not self.closed:
            self.data += data

    def close(self, reason: str, last_words: bytes = b"") -> None:
        if not self.closed:
            self.data += last_words
            self.closed = True


def connect(hub: Hub, router: Router, server: ServerInfo, number: int, *lines: str) -> IrcSession:
    endpoint = FakeEndpoint()
    member = Member(f"Client-{number}", "127.0.0.1")
    router.add(member.client_id, endpoint)
    session = endpoint.session = IrcSession(hub, member, server)
    deliver(session.receive("".join(line + "\r\n" for line in lines).encode()), router)
    endpoint.data.clear()
    return session


def next_line(fdp: atheris.FuzzedDataProvider) -> bytes:
    if fdp.ConsumeIntInRange(0, 3) == 0:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 96))
    parts = [fdp.PickValueInList(VERBS)]
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        if fdp.ConsumeBool():
            parts.append(fdp.PickValueInList(list(WORDS)))
        else:
            parts.append(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12)))
    if fdp.ConsumeBool():
        parts.append(":" + fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 24)))
    return (" ".join(parts) + "\r\n").encode("utf-8", "surrogatepass")


def check_irc_output(data: bytes, *, told_nothing: bool) -> None:
    assert not data or data.endswith(b"\r\n"), data[-80:]
    for line in data.decode("utf-8").split("\r\n")[:-1]:
        body = line.partition(" ")[2] if line.startswith("@") else line
        assert len(body.encode("utf-8")) + 2 <= MAX_LINE_BYTES, line
        assert "\r" not in line and "\0" not in line, line
        try:
            message = parse(line)
        except ParseError as exc:
            raise AssertionError(line) from exc
        assert message.command != "400", line
        if told_nothing:
            assert message.command not in ("433", "001"), line


def test_one_input(raw: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(raw)
    hub = Hub()
    server = ServerInfo(CONFIG)
    router = Router()
    alice = connect(hub, router, server, 1, f"PASS {PASSWORD}", "NICK alice", "USER a 0 * :A")
    deliver(alice.receive(b"JOIN #room,#lobby\r\n"), router)
    waiting = connect(hub, router, server, 2, f"PASS {PASSWORD}")
    stranger = connect(hub, router, server, 3)
    text_endpoint = FakeEndpoint()
    text = TextSession(hub, Member("Client-4", "127.0.0.2"))
    router.add("Client-4", text_endpoint)
    text_endpoint.session = text
    deliver(text.start(), router)
    deliver(text.handle("/nick carol"), router)
    sessions: list[IrcSession | TextSession] = [alice, waiting, stranger, text]
    for _ in range(fdp.ConsumeIntInRange(1, MAX_STEPS)):
        if not fdp.remaining_bytes():
            break
        session = sessions[fdp.ConsumeIntInRange(0, len(sessions) - 1)]
        deliver(session.receive(next_line(fdp)), router)
    for session in (alice, waiting, stranger):
        endpoint = router.endpoint(session.member.client_id)
        assert isinstance(endpoint, FakeEndpoint)
        told_nothing = session is stranger and not session.password_accepted
        check_irc_output(bytes(endpoint.data), told_nothing=told_nothing)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
