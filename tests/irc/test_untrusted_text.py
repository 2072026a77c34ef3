"""Nothing a user sends reaches another user's terminal as a control character.

Every field that carries a user's words (messages, topics, mode arguments, reasons, real
and away names) is cleaned where it enters each front end, and events refuse text that
was not; these tests send hostile text through both front ends and read what a text
user in the same room receives.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.irc.conftest import HOST, MemoryClient, World

# What must never reach a terminal: C0 controls (tab aside), DEL, C1 controls (ESC and
# the 8-bit CSI among them), the line and paragraph separators and the bidirectional
# controls (marks, embeddings, overrides and isolates).
UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"
CLIPBOARD = "\x1b]52;c;aGVsbG8=\x07"


def received(client: MemoryClient) -> list[str]:
    """The lines a client received, each checked for an unsafe character."""
    data = client.endpoint.data.decode("utf-8")
    assert data.endswith("\r\n") or not data
    lines = data.split("\r\n")[:-1]
    client.endpoint.data = b""
    client._read = 0
    for line in lines:
        assert UNSAFE.search(line) is None, line
    return lines


def room_with_an_irc_operator(world: World) -> tuple[MemoryClient, MemoryClient]:
    alice = world.irc("alice")
    alice.send("JOIN #r")  # alice made the room, so she is its operator
    bob = world.text("bob")
    bob.send("/join r")
    alice.lines()
    received(bob)
    return alice, bob


def test_mode_arguments_reach_text_users_clean(world: World) -> None:
    alice, bob = room_with_an_irc_operator(world)
    alice.send(f"MODE #r +kb {CLEAR}key{TITLE} {CLIPBOARD}x!*@*")
    lines = received(bob)
    assert lines == ["* alice set mode +k+b key x!*@* on r"]
    assert alice.lines()[-1] == f":alice!user@{HOST} MODE #r +kb key x!*@*"


def test_a_mode_argument_that_is_only_escapes_is_empty(world: World) -> None:
    alice, bob = room_with_an_irc_operator(world)
    alice.send(f"MODE #r +k {CLEAR}")
    assert alice.numerics() == ["696"]
    assert received(bob) == []


def test_every_field_reaches_text_users_clean(world: World) -> None:
    alice, bob = room_with_an_irc_operator(world)
    dirty = f"a{CLEAR}b{TITLE}c{CLIPBOARD}\u202ed\x03" + "4,5e\x02f"
    alice.send(
        f"TOPIC #r :{dirty}",
        f"PRIVMSG #r :{dirty}",
        f"NOTICE #r :{dirty}",
        f"PRIVMSG #r :\x01ACTION {dirty}\x01",
        f"AWAY :{dirty}",
        f"PRIVMSG bob :{dirty}",
        f"PART #r :{dirty}",
        "JOIN #r",
        f"QUIT :{dirty}",
    )
    lines = received(bob)
    assert len(lines) == 8
    assert [line for line in lines if "abcdef" not in line] == ["* alice joined r"]


# --- any input, through either front end ----------------------------------------------

PIECES = [
    CLEAR,
    TITLE,
    CLIPBOARD,
    "\x1b",
    "\x9b",
    "\x07",
    "\x00",
    "\x03",
    "\x02",
    "\u202e",
    "\u200f",
    "\u2028",
]
hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=8
).map(lambda parts: "".join(parts).replace("\r", "").replace("\n", ""))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=hostile)
def test_what_a_text_user_receives_is_always_clean(text: str) -> None:
    world = World()
    alice, bob = room_with_an_irc_operator(world)
    carol = world.text("carol")
    carol.send("/join r")
    word = text.replace(" ", "") or "x"
    alice.send(
        f"PRIVMSG #r :{text}",
        f"PRIVMSG bob :{text}",
        f"NOTICE #r :{text}",
        f"TOPIC #r :{text}",
        f"MODE #r +k {word}",
        f"MODE #r +b {word}",
        f"MODE #r +o {word}",
        f"KICK #r carol :{text}",
        f"AWAY :{text}",
        f"NICK {word}",
        f"PART #r :{text}",
    )
    carol.send(
        text,
        f"/me {text}",
        f"/topic {text}",
        f"/msg bob {text}",
        f"/nick {word}",
        f"/mode +k {word}",
        f"/join {word}",
    )
    dave = world.irc()
    dave.send("NICK dave", f"USER {word} 0 * :{text}", "JOIN #r", f"QUIT :{text}")
    received(bob)
    received(carol)
