"""Talking: broadcast, order, private messages, names, rooms and the everyday commands."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.integration.conftest import Harness

STAMP = r"\[\d\d:\d\d:\d\d\]"


def test_welcome_names_the_client_and_others_see_the_join(harness: Harness) -> None:
    first = harness.connect()
    second = harness.open()
    welcome = second.expect(r"^\* Welcome")
    assert re.fullmatch(r"\* Welcome to chinwag, Client-2! You are in lobby\.", welcome)
    assert "/nick" in second.expect(r"^\* Choose")
    assert "/help" in second.received[-1]
    first.expect(r"^\* Client-2 joined the chat$")


def test_a_message_reaches_everyone_else_stamped_and_without_echo(harness: Harness) -> None:
    clients = [harness.connect(f"user{i}") for i in range(12)]
    clients[0].send("hello, everyone")
    for other in clients[1:]:
        other.expect(f"^{STAMP} user0: hello, everyone$")
    assert not any("hello" in line for line in clients[0].round_trip())


def test_each_senders_lines_arrive_in_order_and_whole(harness: Harness) -> None:
    alice, bob, carol = (harness.connect(n) for n in ("alice", "bob", "carol"))
    count = 300
    alice.send(*(f"a{i:04d} " + "x" * 50 for i in range(count)))
    bob.send(*(f"b{i:04d} " + "y" * 50 for i in range(count)))
    for i in range(count):
        carol.expect(f"^{STAMP} alice: a{i:04d} x{{50}}$")
    seen_b = [line for line in carol.received if " bob: " in line]
    carol.quiet_for(0.01)
    for i in range(count):
        bob_line = f" bob: b{i:04d} " + "y" * 50
        assert any(line.endswith(bob_line) for line in carol.received), i
    assert len(seen_b) <= count
    indices = [int(line.split("bob: b")[1][:4]) for line in carol.received if " bob: " in line]
    assert indices == sorted(indices)


def test_everyone_talking_at_once_hears_everyone_else_once_and_in_order(
    harness: Harness,
) -> None:
    # Lines from many senders to one room are handed out together, and each member gets
    # them without its own: nothing lost, nothing doubled, nothing echoed, each sender's
    # lines in the order sent.
    names = [f"talker{n}" for n in range(6)]
    clients = [harness.connect(name) for name in names]
    count = 100
    for name, client in zip(names, clients, strict=True):
        client.send(*(f"{name}-{i:03d}" for i in range(count)))
    for name, client in zip(names, clients, strict=True):
        others = [other for other in names if other != name]
        client.expect(f"^{STAMP} {others[-1]}: {others[-1]}-{count - 1:03d}$")
        for other in others:
            client.saw(f"^{STAMP} {other}: {other}-{count - 1:03d}$")
        client.quiet_for(0.05)
        said = [line.split(": ", 1)[1] for line in client.received if re.match(STAMP, line)]
        for other in others:
            mine = [text for text in said if text.startswith(f"{other}-")]
            assert mine == [f"{other}-{i:03d}" for i in range(count)], other
        assert not any(text.startswith(f"{name}-") for text in said)


def test_cyrillic_messages_round_trip(harness: Harness) -> None:
    olena, ivan = harness.connect("Олена"), harness.connect("Іван")
    olena.send("Привіт, як справи? Всё хорошо 👋")
    ivan.expect(f"^{STAMP} Олена: Привіт, як справи\\? Всё хорошо 👋$")


def test_private_message_goes_to_one_user_only(harness: Harness) -> None:
    alice, bob, carol = (harness.connect(n) for n in ("alice", "bob", "carol"))
    alice.send("/msg BOB just between us")
    bob.expect(rf"^{STAMP} \*alice\* just between us$")
    assert not any("between us" in line for line in carol.round_trip())
    alice.send("/msg nobody hello")
    alice.expect(r"^! there is no user called nobody$")
    alice.send("/msg bob")
    alice.expect(r"^! usage: /msg NAME TEXT$")


def test_nick_changes_are_announced_and_collisions_refused(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect()
    alice.expect(r"^\* Client-2 joined the chat$")
    bob.send("/nick ALICE")
    bob.expect(r"^! the name ALICE is taken$")
    for reserved in ("admin", "Server", "SYSTEM", "Client-1", "client-99"):
        bob.send(f"/nick {reserved}")
        bob.expect(r"^! .*reserved")
    bob.send("/nick Client-2")
    bob.expect(r"^! you are already called Client-2$")
    bob.send("/nick bad name!")
    bob.expect(r"^! a nickname may contain only")
    bob.send("/nick " + "x" * 33)
    bob.expect(r"^! a nickname must be 1-32 characters long$")
    bob.send("/nick Боб")
    bob.expect(r"^\* you are now known as Боб$")
    alice.expect(r"^\* Client-2 is now known as Боб$")
    alice.send("/nick Alice")  # a change of case is still a change
    bob.expect(r"^\* alice is now known as Alice$")


def test_rooms_keep_conversations_apart(harness: Harness) -> None:
    alice, bob, carol = (harness.connect(n) for n in ("alice", "bob", "carol"))
    bob.send("/join dev")
    bob.expect(r"^\* you are now in dev \(1 here\)$")
    alice.expect(r"^\* bob left lobby$")
    carol.send("/join DEV")
    carol.expect(r"^\* you are now in dev \(2 here\)$")
    bob.expect(r"^\* carol joined dev$")
    carol.send("in dev only")
    bob.expect(f"^{STAMP} carol: in dev only$")
    alice.send("/rooms")
    alice.expect(r"^\* rooms: lobby \(1\), dev \(2\)$")
    assert not any("in dev only" in line for line in alice.round_trip())
    alice.send("in lobby only")
    alice.round_trip()  # handled, and handed to whoever it was for
    assert not any("in lobby only" in line for line in bob.round_trip())
    bob.send("/leave")
    bob.expect(r"^\* you are now in lobby \(2 here\)$")
    carol.expect(r"^\* bob left dev$")
    alice.expect(r"^\* bob joined lobby$")
    bob.send("/leave")
    bob.expect(r"^! you are in the lobby already$")
    bob.send("/join lobby")
    bob.expect(r"^! you are already in lobby$")
    bob.send("/join no spaces")
    bob.expect(r"^! a room name may contain only")


def test_who_lists_the_room_with_connect_and_idle_time(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    for command in ("/who", "/users"):
        alice.send(command)
        alice.expect(r"^\* 2 users in lobby:$")
        alice.expect(r"^\*   alice - connected \d\d:\d\d:\d\d, idle \d+s$")
        alice.expect(r"^\*   bob - connected \d\d:\d\d:\d\d, idle \d+s$")
    bob.send("/join dev")
    alice.expect(r"^\* bob left lobby$")
    alice.send("/who dev")
    alice.expect(r"^\* 1 user in dev:$")


def test_me_help_and_unknown_commands(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send("/me waves")
    bob.expect(rf"^{STAMP} \* alice waves$")
    alice.send("//join is not a command here")
    bob.expect(f"^{STAMP} alice: /join is not a command here$")
    alice.send("/frobnicate now")
    alice.expect(r"^! unknown command /frobnicate, try /help$")
    alice.send("/help")
    alice.expect(r"^\* commands:$")
    help_lines = [alice.expect(r"^\*   /nick NAME"), alice.expect(r"^\*   /msg NAME TEXT")]
    assert all("  " in line for line in help_lines)
    assert not any("/kick" in line for line in alice.received)  # operators only
    alice.send("/help msg")
    alice.expect(r"^\* /msg NAME TEXT: a private message to one user \(also /query, /tell\)$")
    before = len(alice.received)
    alice.send("", "   ", "\r")  # empty lines are ignored: no error, no message
    alice.send("/rooms")
    alice.expect(r"^\* rooms: ")
    assert alice.received[before:] == ["* rooms: lobby (2)"]


def test_exit_and_quit_say_goodbye_and_tell_the_room(harness: Harness) -> None:
    alice, bob, carol = (harness.connect(n) for n in ("alice", "bob", "carol"))
    bob.send("/quit off to lunch")
    assert bob.expect_closed()[-1] == "* Goodbye, bob!"
    alice.expect(r"^\* bob left the chat \(off to lunch\)$")
    carol.send("exit")
    assert carol.expect_closed()[-1] == "* Goodbye, carol!"
    alice.expect(r"^\* carol left the chat$")
    harness.log.wait_for(r"^\[SERVER\] Removed connection for Client-[23]$", count=2)
    assert len(harness.server.registry) == 1


def test_joining_shows_the_topic_and_connecting_shows_the_motd_and_the_lobby_topic(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(motd="Be kind.\\nNo spam.")
    alice = harness.open()
    alice.expect(r"^\* Choose a name")
    alice.expect(r"^\* Be kind\.$")  # after the welcome
    alice.expect(r"^\* No spam\.$")
    alice.send("/nick alice")
    alice.send("/topic say hello")
    alice.expect(r"^\* alice set the topic of lobby: say hello$")
    alice.send("/join #dev", "/topic ship it")
    alice.expect(r"^\* alice set the topic of dev: ship it$")
    bob = harness.open()
    bob.expect(r"^\* Welcome to chinwag, Client-2!")
    bob.expect(r"^\* Be kind\.$")
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    bob.expect(rf"^\* topic: say hello \(set by alice, {when}\)$")
    bob.send("/join #dev")
    bob.expect(r"^\* you are now in dev \(2 here\)$")
    bob.expect(rf"^\* topic: ship it \(set by alice, {when}\)$")


def test_away_shows_in_who_whois_and_answers_private_messages(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    bob.send("/away at lunch")
    bob.expect(r"^\* you are marked away: at lunch$")
    alice.send("/msg bob are you there?")
    alice.expect(r"^\* bob is away: at lunch$")
    bob.expect(f"^{STAMP} \\*alice\\* are you there\\?$")
    alice.send("/who")
    alice.expect(r"^\*   bob - connected \d\d:\d\d:\d\d, idle \d+s, away: at lunch$")
    alice.send("/whois bob")
    alice.expect(r"^\* bob$")
    alice.expect(r"^\*   rooms: lobby$")
    alice.expect(r"^\*   connected since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, idle \d+s$")
    alice.expect(r"^\*   away: at lunch$")
    bob.send("/away")
    bob.expect(r"^\* you are no longer marked away$")
    alice.send("/query bob welcome back", "/rooms")
    bob.expect(f"^{STAMP} \\*alice\\* welcome back$")
    alice.expect(r"^\* rooms: lobby \(2\)$")  # the barrier: the answer to /query came first
    assert alice.received.count("* bob is away: at lunch") == 1


def test_irc_habits_list_names_and_rooms_written_with_a_hash(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send("/join #dev")
    alice.expect(r"^\* you are now in dev \(1 here\)$")
    bob.send("/list")
    bob.expect(r"^\* rooms: lobby \(1\), dev \(1\)$")
    bob.send("/names #dev")
    bob.expect(r"^\* dev \(1\): @alice$")
    bob.send("/names")
    bob.expect(r"^\* lobby \(1\): bob$")
    bob.send("/who #dev")
    bob.expect(r"^\* 1 user in dev:$")
