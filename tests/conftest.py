"""Fixtures of the client's tests (their helpers are in ``client_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.server.server import ChatServer
from tests.client_support import HostileServer, PipeClient, RawClient, start_server


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with start_server() as running:
        yield running


@pytest.fixture
def pipe_clients(tmp_path: Path) -> Iterator[Callable[..., PipeClient]]:
    """Start pipe-mode clients; every one still running is killed at the end."""
    started: list[PipeClient] = []

    def start(address: tuple[str, int], *args: str) -> PipeClient:
        client = PipeClient(address, tmp_path, *args)
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
