"""Nickname and room name rules, and case-insensitive comparison."""

from __future__ import annotations

import pytest

from chinwag.hub import names
from chinwag.hub.errors import InvalidName, ReservedName

VALID = [
    "a",
    "x" * 32,
    "ann",
    "Ann_B-c.d",
    "Ålice",
    "Борис",
    "李雷",
    "محمد",
    "user42",
    "٣٤",  # digits need not be ASCII
    "...",
]
INVALID = [
    "",
    "x" * 33,
    "two words",
    "tab\there",
    "semi;colon",
    "@op",
    "#room",
    "smile🙂",
    "new\nline",
    "zero\u200bwidth",
    "a/b",
]


@pytest.mark.parametrize("nick", VALID)
def test_valid_nicks(nick: str) -> None:
    names.check_nick(nick, "Client-1")


@pytest.mark.parametrize("nick", INVALID)
def test_invalid_nicks(nick: str) -> None:
    with pytest.raises(InvalidName):
        names.check_nick(nick, "Client-1")


def test_length_is_counted_in_characters_not_bytes() -> None:
    names.check_nick("ж" * 32, "Client-1")  # 64 bytes of UTF-8
    with pytest.raises(InvalidName, match="1-32 characters"):
        names.check_nick("ж" * 33, "Client-1")


# "\u017f" is the long s, which case-folds to "s".
@pytest.mark.parametrize("nick", ["admin", "ADMIN", "Server", "system", "SyStEm", "\u017ferver"])
def test_reserved_nicks(nick: str) -> None:
    with pytest.raises(ReservedName, match="reserved"):
        names.check_nick(nick, "Client-1")


@pytest.mark.parametrize("nick", ["Client-2", "client-2", "CLIENT-17", "Client-0"])
def test_generated_names_of_others_are_reserved(nick: str) -> None:
    with pytest.raises(ReservedName, match="reserved"):
        names.check_nick(nick, "Client-1")


@pytest.mark.parametrize("nick", ["Client-1", "client-1", "CLIENT-1"])
def test_own_generated_name_is_allowed(nick: str) -> None:
    names.check_nick(nick, "Client-1")


@pytest.mark.parametrize("nick", ["Client-", "Client-1a", "Clients-1", "xClient-1", "Client_2"])
def test_names_merely_like_generated_ones_are_allowed(nick: str) -> None:
    names.check_nick(nick, "Client-1")


@pytest.mark.parametrize(("a", "b"), [("Ålice", "åLICE"), ("BOB", "bob"), ("Straße", "STRASSE")])
def test_fold_makes_case_variants_equal(a: str, b: str) -> None:
    assert names.fold(a) == names.fold(b)


def test_fold_keeps_different_names_apart() -> None:
    assert names.fold("ann") != names.fold("anne")


@pytest.mark.parametrize("room", ["lobby", "games", "Café", "dev-ops.2"])
def test_valid_rooms(room: str) -> None:
    names.check_room(room)


@pytest.mark.parametrize("room", ["", "r" * 33, "my room", "#chan", "a,b"])
def test_invalid_rooms(room: str) -> None:
    with pytest.raises(InvalidName, match="room name"):
        names.check_room(room)
