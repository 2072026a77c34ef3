"""The hub's record of names left behind: bounded, newest first, hosts as the viewer may see."""

from __future__ import annotations

from datetime import datetime

from chinwag.hub.hub import Hub, Member
from chinwag.hub.whowas import NameHistory
from tests.unit.fakes import FakeEndpoint


def _member(nick: str, address: str = "10.0.0.1") -> Member:
    member = Member(nick, address, FakeEndpoint())
    member.cloak = "cloak.ip"
    return member


def test_the_history_keeps_only_its_size() -> None:
    history = NameHistory(3)
    for number in range(5):
        history.record(_member(f"n{number}"), datetime(2026, 1, 1))
    assert len(history) == 3
    assert history.find("n0") == [] and history.find("n1") == []
    assert [entry.nick for entry in history.find("N4")] == ["n4"]  # case-insensitive


def test_newest_first_and_count() -> None:
    history = NameHistory()
    for minute in range(3):
        history.record(_member("ann"), datetime(2026, 1, 1, 0, minute))
    assert [entry.at.minute for entry in history.find("ann")] == [2, 1, 0]
    assert [entry.at.minute for entry in history.find("ann", 2)] == [2, 1]


def test_the_hub_records_quits_and_renames_with_hosts_as_seen() -> None:
    hub = Hub()
    ann, viewer = _member("Client-1"), _member("Client-2", "10.0.0.2")
    hub.register(ann, "ann")
    hub.register(viewer, "viewer")
    hub.rename(ann, "anne")
    hub.remove(ann)
    found = hub.whowas(viewer, "ann")
    assert [(entry.nick, host) for entry, host in found] == [("ann", ann.cloak)]
    assert [entry.nick for entry, _ in hub.whowas(viewer, "anne")] == ["anne"]
    viewer.operator = True
    assert hub.whowas(viewer, "ann")[0][1] == "10.0.0.1"
    assert hub.most_members == 2
