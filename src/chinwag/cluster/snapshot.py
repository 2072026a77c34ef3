"""A replica's state as bytes, for a node that joins a cluster already running.

Theory of operation: a live node writes its replica (:func:`dump`) from its reader
thread right after applying the newcomer's ``hello`` entry, so the snapshot is the state
at that place in the log; the newcomer loads it into its empty replica (:func:`load`)
and applies the log from that entry on. What is written is what the log's entries
change: members (their node, names, flags, rooms), rooms (members in order, settings,
privileges, invitations), which member holds each look of a name, rooms' kept
settings, and each writer node's last sequence number applied (so that the newcomer
drops a batch half written before that place and written again after it, as the others
do). The hub's own past (WHOWAS) is not: a newcomer's starts empty.

A node that missed part of the log (trimmed before it could read it) takes the state
again the same way, into the replica it has: :func:`load` then keeps the objects of its
own members (their sessions hold them), updated from the snapshot, and says which of
them the snapshot does not have (the others counted them gone meanwhile).

What was said before that place travels beside the state, for the newcomer's history
(:func:`dump_records`, :func:`load_records`): each node keeps its own history of what it
applied, so a node that was down, or starts later, lacks what was said meanwhile.

It reads and fills the hub's tables directly, under the hub's lock: this module and
the hub are the only code that knows them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from chinwag.cluster import ops
from chinwag.cluster.replica import Replica
from chinwag.history.sqlite import RoomState
from chinwag.history.store import Record
from chinwag.hub import names
from chinwag.hub.model import Member, Room

VERSION = 1


def _time(when: datetime | None) -> float | None:
    return when.timestamp() if when is not None else None


def _naive(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp) if stamp is not None else None


def dump(replica: Replica) -> bytes:
    hub = replica.hub
    with hub._lock:  # the hub's tables: see the module docstring
        members = [
            {
                **ops.describe(member, replica.node_of(member.client_id)),
                "away": member.away,
                "invisible": member.invisible,
                "bot": member.bot,
            }
            for member in hub._members.values()
        ]
        looks = {look: member.client_id for look, member in hub._looks.items()}
        rooms = [
            {
                "name": room.name,
                "created": room.created_at.timestamp(),
                "topic": [room.topic, room.topic_by, _time(room.topic_at)],
                "flags": "".join(sorted(room.flags)),
                "key": room.key,
                "limit": room.limit,
                "bans": [[mask, by, at.timestamp()] for mask, (by, at) in room.bans.items()],
                "members": [member.client_id for member in room.snapshot],
                "operators": sorted(member.client_id for member in room.operators),
                "voiced": sorted(member.client_id for member in room.voiced),
                "invited": sorted(member.client_id for member in room.invited),
            }
            for room in hub._rooms.values()
        ]
        kept = hub._kept
        states = [] if kept is None else [_state(state) for state in kept.states()]
        most = hub.most_members
    state = {
        "version": VERSION,
        "members": members,
        "looks": looks,
        "rooms": rooms,
        "kept": states,
        "most": most,
        "sequences": dict(replica.last_sequence),
    }
    return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()


def load(replica: Replica, data: bytes, keep: Mapping[str, Member] | None = None) -> set[str]:
    """Fill ``replica`` with the state in ``data``, in place of what it had; ``keep``:
    this node's members, by id, whose objects are kept. Returns the ids of those of
    ``keep`` that the state does not have."""
    state = json.loads(data)
    if state.get("version") != VERSION:
        raise ValueError(f"a snapshot of another version: {state.get('version')!r}")
    hub = replica.hub
    keep = keep or {}
    by_id: dict[str, Member] = {}
    with hub._lock:  # the hub's tables: see the module docstring
        hub._members.clear()
        replica.forget_all()
        for description in state["members"]:
            member = _member(description, keep)
            member.away = description["away"]
            member.invisible = description["invisible"]
            member.bot = description["bot"]
            member.cloak = hub.cloak(member.address)
            member.userhost = f"{member.username}@{member.cloak}"
            by_id[member.client_id] = member
            hub._members[names.fold(member.nick)] = member
            replica.adopt(member, description["node"])
        hub._looks = {look: by_id[i] for look, i in state["looks"].items()}
        hub._rooms.clear()  # the empty lobby made at start is replaced
        for entry in state["rooms"]:
            room = Room(entry["name"], entry["flags"], datetime.fromtimestamp(entry["created"]))
            room.topic, room.topic_by, topic_at = entry["topic"]
            room.topic_at = _naive(topic_at)
            room.key, room.limit = entry["key"], entry["limit"]
            room.bans = {mask: (by, datetime.fromtimestamp(at)) for mask, by, at in entry["bans"]}
            for member_id in entry["members"]:
                member = by_id[member_id]
                room.add(member)
                member.rooms[room.folded] = room.name
            room.operators = {by_id[i] for i in entry["operators"]}
            room.voiced = {by_id[i] for i in entry["voiced"]}
            room.invited = {by_id[i] for i in entry["invited"]}
            for member in room.invited:
                member.invitations.add(room)
            hub._rooms[room.folded] = room
        kept = hub._kept
        if kept is not None:
            kept.replace(_room_state(item) for item in state["kept"])
        hub.most_members = state["most"]
    # In place: the node's duplicate filter holds this dict (a snapshot from a node that
    # did not send them: what was applied here stands).
    sequences = state.get("sequences")
    if sequences is not None:
        replica.last_sequence.clear()
        replica.last_sequence.update({str(node): int(n) for node, n in sequences.items()})
    return set(keep) - set(by_id)


def _member(description: dict[str, Any], keep: Mapping[str, Member]) -> Member:
    """The member described: made, or (one of ``keep``) the object kept, updated."""
    kept = keep.get(description["id"])
    if kept is None:
        return ops.member_from(description)
    made = ops.member_from(description)
    kept.nick, kept.username, kept.realname = made.nick, made.username, made.realname
    kept.operator = made.operator
    kept.rooms.clear()  # filled from the rooms' lists below
    kept.invitations.clear()
    return kept


def _state(state: RoomState) -> dict[str, Any]:
    return {
        "name": state.name,
        "topic": [state.topic, state.topic_by, _time(state.topic_at)],
        "flags": state.flags,
        "key": state.key,
        "limit": state.limit,
        "bans": [[mask, by, at.timestamp()] for mask, by, at in state.bans],
    }


def _room_state(item: dict[str, Any]) -> RoomState:
    topic, topic_by, topic_at = item["topic"]
    at = None if topic_at is None else datetime.fromtimestamp(topic_at).astimezone()
    return RoomState(
        item["name"],
        topic,
        topic_by,
        at,
        item["flags"],
        item["key"],
        item["limit"],
        tuple((mask, by, datetime.fromtimestamp(t).astimezone()) for mask, by, t in item["bans"]),
    )


def dump_records(records: Sequence[Record]) -> bytes:
    """History's records as bytes (see the module docstring)."""
    rows = [
        [
            r.msgid,
            r.time.timestamp(),
            r.sender,
            r.target,
            r.text,
            r.private,
            r.action,
            r.notice,
            r.userhost,
        ]
        for r in records
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()


def load_records(data: bytes) -> list[Record]:
    records = []
    for msgid, stamp, sender, target, text, private, action, notice, userhost in json.loads(data):
        when = datetime.fromtimestamp(stamp, UTC)
        records.append(Record(msgid, when, sender, target, text, private, action, notice, userhost))
    return records
