"""clean(): nothing that can drive a terminal survives; ordinary text is untouched."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.hub.cleaning import is_clean
from chinwag.text.sanitize import clean


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b[2J", ""),  # clear screen: no stray "[2J" left behind
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b[1;31;40mbold", "bold"),
        ("up\x1b[3Aagain", "upagain"),
        ("\x1b[?25l", ""),  # private-mode CSI (hide the cursor)
        ("a\x1b]0;new title\x07b", "ab"),  # OSC ended by BEL
        ("a\x1b]8;;http://x\x1b\\link", "alink"),  # OSC ended by ST (a hyperlink)
        ("a\x1b]0;never ended", "a"),
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # DCS
        ("a\x1b_apc\x1b\\b", "ab"),
        ("\x1bc", ""),  # full terminal reset
        ("x\x1b", "x"),  # a lone ESC at the end
        ("\x9b2J", ""),  # the 8-bit CSI
        ("ring\x07", "ring"),
        ("a\x00b\x08c", "abc"),
        ("del\x7f", "del"),
        ("c1\x85\x9c\x9f", "c1"),
        ("a\rb\nc\x0bd\x0ce", "abcde"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # a bidirectional override
        ("alice\u200f: hi", "alice: hi"),  # a bidirectional mark, and the others
        ("x\u200ey\u061cz", "xyz"),
        ("one\u2028two\u2029three", "onetwothree"),  # line and paragraph separators
        ("a\tb", "a\tb"),
        ("Привет, мир", "Привет, мир"),
        ("🙂👍🏽 👨‍👩‍👧", "🙂👍🏽 👨‍👩‍👧"),  # the zero-width joiner is part of the emoji
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


def is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char != "\t"


# Text that is likely to hold escape sequences and control characters, whole or in part.
PIECES = [
    "\x1b",
    "[",
    "]",
    "\x1b[",
    "\x1b]",
    "\x1bP",
    "\x1b\\",
    "\x07",
    "\x9b",
    "\t",
    "2J",
    ";",
    "m",
    "é",
    "🙂",
    "\u202e",
]
noisy_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), max_size=20).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(text=noisy_text)
def test_output_has_no_escape_or_control_character(text: str) -> None:
    cleaned = clean(text)
    assert "\x1b" not in cleaned
    assert not any(is_control(char) for char in cleaned)


@settings(max_examples=300, deadline=None)
@given(text=noisy_text)
def test_clean_is_idempotent(text: str) -> None:
    cleaned = clean(text)
    assert clean(cleaned) == cleaned


@settings(max_examples=200, deadline=None)
@given(text=noisy_text)
def test_clean_only_removes(text: str) -> None:
    # Every character kept is one of the input's, in the same order.
    remaining = iter(text)
    assert all(char in remaining for char in clean(text))


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"])))
def test_printable_text_is_unchanged(text: str) -> None:
    assert clean(text) == text


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(noisy_text, st.text()))
def test_what_clean_returns_events_accept(text: str) -> None:
    # The cleaner and the events' check agree on what is unsafe.
    assert is_clean(clean(text))


@pytest.mark.parametrize(
    "char", ["\x00", "\x1b", "\n", "\x7f", "\x85", "\x9b", "\u202e", "\u2068", "\u200f", "\u2028"]
)
def test_unsafe_characters_are_not_clean(char: str) -> None:
    assert not is_clean(f"a{char}b")
