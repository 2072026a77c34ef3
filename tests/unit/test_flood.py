"""The flood policy with a fake clock: paces, warns once, drops only sustained floods."""

from __future__ import annotations

import pytest

from chinwag.server.flood import Pace, Pacer, TokenBucket
from tests.unit.fakes import Clock


def follow(pacer: Pacer, clock: Clock, lines: int) -> list[Pace]:
    """Pace ``lines`` lines sent at once, waiting as told (as the reader thread does)."""
    paces = []
    for _ in range(lines):
        pace = pacer.line()
        clock.now += pace.delay
        paces.append(pace)
    return paces


def test_the_bucket_lets_a_burst_through_then_paces() -> None:
    clock = Clock()
    bucket = TokenBucket(3, 10.0, clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.1)
    clock.now += 1.0
    assert bucket.take() == 0.0


def test_a_hundred_line_paste_is_paced_whole_and_warned_about_once() -> None:
    clock = Clock()
    pacer = Pacer(burst=20, rate=10.0, max_seconds=60.0, clock=clock)
    paces = follow(pacer, clock, 100)
    assert not any(pace.drop for pace in paces)
    assert [i for i, pace in enumerate(paces) if pace.warn] == [20]
    assert all(pace.delay == 0 for pace in paces[:20])
    assert clock.now - 1000.0 == pytest.approx(8.0)  # 80 lines at 10 a second


def test_a_client_that_keeps_flooding_is_dropped_after_max_seconds_behind() -> None:
    clock = Clock()
    pacer = Pacer(burst=5, rate=2.0, max_seconds=30.0, clock=clock)
    paces = follow(pacer, clock, 200)
    first_drop = next(i for i, pace in enumerate(paces) if pace.drop)
    # Behind from line 5 on, two lines a second: the line at 30 seconds behind is dropped.
    assert first_drop == 5 + 60


def test_a_pause_that_earns_a_token_ends_being_behind() -> None:
    clock = Clock()
    pacer = Pacer(burst=1, rate=1.0, max_seconds=10.0, clock=clock, warn_interval=60.0)
    for _ in range(30):  # 30 s of lines, each waiting, then a pause each 8 s
        for pace in follow(pacer, clock, 8):
            assert not pace.drop
        clock.now += 1.5
    assert pacer.line().delay == 0


def test_the_warning_comes_again_only_after_the_interval() -> None:
    clock = Clock()
    pacer = Pacer(burst=1, rate=1.0, max_seconds=100.0, clock=clock, warn_interval=60.0)
    warnings = 0
    for _ in range(10):  # three lines at once (two seconds behind), then 20 s of quiet
        warnings += sum(pace.warn for pace in follow(pacer, clock, 3))
        clock.now += 20
    assert warnings == 4  # every third flood: at 0, 66, 132 and 198 seconds
