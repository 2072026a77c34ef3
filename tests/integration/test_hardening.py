"""Limits that protect the server and its users: each one crossed, with its outcome checked."""

from __future__ import annotations

import fcntl
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from chinwag.passwords import hash_password
from tests.integration.conftest import (
    DEADLINE,
    STAMP_RE,
    SUBPROCESS_ENV,
    Harness,
    LineClient,
    wait_for,
)


def test_connections_per_address_are_capped_without_starting_threads(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(max_per_address=2, exempt_addresses="")
    harness.connect(source="127.0.0.5"), harness.connect(source="127.0.0.5")
    threads = threading.active_count()
    refused = harness.open(source="127.0.0.5")
    assert refused.expect_closed() == [
        "! Too many connections from your address (at most 2); try again later"
    ]
    assert threading.active_count() == threads
    harness.log.wait_for(r"^\[SERVER\] Refused connection from 127\.0\.0\.5: too many connections")
    harness.connect(source="127.0.0.6")  # another address is not affected


def test_loopback_is_exempt_by_default(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_per_address=1)
    for _ in range(3):
        harness.connect()


def test_new_connections_per_minute_are_capped(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_connects_per_minute=3, exempt_addresses="")
    for _ in range(3):
        client = harness.connect(source="127.0.0.7")
        client.send("exit")
        client.expect_closed()
    refused = harness.open(source="127.0.0.7")
    assert refused.expect_closed() == [
        "! Too many new connections from your address (at most 3 a minute); try again later"
    ]


def test_a_burst_is_paced_not_dropped(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(flood_burst=3, flood_rate=10.0)
    alice, bob = harness.connect("alice"), harness.connect("bob")
    # Renaming spent one token; wait for the bucket to refill before measuring.
    time.sleep(0.35)
    started = time.monotonic()
    alice.send(*(f"line {i}" for i in range(9)))
    for i in range(9):
        bob.expect(f"^{STAMP_RE} alice: line {i}$")
    elapsed = time.monotonic() - started
    # Three go at once, the other six at ten a second.
    assert 0.5 <= elapsed < 2.0, elapsed


def test_a_client_that_keeps_flooding_is_dropped_and_nobody_else_notices(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(flood_burst=5, flood_rate=4.0, flood_max_seconds=1)
    flooder, bob, carol = (harness.connect(n) for n in ("flooder", "bob", "carol"))
    flooder.send(*(f"spam {i}" for i in range(200)))
    rest = flooder.expect_closed()
    assert rest.count("* you are sending fast; your lines are being slowed down") == 1
    assert rest[-1] == "* You sent too much too fast (excess flood)"
    bob.saw(r"^\* flooder left the chat \(excess flood\)$")
    harness.log.wait_for(r"^\[SERVER\] Client-1 \(flooder\) dropped: excess flood$")
    carol.send("still fine")
    bob.expect(f"^{STAMP_RE} carol: still fine$")
    # The burst, then four a second until it had been behind for a second.
    spam = [line for line in bob.received if "spam" in line]
    assert 5 + 4 <= len(spam) <= 5 + 4 + 1, spam


def test_operators_are_not_paced(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(flood_burst=2, flood_rate=1.0, oper_password_hash=hash_password("pw"))
    alice, bob = harness.connect("alice"), harness.connect("bob")
    time.sleep(1.1)  # a full bucket for the /op line
    alice.send("/op pw")
    alice.expect(r"^\* you are now an operator$")
    started = time.monotonic()
    alice.send(*(f"announcement {i}" for i in range(30)))
    bob.expect(f"^{STAMP_RE} alice: announcement 29$", timeout=2)
    assert time.monotonic() - started < 1.5


def test_keepalive_and_nodelay_are_on_for_every_connection(harness: Harness) -> None:
    harness.connect()
    wait_for(harness.server.connections, what="a connection")
    sock: socket.socket = harness.server.connections()[0].info.sock
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60


def test_a_server_password_is_required_before_chatting(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(password_hash=hash_password("letmein"))
    member = harness.open()
    member.expect(r"^\* This server needs a password: send /pass PASSWORD$")
    member.send("hello?", "/who")
    member.expect(r"^! send /pass PASSWORD first$")
    member.expect(r"^! send /pass PASSWORD first$")
    member.send("/pass letmein")
    member.expect(r"^\* Welcome to chinwag, Client-1!")

    intruder = harness.open()
    intruder.expect(r"^\* This server needs a password")
    intruder.send("/pass guess")
    assert intruder.expect_closed() == ["* Wrong password"]
    harness.log.wait_for(r"^\[SERVER\] Client-2 gave a wrong server password from 127\.0\.0\.1$")
    harness.log.wait_for(r"^\[SERVER\] Removed connection for Client-2$")
    assert not any("Client-2" in line for line in member.round_trip())  # never joined


def test_a_plain_server_password_works_too(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(password="open sesame")
    client = harness.open()
    client.send("/pass open sesame")
    client.expect(r"^\* Welcome to chinwag")


def test_running_out_of_file_descriptors_pauses_accepting_without_dying(tmp_path: Path) -> None:
    limit = 40

    process = subprocess.Popen(
        [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUBPROCESS_ENV,
    )
    assert process.stdout is not None
    clients: list[LineClient] = []
    try:
        port = int(process.stdout.readline().rsplit(":", 1)[1])
        # Lowered once it runs: the server raises its own limit as far as allowed at start.
        resource.prlimit(process.pid, resource.RLIMIT_NOFILE, (limit, limit))
        # More clients than descriptors: the rest wait in the listen backlog.
        for _ in range(limit + 10):
            clients.append(LineClient(("127.0.0.1", port)))
        exhausted = ""
        while "cannot accept connections" not in exhausted:
            exhausted = process.stdout.readline()
            assert exhausted, "the server exited"
        assert "Too many open files" in exhausted
        cpu_before = _cpu_seconds(process.pid)
        time.sleep(1.0)  # while exhausted, the accept thread must back off, not spin
        assert _cpu_seconds(process.pid) - cpu_before < 0.3
        for client in clients[:20]:
            client.close()
        # Freed descriptors let the waiting clients in.
        clients[-1].expect(r"^\* Welcome to chinwag")
        assert process.poll() is None
    finally:
        for client in clients:
            client.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=DEADLINE) == 0
        _, errors = process.communicate()
    assert "Traceback" not in errors


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_console_that_stops_reading_delays_the_log_not_the_chat() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=SUBPROCESS_ENV,
    )
    assert process.stdout is not None
    try:
        port = int(process.stdout.readline().rsplit(b":", 1)[1])
        fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)  # fills up quickly
        # From here on nobody reads the server's output: every arrival logs a line.
        for _ in range(150):
            visitor = LineClient(("127.0.0.1", port))
            visitor.expect(r"^\* Welcome")
            visitor.close()
        alice, bob = LineClient(("127.0.0.1", port)), LineClient(("127.0.0.1", port))
        bob.expect(r"^\* Welcome")
        alice.send("still talking")
        bob.expect(f"^{STAMP_RE} Client-\\d+: still talking$")
        alice.close()
        bob.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=DEADLINE) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()
