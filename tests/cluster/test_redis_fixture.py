"""The test's own redis-server: it answers, pauses, dies and comes back empty."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from tests.redis_support import RedisServer
from tests.support import wait_for


def test_a_fresh_server_answers_and_forgets_everything_when_restarted(
    redis_server: Callable[[], RedisServer],
) -> None:
    server = redis_server()
    assert server.command("PING") == b"+PONG\r\n"
    assert server.command("CONFIG", "GET", "save") == b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    assert server.command("SET", "k", "v") == b"+OK\r\n"
    assert server.command("GET", "k") == b"$1\r\nv\r\n"
    port = server.port
    server.restart_empty()
    assert server.port == port
    assert server.command("GET", "k") == b"$-1\r\n"


def process_state(pid: int) -> str:
    """The one-letter state of a process (``T``: stopped), from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0]


def test_a_paused_server_is_stopped_and_answers_what_it_was_sent_once_resumed(
    redis_server: Callable[[], RedisServer],
) -> None:
    server = redis_server()
    assert server.process is not None
    server.pause()
    try:
        wait_for(lambda: process_state(server.process.pid) == "T", what="redis stopped")
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            server.resume()
            assert sock.recv(64) == b"+PONG\r\n"
    finally:
        server.resume()


def test_two_servers_of_one_test_are_independent(
    redis_server: Callable[[], RedisServer],
) -> None:
    first, second = redis_server(), redis_server()
    assert first.port != second.port
    first.command("SET", "where", "first")
    assert second.command("GET", "where") == b"$-1\r\n"
