"""A node cut off from Redis goes on alone for its own users, and catches up once back.

Real nodes, a real redis-server, stopped, paused (``CLIENT PAUSE``) or reached through a
TCP proxy the test cuts. Negative checks wait for a barrier: a later line from the same
sender, which every node delivers after the earlier ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.cluster.conftest import Cluster
from tests.integration.conftest import LogCapture
from tests.redis_support import RedisServer
from tests.support import LineClient, wait_for
from tests.tcp_proxy import TcpProxy

STAMP = r"\[\d\d:\d\d:\d\d\]"
DEGRADED = r"^\* this server has lost touch with the rest of the chat: "
BACK = r"^\* this server is back in touch with the rest of the chat$"
CUT_OFF = r"^! not now: this server has lost touch with the rest of the chat"
RECOVERY_SECONDS = 15.0  # Redis back, or the path to it: the node writes and reads again


def said(client: LineClient, nick: str, text: str) -> int:
    """How many times ``client`` was shown ``nick`` saying ``text``."""
    line = re.compile(f"^{STAMP} {re.escape(nick)}: {re.escape(text)}$")
    return sum(bool(line.match(received)) for received in client.received)


def told(client: LineClient, pattern: str) -> int:
    return sum(bool(re.search(pattern, line)) for line in client.received)


def barrier(sender: LineClient, nick: str, *readers: LineClient) -> None:
    sender.send("barrier")
    for reader in readers:
        reader.expect(f"^{STAMP} {nick}: barrier$", timeout=RECOVERY_SECONDS)


def test_with_redis_stopped_a_nodes_users_hear_each_other_at_once_and_the_rest_later(
    two_nodes: Cluster,
) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    cat = two_nodes.nodes[0].connect("cat")  # with ann, on node 1
    two_nodes.settle()  # every node knows cat before the fault
    two_nodes.redis.kill()
    ann.send("while down 0")  # perhaps before the node noticed: it notices on writing it
    cat.expect(f"^{STAMP} ann: while down 0$")
    for client in (ann, bob, cat):
        client.saw(DEGRADED)
    two_nodes.log.wait_for(r"cluster: node node1#\w+ goes on alone: its 2 users")
    ann.send("while down 1", "while down 2")
    cat.expect(f"^{STAMP} ann: while down 1$")
    cat.expect(f"^{STAMP} ann: while down 2$")
    # What the log must decide is refused, clearly, and not done later behind their back.
    cat.send("/join elsewhere")
    cat.expect(CUT_OFF)
    cat.send("/nick kitty")
    cat.expect(CUT_OFF)
    cat.send("/quit back later")  # a departure is not refused: it waits for Redis
    cat.expect_closed()
    two_nodes.redis.start()  # empty: a restart that lost its data
    for client in (ann, bob):
        client.saw(BACK, timeout=RECOVERY_SECONDS)
    for i in range(3):
        bob.expect(f"^{STAMP} ann: while down {i}$", timeout=RECOVERY_SECONDS)
    bob.expect(r"^\* cat left the chat \(back later\)$")
    ann.expect(r"^\* cat left the chat \(back later\)$")
    barrier(ann, "ann", bob)
    for i in range(3):
        assert said(cat, "ann", f"while down {i}") == 1  # once, though its entry came back
        assert said(bob, "ann", f"while down {i}") == 1
    for client in (ann, bob):
        assert told(client, DEGRADED) == 1
        assert told(client, BACK) == 1
    assert not any(re.search(r"joined elsewhere|known as kitty", line) for line in bob.received)
    two_nodes.log.wait_for(r"cluster: node node1#\w+ is back in the chat")


def test_a_newcomer_to_a_node_cut_off_is_told_to_come_back_later(two_nodes: Cluster) -> None:
    (ann,) = two_nodes.users("ann")
    two_nodes.redis.kill()
    ann.saw(DEGRADED)
    newcomer = two_nodes.nodes[0].open()
    farewell = r"^\* not now: this server has lost touch with the rest of the chat"
    assert any(re.match(farewell, line) for line in newcomer.expect_closed())


UNAVAILABLE = r"^! The chat is unavailable; try again shortly$"


def test_newcomers_a_node_cannot_name_are_refused_at_once_and_give_their_slot_back(
    redis_server: Callable[[], RedisServer],
    log_capture: LogCapture,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    redis = redis_server()
    proxy = TcpProxy(("127.0.0.1", redis.port))
    cluster = Cluster(redis, log_capture, tmp_path_factory)
    try:
        # Two connections per address, loopback included, on the node behind the proxy.
        limits = {"max_per_address": 2, "exempt_addresses": ""}
        node = cluster.add_node(cluster=proxy.url(), **limits)
        cluster.add_node()
        ann = node.connect("ann")
        proxy.stall()  # Redis silent: a command would wait for its timeout
        numbers = node.server.cluster.link.numbers  # type: ignore[union-attr]
        while numbers.take() is not None:
            pass  # the numbers at hand used up by arrivals; no more can be fetched now
        # More newcomers than the address has slots left: each is refused at once, the
        # accept thread never waiting for Redis, and each gives its slot back.
        for _ in range(4):
            refused = node.open()
            assert any(re.match(UNAVAILABLE, line) for line in refused.expect_closed())
        cluster.log.wait_for(r"Refused connection from 127\.0\.0\.1: no member number", count=4)
        proxy.restore()
        wait_for(numbers.at_hand, RECOVERY_SECONDS, "numbers fetched again")
        bob = node.connect("bob")  # the second slot of the address was never lost
        bob.send("hello")
        ann.expect(f"^{STAMP} bob: hello$", timeout=RECOVERY_SECONDS)
    finally:
        cluster.stop()
        proxy.close()


def test_past_the_bound_by_number_the_sender_is_told_what_the_others_did_not_get(
    two_nodes: Cluster,
) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    cat = two_nodes.nodes[0].connect("cat")
    two_nodes.settle()
    two_nodes.nodes[0].server.cluster.link.backlog.max_messages = 2  # type: ignore[union-attr]
    two_nodes.redis.kill()
    ann.saw(DEGRADED)
    ann.send("kept 1", "kept 2", "dropped 3")
    for text in ("kept 1", "kept 2", "dropped 3"):
        cat.expect(f"^{STAMP} ann: {text}$")  # heard here all the same
    ann.expect(
        r"^! not delivered to the other servers \(too many messages wait for the other"
        r" servers already\): to lobby: dropped 3$"
    )
    two_nodes.redis.start()
    bob.expect(f"^{STAMP} ann: kept 1$", timeout=RECOVERY_SECONDS)
    bob.expect(f"^{STAMP} ann: kept 2$")
    barrier(ann, "ann", bob)
    assert said(bob, "ann", "dropped 3") == 0


def test_past_the_bound_by_age_the_sender_is_told_what_the_others_did_not_get(
    two_nodes: Cluster,
) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    cat = two_nodes.nodes[0].connect("cat")
    two_nodes.settle()
    two_nodes.nodes[0].server.cluster.link.backlog.max_age = 0.0  # type: ignore[union-attr]
    two_nodes.redis.kill()
    ann.saw(DEGRADED)
    ann.send("stale by the time it could go")
    cat.expect(f"^{STAMP} ann: stale by the time it could go$")
    ann.expect(
        r"^! not delivered to the other servers \(it waited for the other servers too"
        r" long\): to lobby: stale by the time it could go$"
    )
    two_nodes.redis.start()
    bob.saw(BACK, timeout=RECOVERY_SECONDS)
    barrier(ann, "ann", bob, cat)
    assert said(bob, "ann", "stale by the time it could go") == 0


PAUSE_SECONDS = 6  # longer than a node waits for an answer (REDIS_TIMEOUT_SECONDS)


@pytest.mark.parametrize("mode", ["ALL", "WRITE"])
def test_with_redis_paused_the_chat_goes_on_here_and_nothing_is_lost_or_doubled(
    two_nodes: Cluster, mode: str
) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    cat = two_nodes.nodes[0].connect("cat")
    two_nodes.settle()
    # Paused for everything (not even CLIENT UNPAUSE is answered: it ends by itself), or
    # for writes only (reads go on: the node must not take them for Redis being back).
    two_nodes.redis.command("CLIENT", "PAUSE", str(PAUSE_SECONDS * 1000), mode)
    try:
        ann.send("said while Redis stood still")
        # Heard here once the node gives up waiting (a Redis that does not answer).
        cat.expect(f"^{STAMP} ann: said while Redis stood still$", timeout=PAUSE_SECONDS)
        ann.saw(DEGRADED)
    finally:
        if mode == "WRITE":
            two_nodes.redis.command("CLIENT", "UNPAUSE")
    bob.expect(f"^{STAMP} ann: said while Redis stood still$", timeout=RECOVERY_SECONDS)
    ann.saw(BACK, timeout=RECOVERY_SECONDS)
    barrier(ann, "ann", bob, cat)
    assert said(cat, "ann", "said while Redis stood still") == 1
    assert said(bob, "ann", "said while Redis stood still") == 1
    assert told(ann, DEGRADED) == told(ann, BACK) == 1


@pytest.fixture
def island(
    redis_server: Callable[[], RedisServer],
    log_capture: LogCapture,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Cluster, TcpProxy]]:
    """Two nodes; the first reaches Redis through a proxy the test can cut."""
    redis = redis_server()
    proxy = TcpProxy(("127.0.0.1", redis.port))
    made = Cluster(redis, log_capture, tmp_path_factory)
    try:
        made.add_node(cluster=proxy.url())
        made.add_node()
        yield made, proxy
    finally:
        made.stop()
        proxy.close()


@pytest.mark.parametrize("how", ["cut", "stall"])
def test_a_node_cut_off_alone_goes_on_and_catches_up(
    island: tuple[Cluster, TcpProxy], how: str
) -> None:
    cluster, proxy = island
    ann, bob = cluster.users("ann", "bob")
    cat = cluster.nodes[0].connect("cat")
    cluster.settle()
    getattr(proxy, how)()
    ann.send("from the island")
    cat.expect(f"^{STAMP} ann: from the island$", timeout=RECOVERY_SECONDS)
    ann.saw(DEGRADED)
    bob.send("from the mainland")  # the rest of the cluster goes on as usual
    proxy.restore()
    bob.expect(f"^{STAMP} ann: from the island$", timeout=RECOVERY_SECONDS)
    cat.expect(f"^{STAMP} bob: from the mainland$", timeout=RECOVERY_SECONDS)
    ann.saw(BACK, timeout=RECOVERY_SECONDS)
    barrier(ann, "ann", bob, cat)
    barrier(bob, "bob", ann, cat)
    assert said(cat, "ann", "from the island") == 1
    assert said(bob, "ann", "from the island") == 1
    assert said(ann, "bob", "from the mainland") == 1
    assert told(bob, DEGRADED) == 0  # its node never lost Redis


def test_a_node_cut_off_too_long_is_counted_gone_and_its_users_told_what_was_lost(
    island: tuple[Cluster, TcpProxy],
) -> None:
    cluster, proxy = island
    ann, bob = cluster.users("ann", "bob")
    proxy.cut()
    ann.saw(DEGRADED)
    ann.send("lost at sea")
    bob.expect(r"^\* ann left the chat \(node lost\)$", timeout=RECOVERY_SECONDS)
    proxy.restore()
    ann.expect(
        r"^! not delivered to the other servers \(this server was cut off too long and"
        r" counted as gone\): to lobby: lost at sea$",
        timeout=RECOVERY_SECONDS,
    )
    assert any("lost touch with the chat; reconnect" in line for line in ann.expect_closed())
    again = cluster.nodes[0].connect("ann")  # the name was freed, and the node is back
    again.send("hello again")
    bob.expect(f"^{STAMP} ann: hello again$", timeout=RECOVERY_SECONDS)
    assert said(bob, "ann", "lost at sea") == 0


GAP_TRIMMED = r"^\* this server fell too far behind the rest of the chat and missed part of it"
GAP_RESYNCED = r"^\* this server has caught up with the rest of the chat$"
GAP_DATA_LOST = r"^\* the chat's shared store lost its data"


def test_a_node_that_missed_trimmed_entries_says_so_and_takes_the_state_again(
    island: tuple[Cluster, TcpProxy],
) -> None:
    cluster, proxy = island
    ann, bob = cluster.users("ann", "bob")
    cat = cluster.nodes[0].connect("cat")
    cluster.settle()
    cluster.nodes[1].server.cluster.link.log_maxlen = 10  # type: ignore[union-attr]
    proxy.cut()
    ann.saw(DEGRADED)
    ann.send("said while cut off")  # its entry may well be trimmed before node 1 reads it
    cat.expect(f"^{STAMP} ann: said while cut off$")
    bob.send("/join dev")
    bob.expect(r"^\* you are now in dev \(1 here\)$")
    bob.send(*(f"flood {i}" for i in range(300)), "/names dev")
    bob.expect(r"^\* dev \(1\): @bob$")  # each line is in the log once the next is handled
    length = int(cluster.redis.command("XLEN", "chinwag:log")[1:].split(b"\r")[0])
    assert length < 300  # trimmed: node 1 cannot read what it missed
    proxy.restore()
    for client in (ann, cat):
        client.saw(GAP_TRIMMED, timeout=RECOVERY_SECONDS)
        client.saw(GAP_RESYNCED, timeout=RECOVERY_SECONDS)
    cluster.log.wait_for(r"cluster: the log was trimmed past what node node1#\w+ had read")
    cluster.log.wait_for(r"cluster: node node1#\w+ took the chat's state again")
    hub = cluster.nodes[0].server.cluster
    assert hub is not None
    wait_for(lambda: hub.waiting() == 0, RECOVERY_SECONDS, "nothing left waiting for the log")
    cat.send("/names dev")  # known here only from the state taken again
    cat.expect(r"^\* dev \(1\): @bob$")
    ann.send("/msg bob still here")  # both ways, as before
    bob.expect(f"^{STAMP} \\*ann\\* still here$", timeout=RECOVERY_SECONDS)
    bob.send("/msg cat and so are you")
    cat.expect(f"^{STAMP} \\*bob\\* and so are you$")


def test_a_redis_that_lost_its_data_is_told_to_every_user_once(two_nodes: Cluster) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    two_nodes.redis.restart_empty()
    for client in (ann, bob):
        client.saw(GAP_DATA_LOST, timeout=RECOVERY_SECONDS)
    two_nodes.log.wait_for(r"cluster: the Redis at \S+ lost its data", count=2)
    barrier(ann, "ann", bob)
    barrier(bob, "bob", ann)
    for client in (ann, bob):
        assert told(client, GAP_DATA_LOST) == 1
    # The member counter was put back above every number a node has at hand, so no
    # other node can be handed one of them again.
    counter = int(two_nodes.redis.command("GET", "chinwag:clients").split(b"\r\n")[1])
    for node in two_nodes.nodes:
        assert node.server.cluster is not None
        assert counter >= node.server.cluster.link.numbers.highest > 0


def test_after_redis_lost_its_data_a_new_node_shows_the_same_cloaks(two_nodes: Cluster) -> None:
    (ann,) = two_nodes.users("ann")
    bob = two_nodes.nodes[1].irc("bob")
    bob.send("WHOIS ann")
    host = bob.expect(r" 311 bob ann ").split()[5]  # the address as others see it
    two_nodes.redis.restart_empty()
    ann.saw(GAP_DATA_LOST, timeout=RECOVERY_SECONDS)  # and the cluster's values put back
    cat = two_nodes.add_node().irc("cat")
    cat.send("WHOIS ann")
    assert cat.expect(r" 311 cat ann ").split()[5] == host
