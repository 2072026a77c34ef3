"""Ban masks: ``nick!user@host`` patterns with ``*`` and ``?`` wildcards.

A member is described as ``nick!user@host`` (``user`` is the name their client gave, or
the generated client name; ``host`` is their address). Masks are compared under the
same case-folding as names, so ``*!*@10.0.0.*`` and ``Bob!*@*`` mean what they say.

Masks come from users and are matched under the hub's lock, so matching must never
backtrack, and its cost must not depend on how often a piece nearly fits: a mask is
split at its stars into pieces that must appear in order, the first at the start and
the last at the end. Each piece is looked for once, leftmost first (taking the leftmost
place never loses a match a later place would have found). A piece of plain characters
is found with :meth:`str.find`. A piece with ``?`` in it is found without trying places
one by one: the :class:`Subject` (the text matched, made once for all the masks it is
matched against) knows, for each character, the set of places it is at, as the bits of
an integer; the places where the piece fits are those sets, shifted by each plain
character's offset in the piece, and-ed together: one operation per plain character,
however long the text or however often the piece nearly fits. A mask whose pieces
together are longer than the text is refused before any search. Masks longer than
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


class Subject:
    """A text to match masks against, with the places of each of its characters (made
    when a piece with ``?`` first asks for them, then kept for the other masks)."""

    __slots__ = ("_places", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._places: dict[str, int] | None = None

    def places(self) -> dict[str, int]:
        """For each character of the text, the places it is at, as bits (bit i: at i)."""
        if self._places is None:
            places: dict[str, int] = {}
            for index, char in enumerate(self.text):
                places[char] = places.get(char, 0) | 1 << index
            self._places = places
        return self._places


class _Piece:
    """A run of a mask between stars: plain characters and ``?``."""

    __slots__ = ("length", "plain", "text", "wild")

    def __init__(self, text: str) -> None:
        self.text = text
        self.length = len(text)
        self.wild = "?" in text
        # The characters that must be equal, by offset; "?" takes any one character.
        self.plain = tuple((i, char) for i, char in enumerate(text) if char != "?")

    def fits(self, text: str, at: int) -> bool:
        if not self.wild:
            return text.startswith(self.text, at)
        return all(text[at + i] == char for i, char in self.plain)

    def find(self, subject: Subject, start: int, end: int) -> int:
        """The leftmost place at or after ``start`` where the piece fits before ``end``;
        -1 if none."""
        last = end - self.length
        if last < start:
            return -1
        if not self.wild:
            return subject.text.find(self.text, start, end)
        fitting = (1 << (last + 1)) - (1 << start)  # every place from start to last
        places = subject.places()
        for offset, char in self.plain:
            fitting &= places.get(char, 0) >> offset
            if not fitting:
                return -1
        return (fitting & -fitting).bit_length() - 1  # the lowest place left


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

    def match(self, subject: Subject) -> bool:
        text = subject.text
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
            found = piece.find(subject, at, end)
            if found < 0:
                return False
            at = found + piece.length
        return True


@lru_cache(maxsize=1024)
def _parse(pattern: str) -> _Glob:
    return _Glob(pattern)


@lru_cache(maxsize=1024)
def _parse_mask(mask: str) -> _Glob | None:
    """A ban mask as written, completed, folded and parsed; ``None``: too long to match."""
    if len(mask) > MAX_MASK_LENGTH:
        return None
    return _Glob(names.fold(normalize(mask)))


def glob_match(pattern: str, text: str | Subject) -> bool:
    """Whether ``text`` matches ``pattern`` (``*``: any run, ``?``: any one character),
    exactly as written; each piece of the pattern is looked for once, never retried."""
    return _parse(pattern).match(text if isinstance(text, Subject) else Subject(text))


def subject(nick: str, user: str, host: str) -> Subject:
    """The member ``nick!user@host`` as masks are matched against it (folded)."""
    return Subject(names.fold(f"{nick}!{user}@{host}"))


def matches(mask: str, nick: str, user: str, host: str) -> bool:
    """Whether ``mask`` describes the member ``nick!user@host``."""
    return matches_subject(mask, subject(nick, user, host))


def matches_subject(mask: str, member: Subject) -> bool:
    """Whether ``mask`` describes the member made into ``member`` by :func:`subject`."""
    glob = _parse_mask(mask)
    return glob is not None and glob.match(member)
