"""Reading mode strings: one letter at a time, each with the argument it takes."""

from __future__ import annotations

from chinwag.hub import modes


def test_a_mode_string_is_split_into_letters_with_the_arguments_they_take() -> None:
    words = modes.split("+kl-v+zi", ["key", "10", "bob"])
    assert words == [
        modes.ModeWord(True, "k", "key"),
        modes.ModeWord(True, "l", "10"),
        modes.ModeWord(False, "v", "bob"),
        modes.ModeWord(True, "z", ""),  # unknown: takes nothing, the front end decides
        modes.ModeWord(True, "i", ""),
    ]


def test_a_letter_whose_argument_is_missing_is_told_apart_from_one_that_takes_none() -> None:
    assert modes.split("-lb", []) == [
        modes.ModeWord(False, "l", ""),
        modes.ModeWord(False, "b", None),
    ]
