"""What one entry of the cluster's log says: an operation on the hub, as JSON.

An operation is a JSON object: ``"k"`` its kind (the hub method it stands for, or one of
the cluster's own: ``node-lost``, ``hello``), ``"m"`` the acting member and the method's
other arguments under short keys. Members are named by id; a member the hub may not know
(one arriving, or the server console of another node, which is in no hub) is described
in full by :func:`describe`, so every node can make the same :class:`Member` for it.
Pure functions: no Redis, no hub.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chinwag.hub.events import ClientTags
from chinwag.hub.model import Member
from chinwag.hub.modes import ModeChange

Operation = dict[str, Any]

# The entry's fields: who wrote it (node id), the writer's sequence number (to find the
# waiting caller), and the operation.
NODE, SEQUENCE, OPERATION = b"n", b"s", b"o"


# Made once: ``json.dumps`` with options makes an encoder for every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder()


def encode(operation: Operation) -> bytes:
    return _ENCODER.encode(operation).encode()


def decode(data: bytes) -> Operation:
    operation = _DECODER.decode(data.decode())
    if not isinstance(operation, dict) or not isinstance(operation.get("k"), str):
        raise TypeError(f"not an operation: {data[:80]!r}")
    return operation


def describe(member: Member, node: str) -> dict[str, Any]:
    """Everything another node needs to make the same member (see :func:`member_from`)."""
    return {
        "id": member.client_id,
        "nick": member.nick,
        "address": member.address,
        "at": member.connected_at.timestamp(),
        "user": member.username,
        "real": member.realname,
        "oper": member.operator,
        "node": node,
    }


def member_from(description: dict[str, Any]) -> Member:
    member = Member(
        str(description["id"]),
        str(description["address"]),
        datetime.fromtimestamp(float(description["at"])),
    )
    member.nick = str(description["nick"])
    member.username = str(description["user"])
    member.realname = str(description["real"])
    member.operator = bool(description["oper"])
    return member


def with_tags(operation: Operation, client_tags: ClientTags) -> Operation:
    """``operation`` carrying a message's client-only tags (left out when there are none)."""
    if client_tags:
        operation["tags"] = [list(tag) for tag in client_tags]
    return operation


def tags(operation: Operation) -> ClientTags:
    """The client-only tags an operation carries (see :func:`with_tags`)."""
    return tuple((str(name), str(value)) for name, value in operation.get("tags", ()))


def changes(mode_changes: list[ModeChange]) -> list[list[Any]]:
    return [[change.on, change.letter, change.argument] for change in mode_changes]


def mode_changes(encoded: list[list[Any]]) -> list[ModeChange]:
    return [ModeChange(bool(on), str(letter), str(argument)) for on, letter, argument in encoded]
