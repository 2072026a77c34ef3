"""Flood control: a token bucket per connection, paying for each line a client sends.

A client may send ``burst`` lines at once, then ``rate`` lines a second. A line that finds
the bucket empty is not dropped: :meth:`TokenBucket.take` says how long to wait, and the
connection's reader thread waits that long before interpreting it (so a flooder slows
down only itself, and TCP pushes back on it). The same fake-lag scheme as Ergo and ngIRCd.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
