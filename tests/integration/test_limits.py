"""Bad input and misbehaving peers: none of it crashes the server or bothers anyone else."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable

from tests.integration.conftest import STAMP_RE, Harness, LineClient, wait_for


def test_an_oversized_line_is_dropped_with_an_error_and_the_connection_lives(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(max_line_bytes=100)
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send("x" * 101)
    alice.expect(r"^! line too long \(over 100 bytes\); it was dropped$")
    alice.send_raw(b"y" * 5000)  # no newline yet: streamed past the limit
    alice.expect(r"^! line too long")
    alice.send_raw(b"y" * 5000 + b"\nstill here\n")
    bob.expect(f"^{STAMP_RE} alice: still here$")
    alice.send("z" * 100)  # exactly at the limit is fine
    bob.expect(f"^{STAMP_RE} alice: z{{100}}$")
    assert not any("y" * 10 in line or "x" * 10 in line for line in bob.received)


def test_invalid_utf8_becomes_replacement_characters(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    # Not 0xff: on the text port it starts a telnet command (see test_telnet.py).
    alice.send_raw(b"bad \xfe\xc0 bytes and \xd0 half\n")
    bob.expect(f"^{STAMP_RE} alice: bad \ufffd\ufffd bytes and \ufffd half$")


def test_a_character_split_across_packets_arrives_whole(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    data = "привіт\n".encode()
    alice.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        alice.send_raw(data[i : i + 1])
        time.sleep(0.002)  # give TCP the chance to deliver each byte on its own
    bob.expect(f"^{STAMP_RE} alice: привіт$")


def test_control_characters_and_escapes_are_stripped_before_relaying(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send_raw(b"\x1b[2Jclear\x1b]0;title\x07ed\x07 \x1b[31mred\x1b[0m\ttab\x00\x08!\n")
    line = bob.expect(f"^{STAMP_RE} alice: ")
    assert line.endswith("alice: cleared red\ttab!")
    alice.send_raw(b"\x1b[1m\x07\n")  # nothing left after cleaning: ignored
    alice.send("/rooms")
    alice.expect(r"^\* rooms:")
    assert not any("alice" in x for x in bob.round_trip())


def test_a_full_server_refuses_politely_and_logs_it(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_clients=2)
    harness.connect("one"), harness.connect("two")
    third = LineClient(harness.server.address)
    harness.clients.append(third)
    assert third.expect_closed() == ["! Server is full (2 clients); try again later"]
    harness.log.wait_for(r"^\[SERVER\] Refused connection from 127\.0\.0\.1: server is full$")
    assert len(harness.server.registry) == 2


def test_an_abrupt_disconnect_is_cleaned_up_and_announced(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    # SO_LINGER with a zero timeout makes close() send a reset instead of a FIN.
    bob.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    bob.close()
    alice.expect(r"^\* bob left the chat \(connection (reset by peer|closed)\)$")
    harness.log.wait_for(r"^\[SERVER\] Removed connection for Client-2$")
    assert not any("Traceback" in line for line in harness.log.snapshot())
    alice.send("/who")
    alice.expect(r"^\* 1 user in lobby:$")


def test_a_client_that_never_reads_is_dropped_and_stalls_nobody(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(send_queue_bytes=64 * 1024, socket_send_buffer=16 * 1024)
    harness.connect("sleeper", rcvbuf=4096)  # and then never reads
    talker, listener = harness.connect("talker"), harness.connect("listener")
    payload = "p" * 900
    # Far more than the sleeper's kernel buffers and its 64 KiB send queue hold.
    total, burst = 1000, 20
    started = time.monotonic()
    for start in range(0, total, burst):
        talker.send(*(f"{i:05d} {payload}" for i in range(start, start + burst)))
        listener.expect(f"^{STAMP_RE} talker: {start + burst - 1:05d} ")
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"the listener was held up for {elapsed:.1f}s"
    harness.log.wait_for(r"^\[SERVER\] Client-1 \(sleeper\) is not reading: send queue exceeded$")
    listener.saw(r"^\* sleeper left the chat \(send queue exceeded\)$")
    harness.log.wait_for(r"^\[SERVER\] Removed connection for Client-1$")
    wait_for(lambda: len(harness.server.registry) == 2, what="the sleeper to be deregistered")
