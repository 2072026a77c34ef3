"""Ban masks: what they match, and that matching costs linear time whatever the mask."""

from __future__ import annotations

import fnmatch
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.hub import errors, masks, modes


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        ("bob", "bob!*@*"),
        ("bob!x", "bob!x@*"),
        ("x@10.0.0.1", "*!x@10.0.0.1"),
        ("bob!x@h", "bob!x@h"),
    ],
)
def test_short_masks_are_completed(mask: str, expected: str) -> None:
    assert masks.normalize(mask) == expected


@pytest.mark.parametrize(
    ("mask", "matched"),
    [
        ("*!*@10.0.0.*", True),
        ("BOB", True),
        ("b?b", True),
        ("b?", False),
        ("*", True),
        ("*!*@*.1", True),
        ("*!*@*.2", False),
        ("*o*!u*@10*1", True),
        ("*x*", False),
        ("bob!user@10.0.0.1", True),
        ("bob!user@10.0.0.1?", False),
    ],
)
def test_masks_match_nick_user_and_host_ignoring_case(mask: str, matched: bool) -> None:
    assert masks.matches(mask, "Bob", "User", "10.0.0.1") is matched


def test_a_mask_longer_than_the_limit_matches_nobody() -> None:
    mask = "*" * (masks.MAX_MASK_LENGTH + 1)
    assert not masks.matches(mask, "bob", "u", "h")
    assert masks.matches(mask[: masks.MAX_MASK_LENGTH], "bob", "u", "h")


def test_a_pathological_mask_against_a_thousand_members_takes_well_under_a_second() -> None:
    # Backtracking regular expressions take exponential time on masks like these.
    people = [(f"a{'a' * 20}{n}", "a" * 16, f"10.0.{n // 256}.{n % 256}") for n in range(1000)]
    hard = [
        "*a" * 250,
        "*a" * 249 + "*b",
        "*a*?" * 125,
        ("*" + "?" * 20 + "a") * 22,
        "a*" * 250,
        "*" + "a?" * 220 + "b*",  # a piece that fits almost everywhere
    ]
    started = time.perf_counter()
    for mask in hard:
        assert len(mask) >= 440
        for nick, user, host in people:
            masks.glob_match(mask, f"{nick}!{user}@{host}")
    assert time.perf_counter() - started < 1.0


def test_a_hard_mask_within_the_limit_is_fast_and_right() -> None:
    text = "a" * 60
    assert masks.glob_match("*a" * 30, text)
    assert not masks.glob_match("*a" * 30 + "*b", text)
    assert masks.glob_match("*a" * 30 + "*", text)
    assert not masks.glob_match("*a" * 61, text)


def _reference(pattern: str, text: str) -> bool:
    """Glob by its definition, tried every way (fine on small inputs)."""
    if not pattern:
        return not text
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return any(_reference(rest, text[i:]) for i in range(len(text) + 1))
    return bool(text) and (head == "?" or head == text[0]) and _reference(rest, text[1:])


@settings(max_examples=500)
@given(st.text("ab?*", max_size=10), st.text("ab", max_size=10))
def test_glob_agrees_with_the_definition(pattern: str, text: str) -> None:
    assert masks.glob_match(pattern, text) is _reference(pattern, text)


@settings(max_examples=500)
@given(st.text("aAb!@.?*", max_size=14), st.text("aAb!@.", max_size=14))
def test_glob_agrees_with_fnmatch(pattern: str, text: str) -> None:
    assert masks.glob_match(pattern, text) is fnmatch.fnmatchcase(text, pattern)


@given(st.text("aAß?*", max_size=8), st.text("aAßs", max_size=8))
def test_matching_folds_case_like_names(pattern: str, text: str) -> None:
    expected = fnmatch.fnmatchcase(text.casefold(), pattern.casefold())
    assert masks.matches(f"{pattern}!*@*", text, "u", "h") is expected


def test_a_ban_mask_longer_than_the_limit_cannot_be_set() -> None:
    longest = "a!*@" + "a" * (masks.MAX_MASK_LENGTH - 4)
    modes.ModeChange(True, "b", longest)
    with pytest.raises(errors.BadArguments, match="at most"):
        modes.ModeChange(True, "b", longest + "a")


class _CountingText(str):
    """A text that counts how often the matcher looks into it, one place or one search."""

    looks = 0

    def __getitem__(self, key: object) -> str:  # type: ignore[override]
        _CountingText.looks += 1
        return super().__getitem__(key)  # type: ignore[index]

    def find(self, *args: object) -> int:  # type: ignore[override]
        _CountingText.looks += 1
        return super().find(*args)  # type: ignore[arg-type]

    def startswith(self, *args: object) -> bool:  # type: ignore[override]
        _CountingText.looks += 1
        return super().startswith(*args)  # type: ignore[arg-type]


def _looks(pattern: str, text: str) -> int:
    _CountingText.looks = 0
    assert not masks.glob_match(pattern, _CountingText(text))
    return _CountingText.looks


@pytest.mark.parametrize("pattern", ["*xx?b*", "*x?x?x?x?b*!*@*", "*xx?????????????b*"])
def test_a_piece_that_nearly_fits_everywhere_is_not_tried_place_by_place(pattern: str) -> None:
    # A name full of "x": the piece's plain characters are found at every place but
    # never all together. The work must not grow with the places it nearly fits at.
    short = _looks(pattern, "x" * 40 + "!u@10.0.0.1")
    long = _looks(pattern, "x" * 400 + "!u@10.0.0.1")
    assert short == long


@settings(max_examples=300)
@given(
    st.lists(st.text("ab?*", max_size=8), min_size=1, max_size=4),
    st.text("ab", max_size=12),
)
def test_one_subject_serves_many_masks(patterns: list[str], text: str) -> None:
    subject = masks.Subject(text)
    for pattern in patterns:
        assert masks.glob_match(pattern, subject) is _reference(pattern, text)
