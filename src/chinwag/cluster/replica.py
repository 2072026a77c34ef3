"""One node's copy of the chat: the log's entries applied, in order, to an in-process hub.

Theory of operation: :class:`Replica` owns an ordinary :class:`~chinwag.hub.hub.Hub` and is
the only thing that changes it, from one thread (the node's reader), one entry at a
time. Applying is deterministic, so every node's hub goes through the same states: the
hub's clock is the time of the entry being applied and each message's id is made from
the entry id (:class:`EntryClock`), and members are found by id, the same on every node.
The members of this node are the caller's own objects (``mine``), so that the session
holding one sees it change; other nodes' members are made from their description
(:func:`~chinwag.cluster.ops.member_from`) when they arrive.

Applying returns the deliveries, or raises the user's
:class:`~chinwag.hub.errors.ChatError`, exactly as the hub method would: the node that
wrote the entry hands either to its waiting caller, the others dispatch the deliveries
(or drop the error, which their caller's node reports).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chinwag.cluster import ops
from chinwag.cluster.ops import Operation
from chinwag.history import ids
from chinwag.history.ids import MessageIds
from chinwag.hub.events import Delivery, Farewell, ToMembers
from chinwag.hub.hub import Hub
from chinwag.hub.model import Member

# Operations that change nothing in the chat, only tell someone something: a node cut off
# from Redis applies them at once for its own users (:meth:`Replica.apply_local`).
MESSAGE_KINDS = frozenset({"say", "say-status", "tell", "tag-room", "tag-member", "wall"})
# A message applied that way has an id of its own: its entry's is not known yet. This bit
# of the id's low part, never set in an entry's sequence number, keeps the two apart.
_LOCAL_BIT = 1 << 79

NODE_LOST = "node lost"
LOST_OURSELVES = "this server lost touch with the chat; reconnect"


def parse_id(entry_id: str) -> tuple[int, int]:
    """A stream entry id ``"ms-seq"`` as numbers (they compare as the ids do)."""
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def entry_msgid(entry_id: tuple[int, int]) -> str:
    """The id of a message made by applying the entry with this id (see EntryClock)."""
    milliseconds, sequence = entry_id
    return ids.encode(milliseconds << 80 | sequence)


class EntryClock(MessageIds):
    """The hub's clock and id source while an entry is applied: the entry's time, and an
    id made from the entry id (the milliseconds lead, as in every message id, so the id
    sorts by time; the entry's sequence number follows), the same on every node."""

    def __init__(self) -> None:
        super().__init__()
        self._milliseconds = 0
        self._sequence = 0
        self._local = 0  # messages applied here ahead of the log (see MESSAGE_KINDS)

    def at(self, entry_id: tuple[int, int]) -> None:
        self._milliseconds, self._sequence = entry_id

    def at_local(self, milliseconds: int) -> None:
        """The time now, and an id no entry has (a message applied ahead of the log)."""
        self._local += 1
        self._milliseconds, self._sequence = milliseconds, _LOCAL_BIT | self._local

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._milliseconds / 1000)

    def next_value(self) -> int:
        return self._milliseconds << 80 | self._sequence

    def at_time(self, when: datetime) -> int:
        """The entry's id: ``when`` is the entry's time (:meth:`now`), which leads it."""
        return self.next_value()


class Replica:
    """The hub, and what the log says of its members: who they are, on which node."""

    def __init__(self, hub: Hub, clock: EntryClock, node: str) -> None:
        self.hub = hub
        self.node = node  # this node's id
        self._clock = clock
        self._by_id: dict[str, Member] = {}
        self._node_of: dict[str, str] = {}  # member id -> the node it is connected to
        self.last_applied = (0, 0)  # the id of the last entry applied
        # Each writer node's last sequence number applied: the filter of entries a node
        # wrote twice (a batch written again after Redis failed mid-way), part of the
        # state a joining node takes, so that it drops a second copy written after the
        # place it took the state at.
        self.last_sequence: dict[str, int] = {}

    def knows(self, member: Member) -> bool:
        return self._by_id.get(member.client_id) is member

    def node_of(self, member_id: str) -> str:
        return self._node_of.get(member_id, "")

    def adopt(self, member: Member, node: str) -> None:
        """Know ``member`` as connected to ``node`` (a snapshot being loaded)."""
        self._by_id[member.client_id] = member
        self._node_of[member.client_id] = node

    def forget_all(self) -> None:
        """Know no member (the state is about to be loaded again)."""
        self._by_id.clear()
        self._node_of.clear()

    def member(self, member_id: str) -> Member | None:
        return self._by_id.get(member_id)

    def highest_number(self) -> int:
        """The highest ``N`` of the ``Client-N`` ids in use (0: none)."""
        return max(
            (int(i[7:]) for i in list(self._by_id) if i.startswith("Client-") and i[7:].isdigit()),
            default=0,
        )

    def nodes(self) -> dict[str, int]:
        """Every node with members, and how many."""
        counts: dict[str, int] = {}
        for node in self._node_of.values():
            counts[node] = counts.get(node, 0) + 1
        return counts

    def members_of(self, node: str) -> tuple[str, ...]:
        """The ids of the members connected to ``node``."""
        return tuple(i for i, where in list(self._node_of.items()) if where == node)

    def after(self, entry_id: tuple[int, int]) -> bool:
        """Whether an entry with this id is new here (the duplicate filter)."""
        return entry_id > self.last_applied

    def apply(
        self, entry_id: tuple[int, int], operation: Operation, mine: Mapping[str, Member]
    ) -> list[Delivery]:
        """Apply one entry (new: see :meth:`after`); ``mine``: the members of this node
        that it names, by id. Raises what the hub raises."""
        self.last_applied = entry_id
        self._clock.at(entry_id)
        kind = operation["k"]
        if kind == "node-lost":
            return self._node_lost(str(operation["node"]))
        if kind in ("add", "register"):
            return self._arrive(operation, mine)
        member = self._member(operation["m"], mine)
        if kind == "remove":
            deliveries = self.hub.remove(member, operation["reason"])
            if self._by_id.get(member.client_id) is member:
                del self._by_id[member.client_id]
                self._node_of.pop(member.client_id, None)
            return deliveries
        if member.client_id not in mine:
            member.last_active = time.monotonic()  # idle times of others, roughly
        return self._act(kind, member, operation)

    def apply_local(self, operation: Operation, mine: Mapping[str, Member]) -> list[Delivery]:
        """Apply a message (of :data:`MESSAGE_KINDS`) ahead of the log, at the time now
        and with an id of its own, for this node's users; it changes nothing, so this
        node's state stays the log's (the entry is skipped here when it comes back)."""
        kind = operation["k"]
        if kind not in MESSAGE_KINDS:
            raise ValueError(f"only messages are applied ahead of the log, not {kind!r}")
        self._clock.at_local(int(time.time() * 1000))
        return self._act(kind, self._member(operation["m"], mine), operation)

    def _act(self, kind: str, member: Member, op: Operation) -> list[Delivery]:  # noqa: PLR0911, PLR0912 - one case per operation
        hub = self.hub
        match kind:
            case "join":
                return hub.join(member, op["room"], op["password"])
            case "part":
                return hub.part(member, op["room"], op["reason"])
            case "say":
                text, tags = op["text"], ops.tags(op)
                return hub.say(member, op["room"], text, action=op["a"], notice=op["n"], tags=tags)
            case "say-status":
                room, text, status = op["room"], op["text"], op["status"]
                action, notice, tags = op["a"], op["n"], ops.tags(op)
                return hub.say_to_status(
                    member, room, text, status, action=action, notice=notice, tags=tags
                )
            case "tell":
                return hub.tell(member, op["nick"], op["text"], notice=op["n"], tags=ops.tags(op))
            case "tag-room":
                return hub.tag_room(member, op["room"], ops.tags(op), op["status"])
            case "tag-member":
                return hub.tag_member(member, op["nick"], ops.tags(op))
            case "topic":
                return hub.set_topic(member, op["room"], op["topic"])
            case "modes":
                return hub.change_modes(member, op["room"], ops.mode_changes(op["changes"]))
            case "kick-from":
                return hub.kick_from(member, op["room"], op["nick"], op["reason"])
            case "invite":
                return hub.invite(member, op["nick"], op["room"])
            case "away":
                return hub.set_away(member, op["message"])
            case "invisible":
                return hub.set_invisible(member, op["on"])
            case "bot":
                return hub.set_bot(member, op["on"])
            case "realname":
                return hub.set_realname(member, op["realname"])
            case "rename":
                return hub.rename(member, op["nick"])
            case "oper":
                return hub.make_operator(member)
            case "deoper":
                return hub.drop_operator(member)
            case "kick":
                return hub.kick(member, op["nick"], op["reason"])
            case "ban":
                return hub.ban(member, op["target"], op["minutes"])
            case "unban":
                return hub.unban(member, op["target"])
            case "wall":
                return hub.wall(member, op["text"])
        raise ValueError(f"unknown operation {kind!r}")

    def _arrive(self, op: Operation, mine: Mapping[str, Member]) -> list[Delivery]:
        description = op["m"]
        member = mine.get(description["id"]) or ops.member_from(description)
        if op["k"] == "add":
            deliveries = self.hub.add(member)
        else:
            deliveries = self.hub.register(member, op["nick"], op["user"], op["real"])
        self._by_id[member.client_id] = member
        self._node_of[member.client_id] = description["node"]
        return deliveries

    def _member(self, reference: str | dict[str, Any], mine: Mapping[str, Member]) -> Member:
        """The member an entry names: this node's own object, the replica's, or (for one
        in no hub, like a server console) one made from its description."""
        if isinstance(reference, str):
            found = mine.get(reference) or self._by_id.get(reference)
            return found if found is not None else Member(reference, "")
        found = mine.get(reference["id"]) or self._by_id.get(reference["id"])
        return found if found is not None else ops.member_from(reference)

    def _node_lost(self, node: str) -> list[Delivery]:
        """Everyone connected to ``node`` leaves; if that is this node, its connections
        are closed first (their users reconnect, as new members)."""
        lost = [self._by_id[i] for i, where in list(self._node_of.items()) if where == node]
        deliveries: list[Delivery] = []
        if node == self.node and lost:
            farewell = Farewell(LOST_OURSELVES, NODE_LOST)
            deliveries.append(Delivery(farewell, ToMembers(tuple(m.client_id for m in lost))))
        for member in lost:
            deliveries.extend(self.hub.remove(member, NODE_LOST))
            del self._by_id[member.client_id]
            del self._node_of[member.client_id]
        return deliveries
