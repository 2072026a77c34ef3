"""TelnetFilter: commands never reach the text, answers are right, however the bytes are cut."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinwag.text.telnet import (
    AYT,
    DO,
    DONT,
    IAC,
    SB,
    SE,
    TIMING_MARK,
    WILL,
    WONT,
    TelnetFilter,
)

IP, NOP, DM, GA = 244, 241, 242, 249
ECHO, NAWS, LINEMODE = 1, 31, 34


def whole(data: bytes) -> list[bytes]:
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def halves(data: bytes) -> list[bytes]:
    return [data[: len(data) // 2], data[len(data) // 2 :]]


SPLITS: list[Callable[[bytes], list[bytes]]] = [whole, bytewise, halves]


def run(data: bytes, split: Callable[[bytes], list[bytes]] = whole) -> tuple[bytes, bytes]:
    telnet = TelnetFilter()
    text, replies = b"", b""
    for chunk in split(data):
        more_text, more_replies = telnet.feed(chunk)
        text += more_text
        replies += more_replies
    return text, replies


@pytest.mark.parametrize("split", SPLITS)
def test_ctrl_c_in_telnet_is_answered_with_a_timing_mark_and_never_text(
    split: Callable[[bytes], list[bytes]],
) -> None:
    data = bytes((IAC, IP, IAC, DO, TIMING_MARK)) + b"/who\r\n"
    assert run(data, split) == (b"/who\r\n", bytes((IAC, WILL, TIMING_MARK)))


def test_plain_text_passes_untouched() -> None:
    data = "Привіт, світе!\r\n".encode()
    assert run(data) == (data, b"")


@pytest.mark.parametrize("split", SPLITS)
def test_options_asked_for_are_refused(split: Callable[[bytes], list[bytes]]) -> None:
    data = bytes((IAC, DO, ECHO, IAC, WILL, NAWS, IAC, WILL, LINEMODE))
    text, replies = run(data, split)
    assert text == b""
    assert replies == bytes((IAC, WONT, ECHO, IAC, DONT, NAWS, IAC, DONT, LINEMODE))


def test_a_refusal_is_sent_once_so_negotiation_cannot_loop() -> None:
    telnet = TelnetFilter()
    assert telnet.feed(bytes((IAC, DO, ECHO))) == (b"", bytes((IAC, WONT, ECHO)))
    assert telnet.feed(bytes((IAC, DO, ECHO))) == (b"", b"")
    # The client agrees it is off; a new request later is a new negotiation.
    assert telnet.feed(bytes((IAC, DONT, ECHO))) == (b"", b"")
    assert telnet.feed(bytes((IAC, DO, ECHO))) == (b"", bytes((IAC, WONT, ECHO)))


def test_requests_to_turn_off_what_is_off_get_no_answer() -> None:
    assert run(bytes((IAC, DONT, ECHO, IAC, WONT, NAWS))) == (b"", b"")


def test_every_timing_mark_is_answered() -> None:
    telnet = TelnetFilter()
    for _ in range(3):  # each Ctrl-C waits for its own answer
        assert telnet.feed(bytes((IAC, DO, TIMING_MARK))) == (b"", bytes((IAC, WILL, TIMING_MARK)))


@pytest.mark.parametrize("split", SPLITS)
def test_subnegotiation_is_dropped_whole_even_with_escaped_iac_inside(
    split: Callable[[bytes], list[bytes]],
) -> None:
    data = b"a" + bytes((IAC, SB, NAWS, 0, 80, IAC, IAC, 24, IAC, SE)) + b"b\n"
    assert run(data, split) == (b"ab\n", b"")


@pytest.mark.parametrize("split", SPLITS)
def test_one_byte_commands_are_dropped(split: Callable[[bytes], list[bytes]]) -> None:
    data = b"x" + bytes((IAC, NOP, IAC, DM, IAC, GA, IAC, IP, IAC, 200)) + b"y"
    assert run(data, split) == (b"xy", b"")


def test_iac_iac_is_a_data_byte() -> None:
    assert run(b"a" + bytes((IAC, IAC)) + b"b") == (b"a\xffb", b"")


def test_are_you_there_gets_a_visible_answer() -> None:
    assert run(bytes((IAC, AYT))) == (b"", b"[yes]\r\n")


@given(st.lists(st.binary(max_size=20), max_size=20))
def test_no_command_byte_survives_and_cuts_never_matter(chunks: list[bytes]) -> None:
    data = b"".join(chunks)
    telnet = TelnetFilter()
    pieces = [telnet.feed(chunk) for chunk in chunks]
    text = b"".join(piece[0] for piece in pieces)
    replies = b"".join(piece[1] for piece in pieces)
    assert (text, replies) == run(data)
    if IAC not in data:
        assert text == data
    # Replies are whole commands or the AYT line, never a stray byte.
    assert len(text) <= len(data)
