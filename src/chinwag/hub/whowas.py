"""Who was here: a bounded record of the names members left behind (IRC's ``WHOWAS``).

Theory of operation: the hub records a member's name as they quit or change it, newest
last, in a deque of at most :data:`DEFAULT_SIZE` entries, so the oldest fall out and
the record never grows past its bound. An entry keeps the real address and the cloak;
which one a viewer sees is :func:`chinwag.hub.visibility.shown_host`'s rule, applied
when it is read. The record lives only in memory: it is forgotten when the server stops.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from chinwag.hub.model import Member
from chinwag.hub.names import fold

DEFAULT_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Departed:
    """A name as it was when its member left it."""

    nick: str
    username: str
    realname: str
    address: str
    cloak: str
    at: datetime


class NameHistory:
    """The last ``size`` names left behind; not thread-safe: the hub's lock guards it."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._entries: deque[Departed] = deque(maxlen=size)

    def record(self, member: Member, at: datetime) -> None:
        self._entries.append(
            Departed(
                member.nick, member.username, member.realname, member.address, member.cloak, at
            )
        )

    def find(self, nick: str, count: int = 0) -> list[Departed]:
        """The entries for ``nick``, most recent first; at most ``count`` if positive."""
        key = fold(nick)
        found: list[Departed] = []
        for entry in reversed(self._entries):
            if fold(entry.nick) == key:
                found.append(entry)
                if len(found) == count:
                    break
        return found

    def __len__(self) -> int:
        return len(self._entries)
