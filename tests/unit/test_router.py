"""The router: member ids to this server's endpoints, room audiences once per version."""

from __future__ import annotations

from chinwag.hub.events import ToMembers, ToRoom
from chinwag.server.router import Router
from tests.unit.fakes import FakeEndpoint


def wired(*ids: str, max_cached_rooms: int = 8) -> tuple[Router, dict[str, FakeEndpoint]]:
    router = Router(max_cached_rooms)
    endpoints = {member_id: FakeEndpoint() for member_id in ids}
    for member_id, endpoint in endpoints.items():
        router.add(member_id, endpoint)
    return router, endpoints


def test_members_resolve_to_their_endpoints_in_order_and_strangers_to_none() -> None:
    router, endpoints = wired("a", "b")
    assert router.resolve(ToMembers(("b", "elsewhere", "a"))) == (endpoints["b"], endpoints["a"])
    assert router.endpoint("a") is endpoints["a"]
    assert router.endpoint("elsewhere") is None
    assert router.endpoint(None) is None


def test_a_room_is_resolved_once_per_membership_version() -> None:
    router, endpoints = wired("a", "b")
    first = router.resolve(ToRoom("games", 1, ("a", "b")))
    assert router.resolve(ToRoom("games", 1, ("a", "b"))) is first  # cached, not rebuilt
    router.remove("b")  # leaving the hub changes the version of every room it was in
    assert router.resolve(ToRoom("games", 2, ("a",))) == (endpoints["a"],)


def test_an_older_version_still_resolves_to_the_members_it_names() -> None:
    router, endpoints = wired("a", "b")
    router.resolve(ToRoom("games", 2, ("a",)))
    # A kick queued before the target left is still the target's to read.
    assert router.resolve(ToRoom("games", 1, ("a", "b"))) == (endpoints["a"], endpoints["b"])


def test_the_room_cache_is_bounded() -> None:
    router, _ = wired("a", max_cached_rooms=3)
    for number in range(10):
        router.resolve(ToRoom(f"room{number}", number, ("a",)))
        assert len(router._rooms) <= 3


def test_removed_members_are_no_longer_reached() -> None:
    router, _ = wired("a", "b")
    router.remove("a")
    router.remove("a")  # twice: no harm
    assert router.resolve(ToMembers(("a", "b"))) == (router.endpoint("b"),)
    assert len(router) == 1


def test_the_cache_lets_go_of_closed_connections_after_enough_removals() -> None:
    router = Router(forget_after_removals=2)
    router.add("a", FakeEndpoint())
    router.resolve(ToRoom("gone", 1, ("a",)))  # the room's last message, then it empties
    router.remove("a")
    assert router._rooms  # one removal: still cached
    router.remove("b")
    assert not router._rooms
