"""Starting, stopping, threads and the registry, and the console log of the real command."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chinwag.config import Config
from chinwag.passwords import verify_password
from chinwag.server.server import ChatServer
from tests.integration.conftest import DEADLINE, SUBPROCESS_ENV, Harness, LineClient, wait_for
from tests.support import collector_paused

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"


def test_shutdown_tells_everyone_and_joins_every_thread(log_capture: object) -> None:
    before = threading.active_count()
    server = ChatServer(Config(host="127.0.0.1", port=0, console=False, data_dir=""))
    server.start()
    clients = [LineClient(server.address) for _ in range(5)]
    for client in clients:
        client.expect(r"^\* Welcome")
    started = time.monotonic()
    server.shutdown()
    assert time.monotonic() - started < 2
    for client in clients:
        assert client.expect_closed()[-1] == "* server shutting down"
        client.close()
    assert threading.active_count() == before
    server.shutdown()  # a second call is harmless


def test_threads_return_to_baseline_after_fifty_clients(harness: Harness) -> None:
    baseline = threading.active_count()
    clients = [harness.connect() for _ in range(50)]
    assert threading.active_count() == baseline + 50
    names = {t.name for t in threading.enumerate()}
    assert {f"Client-{i}" for i in range(1, 51)} <= names
    for i, client in enumerate(clients):
        if i % 2:
            client.send("exit")
            client.expect_closed()
        client.close()
    wait_for(lambda: threading.active_count() == baseline, what="the client threads to end")
    assert len(harness.server.registry) == 0
    assert harness.server.connections() == []


def test_a_finished_connection_is_freed_by_reference_counting(harness: Harness) -> None:
    """A connection that ended goes at once, with its socket, thread, session and
    buffers, not at the garbage collector's next full collection: a server with many
    short connections would otherwise hold many dead ones."""
    stays = harness.connect("stays")
    with collector_paused():
        client = harness.connect("leaves")
        [connection] = [c for c in harness.server.connections() if c.member.nick == "leaves"]
        freed = weakref.ref(connection.info.sock)  # the connection cannot be referred to weakly
        del connection
        client.send("hello everyone", "/msg stays psst", "/quit")
        client.expect_closed()
        stays.expect("leaves left the chat")
        # The router keeps a room's last audience until the room's next message.
        stays.send("still here", "/help me")
        stays.expect(r"^\* /me ")
        wait_for(lambda: freed() is None, what="the finished connection to be freed")


def test_concurrent_arrivals_and_departures_keep_the_registry_right(harness: Harness) -> None:
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for _ in range(10):
                client = LineClient(harness.server.address)
                client.expect(r"^\* Welcome")
                client.send("hello", "exit")
                client.expect_closed()
                client.close()
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=churn) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    wait_for(lambda: len(harness.server.registry) == 0, what="an empty registry")
    lines = harness.log.snapshot()
    connected = [
        m.group(1) for m in map(re.compile(r"Client (Client-\d+) connected").search, lines) if m
    ]
    removed = [
        m.group(1)
        for m in map(re.compile(r"Removed connection for (Client-\d+)$").search, lines)
        if m
    ]
    assert len(connected) == 80
    assert len(set(connected)) == 80  # names are never reused
    assert sorted(removed) == sorted(connected)  # each removal logged exactly once


# --- the real command, as a user runs it -----------------------------------------------------


class ServerProcess:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**SUBPROCESS_ENV, **(env or {})},
        )
        assert self.process.stdout is not None
        self.stdout = self.process.stdout
        self.lines: list[str] = []
        first = self.readline()
        match = re.fullmatch(r"Server started on 127\.0\.0\.1:(\d+)", first)
        assert match, first
        self.port = int(match.group(1))

    def readline(self) -> str:
        line = self.stdout.readline().rstrip("\n")
        self.lines.append(line)
        return line

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=DEADLINE)
        rest, errors = self.process.communicate()
        self.lines += rest.splitlines()
        return code, errors


@pytest.fixture
def spawn() -> Iterator[Callable[..., ServerProcess]]:
    processes: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        processes.append(ServerProcess(*args, env=env))
        return processes[-1]

    yield start
    for proc in processes:
        if proc.process.poll() is None:
            proc.process.kill()
            proc.process.wait()


def test_console_log_has_exactly_the_documented_lines(spawn: Callable[..., ServerProcess]) -> None:
    server = spawn("--port", "0")
    client = LineClient(("127.0.0.1", server.port))
    client.expect(r"^\* Welcome")
    assert re.fullmatch(
        rf"\[SERVER\] Client Client-1 connected to server at {ISO}", server.readline()
    )
    client.send("exit")
    client.expect_closed()
    assert server.readline() == "[SERVER] Removed connection for Client-1"
    client.close()
    code, errors = server.stop()
    assert code == 0
    assert "Traceback" not in errors


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_server_quickly_and_cleanly(
    spawn: Callable[..., ServerProcess], signum: int
) -> None:
    server = spawn("--port", "0")
    clients = [LineClient(("127.0.0.1", server.port)) for _ in range(3)]
    for client in clients:
        client.expect(r"^\* Welcome")
    for _ in clients:
        server.readline()
    started = time.monotonic()
    code, errors = server.stop(signum)
    assert time.monotonic() - started < 2
    assert code == 0
    assert errors == ""
    for client in clients:
        assert client.expect_closed()[-1] == "* server shutting down"
        client.close()
    removed = [line for line in server.lines if line.startswith("[SERVER] Removed connection for")]
    assert sorted(removed) == [f"[SERVER] Removed connection for Client-{i}" for i in (1, 2, 3)]


def test_options_come_from_cli_then_env_then_file(
    spawn: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    config_file = tmp_path / "chinwag.toml"
    config_file.write_text('max_clients = 1\nlog_file = "%s"\n' % (tmp_path / "chat.log"))
    server = spawn("--port", "0", "--config", str(config_file), env={"CHINWAG_MAX_CLIENTS": "2"})
    first, second = (LineClient(("127.0.0.1", server.port)) for _ in range(2))
    first.expect(r"^\* Welcome")
    second.expect(r"^\* Welcome")  # the environment's 2 beats the file's 1
    third = LineClient(("127.0.0.1", server.port))
    assert third.expect_closed() == ["! Server is full (2 clients); try again later"]
    for client in (first, second, third):
        client.close()
    assert server.stop()[0] == 0
    logged = (tmp_path / "chat.log").read_text()
    assert "INFO [SERVER] Client Client-1 connected to server at" in logged
    assert "Refused connection from 127.0.0.1: server is full" in logged


def test_bad_configuration_is_reported_without_a_traceback(tmp_path: Path) -> None:
    config_file = tmp_path / "bad.toml"
    config_file.write_text("max_clinets = 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "chinwag", "serve", "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=SUBPROCESS_ENV,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"chinwag: {config_file}: unknown option 'max_clinets' (did you mean max_clients?)"
    )


def test_port_in_use_is_one_clear_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            env=SUBPROCESS_ENV,
            check=False,
        )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"chinwag: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_hash_password_prints_a_hash_that_verifies() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chinwag", "hash-password"],
        input="s3cret\n",
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=SUBPROCESS_ENV,
        check=True,
    )
    stored = result.stdout.strip()
    assert stored.startswith("scrypt$")
    assert verify_password("s3cret", stored)
    assert not verify_password("s3cret ", stored)
