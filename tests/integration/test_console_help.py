"""The console's own help, and the user commands that do not apply to it."""

from __future__ import annotations

import io

import pytest

from chinwag.server.console import CONSOLE_HELP, CONSOLE_ONLY, CONSOLE_REFUSALS, Console
from chinwag.server.dispatch import deliver
from chinwag.text.session import COMMANDS
from tests.integration.conftest import Harness


def run(harness: Harness, line: str) -> str:
    out = io.StringIO()
    deliver(Console(harness.server, out).handle(line), harness.server.router)
    return out.getvalue()


def test_help_lists_what_the_console_can_do(harness: Harness) -> None:
    text = run(harness, "help")
    assert "console commands" in text
    for word in ("wall", "msg", "who", "rooms", "kick", "ban", "unban", "bans"):
        assert f"  {word} " in text
    for word in ("/me", "me ACTION", "nick NAME", "join ROOM", "/quit"):
        assert word not in text
    assert run(harness, "/help") == text


def test_every_listed_command_is_a_real_one_and_every_real_one_is_placed() -> None:
    assert set(CONSOLE_HELP) - CONSOLE_ONLY <= {entry.name for entry in COMMANDS.values()}
    assert not CONSOLE_ONLY & set(COMMANDS)  # a user command of that name would be hidden
    # A command added for users must be either offered or refused on the console.
    for name, entry in COMMANDS.items():
        assert name in CONSOLE_REFUSALS or entry.name in CONSOLE_HELP, name


def test_help_on_one_command(harness: Harness) -> None:
    assert "kick NAME [REASON]: disconnect a user" in run(harness, "help kick")
    assert "who [ROOM]" in run(harness, "help /users")
    assert "rooms: the rooms" in run(harness, "help /list")
    assert "no console command frob" in run(harness, "help frob")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("me waves", "the console is not in a room; use wall to speak to everyone"),
        ("/me waves", "the console is not in a room; use wall to speak to everyone"),
        ("join #ops", "the console is not in a room and cannot join one"),
        ("leave", "the console is not in a room"),
        ("nick boss", "the console's name is fixed: it speaks as server"),
        ("topic hello", "the console is not in a room"),
        ("quit", "the console cannot quit; press Ctrl-C to stop the server"),
        ("help me", "the console is not in a room; use wall"),
    ],
)
def test_commands_that_make_no_sense_there_say_so(harness: Harness, line: str, words: str) -> None:
    assert f"! {words}" in run(harness, line)


def test_plain_text_and_commands_still_work(harness: Harness) -> None:
    alice = harness.connect("alice")
    run(harness, "hello all")
    alice.expect(r"\*\*\* Notice from server: hello all$")
    assert "1 user in the chat" in run(harness, "who")


def test_whois_and_names_work_on_the_console(harness: Harness) -> None:
    alice = harness.connect("alice")
    alice.send("/away back soon")
    alice.expect(r"^\* you are marked away: back soon$")
    text = run(harness, "whois alice").replace("\r\n", "\n")
    assert "* alice\n*   rooms: lobby\n" in text
    assert "*   away: back soon\n" in text
    assert run(harness, "names lobby") == "* lobby (1): alice\n"
    assert "  whois NAME " in run(harness, "help")
