"""Room admission and the limits on rooms: invitations, keys, how many rooms."""

from __future__ import annotations

import pytest

from chinwag.hub import errors, modes
from chinwag.hub.hub import Hub, Member
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
