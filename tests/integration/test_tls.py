"""TLS: certificates made at test time, chat over TLS, and handshakes that never finish."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

from tests.integration.conftest import STAMP_RE, Harness, LineClient


def tls_client(harness: Harness, context: ssl.SSLContext, port: int | None = None) -> LineClient:
    host, text_port = harness.server.address
    client = LineClient((host, port or text_port), tls=context)
    harness.clients.append(client)
    client.expect(r"^\* Welcome to chinwag")
    return client


def test_chat_over_tls_on_the_text_port(
    make_harness: Callable[..., Harness],
    certificate: tuple[str, str],
    client_context: ssl.SSLContext,
) -> None:
    cert, key = certificate
    harness = make_harness(tls_cert=cert, tls_key=key)
    alice, bob = tls_client(harness, client_context), tls_client(harness, client_context)
    alice.send("/nick alice")
    bob.expect(r"^\* Client-1 is now known as alice$")
    long_line = "Ж" * 1500  # several TLS records' worth once many are queued
    alice.send(*(f"{i} {long_line}" for i in range(200)))
    for i in range(200):
        bob.expect(f"^{STAMP_RE} alice: {i} Ж{{1500}}$")
    bob.send("/quit bye")
    assert bob.expect_closed()[-1] == "* Goodbye, Client-2!"
    alice.expect(r"^\* Client-2 left the chat \(bye\)$")


def test_a_separate_tls_port_leaves_the_text_port_plain(
    make_harness: Callable[..., Harness],
    certificate: tuple[str, str],
    client_context: ssl.SSLContext,
) -> None:
    cert, key = certificate
    with socket.create_server(("127.0.0.1", 0)) as probe:
        tls_port = probe.getsockname()[1]
    harness = make_harness(tls_cert=cert, tls_key=key, tls_port=tls_port)
    harness.log.wait_for(rf"^\[SERVER\] TLS on 127\.0\.0\.1:{tls_port}$")
    plain = harness.connect("plain")
    secure = tls_client(harness, client_context, tls_port)
    secure.send("/nick secure")
    plain.expect(r"^\* Client-2 is now known as secure$")
    secure.send("over TLS")
    plain.expect(f"^{STAMP_RE} secure: over TLS$")
    plain.send("in the clear")
    secure.expect(f"^{STAMP_RE} plain: in the clear$")


def test_a_stalled_handshake_holds_up_nobody_and_times_out(
    make_harness: Callable[..., Harness],
    certificate: tuple[str, str],
    client_context: ssl.SSLContext,
) -> None:
    cert, key = certificate
    harness = make_harness(tls_cert=cert, tls_key=key, handshake_timeout=1.0)
    staller = socket.create_connection(harness.server.address)  # never says hello
    try:
        alice, bob = tls_client(harness, client_context), tls_client(harness, client_context)
        alice.send("not held up")
        bob.expect(f"^{STAMP_RE} Client-2: not held up$")
        harness.log.wait_for(r"^\[SERVER\] Client-1: TLS handshake timed out$")
        harness.log.wait_for(r"^\[SERVER\] Removed connection for Client-1$")
        staller.settimeout(2)
        assert staller.recv(100) == b""
    finally:
        staller.close()


def test_plain_text_to_a_tls_port_is_a_failed_handshake(
    make_harness: Callable[..., Harness], certificate: tuple[str, str]
) -> None:
    cert, key = certificate
    harness = make_harness(tls_cert=cert, tls_key=key)
    plain = harness.open()
    plain.send("hello?")
    plain.expect_closed()
    harness.log.wait_for(r"^\[SERVER\] Client-1: TLS handshake failed: ")
    harness.log.wait_for(r"^\[SERVER\] Removed connection for Client-1$")
