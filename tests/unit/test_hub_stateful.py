"""The in-process hub's own bookkeeping, under the contract's random interleavings.

The contract suite (``tests/contract/test_hub_contract.py``) checks what every hub
implementation must do, through the contract alone. This machine runs the same actions
on the in-process :class:`~chinwag.hub.hub.Hub` and checks, besides, what only it keeps:
invitations indexed both ways (member to rooms, room to members), and only to live rooms.
"""

from __future__ import annotations

from hypothesis.stateful import invariant

from chinwag.hub.hub import Hub
from chinwag.hub.names import fold
from tests.contract.test_hub_contract import CONTRACT_SETTINGS, IMPLEMENTATIONS, HubContract


class InProcessHubMachine(HubContract):
    implementation = IMPLEMENTATIONS["in-process"]

    @property
    def local(self) -> Hub:
        assert isinstance(self.hub, Hub)
        return self.hub

    @invariant()
    def invitations_are_indexed_both_ways_and_only_to_live_rooms(self) -> None:
        live = {id(self.local._rooms[fold(name)]) for name, _ in self.local.rooms()}
        for member in self.present:
            for room in member.invitations:
                assert id(room) in live
                assert member in room.invited
        for member in self.gone:
            assert not member.invitations
        for name, _ in self.local.rooms():
            for member in self.local._rooms[fold(name)].invited:
                assert room_of(self.local, name) in member.invitations
                assert member in self.present


def room_of(hub: Hub, name: str) -> object:
    return hub._rooms[fold(name)]


InProcessHubMachine.TestCase.settings = CONTRACT_SETTINGS
test_hub_interleavings = InProcessHubMachine.TestCase
