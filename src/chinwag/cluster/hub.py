"""The cluster's hub: the hub contract, kept by writing to the log and reading it back.

Theory of operation (the design is in :mod:`chinwag.cluster`): a method that changes
anything encodes itself as an operation, queues it on the node's
:class:`~chinwag.cluster.link.Link` and waits (at most :data:`WAIT_SECONDS`) until the
node's reader has applied it to the replica; it returns what applying it returned, or
raises what it raised, so a caller cannot tell this hub from the in-process one. Queries
read the replica directly. The reader thread applies every entry in the log's order
(:meth:`ClusterHub.apply_entries`); the deliveries of entries no caller here waits for
(other nodes' entries, and those whose caller gave up waiting) go to ``deliver``, the
server's sender, and its callers are woken only after that, batch by batch. A message
whose caller needs no reply (``reply=False``) and that the replica accepts now is
queued without waiting (:meth:`ClusterHub._message`, at most :data:`IN_FLIGHT` per
connection); its deliveries are dispatched as another node's are, and a refusal found
only when it is applied goes to its sender as a
:class:`~chinwag.hub.events.Problem`, as for any message whose caller no longer waits.

An entry a node wrote twice (a batch written again after Redis failed mid-way) is
dropped by its writer's sequence number; one the reader has seen is dropped by its id.
A node writes its own entries in order, so once it reads one, what it still waits for
among its earlier ones will never come (trimmed, lost with Redis's data, or before the
place it took the state again at): those callers are told so at once, and messages said
while cut off are forgotten (:meth:`ClusterHub.waiting` counts what is waited for).

Cut off from Redis (the link says so, ``on_degraded``), the node goes on alone for its
own users, as the package docstring explains: a message (``MESSAGE_KINDS``) is
applied here at once and queued as a *message* of the backlog; when
its entry comes back through the log this node skips it (it is marked ``early``), so
its users see it once. Anything else is refused while cut off, except a departure,
which is queued without waiting. Each of this node's users is told once when the node
is cut off and once when it is back.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis

from chinwag import log
from chinwag.cluster import ClusterError, ops, snapshot
from chinwag.cluster.link import DATA_LOST, Entries, Link, safe_url, text
from chinwag.cluster.ops import Operation
from chinwag.cluster.replica import (
    LOST_OURSELVES,
    MESSAGE_KINDS,
    NODE_LOST,
    EntryClock,
    Replica,
    entry_msgid,
    parse_id,
)
from chinwag.history.replay import Replayer
from chinwag.history.store import HistoryUnavailable, Record
from chinwag.hub import errors, modes, visibility
from chinwag.hub.bans import Ban, BanList
from chinwag.hub.events import ClientTags, Delivery, Farewell, Info, Problem, ToMembers
from chinwag.hub.hub import Hub
from chinwag.hub.model import Member, MemberView, RoomView
from chinwag.hub.whowas import Departed
from chinwag.password_guard import PasswordGuard

WAIT_SECONDS = 10.0  # a user waits this long for their action to be applied
# A connection's messages written without waiting, at most, not yet applied here: at the
# bound, its thread waits until half of them are (reading no more from its client
# meanwhile), which bounds what a node queues for the log.
IN_FLIGHT = 64
JOIN_LOCK_SECONDS = 30.0
SNAPSHOT_WAIT_SECONDS = 10.0
SNAPSHOT_KEEP_MS = 60_000
CATCH_UP_MESSAGES = 10_000  # at most this much history, the latest, is sent to a joining node
UNAVAILABLE = (
    "not done yet: this server lost touch with the rest of the chat; it will be done when"
    " they are back in touch"
)
CUT_OFF = (
    "not now: this server has lost touch with the rest of the chat; until it is back, only"
    " messages work (the people on this server hear them at once, the others later)"
)
RETRY_SECONDS = 5
DEGRADED_NOTICE = (
    "this server has lost touch with the rest of the chat: you still hear the people on"
    " this server, and what you say reaches the others when it is back; names, rooms and"
    " settings cannot change until then"
)
RECOVERED_NOTICE = "this server is back in touch with the rest of the chat"
TOO_MANY = "too many messages wait for the other servers already"
TOO_OLD = "it waited for the other servers too long"
CUT_OFF_TOO_LONG = "this server was cut off too long and counted as gone"
GAP_TRIMMED = (
    "this server fell too far behind the rest of the chat and missed part of it: what was"
    " said meanwhile elsewhere is not shown here; catching up"
)
GAP_RESYNCED = "this server has caught up with the rest of the chat"
LOST_TRACK = (
    "this server missed part of the chat and cannot tell whether that was done; look, and"
    " try again if it was not"
)
GAP_DATA_LOST = (
    "the chat's shared store lost its data: what was said elsewhere just before may not"
    " be shown here, and what you said just before may not have reached the others"
)

# Messages whose refusal reaches their sender when it was found with nobody waiting.
_TOLD = frozenset({"say", "say-status", "tell", "wall"})

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class CutOff(errors.TryAgainLater):
    """Refused: this node is cut off from Redis, and only messages work until it is back."""

    def __init__(self) -> None:
        super().__init__(CUT_OFF, RETRY_SECONDS)


class _Done:
    """A one-shot event for one waiter and one setter: a bare lock, held until set. (An
    Event is a Condition, a lock and a list of waiters' locks, made for every message.)"""

    __slots__ = ("_held", "_set")

    def __init__(self) -> None:
        self._held = threading.Lock()
        self._held.acquire()
        self._set = False

    def set(self) -> None:
        """Wake the waiter (once: a second call does nothing)."""
        if not self._set:
            self._set = True
            self._held.release()

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        return self._set or self._held.acquire(timeout=timeout)


class _Waiter:
    __slots__ = (
        "abandoned",
        "deliveries",
        "done",
        "early",
        "error",
        "in_flight",
        "mine",
        "operation",
    )

    def __init__(self, mine: dict[str, Member], operation: Operation) -> None:
        self.mine = mine
        self.operation = operation
        self.done = _Done()
        self.deliveries: list[Delivery] = []
        self.error: errors.ChatError | None = None
        self.abandoned = False
        self.early = False  # applied here already (said while cut off): skipped on return
        self.in_flight = ""  # a message nobody waits for: its sender's id (see IN_FLIGHT)


def _sender(operation: Operation) -> str:
    """The id of the member who did ``operation``."""
    member = operation["m"]
    return member if isinstance(member, str) else str(member["id"])


class ClusterHub:
    """A hub shared by every node on one Redis (see the module docstring)."""

    def __init__(self, link: Link, make_hub: Callable[[EntryClock, bytes], Hub]) -> None:
        self.link = link
        self.node = link.node
        clock = EntryClock()
        secret = link.shared_secret(link.keys.cloak, lambda: secrets.token_bytes(32))
        self.replica = Replica(make_hub(clock, secret), clock, link.node)
        self._hub = self.replica.hub
        self.history: Replayer | None = None
        self._deliver: Callable[[Sequence[Delivery]], None] = lambda deliveries: None
        # The replica is changed by one thread at a time: the reader, or (cut off) a
        # user's thread applying a message here. Taken before _lock, never after.
        self._applying = threading.Lock()
        self._lock = threading.Lock()  # guards _waiting and _degraded
        self._waiting: dict[int, _Waiter] = {}
        self._in_flight: dict[str, int] = {}  # member id -> its messages nobody waits for
        self._drained = threading.Condition(self._lock)  # a sender back under IN_FLIGHT / 2
        self._degraded = False  # cut off from Redis: see the module docstring
        self._last_sequence = self.replica.last_sequence  # writer -> last sequence applied
        self._arrived: set[str] = set()  # ids of this node's members sent to the log
        self._started = False
        link.on_entries = self.apply_entries
        link.on_lost = self._node_lost
        link.on_degraded = self._on_degraded
        link.on_expired = self._on_expired
        link.on_gap = self._on_gap
        link.known_nodes = lambda: self.replica.nodes().keys()
        link.numbers_floor = self.replica.highest_number

    def _node_lost(self, node: str) -> None:
        self._queue({"k": "node-lost", "node": node}, detached=True)

    # --- the contract's attributes ---------------------------------------------------------

    @property
    def bans(self) -> BanList:
        return self._hub.bans

    @property
    def passwords(self) -> PasswordGuard:
        return self._hub.passwords

    @property
    def max_rooms_per_member(self) -> int:
        return self._hub.max_rooms_per_member

    @property
    def max_rooms(self) -> int:
        return self._hub.max_rooms

    @property
    def most_members(self) -> int:
        return self._hub.most_members

    # --- joining and leaving the cluster ---------------------------------------------------

    def start(self, deliver: Callable[[Sequence[Delivery]], None] | None = None) -> None:
        """Join the cluster: take the state from a live node (or start it, if none is),
        then start reading the log; ``deliver`` dispatches what others' entries cause."""
        if deliver is not None:
            self._deliver = deliver
        try:
            self._join()
        except redis.RedisError as exc:
            raise ClusterError(f"cannot join the cluster: {exc}") from exc

    def _join(self) -> None:
        commands = self.link.commands
        keys = self.link.keys
        deadline = time.monotonic() + JOIN_LOCK_SECONDS
        while not commands.set(keys.joining, self.node, nx=True, px=int(JOIN_LOCK_SECONDS * 1000)):
            if time.monotonic() > deadline:
                raise ClusterError("another node has been joining the cluster for too long")
            time.sleep(0.05)
        try:
            self.link.beat()
            others = self.link.live_nodes()
            if others:
                self._take_snapshot()
            else:
                last: Any = commands.xrevrange(keys.log, count=1)
                start = text(last[0][0]) if last else "0-0"
                self.link.read_from = start
                self.replica.last_applied = parse_id(start)
            self.link.start()
            self._started = True
        finally:
            commands.eval(_RELEASE, 1, keys.joining, self.node)
        log.event(
            f"cluster: node {self.node} joined the cluster at {safe_url(self.link.url)}"
            + (
                f" with {len(others)} other node" + "s" * (len(others) != 1)
                if others
                else " as its first node"
            )
        )

    def _take_snapshot(self, keep: dict[str, Member] | None = None) -> set[str]:
        """Ask the live nodes for the state as of a ``hello`` entry; load it (``keep``:
        this node's members, whose objects stay; the ids of those the state lacks)."""
        written = self.link.backlog.written_up_to()  # all in the log before the hello
        # What this node's history lacks: after what it applied (taking the state again),
        # or after the newest it kept (joining: a node restarted on its data, or new).
        since = entry_msgid(self.replica.last_applied) if keep is not None else self._newest()
        for _attempt in range(3):
            hello = ops.encode({"k": "hello", "node": self.node, "since": since})
            fields: Any = {ops.NODE: self.node.encode(), ops.SEQUENCE: b"0", ops.OPERATION: hello}
            entry_id = text(self.link.commands.xadd(self.link.keys.log, fields))
            deadline = time.monotonic() + SNAPSHOT_WAIT_SECONDS
            while time.monotonic() < deadline:
                data = self.link.commands.get(self.link.keys.snapshot(entry_id))
                if isinstance(data, bytes):
                    with self._applying:
                        missing = snapshot.load(self.replica, data, keep)
                        self.replica.last_applied = parse_id(entry_id)
                        self.link.read_from = entry_id
                        with self._lock:  # never read here now: the state has them
                            gone = self._waiting_before(written + 1)
                    told = self._lost_track(gone)
                    if told:
                        self._deliver(told)
                    self._catch_up(entry_id)
                    return missing
                time.sleep(0.02)
        raise ClusterError("no live node sent this node the chat's state")

    def stop(self) -> None:
        """Leave the cluster: write what is queued, stop the threads."""
        if self._started:
            self.link.stop()

    # --- the log -------------------------------------------------------------------------------

    def _queue(
        self, operation: Operation, mine: dict[str, Member] | None = None, *, detached: bool = False
    ) -> _Waiter:
        """Queue ``operation``; ``detached``: nobody waits, its deliveries are dispatched."""
        waiter = _Waiter(mine or {}, operation)
        waiter.abandoned = detached
        with self._lock:
            # Registered under the lock before the entry can exist, so the reader finds it.
            sequence = self.link.append(operation)
            assert sequence is not None  # only messages are ever refused
            self._waiting[sequence] = waiter
        self.link.send()
        return waiter

    def _act(self, operation: Operation, *members: Member) -> list[Delivery]:
        """Write ``operation`` and wait until it is applied here; its result (cut off:
        a message is applied here at once, anything else refused)."""
        mine = {member.client_id: member for member in members}
        waiter = _Waiter(mine, operation)
        with self._lock:
            degraded = self._degraded
            if not degraded:
                # Registered under the lock before the entry can exist, so the reader
                # finds it; and before _degraded can change, so that a change finds it.
                sequence = self.link.append(operation)
                assert sequence is not None
                self._waiting[sequence] = waiter
        if degraded:
            if operation["k"] in MESSAGE_KINDS:
                return self._say_alone(operation, mine)
            if operation["k"] == "remove":
                # A departure is not refused: it waits for Redis, and is told then.
                self._queue(operation, mine, detached=True)
                return []
            raise CutOff
        self.link.send()  # in this thread: it waits for the entry anyway
        if not waiter.done.wait(WAIT_SECONDS):
            with self._lock:
                if not waiter.done.is_set():
                    # Applied later, when Redis is back: the reader delivers it then.
                    waiter.abandoned = True
                    raise errors.TryAgainLater(UNAVAILABLE, 5)
        if waiter.error is not None:
            raise waiter.error
        return waiter.deliveries

    def apply_entries(self, entries: Entries) -> None:
        """Apply a batch of the log's entries in order (the reader's thread)."""
        results: list[tuple[_Waiter, list[Delivery], errors.ChatError | None]] = []
        with self._applying:
            others = self._apply_entries(entries, results)
        if others:
            self._deliver(others)
        # Callers are woken only now, after what the batch's other entries caused was
        # dispatched: so a connection's messages that nobody waited for reach this node's
        # users before what its next action (one it waits for) causes.
        late = [d for result in results for d in self._settle(*result)]
        if late:
            self._deliver(late)

    def _apply_entries(
        self,
        entries: Entries,
        results: list[tuple[_Waiter, list[Delivery], errors.ChatError | None]],
    ) -> list[Delivery]:
        """Apply ``entries``; what they caused, but the results of this node's waiters,
        which go to ``results``."""
        others: list[Delivery] = []
        for entry_id, fields in entries:
            try:
                position = parse_id(entry_id)
                writer = fields[ops.NODE].decode()
                sequence = int(fields[ops.SEQUENCE])
                operation = ops.decode(fields[ops.OPERATION])
            except (KeyError, ValueError, TypeError) as exc:  # not one of ours: skipped alone
                log.event(f"cluster: skipped a malformed log entry {entry_id!r}: {exc}")
                continue
            if not self.replica.after(position):
                continue
            if not self._first_time(writer, sequence):
                continue
            waiter = None
            if writer == self.node and sequence:
                with self._lock:
                    waiter = self._pop(sequence)
                    gone = self._waiting_before(sequence)
                if gone:
                    others.extend(self._lost_track(gone))
            if waiter is not None and waiter.early:
                self.replica.last_applied = position  # applied here when it was said
                continue
            if operation["k"] == "hello":
                self.replica.last_applied = position
                if writer != self.node:
                    self._send_snapshot(entry_id, operation.get("since"))
                continue
            if operation["k"] == "node-lost" and operation["node"] == self.node:
                others.extend(self._undelivered(self._early_waiters(), CUT_OFF_TOO_LONG))
            deliveries, error = self._apply_one(entry_id, position, operation, waiter)
            if waiter is None or waiter.abandoned:  # nobody to wake: in the log's order
                others.extend(
                    deliveries if waiter is None else self._settle(waiter, deliveries, error)
                )
            else:
                results.append((waiter, deliveries, error))
        return others

    def _apply_one(
        self, entry_id: str, position: tuple[int, int], operation: Operation, waiter: _Waiter | None
    ) -> tuple[list[Delivery], errors.ChatError | None]:
        """Apply one new entry: its deliveries, or the user's error."""
        try:
            return self.replica.apply(position, operation, waiter.mine if waiter else {}), None
        except errors.ChatError as error:
            return [], error
        except Exception:  # noqa: BLE001 - one bad entry must not stop the node
            log.problem(f"cluster: cannot apply entry {entry_id} ({operation['k']})")
            return [], errors.ChatError("that could not be done")

    def _pop(self, sequence: int) -> _Waiter | None:
        """Take out the waiter of this node's entry ``sequence`` (under ``_lock``)."""
        waiter = self._waiting.pop(sequence, None)
        if waiter is not None and waiter.in_flight:
            sender = waiter.in_flight
            left = self._in_flight[sender] - 1
            if left:
                self._in_flight[sender] = left
            else:
                del self._in_flight[sender]
            if left == IN_FLIGHT // 2:
                self._drained.notify_all()
        return waiter

    def _waiting_before(self, sequence: int) -> list[_Waiter]:
        """Take out the waiters of this node's entries numbered before ``sequence``
        (under ``_lock``). This node writes its entries in order, so once one is read
        the earlier ones were read before it, or will never be: gone from the log (trimmed
        or lost with Redis's data) or before the place this node took the state at."""
        gone: list[_Waiter] = []
        waiting = self._waiting
        while waiting:
            oldest = next(iter(waiting))  # in the order numbered: see _queue and _act
            if oldest >= sequence:
                break
            popped = self._pop(oldest)
            assert popped is not None
            gone.append(popped)
        return gone

    def _lost_track(self, gone: list[_Waiter]) -> list[Delivery]:
        """Entries of this node that will never be read here: a caller still waiting is
        told now, and the sender of a message nobody waited for is told once (returned);
        a message said while cut off (heard here already) is forgotten."""
        told: list[Delivery] = []
        senders: set[str] = set()
        for waiter in gone:
            if waiter.early:
                continue
            refusal = self._settle(waiter, [], errors.ChatError(LOST_TRACK))
            if refusal and _sender(waiter.operation) not in senders:
                senders.add(_sender(waiter.operation))
                told.extend(refusal)
        return told

    def waiting(self) -> int:
        """How many of this node's entries are waited for (by a caller, or to be
        skipped when read: messages said while cut off)."""
        with self._lock:
            return len(self._waiting)

    def _first_time(self, writer: str, sequence: int) -> bool:
        """Whether this is the first copy of a node's entry (0: entries never repeated)."""
        if sequence:
            if sequence <= self._last_sequence.get(writer, 0):
                return False  # written twice
            self._last_sequence[writer] = sequence
        return True

    def _settle(
        self, waiter: _Waiter, deliveries: list[Delivery], error: errors.ChatError | None
    ) -> list[Delivery]:
        """Hand the result to its caller; if nobody waits (any more), what to dispatch:
        the deliveries, or the refusal of a message for its sender (see :meth:`_refusal`)."""
        with self._lock:
            if not waiter.abandoned:
                waiter.deliveries, waiter.error = deliveries, error
                waiter.done.set()
                return []
        return deliveries if error is None else self._refusal(waiter.operation, error)

    @staticmethod
    def _refusal(operation: Operation, error: errors.ChatError) -> list[Delivery]:
        """A message refused when its sender no longer waited: told as the sessions tell
        any hub error (a notice is never answered, and other operations' callers knew
        what to expect: a departure cannot fail, and the rest was waited for)."""
        if operation["k"] not in _TOLD or operation.get("n"):
            return []
        return [Delivery(Problem(str(error)), ToMembers((_sender(operation),)))]

    def _send_snapshot(self, entry_id: str, since: str | None) -> None:
        """A node joins: the first to win the lock sends it the state as of now, and
        what was said after ``since`` (a message id; ``""``: the latest) until now."""
        commands = self.link.commands
        keys = self.link.keys
        try:
            if commands.set(keys.snapshot_lock(entry_id), self.node, nx=True, px=SNAPSHOT_KEEP_MS):
                data = snapshot.dump(self.replica)
                pipe = commands.pipeline(transaction=False)
                if since is not None and self.history is not None:
                    records = self._said_since(since, entry_msgid(parse_id(entry_id)))
                    history = snapshot.dump_records(records)
                    pipe.set(keys.history(entry_id), history, px=SNAPSHOT_KEEP_MS)
                pipe.set(keys.snapshot(entry_id), data, px=SNAPSHOT_KEEP_MS)  # the last
                pipe.execute()
        except redis.RedisError as exc:  # the newcomer asks again; the batch goes on
            log.event(f"cluster: could not send node state as of {entry_id}: {exc}")

    # --- history a node missed ----------------------------------------------------------------

    def _newest(self) -> str:
        """The id of the newest message in this node's history (``""``: none)."""
        if self.history is None:
            return ""
        try:
            newest = self.history.history.recent(None, None, 1)
        except HistoryUnavailable:
            return ""
        return newest[0].msgid if newest else ""

    def _said_since(self, since: str, before: str) -> list[Record]:
        """What this node's history has between two message ids (the latest
        :data:`CATCH_UP_MESSAGES`), for a node that missed it."""
        assert self.history is not None
        try:
            return self.history.history.recent(since or None, before, CATCH_UP_MESSAGES)
        except HistoryUnavailable as exc:
            log.event(f"cluster: cannot send a joining node what was said: {exc}")
            return []

    def _catch_up(self, entry_id: str) -> None:
        """Keep what was said before the state taken as of ``entry_id``, as the node
        that sent the state told it, in this node's history."""
        if self.history is None:
            return
        try:
            data = self.link.commands.get(self.link.keys.history(entry_id))
            if not isinstance(data, bytes):
                return  # nothing told (a node that did not keep it)
            records = snapshot.load_records(data)
            self.history.history.add(records)
        except (redis.RedisError, HistoryUnavailable, sqlite3.Error, ValueError) as exc:
            log.problem(f"cluster: node {self.node} could not catch up with history: {exc}")
            return
        if records:
            log.event(
                f"cluster: node {self.node} caught up with {len(records)} messages said while"
                " it was away"
            )

    # --- entries gone before this node read them ----------------------------------------------

    def _on_gap(self, why: str) -> None:
        """Entries this node had not read are gone (the reader's thread): tell its users;
        if the log was trimmed, take the chat's state again from a live node."""
        here = self.replica.members_of(self.node)
        notice = GAP_DATA_LOST if why == DATA_LOST else GAP_TRIMMED
        if here:
            self._deliver([Delivery(Info((notice,)), ToMembers(here))])
        if why == DATA_LOST:
            # Every node lost the same entries, and none knows better than another: each
            # goes on from what it has. See the package docstring.
            return
        keep = {i: m for i in here if (m := self.replica.member(i)) is not None}
        try:
            missing = self._take_snapshot(keep)
        except (ClusterError, redis.RedisError) as exc:
            log.problem(f"cluster: node {self.node} could not take the chat's state again: {exc}")
            return
        log.event(f"cluster: node {self.node} took the chat's state again from a live node")
        told: list[Delivery] = [Delivery(Info((GAP_RESYNCED,)), ToMembers(here))] if here else []
        if missing:  # counted gone meanwhile: they come back by reconnecting
            farewell = Farewell(LOST_OURSELVES, NODE_LOST)
            told.append(Delivery(farewell, ToMembers(tuple(sorted(missing)))))
        if told:
            self._deliver(told)

    # --- cut off from Redis ------------------------------------------------------------------

    def _say_alone(self, operation: Operation, mine: dict[str, Member]) -> list[Delivery]:
        """A message said while cut off: heard here at once, queued for the others."""
        with self._applying:
            deliveries = self.replica.apply_local(operation, mine)  # or the user's error
            waiter = _Waiter(mine, operation)
            waiter.early = True
            with self._lock:
                # In the backlog in the order applied here, so every node sees this
                # node's messages in the order its own users did.
                sequence = self.link.append(operation, message=True)
                if sequence is not None:
                    self._waiting[sequence] = waiter
        if sequence is None:
            deliveries.extend(self._undelivered([waiter], TOO_MANY))
        else:
            self.link.send()  # cut off: the appender's, which retries
        return deliveries

    def _on_degraded(self, degraded: bool) -> None:
        """The link lost Redis, or has it back (each told once, in order)."""
        with self._applying:
            with self._lock:
                self._degraded = degraded
                self._drained.notify_all()  # cut off: a message waits no more, see _message
                stuck = (
                    []
                    if not degraded
                    else [
                        w
                        for w in self._waiting.values()
                        if w.operation["k"] in MESSAGE_KINDS and not w.early and not w.done.is_set()
                    ]
                )
                for waiter in stuck:
                    waiter.early = True
            # Messages waiting for Redis when it was found gone are heard here now (those
            # nobody waits for, dispatched from here).
            told: list[Delivery] = []
            for waiter in stuck:
                try:
                    deliveries = self.replica.apply_local(waiter.operation, waiter.mine)
                except errors.ChatError as error:
                    told.extend(self._settle(waiter, [], error))
                else:
                    told.extend(self._settle(waiter, deliveries, None))
            here = self.replica.members_of(self.node)
        notice = DEGRADED_NOTICE if degraded else RECOVERED_NOTICE
        if here:
            told.append(Delivery(Info((notice,)), ToMembers(here)))
        if told:
            self._deliver(told)
        if degraded:
            log.event(
                f"cluster: node {self.node} goes on alone: its {len(here)} users hear each"
                " other, and their messages wait for Redis"
            )
        else:
            waiting = self.link.backlog.messages()
            log.event(
                f"cluster: node {self.node} is back in the chat; {waiting} messages said"
                " meanwhile go to the other nodes"
            )

    def _on_expired(self, sequences: list[int]) -> None:
        """Messages said while cut off that waited too long: their senders are told."""
        with self._lock:
            expired = [w for w in (self._pop(s) for s in sequences) if w]
        told = self._undelivered(expired, TOO_OLD)
        if told:
            self._deliver(told)

    def _early_waiters(self) -> list[_Waiter]:
        with self._lock:
            return [waiter for waiter in self._waiting.values() if waiter.early]

    def _undelivered(self, waiters: list[_Waiter], why: str) -> list[Delivery]:
        """Tell the senders of these messages that the other servers did not get them."""
        told: list[Delivery] = []
        for waiter in waiters:
            operation = waiter.operation
            text = operation.get("text")
            if not isinstance(text, str):
                continue  # tags only (typing notifications): nothing worth telling
            where = operation.get("room") or operation.get("nick") or "everyone"
            line = f"not delivered to the other servers ({why}): to {where}: {text}"
            told.append(Delivery(Problem(line), ToMembers((_sender(operation),))))
        return told

    def _ref(self, member: Member) -> str | dict[str, Any]:
        """How an entry names ``member``: by id if every node knows it, else in full."""
        if self.replica.knows(member):
            return member.client_id
        return ops.describe(member, self.node)

    # --- arriving and leaving --------------------------------------------------------------

    def add(self, member: Member) -> list[Delivery]:
        return self._arrive({"k": "add", "m": ops.describe(member, self.node)}, member)

    def _arrive(self, operation: Operation, member: Member) -> list[Delivery]:
        self._arrived.add(member.client_id)
        try:
            return self._act(operation, member)
        except CutOff:
            self._arrived.discard(member.client_id)  # never sent: nothing to undo
            raise

    def register(
        self, member: Member, nick: str, username: str = "", realname: str = ""
    ) -> list[Delivery]:
        self._hub.check_name(member, nick)  # the usual refusals without a round trip
        operation = {
            "k": "register",
            "m": ops.describe(member, self.node),
            "nick": nick,
            "user": username,
            "real": realname,
        }
        return self._arrive(operation, member)

    def remove(self, member: Member, reason: str = "") -> list[Delivery]:
        if member.client_id not in self._arrived:
            return []  # never in the chat
        self._arrived.discard(member.client_id)
        return self._act({"k": "remove", "m": member.client_id, "reason": reason}, member)

    def close(self) -> None:
        self._hub.close()

    # --- rooms and messages ----------------------------------------------------------------

    def join(self, member: Member, room_name: str, password: str = "") -> list[Delivery]:
        op = {"k": "join", "m": self._ref(member), "room": room_name, "password": password}
        return self._act(op, member)

    def part(self, member: Member, room_name: str, reason: str = "") -> list[Delivery]:
        op = {"k": "part", "m": self._ref(member), "room": room_name, "reason": reason}
        return self._act(op, member)

    def say(
        self,
        member: Member,
        room_name: str,
        text: str,
        *,
        action: bool = False,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,
    ) -> list[Delivery]:
        op: Operation = {"k": "say", "m": self._ref(member), "room": room_name, "text": text}
        op["a"], op["n"] = action, notice
        check = self._hub.check_say
        return self._message(
            ops.with_tags(op, tags), member, lambda: check(member, room_name), reply
        )

    def say_to_status(
        self,
        member: Member,
        room_name: str,
        text: str,
        status: str,
        *,
        action: bool = False,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,
    ) -> list[Delivery]:
        op: Operation = {"k": "say-status", "m": self._ref(member), "room": room_name, "text": text}
        op["status"], op["a"], op["n"] = status, action, notice
        check = self._hub.check_say  # allowed exactly when a message to the room would be
        return self._message(
            ops.with_tags(op, tags), member, lambda: check(member, room_name), reply
        )

    def tell(
        self,
        member: Member,
        nick: str,
        text: str,
        *,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,
    ) -> list[Delivery]:
        op = {"k": "tell", "m": self._ref(member), "nick": nick, "text": text, "n": notice}
        check = self._hub.check_tell
        return self._message(ops.with_tags(op, tags), member, lambda: check(nick), reply)

    def _message(
        self, operation: Operation, member: Member, check: Callable[[], None], reply: bool
    ) -> list[Delivery]:
        """A message: written without waiting when the caller needs no reply, its
        sender is one of the replica's and the replica accepts it now (``check``); the
        reader then dispatches its deliveries, or tells the sender of a refusal found
        when it is applied. A sender with :data:`IN_FLIGHT` such messages unapplied here
        waits first until half of them are. Otherwise (cut off, too, or still at the
        bound after :data:`WAIT_SECONDS`) it is waited for as any action is: the user
        gets the replica's refusal exactly as from the in-process hub."""
        if reply or not self.replica.knows(member):
            return self._act(operation, member)
        try:
            check()
        except errors.ChatError:
            return self._act(operation, member)  # refused there too, unless that changed
        sender = member.client_id
        waiter = _Waiter({sender: member}, operation)
        waiter.abandoned = True  # nobody waits: see _settle
        waiter.in_flight = sender
        in_flight = self._in_flight
        with self._lock:
            if in_flight.get(sender, 0) >= IN_FLIGHT and not self._degraded:
                self._drained.wait_for(
                    lambda: self._degraded or in_flight.get(sender, 0) <= IN_FLIGHT // 2,
                    WAIT_SECONDS,
                )
            detached = not self._degraded and in_flight.get(sender, 0) < IN_FLIGHT
            if detached:
                # Numbered and registered under the lock, as in _act: a connection's
                # entries are numbered, and so written, in the order its thread said them.
                sequence = self.link.append(operation)
                assert sequence is not None
                self._waiting[sequence] = waiter
                in_flight[sender] = in_flight.get(sender, 0) + 1
        if not detached:
            return self._act(operation, member)
        self.link.send_later()
        return []

    def tag_room(
        self, member: Member, room_name: str, tags: ClientTags, status: str = ""
    ) -> list[Delivery]:
        op = {"k": "tag-room", "m": self._ref(member), "room": room_name, "status": status}
        return self._act(ops.with_tags(op, tags), member)

    def tag_member(self, member: Member, nick: str, tags: ClientTags) -> list[Delivery]:
        op = {"k": "tag-member", "m": self._ref(member), "nick": nick}
        return self._act(ops.with_tags(op, tags), member)

    def set_topic(self, member: Member, room_name: str, topic: str) -> list[Delivery]:
        op = {"k": "topic", "m": self._ref(member), "room": room_name, "topic": topic}
        return self._act(op, member)

    def change_modes(
        self, actor: Member, room_name: str, changes: Iterable[modes.ModeChange]
    ) -> list[Delivery]:
        encoded = ops.changes(list(changes))
        op = {"k": "modes", "m": self._ref(actor), "room": room_name, "changes": encoded}
        return self._act(op, actor)

    def kick_from(
        self, actor: Member, room_name: str, nick: str, reason: str = ""
    ) -> list[Delivery]:
        op: Operation = {"k": "kick-from", "m": self._ref(actor), "room": room_name}
        op["nick"], op["reason"] = nick, reason
        return self._act(op, actor)

    def invite(self, actor: Member, nick: str, room_name: str) -> list[Delivery]:
        op = {"k": "invite", "m": self._ref(actor), "nick": nick, "room": room_name}
        return self._act(op, actor)

    # --- the member's own settings and name ------------------------------------------------

    def set_away(self, member: Member, message: str) -> list[Delivery]:
        return self._act({"k": "away", "m": self._ref(member), "message": message}, member)

    def set_invisible(self, member: Member, invisible: bool) -> list[Delivery]:
        return self._act({"k": "invisible", "m": self._ref(member), "on": invisible}, member)

    def set_bot(self, member: Member, bot: bool) -> list[Delivery]:
        return self._act({"k": "bot", "m": self._ref(member), "on": bot}, member)

    def set_realname(self, member: Member, realname: str) -> list[Delivery]:
        return self._act({"k": "realname", "m": self._ref(member), "realname": realname}, member)

    def rename(self, member: Member, nick: str) -> list[Delivery]:
        self._hub.check_name(member, nick, taken=False)  # malformed or reserved: no round trip
        return self._act({"k": "rename", "m": self._ref(member), "nick": nick}, member)

    def check_name(self, member: Member, nick: str, *, taken: bool = True) -> None:
        self._hub.check_name(member, nick, taken=taken)

    # --- queries ---------------------------------------------------------------------------

    def find(self, nick: str) -> Member | None:
        return self._hub.find(nick)

    def members(self) -> tuple[Member, ...]:
        return self._hub.members()

    def room(self, room_name: str, *, members: bool = True) -> RoomView:
        return self._hub.room(room_name, members=members)

    def needs_key(self, room_name: str) -> bool:
        return self._hub.needs_key(room_name)

    def room_views(self, viewer: Member) -> list[RoomView]:
        return self._hub.room_views(viewer)

    def whois(self, viewer: Member, nick: str) -> MemberView:
        return self._hub.whois(viewer, nick)

    def whowas(self, viewer: Member, nick: str, count: int = 0) -> list[tuple[Departed, str]]:
        return self._hub.whowas(viewer, nick, count)

    def who(self, viewer: Member, room_name: str) -> tuple[visibility.Seen, ...]:
        return self._hub.who(viewer, room_name)

    def who_all(self, viewer: Member) -> tuple[visibility.Seen, ...]:
        return self._hub.who_all(viewer)

    def shown_host(self, viewer: Member, member: Member) -> str:
        return self._hub.shown_host(viewer, member)

    def cloak(self, address: str) -> str:
        return self._hub.cloak(address)

    def room_members(self, room_name: str) -> tuple[Member, ...]:
        return self._hub.room_members(room_name)

    def rooms(self) -> list[tuple[str, int]]:
        return self._hub.rooms()

    def nodes(self) -> dict[str, int]:
        """Every node with members, and how many (this node's own included)."""
        return self.replica.nodes()

    # --- server operators ------------------------------------------------------------------

    def authenticate_operator(self, member: Member, password: str) -> list[Delivery]:
        self._hub.check_operator_password(member, password)  # here: the password stays here
        return self._act({"k": "oper", "m": self._ref(member)}, member)

    def drop_operator(self, member: Member) -> list[Delivery]:
        return self._act({"k": "deoper", "m": self._ref(member)}, member)

    def kick(self, actor: Member, nick: str, reason: str = "") -> list[Delivery]:
        op = {"k": "kick", "m": self._ref(actor), "nick": nick, "reason": reason}
        return self._act(op, actor)

    def ban(self, actor: Member, target: str, minutes: float | None = None) -> list[Delivery]:
        op = {"k": "ban", "m": self._ref(actor), "target": target, "minutes": minutes}
        return self._act(op, actor)

    def unban(self, actor: Member, target: str) -> list[Delivery]:
        return self._act({"k": "unban", "m": self._ref(actor), "target": target}, actor)

    def ban_list(self, actor: Member) -> list[Ban]:
        return self._hub.ban_list(actor)

    def wall(self, actor: Member, text: str) -> list[Delivery]:
        return self._act({"k": "wall", "m": self._ref(actor), "text": text}, actor)
