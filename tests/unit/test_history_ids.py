"""Message ids: sortable, unique across threads, monotonic when the clock stands still."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from chinwag.history import ids
from chinwag.history.ids import MessageIds


def test_an_id_is_26_crockford_characters_that_decode_back() -> None:
    msgid = MessageIds().next()
    assert len(msgid) == ids.LENGTH
    assert set(msgid) <= set(ids.ALPHABET)
    assert ids.encode(ids.decode(msgid)) == msgid


def test_ids_keep_increasing_under_a_frozen_clock() -> None:
    source = MessageIds(clock=lambda: 1_700_000_000.0)
    made = [source.next() for _ in range(1000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_ids_keep_increasing_when_the_clock_steps_back() -> None:
    times = iter([1_700_000_001.0, 1_700_000_000.0, 1_699_999_000.0, 1_700_000_002.0])
    source = MessageIds(clock=lambda: next(times))
    made = [source.next() for _ in range(4)]
    assert made == sorted(made)
    assert ids.time_of(made[3]) == datetime.fromtimestamp(1_700_000_002, UTC)


def test_a_new_millisecond_starts_at_a_random_place_below_half_the_range() -> None:
    source = MessageIds(clock=lambda: 1.0, random_bits=lambda bits: (1 << bits) - 1)
    value = ids.decode(source.next())
    assert value >> 80 == 1000
    assert value & ((1 << 80) - 1) == (1 << 79) - 1


def test_ids_are_unique_and_ordered_within_each_thread_across_threads() -> None:
    source = MessageIds()
    results: list[list[str]] = [[] for _ in range(8)]

    def make(out: list[str]) -> None:
        for _ in range(2000):
            out.append(source.next())

    threads = [threading.Thread(target=make, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [msgid for out in results for msgid in out]
    assert len(set(everything)) == len(everything)
    for out in results:
        assert out == sorted(out)


def test_the_time_of_an_id_and_the_bounds_of_a_millisecond() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    msgid = MessageIds(clock=when.timestamp).next()
    assert ids.time_of(msgid) == when
    assert ids.floor(when) < msgid < ids.ceiling(when)
    assert ids.time_of(ids.floor(when)) == ids.time_of(ids.ceiling(when)) == when


@pytest.mark.parametrize("text", ["", "not an id", "8" + "0" * 25, "0" * 25 + "U", "0" * 27])
def test_what_is_not_an_id(text: str) -> None:
    assert not ids.is_id(text)
    with pytest.raises(ValueError, match="not a message id"):
        ids.decode(text)
