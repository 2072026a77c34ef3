"""Pipe mode: lines from stdin are sent, every received line goes to stdout, plain.

For scripts and tests: ``echo /who | chinwag connect``. Output is UTF-8 text with ``\\n``
line ends and no colours, each line neutralised like in the interactive UI. The client's
own messages (a lost connection, reconnection attempts) go to stderr, so stdout holds
only what the server said. The input loop waits on stdin and on a wake-up pipe the
receiving thread writes to when the connection ends, so a lost server ends the client
even while stdin is idle. At stdin's end the client sends ``/quit`` and waits for the
server to close: every reply to the lines sent comes before that goodbye, so nothing in
flight is cut off, and no fixed delay is needed. A server that paces a flood of lines may
take long to get there; the client gives up only after :data:`GOODBYE_IDLE_SECONDS` with
nothing received.

The exit code says how it ended (:class:`~chinwag.client.link.End`): 0 only when the
server said goodbye to a ``/quit``; 3 when it would not have this user (a ban, a kick, a
wrong password, or none where one is needed: a script cannot type one in).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from typing import BinaryIO, TextIO

from chinwag.client.lines import Received
from chinwag.client.link import End, Ended, Link
from chinwag.client.outgoing import Intent, interpret
from chinwag.text.framing import LineBuffer, LineTooLong

STDIN_MAX_LINE_BYTES = 64 * 1024  # longer input lines are reported and skipped
GOODBYE_IDLE_SECONDS = 60.0  # silence after /quit before the client stops waiting
SERVER_ASKS_FIRST = "! send /pass PASSWORD first"
REFUSED_WITHOUT_ONE = "it needs a password (set CHINWAG_PASSWORD)"


class PipeUI:
    """The listener and input loop of pipe mode."""

    def __init__(self, stdin_fd: int, out: BinaryIO, err: TextIO) -> None:
        self._stdin_fd = stdin_fd
        self._out = out
        self._err = err
        self._write_lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self.outcome: Ended | None = None
        self._needs_password = False  # the server asked for one this client does not have

    # --- Listener, called from the receiving thread --------------------------------------

    def lines(self, received: list[Received]) -> None:
        data = "".join(line.line + "\n" for line in received).encode("utf-8")
        with self._write_lock, contextlib.suppress(OSError):  # a closed stdout is no crash
            self._out.write(data)
            self._out.flush()
        if not self._needs_password and any(line.line == SERVER_ASKS_FIRST for line in received):
            self._needs_password = True  # the rest of the input would be refused too
            os.write(self._wake_w, b"\0")

    def status(self, text: str) -> None:
        with self._write_lock, contextlib.suppress(OSError):
            print(text, file=self._err, flush=True)

    def ended(self, outcome: Ended) -> None:
        self.outcome = outcome
        os.write(self._wake_w, b"\0")

    # --- the input loop ------------------------------------------------------------------

    def run(self, link: Link, nick: str = "") -> int:
        """Send stdin's lines until it ends or the connection does; the exit code."""
        try:
            if nick:  # before the greeting is read, so its name hint is hidden
                link.ask_nick(nick)
            link.start()
            try:
                quit_line = self._pump(link)
            except KeyboardInterrupt:
                quit_line = "/quit"
            if self._needs_password:
                quit_line = "/quit"
            answered = True
            if quit_line is not None and self.outcome is None:
                answered = link.leave(quit_line, GOODBYE_IDLE_SECONDS)
            link.close()
            if self._needs_password:
                return self._report(Ended(End.REFUSED, REFUSED_WITHOUT_ONE))
            if not answered:
                silence = f"no word from the server for {GOODBYE_IDLE_SECONDS:g}s after {quit_line}"
                return self._report(Ended(End.LOST, silence))
            return self._report(self.outcome or Ended(End.LEFT))
        finally:
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _report(self, outcome: Ended) -> int:
        """Say how it ended, on stderr; the exit code."""
        if outcome.lost:
            self.status(ending_message(outcome))
        return outcome.how.value

    def _pump(self, link: Link) -> str | None:
        """Forward stdin; the line to leave with, or None if the connection ended."""
        framer = LineBuffer(STDIN_MAX_LINE_BYTES)
        # select(), not epoll: standard input may be a regular file (`connect < script`),
        # which epoll refuses and select() reports as always ready.
        with selectors.SelectSelector() as selector:
            selector.register(self._stdin_fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = {key.fd for key, _ in selector.select()}
                if self._wake_r in ready:  # the connection ended, or will: nothing more to send
                    return None
                data = os.read(self._stdin_fd, 65536)
                # At the end, a newline completes a last line that had none.
                for frame in framer.feed(data if data else b"\n"):
                    if isinstance(frame, LineTooLong):
                        self.status(f"a line of over {frame.limit} bytes was not sent")
                        continue
                    outgoing = interpret(frame.text)
                    if outgoing.intent is Intent.QUIT:
                        return outgoing.wire
                    if outgoing.intent is not Intent.NOTHING and not link.send(outgoing.wire):
                        self.status(f"not connected, not sent: {outgoing.wire}")
                if not data:
                    return "/quit"


def ending_message(outcome: Ended) -> str:
    """The line that tells the user how the connection ended, unless they left."""
    if outcome.how is End.REFUSED:
        return f"Refused by the server: {outcome.reason}"
    if outcome.how is End.CANNOT_START:
        return outcome.reason
    reason = f" ({outcome.reason})" if outcome.reason else ""
    return f"Connection to server lost{reason}"
