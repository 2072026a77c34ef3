"""Properties of the IRC front end for any input: valid lines out, no handler ever fails."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.hub import events, modes
from chinwag.irc.format import IrcFormatter
from chinwag.irc.message import MAX_LINE_BYTES, parse
from chinwag.text.sanitize import clean
from tests.irc.conftest import UNIT_CONFIG, MemoryClient, World

NOW = datetime(2026, 11, 21, 12, 0, 0)
# Names are checked by the hub before they reach an event; free text is not limited.
nicks = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,31}", fullmatch=True)
rooms = st.from_regex(r"[a-z0-9_.-]{1,32}", fullmatch=True)
userhosts = st.just("") | st.builds("{}@{}".format, nicks, st.sampled_from(["::1", "10.0.0.1"]))
# Text as front ends hand it to the hub: cleaned where it enters.
texts = st.text(st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",))).map(
    clean
)
long_texts = texts | st.builds(lambda t, n: t * n, texts, st.integers(1, 600))
words = st.from_regex(r"[!-9;-~][!-+\--~]{0,30}", fullmatch=True)  # no space, comma, ":"


def _valid_change(on: bool, letter: str, argument: str) -> tuple[str, str] | None:
    try:
        change = modes.ModeChange(on, letter, argument if modes.takes_argument(letter, on) else "")
    except Exception:  # only valid changes reach an event
        return None
    return change.sign_letter, change.argument


mode_changes = (
    st.lists(
        st.builds(_valid_change, st.booleans(), st.sampled_from("bklimnstov"), words), max_size=80
    )
    .map(lambda changes: tuple(c for c in changes if c is not None))
    .filter(bool)
)

event_strategy = st.one_of(
    st.builds(
        events.RoomMessage,
        st.just(NOW),
        nicks,
        rooms,
        long_texts.filter(bool),
        st.booleans(),
        st.booleans(),
        userhosts,
    ),
    st.builds(
        events.PrivateMessage,
        st.just(NOW),
        nicks,
        nicks,
        long_texts.filter(bool),
        st.booleans(),
        userhosts,
    ),
    st.builds(events.Joined, nicks, rooms, st.booleans(), userhosts),
    st.builds(events.Parted, nicks, rooms, long_texts, userhosts),
    st.builds(events.Quit, nicks, long_texts, userhosts),
    st.builds(events.NickChanged, nicks, nicks, st.booleans(), userhosts),
    st.builds(events.Wall, st.just(NOW), nicks, long_texts.filter(bool)),
    st.builds(events.Info, st.lists(long_texts.filter(bool), min_size=1, max_size=3).map(tuple)),
    st.builds(events.Problem, long_texts.filter(bool)),
    st.builds(events.Farewell, long_texts.filter(bool), long_texts),
    st.builds(events.Kicked, nicks, rooms, nicks, long_texts, userhosts),
    st.builds(events.TopicChanged, nicks, rooms, long_texts, userhosts),
    st.builds(events.ModesChanged, nicks, rooms, mode_changes, userhosts),
    st.builds(events.Invited, nicks, nicks, rooms, userhosts),
)


def assert_valid_output(data: bytes) -> None:
    assert not data or data.endswith(b"\r\n"), data[-80:]
    for line in data.decode("utf-8").split("\r\n")[:-1]:
        body = line.partition(" ")[2] if line.startswith("@") else line
        assert len(body.encode()) + 2 <= MAX_LINE_BYTES, line
        assert "\r" not in line and "\0" not in line, line
        parse(line)


@settings(max_examples=300, deadline=None)
@given(event=event_strategy, timed=st.booleans())
def test_every_event_renders_as_valid_irc_lines(event: events.Event, timed: bool) -> None:
    formatter = IrcFormatter("irc.example.org", tag_time=timed)
    assert_valid_output(formatter.format(event))


@settings(max_examples=100, deadline=None)
@given(changes=mode_changes)
def test_mode_changes_keep_their_order_across_lines(changes: tuple[tuple[str, str], ...]) -> None:
    data = IrcFormatter("irc.test").format(events.ModesChanged("alice", "room", changes))
    letters: list[str] = []
    arguments: list[str] = []
    for line in data.decode().split("\r\n")[:-1]:
        message = parse(line)
        sign = "+"
        for char in message.params[1]:
            if char in "+-":
                sign = char
            else:
                letters.append(sign + char)
        arguments.extend(message.params[2:])
        assert len(message.params) - 2 <= 20
    assert letters == [letter for letter, _ in changes]
    assert arguments == [argument for _, argument in changes if argument]


# --- sessions fed anything ---------------------------------------------------------------

VERBS = [
    "NICK", "USER", "PASS", "CAP", "JOIN", "PART", "MODE", "TOPIC", "NAMES", "WHO", "WHOIS",
    "LIST", "KICK", "INVITE", "PRIVMSG", "NOTICE", "AWAY", "ISON", "USERHOST", "OPER",
    "KILL", "PING", "PONG", "MOTD", "VERSION", "TIME", "LUSERS", "FOO",
]  # fmt: skip
PIECES = [
    "#lobby", "#room", "lobby", "alice", "ALICE", "bob", "*", "0", "+k", "-k", "+l", "+b",
    "+bb", "+o", "-v", "+imnst", "+kl", "²", "٣", "1000001", "5", ":", "::x", ":a b",
    "a,b", "#a,#b", "LS", "302", "REQ", "END", "server-time", "sesame", "", " ", "\x01",
    "\x03", "\t", "é", "\u202e", "x" * 60,
]  # fmt: skip
lines = st.builds(
    lambda verb, parts, tail: " ".join([verb, *parts]) + tail,
    st.sampled_from(VERBS) | st.text(max_size=8),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=10), max_size=5),
    st.sampled_from(["", " :", " :a b", " ::k", " :\x01ACTION x\x01"])
    | st.text(max_size=20).map(" :".__add__),
)
text_lines = st.builds(
    lambda verb, parts: " ".join([verb, *parts]),
    st.sampled_from(["/mode", "/join", "/nick", "/topic", "/away", "/msg", "/kick", "hi"]),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=10), max_size=4),
)


def _irc_clients(world: World) -> list[MemoryClient]:
    registered = world.irc("alice")
    registered.send("JOIN #room", "JOIN #lobby")
    return [registered, world.irc(), world.irc("bob")]


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 3), lines | text_lines), min_size=1, max_size=20),
    password=st.booleans(),
)
def test_no_input_makes_a_handler_fail(steps: list[tuple[int, str]], password: bool) -> None:
    config = replace(UNIT_CONFIG, password="sesame") if password else UNIT_CONFIG
    world = World(config)
    if password:
        clients = []
        for nick in ("alice", None, "bob"):
            client = world.irc()
            if nick:
                client.send("PASS sesame", f"NICK {nick}", f"USER u 0 * :{nick}")
            clients.append(client)
        clients[0].send("JOIN #room")
    else:
        clients = _irc_clients(world)
    text = world.text("carol")
    for index, line in steps:
        (*clients, text)[index].send(line.replace("\r", "").replace("\n", ""))
    for client in clients:
        assert_valid_output(client.endpoint.data)
        # No reply is ERR_UNKNOWNERROR (a "400" the client sent may be echoed in a 421).
        for line in client.endpoint.data.split(b"\r\n"):
            body = line.partition(b" ")[2] if line.startswith(b"@") else line
            assert body.split(b" ")[1:2] != [b"400"], line
