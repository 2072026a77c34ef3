"""Flow control over real sockets: half-closed clients, pastes, and bursts that fill queues."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from chinwag.config import Config
from tests.integration.conftest import DEADLINE, STAMP_RE, Harness

SLOWED_DOWN = "* you are sending fast; your lines are being slowed down"


def read_to_eof(sock: socket.socket) -> bytes:
    sock.settimeout(DEADLINE)
    received = b""
    while data := sock.recv(65536):
        received += data
    return received


def test_a_client_that_half_closes_gets_every_reply_before_the_close(harness: Harness) -> None:
    for attempt in range(10):
        sock = socket.create_connection(harness.server.address)
        try:
            sock.sendall(b"/nick halfway%d\n/who\n" % attempt)
            sock.shutdown(socket.SHUT_WR)
            lines = read_to_eof(sock).decode().splitlines()
        finally:
            sock.close()
        assert f"* you are now known as halfway{attempt}" in lines, lines
        assert "* 1 user in lobby:" in lines, lines


def test_a_hundred_line_paste_arrives_whole_and_in_order_with_the_defaults(
    make_harness: Callable[..., Harness],
) -> None:
    defaults = Config()
    harness = make_harness(flood_burst=defaults.flood_burst, flood_rate=defaults.flood_rate)
    bob = harness.connect("bob")
    alice = harness.connect()
    started = time.monotonic()
    alice.send("/nick alice", *(f"pasted line {i:03d}" for i in range(100)))  # one sendall
    for i in range(100):
        bob.expect(f"^{STAMP_RE} alice: pasted line {i:03d}$", timeout=15)
    elapsed = time.monotonic() - started
    assert elapsed < 11, f"the paste took {elapsed:.1f}s"
    alice.send("/who")
    alice.expect(r"^\* 2 users in lobby:$")  # still connected, and read everything after
    assert alice.received.count(SLOWED_DOWN) == 1
    assert not [line for line in bob.received if "pasted" in line and "alice" not in line]
