"""Nodes that come late, and nodes that die: the cluster's state follows (real Redis)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.cluster.conftest import Cluster
from tests.integration.conftest import SUBPROCESS_ENV
from tests.irc.conftest import LineSocket
from tests.support import DEADLINE, LineClient, wait_for

STAMP = r"\[\d\d:\d\d:\d\d\]"
LOST_WITHIN_SECONDS = 10.0


class NodeProcess:
    """``chinwag serve --cluster URL`` run as a user runs it, in a process of its own."""

    def __init__(self, url: str, name: str, data_dir: str = "", irc_port: int = 0) -> None:
        command = [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1"]
        options = ["--port", "0", "--no-console", "--flood-burst", "0", "--data-dir", data_dir]
        options += ["--irc-port", str(irc_port)]  # 0: none
        self.process = subprocess.Popen(
            [*command, *options, "--cluster", url, "--node-name", name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=SUBPROCESS_ENV,
        )
        assert self.process.stdout is not None
        self.lines: list[str] = []
        while True:
            line = self.process.stdout.readline()
            assert line, f"the node stopped: {self.lines}"
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"Server started on 127\.0\.0\.1:(\d+)", line)
            if match:
                self.address = ("127.0.0.1", int(match.group(1)))
                self.irc_address = ("127.0.0.1", irc_port)
                return

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(DEADLINE)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connect(address: tuple[str, int], nick: str) -> LineClient:
    client = LineClient(address)
    client.expect(r"^\* Welcome to chinwag")
    client.send(f"/nick {nick}")
    client.expect(f"^\\* you are now known as {nick}$")
    return client


def test_a_node_that_joins_later_is_given_the_whole_chat(two_nodes: Cluster) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    ann.send("/join dev")
    ann.expect(r"^\* you are now in dev")
    ann.send("/topic before the third node")
    ann.expect(r"^\* ann set the topic of dev")
    third = two_nodes.add_node()
    two_nodes.log.wait_for(r"joined the cluster at .* with 2 other nodes")
    cat = third.connect("cat")
    cat.send("/who")
    cat.expect(r"^\* 2 users in lobby:$")  # ann is in dev
    cat.send("/join dev")
    cat.expect(r"^\* you are now in dev \(2 here\)$")
    cat.expect(r"^\* topic: before the third node \(set by ann")
    ann.expect(r"^\* cat joined dev$")
    ann.send("welcome, cat")
    cat.expect(f"^{STAMP} ann: welcome, cat$")
    bob.send("/nick CAT")
    bob.expect(r"^! the name CAT is taken$")


def test_a_killed_node_is_announced_gone_within_ten_seconds_and_its_names_freed(
    two_nodes: Cluster,
) -> None:
    (ann,) = two_nodes.users("ann")
    node = NodeProcess(two_nodes.redis.url, "doomed")
    bob = None
    try:
        bob = connect(node.address, "bob")
        ann.expect(r"^\* Client-\d+ is now known as bob$")
        bob.send("hello before I go")
        ann.expect(f"^{STAMP} bob: hello before I go$")
        node.kill()
        killed_at = time.monotonic()
        ann.expect(r"^\* bob left the chat \(node lost\)$", timeout=LOST_WITHIN_SECONDS + 2)
        assert time.monotonic() - killed_at <= LOST_WITHIN_SECONDS
        two_nodes.log.wait_for(r"cluster: node doomed#\w+ is lost")
        heir = two_nodes.nodes[1].connect("bob")  # the name is free again
        heir.send("it is mine now")
        ann.expect(f"^{STAMP} bob: it is mine now$")
    finally:
        if bob is not None:
            bob.close()
        node.stop()


def test_what_is_said_while_redis_is_down_is_delivered_once_in_order_when_it_is_back(
    two_nodes: Cluster,
) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    two_nodes.redis.kill()
    ann.send(*(f"while down {i}" for i in range(3)))
    two_nodes.log.wait_for(r"cluster: lost the Redis at redis://127\.0\.0\.1:\d+/0")
    two_nodes.redis.start()  # empty: a restart that lost its data
    for i in range(3):
        bob.expect(f"^{STAMP} ann: while down {i}$", timeout=15)
    two_nodes.log.wait_for(r"cluster: Redis at .* is back after")
    ann.send("after")
    bob.expect(f"^{STAMP} ann: after$")
    said = [line for line in bob.received if "while down" in line]
    assert len(said) == 3
    # Names stay unique, and new members get numbers no one has.
    newcomer = two_nodes.nodes[1].connect()
    newcomer.send("/nick ANN")
    newcomer.expect(r"^! the name ANN is taken$")
    newcomer.send("/who")
    newcomer.expect(r"^\* 3 users in lobby:$")


def test_a_node_that_was_quiet_while_redis_restarted_writes_at_once_after(
    two_nodes: Cluster,
) -> None:
    # Nobody speaks while Redis is down: each node's connection for writing to the log
    # lies idle, closed by the Redis that died; the first write after must not fail on it.
    ann, bob = two_nodes.users("ann", "bob")
    two_nodes.redis.kill()
    lost = r"cluster: lost the Redis at"
    two_nodes.log.wait_for(lost, count=2)  # both nodes noticed
    two_nodes.redis.start()
    two_nodes.log.wait_for(r"cluster: Redis at .* is back after", count=2)
    for name, speaker, listener in (("ann", ann, bob), ("bob", bob, ann)):
        speaker.send(f"back from {name}")
        listener.expect(f"^{STAMP} {name}: back from {name}$", timeout=15)
    assert len(two_nodes.log.wait_for(lost, count=2)) == 2  # and not lost again


def test_a_stalled_redis_delays_the_chat_and_loses_nothing(two_nodes: Cluster) -> None:
    ann, bob = two_nodes.users("ann", "bob")
    link = two_nodes.nodes[0].server.cluster.link  # type: ignore[union-attr]
    two_nodes.redis.pause()
    try:
        ann.send("said while Redis stood still")
        # Stalled for as long as it takes the line to reach the node and wait there.
        wait_for(lambda: link.pending() > 0, what="the line waiting for Redis")
    finally:
        two_nodes.redis.resume()
    bob.expect(f"^{STAMP} ann: said while Redis stood still$")
    ann.send("and after")
    bob.expect(f"^{STAMP} ann: and after$")
    assert sum("stood still" in line for line in bob.received) == 1


def test_a_node_restarted_on_its_data_shows_what_was_said_while_it_was_down(
    two_nodes: Cluster, tmp_path: Path
) -> None:
    data, irc_port = str(tmp_path / "node3"), free_port()
    third = NodeProcess(two_nodes.redis.url, "node3", data, irc_port)
    try:
        ann, bob = two_nodes.users("ann", "bob")
        cat = connect(third.address, "cat")
        cat.send("said before the crash")
        ann.expect(f"^{STAMP} cat: said before the crash$")
        third.kill()
        ann.expect(r"^\* cat left the chat \(node lost\)$", timeout=LOST_WITHIN_SECONDS)
        ann.send("missed one")
        bob.expect(f"^{STAMP} ann: missed one$")  # in this order in the log
        bob.send("missed two")
        ann.expect(f"^{STAMP} bob: missed two$")
        third.stop()
        # The same data, restarted (and the same IRC port, free again).
        third = NodeProcess(two_nodes.redis.url, "node3", data, irc_port)
        said = ["cat: said before the crash", "ann: missed one", "bob: missed two"]
        dan = LineClient(third.address)  # replayed on arrival in the lobby
        dan.expect(r"^\* --- last \d+ messages ---$")
        replayed = [dan.expect(f"^{STAMP} ").split(" ", 1)[1] for _ in said]
        assert replayed == said
        dan.expect(r"^\* --- end of history ---$")
        dan.send("/history")
        dan.expect(r"^\* --- last \d+ messages ---$")
        assert [dan.expect(f"^{STAMP} ").split(" ", 1)[1] for _ in said] == said
        eve = LineSocket(third.irc_address)
        caps = "draft/chathistory batch server-time message-tags"
        eve.send(f"CAP REQ :{caps}", "NICK eve", "USER eve 0 * :eve", "CAP END")
        eve.expect(r" (376|422) ")
        eve.send("JOIN #lobby")
        eve.expect(r" 366 eve #lobby ")
        eve.send("CHATHISTORY LATEST #lobby * 10")
        eve.expect(r" BATCH \+\S+ chathistory ")
        for line in said:
            nick, text = line.split(": ", 1)
            eve.expect(f":{nick}!\\S+ PRIVMSG #lobby :{re.escape(text)}$")
        # Two, or three if the first was not on disk yet when the node was killed.
        assert any(re.search(r"caught up with [23] messages said while", x) for x in third.lines)
        for client in (cat, dan, eve):
            client.close()
    finally:
        third.stop()
