"""The server's own terminal: operator commands typed where the server runs.

When standard input is a terminal, the main thread reads it while the server runs. Each
line is a command for a :class:`~chinwag.text.session.TextSession` whose member is the
operator ``server`` (the leading ``/`` is optional; plain text is a notice to everyone).
Replies are printed on standard output, between the log lines.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from typing import TextIO

from chinwag import log
from chinwag.hub.events import Delivery, Event
from chinwag.hub.hub import Member
from chinwag.server.dispatch import deliver
from chinwag.server.server import ChatServer
from chinwag.text.format import render
from chinwag.text.framing import Line, LineBuffer
from chinwag.text.session import COMMANDS, TextSession

CONSOLE_NAME = "server"


class _ConsoleFormatter:
    def format(self, event: Event) -> bytes:
        return (render(event) + "\n").encode("utf-8")


class ConsoleEndpoint:
    """Prints what the console's member receives."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._formatter = _ConsoleFormatter()

    @property
    def formatter(self) -> _ConsoleFormatter:
        return self._formatter

    def send(self, data: bytes) -> None:
        self._out.write(data.decode("utf-8"))
        self._out.flush()

    def close(self, reason: str, last_words: bytes = b"") -> None:
        """The console cannot be disconnected."""


class Console:
    """Interprets operator commands typed on the server's terminal."""

    def __init__(self, server: ChatServer, out: TextIO = sys.stdout) -> None:
        self.member = Member(CONSOLE_NAME, "console")
        self.router = server.router
        self.router.add(CONSOLE_NAME, ConsoleEndpoint(out))
        self.member.operator = True
        self.session = TextSession(server.hub, self.member, console=True)

    def handle(self, line: str) -> list[Delivery]:
        text = line.strip()
        if not text:
            return []
        word = text.split(" ", 1)[0].lstrip("/").casefold()
        if word in {"quit", "exit"}:
            return [
                self.session.problem("the console cannot quit; press Ctrl-C to stop the server")
            ]
        if not text.startswith("/") and word in COMMANDS:
            text = "/" + text
        return self.session.handle(text)


def run_console(server: ChatServer, wake_fd: int, stdin_fd: int | None) -> None:
    """Serve console commands from ``stdin_fd`` until ``wake_fd`` becomes readable.

    ``wake_fd`` is the read end of the pipe that signal handlers write to; with no console
    this just waits for it, without polling.
    """
    console = Console(server)
    framer = LineBuffer()
    watched = [wake_fd] if stdin_fd is None else [wake_fd, stdin_fd]
    while True:
        with contextlib.suppress(InterruptedError):
            readable, _, _ = select.select(watched, [], [])
            if wake_fd in readable:
                return
            data = os.read(stdin_fd, 4096) if stdin_fd is not None else b""
            if not data:  # the terminal closed: keep serving, stop listening to it
                watched = [wake_fd]
                continue
            for frame in framer.feed(data):
                if isinstance(frame, Line):
                    _serve_line(console, frame.text)


def _serve_line(console: Console, line: str) -> None:
    """Interpret one console line; a bug in a command is logged and the console lives on."""
    try:
        deliver(console.handle(line), console.router)
    except Exception:  # noqa: BLE001 - the console is the operator's way in: keep it open
        log.problem("error in a console command")
