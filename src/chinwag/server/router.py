"""This server's map from member ids to its own connections' endpoints.

Theory of operation: the hub names every delivery's audience by member id or by room
(:class:`~chinwag.hub.events.ToRoom`, :class:`~chinwag.hub.events.ToMembers`) and never
holds an endpoint. Each server has one router: a connection registers its endpoint under
its member id before it enters the hub and is removed when it is finished. The
dispatcher asks the router for the endpoints of an audience; ids it does not know (members
connected elsewhere, or already gone) are skipped, so a hub spanning several servers can
hand every server the same deliveries.

A room's audience is resolved once per membership version and cached by room key, so a
message costs one dictionary lookup, not one per recipient. The cache holds at most
``MAX_CACHED_ROOMS`` rooms and is emptied when it would grow past that (rooms come and
go; the next message to each is resolved anew). Registering and removing endpoints never
has to touch the cache: a member is registered before it can be in any room, and leaving
the hub changes the membership version of every room it was in.

Lookups and updates are single dictionary operations, safe from any thread.
"""

from __future__ import annotations

from chinwag.hub.endpoint import Endpoint
from chinwag.hub.events import Audience, ToRoom

MAX_CACHED_ROOMS = 4096


class Router:
    """Member ids to this server's endpoints, and room audiences to their endpoints."""

    def __init__(self, max_cached_rooms: int = MAX_CACHED_ROOMS) -> None:
        self._endpoints: dict[str, Endpoint] = {}
        self._rooms: dict[str, tuple[int, tuple[Endpoint, ...]]] = {}  # key -> version
        self._max_cached_rooms = max_cached_rooms

    def add(self, member_id: str, endpoint: Endpoint) -> None:
        """Route what is addressed to ``member_id`` to ``endpoint`` (a local connection)."""
        self._endpoints[member_id] = endpoint

    def remove(self, member_id: str) -> None:
        self._endpoints.pop(member_id, None)

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
