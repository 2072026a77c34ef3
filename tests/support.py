"""Helpers shared by the test suites: waiting with a deadline, and a raw line client."""

from __future__ import annotations

import contextlib
import gc
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator

import pytest

DEADLINE = 5.0
STAMP_RE = r"\[\d\d:\d\d:\d\d\]"


def wait_for(condition: Callable[[], object], timeout: float = DEADLINE, what: str = "") -> None:
    """Wait until ``condition()`` is true, or fail the test at the deadline."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what or condition}")
        time.sleep(0.005)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off meanwhile: what is freed then, reference counting
    freed (nothing in a reference cycle is)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class LineClient:
    """A test's chat user: a plain socket that sends lines and waits for expected ones."""

    EOL = "\n"
    # A command with no effect and the start of its answer: see round_trip().
    ROUND_TRIP = ("/who", r"^\* \d+ users? in ")

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
        self.sock.sendall("".join(f"{line}{self.EOL}" for line in lines).encode())

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_some(self, deadline: float) -> bool:
        """Read what arrives before ``deadline``; ``False`` at end of stream."""
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError):
            return True
        except ConnectionResetError:
            return False
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

    def round_trip(self) -> list[str]:
        """The lines not yet consumed that arrive before the answer to a command sent now:
        everything the server had for this client before it handled the command, so that
        a check that something did not come waits for a barrier, not a quiet period."""
        start = self._next
        command, answer = self.ROUND_TRIP
        self.send(command)
        self.expect(answer)
        return self.received[start : self._next - 1]

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
