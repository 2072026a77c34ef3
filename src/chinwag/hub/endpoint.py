"""What a member's connection must offer so that deliveries can reach it.

The hub never sees endpoints: each server's router maps member ids to them, and the
dispatcher calls them, outside the hub's lock. Endpoints that share a formatter get the
same encoded bytes.
"""

from typing import Protocol

from chinwag.hub.events import Event


class Formatter(Protocol):
    def format(self, event: Event) -> bytes: ...


class Endpoint(Protocol):
    @property
    def formatter(self) -> Formatter: ...

    def send(self, data: bytes) -> None:
        """Queue ``data`` and have it sent soon; never blocks."""

    def close(self, reason: str, last_words: bytes = b"") -> None:
        """Send ``last_words`` and end the connection, with nothing sent in between.

        ``reason`` is what the others are told.
        """
