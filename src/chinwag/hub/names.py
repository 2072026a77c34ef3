"""Naming rules for nicknames and rooms, and the keys that make them unique.

Names are compared case-insensitively with :meth:`str.casefold`, so ``Ålice`` and
``åLICE`` are the same user. Both kinds of name are 1-32 characters of Unicode letters,
digits and ``_ - .``, which keeps them printable, free of spaces and safe to show in
every front end; letters that show as nothing (the Hangul fillers, which Unicode counts
as letters) are refused. Nicknames may also hold the ASCII symbols IRC has always allowed
in them (``[ ] { } \\ | ^ `` ` ``, which belong to no script), and, as in IRC, may not
start with a digit or ``-``. Case folding leaves these symbols alone: ``[`` and ``{`` are
different characters here, unlike IRC's old ``rfc1459`` case mapping.

A nickname must also not pass for another one on screen. Its *looks* (:func:`looks`)
are its Unicode TR39 skeletons: NFKD (fullwidth and mathematical letters become plain
ones), then every look-alike character replaced by the one it is mistaken for
(:mod:`chinwag.hub.confusables`: the Cyrillic U+0430 is ``a``, ``0`` is ``O``, ``I``
and ``1`` are ``l``, ``m`` is ``rn``), and case folding. A name has several looks, one
for each of its spellings in small and capital letters, because ``I`` passes for ``l``
only as a capital. Two names that share a look are one name: the hub refuses the second while the
first is connected, and a name that looks like a reserved one is reserved. A name may not
mix scripts either (TR39's "highly restrictive" level): one script, or Latin with Chinese
and Japanese or Korean. So ``Олена`` is a name and ``admin`` with a Cyrillic first letter
is not; ``ace`` spelt in Cyrillic letters is, unless somebody called ``ace`` is connected.
"""

import re
import unicodedata
from collections.abc import Iterable

from chinwag.hub.confusables import PROTOTYPES
from chinwag.hub.errors import InvalidName, ReservedName

MAX_NAME_LENGTH = 32
LOBBY = "lobby"
# The server's own voices, and the names IRC users expect services to answer to: a user
# under one of them could collect what others send to the real thing (passwords).
RESERVED_NICKS = frozenset(
    {
        "admin",
        "server",
        "system",
        "services",
        "global",
        "nickserv",
        "chanserv",
        "memoserv",
        "operserv",
        "hostserv",
        "botserv",
        "helpserv",
        "saslserv",
        "infoserv",
    }
)
_GENERATED = re.compile(r"client-\d+")
_EXTRA_CHARACTERS = frozenset("_-.")
# The symbols IRC nicknames have always allowed (RFC 2812's "special"), in nicknames only.
NICK_SYMBOLS = frozenset("[]{}\\|^`")
# TR39 maps "|" to "l" (confusables.txt); the table of letters above does not hold it.
_SYMBOL_PROTOTYPES = str.maketrans({"|": "l"})
# The vertical stroke of Han (U+4E28, which TR39 gives Hangul's ㅣ and the Kangxi radical
# as their prototype) looks like "l" in every font, and TR39 lets Latin mix with Han and
# Hangul: taken as "l", so that "a丨ice" cannot pass for alice.
_STROKE_PROTOTYPES = str.maketrans({"\u4e28": "l"})
# Letters and format characters that show as nothing: Unicode's default-ignorable code
# points (DerivedCoreProperties.txt), the Hangul fillers among them, and the Braille blank.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Scripts that may share a name (TR39 "highly restrictive"): Latin with the scripts
# written alongside it in Chinese, Japanese and Korean. Any other mix is refused.
_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
# First words of character names that are not the script's own name.
_SCRIPT_ALIASES = {
    "IDEOGRAPHIC": "CJK",
    "KATAKANA-HIRAGANA": "KATAKANA",
    "MODIFIER": "",  # modifier letters belong to every script
}


def fold(name: str) -> str:
    """The key under which a name is unique."""
    return name.casefold()


def skeleton(name: str) -> str:
    """``name`` with every character replaced by the one it looks like (TR39, folded)."""
    text = unicodedata.normalize("NFKD", name).translate(_SYMBOL_PROTOTYPES)
    text = text.translate(PROTOTYPES)
    text = unicodedata.normalize("NFKD", text.casefold()).translate(PROTOTYPES)
    return unicodedata.normalize("NFD", text).casefold().translate(_STROKE_PROTOTYPES)


def looks(name: str) -> frozenset[str]:
    """The skeletons of ``name`` as written, in small and in capital letters.

    Two names look alike when these sets meet.
    """
    return frozenset({skeleton(name), skeleton(name.casefold()), skeleton(name.upper())})


def reserved_looks(reserved: Iterable[str]) -> frozenset[str]:
    """The looks of every name in ``reserved``: what no nickname may look like."""
    return frozenset().union(*(looks(name) for name in reserved))


_RESERVED_LOOKS = reserved_looks(RESERVED_NICKS)
# Generated names as they look: "client-" in either case, then digits as they look.
_GENERATED_LOOKS = re.compile(
    "(?:"
    + "|".join(re.escape(look) for look in sorted(looks("client-")))
    + ")["
    + "".join(sorted({skeleton(digit) for digit in "0123456789"}))
    + "]+"
)


def _check_characters(
    name: str,
    what: str,
    symbols: frozenset[str] = frozenset(),
    allowed: str = "letters, digits, '_', '-' and '.'",
) -> None:
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidName(f"{what} must be 1-{MAX_NAME_LENGTH} characters long")
    extra = _EXTRA_CHARACTERS | symbols
    for char in name:
        if not (char.isalnum() or char in extra):
            raise InvalidName(f"{what} may contain only {allowed}")
    if _INVISIBLE.search(name):
        raise InvalidName(f"{what} may not contain invisible characters")


def scripts(name: str) -> frozenset[str]:
    """The scripts of the letters of ``name`` (digits and ``_ - .`` have none).

    The standard library has no script property, so a letter's script is the first word
    of its Unicode name (``CYRILLIC SMALL LETTER A``), after NFKD.
    """
    found = set()
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.category(char)[0] == "L":
            word = unicodedata.name(char, "").partition(" ")[0]
            found.add(_SCRIPT_ALIASES.get(word, word))
    found.discard("")
    return frozenset(found)


def _check_scripts(name: str) -> None:
    used = scripts(name)
    if len(used) > 1 and not any(used <= mix for mix in _MIXES):
        listed = " and ".join(sorted(script.title() for script in used))
        raise InvalidName(f"the name {name} mixes scripts ({listed}), as look-alikes do")


def check_nick(nick: str, own_generated_name: str, reserved: frozenset[str] = frozenset()) -> None:
    """Raise unless ``nick`` may be taken by the client whose generated name is given.

    ``reserved`` are further looks to refuse (:func:`reserved_looks`), such as the
    server's own name. Whether somebody connected already looks like ``nick`` is the
    hub's to say.
    """
    _check_characters(nick, "a nickname", NICK_SYMBOLS, "letters, digits and _-.[]{}\\|^`")
    if nick[0].isdigit() or nick[0] == "-":
        raise InvalidName("a nickname may not start with a digit or '-'")
    _check_scripts(nick)
    its_looks = looks(nick)
    key = fold(nick)
    if key in RESERVED_NICKS or its_looks & (_RESERVED_LOOKS | reserved):
        raise ReservedName(f"the name {nick} is reserved")
    generated = _GENERATED.fullmatch(key) or any(map(_GENERATED_LOOKS.fullmatch, its_looks))
    if generated and key != fold(own_generated_name) and not its_looks & looks(own_generated_name):
        raise ReservedName(f"names like {nick} are reserved for new connections")


def check_room(room: str) -> None:
    """Raise unless ``room`` is a valid room name."""
    _check_characters(room, "a room name")
