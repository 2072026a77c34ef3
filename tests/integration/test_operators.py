"""Operators: /op, /kick, /ban, /unban, /bans, /wall, and the server console."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from chinwag.passwords import hash_password
from chinwag.server.console import Console
from chinwag.server.dispatch import deliver
from tests.integration.conftest import STAMP_RE, Harness, LineClient

PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def ops(make_harness: Callable[..., Harness], password_hash: str) -> Harness:
    return make_harness(oper_password_hash=password_hash)


def make_operator(client: LineClient) -> None:
    client.send(f"/op {PASSWORD}")
    client.expect(r"^\* you are now an operator$")


def test_without_a_configured_password_nobody_is_operator(harness: Harness) -> None:
    alice = harness.connect("alice")
    alice.send("/op anything")
    alice.expect(r"^! this server has no operators$")
    alice.send("/kick alice")
    alice.expect(r"^! only operators can do that$")


def test_wrong_password_is_refused_and_logged(ops: Harness) -> None:
    alice = ops.connect("alice")
    alice.send("/op guess")
    alice.expect(r"^! wrong operator password$")
    ops.log.wait_for(
        r"^\[SERVER\] Client-1 \(alice\) gave a wrong operator password from 127\.0\.0\.1$"
    )
    alice.send("/wall hi")
    alice.expect(r"^! only operators can do that$")


def test_operator_kicks_a_user(ops: Harness) -> None:
    alice, bob, carol = (ops.connect(n) for n in ("alice", "bob", "carol"))
    make_operator(alice)
    alice.send("/who")
    alice.expect(r"^\*   alice \(operator\) - connected")
    alice.send("/kick bob flooding")
    assert bob.expect_closed()[-1] == "* You were kicked by alice: flooding"
    carol.expect(r"^\* bob left the chat \(kicked by alice: flooding\)$")
    # One line for everyone in the room, the operator too: no "bob was kicked" besides.
    alice.expect(r"^\* bob left the chat \(kicked by alice: flooding\)$")
    alice.send("/who")
    alice.expect(r"^\* 2 users in lobby:$")
    assert not any("was kicked" in line for line in alice.received)
    ops.log.wait_for(r"^\[SERVER\] alice kicked Client-2 \(bob\) \(flooding\)$")
    ops.log.wait_for(r"^\[SERVER\] Removed connection for Client-2$")
    alice.send("/kick nobody")
    alice.expect(r"^! there is no user called nobody$")


def test_ban_refuses_the_address_until_lifted(ops: Harness) -> None:
    alice = ops.connect("alice")
    mallory = ops.connect("mallory", source="127.0.0.2")
    make_operator(alice)
    alice.send("/ban mallory 5")
    alice.expect(r"^\* 127\.0\.0\.2 is banned for 5 minutes$")
    assert mallory.expect_closed()[-1] == "* You were banned by alice"
    ops.log.wait_for(r"^\[SERVER\] alice banned 127\.0\.0\.2 \(mallory\) for 5 minutes$")

    again = LineClient(ops.server.address, "127.0.0.2")
    ops.clients.append(again)
    assert again.expect_closed()[0].startswith("! You are banned from this server until ")
    ops.log.wait_for(r"^\[SERVER\] Refused connection from 127\.0\.0\.2: banned$")
    ops.connect("fine")  # other addresses still get in

    alice.send("/bans")
    alice.expect(r"^\* 127\.0\.0\.2 \(mallory\) by alice until \d\d:\d\d:\d\d$")
    alice.send("/unban mallory")
    alice.expect(r"^\* the ban on 127\.0\.0\.2 is lifted$")
    ops.connect("back", source="127.0.0.2")
    alice.send("/unban 127.0.0.2")
    alice.expect(r"^! 127\.0\.0\.2 is not banned$")
    alice.send("/bans")
    alice.expect(r"^\* no bans$")


def test_ban_by_address_disconnects_everyone_there_but_the_operator(ops: Harness) -> None:
    alice = ops.connect("alice", source="127.0.0.3")
    bots = [ops.connect(f"bot{i}", source="127.0.0.3") for i in range(3)]
    make_operator(alice)
    alice.send("/ban 127.0.0.3")  # the operator's own address: only when they insist
    alice.expect(
        r"^! 127\.0\.0\.3 covers your own address \(127\.0\.0\.3\): .* /ban 127\.0\.0\.3 force "
    )
    alice.send("/ban 127.0.0.3 force")
    alice.expect(r"^\* 127\.0\.0\.3 is banned for good$")
    for bot in bots:
        assert bot.expect_closed()[-1] == "* You were banned by alice"
    alice.send("/ban nosuch")
    alice.expect(r"^! there is no user or address called nosuch$")
    alice.send("/ban bot0 soon")
    alice.expect(r"^! usage: /ban NAME\|IP\[/BITS\] \[MINUTES\] \[force\]$")


def test_ban_by_name_disconnects_every_connection_it_covers(ops: Harness) -> None:
    alice = ops.connect("alice")
    mallory = ops.connect("mallory", source="127.0.0.4")
    sock = ops.connect("sock", source="127.0.0.4")
    bystander = ops.connect("bystander", source="127.0.0.5")
    make_operator(alice)
    alice.send("/ban mallory")
    alice.expect(r"^\* 127\.0\.0\.4 is banned for good$")
    assert mallory.expect_closed()[-1] == "* You were banned by alice"
    assert sock.expect_closed()[-1] == "* You were banned by alice"
    alice.send("/ban 127.0.0.8/29")
    alice.expect(r"^\* 127\.0\.0\.8/29 is banned for good$")
    inside = LineClient(ops.server.address, "127.0.0.13")
    ops.clients.append(inside)
    assert inside.expect_closed()[0].startswith("! You are banned from this server")
    bystander.send("still here")  # a round trip: the bystander was not disconnected
    alice.expect(r"bystander: still here$")


def test_wall_reaches_every_room(ops: Harness) -> None:
    alice, bob = ops.connect("alice"), ops.connect("bob")
    bob.send("/join elsewhere")
    bob.expect(r"^\* you are now in elsewhere")
    make_operator(alice)
    alice.send("/wall maintenance at noon")
    for client in (alice, bob):
        client.expect(f"^{STAMP_RE} \\*\\*\\* Notice from alice: maintenance at noon$")


def test_console_commands_act_as_an_operator(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    out = io.StringIO()
    console = Console(harness.server, out)
    deliver(console.handle("who"), console.router)
    assert "* 2 users in the chat:" in out.getvalue()
    deliver(console.handle("/wall hello from the console"), console.router)
    alice.expect(f"^{STAMP_RE} \\*\\*\\* Notice from server: hello from the console$")
    deliver(console.handle("kick bob enough"), console.router)
    assert bob.expect_closed()[-1] == "* You were kicked by server: enough"
    deliver(console.handle("quit"), console.router)
    assert "! the console cannot quit; press Ctrl-C to stop the server" in out.getvalue()
    deliver(console.handle("plain text is a notice"), console.router)
    alice.expect(r"\*\*\* Notice from server: plain text is a notice$")


def test_an_operator_is_asked_before_banning_their_own_address(ops: Harness) -> None:
    alice = ops.connect("alice", source="127.0.0.6")
    twin = ops.connect("twin", source="127.0.0.6")
    make_operator(alice)
    alice.send("/ban twin")
    alice.expect(r"^! twin connects from your address \(127\.0\.0\.6\): .* /ban twin force ")
    twin.send("/who")  # the barrier: twin is still here after the refusal
    twin.expect(r"^\* 2 users in lobby:$")
    alice.send("/ban twin 1 force")
    alice.expect(r"^\* 127\.0\.0\.6 is banned for 1 minute$")
    assert twin.expect_closed()[-1] == "* You were banned by alice"


def test_a_ban_set_while_a_connection_waits_to_enter_keeps_it_out(
    make_harness: Callable[..., Harness], password_hash: str
) -> None:
    """Accepted before the ban (it passed the accept thread's check), not yet a member
    (it has not given the server password), so the ban does not disconnect it: entering
    is refused instead."""
    harness = make_harness(oper_password_hash=password_hash, password="open sesame")
    alice = harness.open()
    alice.send("/pass open sesame", "/nick alice")
    alice.expect(r"^\* you are now known as alice$")
    make_operator(alice)
    mallory = harness.open(source="127.0.0.2")
    mallory.expect(r"^\* This server needs a password")
    alice.send("/ban 127.0.0.2 5")
    alice.expect(r"^\* 127\.0\.0\.2 is banned for 5 minutes$")
    mallory.send("/pass open sesame")
    rest = mallory.expect_closed()
    assert rest[-1].startswith("* You are banned from this server until "), rest
    assert not any("Welcome" in line for line in rest)
    harness.log.wait_for(r"^\[SERVER\] Refused Client-2 from 127\.0\.0\.2: banned$")
    alice.send("/who lobby")
    alice.expect(r"^\* 1 user in lobby")
