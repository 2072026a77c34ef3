"""Address bans: which IP addresses may not connect, and until when.

Read by the accept thread for every new connection and changed by operators, so it has
its own lock and never calls out while holding it.
"""

import ipaddress
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ban:
    """``address`` may not connect until ``until`` (a ``time.time()``; ``None``: forever)."""

    address: str
    by: str
    nick: str = ""
    until: float | None = None

    def expired(self, now: float) -> bool:
        return self.until is not None and now >= self.until


def normalize_address(text: str) -> str | None:
    """The canonical form of an IP address, or ``None`` when ``text`` is not one."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


class BanList:
    """The bans in force; expired bans disappear on their own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bans: dict[str, Ban] = {}

    def add(self, ban: Ban) -> None:
        with self._lock:
            self._bans[ban.address] = ban

    def remove(self, address_or_nick: str) -> Ban | None:
        """Lift the ban on an address, or on the address banned under a nickname."""
        key = normalize_address(address_or_nick)
        with self._lock:
            if key is None:
                wanted = address_or_nick.casefold()
                key = next(
                    (b.address for b in self._bans.values() if b.nick.casefold() == wanted), None
                )
            return self._bans.pop(key, None) if key is not None else None

    def find(self, address: str) -> Ban | None:
        """The ban in force on ``address``, if any."""
        now = time.time()
        with self._lock:
            ban = self._bans.get(address)
            if ban is not None and ban.expired(now):
                del self._bans[address]
                return None
            return ban

    def active(self) -> list[Ban]:
        now = time.time()
        with self._lock:
            for address in [a for a, b in self._bans.items() if b.expired(now)]:
                del self._bans[address]
            return sorted(self._bans.values(), key=lambda b: b.address)
