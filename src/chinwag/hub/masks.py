"""Ban masks: ``nick!user@host`` patterns with ``*`` and ``?`` wildcards.

A member is described as ``nick!user@host`` (``user`` is the name their client gave, or
the generated client name; ``host`` is their address). Masks are compared under the
same case-folding as names, so ``*!*@10.0.0.*`` and ``Bob!*@*`` mean what they say.

Masks come from users and are matched under the hub's lock, so matching must never
backtrack: a mask is split at its stars into pieces that must appear in order, the first
at the start and the last at the end. Each piece is searched for once, leftmost first
(taking the leftmost place never loses a match a later place would have found), with
:meth:`str.find` on its longest run of plain characters. A mask whose pieces together
are longer than the text is refused before any search. Masks longer than
:data:`MAX_MASK_LENGTH` match nobody and cannot be set.
"""

from __future__ import annotations

from functools import lru_cache

from chinwag.hub import names

MAX_MASK_LENGTH = 128  # a longest nick (32), user name (16) and IPv6 address fit


def normalize(mask: str) -> str:
    """The full ``nick!user@host`` form of a mask given in short: ``bob`` is ``bob!*@*``."""
    mask = mask.strip()
    if "!" not in mask and "@" not in mask:
        return f"{mask}!*@*"
    if "@" not in mask:
        return f"{mask}@*"
    if "!" not in mask:
        return f"*!{mask}"
    return mask


class _Piece:
    """A run of a mask between stars: plain characters and ``?``."""

    __slots__ = ("anchor", "anchor_at", "length", "plain")

    def __init__(self, text: str) -> None:
        self.length = len(text)
        # The characters that must be equal, by offset; "?" takes any one character.
        self.plain = tuple((i, char) for i, char in enumerate(text) if char != "?")
        runs = [run for run in text.split("?") if run]
        self.anchor = max(runs, key=len) if runs else ""  # searched for with str.find
        self.anchor_at = text.find(self.anchor) if self.anchor else 0

    def fits(self, text: str, at: int) -> bool:
        return all(text[at + i] == char for i, char in self.plain)

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost place at or after ``start`` where the piece fits before ``end``;
        -1 if none."""
        last = end - self.length
        if not self.anchor:
            return start if start <= last else -1
        at = start
        while at <= last:
            found = text.find(
                self.anchor, at + self.anchor_at, last + self.anchor_at + len(self.anchor)
            )
            if found < 0:
                return -1
            at = found - self.anchor_at
            if self.fits(text, at):
                return at
            at += 1
        return -1


class _Glob:
    """A parsed glob: its pieces, and whether it starts and ends with a star."""

    __slots__ = ("head", "middle", "minimum", "starred", "tail")

    def __init__(self, pattern: str) -> None:
        parts = pattern.split("*")
        self.starred = len(parts) > 1
        self.head = _Piece(parts[0])
        self.tail = _Piece(parts[-1]) if self.starred else None
        self.middle = tuple(_Piece(part) for part in parts[1:-1] if part)
        self.minimum = sum(piece.length for piece in self.middle) + self.head.length
        self.minimum += self.tail.length if self.tail is not None else 0

    def match(self, text: str) -> bool:
        if len(text) < self.minimum:
            return False
        head = self.head
        if self.tail is None:
            return len(text) == head.length and head.fits(text, 0)
        if not head.fits(text, 0):
            return False
        end = len(text) - self.tail.length
        if not self.tail.fits(text, end):
            return False
        at = head.length
        for piece in self.middle:
            found = piece.find(text, at, end)
            if found < 0:
                return False
            at = found + piece.length
        return True


@lru_cache(maxsize=1024)
def _parse(pattern: str) -> _Glob:
    return _Glob(pattern)


def glob_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` (``*``: any run, ``?``: any one character),
    exactly as written; each piece of the pattern is looked for once, never retried."""
    return _parse(pattern).match(text)


def matches(mask: str, nick: str, user: str, host: str) -> bool:
    """Whether ``mask`` describes the member ``nick!user@host``."""
    if len(mask) > MAX_MASK_LENGTH:
        return False
    return glob_match(names.fold(normalize(mask)), names.fold(f"{nick}!{user}@{host}"))
