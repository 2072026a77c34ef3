"""The interactive UI: prompt_toolkit's prompt at the bottom, messages scrolling above.

The main thread runs the input loop (one ``prompt()`` per line); the receiving thread
prints through a :class:`~chinwag.client.printer.Printer`, which hands each write to the
running prompt so it is drawn above the input line and the line being typed is redrawn
intact, and between prompts writes it at once. When the connection ends the receiving
thread makes the prompt return (through the application's event loop, the only
thread-safe way in); a ``pre_run`` check covers an end that comes between two prompts.

A line sent is erased from the input area when it is accepted (``erase_when_done``), so
the only copy on screen is the stamped local echo. Lines are wrapped here, to the
terminal's width at the time, with a hanging indent (:func:`~chinwag.client.view.wrap`).
A private message or a mention of the user's name rings the bell (unless ``--no-bell``)
and counts in the terminal's title, ``(2) chinwag``, until the user types; the title
is pushed on the terminal's title stack first and popped on leaving, where supported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from chinwag.client import view
from chinwag.client.colours import nick_colour
from chinwag.client.completion import complete
from chinwag.client.lines import Received
from chinwag.client.link import End, Ended, Link
from chinwag.client.outgoing import Intent, interpret
from chinwag.client.pipe import ending_message
from chinwag.client.printer import Printer

GOODBYE_TIMEOUT = 2.0
TITLE = "chinwag"
BELL = "\a"
PUSH_TITLE = "\x1b[22;0t"  # xterm's title stack; terminals without one ignore these
POP_TITLE = "\x1b[23;0t"
FALLBACK_WIDTH = 80


class _ConnectionEnded(Exception):
    """Raised out of ``prompt()`` when the receiving thread reports the end."""


SECRET_COMMANDS = ("/op ", "/pass ")  # their argument is a password


class PrivateHistory(FileHistory):
    """File history that never stores a password typed as ``/op`` or ``/pass``."""

    def store_string(self, string: str) -> None:
        if string.lstrip().casefold().startswith(SECRET_COMMANDS):
            return
        super().store_string(string)


def open_history(path: Path | None) -> History:
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)  # a chat log is nobody else's business
    except OSError:
        return InMemoryHistory()  # an unwritable home must not stop anyone chatting
    return PrivateHistory(str(path))


class ChatCompleter(Completer):
    def __init__(self, link: Link) -> None:
        self._link = link

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        found = complete(document.text_before_cursor, self._link.nicks_seen(), self._link.nick)
        for candidate in found.candidates:
            yield Completion(candidate, start_position=-len(found.word))


class TerminalUI:
    """The listener and input loop of interactive mode."""

    def __init__(self, history: History, *, colour: bool = True, bell: bool = True) -> None:
        self._history = history
        self._colour = colour
        self._bell = bell
        self._attention_lock = threading.Lock()  # the receiving thread counts, typing clears
        self._unseen = 0  # mentions and private messages since the user last typed
        self._title_pushed = False
        self._ended = threading.Event()
        self.outcome: Ended | None = None
        self._out: Printer | None = None  # made in run(), for the session's terminal
        self._session: PromptSession[str] | None = None
        self._link: Link | None = None

    # --- Listener, called from the receiving thread --------------------------------------

    def lines(self, received: list[Received]) -> None:
        nick = self._link.nick if self._link else ""
        text = "".join(self._rows(view.spans(r, nick)) for r in received)
        calls = sum(view.calls_for_attention(r, nick) for r in received)
        self._write(text + (self._attention(calls) if calls else ""))
        if self._session is not None:
            self._session.app.invalidate()  # the prompt shows the nick and room, maybe new

    def status(self, text: str) -> None:
        self._write(self._rows(view.status(text)))

    def ended(self, outcome: Ended) -> None:
        self.outcome = outcome
        self._ended.set()
        if self._session is None:
            return
        app = self._session.app
        loop = app.loop
        if app.is_running and loop is not None:
            loop.call_soon_threadsafe(self._exit_if_ended)

    # --- the input loop ------------------------------------------------------------------

    def run(self, link: Link, nick: str = "") -> int:
        self._link = link
        self._session = PromptSession(
            history=self._history,
            completer=ChatCompleter(link),
            complete_while_typing=False,
            enable_history_search=False,
            erase_when_done=True,  # the stamped echo is the one copy of a sent line
        )
        self._session.default_buffer.on_text_changed += self._typed
        self._out = Printer(self._session.app.output)
        quit_line = "/quit"
        answered = True
        try:
            if nick:  # before the greeting is read, so its name hint is hidden
                link.ask_nick(nick)
            link.start()
            quit_line = self._loop(link)
        finally:
            if not self._ended.is_set():
                answered = link.leave(quit_line, GOODBYE_TIMEOUT)
            link.close()
            if self._title_pushed:
                self._write(f"\x1b]0;{TITLE}\x07{POP_TITLE}")
            self._out.detach()  # writes what is left
        outcome = self.outcome
        # A server too slow to say goodbye does not change that the user left.
        if outcome is None or not outcome.lost or (not answered and outcome.how is End.LOST):
            return 0
        print(ending_message(outcome), flush=True)
        return outcome.how.value

    def _loop(self, link: Link) -> str:
        """Read and send lines until the user leaves (the quit line) or the link ends."""
        assert self._session is not None
        assert self._out is not None
        while not self._ended.is_set():
            try:
                typed = self._session.prompt(self._prompt, pre_run=self._prompt_starts)
            except (KeyboardInterrupt, EOFError):  # Ctrl-C, Ctrl-D: leave like /quit
                return "/quit"
            except _ConnectionEnded:
                break
            finally:
                self._out.detach()
            outgoing = interpret(typed)
            if outgoing.intent is Intent.NOTHING:
                continue
            if outgoing.intent is Intent.QUIT:
                return outgoing.wire
            if not link.send(outgoing.wire):
                self.status(f"not connected, not sent: {outgoing.wire}")
                continue
            echo = link.echo(outgoing)
            if echo is not None:
                self.lines([echo])
        return "/quit"

    def _prompt(self) -> StyleAndTextTuples:
        link = self._link
        if link is None or not link.nick:
            return [("", "> ")]
        return [
            ("", f"[{link.room}] "),
            (f"{nick_colour(link.nick)} bold" if self._colour else "", link.nick),
            ("", "> "),
        ]

    def _prompt_starts(self) -> None:
        """In the prompt's loop, before it draws: lines go through it from now on."""
        assert self._out is not None
        self._out.attach(asyncio.get_running_loop())
        self._exit_if_ended()

    def _exit_if_ended(self) -> None:
        if self._session is None or not self._ended.is_set():
            return
        app = self._session.app
        if app.is_running and app.future is not None and not app.future.done():
            app.exit(exception=_ConnectionEnded())

    def _attention(self, calls: int) -> str:
        """The bell and title that tell of ``calls`` more mentions or private messages."""
        with self._attention_lock:
            self._unseen += calls
            unseen = self._unseen
            push = "" if self._title_pushed else PUSH_TITLE
            self._title_pushed = True
        return (BELL if self._bell else "") + f"{push}\x1b]0;({unseen}) {TITLE}\x07"

    def _typed(self, _buffer: object) -> None:
        """The user typed: they have seen what called them; the title mark goes."""
        with self._attention_lock:
            if not self._unseen:
                return
            self._unseen = 0
        self._write(f"\x1b]0;{TITLE}\x07")

    def _rows(self, pieces: list[view.Span]) -> str:
        """``pieces`` wrapped to the terminal's width and rendered, each row ending a line."""
        width = FALLBACK_WIDTH
        if self._session is not None:
            with contextlib.suppress(OSError, ValueError):
                width = self._session.app.output.get_size().columns or FALLBACK_WIDTH
        return "".join(self._render(row) + "\n" for row in view.wrap(pieces, width))

    def _render(self, pieces: list[view.Span]) -> str:
        return view.to_ansi(pieces) if self._colour else view.to_plain(pieces)

    def _write(self, text: str) -> None:
        if self._out is None:
            return
        self._out.write(text)


def make_ui(history_file: Path | None, *, bell: bool = True) -> TerminalUI:
    colour = "NO_COLOR" not in os.environ  # https://no-color.org
    return TerminalUI(open_history(history_file), colour=colour, bell=bell)
