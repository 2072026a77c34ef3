"""Room settings and member privileges, named by the conventional one-letter modes.

Every chat protocol that has room modes uses these letters, so they are the hub's short
names too (a text user types ``/mode +k secret`` as an IRC user types ``MODE #room +k
secret``). Four kinds, as servers advertise them:

* lists, changed one entry at a time: ``b`` (ban masks);
* settings that need an argument to set and to clear: ``k`` (key);
* settings that need an argument only to set: ``l`` (member limit);
* plain flags: ``i`` invite-only, ``m`` moderated, ``n`` no messages from outside,
  ``s`` secret (hidden from listings), ``t`` only room operators set the topic;

and member privileges, which take a nickname: ``o`` room operator, ``v`` voice (may
speak in a moderated room).

Arguments are checked here, once, for every front end (:class:`ModeChange` cannot be
built with a bad one), because they travel on: a key or a mask is shown to IRC clients
as a word of a line, so it must be one. A key is 1 to :data:`MAX_KEY_BYTES` bytes with
no space, comma or control character and no leading ``:``; a ban mask is a
``nick!user@host`` pattern (``bob`` is short for ``bob!*@*``) of at most
:data:`MAX_MASK_BYTES` bytes under the same rules; a limit is ASCII digits, 1 to
:data:`MAX_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chinwag.hub import masks
from chinwag.hub.cleaning import require_clean
from chinwag.hub.errors import BadArguments, InvalidModeArgument, UnknownMode

LISTS = "b"
KEYED = "k"
SET_WITH_ARGUMENT = "l"
FLAGS = "imnst"
PRIVILEGES = "ov"
PRIVILEGE_PREFIXES = {"o": "@", "v": "+"}
MAX_LIMIT = 1_000_000
MAX_BANS = 100
MAX_KEY_BYTES = 23  # as most IRC servers
MAX_MASK_BYTES = masks.MAX_MASK_LENGTH  # a mask that can be set can also be matched


@dataclass(frozen=True, slots=True)
class ModeChange:
    """Set (``on``) or clear one mode; ``argument`` where the mode takes one."""

    on: bool
    letter: str
    argument: str = ""

    def __post_init__(self) -> None:
        if len(self.letter) != 1 or self.letter not in LISTS + KEYED + SET_WITH_ARGUMENT + (
            FLAGS + PRIVILEGES
        ):
            raise UnknownMode(f"there is no room mode {self.letter!r}", self.letter)
        if self.takes_argument and not self.argument:
            raise BadArguments(f"mode {self.letter} needs an argument")
        if any(char in self.argument for char in " \r\n\0"):
            raise InvalidModeArgument("a mode argument is one word", self.letter, self.argument)
        if self.letter == "b":
            object.__setattr__(self, "argument", masks.normalize(self.argument))
        problem = _argument_problem(self.letter, self.on, self.argument)
        if problem:
            raise InvalidModeArgument(problem, self.letter, self.argument)
        require_clean(self.argument)  # keys and masks are kept and shown to others

    @property
    def takes_argument(self) -> bool:
        return takes_argument(self.letter, self.on)

    @property
    def sign_letter(self) -> str:
        return ("+" if self.on else "-") + self.letter


@dataclass(frozen=True, slots=True)
class ModeWord:
    """One letter of a mode string, with its sign and its argument: ``""`` if it takes
    none, ``None`` if it takes one and none was left. Not yet checked: the letter may be
    unknown and the argument invalid (:class:`ModeChange` checks both)."""

    on: bool
    letter: str
    argument: str | None


def split(letters: str, arguments: Iterable[str]) -> list[ModeWord]:
    """``+kl-v`` and ``["key", "10", "bob"]`` as one word per letter, each with the
    argument it takes: how every front end reads a mode change, whatever it then does
    with unknown letters and missing arguments."""
    remaining = list(arguments)
    words: list[ModeWord] = []
    on = True
    for char in letters:
        if char in "+-":
            on = char == "+"
            continue
        if takes_argument(char, on):
            words.append(ModeWord(on, char, remaining.pop(0) if remaining else None))
        else:
            words.append(ModeWord(on, char, ""))
    return words


def takes_argument(letter: str, on: bool) -> bool:
    """Whether setting (``on``) or clearing ``letter`` consumes an argument."""
    if letter in LISTS + KEYED + PRIVILEGES:
        return True
    return letter in SET_WITH_ARGUMENT and on


def _argument_problem(letter: str, on: bool, argument: str) -> str:
    """What is wrong with ``argument`` for the change, or ``""``."""
    if letter == "k" and on:
        if not _word(argument, MAX_KEY_BYTES) or "," in argument:
            return f"a key is one word of at most {MAX_KEY_BYTES} bytes, with no comma"
    elif letter == "l" and on:
        # ASCII only: "²".isdigit() is true, but int("²") fails.
        if not (argument.isascii() and argument.isdigit() and len(argument) <= 7):
            return f"the limit must be a number from 1 to {MAX_LIMIT}"
        if not 1 <= int(argument) <= MAX_LIMIT:
            return f"the limit must be a number from 1 to {MAX_LIMIT}"
    elif letter == "b":
        nick, _, rest = argument.partition("!")
        user, _, host = rest.partition("@")
        parts_ok = all(part and "!" not in part and "@" not in part for part in (nick, user))
        if not (
            _word(argument, MAX_MASK_BYTES)
            and parts_ok
            and host
            and "!" not in host
            and "@" not in host
        ):
            return f"a ban mask is nick!user@host, at most {MAX_MASK_BYTES} bytes"
    return ""


def _word(text: str, max_bytes: int) -> bool:
    """One printable word that can travel as a middle parameter of an IRC line."""
    return (
        0 < len(text.encode("utf-8")) <= max_bytes
        and text.isprintable()
        and " " not in text
        and not text.startswith(":")
    )


def known(letter: str) -> bool:
    return len(letter) == 1 and letter in LISTS + KEYED + SET_WITH_ARGUMENT + FLAGS + PRIVILEGES
