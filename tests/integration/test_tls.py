"""TLS: certificates made at test time, chat over TLS, and handshakes that never finish."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import trustme

from tests.integration.conftest import DEADLINE, STAMP_RE, SUBPROCESS_ENV, Harness, LineClient


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


def _serve_with(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        env=SUBPROCESS_ENV,
        check=False,
    )


def test_a_missing_certificate_is_named_with_the_problem(
    certificate: tuple[str, str], tmp_path: Path
) -> None:
    _, key = certificate
    missing = tmp_path / "nonexistent.pem"
    result = _serve_with("--tls-cert", str(missing), "--tls-key", key)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"chinwag: cannot read TLS certificate {missing}: No such file or directory"
    )
    cert, _ = certificate
    result = _serve_with("--tls-cert", cert, "--tls-key", str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"chinwag: cannot read TLS key {missing}: No such file or directory"
    )


def test_a_key_of_another_certificate_is_named_with_the_problem(
    certificate: tuple[str, str], tmp_path: Path
) -> None:
    cert, _ = certificate
    other = trustme.CA().issue_cert("localhost")
    other_key = tmp_path / "other-key.pem"
    other.private_key_pem.write_to_path(other_key)
    result = _serve_with("--tls-cert", cert, "--tls-key", str(other_key))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"chinwag: TLS key {other_key} does not match certificate {cert}"
    )


def test_a_file_that_is_no_certificate_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    result = _serve_with("--tls-cert", str(junk), "--tls-key", str(junk))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(
        f"chinwag: cannot use TLS certificate {junk} with key {junk}: "
    )


def test_the_log_says_which_ports_speak_tls_and_irc(
    make_harness: Callable[..., Harness], certificate: tuple[str, str]
) -> None:
    cert, key = certificate
    with socket.create_server(("127.0.0.1", 0)) as probe:
        irc_port = probe.getsockname()[1]
    harness = make_harness(tls_cert=cert, tls_key=key, irc_port=irc_port)
    host, port = harness.server.address
    lines = harness.log.snapshot()
    assert lines[0] == f"Server started on {host}:{port}"
    assert lines[1] == f"[SERVER] TLS on {host}:{port}; IRC on {host}:{irc_port}"
