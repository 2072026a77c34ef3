"""Fixtures shared by the test suites: TLS certificates, and the client's helpers."""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from chinwag.server.server import ChatServer
from tests import redis_support
from tests.client_support import HostileServer, PipeClient, RawClient, start_server
from tests.redis_support import RedisServer

# No test writes to the user's state directory: a server made without a data directory
# of its own gets a throw-away one, and a server run as a subprocess (which inherits the
# environment) keeps its history in memory unless the test names a directory.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="chinwag-test-state-")
os.environ["CHINWAG_DATA_DIR"] = ""

# --- TLS: a certificate authority and a server certificate made at test time --------------


@pytest.fixture(scope="session")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def certificate(authority: trustme.CA, tmp_path: Path) -> tuple[str, str]:
    server_cert = authority.issue_cert("localhost", "127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    server_cert.cert_chain_pems[0].write_to_path(cert)
    for extra in server_cert.cert_chain_pems[1:]:
        extra.write_to_path(cert, append=True)
    server_cert.private_key_pem.write_to_path(key)
    return str(cert), str(key)


@pytest.fixture
def client_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


@pytest.fixture
def ca_file(authority: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(path)
    return str(path)


# --- the client ------------------------------------------------------------------------------


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with start_server() as running:
        yield running


@pytest.fixture
def pipe_clients(tmp_path: Path) -> Iterator[Callable[..., PipeClient]]:
    """Start pipe-mode clients; every one still running is killed at the end."""
    started: list[PipeClient] = []

    def start(
        address: tuple[str, int], *args: str, env: dict[str, str] | None = None
    ) -> PipeClient:
        client = PipeClient(address, tmp_path, *args, env=env)
        started.append(client)
        return client

    yield start
    for client in started:
        client.stop()


@pytest.fixture
def raw_clients() -> Iterator[Callable[[tuple[str, int]], RawClient]]:
    opened: list[RawClient] = []

    def open_one(address: tuple[str, int]) -> RawClient:
        client = RawClient(address)
        opened.append(client)
        client.expect(r"^\* Welcome to chinwag")
        return client

    yield open_one
    for client in opened:
        client.close()


@pytest.fixture
def hostile() -> Iterator[Callable[[bytes], HostileServer]]:
    made: list[HostileServer] = []

    def make(payload: bytes) -> HostileServer:
        made.append(HostileServer(payload))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


# --- Redis: each test that needs one starts its own ------------------------------------------


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], RedisServer]]:
    """Start real ``redis-server`` processes (see :mod:`tests.redis_support`); all are
    stopped at the end. Skips the test if redis-server or redis-py is missing."""
    reason = redis_support.skip_reason()
    if reason is not None:
        pytest.skip(reason)
    started: list[RedisServer] = []

    def start() -> RedisServer:
        started.append(RedisServer(tmp_path_factory.mktemp("redis")))
        return started[-1]

    yield start
    for server in started:
        server.stop()
