"""The cluster's backlog: order kept, messages bounded by number and age (a fake clock)."""

from __future__ import annotations

import threading

from chinwag.cluster.backlog import MAX_AGE_SECONDS, MAX_MESSAGES, Backlog
from tests.unit.fakes import Clock


def test_operations_keep_their_order_and_numbers_until_written() -> None:
    backlog = Backlog()
    numbers = [backlog.put(data) for data in (b"a", b"b", b"c")]
    assert numbers == [1, 2, 3]
    assert backlog.batch(2) == [(1, b"a"), (2, b"b")]
    assert backlog.batch(2) == [(1, b"a"), (2, b"b")]  # a failed write is tried again whole
    backlog.written(2)
    assert backlog.batch(5) == [(3, b"c")]
    backlog.written(1)
    assert len(backlog) == 0


def test_past_the_number_bound_a_message_is_refused_and_a_change_never() -> None:
    backlog = Backlog(max_messages=2)
    assert backlog.put(b"m1", droppable=True) == 1
    assert backlog.put(b"m2", droppable=True) == 2
    assert backlog.put(b"m3", droppable=True) is None
    assert backlog.put(b"join", droppable=False) == 3  # changes to the chat are never dropped
    assert backlog.messages() == 2
    backlog.batch(1)
    backlog.written(1)
    assert backlog.put(b"m4", droppable=True) == 4  # room again


def test_messages_that_waited_too_long_untried_are_taken_out_and_named() -> None:
    clock = Clock(100.0)
    backlog = Backlog(max_age=10.0, clock=clock)
    backlog.put(b"old message", droppable=True)
    backlog.put(b"old change")
    clock.now += 5
    backlog.put(b"newer message", droppable=True)
    assert backlog.expire() == []
    clock.now += 5.5
    assert backlog.expire() == [1]  # the change stays, however old
    assert backlog.batch(5) == [(2, b"old change"), (3, b"newer message")]
    assert backlog.messages() == 1


def test_a_message_already_tried_is_never_taken_out() -> None:
    clock = Clock(100.0)
    backlog = Backlog(max_age=1.0, clock=clock)
    backlog.put(b"tried", droppable=True)
    backlog.put(b"not tried", droppable=True)
    assert backlog.batch(1) == [(1, b"tried")]  # its write failed: Redis may have it
    clock.now += 2
    assert backlog.expire() == [2]
    assert backlog.batch(5) == [(1, b"tried")]


def test_the_defaults_are_the_documented_ones() -> None:
    backlog = Backlog()
    assert (backlog.max_messages, backlog.max_age) == (MAX_MESSAGES, MAX_AGE_SECONDS)


def test_it_knows_up_to_where_it_wrote() -> None:
    backlog = Backlog()
    assert backlog.written_up_to() == 0
    for data in (b"a", b"b", b"c"):
        backlog.put(data)
    backlog.batch(2)
    assert backlog.written_up_to() == 0  # tried is not written
    backlog.written(2)
    assert backlog.written_up_to() == 2


def test_a_wake_before_the_wait_is_not_missed() -> None:
    backlog = Backlog()
    backlog.put(b"a")  # putting wakes nobody: the caller writes it itself
    backlog.wake()  # ... unless it asks the appender to
    woken: list[bool] = []
    waiter = threading.Thread(target=lambda: woken.append(backlog.wait(60.0)))
    waiter.start()
    waiter.join(timeout=10)  # well before the minute the wait would take if missed
    assert not waiter.is_alive()
    assert woken == [True]  # and something is queued
