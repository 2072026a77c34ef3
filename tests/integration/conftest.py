"""Fixtures for tests over real sockets: a running server on 127.0.0.1 and line clients."""

from __future__ import annotations

import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import chinwag
from chinwag.config import Config
from chinwag.log import LOGGER
from chinwag.server.server import ChatServer

DEADLINE = 5.0
# Subprocesses run the code under test, not whatever chinwag happens to be installed.
SUBPROCESS_ENV = {**os.environ, "PYTHONPATH": str(Path(chinwag.__file__).parents[1])}
STAMP_RE = r"\[\d\d:\d\d:\d\d\]"


def wait_for(condition: Callable[[], object], timeout: float = DEADLINE, what: str = "") -> None:
    """Wait until ``condition()`` is true, or fail the test at the deadline."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what or condition}")
        time.sleep(0.005)


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


class LineClient:
    """A test's chat user: a plain socket that sends lines and waits for expected ones."""

    def __init__(
        self,
        address: tuple[str, int],
        source: str | None = None,
        rcvbuf: int | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(DEADLINE)
        if rcvbuf is not None:  # before connecting, so that the window is small from the start
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            sock.bind((source, 0))
        sock.connect(address)
        self.sock = tls.wrap_socket(sock, server_hostname="localhost") if tls else sock
        self._buffer = b""
        self.received: list[str] = []  # every line read so far, in order
        self._next = 0  # index of the first line not yet consumed by expect()

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(f"{line}\n" for line in lines).encode())

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_some(self, deadline: float) -> bool:
        """Read what arrives before ``deadline``; ``False`` at end of stream."""
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError):
            return True
        if not data:
            return False
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        self.received.extend(line.rstrip(b"\r").decode("utf-8", "replace") for line in lines)
        return True

    def expect(self, pattern: str, timeout: float = DEADLINE) -> str:
        """The next line matching ``pattern`` (lines before it are skipped)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            while self._next < len(self.received):
                line = self.received[self._next]
                self._next += 1
                if regex.search(line):
                    return line
            if time.monotonic() > deadline or not self._read_some(deadline):
                pytest.fail(f"no line matching {pattern!r}; got {self.received[-10:]!r}")

    def saw(self, pattern: str, timeout: float = DEADLINE) -> str:
        """A line matching ``pattern`` among all received, consumed or not (reads on)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.received:
                if regex.search(line):
                    return line
            if time.monotonic() > deadline or not self._read_some(deadline):
                pytest.fail(f"never received a line matching {pattern!r}")

    def expect_closed(self, timeout: float = DEADLINE) -> list[str]:
        """Read until the server closes the connection; return the lines not yet consumed."""
        deadline = time.monotonic() + timeout
        try:
            while self._read_some(deadline):
                if time.monotonic() > deadline:
                    pytest.fail(f"connection still open; got {self.received[-10:]!r}")
        except ConnectionResetError:
            pass
        rest = self.received[self._next :]
        self._next = len(self.received)
        return rest

    def quiet_for(self, seconds: float) -> list[str]:
        """Everything that arrives within ``seconds`` (to check that nothing does)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._read_some(deadline):
            pass
        rest = self.received[self._next :]
        self._next = len(self.received)
        return rest

    def close(self) -> None:
        self.sock.close()


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
def make_harness(log_capture: LogCapture) -> Iterator[Callable[..., Harness]]:
    """Start a server with the given config overrides; everything is stopped afterwards."""
    started: list[Harness] = []

    def make(**overrides: object) -> Harness:
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
