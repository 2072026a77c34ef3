"""Per-address admission: how many connections one IP may hold, and how fast it may open them.

Checked by the accept thread before any thread is started, so a refused socket costs a
dictionary lookup and a ``close``. Addresses in the exempt networks (loopback by default,
as on Ergo) are never limited. State is kept only for addresses with live connections or
recent arrivals, and is swept as it expires, so a scan from many addresses cannot grow it
without bound.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WINDOW_SECONDS = 60.0
_SWEEP_EVERY = 1024


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.0/8, ::1"`` as networks; raises ``ValueError`` on a malformed entry."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


class _Address:
    __slots__ = ("arrivals", "live")

    def __init__(self) -> None:
        self.live = 0
        self.arrivals: deque[float] = deque()


class AdmissionControl:
    """Counts live connections and recent arrivals per address."""

    def __init__(
        self,
        max_per_address: int = 0,
        max_per_minute: int = 0,
        exempt: Iterable[Network] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_per_address = max_per_address  # 0: unlimited
        self.max_per_minute = max_per_minute  # 0: unlimited
        self._exempt = tuple(exempt)
        self._clock = clock
        self._lock = threading.Lock()
        self._addresses: dict[str, _Address] = {}
        self._admitted = 0

    def exempt(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self._exempt)

    def admit(self, ip: str) -> str | None:
        """Count a new connection from ``ip``, or return why it is refused."""
        if self.exempt(ip) or not (self.max_per_address or self.max_per_minute):
            return None
        now = self._clock()
        with self._lock:
            self._admitted += 1
            if self._admitted % _SWEEP_EVERY == 0:
                self._sweep(now)
            state = self._addresses.setdefault(ip, _Address())
            _expire(state, now)
            if self.max_per_address and state.live >= self.max_per_address:
                return f"too many connections from your address (at most {self.max_per_address})"
            if self.max_per_minute and len(state.arrivals) >= self.max_per_minute:
                limit = self.max_per_minute
                return f"too many new connections from your address (at most {limit} a minute)"
            state.live += 1
            state.arrivals.append(now)
            return None

    def release(self, ip: str) -> None:
        """A connection admitted from ``ip`` has ended."""
        if self.exempt(ip) or not (self.max_per_address or self.max_per_minute):
            return
        with self._lock:
            state = self._addresses.get(ip)
            if state is None:
                return
            state.live = max(0, state.live - 1)
            _expire(state, self._clock())
            if not state.live and not state.arrivals:
                del self._addresses[ip]

    def tracked(self) -> int:
        """How many addresses have state (for tests and statistics)."""
        with self._lock:
            return len(self._addresses)

    def _sweep(self, now: float) -> None:
        for ip, state in list(self._addresses.items()):
            _expire(state, now)
            if not state.live and not state.arrivals:
                del self._addresses[ip]


def _expire(state: _Address, now: float) -> None:
    while state.arrivals and now - state.arrivals[0] >= WINDOW_SECONDS:
        state.arrivals.popleft()
