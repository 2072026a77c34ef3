"""Who sees which rooms, members and addresses: the rules, and the hub queries that use them."""

from __future__ import annotations

import re

import pytest

from chinwag.hub import modes, visibility
from chinwag.hub.events import RoomMessage
from chinwag.hub.hub import Hub, Member
from chinwag.hub.model import Room
from tests.unit.fakes import fan_out, fixed_clock, make_member

SECRET = b"a fixed secret for the tests"


@pytest.fixture
def hub() -> Hub:
    return Hub(clock=fixed_clock, cloak_secret=SECRET)


def enter(hub: Hub, client_id: str, address: str, *rooms: str, lobby: bool = False) -> Member:
    """A member in ``rooms`` (and in the lobby only if ``lobby``)."""
    member = make_member(client_id, address)
    hub.add(member)
    for room in rooms:
        hub.join(member, room)
    if not lobby:
        hub.part(member, "lobby")
    return member


def make_secret(hub: Hub, actor: Member, room: str) -> None:
    hub.change_modes(actor, room, [modes.ModeChange(True, "s")])


def nicks(seen: tuple[visibility.Seen, ...]) -> set[str]:
    return {entry.nick for entry in seen}


# --- the cloak -------------------------------------------------------------------------------


def test_a_cloak_is_stable_opaque_and_keyed() -> None:
    one = visibility.cloak(SECRET, "10.0.0.1")
    assert re.fullmatch(r"[0-9a-f]{8}\.[0-9a-f]{8}\.[0-9a-f]{8}\.ip", one)
    assert visibility.cloak(SECRET, "10.0.0.1") == one
    assert visibility.cloak(SECRET, "10.0.0.2") != one
    assert visibility.cloak(b"another secret", "10.0.0.1") != one
    assert "10.0.0.1" not in one


def test_each_hub_has_its_own_random_secret() -> None:
    assert Hub().cloak("10.0.0.1") != Hub().cloak("10.0.0.1")


def test_arriving_members_carry_their_cloak_in_every_prefix(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", lobby=True)
    bob = enter(hub, "Client-2", "10.0.0.2", lobby=True)
    assert ann.cloak == visibility.cloak(SECRET, "10.0.0.1")
    assert ann.userhost == f"Client-1@{ann.cloak}"
    [event] = fan_out(hub.say(ann, "lobby", "hi"))[bob]
    assert isinstance(event, RoomMessage) and event.userhost == ann.userhost
    assert "10.0.0.1" not in event.userhost


def test_registered_members_are_cloaked_with_their_username(hub: Hub) -> None:
    ann = make_member("Client-1", "10.0.0.1")
    hub.register(ann, "ann", "annie")
    assert ann.userhost == f"annie@{visibility.cloak(SECRET, '10.0.0.1')}"


# --- addresses ---------------------------------------------------------------------------------


def test_the_real_address_is_shown_only_to_oneself_and_operators(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", lobby=True)
    bob = enter(hub, "Client-2", "10.0.0.2", lobby=True)
    assert visibility.shown_host(ann, ann) == "10.0.0.1"
    assert visibility.shown_host(bob, ann) == ann.cloak
    assert hub.whois(bob, "Client-1").address == ann.cloak
    assert hub.whois(ann, "Client-1").address == "10.0.0.1"
    assert {e.host for e in hub.who(bob, "lobby")} == {ann.cloak, "10.0.0.2"}
    bob.operator = True
    assert hub.whois(bob, "Client-1").address == "10.0.0.1"
    assert {e.host for e in hub.who_all(bob)} == {"10.0.0.1", "10.0.0.2"}


def test_room_bans_match_the_address_or_the_cloak(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", lobby=True)
    room = Room("den")
    room.bans["*!*@10.0.0.*"] = ("op", fixed_clock())
    assert room.banned(ann)
    room.bans.clear()
    room.bans[f"*!*@{ann.cloak}"] = ("op", fixed_clock())
    assert room.banned(ann)
    room.bans.clear()
    room.bans["*!*@*.ip"] = ("op", fixed_clock())
    assert room.banned(ann)
    room.bans.clear()
    room.bans["*!*@10.9.*"] = ("op", fixed_clock())
    assert not room.banned(ann)


# --- secret rooms --------------------------------------------------------------------------------


def test_a_secret_room_is_listed_only_to_its_members_and_operators(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", "hideout", "open")
    bob = enter(hub, "Client-2", "10.0.0.2", lobby=True)
    oper = enter(hub, "Client-3", "10.0.0.3", lobby=True)
    oper.operator = True
    make_secret(hub, ann, "hideout")
    assert [v.name for v in hub.room_views(ann)] == ["lobby", "hideout", "open"]
    assert [v.name for v in hub.room_views(bob)] == ["lobby", "open"]
    assert [v.name for v in hub.room_views(oper)] == ["lobby", "hideout", "open"]
    assert hub.whois(bob, "Client-1").rooms == (("open", "@"),)
    assert hub.whois(oper, "Client-1").rooms == (("hideout", "@"), ("open", "@"))


def test_who_of_a_secret_room_from_outside_shows_nobody(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", "hideout")
    bob = enter(hub, "Client-2", "10.0.0.2", lobby=True)
    make_secret(hub, ann, "hideout")
    assert hub.who(bob, "hideout") == ()
    assert hub.who(bob, "nowhere") == ()
    assert nicks(hub.who(ann, "hideout")) == {"Client-1"}
    bob.operator = True
    assert nicks(hub.who(bob, "hideout")) == {"Client-1"}


# --- invisible members ----------------------------------------------------------------------------


def test_invisible_members_are_listed_only_to_those_who_share_a_room(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", "den", "attic")
    bob = enter(hub, "Client-2", "10.0.0.2", "den")
    outsider = enter(hub, "Client-3", "10.0.0.3", lobby=True)
    friend = enter(hub, "Client-4", "10.0.0.4", "attic")
    hub.set_invisible(ann, True)
    assert nicks(hub.who(outsider, "den")) == {"Client-2"}
    assert nicks(hub.who(bob, "den")) == {"Client-1", "Client-2"}
    assert nicks(hub.who(friend, "den")) == {"Client-1", "Client-2"}  # they share the attic
    assert "Client-1" not in nicks(hub.who_all(outsider))
    assert "Client-1" in nicks(hub.who_all(friend))
    assert "Client-1" in nicks(hub.who_all(ann))
    outsider.operator = True
    assert nicks(hub.who(outsider, "den")) == {"Client-1", "Client-2"}
    assert "Client-1" in nicks(hub.who_all(outsider))


def test_who_carries_each_members_marks_in_the_room(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1", "den")
    enter(hub, "Client-2", "10.0.0.2", "den")
    assert {e.nick: e.marks for e in hub.who(ann, "den")} == {
        "Client-1": "@",
        "Client-2": "",
    }


def test_the_rules_alone() -> None:
    ann, bob = make_member("Client-1", "10.0.0.1"), make_member("Client-2", "10.0.0.2")
    room = Room("den", "nts")
    room.add(ann)
    ann.rooms["den"] = "den"
    assert visibility.can_see_room(ann, room) and not visibility.can_see_room(bob, room)
    assert visibility.visible_members(bob, room) == ()
    room.flags.discard("s")
    ann.invisible = True
    assert visibility.visible_members(bob, room) == ()
    assert visibility.visible_members(ann, room) == (ann,)
    assert not visibility.can_see_member(bob, ann) and visibility.can_see_member(ann, ann)
    bob.operator = True
    assert visibility.can_see_member(bob, ann)
    assert visibility.visible_members(bob, room) == (ann,)
