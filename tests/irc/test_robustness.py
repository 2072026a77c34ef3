"""Hostile input and large replies: every IRC reply is valid, in time, and nobody is dropped."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from chinwag import log
from chinwag.config import Config
from chinwag.hub import errors, events, modes
from chinwag.hub.hub import Hub, Member
from chinwag.irc.message import MAX_LINE_BYTES, parse
from chinwag.server.dispatch import deliver
from tests.irc.conftest import UNIT_CONFIG, World


def assert_valid_lines(lines: list[str]) -> None:
    for line in lines:
        body = line.partition(" ")[2] if line.startswith("@") else line
        assert len((body + "\r\n").encode()) <= MAX_LINE_BYTES, line
        assert not any(char in line for char in "\r\n\0"), line
        parse(line)  # one valid message


# --- long replies ----------------------------------------------------------------------


def test_a_list_of_20000_channels_takes_well_under_a_second() -> None:
    hub = Hub(max_rooms_per_member=30_000, max_rooms=30_000)
    owner = Member("Client-0", "10.0.0.1")
    hub.register(owner, "owner")
    for number in range(20_000):
        hub.join(owner, f"room{number}")
    world = World(hub=hub)
    alice = world.irc("alice")
    # CPU time, so that other processes on a busy machine do not count.
    started = time.process_time()
    alice.send("LIST")
    elapsed = time.process_time() - started
    assert len(alice.lines()) == 20_000 + 2  # the start and the end (the lobby is empty)
    assert elapsed < 1.0  # about 0.2 s; building the reply line by line took 10 s
    started = time.process_time()
    alice.send("WHOIS owner")
    assert time.process_time() - started < 1.0
    lines = alice.lines()
    assert_valid_lines(lines)
    assert sum(" 319 " in line for line in lines) > 1  # split over lines


def test_a_reply_of_many_lines_is_built_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = world.irc("alice")
    built: list[int] = []
    check = events.Reply.__post_init__

    def counting(self: events.Reply) -> None:
        built.append(len(self.lines))
        check(self)

    monkeypatch.setattr(events.Reply, "__post_init__", counting)
    alice.send(*["PING :x"] * 300, "VERSION", *["TIME"] * 200)
    assert built == [501]  # one Reply, its lines checked once: linear in its length


def test_timed_work_never_waits_for_a_session_busy_with_its_client(world: World) -> None:
    alice = world.irc("alice")
    with alice.session._lock:  # as while it builds a long reply
        done = threading.Event()
        worker = threading.Thread(target=lambda: (alice.tick(time.monotonic() + 1e6), done.set()))
        worker.start()
        assert done.wait(5)
        worker.join()
    assert not alice.closed  # it is looked at again at the next tick
    alice.tick(time.monotonic() + 1e6)
    assert alice.numerics() == ["PING"]


# --- mode arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("letter", "argument"),
    [
        ("k", ":k"),
        ("k", "a,b"),
        ("k", "x" * 24),
        ("k", "é" * 12),
        ("k", "a\x01"),
        ("l", "²"),
        ("l", "٣"),
        ("l", "0"),
        ("l", "1000001"),
        pytest.param("l", "9" * 5000, id="l-5000-digits"),
        ("b", ":x"),
        ("b", "a!b!c@d"),
        ("b", "a!b@c@d"),
        ("b", "@host"),
        ("b", "x" * 129),
    ],
)
def test_invalid_mode_arguments_are_refused(letter: str, argument: str) -> None:
    with pytest.raises(errors.InvalidModeArgument) as raised:
        modes.ModeChange(True, letter, argument)
    assert raised.value.letter == letter


@pytest.mark.parametrize(
    ("letter", "argument", "kept"),
    [
        ("k", "x" * 23, "x" * 23),
        ("l", "1000000", "1000000"),
        ("b", "bob", "bob!*@*"),
        ("b", "bob@10.*", "*!bob@10.*"),
        ("b", "*!*@*", "*!*@*"),
    ],
)
def test_valid_mode_arguments_are_kept_in_full_form(letter: str, argument: str, kept: str) -> None:
    assert modes.ModeChange(True, letter, argument).argument == kept


def test_a_bad_key_or_mask_gets_696_and_the_channel_stays_usable(world: World) -> None:
    alice = world.irc("alice")
    alice.send("JOIN #room")
    alice.lines()
    alice.send("MODE #room +k :a,b", "MODE #room +b x!y!z", "MODE #room +l ²")
    assert alice.lines() == [
        ":irc.test 696 alice #room k a,b :a key is one word of at most 23 bytes, with no comma",
        ":irc.test 696 alice #room b x!y!z@* :a ban mask is nick!user@host, at most 128 bytes",
        ":irc.test 696 alice #room l ² :the limit must be a number from 1 to 1000000",
    ]
    alice.send("MODE #room +bb :y :z")  # one argument, "y :z", that is no word
    assert alice.numerics()[0] == "696"
    alice.send("MODE #room")
    assert alice.numerics() == ["324", "329"]
    assert not alice.closed


def test_text_users_get_the_same_refusals(world: World) -> None:
    bob = world.text("bob")
    bob.send("/join room")
    bob.lines()
    bob.send("/mode +k :k", "/mode +b :x", "/mode +l ²", "/mode +bb :y :z")
    lines = bob.lines()
    assert len(lines) == 4
    assert all(line.startswith("! ") for line in lines), lines
    alice = world.irc("alice")
    alice.send("MODE #room", "MODE #room b")
    assert alice.numerics() == ["324", "329", "368"]


def test_many_mode_changes_go_out_at_most_modes_per_line(world: World) -> None:
    alice, bob = world.in_channel("#room", "alice", "bob")
    masks = [f"{'n' * 30}{n:02}!{'u' * 16}@{'h' * 60}" for n in range(45)]
    deliveries = world.hub.change_modes(
        alice.member, "room", [modes.ModeChange(True, "b", mask) for mask in masks]
    )
    deliver(deliveries, world.router)
    lines = bob.lines()
    assert_valid_lines(lines)
    assert len(lines) > 45 // 20
    seen = []
    for line in lines:
        message = parse(line)
        assert message.command == "MODE"
        assert len(message.params) - 2 <= 20
        seen.extend(message.params[2:])
    assert seen == masks


# --- malformed parameters ----------------------------------------------------------------

PROBES = [
    ("NICK :a b", "432"),
    ("NICK ::x", "432"),
    ("CAP :LS 302", "410"),
    ("WHOIS :no such", "401"),
    ("JOIN :#a b", "403"),
    ("MODE :a b", "401"),
    ("NAMES :#a b", "366"),
    ("WHO :#a b", "315"),
    ("TOPIC :#a b", "403"),
    ("PART :#a b", "403"),
    ("MODE #lobby +l ²", "696"),
    ("KICK #lobby :a b", "482"),
    ("INVITE alice :#c d", "403"),
    ("PRIVMSG :a b", "412"),
    ("PRIVMSG a,:b :hi", "401"),
    ("USERHOST :a b", "302"),
    ("ISON :a b", "303"),
]


@pytest.mark.parametrize(("line", "numeric"), PROBES)
def test_malformed_parameters_get_their_numeric(
    world: World, line: str, numeric: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems: list[str] = []
    monkeypatch.setattr(log, "problem", problems.append)
    alice = world.irc("alice")
    alice.send("JOIN #lobby")
    alice.lines()
    alice.send(line)
    lines = alice.lines()
    assert_valid_lines(lines)
    assert [parse(line).command for line in lines][:1] == [numeric]
    assert not alice.closed
    assert not problems


@pytest.mark.parametrize("line", ["NICK :a b", "NICK ::x", "CAP :LS 302", "PASS :a b", "USER :a b"])
def test_malformed_parameters_before_registration(world: World, line: str) -> None:
    client = world.irc()
    client.send(line)
    assert_valid_lines(client.lines())
    assert not client.closed
    client.send("NICK ok", "USER u 0 * :U", "CAP END")
    assert "001" in client.numerics()


def test_a_failing_handler_costs_the_command_not_the_client(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chinwag.irc import commands

    alice = world.irc("alice")
    problems: list[str] = []
    events_logged: list[str] = []
    monkeypatch.setattr(log, "problem", problems.append)
    monkeypatch.setattr(log, "event", events_logged.append)

    def broken(session: object, message: object) -> None:
        raise RuntimeError("a bug")

    entry = commands.COMMANDS["TIME"]
    monkeypatch.setitem(commands.COMMANDS, "TIME", replace(entry, handler=broken))
    alice.send("TIME", "TIME", "VERSION")
    assert alice.lines()[:2] == [
        ":irc.test 400 alice TIME :Could not process the command",
        ":irc.test 400 alice TIME :Could not process the command",
    ]
    assert not alice.closed
    assert len(problems) <= 1  # the traceback once (per command and kind of error)
    assert len(problems) + len(events_logged) == 2  # then one line each


# --- before the server password ------------------------------------------------------------


def test_before_the_password_a_nick_in_use_is_not_revealed() -> None:
    world = World(replace(UNIT_CONFIG, password="sesame"))
    alice = world.irc()
    alice.send("PASS sesame", "NICK alice", "USER a 0 * :A")
    assert "001" in alice.numerics()
    probe = world.irc()
    probe.send("NICK alice", "NICK ALICE")
    assert probe.lines() == []
    probe.send("PASS sesame", "USER p 0 * :P")
    assert probe.numerics() == ["433"]
    probe.send("NICK alice")  # the password is accepted now: told at once
    assert probe.numerics() == ["433"]
    probe.send("NICK probe")
    assert "001" in probe.numerics()
    guesser = world.irc()
    guesser.send("NICK alice", "USER g 0 * :G")
    assert guesser.numerics() == ["464", "ERROR"]


# --- line lengths --------------------------------------------------------------------------


def test_long_texts_from_text_users_fit_irc_lines(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    alice.send("JOIN #lobby")
    long = "ü" * 2000
    bob.send(f"/away {long}", f"/topic {long}")
    alice.send("PRIVMSG bob :hi", "TOPIC #lobby", "LIST", "WHOIS bob")
    bob.send(f"/quit {long}")
    lines = alice.lines()
    assert_valid_lines(lines)
    assert {"301", "332", "322", "QUIT", "TOPIC"} <= {parse(line).command for line in lines}


def test_topic_kick_and_away_lengths_are_bytes() -> None:
    world = World(Config(host="127.0.0.1", port=0, console=False, server_name="irc.test"))
    alice = world.irc("alice")
    alice.send("JOIN #r", f"TOPIC #r :{'é' * 300}", "AWAY :" + "é" * 200)
    alice.lines()
    view = world.hub.room("r")
    assert len(view.topic.encode()) <= 390
    assert len(alice.member.away.encode()) <= 200


def test_a_long_privmsg_between_irc_users_arrives_in_valid_lines(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    alice.lines()
    bob.lines()
    for text in ("x" * 490, "é" * 245, "a b" * 160, "\r" * 10 + "y" * 400):
        line = f"PRIVMSG #r :{text}"[:500]
        alice.send(line)
        assert_valid_lines(bob.lines())
