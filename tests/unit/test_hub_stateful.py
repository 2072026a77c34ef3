"""Random interleavings of arrivals, departures, renames, room moves and messages.

Hypothesis drives one hub through sequences of user actions and checks, after every
step, that its state is consistent: names unique and findable, rooms and members in
agreement, no trace of anyone who left; and, for each action, that exactly the right
members are told, once.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chinwag.hub import errors
from chinwag.hub.events import Joined, NickChanged, Parted, Quit, RoomMessage
from chinwag.hub.hub import Hub, Member
from chinwag.hub.names import LOBBY, fold
from tests.unit.fakes import NOON, fan_out, fixed_clock, make_member

# Few names and rooms, in several spellings, so that collisions are frequent.
NICKS = ["ann", "Ann", "ANN", "bob", "Bob", "Çelik", "çELİK", "dee", "Client-1", "client-2"]
ROOMS = [LOBBY, "LOBBY", "games", "Games", "dev"]


class HubMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.hub = Hub(clock=fixed_clock)
        self.numbers = itertools.count(1)
        self.present: list[Member] = []
        self.gone: list[Member] = []

    def sharing_a_room(self, member: Member) -> set[Member]:
        return {m for m in self.present if m is not member and m.rooms.keys() & member.rooms.keys()}

    def in_room(self, room: str) -> set[Member]:
        return {m for m in self.present if fold(room) in m.rooms}

    def holder(self, nick: str) -> Member | None:
        return next((m for m in self.present if fold(m.nick) == fold(nick)), None)

    # --- actions -----------------------------------------------------------------------

    @rule()
    def connect(self) -> None:
        member = make_member(f"Client-{next(self.numbers)}")
        expected = self.in_room(LOBBY)
        inbox = fan_out(self.hub.add(member))
        assert inbox == {m: [Joined(member.nick, LOBBY, connected=True)] for m in expected}
        self.present.append(member)

    @precondition(lambda self: self.present)
    @rule(data=st.data(), reason=st.sampled_from(["", "bye"]))
    def disconnect(self, data: st.DataObject, reason: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        expected = self.sharing_a_room(member)
        inbox = fan_out(self.hub.remove(member, reason))
        assert inbox == {m: [Quit(member.nick, reason)] for m in expected}  # each told once
        self.present.remove(member)
        self.gone.append(member)

    @precondition(lambda self: self.gone)
    @rule(data=st.data())
    def disconnect_again(self, data: st.DataObject) -> None:
        assert self.hub.remove(data.draw(st.sampled_from(self.gone))) == []

    @precondition(lambda self: self.present)
    @rule(data=st.data(), nick=st.sampled_from(NICKS))
    def rename(self, data: st.DataObject, nick: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        old = member.nick
        holder = self.holder(nick)
        if fold(nick).startswith("client-") and fold(nick) != fold(member.client_id):
            with pytest.raises(errors.ReservedName):
                self.hub.rename(member, nick)
        elif nick == old or (holder is not None and holder is not member):
            with pytest.raises(errors.NameInUse):
                self.hub.rename(member, nick)
        else:
            others = self.sharing_a_room(member)
            inbox = fan_out(self.hub.rename(member, nick))
            assert inbox.pop(member) == [NickChanged(old, nick, own=True)]
            assert inbox == {m: [NickChanged(old, nick)] for m in others}
            assert member.nick == nick
            return
        assert member.nick == old

    @precondition(lambda self: self.present)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def join(self, data: st.DataObject, room: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        if fold(room) in member.rooms:
            with pytest.raises(errors.AlreadyInRoom):
                self.hub.join(member, room)
            return
        others = self.in_room(room)
        inbox = fan_out(self.hub.join(member, room))
        name = member.rooms[fold(room)]
        assert fold(name) == fold(room)
        assert inbox == {m: [Joined(member.nick, name)] for m in others}

    @precondition(lambda self: self.present)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def part(self, data: st.DataObject, room: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        if fold(room) not in member.rooms:
            with pytest.raises(errors.NotInRoom):
                self.hub.part(member, room)
            return
        name = member.rooms[fold(room)]
        others = self.in_room(room) - {member}
        inbox = fan_out(self.hub.part(member, room))
        assert inbox == {m: [Parted(member.nick, name)] for m in others}
        assert fold(room) not in member.rooms

    @precondition(lambda self: self.present)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def say(self, data: st.DataObject, room: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        if fold(room) not in member.rooms:
            with pytest.raises(errors.NotInRoom):
                self.hub.say(member, room, "hi")
            return
        others = self.in_room(room) - {member}
        inbox = fan_out(self.hub.say(member, room, "hi"))
        event = RoomMessage(NOON, member.nick, member.rooms[fold(room)], "hi")
        assert inbox == {m: [event] for m in others}

    @precondition(lambda self: len(self.present) > 1)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def invite(self, data: st.DataObject, room: str) -> None:
        actor, target = data.draw(st.permutations(self.present))[:2]
        try:
            self.hub.invite(actor, target.nick, room)
        except (errors.NotInRoom, errors.AlreadyInvited):
            assert fold(room) not in actor.rooms or fold(room) in target.rooms

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def invitations_are_indexed_both_ways_and_only_to_live_rooms(self) -> None:
        live = {id(self.hub._rooms[fold(name)]) for name, _ in self.hub.rooms()}
        for member in self.present:
            for room in member.invitations:
                assert id(room) in live
                assert member in room.invited
        for member in self.gone:
            assert not member.invitations
        for name, _ in self.hub.rooms():
            for member in self.hub._rooms[fold(name)].invited:
                assert room_of(self.hub, name) in member.invitations
                assert member in self.present

    @invariant()
    def members_are_exactly_those_present(self) -> None:
        assert set(self.hub.members()) == set(self.present)
        assert len(self.hub.members()) == len(self.present)

    @invariant()
    def nicks_are_unique_and_findable(self) -> None:
        folded = [fold(m.nick) for m in self.present]
        assert len(set(folded)) == len(folded)
        for member in self.present:
            assert self.hub.find(member.nick) is member
            assert self.hub.find(member.nick.upper()) is member
            assert self.hub.find(member.nick.lower()) is member

    @invariant()
    def rooms_agree_with_members(self) -> None:
        listing = self.hub.rooms()
        assert listing[0][0] == LOBBY
        listed = {fold(name) for name, _ in listing}
        assert len(listed) == len(listing)
        for name, count in listing:
            members = self.hub.room_members(name)
            assert len(members) == count
            assert set(members) == self.in_room(name)
            assert count > 0 or name == LOBBY  # empty rooms other than the lobby go away
        for member in self.present:
            assert set(member.rooms) <= listed
            for key, name in member.rooms.items():
                assert fold(name) == key

    @invariant()
    def no_ghosts(self) -> None:
        for member in self.gone:
            assert member.rooms == {}
            assert self.hub.find(member.nick) is not member
            for name, _ in self.hub.rooms():
                assert member not in self.hub.room_members(name)


def room_of(hub: Hub, name: str) -> object:
    return hub._rooms[fold(name)]


HubMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_hub_interleavings = HubMachine.TestCase
