"""The exact line every event becomes in the text protocol."""

from __future__ import annotations

import pytest

from chinwag.hub.events import (
    BanLifted,
    BanSet,
    BecameOperator,
    Disconnected,
    Event,
    Farewell,
    Info,
    Joined,
    NickChanged,
    Parted,
    PrivateMessage,
    Problem,
    Quit,
    RoomMessage,
    Wall,
)
from chinwag.text.format import TEXT, render, stamp
from tests.unit.fakes import NOON, STAMP


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (RoomMessage(NOON, "ann", "lobby", "hello there"), f"{STAMP} ann: hello there"),
        (RoomMessage(NOON, "ann", "lobby", "waves", action=True), f"{STAMP} * ann waves"),
        (PrivateMessage(NOON, "ann", "bob", "psst"), f"{STAMP} *ann* psst"),
        (Joined("ann", "lobby", connected=True), "* ann joined the chat"),
        (Joined("ann", "games"), "* ann joined games"),
        (Parted("ann", "games"), "* ann left games"),
        (Parted("ann", "games", "bored"), "* ann left games (bored)"),
        (Quit("ann"), "* ann left the chat"),
        (Quit("ann", "kicked by bob: spam"), "* ann left the chat (kicked by bob: spam)"),
        (NickChanged("Client-1", "ann"), "* Client-1 is now known as ann"),
        (NickChanged("Client-1", "ann", own=True), "* you are now known as ann"),
        (
            Wall(NOON, "server", "restart at noon"),
            f"{STAMP} *** Notice from server: restart at noon",
        ),
        (Info(("one line",)), "* one line"),
        (Info(("first", "  second")), "* first\r\n*   second"),
        (Problem("no such user"), "! no such user"),
        (BecameOperator(), "* you are now an operator"),
        (Disconnected("bob"), "* bob was kicked"),
        (BanSet("10.0.0.0/24"), "* 10.0.0.0/24 is banned for good"),
        (BanSet("10.0.0.2", 2.5), "* 10.0.0.2 is banned for 2.5 minutes"),
        (BanLifted("10.0.0.2"), "* the ban on 10.0.0.2 is lifted"),
        (Farewell("Goodbye, ann!", "bye"), "* Goodbye, ann!"),
        (Farewell("You were kicked by bob", "kicked by bob"), "* You were kicked by bob"),
    ],
)
def test_render(event: Event, line: str) -> None:
    assert render(event) == line


def test_format_ends_every_line_with_crlf_in_utf8() -> None:
    assert TEXT.format(RoomMessage(NOON, "Борис", "lobby", "привет 🙂")) == (
        f"{STAMP} Борис: привет 🙂\r\n".encode()
    )
    assert TEXT.format(Info(("a", "b"))) == b"* a\r\n* b\r\n"


def test_line_is_for_text_that_is_no_event() -> None:
    assert TEXT.line("Server is full (3 clients); try again later") == (
        b"Server is full (3 clients); try again later\r\n"
    )


def test_stamp_is_hours_minutes_seconds() -> None:
    assert stamp(NOON) == "[12:34:56]"
    assert stamp(NOON.replace(hour=7, minute=5, second=9, microsecond=999_999)) == "[07:05:09]"
