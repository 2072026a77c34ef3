"""Events are values that cannot be built invalid: no line breaks, no empty names."""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.hub.events import (
    Delivery,
    Event,
    Farewell,
    Info,
    Invited,
    Joined,
    Kicked,
    ModesChanged,
    NickChanged,
    Parted,
    PrivateMessage,
    Problem,
    Quit,
    Reply,
    RoomMessage,
    TagMessage,
    ToMembers,
    TopicChanged,
    ToRoom,
    Wall,
    info,
    reach_others,
    to,
)
from chinwag.hub.model import Member
from chinwag.text.format import TEXT
from tests.unit.fakes import NOON, make_member

# One builder per event and text field, taking the value to put in that field.
FIELDS: dict[str, Callable[[str], Event]] = {
    "RoomMessage.sender": lambda v: RoomMessage(NOON, v, "lobby", "hi"),
    "RoomMessage.room": lambda v: RoomMessage(NOON, "ann", v, "hi"),
    "RoomMessage.text": lambda v: RoomMessage(NOON, "ann", "lobby", v),
    "PrivateMessage.sender": lambda v: PrivateMessage(NOON, v, "bob", "hi"),
    "PrivateMessage.recipient": lambda v: PrivateMessage(NOON, "ann", v, "hi"),
    "PrivateMessage.text": lambda v: PrivateMessage(NOON, "ann", "bob", v),
    "Joined.nick": lambda v: Joined(v, "lobby"),
    "Joined.room": lambda v: Joined("ann", v),
    "Parted.nick": lambda v: Parted(v, "games"),
    "Parted.room": lambda v: Parted("ann", v),
    "Quit.nick": Quit,
    "NickChanged.old": lambda v: NickChanged(v, "bob"),
    "NickChanged.new": lambda v: NickChanged("ann", v),
    "Wall.sender": lambda v: Wall(NOON, v, "hi"),
    "Wall.text": lambda v: Wall(NOON, "ann", v),
    "Info.lines": lambda v: Info(("fine", v)),
    "Problem.text": Problem,
    "Farewell.text": lambda v: Farewell(v, "why"),
    "Kicked.actor": lambda v: Kicked(v, "games", "bob"),
    "Kicked.room": lambda v: Kicked("ann", v, "bob"),
    "Kicked.nick": lambda v: Kicked("ann", "games", v),
    "TopicChanged.nick": lambda v: TopicChanged(v, "games", "hi"),
    "TopicChanged.room": lambda v: TopicChanged("ann", v, "hi"),
    "ModesChanged.nick": lambda v: ModesChanged(v, "games", (("+i", ""),)),
    "ModesChanged.room": lambda v: ModesChanged("ann", v, (("+i", ""),)),
    "Invited.nick": lambda v: Invited(v, "bob", "games"),
    "Invited.target": lambda v: Invited("ann", v, "games"),
    "Invited.room": lambda v: Invited("ann", "bob", v),
}
# Fields that may be empty, but never hold a line break.
OPTIONAL: dict[str, Callable[[str], Event]] = {
    "Parted.reason": lambda v: Parted("ann", "games", v),
    "Quit.reason": lambda v: Quit("ann", v),
    "Farewell.reason": lambda v: Farewell("bye", v),
    "Kicked.reason": lambda v: Kicked("ann", "games", "bob", v),
    "TopicChanged.topic": lambda v: TopicChanged("ann", "games", v),
}
# A mode argument is one word, empty for modes that take none.
WORDS: dict[str, Callable[[str], Event]] = {
    "ModesChanged.argument": lambda v: ModesChanged("ann", "games", (("+k", v),)),
}


@pytest.mark.parametrize("build", [*FIELDS.values(), *OPTIONAL.values()], ids=[*FIELDS, *OPTIONAL])
@pytest.mark.parametrize("bad", ["two\nlines", "two\r\nlines", "carriage\rreturn", "\n"])
def test_line_breaks_are_rejected(build: Callable[[str], Event], bad: str) -> None:
    with pytest.raises(ValueError, match="single line"):
        build(bad)


@pytest.mark.parametrize(
    "bad",
    [
        "\x1b[2Jclear",
        "\x1b]52;c;aGk=\x07",  # a clipboard write
        "bell\x07",
        "nul\x00",
        "c1\x9b2J",
        "del\x7f",
        "evil\u202etxt.exe",
        "isolate\u2066x\u2069",
        "\u200eRTLmark",  # a bidirectional mark
        "line\u2028separator",
    ],
)
@pytest.mark.parametrize(
    "build",
    [*FIELDS.values(), *OPTIONAL.values(), *WORDS.values()],
    ids=[*FIELDS, *OPTIONAL, *WORDS],
)
def test_unclean_text_is_rejected(build: Callable[[str], Event], bad: str) -> None:
    with pytest.raises(ValueError, match="cleaned"):
        build(bad)


@pytest.mark.parametrize(
    "build",
    [*FIELDS.values(), *OPTIONAL.values(), *WORDS.values()],
    ids=[*FIELDS, *OPTIONAL, *WORDS],
)
@pytest.mark.parametrize("good", ["a\ttab", "👨\u200d👩\u200d👧family", "zero\u200bwidth"])
def test_unprintable_but_harmless_text_builds(build: Callable[[str], Event], good: str) -> None:
    build(good)


def test_replies_may_echo_what_their_own_client_sent() -> None:
    Reply((":irc.test 401 ann \x1b[2J :No such nick/channel",))
    with pytest.raises(ValueError, match="single line"):
        Reply(("two\nlines",))


@pytest.mark.parametrize("build", FIELDS.values(), ids=FIELDS)
def test_empty_names_and_texts_are_rejected(build: Callable[[str], Event]) -> None:
    with pytest.raises(ValueError, match="empty"):
        build("")


@pytest.mark.parametrize("build", OPTIONAL.values(), ids=OPTIONAL)
def test_reasons_may_be_empty(build: Callable[[str], Event]) -> None:
    assert build("") == build("")


@pytest.mark.parametrize("build", [*FIELDS.values(), *OPTIONAL.values()], ids=[*FIELDS, *OPTIONAL])
def test_valid_values_build(build: Callable[[str], Event]) -> None:
    event = build("Ünïcode 🙂 text")
    assert event == build("Ünïcode 🙂 text")  # values compare by content


def test_events_are_frozen() -> None:
    event = RoomMessage(NOON, "ann", "lobby", "hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("kind", [RoomMessage, PrivateMessage])
def test_message_events_are_made_as_any_dataclass_is(kind: type[Event]) -> None:
    # Their __init__ is their own (faster); what it takes and sets is the dataclass's.
    specs = dataclasses.fields(kind)  # type: ignore[arg-type]
    parameters = list(inspect.signature(kind).parameters.values())
    assert [p.name for p in parameters] == [f.name for f in specs]
    assert [p.default for p in parameters] == [
        inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in specs
    ]
    values = [NOON, "ann", "lobby", "hi", True, "ann@host", 7, (("+x", "y"),), True]
    if kind is RoomMessage:
        values[4:4] = [True]  # action, before notice
        values[-2:-2] = ["+"]  # status, before tags
    by_position, by_name = (
        kind(*values),
        kind(**{f.name: v for f, v in zip(specs, values, strict=True)}),
    )
    assert [getattr(by_position, f.name) for f in specs] == values
    assert [getattr(by_name, f.name) for f in specs] == values
    assert dataclasses.replace(by_position, text="hello").text == "hello"
    with pytest.raises(ValueError, match="cleaned where it enters"):
        dataclasses.replace(by_position, text="\x1b[2J")
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_position.sender = "bob"


def test_info_delivers_its_lines_to_one_member() -> None:
    member = make_member("Client-1")
    assert info(member, "a", "b") == Delivery(Info(("a", "b")), ToMembers((member.client_id,)))


def test_info_needs_at_least_one_line() -> None:
    # With no lines it would render as an empty line, which the protocol never sends.
    with pytest.raises(ValueError, match="at least one line"):
        Info(())


# Pieces of text that drive terminals, mixed with arbitrary text.
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(["\x1b[2J", "\x1b]0;t\x07", "\x1b", "\x9b", "\x00", "\u202e", "\t"]),
        st.text(max_size=4),
    ),
    min_size=1,
    max_size=6,
).map("".join)
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BUILDERS = {**FIELDS, **OPTIONAL, **WORDS}


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(BUILDERS)), text=HOSTILE)
def test_any_event_that_can_be_built_renders_safely(name: str, text: str) -> None:
    try:
        event = BUILDERS[name](text)
    except ValueError:
        return  # refused: it can reach nobody
    rendered = TEXT.format(event).decode()
    assert rendered.endswith("\r\n")
    for line in rendered[:-2].split("\r\n"):
        assert UNSAFE.search(line) is None, line


NOW = datetime(2026, 1, 1)


def test_client_tags_are_named_with_a_plus_and_cleaned() -> None:
    said = RoomMessage(NOW, "ann", "lobby", "hi", tags=(("+typing", "active"),))
    assert said.tags == (("+typing", "active"),)
    for bad in (("typing", "x"), ("+", "x"), ("+a b", "x"), ("+a;b", "x"), ("+t", "\x1b[2J")):
        with pytest.raises(ValueError):
            RoomMessage(NOW, "ann", "lobby", "hi", tags=(bad,))
        with pytest.raises(ValueError):
            PrivateMessage(NOW, "ann", "bob", "hi", tags=(bad,))


def test_a_tag_message_has_tags_and_one_target() -> None:
    tags = (("+typing", "active"),)
    assert TagMessage(NOW, "ann", tags, room="lobby", status="@").status == "@"
    assert TagMessage(NOW, "ann", tags, recipient="bob").recipient == "bob"
    with pytest.raises(ValueError):
        TagMessage(NOW, "ann", (), room="lobby")
    with pytest.raises(ValueError):
        TagMessage(NOW, "ann", tags)
    with pytest.raises(ValueError):
        TagMessage(NOW, "ann", tags, room="lobby", recipient="bob")
    with pytest.raises(ValueError):
        TagMessage(NOW, "ann", tags, recipient="bob", status="@")


def test_reach_others_tells_deliveries_for_others_from_ones_for_oneself() -> None:
    me, other = Member("Client-1", "10.0.0.1"), Member("Client-2", "10.0.0.2")
    mine = [info(me, "for me"), Delivery(Info(("also",)), to(me))]
    assert not reach_others([], me)
    assert not reach_others(mine, me)
    assert reach_others([*mine, info(other, "for you")], me)
    assert reach_others([Delivery(Info(("both",)), to(me, other))], me)
    room = ToRoom("lobby", 1, (me.client_id,))
    assert reach_others([Delivery(Info(("room",)), room, me.client_id)], me)
