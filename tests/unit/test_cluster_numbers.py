"""Member numbers at hand for newcomers: taking one never waits; refills ahead of need."""

from __future__ import annotations

import pytest

from chinwag.cluster.numbers import MemberNumbers


class Counter:
    """The cluster's counter, as the numbers see it: ``fetch(count)`` gives the last."""

    def __init__(self) -> None:
        self.last = 0
        self.asked: list[int] = []
        self.failing = False

    def __call__(self, count: int) -> int:
        if self.failing:
            raise ConnectionError("Redis is away")
        self.asked.append(count)
        self.last += count
        return self.last


def test_numbers_come_from_fetched_blocks_in_order_and_none_when_none_is_at_hand() -> None:
    counter = Counter()
    numbers = MemberNumbers(counter, block=4)
    assert numbers.take() is None  # nothing fetched yet: no waiting for it either
    assert numbers.refill()  # a block of 8 now: a newcomer found none
    assert [numbers.take() for _ in range(9)] == [*range(1, 9), None]
    numbers.refill()
    assert numbers.take() == 9  # the next block: numbers are never handed out twice


def test_the_refill_is_asked_for_when_half_a_block_remains() -> None:
    counter = Counter()
    numbers = MemberNumbers(counter, block=8)
    numbers.refill()
    numbers.wanted.clear()
    for _ in range(4):
        numbers.take()
    assert not numbers.wanted.is_set()  # 4 of 8 left: enough
    numbers.take()
    assert numbers.wanted.is_set()  # 3 left
    assert numbers.refill()
    assert numbers.at_hand() == 3 + 8
    assert not numbers.refill()  # plenty: nothing fetched
    assert counter.asked == [8, 8]


def test_a_newcomer_finding_none_makes_the_next_blocks_larger_up_to_the_most() -> None:
    counter = Counter()
    numbers = MemberNumbers(counter, block=4, most=16)
    for expected in (8, 16, 16):
        assert numbers.take() is None
        assert numbers.block == expected
    numbers.refill()
    assert counter.asked == [16]
    assert numbers.at_hand() == 16


def test_a_failed_fetch_is_asked_for_again_and_takes_nothing_meanwhile() -> None:
    counter = Counter()
    numbers = MemberNumbers(counter, block=4)
    counter.failing = True
    with pytest.raises(ConnectionError):
        numbers.refill()
    assert numbers.wanted.is_set()
    assert numbers.take() is None
    counter.failing = False
    assert numbers.refill()
    assert numbers.take() == 1


def test_it_knows_the_highest_number_it_fetched() -> None:
    counter = Counter()
    numbers = MemberNumbers(counter, block=4)
    assert numbers.highest == 0
    numbers.refill()
    numbers.take()
    assert numbers.highest == 4  # at hand or handed out: this node's either way
