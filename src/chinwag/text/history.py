"""History for text users: ``/history``.

What a user sees of a room's history on entering it is the same for every front end
(:func:`chinwag.actions.joined_replay`). :func:`history_command` shows the last N
messages of the user's room, or of their private conversation with someone
(``/history NAME [N]``); the hub's replayer keeps them within the server's limits and
to what the user may see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.actions import HISTORY_UNAVAILABLE
from chinwag.history.store import HistoryUnavailable
from chinwag.hub import errors, names
from chinwag.hub.events import Delivery, Problem, info, to

if TYPE_CHECKING:
    from chinwag.text.session import TextSession

UNAVAILABLE = HISTORY_UNAVAILABLE
USAGE = "/history [NAME] [N]"


def history_command(session: TextSession, args: str) -> list[Delivery]:
    """``/history [NAME] [N]``: the last N messages of the room, or with NAME."""
    replayer = session.hub.history
    if replayer is None:
        raise errors.BadArguments("this server keeps no history")
    words = args.split()
    count = replayer.maximum
    if words and words[-1].isdigit():
        count = int(words.pop())
        if not 0 < count <= replayer.maximum:
            raise errors.BadArguments(f"N must be from 1 to {replayer.maximum}")
    if len(words) > 1:
        raise errors.BadArguments(f"usage: {USAGE}")
    try:
        if not words or names.fold(words[0]) in session.member.rooms:
            room = session.member.rooms.get(names.fold(words[0])) if words else None
            where = room or session.current_room()
            replay = replayer.room(where, count)
        else:
            where = words[0]
            member = session.member
            replay = replayer.private(member.nick, where, count, named=member.named)
    except HistoryUnavailable:
        return [Delivery(Problem(UNAVAILABLE), to(session.member))]
    if replay is None:
        return [info(session.member, f"no history of {where}")]
    return [Delivery(replay, to(session.member))]
