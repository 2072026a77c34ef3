"""Flow control over real sockets: half-closed clients, pastes, and bursts that fill queues."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from tests.integration.conftest import DEADLINE, Harness


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
