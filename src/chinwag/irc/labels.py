"""IRCv3 ``labeled-response``: the reply to a labeled command, gathered and labeled.

A client that negotiated ``labeled-response`` and ``batch`` may tag a command with
``@label=...``; everything the command sends back to that client is its response. The
session gathers what the handler produced (its numerics and the hub's deliveries), and
:func:`label_response` turns that into one labeled reply: nothing becomes
``@label=x ACK``, one line carries the label itself, more lines go in a
``labeled-response`` batch whose start carries the label. Deliveries that also go to
others keep going to them unchanged; only this client's copy is taken into the reply,
rendered by its own formatter. A message the client sent to itself is not a response
(its ``echo-message`` copy is), and the connection's ``Farewell`` is left as it is, so
that it still closes the connection. A batch the response holds (a ``chathistory``
one) is nested: its start and end lines carry the outer batch's tag.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from chinwag.hub.events import Audience, Delivery, Event, Farewell, Reply, ToMembers, ToRoom
from chinwag.irc.message import format_tag

CAPABILITY = "labeled-response"
BATCH_TYPE = "labeled-response"


class _Formatter(Protocol):
    def format(self, event: Event) -> bytes: ...


def label_response(
    deliveries: list[Delivery],
    *,
    me: str,
    formatter: _Formatter,
    label: str,
    reference: str,
    server: str,
    not_responses: Collection[int] = (),
) -> list[Delivery]:
    """``deliveries`` (what one command produced, in order) with the copies for client
    ``me`` replaced by one labeled reply at the end. ``reference`` names the batch, if
    one is needed; ``not_responses`` are the ``id()`` of deliveries to leave alone."""
    lines: list[str] = []
    out: list[Delivery] = []
    for delivery in deliveries:
        event, audience, exclude = delivery
        if (
            id(delivery) in not_responses
            or isinstance(event, Farewell)
            or not _reaches(audience, exclude, me)
        ):
            out.append(delivery)
            continue
        if isinstance(event, Reply):
            lines.extend(event.lines)
        else:
            lines.extend(line for line in formatter.format(event).decode().split("\r\n") if line)
        others = _others(audience, exclude, me)
        if others is not None:
            out.append(Delivery(event, *others))
    label_tag = format_tag("label", label)
    if not lines:
        lines = [f"@{label_tag} :{server} ACK"]
    elif len(lines) == 1:
        lines = [_tagged(lines[0], label_tag)]
    else:
        batch_tag = format_tag("batch", reference)
        lines = [
            f"@{label_tag} :{server} BATCH +{reference} {BATCH_TYPE}",
            *(line if _has_batch(line) else _tagged(line, batch_tag) for line in lines),
            f":{server} BATCH -{reference}",
        ]
    out.append(Delivery(Reply(tuple(lines)), ToMembers((me,))))
    return out


def _reaches(audience: Audience, exclude: str | None, me: str) -> bool:
    if exclude == me:
        return False
    members = audience.members if isinstance(audience, ToRoom) else audience.ids
    return me in members


def _others(audience: Audience, exclude: str | None, me: str) -> tuple[Audience, str | None] | None:
    """Everyone else ``audience`` reaches, as an audience and an exclusion; ``None`` if
    nobody."""
    if isinstance(audience, ToRoom) and exclude is None:
        return audience, me  # the room's shared audience, without me
    members = audience.members if isinstance(audience, ToRoom) else audience.ids
    rest = tuple(member for member in members if member not in (me, exclude))
    return (ToMembers(rest), None) if rest else None


def _tagged(line: str, tag: str) -> str:
    """``line`` with ``tag`` (written) added to its tags."""
    if line.startswith("@"):
        return f"@{tag};{line[1:]}"
    return f"@{tag} {line}"


def _has_batch(line: str) -> bool:
    if not line.startswith("@"):
        return False
    tags = line[1:].partition(" ")[0].split(";")
    return any(tag.partition("=")[0] == "batch" for tag in tags)
