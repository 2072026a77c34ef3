"""Three chinwag servers sharing one chat through the test's own redis-server.

Each node is a real :class:`~chinwag.server.server.ChatServer` with a text and an IRC
listener on loopback and a data directory of its own; they share nothing but the Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from chinwag.cluster.hub import ClusterHub
from chinwag.cluster.replica import parse_id
from chinwag.irc.listener import irc_refusal, irc_sessions
from chinwag.server.server import ChatServer
from tests.integration.conftest import TEST_CONFIG, Harness, LogCapture, log_capture
from tests.irc.conftest import LineSocket
from tests.redis_support import RedisServer
from tests.support import LineClient, wait_for

__all__ = ["Cluster", "Node", "log_capture"]


class Node(Harness):
    """One node: text clients as in the integration tests, and raw IRC clients."""

    @property
    def cluster(self) -> ClusterHub:
        hub = self.server.cluster
        assert hub is not None
        return hub

    def irc(self, nick: str) -> LineSocket:
        client = LineSocket(self.server.listener_address("irc"))
        self.clients.append(client)
        client.send(f"NICK {nick}", f"USER {nick} 0 * :{nick}")
        client.expect(r" 001 ")
        client.expect(r" (376|422) ")
        return client


class Cluster:
    """The nodes of one test's cluster, and the Redis they share."""

    def __init__(self, redis: RedisServer, log: LogCapture, data: pytest.TempPathFactory) -> None:
        self.redis = redis
        self.log = log
        self._data = data
        self.nodes: list[Node] = []

    def add_node(self, **overrides: object) -> Node:
        name = f"node{len(self.nodes) + 1}"
        settings: dict[str, object] = {
            "cluster": self.redis.url,  # or, overridden, a proxy's in front of it
            "node_name": name,
            "server_name": "irc.test",
            "data_dir": str(self._data.mktemp("data")),
            **overrides,
        }
        config = replace(TEST_CONFIG, **settings)  # type: ignore[arg-type]
        server = ChatServer(config, housekeeping_seconds=0.05)
        server.add_listener("irc", 0, irc_sessions(config), refusal=irc_refusal)
        node = Node(server, self.log)
        self.nodes.append(node)
        server.start()
        return node

    def users(self, *nicks: str) -> list[LineClient]:
        """Text users named ``nicks``, the first on node 1, the next on node 2, ...;
        every node knows them all (see :meth:`settle`)."""
        users = [self.nodes[i % len(self.nodes)].connect(nick) for i, nick in enumerate(nicks)]
        self.settle()
        return users

    def settle(self) -> None:
        """Wait until every node has applied the whole log as it is now. A node answers
        a query (``/who``, ``/rooms``, NAMES) from its own copy, which is as far as its
        reader got: a change just made on another node may not be in it yet."""
        link = self.nodes[0].cluster.link
        last: Any = link.commands.xrevrange(link.keys.log, count=1)
        if not last:
            return
        end = parse_id(last[0][0].decode())
        for number, node in enumerate(self.nodes, 1):
            replica = node.cluster.replica
            wait_for(lambda r=replica: r.last_applied >= end, what=f"node {number} caught up")

    def stop(self) -> None:
        for node in self.nodes:
            node.close()
            node.server.shutdown()


@pytest.fixture
def cluster(
    redis_server: Callable[[], RedisServer],
    log_capture: LogCapture,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """A cluster of three nodes on a fresh redis-server."""
    made = Cluster(redis_server(), log_capture, tmp_path_factory)
    try:
        for _ in range(3):
            made.add_node()
        yield made
    finally:
        made.stop()


@pytest.fixture
def two_nodes(
    redis_server: Callable[[], RedisServer],
    log_capture: LogCapture,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """A cluster of two nodes on a fresh redis-server."""
    made = Cluster(redis_server(), log_capture, tmp_path_factory)
    try:
        made.add_node()
        made.add_node()
        yield made
    finally:
        made.stop()
