"""What a node waits for from the log is let go of when its entries will never come back.

A node writes its own entries in order, so once it reads one of them, any earlier one it
still waits for is gone (trimmed, or lost with Redis's data): its caller is told now and
a message said while cut off is forgotten. The hub is driven by hand here, its threads
not started, on a real redis-server; entries are fed to it as its reader would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from chinwag.cluster.hub import LOST_TRACK, ClusterHub
from chinwag.hub import errors
from tests.cluster.by_hand import Log, arrive, hub_by_hand
from tests.redis_support import RedisServer
from tests.support import wait_for


@pytest.fixture
def hub(redis_server: Callable[[], RedisServer]) -> Iterator[ClusterHub]:
    made = hub_by_hand(redis_server().url)
    yield made
    made.link.commands.close()


def test_a_caller_whose_entry_is_gone_is_told_once_a_later_one_is_read(hub: ClusterHub) -> None:
    log = Log()
    ann = arrive(hub, log, "Client-1")
    outcome: list[BaseException] = []

    def join() -> None:
        try:
            hub.join(ann, "dev")
        except errors.ChatError as error:
            outcome.append(error)

    caller = threading.Thread(target=join)
    caller.start()
    wait_for(hub.waiting, what="the join queued")  # sequence 1, never read: trimmed
    hub.link.append({"k": "away", "m": ann.client_id, "message": "brb"})  # sequence 2
    hub.apply_entries(log.entry(2, {"k": "away", "m": ann.client_id, "message": "brb"}))
    caller.join(timeout=5)  # told at once, not after the wait of WAIT_SECONDS
    assert not caller.is_alive()
    assert [str(error) for error in outcome] == [LOST_TRACK]
    assert hub.waiting() == 0
    assert ann.away == "brb"  # the later entry applied as usual


def test_messages_said_while_cut_off_are_forgotten_once_their_entries_cannot_come(
    hub: ClusterHub,
) -> None:
    log = Log()
    ann = arrive(hub, log, "Client-1")
    hub._on_degraded(True)
    hub.say(ann, "lobby", "one")  # heard here, waiting for the log: sequences 1 and 2
    hub.say(ann, "lobby", "two")
    assert hub.waiting() == 2
    hub._on_degraded(False)
    # The first was trimmed before this node read it; the second comes back.
    hub.apply_entries(log.entry(2, {"k": "say", "m": ann.client_id, "room": "lobby"}))
    assert hub.waiting() == 0


def test_another_nodes_entries_and_this_nodes_in_order_let_go_of_nothing(
    hub: ClusterHub,
) -> None:
    log = Log()
    ann = arrive(hub, log, "Client-1")
    hub._on_degraded(True)
    for text in ("one", "two", "three"):
        hub.say(ann, "lobby", text)
    hub._on_degraded(False)
    said = {"k": "say", "m": "Client-9", "room": "lobby", "text": "hi", "a": False, "n": False}
    hub.apply_entries(log.entry(7, said, writer="there#2"))
    assert hub.waiting() == 3
    hub.apply_entries(log.entry(1, {"k": "say", "m": ann.client_id, "room": "lobby"}))
    assert hub.waiting() == 2  # its own, and only its own


@pytest.mark.parametrize(
    "damage",
    [
        {},  # no fields at all
        {b"n": b"there#2", b"s": b"seven", b"o": b"{}"},  # a sequence that is no number
        {b"n": b"there#2", b"s": b"3", b"o": b"not json"},
    ],
)
def test_a_malformed_entry_is_skipped_alone(hub: ClusterHub, damage: dict[bytes, bytes]) -> None:
    # Whatever wrote it to the log, the entries read with it still count.
    log = Log()
    ann = arrive(hub, log, "Client-1")
    (bad_id, fields), *_ = log.entry(1, {"k": "away", "m": ann.client_id, "message": "x"})
    fields.clear()
    fields.update(damage)
    good = log.entry(2, {"k": "away", "m": ann.client_id, "message": "brb"})
    hub.apply_entries([(bad_id, fields), *good])
    assert ann.away == "brb"
