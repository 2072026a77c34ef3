"""The registry of active connections: generated name, connect time, address and socket.

Names are ``Client-1``, ``Client-2``, ... counted for the life of the server and never
reused (a server in a cluster is given numbers no other server of the cluster hands
out, and may have none at hand: :class:`NamesUnavailable`). One lock guards the table;
readers get snapshots, so nobody iterates a dict that another thread is changing.
"""

import itertools
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    name: str
    connected_at: datetime
    address: tuple[str, int]
    sock: socket.socket = field(repr=False, compare=False)


class NamesUnavailable(Exception):
    """No name can be given now: the numbers come from elsewhere (the cluster's Redis),
    and none is at hand; taking one never waits."""


class ActiveConnections:
    """Thread-safe table of the connections the server is serving now."""

    def __init__(
        self, max_clients: int = 0, numbers: Callable[[], int | None] | None = None
    ) -> None:
        self.max_clients = max_clients  # 0: unlimited
        self._lock = threading.Lock()
        self.numbers: Callable[[], int | None] = numbers or itertools.count(1).__next__
        self._by_name: dict[str, ConnectionInfo] = {}

    def try_add(self, sock: socket.socket, address: tuple[str, int]) -> ConnectionInfo | None:
        """Register a new connection under a fresh name, or ``None`` when the server is
        full; raises :class:`NamesUnavailable` when no name can be given now."""
        with self._lock:
            if self.max_clients and len(self._by_name) >= self.max_clients:
                return None
            number = self.numbers()
            if number is None:
                raise NamesUnavailable
            info = ConnectionInfo(f"Client-{number}", datetime.now(), address, sock)
            self._by_name[info.name] = info
            return info

    def remove(self, name: str) -> bool:
        """Forget a connection; ``False`` if it was not registered."""
        with self._lock:
            return self._by_name.pop(name, None) is not None

    def snapshot(self) -> list[ConnectionInfo]:
        with self._lock:
            return list(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name
