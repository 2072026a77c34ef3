"""The server's own terminal: operator commands typed where the server runs.

When standard input is a terminal, the main thread reads it while the server runs. Each
line is a command for a :class:`~chinwag.text.session.TextSession` whose member is the
operator ``server`` (the leading ``/`` is optional; plain text is a notice to everyone).
The console is in no room, so it has its own ``help``, and the commands that need a room
or a user's own identity (``me``, ``nick``, ``join`` ...) say why they do not apply.

When standard input and output are both a terminal, lines are read with ``readline``
(editing, history) behind a ``chinwag>`` prompt. Log lines, written by the log's own
thread, and command replies are printed *above* the line being typed: the prompt line is
cleared, the text written, and the prompt with the typed text drawn again (see
:class:`Prompt`). Otherwise (a pipe, a closed terminal) lines are read as they come.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Protocol

from chinwag import log
from chinwag.hub.events import Delivery, Event, info
from chinwag.hub.hub import Member
from chinwag.server.dispatch import deliver
from chinwag.server.server import ChatServer
from chinwag.text.format import render
from chinwag.text.framing import Line, LineBuffer
from chinwag.text.session import COMMANDS, TextSession

CONSOLE_NAME = "server"
PROMPT = "chinwag> "
PROMPT_DRAWING_SECONDS = 0.5  # the longest a writer waits for readline to draw the prompt

# What the console can do, in the order its help lists them: (usage, summary). The leading
# "/" is optional on the console, so the usages are written without it.
CONSOLE_HELP: dict[str, tuple[str, str]] = {
    "wall": ("wall TEXT", "a notice to everyone on the server (plain text does the same)"),
    "msg": ("msg NAME TEXT", "a private message to one user, from server"),
    "who": ("who [ROOM]", "everyone connected, or who is in ROOM"),
    "rooms": ("rooms", "the rooms and how many are in each"),
    "names": ("names ROOM", "the names of those in ROOM, on one line"),
    "whois": ("whois NAME", "who a user is: rooms, connected, idle, away"),
    "kick": ("kick NAME [REASON]", "disconnect a user"),
    "ban": ("ban NAME|IP[/BITS] [MINUTES]", "ban an address or network and disconnect it"),
    "unban": ("unban IP|NAME", "lift a ban"),
    "bans": ("bans", "the bans in force"),
    "nodes": ("nodes", "the servers of the cluster (--cluster) and how many users each has"),
    "help": ("help [COMMAND]", "this list, or one command explained"),
}
# The console's own commands, which users do not have.
CONSOLE_ONLY = frozenset({"nodes"})
_NOT_IN_A_ROOM = "the console is not in a room; use wall to speak to everyone"
# The user commands that make no sense on the console, and what to do instead.
CONSOLE_REFUSALS: dict[str, str] = {
    "me": _NOT_IN_A_ROOM,
    "join": "the console is not in a room and cannot join one; who ROOM shows who is in it",
    "leave": "the console is not in a room; use wall to speak to everyone",
    "part": "the console is not in a room; use wall to speak to everyone",
    "topic": "the console is not in a room; a room's operators set its topic",
    "mode": "the console is not in a room; a room's operators set its modes",
    "invite": "the console is not in a room to invite anyone into",
    "history": "the console is in no room and has no conversations to show the history of",
    "nick": f"the console's name is fixed: it speaks as {CONSOLE_NAME}",
    "away": "the console cannot be away",
    "op": "the console is an operator already",
    "quit": "the console cannot quit; press Ctrl-C to stop the server",
    "exit": "the console cannot quit; press Ctrl-C to stop the server",
}


class _ConsoleFormatter:
    def format(self, event: Event) -> bytes:
        text = render(event)
        return (text + "\n").encode("utf-8") if text else b""


class Output(Protocol):
    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class ConsoleEndpoint:
    """Prints what the console's member receives."""

    def __init__(self, out: Output) -> None:
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

    def __init__(self, server: ChatServer, out: Output = sys.stdout) -> None:
        self.member = Member(CONSOLE_NAME, "console")
        self.router = server.router
        self.router.add(CONSOLE_NAME, ConsoleEndpoint(out))
        self.member.operator = True
        self.session = TextSession(server.hub, self.member, console=True)
        self._server = server

    def handle(self, line: str) -> list[Delivery]:
        text = line.strip()
        if not text or text.startswith("//"):
            return self.session.handle(text)
        word, _, args = text.lstrip("/").partition(" ")
        word = word.casefold()
        if word in CONSOLE_REFUSALS:
            return [self.session.problem(CONSOLE_REFUSALS[word])]
        if word == "help":
            return [self._help(args.strip())]
        if word == "nodes" and not args.strip():  # "nodes are ..." stays a notice
            return [self._nodes()]
        if not text.startswith("/") and word in COMMANDS:
            text = "/" + text
        return self.session.handle(text)

    def _nodes(self) -> Delivery:
        """The cluster's nodes with members, this one first, and their users."""
        cluster = self._server.cluster
        if cluster is None:
            return self.session.problem("this server is not in a cluster (see --cluster)")
        counts = cluster.nodes()
        here = cluster.node
        state = "cut off from Redis, going on alone" if cluster.link.degraded else "in touch"
        ordered = [here, *sorted(node for node in counts if node != here)]
        lines = [f"{len(ordered)} node" + "s" * (len(ordered) != 1) + " with users:"]
        for node in ordered:
            users = counts.get(node, 0)
            mark = f" (this one: {state})" if node == here else ""
            lines.append(f"  {node}: {users} user" + "s" * (users != 1) + mark)
        return info(self.member, *lines)

    def _help(self, topic: str) -> Delivery:
        if topic:
            word = topic.lstrip("/").casefold()
            if word in CONSOLE_REFUSALS:
                return self.session.problem(CONSOLE_REFUSALS[word])
            entry = COMMANDS.get(word)
            name = entry.name if entry is not None else word  # or the console's own
            if name not in CONSOLE_HELP:
                return self.session.problem(f"there is no console command {word}")
            usage, summary = CONSOLE_HELP[name]
            return info(self.member, f"{usage}: {summary}")
        lines = ["console commands (the leading / is optional):"]
        lines += [f"  {usage:<30} {summary}" for usage, summary in CONSOLE_HELP.values()]
        lines.append("anything else you type is a notice to everyone (as wall)")
        lines.append("Ctrl-C stops the server")
        return info(self.member, *lines)


def run_console(server: ChatServer, wake_fd: int, stdin_fd: int | None) -> None:
    """Serve console commands from ``stdin_fd`` until ``wake_fd`` becomes readable.

    ``wake_fd`` is the read end of the pipe that signal handlers write to; with no console
    this just waits for it, without polling.
    """
    editor = _line_editor() if stdin_fd is not None and _is_terminal(stdin_fd) else None
    if editor is not None:
        _run_interactive(server, wake_fd, Prompt(editor, sys.stdout))
        return
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


def _is_terminal(stdin_fd: int) -> bool:
    try:
        return os.isatty(stdin_fd) and sys.stdout.isatty()
    except (AttributeError, ValueError):  # standard output replaced or closed
        return False


def _line_editor() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # a Python built without it: lines are read as they come
        return None
    return readline


class _Woken(Exception):
    """A stop signal arrived while the console waited for a line."""


class Prompt:
    """The ``chinwag>`` line at the bottom of the terminal, and the text printed above it.

    Everything the console prints (its replies, the log lines written by the log thread)
    goes through :meth:`write`: while a line is being read, the prompt line is cleared,
    the text written, and readline told it is on a fresh line so that it draws the prompt
    and the typed text (with the cursor where it was) again. One lock keeps two writers
    from interleaving.
    """

    def __init__(self, editor: ModuleType, out: Output) -> None:
        self._editor = editor
        self._out = out
        self._lock = threading.Lock()
        self.reading = False  # in read(): a stop signal must raise out of input()
        self._editing = False  # the prompt is drawn: writes go above it
        self._on_new_line = _readline_function(editor, "rl_on_new_line")
        # While readline draws the prompt, writers wait (a moment at most): a line written
        # then would be cleared by the redraw, or the redraw doubled by readline's own.
        self._prompting = False
        self._drawn_prompt = threading.Condition(self._lock)
        self._hooks = hasattr(editor, "set_pre_input_hook")
        if self._hooks:
            editor.set_startup_hook(self._drawing)
            editor.set_pre_input_hook(self._drawn)

    def _drawing(self) -> None:
        """readline is about to draw the prompt (its startup hook)."""
        with self._lock:
            self._prompting = True

    def _drawn(self) -> None:
        """readline has drawn the prompt and reads keys now (its pre-input hook)."""
        with self._lock:
            self._prompting = False
            self._editing = True
            self._drawn_prompt.notify_all()

    def write(self, text: str) -> int:
        with self._lock:
            self._drawn_prompt.wait_for(lambda: not self._prompting, PROMPT_DRAWING_SECONDS)
            if not self._editing:
                self._out.write(text)
            else:
                self._out.write("\r\x1b[K" + text)
                if self._on_new_line is not None:
                    self._out.flush()
                    self._on_new_line()
                    self._editor.redisplay()
                else:  # no rl_on_new_line (libedit, say): draw the line ourselves
                    self._out.write(PROMPT + self._editor.get_line_buffer())
            self._out.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._out.flush()

    def read(self, woken: Callable[[], bool]) -> str:
        """The next line typed; raises :class:`_Woken` on a stop signal, EOFError at Ctrl-D."""
        self.reading = True
        self._editing = not self._hooks  # without the hooks: as soon as input() is called
        try:
            if woken():  # a signal that came before reading was set raised nothing
                raise _Woken
            return input(PROMPT)
        finally:
            with self._lock:
                self.reading = self._editing = self._prompting = False
                self._drawn_prompt.notify_all()

    def close(self) -> None:
        """Take the prompt off the screen, so that what follows starts on a clean line."""
        with self._lock:
            self._out.write("\r\x1b[K")
            self._out.flush()


def _readline_function(editor: ModuleType, name: str) -> Callable[[], int] | None:
    """A function of the readline library the module is built on, if it has it."""
    import ctypes  # only for an interactive console: a service never loads it

    try:
        function: Callable[[], int] = getattr(ctypes.CDLL(editor.__file__), name)
    except (AttributeError, OSError, TypeError):
        return None
    return function


def _run_interactive(server: ChatServer, wake_fd: int, prompt: Prompt) -> None:
    """Read lines with readline until a stop signal (or Ctrl-C) writes to ``wake_fd``.

    ``input()`` does not return when a signal's handler merely writes to the wake pipe, so
    while a line is being read the handlers also raise :class:`_Woken` out of it.
    """
    console = Console(server, prompt)
    previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {
        signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)
    }

    def wake(signum: int, frame: FrameType | None) -> None:
        handler = previous[signum]
        if callable(handler):
            handler(signum, frame)
        if prompt.reading:
            raise _Woken

    def woken() -> bool:
        return bool(select.select([wake_fd], [], [], 0)[0])

    for signum in previous:
        signal.signal(signum, wake)
    log.print_through(prompt.write)
    try:
        while True:
            try:
                line = prompt.read(woken)
            except (_Woken, KeyboardInterrupt):
                return
            except EOFError:  # Ctrl-D: keep serving until a signal, without a console
                prompt.close()
                _wait(wake_fd)
                return
            _serve_line(console, line)
    finally:
        log.print_through(None)
        prompt.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _wait(wake_fd: int) -> None:
    while True:
        with contextlib.suppress(InterruptedError):
            select.select([wake_fd], [], [])
            return


def _serve_line(console: Console, line: str) -> None:
    """Interpret one console line; a bug in a command is logged and the console lives on."""
    try:
        deliver(console.handle(line), console.router)
    except Exception:  # noqa: BLE001 - the console is the operator's way in: keep it open
        log.problem("error in a console command")
