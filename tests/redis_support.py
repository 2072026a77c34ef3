"""A real ``redis-server`` for tests: started on a free loopback port, stopped at the end.

Each server is the test's own (never the system's): persistence off (``--save ''
--appendonly no``), its working directory a temporary one, its port found free by
binding port 0 first (retried if another process takes it in between). Tests can pause
it (SIGSTOP/SIGCONT), kill it, and start it again, empty, on the same port, which is
what a Redis restart that lost its data looks like to its clients.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")
HAS_REDIS_PY = importlib.util.find_spec("redis") is not None
START_SECONDS = 10.0


def skip_reason() -> str | None:
    """Why tests that need Redis cannot run here; ``None`` when they can."""
    if REDIS_SERVER is None:
        return "redis-server is not installed (apt-get install redis-server)"
    if not HAS_REDIS_PY:
        return "redis-py is not installed (pip install -e '.[cluster]')"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ping(port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis answers PING on ``port`` (raw RESP: no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process of a test (see the module docstring)."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (again, empty) on this server's port; wait until it answers PING."""
        assert REDIS_SERVER is not None
        assert self.process is None, "already running"
        log = self.directory / f"redis-{self.port}.log"
        for _attempt in range(5):
            self.process = subprocess.Popen(
                [
                    REDIS_SERVER,
                    "--port", str(self.port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.directory),
                    "--logfile", str(log),
                    "--daemonize", "no",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + START_SECONDS
            while time.monotonic() < deadline:
                if _ping(self.port):
                    return
                if self.process.poll() is not None:
                    break  # the port was taken meanwhile: try another
                time.sleep(0.01)
            self.stop()
            self.port = _free_port()
        pytest.fail(f"redis-server did not start; see {log}")

    def pause(self) -> None:
        """Stall it (SIGSTOP): connections stay open and nothing is answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Kill it at once (SIGKILL); with persistence off its data is gone."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a stopped process dies only running
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after a few seconds)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart_empty(self) -> None:
        """What a Redis restart that lost its data looks like: kill, then start again."""
        self.kill()
        self.start()

    def command(self, *words: str) -> bytes:
        """Send one command (raw RESP) and return the first reply's bytes, for checks."""
        request = f"*{len(words)}\r\n".encode() + b"".join(
            f"${len(word.encode())}\r\n{word}\r\n".encode() for word in words
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(request)
            return sock.recv(65536)
