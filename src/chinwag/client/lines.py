"""What a line received from the server is: a chat message, an action, a notice...

The server's line shapes (see :mod:`chinwag.text.format`) are told apart by their prefix:
a ``[HH:MM:SS]`` stamp starts messages, ``* `` starts notices and ``! `` errors. Names
cannot contain spaces, ``:`` or ``*``, so the sender is unambiguous. Notices about people
arriving, leaving or being renamed are :attr:`Kind.PRESENCE`, which the UI dims.
:func:`classify` neutralises the line first (:mod:`chinwag.client.safety`), so every field
of a :class:`Received` is safe to display.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from chinwag.client.safety import neutralise


class Kind(enum.Enum):
    CHAT = "chat"  # [12:00:00] nick: text
    ACTION = "action"  # [12:00:00] * nick text
    PRIVATE = "private"  # [12:00:00] *nick* text
    WALL = "wall"  # [12:00:00] *** Notice from nick: text
    PRESENCE = "presence"  # * nick joined/left/is now known as ...
    NOTICE = "notice"  # * anything else the server says
    ERROR = "error"  # ! what went wrong
    OTHER = "other"  # a shape this client does not know


@dataclass(frozen=True, slots=True)
class Received:
    """One line from the server (or a local echo of one's own), already neutralised.

    ``line`` is the whole line as it should be shown without styling; ``stamp``, ``nick``
    and ``text`` are its parts where the kind has them. ``own`` marks a local echo of what
    this user sent; for an own private message ``nick`` is the recipient.
    """

    kind: Kind
    line: str
    stamp: str = ""
    nick: str = ""
    text: str = ""
    own: bool = False

    def __post_init__(self) -> None:
        if self.kind in _MESSAGE_KINDS and not (self.stamp and self.nick):
            raise ValueError(f"a {self.kind.value} line needs a stamp and a nick")


_MESSAGE_KINDS = frozenset({Kind.CHAT, Kind.ACTION, Kind.PRIVATE, Kind.WALL})
_STAMP = r"\[(?P<stamp>\d\d:\d\d:\d\d)\] "
_NAME = r"[^\s:*]+"
# Order matters: the wall's "***" must be tried before the action's "* ".
_MESSAGES = (
    (Kind.WALL, re.compile(_STAMP + rf"\*\*\* Notice from (?P<nick>{_NAME}): (?P<text>.*)")),
    (Kind.ACTION, re.compile(_STAMP + rf"\* (?P<nick>{_NAME}) (?P<text>.*)")),
    (Kind.PRIVATE, re.compile(_STAMP + rf"\*(?P<nick>{_NAME})\* (?P<text>.*)")),
    (Kind.CHAT, re.compile(_STAMP + rf"(?P<nick>{_NAME}): (?P<text>.*)")),
)
_PRESENCE = re.compile(
    rf"\* (?P<nick>{_NAME}) (?:joined \S+(?: chat)?|left \S+.*|is now known as {_NAME})"
)


def classify(raw: str) -> Received:
    """The kind and parts of one received line (without its line end)."""
    line = neutralise(raw)
    if line.startswith("["):
        for kind, pattern in _MESSAGES:
            match = pattern.fullmatch(line)
            if match:
                return Received(kind, line, match["stamp"], match["nick"], match["text"])
    elif line.startswith("* "):
        match = _PRESENCE.fullmatch(line)
        if match:
            return Received(Kind.PRESENCE, line, nick=match["nick"], text=line[2:])
        return Received(Kind.NOTICE, line, text=line[2:])
    elif line.startswith("! "):
        return Received(Kind.ERROR, line, text=line[2:])
    return Received(Kind.OTHER, line, text=line)
