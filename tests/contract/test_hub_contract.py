"""The contract every hub implementation keeps, run against each of them unchanged.

Hypothesis drives a hub through random interleavings of arrivals, departures, renames,
room moves, messages, invitations, kicks and room bans, using only the hub's contract
(:class:`~chinwag.hub.contract.ChatHub`) and the deliveries it returns, and checks after
every step:

* no ghosts: whoever left is in no room, no listing and no audience;
* every departure (a quit, a part, a kick) is announced once to each who shared the room,
  and to nobody else;
* each sender's messages reach each recipient in the order they were sent;
* names are unique and findable whatever their spelling, and rooms agree with members.

A new implementation joins :data:`IMPLEMENTATIONS`; nothing else here changes.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chinwag.hub import errors
from chinwag.hub.contract import ChatHub
from chinwag.hub.events import (
    Delivery,
    Event,
    Joined,
    Kicked,
    ModesChanged,
    NickChanged,
    Parted,
    Quit,
    RoomMessage,
    ToRoom,
)
from chinwag.hub.hub import Hub
from chinwag.hub.model import Member
from chinwag.hub.modes import ModeChange
from chinwag.hub.names import LOBBY, fold

# Few names and rooms, in several spellings, so that collisions are frequent.
NICKS = ["ann", "Ann", "ANN", "bob", "Bob", "Çelik", "çELİK", "dee", "Client-1", "client-2"]
ROOMS = [LOBBY, "LOBBY", "games", "Games", "dev"]
NOON = datetime(2026, 11, 21, 12, 34, 56)  # a fixed clock: time stamps are predictable


@dataclass(frozen=True)
class Implementation:
    """How to make a hub, and a member to connect to it; and, for hubs that need a
    service or threads, how to prepare the service and let each hub go."""

    make_hub: Callable[[], ChatHub]
    make_member: Callable[[str], Member]
    prepare: Callable[[pytest.FixtureRequest], None] = lambda request: None
    discard: Callable[[ChatHub], None] = lambda hub: None


class RedisHubs:
    """Cluster hubs on the test's own redis-server, each a one-node cluster of its own
    (a key prefix of its own), stopped when its example ends. The hub's clock is fixed
    as for the in-process hub; message ids still come from the log."""

    def __init__(self) -> None:
        self.url = ""
        self.numbers = itertools.count(1)

    def prepare(self, request: pytest.FixtureRequest) -> None:
        self.url = request.getfixturevalue("redis_server")().url

    def make_hub(self) -> ChatHub:
        from chinwag.cluster.hub import ClusterHub
        from chinwag.cluster.link import Link

        number = next(self.numbers)
        link = Link(self.url, f"contract-{number}", prefix=f"contract-{number}:")
        hub = ClusterHub(
            link,
            lambda ids, secret: Hub(clock=lambda: NOON, message_ids=ids, cloak_secret=secret),
        )
        hub.start()
        return hub

    def discard(self, hub: ChatHub) -> None:
        from chinwag.cluster.hub import ClusterHub

        assert isinstance(hub, ClusterHub)
        hub.stop()


REDIS_HUBS = RedisHubs()

IMPLEMENTATIONS = {
    "in-process": Implementation(
        make_hub=lambda: Hub(clock=lambda: NOON),
        make_member=lambda member_id: Member(member_id, "10.0.0.1"),
    ),
    "redis": Implementation(
        make_hub=REDIS_HUBS.make_hub,
        make_member=lambda member_id: Member(member_id, "10.0.0.1"),
        prepare=REDIS_HUBS.prepare,
        discard=REDIS_HUBS.discard,
    ),
}


def audience_ids(delivery: Delivery) -> list[str]:
    audience = delivery.audience
    ids = audience.members if isinstance(audience, ToRoom) else audience.ids
    return [member_id for member_id in ids if member_id != delivery.exclude]


class HubContract(RuleBasedStateMachine):
    """The contract's state machine; :attr:`implementation` says which hub it drives."""

    implementation: Implementation = IMPLEMENTATIONS["in-process"]

    def __init__(self) -> None:
        super().__init__()
        self.hub = self.implementation.make_hub()
        self.numbers = itertools.count(1)
        self.present: list[Member] = []
        self.gone: list[Member] = []
        self.said = itertools.count(1)
        # Every room message each member received, over the whole run.
        self.heard: dict[str, list[RoomMessage]] = defaultdict(list)

    def teardown(self) -> None:
        self.implementation.discard(self.hub)

    # --- helpers -------------------------------------------------------------------------

    def fan_out(self, deliveries: Iterable[Delivery]) -> dict[Member, list[Event]]:
        """Who receives which events, in order; nobody who left may be among them."""
        by_id = {member.client_id: member for member in self.present}
        gone = {member.client_id for member in self.gone}
        inbox: dict[Member, list[Event]] = defaultdict(list)
        for delivery in deliveries:
            for member_id in audience_ids(delivery):
                assert member_id not in gone, f"a ghost was told {delivery.event}"
                inbox[by_id[member_id]].append(delivery.event)
                if isinstance(delivery.event, RoomMessage):
                    self.heard[member_id].append(delivery.event)
        return dict(inbox)

    def sharing_a_room(self, member: Member) -> set[Member]:
        return {m for m in self.present if m is not member and m.rooms.keys() & member.rooms.keys()}

    def in_room(self, room: str) -> set[Member]:
        return {m for m in self.present if fold(room) in m.rooms}

    def holder(self, nick: str) -> Member | None:
        return next((m for m in self.present if fold(m.nick) == fold(nick)), None)

    def marks(self, member: Member, room: str) -> str | None:
        """``member``'s marks in ``room`` (``None``: not in it, or no such room)."""
        try:
            view = self.hub.room(room)
        except errors.NoSuchRoom:
            return None
        # The room without its member list: the same settings, and no members.
        assert self.hub.room(room, members=False) == replace(view, members=())
        return next((marks for m, marks in view.members if m is member), None)

    # --- actions -------------------------------------------------------------------------

    @rule()
    def connect(self) -> None:
        member = self.implementation.make_member(f"Client-{next(self.numbers)}")
        expected = self.in_room(LOBBY)
        deliveries = self.hub.add(member)
        self.present.append(member)
        inbox = self.fan_out(deliveries)
        assert inbox == {m: [Joined(member.nick, LOBBY, connected=True)] for m in expected}

    @precondition(lambda self: self.present)
    @rule(data=st.data(), reason=st.sampled_from(["", "bye"]))
    def disconnect(self, data: st.DataObject, reason: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        expected = self.sharing_a_room(member)
        deliveries = self.hub.remove(member, reason)
        self.present.remove(member)
        self.gone.append(member)
        inbox = self.fan_out(deliveries)
        assert inbox == {m: [Quit(member.nick, reason)] for m in expected}  # each told once

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
            inbox = self.fan_out(self.hub.rename(member, nick))
            assert inbox.pop(member) == [NickChanged(old, nick, own=True)]
            assert inbox == {m: [NickChanged(old, nick)] for m in others}
            assert member.nick == nick
            return
        assert member.nick == old

    @precondition(lambda self: self.present)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def join(self, data: st.DataObject, room: str) -> None:
        self.enter(data.draw(st.sampled_from(self.present)), room)

    @precondition(lambda self: len(self.present) > 1)
    @rule(room=st.sampled_from(ROOMS[2:]))
    def gather(self, room: str) -> None:
        """Everyone not there yet joins one room, so that rooms are shared (and kicks,
        bans and departures have someone to tell)."""
        for member in self.present:
            if fold(room) not in member.rooms:
                self.enter(member, room)

    def enter(self, member: Member, room: str) -> None:
        if fold(room) in member.rooms:
            with pytest.raises(errors.AlreadyInRoom):
                self.hub.join(member, room)
            return
        others = self.in_room(room)
        inbox = self.fan_out(self.hub.join(member, room))
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
        inbox = self.fan_out(self.hub.part(member, room))
        assert inbox == {m: [Parted(member.nick, name)] for m in others}
        assert fold(room) not in member.rooms

    @precondition(lambda self: self.present)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def say(self, data: st.DataObject, room: str) -> None:
        member = data.draw(st.sampled_from(self.present))
        text = f"{member.client_id} {next(self.said)}"
        if fold(room) not in member.rooms:
            with pytest.raises(errors.NotInRoom):
                self.hub.say(member, room, text)
            return
        others = self.in_room(room) - {member}
        inbox = self.fan_out(self.hub.say(member, room, text))
        event = RoomMessage(NOON, member.nick, member.rooms[fold(room)], text)
        assert inbox == {m: [event] for m in others}

    @precondition(lambda self: len(self.present) > 1)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def invite(self, data: st.DataObject, room: str) -> None:
        actor, target = data.draw(st.permutations(self.present))[:2]
        try:
            self.fan_out(self.hub.invite(actor, target.nick, room))
        except (errors.NotInRoom, errors.AlreadyInvited):
            assert fold(room) not in actor.rooms or fold(room) in target.rooms

    def draw_actor_and_target(self, data: st.DataObject, room: str) -> tuple[Member, Member, str]:
        """Two members and a room: often an operator of the room and someone in it (so
        that kicks and bans happen, not only their refusals), otherwise any."""
        able = [
            (actor, target, name)
            for name in {fold(room) for room in ROOMS}
            for actor in self.present
            if "@" in (self.marks(actor, name) or "")
            for target in self.present
            if target is not actor and self.marks(target, name) is not None
        ]
        if able and data.draw(st.booleans()):
            return data.draw(st.sampled_from(able))
        actor, target = data.draw(st.permutations(self.present))[:2]
        return actor, target, room

    @precondition(lambda self: len(self.present) > 1)
    @rule(data=st.data(), room=st.sampled_from(ROOMS), reason=st.sampled_from(["", "out"]))
    def kick(self, data: st.DataObject, room: str, reason: str) -> None:
        actor, target, room = self.draw_actor_and_target(data, room)
        actor_marks, target_marks = self.marks(actor, room), self.marks(target, room)
        if actor_marks is None or "@" not in actor_marks or target_marks is None:
            with pytest.raises(errors.ChatError):
                self.hub.kick_from(actor, room, target.nick, reason)
            return
        name = actor.rooms[fold(room)]
        everyone = self.in_room(room)  # the target too, once
        inbox = self.fan_out(self.hub.kick_from(actor, room, target.nick, reason))
        assert inbox == {m: [Kicked(actor.nick, name, target.nick, reason)] for m in everyone}
        assert fold(room) not in target.rooms
        assert target not in self.hub.room_members(name)

    @precondition(lambda self: len(self.present) > 1)
    @rule(data=st.data(), room=st.sampled_from(ROOMS))
    def ban_from_room(self, data: st.DataObject, room: str) -> None:
        """A room operator bans a member by nick: they may no longer speak there (unless
        privileged); lifting the ban lets them speak again."""
        actor, target, room = self.draw_actor_and_target(data, room)
        actor_marks = self.marks(actor, room)
        mask = f"{target.nick}!*@*"
        if actor_marks is None or "@" not in actor_marks:
            with pytest.raises(errors.ChatError):
                self.hub.change_modes(actor, room, [ModeChange(True, "b", mask)])
            return
        name = actor.rooms[fold(room)]
        everyone = self.in_room(room)
        inbox = self.fan_out(self.hub.change_modes(actor, room, [ModeChange(True, "b", mask)]))
        assert set(inbox) == everyone
        assert all(len(events) == 1 for events in inbox.values())
        assert all(isinstance(events[0], ModesChanged) for events in inbox.values())
        if self.marks(target, room) == "":  # in the room, and not privileged
            with pytest.raises(errors.CannotSend):
                self.hub.say(target, name, "let me speak")
        self.fan_out(self.hub.change_modes(actor, room, [ModeChange(False, "b", mask)]))
        if self.marks(target, room) == "":
            self.fan_out(self.hub.say(target, name, f"{target.client_id} {next(self.said)}"))

    # --- invariants --------------------------------------------------------------------

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

    @invariant()
    def each_senders_messages_arrive_in_the_order_sent(self) -> None:
        for messages in self.heard.values():
            last: dict[str, int] = {}
            for message in messages:
                sender, number = message.text.split(" ")
                assert int(number) > last.get(sender, 0), messages
                last[sender] = int(number)


CONTRACT_SETTINGS = settings(max_examples=60, stateful_step_count=30, deadline=None)


@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_hub_keeps_the_contract(name: str, request: pytest.FixtureRequest) -> None:
    machine = type(f"HubContract_{name}", (HubContract,), {})
    machine.implementation = IMPLEMENTATIONS[name]
    machine.implementation.prepare(request)
    run_state_machine_as_test(machine, settings=CONTRACT_SETTINGS)
