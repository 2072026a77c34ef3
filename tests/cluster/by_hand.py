"""A cluster node's hub driven by hand: its threads not started, on a real redis-server,
fed entries as its reader would hand them over."""

from __future__ import annotations

from datetime import datetime

from chinwag.cluster import ops
from chinwag.cluster.hub import ClusterHub
from chinwag.cluster.link import Entries, Link
from chinwag.cluster.replica import EntryClock
from chinwag.hub.hub import Hub
from chinwag.hub.model import Member

NODE = "here#1"


def hub_by_hand(url: str, node: str = NODE) -> ClusterHub:
    """A node's hub on the Redis at ``url``, not started; close ``hub.link.commands``."""

    def replica(ids: EntryClock, secret: bytes) -> Hub:
        return Hub(clock=ids.now, message_ids=ids, cloak_secret=secret)

    return ClusterHub(Link(url, node), replica)


class Log:
    """Entries as the reader hands them over, with ids in order."""

    def __init__(self) -> None:
        self.milliseconds = 1_000

    def entry(self, sequence: int, operation: ops.Operation, writer: str = NODE) -> Entries:
        """One entry, the next in the log."""
        self.milliseconds += 1
        fields = {
            ops.NODE: writer.encode(),
            ops.SEQUENCE: str(sequence).encode(),
            ops.OPERATION: ops.encode(operation),
        }
        return [(f"{self.milliseconds}-0", fields)]


def arrive(
    hub: ClusterHub, log: Log, client_id: str, node: str = NODE, sequence: int = 0
) -> Member:
    """A member of ``node``, arrived through the log."""
    member = Member(client_id, "127.0.0.1", datetime.now())
    operation = {"k": "add", "m": ops.describe(member, node)}
    hub.apply_entries(log.entry(sequence, operation, writer=node))
    found = hub.replica.member(client_id)
    assert found is not None
    return found
