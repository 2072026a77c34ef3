"""Hostile input over loopback: clients stay connected and every line on the wire is valid."""

from __future__ import annotations

import time

from chinwag.hub.hub import Member
from chinwag.irc.message import MAX_LINE_BYTES, parse
from tests.irc.conftest import IrcHarness, LineSocket


def barrier(client: LineSocket, token: str) -> None:
    """Everything sent before now has been answered once the PONG arrives."""
    client.send(f"PING :{token}")
    client.expect(f"PONG .*{token}")


def assert_valid_wire(client: LineSocket) -> None:
    for line in client.received:  # already split at "\n", a trailing "\r" removed
        body = line.partition(" ")[2] if line.startswith("@") else line
        assert len(body.encode()) + 2 <= MAX_LINE_BYTES, line
        assert "\r" not in line and "\0" not in line, line
        parse(line)


def test_malformed_parameters_before_registration_keep_the_client(irc_server: IrcHarness) -> None:
    client = irc_server.raw_irc()
    client.send("NICK :a b", "NICK ::x", "CAP :LS 302", "WHOIS :no such", "MODE :a b")
    barrier(client, "one")
    client.send("NICK fine", "USER u 0 * :U")
    client.expect(" 001 ")
    client.send("JOIN :#a b", "NAMES :#a b", "MODE #lobby +l ²", "TOPIC :#a b")
    barrier(client, "two")
    assert_valid_wire(client)
    codes = [parse(line).command for line in client.received]
    assert {"432", "410", "451", "403", "696"} <= set(codes), codes


def test_a_key_set_by_a_text_user_never_breaks_mode_on_join(irc_server: IrcHarness) -> None:
    text = irc_server.text("bob")
    text.send("/join room", "/mode +k :k", "/mode +bb :y :z")
    text.expect("^! ")
    text.expect("^! ")
    irc = irc_server.irc("alice")
    irc.send("JOIN #room", "MODE #room", "MODE #room b")  # as irssi does on join
    irc.expect(" 324 alice #room ")
    irc.expect(" 368 ")
    barrier(irc, "joined")
    assert_valid_wire(irc)


def test_a_long_privmsg_between_irc_users_is_valid_on_the_wire(irc_server: IrcHarness) -> None:
    alice = irc_server.irc("alice")
    bob = irc_server.raw_irc()
    bob.send("CAP REQ :server-time", "NICK bob", "USER b 0 * :B", "CAP END")
    bob.expect(" 001 ")
    alice.send("JOIN #r")
    bob.send("JOIN #r")
    bob.expect(" 366 ")
    for text in ("x" * 480, "é" * 240, "ab " * 160, "\x01ACTION " + "y" * 470 + "\x01"):
        alice.send(f"PRIVMSG #r :{text}"[:509], f"PRIVMSG bob :{text}"[:509])
    barrier(alice, "sent")
    barrier(bob, "read")
    assert sum(" PRIVMSG " in line for line in bob.received) >= 8
    assert_valid_wire(bob)


def test_a_list_of_20000_channels_is_quick_and_shutdown_does_not_wait(
    irc_server: IrcHarness,
) -> None:
    owner = Member("Client-0", "10.0.0.1")
    hub = irc_server.server.hub
    hub.max_rooms_per_member = hub.max_rooms = 30_000
    hub.register(owner, "owner")
    for number in range(20_000):
        irc_server.server.hub.join(owner, f"room{number}")
    client = irc_server.irc("alice")
    started = time.monotonic()
    client.send("LIST")
    client.expect(" 323 ", timeout=10)
    assert time.monotonic() - started < 5  # generous; about 0.3 s on a loaded laptop
    client.send("LIST")
    started = time.monotonic()
    irc_server.server.shutdown()
    assert time.monotonic() - started < 5
