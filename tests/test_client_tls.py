"""The client over TLS, and with a server password, against a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from chinwag.config import Config
from chinwag.passwords import hash_password
from chinwag.server.server import ChatServer
from tests.client_support import STAMP, PipeClient

Start = Callable[..., PipeClient]


@pytest.fixture
def tls_server(certificate: tuple[str, str]) -> Iterator[ChatServer]:
    cert, key = certificate
    server = ChatServer(
        Config(host="127.0.0.1", port=0, console=False, data_dir="", tls_cert=cert, tls_key=key)
    )
    server.start()
    yield server
    server.shutdown()


def test_two_clients_chat_over_verified_tls(
    tls_server: ChatServer, pipe_clients: Start, ca_file: str
) -> None:
    ann = pipe_clients(tls_server.address, "--tls-ca", ca_file, "--nick", "ann")
    ann.expect(r"^\* you are now known as ann$")
    bob = pipe_clients(tls_server.address, "--tls-ca", ca_file, "--nick", "bob")
    bob.expect(r"^\* you are now known as bob$")
    ann.send("зашифровано")
    bob.expect(rf"^{STAMP} ann: зашифровано$")
    bob.close_stdin()
    assert bob.wait() == 0
    ann.expect(r"^\* bob left the chat")


def test_an_unknown_certificate_is_refused_unless_insecure(
    tls_server: ChatServer, pipe_clients: Start
) -> None:
    strict = pipe_clients(tls_server.address, "--tls")
    assert strict.wait() == 1
    host, port = tls_server.address
    error = b"".join(strict.err.raw.splitlines()).decode()
    assert error.startswith(f"Could not connect to {host}:{port}: TLS handshake failed: ")
    assert "certificate verify failed" in error

    trusting = pipe_clients(tls_server.address, "--tls-insecure")
    trusting.expect(r"^\* Welcome to chinwag")
    trusting.close_stdin()
    assert trusting.wait() == 0


def test_the_password_from_the_environment_is_sent_first(pipe_clients: Start) -> None:
    server = ChatServer(
        Config(
            host="127.0.0.1",
            port=0,
            console=False,
            data_dir="",
            password_hash=hash_password("pw"),
        )
    )
    server.start()
    try:
        client = pipe_clients(server.address, "--nick", "ann", env={"CHINWAG_PASSWORD": "pw"})
        client.expect(r"^\* Welcome to chinwag")
        client.expect(r"^\* you are now known as ann$")
        wrong = pipe_clients(server.address, env={"CHINWAG_PASSWORD": "nope"})
        wrong.expect(r"^\* Wrong password$")
        assert wrong.wait() == 3
    finally:
        server.shutdown()
