"""Text for the terminal, drawn above a running prompt, none of it lost or erased.

The receiving thread writes while the main thread runs one prompt after another. Which of
the two draws must be decided under one lock, or lines go missing: text written straight
to the terminal just as a prompt starts lands inside the prompt's area, and the prompt's
next redraw erases it; text handed to a prompt's event loop just as the prompt ends is
never written. (prompt_toolkit's ``StdoutProxy`` decides in its own thread, unlocked, and
loses lines both ways when a line arrives as a prompt starts or ends.)

Here a prompt is :meth:`Printer.attach`-ed from its ``pre_run`` (after the application
is current, before it draws anything) and :meth:`Printer.detach`-ed once it returned,
both under the printer's lock. Text written while no prompt is attached goes to the
terminal at once, under the same lock. Text for an attached prompt waits in one buffer,
and whoever writes it empties it: the prompt's event loop, above the prompt (through
``run_in_terminal``, a little later so that a burst redraws the prompt once), or, if the
prompt ended first, :meth:`detach`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.output import Output

REDRAW_DELAY = 0.02  # batch writes a little so a burst of lines redraws the prompt once


class Printer:
    """Writes text (already rendered: escape codes pass as they are) to ``output``."""

    def __init__(self, output: Output, delay: float = REDRAW_DELAY) -> None:
        self._output = output
        self._delay = delay
        self._lock = threading.Lock()
        self._pending: list[str] = []  # for the attached prompt to draw
        self._loop: asyncio.AbstractEventLoop | None = None  # the attached prompt's
        self._scheduled = False  # a draw of what is pending is on its way

    def write(self, text: str) -> None:
        """Show ``text``: now, or above the running prompt shortly (any thread)."""
        if not text:
            return
        with self._lock:
            self._pending.append(text)
            if self._loop is not None and self._loop.is_closed():
                self._loop = None  # the prompt ended: it draws no more
            if self._loop is None:
                self._write_pending()
            elif not self._scheduled:
                self._scheduled = True
                try:
                    self._loop.call_soon_threadsafe(self._draw_soon)
                except RuntimeError:  # closed just now
                    self._loop = None
                    self._write_pending()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """A prompt runs on ``loop`` and has not drawn yet: text goes through it."""
        with self._lock:
            self._loop = loop
            self._scheduled = False

    def detach(self) -> None:
        """The prompt returned (its loop runs nothing more): what it did not draw is
        written now, and text goes straight to the terminal again."""
        with self._lock:
            self._loop = None
            self._scheduled = False
            self._write_pending()

    def _draw_soon(self) -> None:  # in the prompt's loop
        asyncio.get_running_loop().call_later(self._delay, self._draw)

    def _draw(self) -> None:  # in the prompt's loop: erases the prompt, writes, redraws
        run_in_terminal(self._drain, in_executor=False)

    def _drain(self) -> None:
        with self._lock:
            self._scheduled = False
            self._write_pending()

    def _write_pending(self) -> None:
        """Write and forget what is pending (the caller holds the lock)."""
        text = "".join(self._pending)
        self._pending.clear()
        if not text:
            return
        with contextlib.suppress(OSError, ValueError):  # a terminal gone: nobody to tell
            self._output.enable_autowrap()
            self._output.write_raw(text)
            self._output.flush()
