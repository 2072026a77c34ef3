"""Operators act on the whole cluster: KILL, server-wide bans and /wall cross nodes; the
console lists the nodes (real sockets, real Redis, three nodes)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from chinwag.passwords import hash_password
from chinwag.server.console import Console
from chinwag.server.dispatch import deliver
from tests.cluster.conftest import Cluster
from tests.integration.conftest import LogCapture
from tests.redis_support import RedisServer
from tests.support import LineClient

PASSWORD = "correct horse"
STAMP = r"\[\d\d:\d\d:\d\d\]"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def staffed(
    redis_server: Callable[[], RedisServer],
    log_capture: LogCapture,
    tmp_path_factory: pytest.TempPathFactory,
    password_hash: str,
) -> Iterator[Cluster]:
    """Three nodes that know the operator password."""
    made = Cluster(redis_server(), log_capture, tmp_path_factory)
    try:
        for _ in range(3):
            made.add_node(oper_password_hash=password_hash)
        yield made
    finally:
        made.stop()


def test_an_operators_kill_on_one_node_disconnects_a_user_of_another(staffed: Cluster) -> None:
    ann = staffed.nodes[0].irc("ann")
    bob = staffed.nodes[1].irc("bob")
    cat = staffed.nodes[2].irc("cat")
    for client, nick in ((bob, "bob"), (cat, "cat")):
        client.send("JOIN #dev")
        client.expect(f" 366 {nick} #dev ")
    ann.send(f"OPER ann :{PASSWORD}")
    ann.expect(r" 381 ann ")
    bob.send("KILL ann :no")
    bob.expect(r" 481 bob ")  # not an operator: refused on its own node
    ann.send("KILL BOB :spamming")
    bob.expect(r"^ERROR :.*spamming")
    cat.expect(r"^:bob!\S+ QUIT :.*spamming")
    cat.send("PRIVMSG bob :are you there?")
    cat.expect(r" 401 cat bob ")
    staffed.nodes[1].log.wait_for(r"ann kicked Client-\d+ \(bob\) \(spamming\)")


def test_a_ban_set_on_one_node_keeps_the_address_out_of_every_node(staffed: Cluster) -> None:
    ann = staffed.nodes[0].connect("ann")
    mallory = staffed.nodes[1].connect("mallory", source="127.0.0.2")
    ann.send(f"/op {PASSWORD}")
    ann.expect(r"^\* you are now an operator$")
    ann.send("/ban mallory 5")
    ann.expect(r"^\* 127\.0\.0\.2 is banned for 5 minutes$")
    assert mallory.expect_closed()[-1] == "* You were banned by ann"
    staffed.settle()  # a node's door knows of the ban once its reader has applied it
    for node in staffed.nodes:  # every node refuses the address at the door
        again = LineClient(node.server.address, "127.0.0.2")
        node.clients.append(again)
        assert again.expect_closed()[0].startswith("! You are banned from this server until ")
    other = staffed.nodes[2].connect("other", source="127.0.0.3")
    other.send(f"/op {PASSWORD}")
    other.expect(r"^\* you are now an operator$")
    other.send("/bans")  # seen from another node than the one that set it
    other.expect(r"^\* 127\.0\.0\.2 \(mallory\) by ann until \d\d:\d\d:\d\d$")
    other.send("/unban 127.0.0.2")
    other.expect(r"^\* the ban on 127\.0\.0\.2 is lifted$")
    staffed.settle()
    staffed.nodes[0].connect("back", source="127.0.0.2")  # lifted everywhere


def test_wall_reaches_every_user_on_every_node(staffed: Cluster) -> None:
    ann, bob, cat = staffed.users("ann", "bob", "cat")
    dan = staffed.nodes[1].irc("dan")
    ann.send(f"/op {PASSWORD}")
    ann.expect(r"^\* you are now an operator$")
    ann.send("/wall the servers restart at noon")
    for client in (ann, bob, cat):
        client.expect(f"^{STAMP} \\*\\*\\* Notice from ann: the servers restart at noon$")
    dan.expect(r"the servers restart at noon")
    bob.send("/wall me too")
    bob.expect(r"^! only operators can do that$")


def test_the_console_lists_the_nodes_and_their_users(staffed: Cluster) -> None:
    staffed.users("ann", "bob", "cat", "dan")  # two on node 1, one each on nodes 2 and 3
    out = io.StringIO()
    console = Console(staffed.nodes[0].server, out)
    deliver(console.handle("nodes"), console.router)
    lines = out.getvalue().splitlines()
    assert lines[0] == "* 3 nodes with users:"
    assert lines[1].startswith("*   node1#") and lines[1].endswith(": 2 users (this one: in touch)")
    assert [line.split("#")[0] for line in lines[2:]] == ["*   node2", "*   node3"]
    assert all(line.endswith(": 1 user") for line in lines[2:])
    out.truncate(0)
    deliver(console.handle("help nodes"), console.router)
    assert "nodes: the servers of the cluster" in out.getvalue()


def test_the_console_of_a_single_server_says_it_has_no_nodes(
    staffed: Cluster,
) -> None:
    out = io.StringIO()
    server = staffed.nodes[0].server
    console = Console(server, out)
    cluster, server.cluster = server.cluster, None  # as a server started without --cluster
    try:
        deliver(console.handle("nodes"), console.router)
    finally:
        server.cluster = cluster  # stopped with the server
    assert "! this server is not in a cluster (see --cluster)" in out.getvalue()
