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
    "user٣٤",  # digits need not be ASCII
    "...",
    "[away]",  # IRC's symbols, in nicknames only
    "{x}|y^z`\\",
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
    "42user",  # IRC nicknames start with no digit
    "٣٤",
    "-dash",
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


# --- look-alike and invisible names -------------------------------------------------------
# Written with escapes: these are the characters that pass for others on screen.
CYRILLIC_A = "\u0430"
CYRILLIC_ES = "\u0441"
CYRILLIC_DZE = "\u0455"
HANGUL_FILLER = "\u3164"
# Each written the way it pretends to be read, with why it must be refused.
LOOK_ALIKES = [
    (CYRILLIC_A + "dmin", InvalidName),  # Latin with a Cyrillic a: mixed scripts
    (CYRILLIC_DZE + "erver", InvalidName),
    ("\u0421lient-1", InvalidName),  # a Cyrillic capital es
    ("\u039dickServ", InvalidName),  # a Greek capital nu
    ("\uff21\uff24\uff2d\uff29\uff2e", ReservedName),  # fullwidth ADMIN
    ("\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427", ReservedName),  # bold admin
    ("ADMlN", ReservedName),  # a small L for the capital i
    ("adm1n", ReservedName),
    ("\u0455\u0435\u0433\u0475\u0435\u0433", ReservedName),  # "server" all in Cyrillic
    (HANGUL_FILLER, InvalidName),
    ("alice" + HANGUL_FILLER, InvalidName),
    ("\uffa0", InvalidName),  # the halfwidth filler
    ("a\u115fb", InvalidName),
    ("a\u1160b", InvalidName),
    ("cl1ent-2", ReservedName),  # looks like somebody else's generated name
]
SERVICES = ["NickServ", "nickserv", "ChanServ", "MemoServ", "OperServ", "HostServ", "BotServ"]


@pytest.mark.parametrize(("nick", "error"), LOOK_ALIKES)
def test_look_alike_and_invisible_names_are_refused(nick: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        names.check_nick(nick, "Client-1")


@pytest.mark.parametrize("nick", [*SERVICES, "Global", "services", "SERVICES"])
def test_service_names_are_reserved(nick: str) -> None:
    with pytest.raises(ReservedName, match="reserved"):
        names.check_nick(nick, "Client-1")


@pytest.mark.parametrize(
    "nick",
    [
        "\u041e\u043b\u0435\u043d\u0430",  # Олена: all Cyrillic
        "\u0410\u043b\u0438\u0441\u0430",  # Алиса
        CYRILLIC_A + CYRILLIC_ES + "\u0435",  # ace in Cyrillic letters, taken by nobody here
        "\u7530\u4e2d\u305f\u306a\u304b",  # Han with Hiragana
        "Kim\uae40",  # Latin with Hangul
        "Tanaka\u7530\u4e2d",  # Latin with Han
        "\u0391\u03b8\u03b7\u03bd\u03ac",  # Αθηνά: all Greek
        "nick_42",
        "Ivan",
    ],
)
def test_names_in_one_script_or_an_allowed_mix_are_accepted(nick: str) -> None:
    names.check_nick(nick, "Client-1")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("alice", "AIice"),  # a capital i for the small L
        ("bob", "b0b"),
        ("ace", CYRILLIC_A + CYRILLIC_ES + "\u0435"),  # ace, all in Cyrillic letters
        ("admin", "\uff41\uff44\uff4d\uff49\uff4e"),  # fullwidth
        ("mary", "rnary"),
        ("Ivan", "lvan"),
        ("ALICE", "alIce"),
        ("alice", "a\u4e28ice"),  # the vertical stroke of Han
        ("alice", "a\u3163ice"),  # Hangul's ㅣ
    ],
)
def test_look_alikes_share_a_key(one: str, other: str) -> None:
    assert names.looks(one) & names.looks(other)


@pytest.mark.parametrize(("one", "other"), [("ann", "anne"), ("lena", "ivan"), ("ace", "ace1")])
def test_different_names_do_not_share_a_key(one: str, other: str) -> None:
    assert not names.looks(one) & names.looks(other)


def test_irc_symbols_are_for_nicknames_not_rooms() -> None:
    with pytest.raises(InvalidName):
        names.check_room("[room]")


def test_a_bar_looks_like_a_small_l() -> None:
    assert names.looks("ann|") & names.looks("annl")
    assert not names.looks("ann[") & names.looks("ann{")  # different, no rfc1459 folding
    assert names.fold("[A]") != names.fold("{a}")
