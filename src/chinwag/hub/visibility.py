"""Who may see which rooms, which members, and whose address: one set of rules for all.

Theory of operation: the rules are pure functions of the hub's records, called by the hub's
query methods under its lock, so the text and IRC front ends (and any other) answer
``/rooms`` and ``LIST``, ``/who`` and ``WHO``/``NAMES``, and ``WHOIS`` alike. The rules
are those of IRC servers:

* a secret (``+s``) room is seen (listed, named in ``WHOIS``, its members shown) only by
  its members and by server operators;
* an invisible (``+i``) member is listed only to themself, to server operators and to
  whoever shares a room with them;
* a member's real address is shown only to themself and to server operators; everyone
  else sees its cloak: ``HMAC-SHA256(secret, address)`` cut to three groups of eight hex
  digits and ending in ``.ip``. The secret is made at random when the hub is, so a cloak
  is stable while the server runs (bans by cloak work) and cannot be reversed, even by
  trying every IPv4 address, without the secret, which never leaves the process.

Message prefixes (an event's ``user@host``) carry the cloak for everyone: they are made
once per member, not once per reader.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import NamedTuple

from chinwag.hub.model import Member, Room

CLOAK_SUFFIX = ".ip"
SECRET_BYTES = 32


def new_secret() -> bytes:
    """A random cloak secret, for one run of a server."""
    return secrets.token_bytes(SECRET_BYTES)


def cloak(secret: bytes, address: str) -> str:
    """The host others see for ``address``: ``1a2b3c4d.5e6f7a8b.9c0d1e2f.ip``."""
    digest = hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()
    return ".".join(digest[start : start + 8] for start in (0, 8, 16)) + CLOAK_SUFFIX


def can_see_room(viewer: Member, room: Room) -> bool:
    """Whether ``viewer`` may know that ``room`` exists and who is in it."""
    return "s" not in room.flags or viewer.operator or viewer in room


def can_see_member(viewer: Member, member: Member) -> bool:
    """Whether ``viewer`` may find ``member`` in a listing of people (not a room's)."""
    return (
        not member.invisible
        or viewer is member
        or viewer.operator
        or not viewer.rooms.keys().isdisjoint(member.rooms.keys())
    )


def visible_members(viewer: Member, room: Room) -> tuple[Member, ...]:
    """The members of ``room`` that ``viewer`` may see listed: none if the room is
    hidden from them; from inside (or as a server operator) everyone; from outside, those
    not invisible, unless they share another room with the viewer."""
    if not can_see_room(viewer, room):
        return ()
    if viewer.operator or viewer in room:
        return room.snapshot
    return tuple(member for member in room.snapshot if can_see_member(viewer, member))


def shown_host(viewer: Member, member: Member) -> str:
    """``member``'s host as ``viewer`` may see it: the real address or the cloak."""
    return member.address if viewer is member or viewer.operator else member.cloak


class Seen(NamedTuple):
    """One member as a listing shows them to one viewer: a snapshot taken under the hub's
    lock, never the member's live record. A named tuple: a listing makes one per member
    listed (every ``JOIN`` lists the channel), and a tuple is made fastest."""

    nick: str
    username: str
    realname: str
    host: str  # as :func:`shown_host` decides
    marks: str  # privilege marks in the room listed ("@", "+"); "" in no room
    operator: bool
    away: str
    bot: bool
    connected_at: datetime
    last_active: float  # time.monotonic() of their last line
    shows_address: bool  # ``host`` is the real address (the viewer is them, or an operator)

    def idle(self, now: float | None = None) -> timedelta:
        """How long they had been silent at ``now`` (by default, now)."""
        return timedelta(seconds=(now if now is not None else time.monotonic()) - self.last_active)


def seen(viewer: Member, member: Member, marks: str = "") -> Seen:
    """``member`` as a listing shows them to ``viewer`` (call it under the hub's lock)."""
    shows_address = viewer is member or viewer.operator
    return Seen(
        member.nick,
        member.username,
        member.realname,
        member.address if shows_address else member.cloak,
        marks,
        member.operator,
        member.away,
        member.bot,
        member.connected_at,
        member.last_active,
        shows_address,
    )
