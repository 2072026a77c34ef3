"""The server's console on a real (pseudo-)terminal: readline, and log lines above the prompt."""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pexpect
import pyte
import pytest

from tests.integration.conftest import DEADLINE, SUBPROCESS_ENV

COLUMNS, ROWS = 100, 30
T = TypeVar("T")


class Terminal:
    """``chinwag serve`` in a pseudo-terminal, its screen as a terminal would show it."""

    def __init__(self) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self._stream = pyte.Stream(self.screen)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", "0"],
            env=SUBPROCESS_ENV,
            encoding="utf-8",
            dimensions=(ROWS, COLUMNS),
        )
        self.port = int(self.wait(lambda t: re.search(r"127\.0\.0\.1:(\d+)", t.text())).group(1))
        self.wait(lambda t: t.last_line() == "chinwag>")

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def last_line(self) -> str:
        return [line for line in self.lines() if line][-1]

    def wait(self, condition: Callable[[Terminal], T], what: str = "the screen") -> T:
        deadline = time.monotonic() + DEADLINE
        while True:
            result = condition(self)
            if result:
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; the screen:\n{self.text()}")
            with contextlib.suppress(pexpect.TIMEOUT):
                self._stream.feed(self.child.read_nonblocking(4096, timeout=0.1))

    def type(self, text: str) -> None:
        self.child.send(text)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    try:
        yield term
    finally:
        if term.child.isalive():
            term.child.kill(9)
        term.child.close()


def connect(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    client.recv(4096)  # the welcome
    return client


def test_a_log_line_leaves_the_typed_command_intact(terminal: Terminal) -> None:
    terminal.type("kick Clie")
    terminal.wait(lambda t: t.last_line() == "chinwag> kick Clie", "the typed text")
    client = connect(terminal.port)
    try:
        # The log line is written, then the prompt and the typed text redrawn below it.
        terminal.wait(
            lambda t: (
                "Client Client-1 connected" in t.text() and t.last_line() == "chinwag> kick Clie"
            ),
            "the log line above the redrawn prompt",
        )
        lines = [line for line in terminal.lines() if line]
        assert lines[-1] == "chinwag> kick Clie"
        assert "[SERVER] Client Client-1 connected" in lines[-2]
        # The cursor is still at the end of the typed text: typing goes on from there.
        terminal.type("nt-1 enough\r")
        terminal.wait(lambda t: "Removed connection for Client-1" in t.text(), "the kick")
        assert "chinwag> kick Client-1 enough" in terminal.lines()
        terminal.wait(lambda t: t.last_line() == "chinwag>", "a fresh prompt")
    finally:
        client.close()


def test_line_editing_and_history(terminal: Terminal) -> None:
    terminal.type("rooms\r")
    terminal.wait(lambda t: "rooms: lobby (0)" in t.text(), "the rooms")
    terminal.type("whoX\x7f\r")  # backspace
    terminal.wait(lambda t: "0 users in the chat" in t.text(), "who")
    terminal.type("\x1b[A\x1b[A")  # up twice: "rooms" again
    terminal.wait(lambda t: t.last_line() == "chinwag> rooms", "history")
    terminal.type("\x01\x0b")  # Ctrl-A, Ctrl-K: the line emptied
    terminal.wait(lambda t: t.last_line() == "chinwag>", "an empty line")


def test_help_on_the_console_and_ctrl_c_stops(terminal: Terminal) -> None:
    terminal.type("help\r")
    terminal.wait(lambda t: "console commands" in t.text(), "the console help")
    assert "wall TEXT" in terminal.text()
    terminal.type("me waves\r")
    terminal.wait(lambda t: "the console is not in a room; use wall" in t.text(), "refusal")
    terminal.type("half typed\x03")
    terminal.child.expect(pexpect.EOF, timeout=DEADLINE)
    terminal.child.close()
    assert terminal.child.exitstatus == 0
