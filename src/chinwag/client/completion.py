"""Tab completion: ``/commands`` at the start of a line, nicknames elsewhere.

:func:`complete` looks only at the text before the cursor and returns the word being
completed and its candidates; the UI replaces that word with the chosen one. A nickname
completed as the first word of a message gets ``": "`` after it, the usual way to address
someone in a chat. Matching ignores case, as the server does for names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The server's commands (its /help lists them) plus aliases people type from habit.
COMMANDS = (
    "help",
    "nick",
    "who",
    "users",
    "names",
    "whois",
    "rooms",
    "list",
    "join",
    "leave",
    "part",
    "msg",
    "tell",
    "query",
    "history",
    "me",
    "quit",
    "exit",
    "op",
    "kick",
    "ban",
    "unban",
    "bans",
    "wall",
    "topic",
    "away",
    "invite",
    "mode",
)
# Commands whose first argument is a nickname.
_NICK_COMMANDS = frozenset(
    {"msg", "tell", "query", "whois", "history", "kick", "ban", "unban", "invite"}
)


@dataclass(frozen=True, slots=True)
class Completion:
    word: str  # the text before the cursor that the candidates replace
    candidates: tuple[str, ...]


def complete(before_cursor: str, nicks: Iterable[str], own_nick: str = "") -> Completion:
    """What the word before the cursor could become."""
    word = before_cursor.rsplit(" ", 1)[-1]
    preceding = before_cursor[: len(before_cursor) - len(word)]
    if not preceding and word.startswith("/") and not word.startswith("//"):
        prefix = word[1:].casefold()
        return Completion(word, tuple(f"/{c} " for c in COMMANDS if c.startswith(prefix)))
    words = preceding.split()
    in_command = bool(words) and words[0].startswith("/") and not words[0].startswith("//")
    if in_command and (len(words) > 1 or words[0][1:].casefold() not in _NICK_COMMANDS):
        return Completion(word, ())  # arguments of commands other than a nickname
    if not word:
        return Completion(word, ())
    suffix = ": " if not preceding else " "
    matches = _matching(word, nicks, own_nick)
    return Completion(word, tuple(nick + suffix for nick in matches))


def _matching(prefix: str, nicks: Iterable[str], own_nick: str) -> Sequence[str]:
    folded = prefix.casefold()
    own = own_nick.casefold()
    return [n for n in nicks if n.casefold().startswith(folded) and n.casefold() != own]
