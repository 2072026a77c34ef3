"""What a line the user typed means, before it is sent.

The server does not echo a user's own messages, so the client shows them itself: a
chat message, a ``/me`` action or a ``/msg`` gets a local echo in the server's own line
shape. ``exit``, ``/exit`` and ``/quit [reason]`` end the session: they are sent (so the
server says goodbye and tells the others the reason) and the client then waits for the
server to close. Everything else (other commands) goes to the server as typed; the
server's reply is the feedback.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Intent(enum.Enum):
    NOTHING = "nothing"  # a blank line: not sent
    SAY = "say"
    ACTION = "action"
    PRIVATE = "private"
    QUIT = "quit"
    COMMAND = "command"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A typed line: what to send, what it means, and the parts a local echo needs."""

    intent: Intent
    wire: str = ""  # the line to send, without its line end
    target: str = ""  # the recipient of a private message
    text: str = ""  # the message text as others will see it

    def __post_init__(self) -> None:
        if "\n" in self.wire or "\r" in self.wire:
            raise ValueError("an outgoing line cannot contain a line break")
        if (self.intent is Intent.NOTHING) != (not self.wire):
            raise ValueError("only a blank line is sent as nothing")


QUIT_COMMANDS = frozenset({"quit", "exit"})


def interpret(typed: str) -> Outgoing:  # noqa: PLR0911 - one return per meaning
    """The meaning of one typed line (as the server will read it)."""
    wire = typed.replace("\r", " ").replace("\n", " ").strip()
    if not wire:
        return Outgoing(Intent.NOTHING)
    if wire.casefold() == "exit":
        return Outgoing(Intent.QUIT, wire)
    if wire.startswith("//"):
        return Outgoing(Intent.SAY, wire, text=wire[1:])
    if not wire.startswith("/"):
        return Outgoing(Intent.SAY, wire, text=wire)
    name, _, args = wire[1:].partition(" ")
    name, args = name.casefold(), args.strip()
    if name in QUIT_COMMANDS:
        return Outgoing(Intent.QUIT, wire, text=args)
    if name == "me" and args:
        return Outgoing(Intent.ACTION, wire, text=args)
    if name in {"msg", "tell"}:
        target, _, text = args.partition(" ")
        if text.strip():
            return Outgoing(Intent.PRIVATE, wire, target=target, text=text.strip())
    return Outgoing(Intent.COMMAND, wire)
