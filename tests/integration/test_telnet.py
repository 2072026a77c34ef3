"""Telnet clients on the text port: their commands are answered, never relayed as chat."""

from __future__ import annotations

import re
import shutil
import socket
import time

import pexpect
import pytest

from tests.integration.conftest import DEADLINE, STAMP_RE, Harness

IAC, WILL, WONT, DO, IP, TIMING_MARK, ECHO = 255, 251, 252, 253, 244, 6, 1


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    """Everything received up to and including ``marker``."""
    data = b""
    deadline = time.monotonic() + DEADLINE
    while marker not in data:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            pytest.fail(f"closed before {marker!r}; got {data!r}")
        data += chunk
    return data


def test_ctrl_c_from_telnet_is_answered_and_nothing_is_relayed(harness: Harness) -> None:
    bob = harness.connect("bob")
    alice = harness.open()
    bob.expect(r"^\* Client-\d+ joined the chat$")
    alice.sock.sendall(
        bytes((IAC, IP, IAC, DO, TIMING_MARK, IAC, DO, ECHO)) + b"/nick alice\r\n/who\r\n"
    )
    data = read_until(alice.sock, b"2 users in lobby:")
    mark = bytes((IAC, WILL, TIMING_MARK))
    assert data.count(mark) == 1
    assert data.count(bytes((IAC, WONT, ECHO))) == 1
    # The answer follows the welcome, which was queued before the request arrived.
    assert data.index(b"Welcome to chinwag") < data.index(mark) < data.index(b"known as alice")
    alice.sock.sendall(b"barrier\r\n")  # after anything relayed from the bytes before it
    bob.expect(f"^{STAMP_RE} alice: barrier$")
    said = [line for line in bob.received if re.match(STAMP_RE, line)]
    assert said == [bob.received[-1]]
    assert not any("\ufffd" in line or "who" in line for line in bob.received)


@pytest.mark.skipif(shutil.which("telnet") is None, reason="the telnet program is not installed")
def test_real_telnet_keeps_showing_the_chat_after_ctrl_c(harness: Harness) -> None:
    bob = harness.connect("bob")
    host, port = harness.server.address
    child = pexpect.spawn("telnet", [host, str(port)], timeout=DEADLINE, encoding="utf-8")
    try:
        child.expect(r"Welcome to chinwag, (Client-\d+)!")
        child.sendline("/nick tel")
        child.expect("you are now known as tel")
        child.sendintr()  # Ctrl-C: IAC IP, IAC DO TIMING-MARK
        child.sendline("/who")
        child.expect(r"2 users in lobby:")
        bob.send("still there?")
        child.expect(r"bob: still there\?")
        child.sendline("hello from telnet")
        bob.expect(f"^{STAMP_RE} tel: hello from telnet$")
        assert [line for line in bob.received if "tel:" in line] == [bob.received[-1]]
        child.sendline("/quit")
        child.expect("Goodbye, tel!")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
