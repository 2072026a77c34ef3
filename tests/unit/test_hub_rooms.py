"""Room admission and the limits on rooms: invitations, keys, how many rooms."""

from __future__ import annotations

import pytest

from chinwag.hub import errors, modes
from chinwag.hub.hub import Hub, Member
from chinwag.hub.model import Room
from tests.unit.fakes import fixed_clock, make_member


def enter(hub: Hub, client_id: str, address: str = "10.0.0.1") -> Member:
    member = make_member(client_id, address)
    hub.add(member)
    return member


def set_modes(hub: Hub, actor: Member, room: str, *changes: tuple[bool, str, str]) -> None:
    hub.change_modes(actor, room, [modes.ModeChange(*change) for change in changes])


@pytest.fixture
def hub() -> Hub:
    return Hub(clock=fixed_clock)


# --- invitations -----------------------------------------------------------------------------


def test_an_invitation_lets_past_invite_only_limit_and_bans(hub: Hub) -> None:
    ann, bob, cat = enter(hub, "Client-1"), enter(hub, "Client-2"), enter(hub, "Client-3")
    hub.join(ann, "den")
    hub.join(cat, "den")
    set_modes(hub, ann, "den", (True, "i", ""), (True, "l", "2"), (True, "b", "Client-2"))
    with pytest.raises(errors.BannedFromRoom):
        hub.join(bob, "den")
    hub.invite(ann, "Client-2", "den")
    hub.join(bob, "den")
    assert bob in hub.room_members("den")


def test_an_invitation_does_not_let_past_a_key(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(ann, "den")
    set_modes(hub, ann, "den", (True, "i", ""), (True, "k", "sesame"))
    hub.invite(ann, "Client-2", "den")
    with pytest.raises(errors.WrongRoomKey):
        hub.join(bob, "den")
    with pytest.raises(errors.WrongRoomKey):
        hub.join(bob, "den", "wrong")
    hub.join(bob, "den", "sesame")  # the invitation still counts once the key is right
    assert bob in hub.room_members("den")


def test_an_invitation_is_used_up_by_joining(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(ann, "den")
    set_modes(hub, ann, "den", (True, "i", ""))
    hub.invite(ann, "Client-2", "den")
    hub.join(bob, "den")
    hub.part(bob, "den")
    with pytest.raises(errors.InviteOnly):
        hub.join(bob, "den")


# --- how many rooms ---------------------------------------------------------------------------


def test_a_member_may_be_in_only_so_many_rooms() -> None:
    hub = Hub(clock=fixed_clock, max_rooms_per_member=3)
    ann = enter(hub, "Client-1")  # in the lobby: one room
    hub.join(ann, "one")
    hub.join(ann, "two")
    with pytest.raises(errors.TooManyRooms, match="at most 3 rooms"):
        hub.join(ann, "three")
    assert "three" not in [name for name, _ in hub.rooms()]
    hub.part(ann, "one")
    hub.join(ann, "three")


def test_the_member_limit_counts_existing_rooms_too() -> None:
    hub = Hub(clock=fixed_clock, max_rooms_per_member=2)
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(bob, "den")
    hub.join(ann, "one")
    with pytest.raises(errors.TooManyRooms):
        hub.join(ann, "den")


def test_the_server_makes_only_so_many_rooms() -> None:
    hub = Hub(clock=fixed_clock, max_rooms=3)  # the lobby and two more
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(ann, "one")
    hub.join(ann, "two")
    with pytest.raises(errors.TooManyRoomsOnServer, match="no more rooms"):
        hub.join(bob, "three")
    hub.join(bob, "two")  # existing rooms still take members
    hub.part(ann, "one")  # an emptied room is freed, and makes room for another
    hub.join(bob, "three")
    assert [name for name, _ in hub.rooms()] == ["lobby", "three", "two"]


def test_defaults_bound_rooms() -> None:
    hub = Hub(clock=fixed_clock)
    ann = enter(hub, "Client-1")
    for n in range(49):
        hub.join(ann, f"room{n}")
    with pytest.raises(errors.TooManyRooms, match="at most 50 rooms"):
        hub.join(ann, "one-more")


def test_empty_rooms_and_their_invitations_are_freed() -> None:
    hub = Hub(clock=fixed_clock)
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(ann, "den")
    hub.invite(ann, "Client-2", "den")
    assert bob.invitations
    hub.part(ann, "den")
    assert [name for name, _ in hub.rooms()] == ["lobby"]
    assert not bob.invitations
    hub.join(ann, "den")  # a new room of that name: the old invitation is gone with it
    hub.change_modes(ann, "den", [modes.ModeChange(True, "i")])
    with pytest.raises(errors.InviteOnly):
        hub.join(bob, "den")


def test_a_departure_withdraws_the_invitations_it_had() -> None:
    hub = Hub(clock=fixed_clock)
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2")
    hub.join(ann, "den")
    hub.invite(ann, "Client-2", "den")
    hub.remove(bob)
    assert not hub._rooms["den"].invited


def test_a_departure_costs_the_same_however_many_rooms_exist() -> None:
    hub = Hub(clock=fixed_clock, max_rooms_per_member=5000)
    owner, leaver = enter(hub, "Client-1"), enter(hub, "Client-2")
    for r in range(2000):
        hub.join(owner, f"r{r}")
    hub.invite(owner, "Client-2", "r7")

    class Untouchable(dict[str, object]):
        def values(self):  # type: ignore[no-untyped-def, override]
            raise AssertionError("a departure walked every room")

    rooms = hub._rooms
    hub._rooms = Untouchable(rooms)  # type: ignore[assignment]
    hub.remove(leaver)
    assert not rooms["r7"].invited


# --- ban verdicts ------------------------------------------------------------------------------


def test_a_refused_join_tried_again_does_not_match_the_masks_again(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "den")
    bans = [(True, "b", f"*!*@10.9.{n}.*") for n in range(modes.MAX_BANS - 1)]
    set_modes(hub, ann, "den", *bans, (True, "b", "Client-2"))
    for _ in range(3):
        with pytest.raises(errors.BannedFromRoom):
            hub.join(bob, "den")
    verdict = bob.ban_verdicts["den"]
    assert verdict.banned
    # The verdict is the one worked out the first time, kept for this ban list.
    for _ in range(3):
        with pytest.raises(errors.BannedFromRoom):
            hub.join(bob, "den")
        assert bob.ban_verdicts["den"] is verdict


def test_a_full_ban_list_refuses_more_masks_and_changes_nothing(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.join(ann, "den")
    set_modes(hub, ann, "den", *((True, "b", f"*!*@10.9.{n}.*") for n in range(modes.MAX_BANS - 1)))
    with pytest.raises(errors.BanListFull, match=r"the ban list of den is full \(100 masks\)"):
        set_modes(hub, ann, "den", (True, "m"), (True, "b", "one"), (True, "b", "two"))
    view = hub.room("den")
    assert len(view.bans) == modes.MAX_BANS - 1 and "m" not in view.flags
    set_modes(hub, ann, "den", (True, "b", "*!*@10.9.0.*"), (True, "b", "one"))  # one is new
    assert len(hub.room("den").bans) == modes.MAX_BANS
    with pytest.raises(errors.BanListFull):
        set_modes(hub, ann, "den", (True, "b", "two"))
    set_modes(hub, ann, "den", (False, "b", "one"), (True, "b", "ONE"))  # swapped: fits


def test_a_ban_verdict_follows_the_ban_list_and_the_name(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "den")
    set_modes(hub, ann, "den", (True, "b", "mallory"))
    hub.join(bob, "den")
    hub.say(bob, "den", "hello")  # not covered: worked out, and kept
    assert not bob.ban_verdicts["den"].banned
    set_modes(hub, ann, "den", (True, "b", "Client-2"))  # the list changed: asked again
    with pytest.raises(errors.CannotSend):
        hub.say(bob, "den", "hello")
    set_modes(hub, ann, "den", (False, "b", "Client-2"))
    hub.say(bob, "den", "hello")
    hub.rename(bob, "mallory")  # the name changed: asked again
    with pytest.raises(errors.CannotSend):
        hub.say(bob, "den", "hello")


def test_a_ban_list_replaced_whole_is_asked_again() -> None:
    room, bob = Room("den"), make_member("Client-2", "10.0.0.2")
    room.bans = {"mallory!*@*": ("Client-1", room.created_at)}
    assert not room.banned(bob)
    # As a kept room is restored, or a node is given the chat's state: a new dict.
    room.bans = {"*!*@10.0.0.2": ("Client-1", room.created_at)}
    assert room.banned(bob)


# --- asking before saying --------------------------------------------------------------------


def _refusal(call: object) -> str:
    assert callable(call)
    try:
        call()
    except errors.ChatError as error:
        return f"{type(error).__name__}: {error}"
    return "accepted"


def test_check_say_and_check_tell_answer_as_say_and_tell_would(hub: Hub) -> None:
    # A hub that applies a message later asks first (the cluster's): the answer is the
    # message's own, in each case, accepted ones included.
    ann, bob, cat = enter(hub, "Client-1"), enter(hub, "Client-2"), enter(hub, "Client-3")
    hub.join(ann, "den")
    hub.join(bob, "den")
    cases = [
        (bob, "den"),  # in the room
        (cat, "den"),  # outside a +n room
        (cat, "nowhere"),  # no such room
    ]
    set_modes(hub, ann, "den", (True, "b", "Client-2"))
    cases.append((bob, "den"))  # banned, in the room
    for member, room in cases:
        asked = _refusal(lambda m=member, r=room: hub.check_say(m, r))
        assert asked == _refusal(lambda m=member, r=room: hub.say(m, r, "hi"))
    set_modes(hub, ann, "den", (False, "b", "Client-2"), (True, "m", ""))
    asked = _refusal(lambda: hub.check_say(bob, "den"))
    assert asked.startswith("CannotSend: den is moderated")
    assert asked == _refusal(lambda: hub.say(bob, "den", "hi"))
    assert _refusal(lambda: hub.check_say(ann, "den")) == "accepted"  # its operator
    for nick in ("Client-3", "nobody"):
        asked = _refusal(lambda n=nick: hub.check_tell(n))
        assert asked == _refusal(lambda n=nick: hub.tell(ann, n, "hi"))
    assert _refusal(lambda: hub.check_tell("nobody")).startswith("NoSuchUser")
