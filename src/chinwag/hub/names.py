"""Naming rules for nicknames and rooms, and the case-folding that makes them unique.

Names are compared case-insensitively with :meth:`str.casefold`, so ``Ålice`` and
``åLICE`` are the same user. Both kinds of name are 1-32 characters of Unicode letters,
digits and ``_ - .``, which keeps them printable, free of spaces and safe to show in
every front end.
"""

import re

from chinwag.hub.errors import InvalidName, ReservedName

MAX_NAME_LENGTH = 32
LOBBY = "lobby"
RESERVED_NICKS = frozenset({"admin", "server", "system"})
_GENERATED = re.compile(r"client-\d+")
_EXTRA_CHARACTERS = frozenset("_-.")


def fold(name: str) -> str:
    """The key under which a name is unique."""
    return name.casefold()


def _check_characters(name: str, what: str) -> None:
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidName(f"{what} must be 1-{MAX_NAME_LENGTH} characters long")
    for char in name:
        if not (char.isalnum() or char in _EXTRA_CHARACTERS):
            raise InvalidName(f"{what} may contain only letters, digits, '_', '-' and '.'")


def check_nick(nick: str, own_generated_name: str) -> None:
    """Raise unless ``nick`` may be taken by the client whose generated name is given."""
    _check_characters(nick, "a nickname")
    key = fold(nick)
    if key in RESERVED_NICKS:
        raise ReservedName(f"the name {nick} is reserved")
    if _GENERATED.fullmatch(key) and key != fold(own_generated_name):
        raise ReservedName(f"names like {nick} are reserved for new connections")


def check_room(room: str) -> None:
    """Raise unless ``room`` is a valid room name."""
    _check_characters(room, "a room name")
