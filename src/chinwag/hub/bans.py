"""Address bans: which IP addresses may not connect, and until when.

A ban covers a network: one IPv4 address (``10.0.0.2``), a range written as CIDR
(``10.0.0.0/24``), or for IPv6 a whole ``/64`` unless a longer prefix is given, since one
IPv6 host usually has a /64 to pick addresses from. An IPv4 address seen as IPv6
(``::ffff:10.0.0.2``) is the IPv4 address.

Read by the accept thread for every new connection, and again by the hub when the
connection arrives in it (a ban set in between must keep it out), and changed by
operators, so it has
its own lock and never calls out while holding it (the ``on_add`` and ``on_remove``
observers, which keep a copy on disk, are called after it is released). Finding the
ban on an address costs one dictionary look-up per distinct prefix length in force,
not one per ban.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_DEFAULT_PREFIX = 64


@dataclass(frozen=True, slots=True)
class Ban:
    """``address`` (an address or ``network/bits``) may not connect until ``until``
    (a ``time.time()``; ``None``: forever)."""

    address: str
    by: str
    nick: str = ""
    until: float | None = None

    def expired(self, now: float) -> bool:
        return self.until is not None and now >= self.until


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def network_of(text: str) -> Network | None:
    """The network a ban on ``text`` covers: an address (IPv6: its /64) or ``net/bits``;
    ``None`` when ``text`` is neither."""
    text = text.strip()
    if "/" in text:
        try:
            return ipaddress.ip_network(text, strict=False)
        except ValueError:
            return None
    address = _ip(text)
    if address is None:
        return None
    bits = IPV6_DEFAULT_PREFIX if address.version == 6 else address.max_prefixlen
    return ipaddress.ip_network((address, bits), strict=False)


def covers(network: Network, address: str) -> bool:
    """Whether ``address`` (any text; not an address: no) lies in ``network``."""
    ip = _ip(address)
    return ip is not None and ip.version == network.version and ip in network


def describe(network: Network) -> str:
    """How a network is shown, so that :func:`network_of` reads it back: a lone IPv4
    address bare, anything else as ``net/bits``."""
    if network.version == 4 and network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def refusal(ban: Ban) -> str:
    """What a connection from a banned address is told before it is closed."""
    until = "" if ban.until is None else time.strftime(" until %H:%M", time.localtime(ban.until))
    return f"You are banned from this server{until}"


class BanList:
    """The bans in force; expired bans disappear on their own.

    ``on_add`` and ``on_remove`` are told of every ban an operator adds or lifts (not of
    those that expire), outside the lock; they must not block.
    """

    def __init__(
        self,
        on_add: Callable[[Ban], None] | None = None,
        on_remove: Callable[[Ban], None] | None = None,
    ) -> None:
        self._on_add = on_add
        self._on_remove = on_remove
        self._lock = threading.Lock()
        self._bans: dict[Network, Ban] = {}
        self._prefixes: tuple[tuple[int, int], ...] = ()  # (IP version, bits) in force

    def add(self, ban: Ban) -> None:
        network = network_of(ban.address)
        if network is None:
            raise ValueError(f"not an address or network: {ban.address!r}")
        with self._lock:
            self._bans[network] = ban
            self._changed()
        if self._on_add is not None:
            self._on_add(ban)

    def restore(self, bans: list[Ban]) -> None:
        """Put back bans kept from before a restart, without telling the observers."""
        with self._lock:
            for ban in bans:
                network = network_of(ban.address)
                if network is not None:
                    self._bans[network] = ban
            self._changed()

    def remove(self, address_or_nick: str) -> Ban | None:
        """Lift the ban on an address or network, or on the one banned under a nickname."""
        key: Network | None = network_of(address_or_nick)
        with self._lock:
            if key is None:
                wanted = address_or_nick.casefold()
                key = next((n for n, b in self._bans.items() if b.nick.casefold() == wanted), None)
            ban = self._bans.pop(key, None) if key is not None else None
            self._changed()
        if ban is not None and self._on_remove is not None:
            self._on_remove(ban)
        return ban

    def find(self, address: str) -> Ban | None:
        """The ban in force on ``address``, if any."""
        ip = _ip(address)
        if ip is None:
            return None
        now = time.time()
        with self._lock:
            for version, bits in self._prefixes:
                if version != ip.version:
                    continue
                network = ipaddress.ip_network((ip, bits), strict=False)
                ban = self._bans.get(network)
                if ban is None:
                    continue
                if ban.expired(now):
                    del self._bans[network]
                    self._changed()
                    continue
                return ban
            return None

    def active(self) -> list[Ban]:
        now = time.time()
        with self._lock:
            for network in [n for n, b in self._bans.items() if b.expired(now)]:
                del self._bans[network]
            self._changed()
            return [self._bans[n] for n in sorted(self._bans, key=_order)]

    def _changed(self) -> None:
        # Longest prefix first: the most specific ban is the one reported.
        found = {(n.version, n.prefixlen) for n in self._bans}
        self._prefixes = tuple(sorted(found, key=lambda p: -p[1]))


def _order(network: Network) -> tuple[int, int, int]:
    return network.version, int(network.network_address), network.prefixlen
