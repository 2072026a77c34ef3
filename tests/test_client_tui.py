"""The interactive UI, driven for real: a pseudo-terminal (pexpect) rendered by pyte.

pyte plays the terminal: it keeps the screen the client draws and answers its cursor
position requests, so the tests read what a person would see, not raw escape codes.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from chinwag.server.server import ChatServer
from tests.client_support import (
    DEADLINE,
    STAMP,
    HostileServer,
    RawClient,
    client_command,
    client_env,
    start_server,
)

ROWS, COLUMNS = 24, 80
STANDALONE = "import sys; from chinwag.client.command import main; sys.exit(main(sys.argv[1:]))"
OpenRaw = Callable[[tuple[str, int]], RawClient]


class RingingScreen(pyte.Screen):
    """A screen that counts the bells it was sent, and keeps its title."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.bells = 0

    def bell(self, *args: object) -> None:
        self.bells += 1


class Terminal:
    """``chinwag connect`` in a pseudo-terminal, and the screen it has drawn."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.screen = RingingScreen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            command[0], command[1:], env=env, dimensions=(ROWS, COLUMNS), timeout=DEADLINE
        )
        # A real terminal answers "where is the cursor?"; prompt_toolkit asks.
        self.screen.write_process_input = self.child.send

    def _pump(self, wait: float) -> bool:
        """Feed what the child wrote to the screen; False once it has closed its side."""
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self.stream.feed(data)
        return True

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, condition: Callable[[], object], what: str) -> None:
        end = time.monotonic() + DEADLINE
        while not condition():
            if time.monotonic() > end:
                pytest.fail(f"timed out waiting for {what}; the screen:\n{self.text()}")
            if not self._pump(0.02) and not condition():
                pytest.fail(f"the client ended while waiting for {what}:\n{self.text()}")

    def wait_for_text(self, pattern: str) -> None:
        self.wait_for(lambda: re.search(pattern, self.text(), re.M), repr(pattern))

    def input_line(self) -> str:
        """The line the cursor is on: the prompt and what is typed so far."""
        return self.lines()[self.screen.cursor.y]

    def wait_for_input(self, expected: str) -> None:
        # Trailing blanks are invisible on a screen, so they are not compared.
        wanted = expected.rstrip()
        self.wait_for(lambda: self.input_line() == wanted, f"the input line {expected!r}")

    def type(self, text: str) -> None:
        self.child.send(text.encode("utf-8"))

    def wait_exit(self) -> int:
        end = time.monotonic() + DEADLINE
        while self._pump(0.05):
            if time.monotonic() > end:
                pytest.fail(f"the client did not exit; the screen:\n{self.text()}")
        self.child.close()
        status = self.child.exitstatus
        assert status is not None, f"killed by signal {self.child.signalstatus}"
        return int(status)

    def stop(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    started: list[Terminal] = []

    def spawn(
        address: tuple[str, int], *args: str, standalone: bool = False, **env: str
    ) -> Terminal:
        command = client_command(address, *args)
        if standalone:  # the client's own command line, with every option it has
            host, port = address
            command = [sys.executable, "-c", STANDALONE, f"{host}:{port}", *args]
        terminal = Terminal(command, client_env(tmp_path, **env))
        started.append(terminal)
        return terminal

    yield spawn
    for terminal in started:
        terminal.stop()


def test_a_message_arriving_while_typing_leaves_the_half_line_intact(
    chat_server: ChatServer,
    terminals: Callable[..., Terminal],
    raw_clients: OpenRaw,
    tmp_path: Path,
) -> None:
    term = terminals(chat_server.address, "--nick", "tester")
    term.wait_for_text(r"^\* you are now known as tester$")
    term.wait_for_input("[lobby] tester> ")
    other = raw_clients(chat_server.address)
    other.send("/nick Богдан")
    term.wait_for_text(rf"^{STAMP} \* Client-\d+ is now known as Богдан$")

    term.type("hello wo")
    term.wait_for_input("[lobby] tester> hello wo")
    other.send("привіт усім, як справи?")
    term.wait_for_text(r"^\[\d\d:\d\d:\d\d\] Богдан: привіт усім, як справи\?$")
    term.wait_for_input("[lobby] tester> hello wo")
    message_row = next(i for i, line in enumerate(term.lines()) if "Богдан: привіт" in line)
    assert message_row < term.screen.cursor.y  # above the input line, not inside it

    term.type("rld\r")
    other.expect(r"^\[\d\d:\d\d:\d\d\] tester: hello world$")
    term.wait_for_text(r"^\[\d\d:\d\d:\d\d\] tester: hello world$")  # the local echo
    term.wait_for_input("[lobby] tester> ")
    assert sum("hello world" in line for line in term.lines()) == 1  # the echo, no prompt copy

    term.type("/exit\r")
    assert term.wait_exit() == 0
    other.expect(r"^\* tester left the chat$")
    history = (tmp_path / "chinwag" / "history").read_text("utf-8")
    assert "+hello world" in history


def test_with_nick_the_greetings_name_hint_is_hidden(
    chat_server: ChatServer, terminals: Callable[..., Terminal]
) -> None:
    bare = terminals(chat_server.address)
    bare.wait_for_text(r"^\* Choose a name with /nick")  # without --nick it helps
    term = terminals(chat_server.address, "--nick", "tester")
    term.wait_for_text(r"^\* you are now known as tester$")
    term.wait_for_input("[lobby] tester> ")
    assert re.search(r"^\* Welcome to chinwag, Client-\d+!", term.text(), re.M)
    assert "Choose a name" not in term.text()


def test_long_lines_wrap_under_the_text_and_joins_carry_the_time(
    chat_server: ChatServer, terminals: Callable[..., Terminal], raw_clients: OpenRaw
) -> None:
    term = terminals(chat_server.address, "--nick", "tester")
    term.wait_for_input("[lobby] tester> ")
    other = raw_clients(chat_server.address)
    term.wait_for_text(rf"^{STAMP} \* Client-\d+ joined the chat$")
    other.send("/nick alice")
    term.wait_for_text(rf"^{STAMP} \* Client-\d+ is now known as alice$")
    words = " ".join(f"слово{i}" for i in range(30))
    other.send(words)
    term.wait_for_text(r"слово29$")
    rows = term.lines()
    first = next(i for i, row in enumerate(rows) if "alice: слово0 " in row)
    column = rows[first].index("слово0")
    continued = rows[first + 1 : next(i for i, row in enumerate(rows) if "слово29" in row) + 1]
    assert continued
    assert all(row[:column].isspace() and not row[column].isspace() for row in continued)
    assert " ".join([rows[first][column:], *(row.strip() for row in continued)]) == words
    other.send("/quit")
    term.wait_for_text(rf"^{STAMP} \* alice left the chat$")


def test_mentions_and_private_messages_ring_and_mark_the_title_until_typing(
    chat_server: ChatServer, terminals: Callable[..., Terminal], raw_clients: OpenRaw
) -> None:
    term = terminals(chat_server.address, "--nick", "tester", NO_COLOR="1")
    term.wait_for_input("[lobby] tester> ")
    other = raw_clients(chat_server.address)
    other.send("/nick bob")
    other.send("hi all")  # no mention: no bell
    term.wait_for_text(rf"^{STAMP} bob: hi all$")
    assert term.screen.bells == 0
    other.send("tester: lunch?")
    term.wait_for(lambda: term.screen.title == "(1) chinwag", "the title marked once")
    other.send("/msg tester psst")
    term.wait_for(lambda: term.screen.title == "(2) chinwag", "the title marked twice")
    assert term.screen.bells == 2
    cells = [cell for row in term.screen.buffer.values() for cell in row.values()]
    assert all(cell.fg == "default" and not cell.bold for cell in cells)  # NO_COLOR still holds
    term.type("y")
    term.wait_for(lambda: term.screen.title == "chinwag", "the mark cleared by typing")
    term.wait_for_input("[lobby] tester> y")
    term.type("\x03")
    assert term.wait_exit() == 0


def test_no_bell_keeps_the_title_mark_but_rings_nothing(
    chat_server: ChatServer, terminals: Callable[..., Terminal], raw_clients: OpenRaw
) -> None:
    term = terminals(chat_server.address, "--nick", "tester", "--no-bell", standalone=True)
    term.wait_for_input("[lobby] tester> ")
    other = raw_clients(chat_server.address)
    other.send("/msg tester psst")
    term.wait_for(lambda: term.screen.title == "(1) chinwag", "the title marked")
    term.wait_for_text(rf"^{STAMP} \*Client-\d+\* psst$")
    assert term.screen.bells == 0


def test_tab_completes_nicknames_and_commands_then_ctrl_c_leaves(
    chat_server: ChatServer, terminals: Callable[..., Terminal], raw_clients: OpenRaw
) -> None:
    other = raw_clients(chat_server.address)
    other.send("/nick Богдана")
    other.expect(r"^\* you are now known as Богдана$")
    term = terminals(chat_server.address, "--nick", "tester")
    term.wait_for_input("[lobby] tester> ")
    term.type("/wh\t")
    term.wait_for_input("[lobby] tester> /who")
    term.type("\r")
    term.wait_for_text(r"^\*   Богдана - connected")
    term.type("бог\t")
    term.wait_for_input("[lobby] tester> Богдана:")
    term.type("\x03")  # Ctrl-C
    assert term.wait_exit() == 0
    other.expect(r"^\* tester left the chat$")


def test_ctrl_d_leaves_cleanly(chat_server: ChatServer, terminals: Callable[..., Terminal]) -> None:
    term = terminals(chat_server.address)
    term.wait_for_text(r"^\* Welcome to chinwag")
    term.wait_for(lambda: term.input_line().endswith(">"), "the prompt")
    term.type("\x04")  # Ctrl-D on an empty line
    assert term.wait_exit() == 0


def test_server_shutdown_is_reported_and_exits_2(terminals: Callable[..., Terminal]) -> None:
    with start_server() as running:
        term = terminals(running.address)
        term.wait_for_text(r"^\* Welcome to chinwag")
        term.type("half a li")
        term.wait_for(lambda: term.input_line().endswith("> half a li"), "the typed text")
        running.shutdown()
        term.wait_for_text(r"^Connection to server lost \(server shutting down\)$")
        assert term.wait_exit() == 2
    assert "Traceback" not in term.text()


def test_escape_sequences_are_shown_not_obeyed(terminals: Callable[..., Terminal]) -> None:
    fake = HostileServer(
        b"* Welcome to chinwag, Client-1! You are in lobby.\r\n"
        b"[12:00:00] evil: \x1b[2J\x1b[1;1Hgotcha \x1b]0;pwned\x07\r\n"
    )
    try:
        term = terminals(fake.address)
        term.wait_for_text(r"^\[12:00:00\] evil: \^\[\[2J\^\[\[1;1Hgotcha \^\[\]0;pwned\^G$")
        assert term.wait_exit() == 2
        assert re.search(r"^\* Welcome to chinwag, Client-1!", term.text(), re.M)  # not cleared
    finally:
        fake.close()


def test_without_prompt_toolkit_interactive_mode_says_how_to_get_it(
    chat_server: ChatServer, terminals: Callable[..., Terminal], tmp_path: Path
) -> None:
    blocker = tmp_path / "blocked" / "prompt_toolkit"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = client_env(tmp_path)
    pythonpath = f"{blocker.parent}:{env['PYTHONPATH']}"
    term = terminals(chat_server.address, PYTHONPATH=pythonpath)
    term.wait_for_text(r"pip install 'chinwag\[client\]'")
    assert term.wait_exit() == 1


def test_the_client_is_the_python_under_test() -> None:
    assert client_command(("127.0.0.1", 1))[0] == sys.executable
