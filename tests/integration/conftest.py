"""Fixtures for tests over real sockets: a running server on 127.0.0.1 and line clients."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import chinwag
from chinwag.config import Config
from chinwag.log import LOGGER
from chinwag.server.server import ChatServer
from tests.support import DEADLINE, STAMP_RE, LineClient, wait_for

__all__ = ["DEADLINE", "STAMP_RE", "SUBPROCESS_ENV", "Harness", "LineClient", "wait_for"]

# Subprocesses run the code under test, not whatever chinwag happens to be installed.
SUBPROCESS_ENV = {**os.environ, "PYTHONPATH": str(Path(chinwag.__file__).parents[1])}


class LogCapture(logging.Handler):
    """Collects the server's log lines so tests can wait for them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.lines.append(record.getMessage())

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def wait_for(self, pattern: str, count: int = 1) -> list[str]:
        regex = re.compile(pattern)
        found: list[str] = []

        def seen() -> bool:
            found[:] = [line for line in self.snapshot() if regex.search(line)]
            return len(found) >= count

        wait_for(seen, what=f"log line {pattern!r}")
        return found


class Harness:
    """A started server plus the clients a test opened, all closed at the end."""

    def __init__(self, server: ChatServer, log: LogCapture) -> None:
        self.server = server
        self.log = log
        self.clients: list[LineClient] = []

    def open(self, source: str | None = None, rcvbuf: int | None = None) -> LineClient:
        """A connected client that has read nothing yet."""
        client = LineClient(self.server.address, source, rcvbuf)
        self.clients.append(client)
        return client

    def connect(
        self, nick: str | None = None, source: str | None = None, rcvbuf: int | None = None
    ) -> LineClient:
        """A client past the welcome, renamed to ``nick`` if given."""
        client = self.open(source, rcvbuf)
        client.expect(r"^\* Welcome to chinwag, Client-\d+!")
        if nick:
            client.send(f"/nick {nick}")
            client.expect(f"^\\* you are now known as {re.escape(nick)}$")
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()


# Flood control is off unless a test is about it: tests talk faster than people.
TEST_CONFIG = Config(host="127.0.0.1", port=0, console=False, flood_burst=0)


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    capture = LogCapture()
    LOGGER.addHandler(capture)
    LOGGER.setLevel(logging.INFO)
    try:
        yield capture
    finally:
        LOGGER.removeHandler(capture)


@pytest.fixture
def make_harness(
    log_capture: LogCapture, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Harness]]:
    """Start a server with the given config overrides; everything is stopped afterwards.

    Each server keeps its history in its own temporary data directory (unless the test
    names one), so the database is exercised and nothing is written to the user's."""
    started: list[Harness] = []

    def make(**overrides: object) -> Harness:
        overrides.setdefault("data_dir", str(tmp_path_factory.mktemp("data")))
        server = ChatServer(replace(TEST_CONFIG, **overrides))  # type: ignore[arg-type]
        server.start()
        harness = Harness(server, log_capture)
        started.append(harness)
        return harness

    yield make
    for harness in started:
        harness.close()
        harness.server.shutdown()


@pytest.fixture
def harness(make_harness: Callable[..., Harness]) -> Harness:
    return make_harness()
