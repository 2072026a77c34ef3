"""Over loopback, text and IRC users see the same: no secret rooms or invisible users from
outside, and cloaked hosts except one's own and, for operators, everyone's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chinwag.passwords import hash_password
from tests.irc.conftest import IrcHarness, LineSocket

LOOPBACK = "127.0.0.1"


@pytest.fixture(scope="module")
def oper_hash() -> str:
    return hash_password("root")


@pytest.fixture
def server(make_irc_server: Callable[..., IrcHarness], oper_hash: str) -> IrcHarness:
    return make_irc_server(oper_password_hash=oper_hash)


def test_text_rooms_leaves_out_a_secret_room_it_is_not_in(server: IrcHarness) -> None:
    alice = server.irc("alice")
    alice.send("JOIN #open", "JOIN #hideout", "MODE #hideout +s")
    alice.expect(r"^:alice!\S+ MODE #hideout \+s$")
    bob = server.text("bob")
    bob.send("/rooms")
    listing = bob.expect(r"^\* rooms: ")
    assert "open (1)" in listing
    assert "hideout" not in listing
    alice.send("MODE #open +s")
    alice.expect(r"^:alice!\S+ MODE #open \+s$")
    bob.send("/join hideout", "/rooms")  # from inside, it is listed
    assert "hideout (2)" in bob.expect(r"^\* rooms: ")


def test_text_who_room_hides_invisible_users_from_outsiders(server: IrcHarness) -> None:
    carol = server.irc("carol")
    carol.send("MODE carol +i", "JOIN #den")
    carol.expect(r" 366 carol #den ")
    dave = server.irc("dave")
    dave.send("JOIN #den")
    dave.expect(r" 366 dave #den ")
    bob = server.text("bob")
    bob.send("/who den")
    assert bob.expect(r"^\* \d+ users? in den:$") == "* 1 user in den:"
    assert bob.expect(r"^\*   ").startswith("*   dave ")
    bob.send("/rooms")  # a barrier: its answer comes after any further /who line
    bob.expect(r"^\* rooms: ")
    assert not any("carol" in line for line in bob.received)
    carol.send("MODE #den +s")
    carol.expect(r"^:carol!\S+ MODE #den \+s$")
    bob.send("/who den")
    assert bob.expect(r"^\* \d+ users? in den:$") == "* 0 users in den:"


def test_irc_hosts_are_cloaked_except_for_oneself_and_operators(server: IrcHarness) -> None:
    cloak = server.server.hub.cloak(LOOPBACK)
    alice = server.irc("alice")
    bob = server.irc("bob")
    alice.send("JOIN #lobby")
    alice.expect(r" 366 alice #lobby ")
    bob.send("JOIN #lobby")
    bob.expect(r" 366 bob #lobby ")

    bob.send("WHOIS alice")
    assert bob.expect(r" 311 bob alice ").split(" ")[5] == cloak
    assert [line.split(" ")[5] for line in _who_lines(bob, "alice")] == [cloak]
    hosts = {line.split(" ")[7]: line.split(" ")[5] for line in _who_lines(bob, "#lobby")}
    assert hosts == {"alice": cloak, "bob": LOOPBACK}
    bob.send("WHO *@127.0.0.1")  # a mask cannot find the address behind a cloak
    assert [line.split(" ")[7] for line in _who_lines(bob, "*@127.0.0.1")] == ["bob"]

    bob.send("PRIVMSG #lobby :hello")
    assert alice.expect(r" PRIVMSG #lobby :hello$").startswith(f":bob!bob@{cloak} ")

    alice.send("WHOIS alice")
    assert alice.expect(r" 311 alice alice ").split(" ")[5] == LOOPBACK

    bob.send("OPER bob root")
    bob.expect(r" 381 bob ")
    bob.send("WHOIS alice")
    assert bob.expect(r" 311 bob alice ").split(" ")[5] == LOOPBACK
    hosts = {line.split(" ")[7]: line.split(" ")[5] for line in _who_lines(bob, "#lobby")}
    assert hosts == {"alice": LOOPBACK, "bob": LOOPBACK}


def test_irc_list_and_names_of_a_secret_channel_from_outside(server: IrcHarness) -> None:
    alice = server.irc("alice")
    alice.send("JOIN #hideout", "MODE #hideout +s")
    alice.expect(r"^:alice!\S+ MODE #hideout \+s$")
    bob = server.irc("bob")
    bob.send("LIST", "NAMES #hideout")
    bob.expect(r" 323 bob ")
    assert bob.expect(r" (353|366) bob ").endswith("#hideout :End of /NAMES list")
    assert not any("#hideout" in line and " 322 " in line for line in bob.received)


def _who_lines(client: LineSocket, mask: str) -> list[str]:
    """The 352 lines of one WHO, up to its 315."""
    client.send(f"WHO {mask}")
    lines = []
    while " 315 " not in (line := client.expect(r" (352|315) ")):
        lines.append(line)
    return lines
