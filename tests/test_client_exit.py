"""How pipe mode ends: it waits for a busy server, and its exit code says what happened."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from chinwag.client.link import End, Ended, Link
from chinwag.config import Config
from chinwag.hub.bans import Ban
from chinwag.passwords import hash_password
from chinwag.server.console import Console
from chinwag.server.dispatch import deliver
from chinwag.server.server import ChatServer
from tests.client_support import STAMP, PipeClient, RawClient

Start = Callable[..., PipeClient]


def serving(**settings: object) -> ChatServer:
    server = ChatServer(Config(host="127.0.0.1", port=0, console=False, data_dir="", **settings))  # type: ignore[arg-type]
    server.start()
    return server


@pytest.fixture
def servers() -> Iterator[Callable[..., ChatServer]]:
    started: list[ChatServer] = []

    def start(**settings: object) -> ChatServer:
        started.append(serving(**settings))
        return started[-1]

    yield start
    for server in started:
        server.shutdown()


def test_pipe_mode_waits_for_a_server_that_paces_a_flood(
    servers: Callable[..., ChatServer], pipe_clients: Start
) -> None:
    # One line a second after the first: the replies come long after the 5 s a fixed
    # goodbye timeout allowed, and nothing comes back meanwhile (no echo).
    server = servers(flood_burst=1, flood_rate=1.0)
    watcher = RawClient(server.address)
    try:
        watcher.expect(r"^\* Welcome")
        client = pipe_clients(server.address)
        client.send("/nick pb", *(f"x {n}" for n in range(1, 7)), "/who")
        client.close_stdin()
        started = time.monotonic()
        assert client.wait(timeout=30) == 0
        assert time.monotonic() - started > 5
        out = client.out.snapshot()
        assert "* 2 users in lobby:" in out
        assert out[-1] == "* Goodbye, pb!"
        assert client.err.snapshot() == []
        watcher.expect(rf"^{STAMP} pb: x 6$")
    finally:
        watcher.close()


class _Recorder:
    def __init__(self) -> None:
        self.outcome: Ended | None = None

    def lines(self, received: object) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def ended(self, outcome: Ended) -> None:
        self.outcome = outcome


def test_leaving_gives_up_only_after_a_silence() -> None:
    # A server that says nothing and never closes: the goodbye is waited for as long as
    # the idle timeout, then the link gives up and says so.
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        recorder = _Recorder()
        link = Link(*listener.getsockname()[:2], recorder)
        link.connect()
        link.start()
        started = time.monotonic()
        assert link.leave("/quit", idle_timeout=0.3) is False
        assert 0.3 <= time.monotonic() - started < 3
        assert recorder.outcome is not None
        assert recorder.outcome.how is End.LOST
    finally:
        thread.join(5)
        for sock in accepted:
            sock.close()
        listener.close()


def test_a_banned_address_exits_3_with_the_reason(
    servers: Callable[..., ChatServer], pipe_clients: Start
) -> None:
    server = servers()
    server.hub.bans.add(Ban("127.0.0.1", "server"))
    client = pipe_clients(server.address)
    client.send("/who")
    client.close_stdin()
    assert client.wait() == 3
    assert client.err.snapshot() == ["Refused by the server: You are banned from this server"]


def test_a_full_server_exits_3(servers: Callable[..., ChatServer], pipe_clients: Start) -> None:
    server = servers(max_clients=1)
    holder = RawClient(server.address)
    try:
        holder.expect(r"^\* Welcome")
        client = pipe_clients(server.address)
        assert client.wait() == 3  # stdin still open: the refusal alone ends the client
        assert client.err.snapshot() == [
            "Refused by the server: Server is full (1 client); try again later"
        ]
    finally:
        holder.close()


def test_a_wrong_password_exits_3_even_at_the_end_of_input(
    servers: Callable[..., ChatServer], pipe_clients: Start
) -> None:
    server = servers(password_hash=hash_password("pw"))
    client = pipe_clients(server.address, env={"CHINWAG_PASSWORD": "nope"})
    client.send("/who")
    client.close_stdin()
    assert client.wait() == 3
    assert client.err.snapshot() == ["Refused by the server: Wrong password"]


def test_a_missing_password_exits_3_and_says_where_it_goes(
    servers: Callable[..., ChatServer], pipe_clients: Start
) -> None:
    server = servers(password_hash=hash_password("pw"))
    client = pipe_clients(server.address)
    client.send("/who", "hello?")
    assert client.wait() == 3
    assert client.err.snapshot() == [
        "Refused by the server: it needs a password (set CHINWAG_PASSWORD)"
    ]
    assert not any("hello" in line for line in client.out.snapshot())


def test_a_password_sent_by_the_script_itself_still_works(
    servers: Callable[..., ChatServer], pipe_clients: Start
) -> None:
    server = servers(password_hash=hash_password("pw"))
    client = pipe_clients(server.address)
    client.send("/pass pw", "/who")
    client.close_stdin()
    assert client.wait() == 0
    assert "* 1 user in lobby:" in client.out.snapshot()


def test_plain_text_to_a_tls_port_says_to_use_tls(
    servers: Callable[..., ChatServer], pipe_clients: Start, certificate: tuple[str, str]
) -> None:
    cert, key = certificate
    server = servers(tls_cert=cert, tls_key=key)
    client = pipe_clients(server.address)
    client.send("/who")
    client.close_stdin()
    assert client.wait() == 1
    host, port = server.address
    assert client.err.snapshot() == [
        f"Could not connect to {host}:{port}: the server speaks TLS; connect with --tls"
    ]
    assert client.out.snapshot() == []


def test_a_kick_exits_3_and_is_not_retried(
    servers: Callable[..., ChatServer], pipe_clients: Start
) -> None:
    server = servers()
    client = pipe_clients(server.address, "--reconnect", "--nick", "kicked")
    client.expect(r"^\* you are now known as kicked$")
    deliver(Console(server, io.StringIO()).handle("kick kicked spam"), server.router)
    assert client.wait() == 3  # stdin still open, and --reconnect: the kick alone ends it
    assert client.err.snapshot() == ["Refused by the server: You were kicked by server: spam"]
