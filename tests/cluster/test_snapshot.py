"""The state a joining node takes: what it needs to apply the log from there as the
others do, its duplicate filter included. Hubs driven by hand on a real redis-server."""

from __future__ import annotations

from collections.abc import Callable

from chinwag.cluster import snapshot
from tests.cluster.by_hand import Log, arrive, hub_by_hand
from tests.redis_support import RedisServer

WRITER = "there#2"


def test_a_batch_written_again_after_the_state_was_taken_is_dropped_by_the_newcomer(
    redis_server: Callable[[], RedisServer],
) -> None:
    url = redis_server().url
    live, newcomer = hub_by_hand(url, "live#1"), hub_by_hand(url, "new#3")
    try:
        log = Log()
        ann = arrive(live, log, "Client-1", node=WRITER, sequence=1)
        for sequence, message in ((2, "first"), (3, "second")):
            away = {"k": "away", "m": ann.client_id, "message": message}
            live.apply_entries(log.entry(sequence, away, writer=WRITER))
        # The writer's batch (2, 3) was half written when Redis failed: the newcomer took
        # the state after it, and the writer then wrote the whole batch again.
        snapshot.load(newcomer.replica, snapshot.dump(live.replica))
        assert newcomer.replica.last_sequence == {WRITER: 3}
        again = {"k": "away", "m": ann.client_id, "message": "first"}
        newcomer.apply_entries(log.entry(2, again, writer=WRITER))
        copy = newcomer.replica.member(ann.client_id)
        assert copy is not None
        assert copy.away == "second"  # the second copy of entry 2 was dropped
        later = {"k": "away", "m": ann.client_id, "message": "third"}
        newcomer.apply_entries(log.entry(4, later, writer=WRITER))
        assert copy.away == "third"
    finally:
        live.link.commands.close()
        newcomer.link.commands.close()
