"""Flow control over real sockets: half-closed clients, pastes, and bursts that fill queues."""

from __future__ import annotations

import re
import selectors
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


def test_a_last_line_without_a_newline_is_interpreted_when_the_input_ends(
    harness: Harness,
) -> None:
    sock = socket.create_connection(harness.server.address)
    try:
        sock.sendall(b"/nick unended\n/who")  # printf '/nick unended\n/who' | nc
        sock.shutdown(socket.SHUT_WR)
        lines = read_to_eof(sock).decode().splitlines()
    finally:
        sock.close()
    assert "* you are now known as unended" in lines, lines
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


def burst(harness: Harness, clients: int, messages: int, rcvbuf: int) -> dict[str, list[int]]:
    """Everyone sends ``messages`` 64-byte lines flat out while one busy thread reads and
    writes every socket, like a load generator; return the numbers each client received,
    by sender (``"closed"`` lists the clients that were disconnected)."""
    nicks = [f"c{i:02d}" for i in range(clients)]
    line_clients = [harness.connect(nick, rcvbuf=rcvbuf) for nick in nicks]
    selector = selectors.DefaultSelector()
    outgoing, incoming = {}, {}
    for nick, client in zip(nicks, line_clients, strict=True):
        client.sock.setblocking(False)
        outgoing[nick] = b"".join(f"{nick} {n:04d} {'x' * 54}\n".encode() for n in range(messages))
        incoming[nick] = b""
        selector.register(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, nick)
    received: dict[str, list[int]] = {f"{nick}<-{other}": [] for nick in nicks for other in nicks}
    received["closed"] = []
    pattern = re.compile(rb"^\[\d\d:\d\d:\d\d\] (c\d\d): c\d\d (\d{4}) x{54}\r$", re.M)
    expected = (clients - 1) * messages
    counts = dict.fromkeys(nicks, 0)
    deadline = time.monotonic() + 60
    while any(count < expected for count in counts.values()) and time.monotonic() < deadline:
        for key, events in selector.select(timeout=0.5):
            nick, sock = key.data, key.fileobj
            assert isinstance(sock, socket.socket)
            if events & selectors.EVENT_WRITE:
                sent = sock.send(outgoing[nick][:65536])
                outgoing[nick] = outgoing[nick][sent:]
                if not outgoing[nick]:
                    selector.modify(sock, selectors.EVENT_READ, nick)
            if events & selectors.EVENT_READ:
                data = sock.recv(65536)
                if not data:
                    received["closed"].append(int(nick[1:]))
                    selector.unregister(sock)
                    counts[nick] = expected
                    continue
                buffer = incoming[nick] + data
                end = buffer.rfind(b"\n") + 1
                for match in pattern.finditer(buffer[:end]):
                    received[f"{nick}<-{match[1].decode()}"].append(int(match[2]))
                    counts[nick] += 1
                incoming[nick] = buffer[end:]
    selector.close()
    return received


def test_a_burst_from_everyone_slows_the_room_down_and_loses_nothing(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(send_queue_bytes=256 * 1024, socket_send_buffer=16 * 1024)
    received = burst(harness, clients=20, messages=400, rcvbuf=16 * 1024)
    assert received.pop("closed") == []
    for route, numbers in received.items():
        sender, recipient = route[-3:], route[:3]
        assert numbers == ([] if sender == recipient else list(range(400))), route


def test_a_client_that_stops_reading_in_a_quiet_room_is_dropped_when_stalled(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(
        send_queue_bytes=64 * 1024, socket_send_buffer=16 * 1024, send_stall_seconds=1
    )
    harness.connect("sleeper", rcvbuf=4096)  # and then never reads
    talker, listener = harness.connect("talker"), harness.connect("listener")
    # More than the kernel holds for the sleeper, less than its send queue: it is
    # congested, not overflowing, and then the room goes quiet.
    talker.send(*(f"{i:03d} {'p' * 900}" for i in range(80)))
    listener.expect(f"^{STAMP_RE} talker: 079 ")
    harness.log.wait_for(r"^\[SERVER\] Client-1 \(sleeper\) is not reading: send queue stalled$")
    listener.saw(r"^\* sleeper left the chat \(send queue stalled\)$")
