"""Helpers for the client's tests: a server on port 0 and the client run as a subprocess."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import chinwag
from chinwag.config import Config
from chinwag.server.server import ChatServer
from tests.support import DEADLINE, wait_for

STAMP = r"\[\d\d:\d\d:\d\d\]"
SRC = str(Path(chinwag.__file__).resolve().parents[1])  # the code under test, not an install


def python_output(program: str, *args: str) -> str:
    """What ``program`` prints, run with ``args`` by a fresh interpreter on the code
    under test (for what changes an interpreter for good: allocator, collector)."""
    result = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    return result.stdout


def start_server(port: int = 0) -> ChatServer:
    server = ChatServer(Config(host="127.0.0.1", port=port, console=False, data_dir=""))
    server.start()
    return server


def client_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["XDG_DATA_HOME"] = str(home)  # history goes to the test's directory, not the user's
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def client_command(address: tuple[str, int], *args: str) -> list[str]:
    host, port = address
    return [sys.executable, "-m", "chinwag", "connect", f"{host}:{port}", *args]


class _Collector:
    """Reads a stream of the child in a thread, keeping its decoded lines."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self.raw = b""
        self._lock = threading.Lock()
        self._stream = stream
        self._thread = threading.Thread(target=self._read, name="test-collector", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        stream = self._stream
        assert hasattr(stream, "readline")
        for raw in iter(stream.readline, b""):
            with self._lock:
                self.raw += raw
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def join(self) -> None:
        self._thread.join(DEADLINE)


class PipeClient:
    """``chinwag connect`` in pipe mode, with stdin, stdout and stderr piped."""

    def __init__(
        self, address: tuple[str, int], home: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.process = subprocess.Popen(
            client_command(address, *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=client_env(home, **(env or {})),
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.out = _Collector(self.process.stdout)
        self.err = _Collector(self.process.stderr)
        self._seen = 0

    def send(self, *lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines).encode("utf-8"))
        self.process.stdin.flush()

    def expect(self, pattern: str, timeout: float = DEADLINE) -> str:
        """The first line from now on that matches ``pattern``."""
        regex = re.compile(pattern)
        found: list[str] = []

        def seen() -> bool:
            lines = self.out.snapshot()
            for index in range(self._seen, len(lines)):
                if regex.search(lines[index]):
                    self._seen = index + 1
                    found.append(lines[index])
                    return True
            return False

        wait_for(seen, timeout, f"{pattern!r} in {self.out.snapshot()}")
        return found[0]

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float = DEADLINE) -> int:
        code = self.process.wait(timeout)
        self.out.join()
        self.err.join()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(DEADLINE)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self.out.join()
        self.err.join()


class RawClient:
    """A plain socket user, like someone on ``nc``."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=DEADLINE)
        self._buffer = b""

    def send(self, line: str) -> None:
        self.sock.sendall(f"{line}\n".encode())

    def expect(self, pattern: str, timeout: float = DEADLINE) -> str:
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if regex.search(line):
                    return line
            remaining = end - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"timed out waiting for {pattern!r}")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                pytest.fail(f"connection closed while waiting for {pattern!r}")
            self._buffer += data

    def close(self) -> None:
        self.sock.close()


def free_port() -> int:
    """A port nobody listens on (closed again at once; fine on a test machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class HostileServer:
    """A fake server that sends fixed bytes to whoever connects, then hangs up."""

    def __init__(self, payload: bytes) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self.payload = payload
        self.thread = threading.Thread(target=self._serve, name="test-hostile", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.sendall(self.payload)
            conn.shutdown(socket.SHUT_WR)
            conn.recv(1024)  # until the client closes too

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)
