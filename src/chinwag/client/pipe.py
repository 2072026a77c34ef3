"""Pipe mode: lines from stdin are sent, every received line goes to stdout, plain.

For scripts and tests: ``echo /who | chinwag connect``. Output is UTF-8 text with ``\\n``
line ends and no colours, each line neutralised like in the interactive UI. The client's
own messages (a lost connection, reconnection attempts) go to stderr, so stdout holds
only what the server said. The input loop waits on stdin and on a wake-up pipe the
receiving thread writes to when the connection ends, so a lost server ends the client
even while stdin is idle. At stdin's end the client sends ``/quit`` and waits for the
server to close: every reply to the lines sent comes before that goodbye, so nothing in
flight is cut off, and no fixed delay is needed.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from typing import BinaryIO, TextIO

from chinwag.client.lines import Received
from chinwag.client.link import Ended, Link
from chinwag.client.outgoing import Intent, interpret
from chinwag.text.framing import LineBuffer, LineTooLong

STDIN_MAX_LINE_BYTES = 64 * 1024  # longer input lines are reported and skipped
GOODBYE_TIMEOUT = 5.0  # how long to wait for the server to close after /quit


class PipeUI:
    """The listener and input loop of pipe mode."""

    def __init__(self, stdin_fd: int, out: BinaryIO, err: TextIO) -> None:
        self._stdin_fd = stdin_fd
        self._out = out
        self._err = err
        self._write_lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self.outcome: Ended | None = None

    # --- Listener, called from the receiving thread --------------------------------------

    def lines(self, received: list[Received]) -> None:
        data = "".join(line.line + "\n" for line in received).encode("utf-8")
        with self._write_lock, contextlib.suppress(OSError):  # a closed stdout is no crash
            self._out.write(data)
            self._out.flush()

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
            link.start()
            if nick:
                link.send(f"/nick {nick}")
            try:
                quit_line = self._pump(link)
            except KeyboardInterrupt:
                quit_line = "/quit"
            if quit_line is not None and self.outcome is None:
                link.leave(quit_line, GOODBYE_TIMEOUT)
            link.close()
            if self.outcome is not None and self.outcome.lost:
                self.status(lost_message(self.outcome))
                return 2
            return 0
        finally:
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _pump(self, link: Link) -> str | None:
        """Forward stdin; the line to leave with, or None if the connection ended."""
        framer = LineBuffer(STDIN_MAX_LINE_BYTES)
        with selectors.DefaultSelector() as selector:
            selector.register(self._stdin_fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = {key.fd for key, _ in selector.select()}
                if self._wake_r in ready:  # the connection ended: nothing more to send
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


def lost_message(outcome: Ended) -> str:
    reason = f" ({outcome.reason})" if outcome.reason else ""
    return f"Connection to server lost{reason}"
