"""History for IRC clients: the last messages of a channel, replayed on JOIN.

Clients that did not negotiate ``draft/chathistory`` (which ask for history themselves)
get the channel's last messages after the JOIN burst (topic, names), as PRIVMSGs from
their original authors; the formatter adds ``server-time`` tags and a ``chathistory``
batch for clients that negotiated them (as Ergo does for its autoreplay on join).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chinwag.history.store import HistoryUnavailable
from chinwag.hub import names
from chinwag.hub.events import Delivery, Problem, to

if TYPE_CHECKING:
    from chinwag.irc.session import IrcSession

CHATHISTORY = "draft/chathistory"
UNAVAILABLE = "history is unavailable right now"


def replay_on_join(session: IrcSession, room: str) -> None:
    """Deliver ``room``'s last messages to the client that just joined it."""
    replayer = session.hub.history
    if replayer is None or CHATHISTORY in session.capabilities:
        return
    try:
        replay = replayer.joined(room, session.member.entered.get(names.fold(room)))
    except HistoryUnavailable:
        session.add([Delivery(Problem(UNAVAILABLE), to(session.member))])
        return
    if replay is not None:
        session.add([Delivery(replay, to(session.member))])
