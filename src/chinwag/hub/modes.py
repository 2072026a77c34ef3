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
"""

from __future__ import annotations

from dataclasses import dataclass

from chinwag.hub.cleaning import require_clean
from chinwag.hub.errors import BadArguments, UnknownMode

LISTS = "b"
KEYED = "k"
SET_WITH_ARGUMENT = "l"
FLAGS = "imnst"
PRIVILEGES = "ov"
PRIVILEGE_PREFIXES = {"o": "@", "v": "+"}
MAX_LIMIT = 1_000_000
MAX_BANS = 100


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
            raise UnknownMode(f"there is no room mode {self.letter!r}")
        if self.takes_argument and not self.argument:
            raise BadArguments(f"mode {self.letter} needs an argument")
        if any(char in self.argument for char in " \r\n\0"):
            raise BadArguments("a mode argument is one word")
        require_clean(self.argument)  # keys and masks are kept and shown to others
        if self.letter == "l" and self.on and not _valid_limit(self.argument):
            raise BadArguments(f"the limit must be a number from 1 to {MAX_LIMIT}")

    @property
    def takes_argument(self) -> bool:
        return takes_argument(self.letter, self.on)

    @property
    def sign_letter(self) -> str:
        return ("+" if self.on else "-") + self.letter


def takes_argument(letter: str, on: bool) -> bool:
    """Whether setting (``on``) or clearing ``letter`` consumes an argument."""
    if letter in LISTS + KEYED + PRIVILEGES:
        return True
    return letter in SET_WITH_ARGUMENT and on


def _valid_limit(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= MAX_LIMIT


def known(letter: str) -> bool:
    return len(letter) == 1 and letter in LISTS + KEYED + SET_WITH_ARGUMENT + FLAGS + PRIVILEGES
