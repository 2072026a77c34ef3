"""Flood control: a token bucket per connection, paying for each line a client sends.

A client may send ``burst`` lines at once, then ``rate`` lines a second. A line that finds
the bucket empty is not dropped: :meth:`TokenBucket.take` says how long to wait, and the
connection's reader thread waits that long before interpreting it, reading nothing
meanwhile (so a flooder slows down only itself, and TCP pushes back on it). The same
fake-lag scheme as Ergo and ngIRCd. :class:`Pacer` adds the policy: tell the client once,
drop it only when it keeps flooding for a long time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


class TokenBucket:
    def __init__(
        self, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("a token bucket needs a positive burst and rate")
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def take(self) -> float:
        """Spend one token; return how many seconds to wait before the line may be used."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


@dataclass(frozen=True, slots=True)
class Pace:
    """What to do with one line: wait ``delay`` seconds first, tell the client it is being
    slowed down (``warn``), or drop it for sustained flooding (``drop``)."""

    delay: float = 0.0
    warn: bool = False
    drop: bool = False


ON_TIME = Pace()


class Pacer:
    """The flood policy for one connection: pace, warn once, drop only sustained floods.

    Each line spends a token. A line that finds none waits for one: the client is
    *behind*, and stays behind as long as each of its lines has to wait (it sent faster
    than ``rate`` all along; a pause long enough to earn a token ends it). The client is
    told when it falls behind, at most once every ``warn_interval`` seconds, and dropped
    when it has been behind for ``max_seconds`` without a break. How many lines arrive in
    one piece does not matter: a paste is paced, never dropped.
    """

    def __init__(
        self,
        burst: int,
        rate: float,
        max_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        warn_interval: float = 60.0,
    ) -> None:
        self._bucket = TokenBucket(burst, rate, clock)
        self._clock = clock
        self.max_seconds = max_seconds
        self._warn_interval = warn_interval
        self._behind_since: float | None = None
        self._warned_at: float | None = None

    def line(self) -> Pace:
        delay = self._bucket.take()
        if not delay:
            self._behind_since = None
            return ON_TIME
        now = self._clock()
        warn = False
        if self._behind_since is None:
            self._behind_since = now
            if self._warned_at is None or now - self._warned_at >= self._warn_interval:
                self._warned_at = now
                warn = True
        drop = now - self._behind_since >= self.max_seconds
        return Pace(delay, warn, drop)
