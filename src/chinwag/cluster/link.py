"""A node's connections to the cluster's Redis, and the threads that use them.

Theory of operation (the design is in :mod:`chinwag.cluster`):

- the *writer* is whoever holds the write lock: the operations callers queue
  (:meth:`Link.append`, kept in a :class:`~chinwag.cluster.backlog.Backlog`) go to the
  log, everything queued in one pipelined round trip, in the order queued, as one
  transaction (so every reader gets it as one batch), on a connection of their own
  (the commands packed by :mod:`chinwag.cluster.wire`). A
  caller writes it itself (:meth:`Link.send`): it waits for its entry anyway, and a
  hand-off to another thread would cost each message a wake-up and a thread switch. If
  another caller is writing, that one takes what was queued meanwhile too (it looks
  again after letting go of the lock), so callers never queue up behind each other. A
  caller that does not wait for its entry (a message, see :mod:`chinwag.cluster.hub`)
  hands the write to the appender instead (:meth:`Link.send_later`): what many such
  callers queue meanwhile, a client's whole paste included, then goes in one write, and
  reaches every reader as one batch;
- the *appender* writes what is handed to it, and takes over when Redis fails (a
  caller's write failed, or Redis is lost): it keeps the batch and retries with capped
  backoff, so nothing queued is lost or reordered (a batch that was half written is
  written again whole: the reader drops what a node wrote twice by its sequence
  number), and while Redis is lost it tries with the oldest operation alone; messages
  said while cut off that pass the backlog's bounds are handed back (``on_expired``)
  instead. It also looks every second for anything left queued;
- the *reader* blocks in ``XREAD`` on a connection of its own and hands each batch of
  entries to the node (``on_entries``), in the log's order (``XREAD`` also packed and
  its reply read by :mod:`chinwag.cluster.wire`: these two are every message's cost).
  After a busy batch it waits a moment before it reads again (:func:`gather_wait`), so
  that a busy log comes in big batches, which its node sends in few pieces.
  After any trouble (Redis lost), or a full batch (it is behind), it first checks that
  nothing it has not read is gone (:meth:`Link.check_log`): entries trimmed away
  (``MAXLEN``) past its place (the log's first entry is after the last one it read), or
  Redis's data lost (restarted empty, flushed), which it knows by its *mark*, a key only
  it sets, at join, and keeps (``SET XX`` in every heartbeat). Either is told to the
  node (``on_gap``); the node's values other nodes read (the cloak secret) are put back;
- the *numberer* keeps member numbers at hand for newcomers
  (:mod:`chinwag.cluster.numbers`), so that accepting a connection never waits for Redis;
- the *heartbeat* renews this node's key every :data:`HEARTBEAT_SECONDS` (it expires
  after :data:`NODE_TTL_SECONDS`) and looks for nodes whose key has been missing for
  :data:`MISSING_GRACE_SECONDS`; for each, the first node to win ``SET NX`` on its lost
  key asks for a ``node-lost`` entry (``on_lost``).

Redis is *lost* when a command fails or does not answer within
:data:`REDIS_TIMEOUT_SECONDS` (a stalled Redis: ``CLIENT PAUSE``, a stopped process, a
cut network), and *back* when a write succeeds again (a read alone does not say so: a
Redis paused for writes still answers reads). Each change is logged once and told to the
node once (``on_degraded``). Every key is under
one prefix (``chinwag:`` unless given), so several clusters can share one Redis.
redis-py is imported here and only here, when a server is started with ``--cluster``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis

from chinwag import log
from chinwag.cluster import ClusterError, ops, wire
from chinwag.cluster.backlog import Backlog
from chinwag.cluster.numbers import MemberNumbers
from chinwag.worker import Worker

HEARTBEAT_SECONDS = 1.0
NODE_TTL_SECONDS = 4.0  # a node's key lives this long unless renewed
# ... and must have been seen missing this long before the node is lost, so that a Redis
# restarted empty (every key gone at once) gives the live nodes time to renew theirs.
# SIGKILL to announcement: TTL + grace + up to a heartbeat, about 6 to 7.5 s.
MISSING_GRACE_SECONDS = 2.5
LOST_LOCK_SECONDS = 60.0
LOG_MAXLEN = 100_000  # entries kept in the log (approximately: MAXLEN ~)
MARK_LIFE_MS = 86_400_000  # a node's mark outlives a day without heartbeats, then goes
TRIMMED, DATA_LOST = "trimmed", "data lost"  # why entries a node did not read are gone
READ_BLOCK_MS = 1000
# A command not answered within this is a Redis lost (stalled or cut off): it bounds how
# long a node takes to notice, and so how long its users wait before it goes on alone.
REDIS_TIMEOUT_SECONDS = 3.0
READ_COUNT = 1024
# A reader that finds the log busy (a batch of at least BUSY_BATCH entries) waits
# GATHER_SECONDS before it reads again: what is appended meanwhile then comes as one
# batch, which its node sends each recipient as one piece (see :func:`gather_wait`). A
# quiet log (a message now and then, a few at once) is read as soon as anything is in it.
BUSY_BATCH = 8
GATHER_SECONDS = 0.008
APPEND_BATCH = 512
BACKOFF_SECONDS = (0.05, 2.0)

Entries = wire.Entries

# A block of member numbers, never below ``floor`` (the highest number a node knows in
# use: a Redis restarted empty has forgotten the counter, not the members).
_NEXT_BLOCK = """
local last = redis.call('incrby', KEYS[1], ARGV[1])
if last - tonumber(ARGV[1]) < tonumber(ARGV[2]) then
  last = tonumber(ARGV[2]) + tonumber(ARGV[1])
  redis.call('set', KEYS[1], last)
end
return last
"""


def gather_wait(entries: int) -> float:
    """How long a reader that has just read a batch of ``entries`` waits before it reads
    the log again.

    While the log is busy, each node pays a send per recipient for every batch it reads,
    however small, and a reader that reads again at once gets a small one: the entries
    appended while it waits join the next batch instead, so the busier the log, the
    more each send carries. A quiet log is read again at once, so a message now and
    then costs no latency."""
    return GATHER_SECONDS if entries >= BUSY_BATCH else 0.0


def _entry(entry_id: object) -> tuple[int, int]:
    milliseconds, _, sequence = text(entry_id).partition("-")
    return int(milliseconds), int(sequence or 0)


class RedisUnavailable(ClusterError):
    """Redis could not be reached, or did not answer in time."""


def connect(url: str, password: str = "", *, timeout: float = REDIS_TIMEOUT_SECONDS) -> redis.Redis:
    """A client for ``url`` (``redis://`` or ``rediss://``), with ``password`` unless the
    URL has one. Raises :class:`RedisUnavailable` if Redis does not answer PING."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if password and "@" not in url:
        options["password"] = password
    client = redis.Redis.from_url(url, **options)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise RedisUnavailable(
            f"cannot reach the cluster's Redis at {safe_url(url)}: {exc}"
        ) from exc
    return client


def _fresh(connection: Any) -> None:
    """Make ``connection`` connect again if the server closed it meanwhile (or it holds a
    reply nobody read): what redis-py's pool checks of each connection it hands out,
    for a connection kept out of the pool. A closed one connects again when next used."""
    try:
        if connection.can_read():
            connection.disconnect()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        connection.disconnect()


def text(value: object) -> str:
    """A reply's bytes (or text, for a client made to decode) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def safe_url(url: str) -> str:
    """``url`` without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + sep + rest


class Keys:
    """The names of the cluster's keys, under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.log = prefix + "log"
        self.nodes = prefix + "nodes"
        self.joining = prefix + "joining"
        self.numbers = prefix + "clients"
        self.cloak = prefix + "cloak"
        self._prefix = prefix

    def node(self, node: str) -> str:
        return f"{self._prefix}node:{node}"

    def lost(self, node: str) -> str:
        return f"{self._prefix}lost:{node}"

    def mark(self, node: str) -> str:
        return f"{self._prefix}mark:{node}"

    def snapshot(self, entry_id: str) -> str:
        return f"{self._prefix}snapshot:{entry_id}"

    def history(self, entry_id: str) -> str:
        return f"{self._prefix}history:{entry_id}"

    def snapshot_lock(self, entry_id: str) -> str:
        return f"{self._prefix}snapshot-lock:{entry_id}"


class Link:
    """This node's Redis connections and threads (see the module docstring)."""

    def __init__(
        self,
        url: str,
        node: str,
        *,
        password: str = "",
        prefix: str = "chinwag:",
        log_maxlen: int = LOG_MAXLEN,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        node_ttl_seconds: float = NODE_TTL_SECONDS,
    ) -> None:
        self.url = url
        self.node = node
        self.keys = Keys(prefix)
        self.commands = connect(url, password)
        # The appender's and the reader's connections, each its own (XREAD blocks for up
        # to a second at a time), used directly: no pool, no reply callbacks.
        # (redis-py's connection classes are untyped.)
        self._appends: Any = self.commands.connection_pool.make_connection()
        self._writing = threading.Lock()  # held by the one thread writing to the log
        # Set when Redis is lost: the appender's connection may have lain idle while
        # Redis went away and came back, closed by the Redis that went; it is looked at
        # before it is written to again (see _fresh).
        self._appends_suspect = False
        self._reads = connect(url, password, timeout=READ_BLOCK_MS / 1000 + REDIS_TIMEOUT_SECONDS)
        self._read_connection: Any = self._reads.connection_pool.make_connection()
        self._log_key = self.keys.log.encode()
        self.log_maxlen = log_maxlen  # packs the appender's XADD head (see the setter)
        self._heartbeat_seconds = heartbeat_seconds
        self._node_ttl_ms = int(node_ttl_seconds * 1000)
        self.backlog = Backlog()
        self.numbers = MemberNumbers(self.next_block)
        self.numbers_floor: Callable[[], int] = lambda: 0  # the highest number in use
        self.read_from = "0-0"  # the id after which the reader reads
        self.on_entries: Callable[[Entries], None] = lambda entries: None
        self.on_lost: Callable[[str], None] = lambda node: None
        self.on_degraded: Callable[[bool], None] = lambda degraded: None
        self.on_expired: Callable[[list[int]], None] = lambda sequences: None
        self.on_gap: Callable[[str], None] = lambda why: None  # TRIMMED or DATA_LOST
        self._suspect = False  # check the log before reading on (see check_log)
        self._shared: dict[str, bytes] = {}  # the cluster's values this node knows
        self.known_nodes: Callable[[], Iterable[str]] = lambda: ()
        self._down_since: float | None = None  # when Redis was lost, if it is
        self._missing: dict[str, float] = {}  # node -> when its key was first seen missing
        self._down_lock = threading.Lock()
        self._appender = Worker("chinwag-cluster-append", self._append_round, log.problem)
        self._reader = Worker("chinwag-cluster-read", self._read_round, log.problem)
        self._heartbeat = Worker("chinwag-cluster-heartbeat", self._heartbeat_round, log.problem)
        self._numberer = Worker("chinwag-cluster-numbers", self._numbers_round, log.problem)

    # --- life ------------------------------------------------------------------------------

    @property
    def log_maxlen(self) -> int:
        """How many entries the log keeps (``XADD ... MAXLEN ~``)."""
        return self._log_maxlen

    @log_maxlen.setter
    def log_maxlen(self, entries: int) -> None:
        self._log_maxlen = entries
        fields = (ops.NODE, ops.SEQUENCE, ops.OPERATION)
        self._xadd = wire.Appends(self._log_key, entries, self.node.encode(), fields)

    def start(self) -> None:
        self.commands.set(self.keys.mark(self.node), b"1", px=MARK_LIFE_MS)
        self.beat()
        self.numbers.refill()  # the first newcomers need not wait for the numberer
        self._appender.start()
        self._reader.start()
        self._heartbeat.start()
        self._numberer.start()

    def stop(self) -> None:
        """Stop the threads (what is queued is written first, if Redis answers) and say
        this node is gone."""
        self._heartbeat.stop()
        self._numberer.stop(self.numbers.wanted.set)
        self._appender.stop(self.backlog.wake, timeout=5)
        # Shutting the reader's socket down wakes it from XREAD's wait.
        self._reader.stop(self._read_connection.disconnect, timeout=READ_BLOCK_MS / 1000 + 5)
        with self._writing:  # a caller may be writing still
            self._appends.disconnect()
        try:
            self.commands.delete(self.keys.node(self.node), self.keys.mark(self.node))
            self.commands.srem(self.keys.nodes, self.node)
        except redis.RedisError:
            pass  # its key expires by itself
        self.commands.close()
        self._reads.close()

    def beat(self) -> None:
        """Say this node is alive, for :data:`NODE_TTL_SECONDS`."""
        pipe = self.commands.pipeline(transaction=False)
        pipe.set(self.keys.node(self.node), str(os.getpid()), px=self._node_ttl_ms)
        pipe.set(self.keys.mark(self.node), b"1", xx=True, px=MARK_LIFE_MS)
        pipe.sadd(self.keys.nodes, self.node)
        pipe.execute()

    def live_nodes(self) -> list[str]:
        """The other nodes whose key has not expired."""
        listed = {text(node) for node in self.commands.smembers(self.keys.nodes)}
        others = sorted(listed - {self.node})
        if not others:
            return []
        alive = self.commands.exists  # one round trip per node: joins are rare
        return [node for node in others if alive(self.keys.node(node))]

    # --- numbers -------------------------------------------------------------------------------

    def next_number(self) -> int | None:
        """A member number no other node hands out, or ``None`` if none is at hand now
        (never waits for Redis: see :mod:`chinwag.cluster.numbers`)."""
        return self.numbers.take()

    def next_block(self, count: int) -> int:
        """Take ``count`` numbers from the cluster's counter; the last of them."""
        key, floor = self.keys.numbers, max(self.numbers_floor(), self.numbers.highest)
        return int(self.commands.eval(_NEXT_BLOCK, 1, key, count, floor))

    def _numbers_round(self) -> bool:
        while not self.numbers.wanted.wait(1.0):
            if self._numberer.stopping.is_set():
                return False
        if self._numberer.stopping.is_set():
            return False
        try:
            self.numbers.refill()
        except redis.RedisError:  # the other threads tell the node; try again shortly
            self._numberer.stopping.wait(BACKOFF_SECONDS[1])
        return True

    def shared_secret(self, key: str, make: Callable[[], bytes]) -> bytes:
        """The cluster's value of ``key``: the first node's ``make()``, kept."""
        self.commands.set(key, make(), nx=True)
        value = self.commands.get(key)
        assert isinstance(value, bytes)
        self._shared[key] = value  # put back if Redis loses its data
        return value

    # --- the writer and the appender -----------------------------------------------------------

    def append(self, operation: ops.Operation, *, message: bool = False) -> int | None:
        """Queue ``operation`` for the log (:meth:`send` writes it); its sequence number
        (see the reader), or ``None`` for a ``message`` said while cut off past the
        backlog's bound."""
        return self.backlog.put(ops.encode(operation), droppable=message)

    def send(self) -> None:
        """Write what is queued, in this thread, unless another thread is writing (it
        writes this too) or Redis is lost (the appender retries). Never call it holding
        a lock the node's callbacks take (``on_degraded``)."""
        if self.degraded:
            self.backlog.wake()
            return
        while len(self.backlog) and self._writing.acquire(blocking=False):
            try:
                failed = self._write_queued(APPEND_BATCH)
            finally:
                self._writing.release()
            if failed is not None:
                self._lost(failed)
                self.backlog.wake()  # the appender retries, with backoff
                return
            # Looked at again after letting go: a caller that queued meanwhile found the
            # lock taken and left its operation to this writer.

    def send_later(self) -> None:
        """Have the appender write what is queued: for a caller that does not wait for
        its entry, so that what several such callers queue meanwhile goes in one write
        (and reaches the readers as one batch), whichever thread queued it."""
        self.backlog.wake()

    def _write_queued(self, most: int) -> redis.RedisError | None:
        """Write the oldest ``most`` operations queued (under the write lock); the error,
        if Redis failed (they stay queued, to be written again whole)."""
        batch = self.backlog.batch(most)
        if not batch:
            return None
        try:
            self._write(batch)
        except redis.RedisError as exc:
            return exc
        self._recovered()
        self.backlog.written(len(batch))
        return None

    def pending(self) -> int:
        """How many operations wait to be written to the log."""
        return len(self.backlog)

    def _append_round(self) -> bool:
        stopping = self._appender.stopping
        while not self.backlog.wait(1.0):
            if stopping.is_set():
                return False
        pause = BACKOFF_SECONDS[0]
        while True:
            expired = self.backlog.expire()
            if expired:
                self.on_expired(expired)
            # While Redis is lost, try with the oldest alone: the rest stays untried, so
            # the backlog can tell for sure what never reached Redis (see its bounds).
            with self._writing:
                most = 1 if self.degraded else APPEND_BATCH
                failed = self._write_queued(most)
                if failed is None and not len(self.backlog):
                    return True
            if failed is None:
                pause = BACKOFF_SECONDS[0]
                continue  # Redis answers: on with the rest, whole batches again
            self._lost(failed)
            if stopping.wait(pause):
                return False
            pause = min(pause * 2, BACKOFF_SECONDS[1])

    def _write(self, batch: list[tuple[int, bytes]]) -> None:
        """One ``XADD`` per operation, sent in one write; every reply is read (so the
        connection stays in step) before the first error, if any, is raised.

        More than one is a transaction (``MULTI`` ... ``EXEC``): Redis serves the readers
        blocked on the log after each command, so a bare pipeline would wake every node
        for its first entry alone, and each would then read the rest in a second batch
        (and send its first entry to its users in a round of its own); as one command,
        the batch reaches every reader as one batch. All or nothing, too: a connection
        lost before ``EXEC`` leaves none of it in the log."""
        connection = self._appends
        if self._appends_suspect:
            self._appends_suspect = False
            _fresh(connection)
        command = self._xadd.command
        commands = b"".join(command(seq, data) for seq, data in batch)
        if len(batch) == 1:
            connection.send_packed_command([commands])
            connection.read_response()
            return
        connection.send_packed_command([wire.MULTI + commands + wire.EXEC])
        failed: redis.ResponseError | None = None
        for _ in range(len(batch) + 1):  # MULTI's OK, then each XADD's QUEUED
            try:
                connection.read_response()
            except redis.ResponseError as exc:  # refused when queued: EXEC aborts
                failed = failed or exc
        try:
            replies = connection.read_response()  # each XADD's reply, or its error
        except redis.ResponseError as exc:
            failed = failed or exc
        else:
            errors = (reply for reply in replies if isinstance(reply, redis.ResponseError))
            failed = failed or next(errors, None)
        if failed is not None:
            raise failed

    # --- the reader ----------------------------------------------------------------------------

    def _read_round(self) -> bool:
        if self._reader.stopping.is_set():
            return False
        connection = self._read_connection
        try:
            if self._suspect:
                self.check_log()
            command = wire.xread(self._log_key, self.read_from, READ_COUNT, READ_BLOCK_MS)
            connection.send_packed_command([command])
            entries = wire.entries(connection.read_response())
        except Exception as exc:
            if self._reader.stopping.is_set():
                return False  # woken by stop(), which shut its socket down mid-read
            if not isinstance(exc, redis.RedisError):
                raise
            self._lost(exc)
            self._reader.stopping.wait(BACKOFF_SECONDS[1])
            return True
        if entries:
            self.read_from = entries[-1][0]
            self._suspect = self._suspect or len(entries) >= READ_COUNT  # behind: trimmed?
            self.on_entries(entries)
            wait = gather_wait(len(entries))
            if wait:
                self._reader.stopping.wait(wait)
        return True

    def check_log(self) -> None:
        """Whether entries this node has not read are gone; if so, tell the node."""
        pipe = self._reads.pipeline(transaction=False)
        pipe.exists(self.keys.mark(self.node))
        pipe.xinfo_stream(self.keys.log)
        marked, info = pipe.execute(raise_on_error=False)
        if isinstance(marked, Exception):
            raise marked
        self._suspect = False
        last = info.get("last-generated-id") if isinstance(info, dict) else None
        # A Redis restarted empty has lost the mark; one restarted from an older save has
        # it, but a log that ends before what this node read.
        if not marked or (last is not None and _entry(last) < _entry(self.read_from)):
            log.event(
                f"cluster: the Redis at {safe_url(self.url)} lost its data; entries node"
                f" {self.node} had not read yet are gone"
            )
            pipe = self.commands.pipeline(transaction=False)
            pipe.set(self.keys.mark(self.node), b"1", px=MARK_LIFE_MS)
            for key, value in self._shared.items():
                pipe.set(key, value, nx=True)
            # The counter never below a number this node has at hand (not in use yet).
            floor = max(self.numbers_floor(), self.numbers.highest)
            pipe.eval(_NEXT_BLOCK, 1, self.keys.numbers, 0, floor)
            pipe.execute()
            self.on_gap(DATA_LOST)
            return
        first = info.get("first-entry") if isinstance(info, dict) else None
        # Entries leave the log only by trimming, oldest first: if its first one now is
        # past this node's place, what came after that place is gone (unless the first
        # is exactly the next, which a reader a whole log behind cannot tell: it takes
        # the state again all the same).
        if first and _entry(first[0]) > _entry(self.read_from):
            log.event(
                f"cluster: the log was trimmed past what node {self.node} had read"
                f" (up to {self.read_from}; the log now starts at {text(first[0])})"
            )
            self.on_gap(TRIMMED)

    # --- the heartbeat -------------------------------------------------------------------------

    def _heartbeat_round(self) -> bool:
        if self._heartbeat.stopping.wait(self._heartbeat_seconds):
            return False
        try:
            self.beat()
        except redis.RedisError as exc:
            self._lost(exc)
            return True
        self._recovered()
        try:
            self._find_lost()
        except redis.RedisError as exc:
            self._lost(exc)
        return True

    def _find_lost(self) -> None:
        """Ask for the departure of every node whose key expired (once per cluster)."""
        listed = {text(node) for node in self.commands.smembers(self.keys.nodes)}
        candidates = sorted((listed | set(self.known_nodes())) - {self.node})
        if not candidates:
            return
        pipe = self.commands.pipeline(transaction=False)
        for node in candidates:
            pipe.exists(self.keys.node(node))
        now = time.monotonic()
        for node, alive in zip(candidates, pipe.execute(), strict=True):
            if alive:
                self._missing.pop(node, None)
                continue
            if now - self._missing.setdefault(node, now) < MISSING_GRACE_SECONDS:
                continue
            del self._missing[node]
            won = self.commands.set(
                self.keys.lost(node), self.node, nx=True, px=int(LOST_LOCK_SECONDS * 1000)
            )
            self.commands.srem(self.keys.nodes, node)
            if won:
                log.event(f"cluster: node {node} is lost; announcing its users' departure")
                self.on_lost(node)

    # --- Redis lost and found ------------------------------------------------------------------

    def _lost(self, exc: Exception) -> None:
        with self._down_lock:
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
            self._suspect = True
            self._appends_suspect = True
            log.event(f"cluster: lost the Redis at {safe_url(self.url)} ({exc}); retrying")
            # Under the lock, so that the node hears of each change once and in order.
            self.on_degraded(True)

    def _recovered(self) -> None:
        if self._down_since is None:
            return  # the usual case, after every write: no lock taken
        with self._down_lock:
            if self._down_since is None:
                return
            down_for = time.monotonic() - self._down_since
            self._down_since = None
            log.event(f"cluster: Redis at {safe_url(self.url)} is back after {down_for:.1f}s")
            self.on_degraded(False)

    @property
    def degraded(self) -> bool:
        return self._down_since is not None
