"""This server's map from member ids to its own connections' endpoints.

Theory of operation: the hub names every delivery's audience by member id or by room
(:class:`~chinwag.hub.events.ToRoom`, :class:`~chinwag.hub.events.ToMembers`) and never
holds an endpoint. Each server has one router: a connection registers its endpoint under
its member id before it enters the hub and is removed when it is finished. The
dispatcher asks the router for the endpoints of an audience; ids it does not know (members
connected elsewhere, or already gone) are skipped, so a hub spanning several servers can
hand every server the same deliveries.

A room's audience is resolved once per membership version and cached by room key, so a
message costs one dictionary lookup, not one per recipient. Registering and removing
endpoints never has to touch the cache for correctness: a member is registered before it
can be in any room, and leaving the hub changes the membership version of every room it
was in. But a room that emptied (and went away) keeps its last entry, and with it
connections that are closed, so the cache is emptied when it would hold more than
``MAX_CACHED_ROOMS`` rooms and after every ``FORGET_AFTER_REMOVALS`` removals; the next
message to each room resolves it anew, which costs what a membership change does.

Lookups and updates are single dictionary operations, safe from any thread; the removal
count may miss a beat when connections finish at once, which only delays a forgetting.
"""

from __future__ import annotations

from chinwag.hub.endpoint import Endpoint
from chinwag.hub.events import Audience, ToRoom

MAX_CACHED_ROOMS = 4096
FORGET_AFTER_REMOVALS = 256  # closed connections the cache may keep alive, at most


class Router:
    """Member ids to this server's endpoints, and room audiences to their endpoints."""

    def __init__(
        self,
        max_cached_rooms: int = MAX_CACHED_ROOMS,
        forget_after_removals: int = FORGET_AFTER_REMOVALS,
    ) -> None:
        self._endpoints: dict[str, Endpoint] = {}
        self._rooms: dict[str, tuple[int, tuple[Endpoint, ...]]] = {}  # key -> version
        self._max_cached_rooms = max_cached_rooms
        self._forget_after_removals = forget_after_removals
        self._removals = 0  # since the cache was last emptied

    def add(self, member_id: str, endpoint: Endpoint) -> None:
        """Route what is addressed to ``member_id`` to ``endpoint`` (a local connection)."""
        self._endpoints[member_id] = endpoint

    def remove(self, member_id: str) -> None:
        self._endpoints.pop(member_id, None)
        self._removals += 1
        if self._removals >= self._forget_after_removals:
            self._removals = 0
            self._rooms.clear()  # let go of closed connections of rooms now gone

    def endpoint(self, member_id: str | None) -> Endpoint | None:
        """The local endpoint of ``member_id``; ``None`` if it has none here."""
        return self._endpoints.get(member_id) if member_id is not None else None

    def resolve(self, audience: Audience) -> tuple[Endpoint, ...]:
        """The local endpoints of ``audience``, in its order."""
        if isinstance(audience, ToRoom):
            cached = self._rooms.get(audience.key)
            if cached is not None and cached[0] == audience.version:
                return cached[1]
            endpoints = self._local(audience.members)
            if len(self._rooms) >= self._max_cached_rooms:
                self._rooms.clear()
            self._rooms[audience.key] = (audience.version, endpoints)
            return endpoints
        return self._local(audience.ids)

    def _local(self, ids: tuple[str, ...]) -> tuple[Endpoint, ...]:
        get = self._endpoints.get
        return tuple(endpoint for endpoint in map(get, ids) if endpoint is not None)

    def __len__(self) -> int:
        return len(self._endpoints)
