"""Three nodes on one Redis are one chat, for nc-style users (real sockets, real Redis).

Negative checks wait for a barrier: a later line from the same sender, which the
cluster delivers after the earlier ones (each sender's lines keep their order).
"""

from __future__ import annotations

import re

from tests.cluster.conftest import Cluster
from tests.support import DEADLINE, LineClient

STAMP = r"\[\d\d:\d\d:\d\d\]"


def barrier(sender: LineClient, nick: str, *readers: LineClient, word: str = "barrier") -> None:
    """``sender`` says ``word`` in its room; each reader has read up to it."""
    sender.send(word)
    for reader in readers:
        reader.expect(f"^{STAMP} {nick}: {word}$")


def test_nodes_say_when_they_join(cluster: Cluster) -> None:
    lines = cluster.log.wait_for(r"cluster: node node\d#\w+ joined the cluster", 3)
    assert sum("as its first node" in line for line in lines) == 1
    assert sum("with 1 other node" in line for line in lines) == 1
    assert sum("with 2 other nodes" in line for line in lines) == 1


def test_a_message_said_on_one_node_reaches_the_others_once(cluster: Cluster) -> None:
    ann, bob, cat = cluster.users("ann", "bob", "cat")
    ann.send("hello from node 1")
    bob.expect(f"^{STAMP} ann: hello from node 1$")
    cat.expect(f"^{STAMP} ann: hello from node 1$")
    cat.send("and from node 3")
    ann.expect(f"^{STAMP} cat: and from node 3$")
    bob.expect(f"^{STAMP} cat: and from node 3$")
    barrier(cat, "cat", ann, bob, word="done")
    for client, line in ((bob, "ann: hello from node 1"), (cat, "ann: hello from node 1")):
        assert sum(x.endswith(line) for x in client.received) == 1
    assert not any("hello from node 1" in line for line in ann.received)


def test_arrivals_renames_and_departures_are_told_on_every_node(cluster: Cluster) -> None:
    (ann,) = cluster.users("ann")
    newcomer = cluster.nodes[1].connect()
    generated = ann.expect(r"^\* Client-\d+ joined the chat$").split()[1]
    newcomer.send("/nick bob")
    ann.expect(f"^\\* {generated} is now known as bob$")
    newcomer.send("/quit gone to lunch")
    ann.expect(r"^\* bob left the chat \(gone to lunch\)$")


def test_who_and_names_see_every_node(cluster: Cluster) -> None:
    ann, _bob, _cat = cluster.users("ann", "bob", "cat")
    ann.send("/who")
    ann.expect(r"^\* 3 users in lobby:$")
    listed = [ann.expect(r"^\*   \w+ - connected") for _ in range(3)]
    assert [line.split()[1] for line in listed] == ["ann", "bob", "cat"]
    ann.send("/names")
    ann.expect(r"^\* lobby \(3\): ann, bob, cat$")


def test_private_messages_cross_nodes_and_reach_only_their_recipient(cluster: Cluster) -> None:
    ann, bob, cat = cluster.users("ann", "bob", "cat")
    ann.send("/msg BOB just between us")
    bob.expect(f"^{STAMP} \\*ann\\* just between us$")
    barrier(ann, "ann", bob, cat)
    assert not any("just between us" in line for line in cat.received)


def test_a_name_is_unique_across_nodes_whatever_its_case(cluster: Cluster) -> None:
    _ann, bob, cat = cluster.users("ann", "bob", "cat")
    bob.send("/nick ANN")
    bob.expect(r"^! the name ANN is taken$")
    cat.send("/nick Ann")
    cat.expect(r"^! the name Ann is taken$")


def test_a_name_claimed_on_two_nodes_at_once_goes_to_exactly_one(cluster: Cluster) -> None:
    left, right = cluster.nodes[0].connect("left"), cluster.nodes[1].connect("right")
    wins = {"left": 0, "right": 0}
    for round_number in range(40):
        name = f"racer{round_number}"
        claim = f"/nick {name}".encode() + b"\n"
        # As close to at once as two sockets go: both lines are on their way before
        # either server can have answered.
        left.send_raw(claim)
        right.send_raw(claim)
        replies = [
            client.expect(f"^(\\* you are now known as {name}|! the name {name} is taken)$")
            for client in (left, right)
        ]
        won = [reply.startswith("* you") for reply in replies]
        assert won.count(True) == 1, (round_number, replies)
        winner, loser = (left, right) if won[0] else (right, left)
        wins["left" if won[0] else "right"] += 1
        # The loser keeps its name; give the winner another, so the next name is free.
        winner.send(f"/nick w{round_number}")
        winner.expect(f"^\\* you are now known as w{round_number}$")
        del loser
    assert sum(wins.values()) == 40


def test_rooms_topics_and_bans_are_shared(cluster: Cluster) -> None:
    ann, bob, cat = cluster.users("ann", "bob", "cat")
    ann.send("/join dev")
    ann.expect(r"^\* you are now in dev \(1 here\)$")
    ann.send("/topic the build is green")
    ann.expect(r"^\* ann set the topic of dev: the build is green$")
    bob.send("/join dev")
    bob.expect(r"^\* topic: the build is green \(set by ann")
    ann.expect(r"^\* bob joined dev$")
    cluster.settle()  # node 3 answers from its own copy
    cat.send("/rooms")
    cat.expect(r"dev \(2\)")
    ann.send("/mode +b cat!*@*")
    bob.expect(r"cat!\*@\*")
    cat.send("/join dev")
    cat.expect(r"^! you are banned from dev$")


def test_a_newcomer_on_another_node_sees_what_was_said_before(cluster: Cluster) -> None:
    ann, _bob, cat = cluster.users("ann", "bob", "cat")
    ann.send("said before you came")
    # Node 3 has it once its user has; its history is written a moment later (as on a
    # single server, by the writer thread, flushed here).
    cat.expect(f"^{STAMP} ann: said before you came$")
    assert cluster.nodes[2].server.history.writer.flush(DEADLINE)
    newcomer = cluster.nodes[2].open()
    newcomer.expect(r"^\* --- last \d+ messages? ---$")
    newcomer.expect(f"^{STAMP} ann: said before you came$")
    newcomer.expect(r"^\* --- end of history ---$")


def test_several_senders_on_different_nodes_each_token_once_and_in_order(
    cluster: Cluster,
) -> None:
    senders = cluster.users("s1", "s2", "s3")
    readers = cluster.users("r1", "r2", "r3")
    count = 150
    for number, sender in enumerate(senders, 1):
        sender.send(*(f"s{number}-{i:04d}" for i in range(count)))
    for reader in readers:
        for number in range(1, 4):
            reader.saw(f"^{STAMP} s{number}: s{number}-{count - 1:04d}$", timeout=20)
        said = [line.split(": ", 1)[1] for line in reader.received if re.match(STAMP, line)]
        for number in range(1, 4):
            mine = [text for text in said if text.startswith(f"s{number}-")]
            assert mine == [f"s{number}-{i:04d}" for i in range(count)]


def test_several_senders_on_one_node_each_token_once_and_in_order(cluster: Cluster) -> None:
    # Callers on one node write the log themselves, taking turns: each writes what the
    # others queued while it held the turn, and nothing is written twice or lost.
    node = cluster.nodes[0]
    senders = [node.connect(f"s{number}") for number in range(1, 5)]
    readers = cluster.users("r1", "r2", "r3")
    count = 100
    for number, sender in enumerate(senders, 1):
        sender.send(*(f"s{number}-{i:04d}" for i in range(count)))
    for reader in readers:
        for number in range(1, 5):
            reader.saw(f"^{STAMP} s{number}: s{number}-{count - 1:04d}$", timeout=20)
        said = [line.split(": ", 1)[1] for line in reader.received if re.match(STAMP, line)]
        for number in range(1, 5):
            mine = [text for text in said if text.startswith(f"s{number}-")]
            assert mine == [f"s{number}-{i:04d}" for i in range(count)]
