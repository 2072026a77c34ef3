"""How a node's writes reach the log: a batch as one, or not at all (a real redis-server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chinwag.cluster import ops, wire
from chinwag.cluster.link import Link
from tests.redis_support import RedisServer
from tests.support import wait_for

PREFIX = "writes:"
LOG = (PREFIX + "log").encode()


@pytest.fixture
def link(redis_server: Callable[[], RedisServer]) -> Iterator[tuple[Link, RedisServer]]:
    server = redis_server()
    made = Link(server.url, "node1", prefix=PREFIX)
    try:
        yield made, server
    finally:
        made.stop()


def blocked_reader(link: Link, server: RedisServer) -> Any:
    """A connection blocked in ``XREAD`` for the log's next entries (a barrier: Redis
    counts it blocked before this returns)."""
    connection: Any = link.commands.connection_pool.make_connection()
    connection.send_packed_command([wire.xread(LOG, "$", 1024, 10_000)])
    wait_for(
        lambda: b"blocked_clients:1\r\n" in server.command("INFO", "clients"),
        what="the reader blocked in XREAD",
    )
    return connection


def queue_sayings(link: Link, count: int) -> None:
    for number in range(count):
        link.append({"k": "say", "m": "Client-1", "room": "lobby", "text": f"line {number}"})


def test_a_batch_reaches_a_blocked_reader_whole_and_in_order(
    link: tuple[Link, RedisServer],
) -> None:
    writer, server = link
    reader = blocked_reader(writer, server)
    try:
        queue_sayings(writer, 5)
        writer.send()  # one batch of five, written in this thread
        entries = wire.entries(reader.read_response())
    finally:
        reader.disconnect()
    # Redis serves a blocked reader after each command: a bare pipeline of XADDs would
    # wake it with the first entry alone.
    assert [int(fields[ops.SEQUENCE]) for _, fields in entries] == [1, 2, 3, 4, 5]
    texts = [ops.decode(fields[ops.OPERATION])["text"] for _, fields in entries]
    assert texts == [f"line {number}" for number in range(5)]
    assert writer.pending() == 0


def test_a_batch_that_fails_stays_queued_whole_and_none_of_it_is_in_the_log(
    link: tuple[Link, RedisServer],
) -> None:
    writer, server = link
    server.command("SET", PREFIX + "log", "not a stream")  # every XADD to it fails
    queue_sayings(writer, 3)
    writer.send()
    assert writer.degraded
    assert writer.pending() == 3  # for the appender to write again, whole
    server.command("DEL", PREFIX + "log")
    assert server.command("EXISTS", PREFIX + "log") == b":0\r\n"
