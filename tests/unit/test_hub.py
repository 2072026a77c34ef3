"""The hub's rules and who receives what, with members on fake endpoints."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from chinwag.hub import errors, modes
from chinwag.hub.bans import Ban, BanList
from chinwag.hub.events import (
    BanLifted,
    BanSet,
    BecameOperator,
    Disconnected,
    Farewell,
    Joined,
    NickChanged,
    Parted,
    PrivateMessage,
    Quit,
    RoomMessage,
    Wall,
)
from chinwag.hub.hub import Hub, Member
from tests.unit.conftest import OPER_PASSWORD
from tests.unit.fakes import NOON, fan_out, fixed_clock, make_member


@pytest.fixture
def hub() -> Hub:
    return Hub(clock=fixed_clock)


def enter(hub: Hub, client_id: str, address: str = "10.0.0.1") -> Member:
    member = make_member(client_id, address)
    hub.add(member)
    return member


@pytest.fixture
def trio(hub: Hub) -> tuple[Member, Member, Member]:
    return (
        enter(hub, "Client-1", "10.0.0.1"),
        enter(hub, "Client-2", "10.0.0.2"),
        enter(hub, "Client-3", "10.0.0.3"),
    )


# --- arriving and leaving ------------------------------------------------------------------


def test_first_arrival_is_announced_to_nobody(hub: Hub) -> None:
    assert fan_out(hub.add(make_member("Client-1"))) == {}


def test_arrival_is_announced_once_to_the_lobby_but_not_to_the_newcomer(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(bob, "games")
    hub.part(bob, "lobby")
    cat = make_member("Client-3")
    assert fan_out(hub.add(cat)) == {ann: [Joined("Client-3", "lobby", connected=True)]}
    assert hub.find("client-3") is cat
    assert cat.rooms == {"lobby": "lobby"}


def test_a_generated_name_already_present_is_refused(hub: Hub) -> None:
    enter(hub, "Client-1")
    with pytest.raises(errors.NameInUse):
        hub.add(make_member("Client-1"))


def test_departure_is_announced_once_to_everyone_sharing_a_room(hub: Hub) -> None:
    ann, bob, cat, dan = (enter(hub, f"Client-{n}") for n in range(1, 5))
    for member, room in [(ann, "games"), (cat, "games"), (cat, "dev"), (dan, "other")]:
        hub.join(member, room)
    hub.part(cat, "lobby")
    hub.part(dan, "lobby")
    # bob shares the lobby, cat shares games; cat is told once although it is in two rooms
    # (games and dev) and ann only in one; dan shares nothing with ann.
    assert fan_out(hub.remove(ann, "bye")) == {
        bob: [Quit("Client-1", "bye")],
        cat: [Quit(ann.nick, "bye")],
    }
    assert hub.find("Client-1") is None
    assert ann not in hub.members()
    assert ann not in hub.room_members("lobby")
    assert ann not in hub.room_members("games")
    assert ann.rooms == {}


def test_remove_is_idempotent(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    assert fan_out(hub.remove(ann)) == {bob: [Quit("Client-1")]}
    assert hub.remove(ann) == []
    assert hub.remove(ann, "again") == []
    assert hub.members() == (bob,)


def test_remove_of_a_stranger_changes_nothing(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    impostor = make_member("Client-1")  # same name, another connection
    assert hub.remove(impostor) == []
    assert hub.find("Client-1") is ann


def test_last_one_out_alone_tells_nobody(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    assert hub.remove(ann) == []
    assert hub.members() == ()


def test_no_notices_after_close(hub: Hub, trio: tuple[Member, Member, Member]) -> None:
    ann, bob, _ = trio
    hub.close()
    assert hub.remove(ann, "server shutting down") == []
    assert hub.find("Client-1") is None  # still removed, just not announced
    assert hub.remove(bob) == []
    assert len(hub.members()) == 1


# --- rooms ---------------------------------------------------------------------------------


def test_join_tells_the_room_but_not_the_joiner(
    hub: Hub, trio: tuple[Member, Member, Member]
) -> None:
    ann, bob, cat = trio
    hub.join(bob, "games")
    assert fan_out(hub.join(ann, "Games")) == {bob: [Joined("Client-1", "games")]}
    assert ann.rooms == {"lobby": "lobby", "games": "games"}  # the room keeps its first spelling
    assert set(hub.room_members("GAMES")) == {ann, bob}
    assert cat not in hub.room_members("games")


def test_join_a_new_room_creates_it(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    assert fan_out(hub.join(ann, "Café")) == {}
    assert hub.rooms() == [("lobby", 1), ("Café", 1)]


def test_join_twice_is_refused(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.join(ann, "games")
    with pytest.raises(errors.AlreadyInRoom, match="already in games"):
        hub.join(ann, "GAMES")
    with pytest.raises(errors.AlreadyInRoom):
        hub.join(ann, "lobby")


@pytest.mark.parametrize("room", ["", "two words", "#x", "r" * 33])
def test_join_an_invalid_room_is_refused(hub: Hub, room: str) -> None:
    ann = enter(hub, "Client-1")
    with pytest.raises(errors.InvalidName):
        hub.join(ann, room)
    assert ann.rooms == {"lobby": "lobby"}


def test_part_tells_who_stays(hub: Hub, trio: tuple[Member, Member, Member]) -> None:
    ann, bob, cat = trio
    hub.join(ann, "games")
    hub.join(bob, "games")
    assert fan_out(hub.part(ann, "GAMES", "dinner")) == {
        bob: [Parted("Client-1", "games", "dinner")]
    }
    assert "games" not in ann.rooms
    assert hub.room_members("games") == (bob,)
    assert cat not in hub.room_members("games")


def test_part_a_room_you_are_not_in_is_refused(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    with pytest.raises(errors.NotInRoom, match="not in games"):
        hub.part(ann, "games")


def test_empty_rooms_disappear_but_the_lobby_stays(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.join(ann, "games")
    hub.part(ann, "games")
    hub.part(ann, "lobby")
    assert hub.rooms() == [("lobby", 0)]
    assert hub.room_members("games") == ()


def test_rooms_lists_the_lobby_first_then_by_name(
    hub: Hub, trio: tuple[Member, Member, Member]
) -> None:
    ann, bob, cat = trio
    hub.join(ann, "zoo")
    hub.join(bob, "Zoo")
    hub.join(cat, "apes")
    hub.join(ann, "Music")
    hub.part(cat, "lobby")
    assert hub.rooms() == [("lobby", 2), ("apes", 1), ("Music", 1), ("zoo", 2)]


# --- messages ------------------------------------------------------------------------------


def test_say_reaches_the_room_but_not_the_sender(
    hub: Hub, trio: tuple[Member, Member, Member]
) -> None:
    ann, bob, cat = trio
    hub.join(ann, "games")
    hub.join(bob, "games")
    assert fan_out(hub.say(ann, "games", "hi")) == {
        bob: [RoomMessage(NOON, "Client-1", "games", "hi")]
    }
    assert fan_out(hub.say(ann, "lobby", "hey all")) == {
        bob: [RoomMessage(NOON, "Client-1", "lobby", "hey all")],
        cat: [RoomMessage(NOON, "Client-1", "lobby", "hey all")],
    }


def test_action(hub: Hub, trio: tuple[Member, Member, Member]) -> None:
    ann, bob, _ = trio
    inbox = fan_out(hub.say(ann, "lobby", "waves", action=True))
    assert inbox[bob] == [RoomMessage(NOON, "Client-1", "lobby", "waves", action=True)]


def test_say_marks_the_sender_active(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    ann.last_active = time.monotonic() - 100
    hub.say(ann, "lobby", "still here")
    assert time.monotonic() - ann.last_active < 50


def test_say_in_a_room_you_are_not_in_is_refused(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(bob, "games")
    with pytest.raises(errors.NotInRoom):
        hub.say(ann, "games", "let me in")


def test_tell_reaches_only_the_recipient(hub: Hub, trio: tuple[Member, Member, Member]) -> None:
    ann, bob, _ = trio
    hub.rename(bob, "Bob")
    assert fan_out(hub.tell(ann, "BOB", "psst")) == {
        bob: [PrivateMessage(NOON, "Client-1", "Bob", "psst")]
    }


def test_tell_an_unknown_user_raises(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    with pytest.raises(errors.NoSuchUser, match="no user called nobody"):
        hub.tell(ann, "nobody", "hello?")


# --- names ---------------------------------------------------------------------------------


def test_rename_tells_the_user_and_everyone_sharing_a_room(
    hub: Hub, trio: tuple[Member, Member, Member]
) -> None:
    ann, bob, cat = trio
    hub.part(cat, "lobby")
    hub.join(cat, "games")
    assert fan_out(hub.rename(ann, "Ann")) == {
        ann: [NickChanged("Client-1", "Ann", own=True)],
        bob: [NickChanged("Client-1", "Ann")],
    }
    assert ann.nick == "Ann"
    assert hub.find("aNN") is ann
    assert hub.find("Client-1") is None


def test_rename_collisions_are_case_insensitive(
    hub: Hub, trio: tuple[Member, Member, Member]
) -> None:
    ann, bob, _ = trio
    hub.rename(ann, "Ann")
    for taken in ["Ann", "ann", "ANN"]:
        with pytest.raises(errors.NameInUse, match="taken"):
            hub.rename(bob, taken)
    assert bob.nick == "Client-2"
    assert hub.find("ann") is ann


def test_rename_may_change_only_the_case(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.rename(ann, "ann")
    hub.rename(ann, "ANN")
    assert hub.find("ann") is ann
    assert len(hub.members()) == 1


def test_taking_a_name_marks_when_its_private_history_begins(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    arrived = ann.named
    assert arrived > 0
    hub.rename(ann, "ann")
    renamed = ann.named
    assert renamed > arrived  # a name someone else may have held
    hub.rename(ann, "ANN")
    assert ann.named == renamed  # the same name: the same person all along
    bob = make_member("Client-2", "10.0.0.2")
    hub.register(bob, "bob")
    assert bob.named > renamed


def test_rename_to_the_same_name_is_refused(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.rename(ann, "ann")
    with pytest.raises(errors.NameInUse, match="already called ann"):
        hub.rename(ann, "ann")


def test_a_freed_name_can_be_taken(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.rename(ann, "ann")
    hub.rename(ann, "anne")
    hub.rename(bob, "ann")
    assert hub.find("ann") is bob


@pytest.mark.parametrize(
    ("nick", "error"),
    [
        ("admin", errors.ReservedName),
        ("Client-2", errors.ReservedName),
        ("two words", errors.InvalidName),
        ("", errors.InvalidName),
    ],
)
def test_rename_enforces_the_naming_rules(hub: Hub, nick: str, error: type[Exception]) -> None:
    ann = enter(hub, "Client-1")
    with pytest.raises(error):
        hub.rename(ann, nick)
    assert hub.find("Client-1") is ann


def test_back_to_the_generated_name(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.rename(ann, "ann")
    hub.rename(ann, "client-1")
    assert hub.find("CLIENT-1") is ann


# --- operators -----------------------------------------------------------------------------


@pytest.fixture
def op_hub(oper_hash: str) -> Hub:
    return Hub(oper_password_hash=oper_hash, clock=fixed_clock)


def make_operator(hub: Hub, member: Member) -> None:
    assert fan_out(hub.authenticate_operator(member, OPER_PASSWORD)) == {member: [BecameOperator()]}
    assert member.operator


def test_no_operators_without_a_configured_password(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    with pytest.raises(errors.NoOperators):
        hub.authenticate_operator(ann, "")
    assert not ann.operator


def test_wrong_operator_password(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1")
    with pytest.raises(errors.WrongPassword):
        op_hub.authenticate_operator(ann, "wrong horse")
    assert not ann.operator


@pytest.mark.parametrize(
    "act",
    [
        lambda hub, target: hub.kick(hub.find("Client-1"), target),
        lambda hub, target: hub.ban(hub.find("Client-1"), target),
        lambda hub, target: hub.unban(hub.find("Client-1"), target),
        lambda hub, target: hub.wall(hub.find("Client-1"), "hear me"),
        lambda hub, target: hub.ban_list(hub.find("Client-1")),
    ],
    ids=["kick", "ban", "unban", "wall", "ban_list"],
)
def test_operator_actions_need_an_operator(op_hub: Hub, act: Callable[[Hub, str], object]) -> None:
    enter(op_hub, "Client-1", "10.0.0.1")
    bob = enter(op_hub, "Client-2", "10.0.0.2")
    op_hub.bans.add(Ban("10.0.0.9", "someone"))
    with pytest.raises(errors.NotOperator):
        act(op_hub, "Client-2")
    assert op_hub.bans.find("10.0.0.2") is None
    assert op_hub.bans.find("10.0.0.9") is not None
    assert op_hub.find("Client-2") is bob


def test_kick_says_farewell_to_the_target_only(op_hub: Hub) -> None:
    ann, bob, cat = (enter(op_hub, f"Client-{n}") for n in range(1, 4))
    make_operator(op_hub, ann)
    op_hub.rename(bob, "Bob")
    inbox = fan_out(op_hub.kick(ann, "bob", "spam"))
    # Ann shares the lobby with Bob: his leaving, with the reason, is her one line.
    assert inbox == {
        bob: [Farewell("You were kicked by Client-1: spam", "kicked by Client-1: spam")],
    }
    assert cat not in inbox


def test_kick_tells_an_operator_who_shares_no_room_with_the_target(op_hub: Hub) -> None:
    ann, bob = enter(op_hub, "Client-1"), enter(op_hub, "Client-2")
    make_operator(op_hub, ann)
    op_hub.join(bob, "dev")
    op_hub.part(bob, "lobby")
    assert fan_out(op_hub.kick(ann, "Client-2"))[ann] == [Disconnected("Client-2")]


def test_kick_without_reason(op_hub: Hub) -> None:
    ann, bob = enter(op_hub, "Client-1"), enter(op_hub, "Client-2")
    make_operator(op_hub, ann)
    assert fan_out(op_hub.kick(ann, "Client-2"))[bob] == [
        Farewell("You were kicked by Client-1", "kicked by Client-1")
    ]


def test_kick_an_unknown_user(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1")
    make_operator(op_hub, ann)
    with pytest.raises(errors.NoSuchUser):
        op_hub.kick(ann, "nobody")


def test_ban_by_nick_disconnects_every_connection_from_their_address(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1", "10.0.0.1")
    bob = enter(op_hub, "Client-2", "10.0.0.2")
    bob_again = enter(op_hub, "Client-3", "10.0.0.2")
    cat = enter(op_hub, "Client-4", "10.0.0.3")
    make_operator(op_hub, ann)
    op_hub.rename(bob, "bob")
    inbox = fan_out(op_hub.ban(ann, "BOB"))
    farewell = Farewell("You were banned by Client-1", "banned by Client-1")
    assert inbox == {
        ann: [BanSet("10.0.0.2")],
        bob: [farewell],
        bob_again: [farewell],
    }
    assert cat not in inbox
    ban = op_hub.bans.find("10.0.0.2")
    assert ban == Ban("10.0.0.2", "Client-1", "bob", None)


def test_a_ban_spares_operators_it_covers_but_not_the_one_it_names(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1", "10.0.0.1")
    bob = enter(op_hub, "Client-2", "10.0.0.2")
    other_op = enter(op_hub, "Client-3", "10.0.0.2")
    make_operator(op_hub, ann)
    make_operator(op_hub, other_op)
    assert set(fan_out(op_hub.ban(ann, "Client-2"))) == {ann, bob}
    named_op = enter(op_hub, "Client-4", "10.0.0.4")
    make_operator(op_hub, named_op)
    assert set(fan_out(op_hub.ban(ann, "Client-4"))) == {ann, named_op}


def test_ban_a_network(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1", "10.0.0.1")
    inside = [enter(op_hub, f"Client-{n}", f"10.0.1.{n}") for n in range(2, 5)]
    outside = enter(op_hub, "Client-9", "10.0.2.1")
    make_operator(op_hub, ann)
    inbox = fan_out(op_hub.ban(ann, "10.0.1.77/24"))
    assert inbox[ann] == [BanSet("10.0.1.0/24")]
    assert set(inbox) == {ann, *inside}
    assert outside not in inbox
    assert op_hub.bans.find("10.0.1.200") == Ban("10.0.1.0/24", "Client-1")
    assert op_hub.bans.find("10.0.2.1") is None
    assert op_hub.bans.find("::ffff:10.0.1.9") is not None  # the same host over IPv6
    assert fan_out(op_hub.unban(ann, "10.0.1.0/24")) == {ann: [BanLifted("10.0.1.0/24")]}
    assert op_hub.bans.find("10.0.1.200") is None


def test_banning_an_ipv6_user_bans_their_slash_64(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1", "10.0.0.1")
    bob = enter(op_hub, "Client-2", "2001:db8:1:2::10")
    neighbour = enter(op_hub, "Client-3", "2001:db8:1:2:ffff::1")
    stranger = enter(op_hub, "Client-4", "2001:db8:1:3::10")
    make_operator(op_hub, ann)
    inbox = fan_out(op_hub.ban(ann, "Client-2"))
    assert inbox[ann] == [BanSet("2001:db8:1:2::/64")]
    assert set(inbox) == {ann, bob, neighbour}
    assert stranger not in inbox
    assert op_hub.bans.find("2001:db8:1:2:abcd::9") is not None
    op_hub.ban(ann, "2001:db8:9::1/128")  # an exact address, when asked for
    assert op_hub.bans.find("2001:db8:9::1") is not None
    assert op_hub.bans.find("2001:db8:9::2") is None


@pytest.mark.parametrize("target", ["10.0.0.0/33", "10.0.0.0/8x", "fe80::/200", "10.0.0.0/-1"])
def test_ban_a_malformed_network(op_hub: Hub, target: str) -> None:
    ann = enter(op_hub, "Client-1")
    make_operator(op_hub, ann)
    with pytest.raises(errors.NoSuchUser):
        op_hub.ban(ann, target)


def test_ban_by_address_disconnects_everyone_from_it_but_the_operator(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1", "10.0.0.2")
    bob = enter(op_hub, "Client-2", "10.0.0.2")
    cat = enter(op_hub, "Client-3", "10.0.0.2")
    dan = enter(op_hub, "Client-4", "10.0.0.4")
    make_operator(op_hub, ann)
    inbox = fan_out(op_hub.ban(ann, " 10.0.0.2 ", minutes=5))
    farewell = Farewell("You were banned by Client-1", "banned by Client-1")
    assert inbox == {
        ann: [BanSet("10.0.0.2", 5)],
        bob: [farewell],
        cat: [farewell],
    }
    assert dan not in inbox


def test_ban_an_address_nobody_uses(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1")
    make_operator(op_hub, ann)
    assert fan_out(op_hub.ban(ann, "2001:DB8::1")) == {ann: [BanSet("2001:db8::/64")]}
    assert op_hub.bans.find("2001:db8::1") is not None
    assert op_hub.bans.find("2001:db8::2") is not None


def test_ban_for_some_minutes_expires(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1")
    make_operator(op_hub, ann)
    before = time.time()
    op_hub.ban(ann, "10.9.9.9", minutes=1.5)
    ban = op_hub.bans.find("10.9.9.9")
    assert ban is not None
    assert ban.until is not None
    assert before + 90 <= ban.until <= time.time() + 90
    assert not ban.expired(ban.until - 1)
    assert ban.expired(ban.until)


def test_ban_neither_user_nor_address(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1")
    make_operator(op_hub, ann)
    with pytest.raises(errors.NoSuchUser):
        op_hub.ban(ann, "nobody")
    assert op_hub.bans.active() == []


def test_unban_by_address_or_by_the_nick_banned(op_hub: Hub) -> None:
    ann = enter(op_hub, "Client-1")
    bob = enter(op_hub, "Client-2", "10.0.0.2")
    make_operator(op_hub, ann)
    op_hub.rename(bob, "Bob")
    op_hub.ban(ann, "Bob")
    op_hub.ban(ann, "10.0.0.3")
    assert fan_out(op_hub.unban(ann, "bob")) == {ann: [BanLifted("10.0.0.2")]}
    assert op_hub.bans.find("10.0.0.2") is None
    assert fan_out(op_hub.unban(ann, "10.0.0.3")) == {ann: [BanLifted("10.0.0.3")]}
    with pytest.raises(errors.NoSuchUser, match="not banned"):
        op_hub.unban(ann, "10.0.0.3")
    assert op_hub.ban_list(ann) == []


def test_ban_list_drops_expired_bans() -> None:
    bans = BanList()
    now = time.time()
    bans.add(Ban("10.0.0.3", "op", until=now + 600))
    bans.add(Ban("10.0.0.1", "op", until=now - 1))
    bans.add(Ban("10.0.0.2", "op"))
    assert [ban.address for ban in bans.active()] == ["10.0.0.2", "10.0.0.3"]
    assert bans.find("10.0.0.1") is None
    assert bans.find("10.0.0.2") is not None


def test_expired_ban_does_not_refuse(op_hub: Hub) -> None:
    op_hub.bans.add(Ban("10.0.0.5", "op", until=time.time() - 0.001))
    assert op_hub.bans.find("10.0.0.5") is None
    assert op_hub.bans.remove("10.0.0.5") is None  # already gone


def test_wall_reaches_everyone_in_every_room(op_hub: Hub) -> None:
    ann, bob, cat = (enter(op_hub, f"Client-{n}") for n in range(1, 4))
    op_hub.join(cat, "games")
    op_hub.part(cat, "lobby")
    make_operator(op_hub, ann)
    notice = Wall(NOON, "Client-1", "restart soon")
    assert fan_out(op_hub.wall(ann, "restart soon")) == {
        ann: [notice],
        bob: [notice],
        cat: [notice],
    }


def test_rename_of_someone_not_in_the_hub_is_refused(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.remove(ann)
    with pytest.raises(errors.NoSuchUser):
        hub.rename(ann, "ghost")
    assert hub.find("ghost") is None
    assert hub.members() == (bob,)


# --- rooms too large to announce comings and goings ----------------------------------------


def test_a_crowded_room_announces_no_comings_and_goings_but_still_carries_messages() -> None:
    hub = Hub(clock=fixed_clock, quiet_room_size=3)
    ann, bob, cat = (enter(hub, f"Client-{n}") for n in (1, 2, 3))
    hub.join(ann, "small")
    hub.join(dan := enter(hub, "Client-4"), "small")  # the lobby now has four: too many
    assert fan_out(hub.add(make_member("Client-5"))) == {}
    assert fan_out(hub.join(bob, "small")) == {
        ann: [Joined("Client-2", "small")],
        dan: [Joined("Client-2", "small")],
    }
    # A quit is told in the small room the leaver shares, not in the crowded lobby.
    assert fan_out(hub.remove(bob, "bye")) == {
        ann: [Quit("Client-2", "bye")],
        dan: [Quit("Client-2", "bye")],
    }
    assert set(fan_out(hub.rename(cat, "cat"))) == {cat}  # only the renamed one hears
    said = fan_out(hub.say(ann, "lobby", "hello crowd"))
    assert set(said) == {cat, dan, hub.find("Client-5")}


def test_zero_means_every_room_announces() -> None:
    hub = Hub(clock=fixed_clock, quiet_room_size=0)
    members = [enter(hub, f"Client-{n}") for n in range(1, 30)]
    assert set(fan_out(hub.remove(members[0]))) == set(members[1:])


def test_the_most_specific_ban_is_found_and_expired_ones_drop_out() -> None:
    bans = BanList()
    now = time.time()
    bans.add(Ban("10.0.0.0/8", "op"))
    bans.add(Ban("10.1.0.0/16", "op", until=now + 600))
    bans.add(Ban("10.1.2.3", "op", until=now - 1))
    assert bans.find("10.1.2.3") == Ban("10.1.0.0/16", "op", until=now + 600)
    assert bans.find("10.200.0.1") == Ban("10.0.0.0/8", "op")
    assert bans.find("11.0.0.1") is None
    assert bans.find("not an address") is None
    assert [ban.address for ban in bans.active()] == ["10.0.0.0/8", "10.1.0.0/16"]
    with pytest.raises(ValueError, match="not an address"):
        bans.add(Ban("nobody", "op"))


def test_records_others_read_refuse_unclean_text(hub: Hub) -> None:
    # Topics, away messages and real names are shown to others later, in replies.
    ann = enter(hub, "Client-1")
    with pytest.raises(ValueError, match="cleaned"):
        hub.set_topic(ann, "lobby", "\x1b]0;title\x07")
    with pytest.raises(ValueError, match="cleaned"):
        hub.set_away(ann, "gone\x1b[2J")
    with pytest.raises(ValueError, match="cleaned"):
        hub.register(make_member("Client-2"), "bob", "bob", "Bob\u202eevil")
    with pytest.raises(errors.InvalidModeArgument):  # a ban mask is kept too
        modes.ModeChange(True, "b", "\x1b]52;c;aGk=\x07*!*@*")


# --- look-alike names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taken", "look_alike"),
    [
        ("alice", "AIice"),
        ("bob", "B0B"),
        ("ace", "\u0430\u0441\u0435"),  # ace, all in Cyrillic letters
        ("\u0430\u0441\u0435", "ace"),  # and the other way round
        ("mary", "rnary"),
    ],
)
def test_a_name_that_looks_like_a_taken_one_is_refused(
    hub: Hub, taken: str, look_alike: str
) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.rename(ann, taken)
    with pytest.raises(errors.NameInUse, match=f"looks like {taken}"):
        hub.rename(bob, look_alike)
    with pytest.raises(errors.NameInUse):
        hub.check_name(make_member("Client-3"), look_alike)  # as IRC asks before registering
    with pytest.raises(errors.NameInUse):
        hub.register(make_member("Client-3"), look_alike)
    assert bob.nick == "Client-2"


def test_one_may_rename_to_a_look_alike_of_ones_own_name(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.rename(ann, "alice")
    hub.rename(ann, "AIice")
    assert hub.find("AIice") is ann


def test_renaming_and_leaving_free_the_look(hub: Hub) -> None:
    ann, bob, cat = enter(hub, "Client-1"), enter(hub, "Client-2"), enter(hub, "Client-3")
    hub.rename(ann, "alice")
    hub.rename(ann, "alicia")
    hub.rename(bob, "AIice")  # alice is free again
    hub.remove(bob)
    hub.rename(cat, "alice")
    assert hub.find("alice") is cat


def test_a_connection_cannot_take_a_look_alike_of_a_generated_name(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    enter(hub, "Client-2")
    with pytest.raises(errors.ReservedName):
        hub.rename(ann, "CIient-2")


@pytest.mark.parametrize(
    "nick", ["irc.example", "IRC.EXAMPLE", "irc", "NickServ", "\u0399RC", "lRC"]
)
def test_the_server_name_and_service_names_are_reserved(nick: str) -> None:
    hub = Hub(clock=fixed_clock, reserved_names=("irc.example", "irc"))
    ann = enter(hub, "Client-1")
    with pytest.raises((errors.ReservedName, errors.InvalidName)):
        hub.rename(ann, nick)
    with pytest.raises((errors.ReservedName, errors.InvalidName)):
        hub.check_name(make_member("Client-2"), nick)


@pytest.mark.parametrize(("limit", "words"), [(1, "at most 1 room at once"), (2, "2 rooms")])
def test_the_room_limit_is_said_in_good_english(limit: int, words: str) -> None:
    hub = Hub(max_rooms_per_member=limit)
    ann = enter(hub, "Client-1")
    if limit == 2:
        hub.join(ann, "one")
    with pytest.raises(errors.TooManyRooms, match=words):
        hub.join(ann, "more")


def test_a_connection_whose_address_was_banned_since_it_was_accepted_stays_out(
    hub: Hub,
) -> None:
    hub.bans.add(Ban("10.0.0.0/24", "alice", until=time.time() + 60))
    late = make_member("Client-9", "10.0.0.7")
    with pytest.raises(errors.Banned) as refused:
        hub.add(late)
    assert refused.value.ban.address == "10.0.0.0/24"
    assert str(refused.value).startswith("You are banned from this server until ")
    assert hub.find("Client-9") is None
    assert late not in hub.room_members("lobby")
    with pytest.raises(errors.Banned):
        hub.register(make_member("Client-10", "10.0.0.8"), "mallory")
    assert hub.find("mallory") is None
    enter(hub, "Client-11", "10.0.1.1")  # outside the ban
