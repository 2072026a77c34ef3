"""A bug in a long-lived thread is logged and the thread keeps serving: the chat goes on."""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from chinwag.hub.events import Delivery
from chinwag.server import sender as sender_module
from tests.integration.conftest import STAMP_RE, Harness


def fail_once(real: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    """``real``, except that its first call raises ``error``."""
    failed = threading.Event()

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if not failed.is_set():
            failed.set()
            raise error
        return real(*args, **kwargs)

    return flaky


def test_a_failure_in_the_sender_thread_is_logged_and_the_chat_goes_on(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    real_deliver: Callable[[Iterable[Delivery]], None] = sender_module.deliver
    monkeypatch.setattr(sender_module, "deliver", fail_once(real_deliver, RuntimeError("bug")))
    alice.send("lost to the bug")
    harness.log.wait_for(r"^\[SERVER\] error in chinwag-sender")
    alice.send("still here")
    bob.expect(f"^{STAMP_RE} alice: still here$")
    bob.send("/who")
    bob.expect(r"^\* 2 users in lobby:$")


def test_a_failure_in_housekeeping_is_logged_and_housekeeping_goes_on(
    make_harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = make_harness()
    server = harness.server
    ticks = threading.Semaphore(0)
    real_connections = server.connections

    def counted() -> list[Any]:
        ticks.release()
        return real_connections()

    monkeypatch.setattr(server, "connections", fail_once(counted, RuntimeError("bug")))
    server.housekeeping_seconds = 0.01
    harness.log.wait_for(r"^\[SERVER\] error in chinwag-housekeeping")
    assert ticks.acquire(timeout=5), "housekeeping stopped after the failure"


def test_an_unexpected_accept_error_is_logged_and_accepting_goes_on(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = next(item for item in harness.server._listeners if item.name == "text")
    real_accept = listener.sock.accept

    class FlakySocket:
        """The listening socket, whose next accept fails as no peer could make it fail."""

        def __init__(self) -> None:
            self.accept = fail_once(real_accept, OSError(errno.EINVAL, "Invalid argument"))

        def __getattr__(self, name: str) -> Any:
            return getattr(real_sock, name)

    real_sock: socket.socket = listener.sock
    monkeypatch.setattr(listener, "sock", FlakySocket())
    # The accept thread is blocked in the real accept(); the first connection wakes it,
    # and the next accept() fails.
    first = harness.connect("first")
    second = harness.open()
    harness.log.wait_for(r"cannot accept a connection on the text port: Invalid argument")
    second.expect(r"^\* Welcome to chinwag")
    first.expect(r"^\* Client-2 joined the chat$")
