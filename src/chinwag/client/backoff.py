"""When to try reconnecting: capped exponential backoff, with optional jitter.

Attempt ``n`` (from 1) waits ``min(cap, first * factor ** (n - 1))`` seconds, so the
defaults give 1, 2, 4, 8, 16, 30, 30, ... Jitter (a fraction, 0.1 meaning up to 10%
either way) keeps many clients of a restarted server from all coming back in the same
instant; the random source is a parameter so tests are deterministic.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Uniform = Callable[[float, float], float]


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.cap:
            raise ValueError("the first delay must be positive and at most the cap")
        if self.factor < 1:
            raise ValueError("the factor must be at least 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("the jitter must be a fraction in [0, 1)")

    def delay(self, attempt: int, uniform: Uniform = random.uniform) -> float:
        """Seconds to wait before attempt number ``attempt`` (1 for the first)."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        # Compare logarithms, not powers, so a long outage cannot overflow a float.
        steps = attempt - 1
        if steps * math.log(self.factor) < math.log(self.cap / self.first):
            base = self.first * self.factor**steps
        else:
            base = self.cap
        if not self.jitter:
            return base
        return base * (1 + uniform(-self.jitter, self.jitter))

    def delays(self, uniform: Uniform = random.uniform) -> Iterator[float]:
        """The endless schedule: the delay before attempt 1, 2, 3..."""
        attempt = 1
        while True:
            yield self.delay(attempt, uniform)
            attempt += 1
