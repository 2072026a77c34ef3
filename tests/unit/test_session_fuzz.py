"""Whatever users type, sessions answer with well-formed lines and the hub stays sound."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.conftest import OPER_PASSWORD
from tests.unit.fakes import Chat

WORDS = [
    "/nick",
    "/who",
    "/list",
    "/rooms",
    "/join",
    "/leave",
    "/msg",
    "/me",
    "/quit",
    "exit",
    "/help",
    "/kick",
    "/ban",
    "/unban",
    "/bans",
    "/wall",
    "/op",
    "//",
    "/",
    "ann",
    "Client-2",
    "games",
    "10.0.0.2",
    "5",
    "-1",
    OPER_PASSWORD,
    "\x1b[2J",
    "\x00",
    "\u202e",
    "é",
]
lines = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), min_size=1, max_size=4
).map(" ".join)
actions = st.lists(st.tuples(st.integers(0, 2), lines), max_size=25)
WELL_FORMED = re.compile(r"(\* |! |\[\d\d:\d\d:\d\d\] ).*")


def is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char != "\t"


@settings(max_examples=80, deadline=None)
@given(actions=actions)
def test_any_input_gets_well_formed_answers(oper_hash: str, actions: list[tuple[int, str]]) -> None:
    chat = Chat(oper_password_hash=oper_hash)
    users = [chat.connect(f"10.0.0.{n}") for n in (1, 2, 3)]
    users[0].member.operator = True  # skip a slow scrypt per example
    for index, line in actions:
        users[index].send(line)
    for user in users:
        for received in user.lines():
            assert WELL_FORMED.fullmatch(received), received
            assert not any(is_control(char) for char in received), received
    connected = [user.member for user in users if user.endpoint.closed is None]
    assert set(chat.hub.members()) == set(connected)
    for user in users:
        if user.endpoint.closed is not None:
            assert user.member.rooms == {}
