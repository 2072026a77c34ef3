"""Readers take turns: a few at a time, and none keeps one while it waits elsewhere."""

from __future__ import annotations

import threading

import pytest

from chinwag.turns import Turns, away


@pytest.mark.parametrize("count", [1, 3])
def test_no_more_threads_than_turns_at_a_time(count: int) -> None:
    turns = Turns(count)
    inside = 0
    most = 0
    count_lock = threading.Lock()

    def take_turns() -> None:
        nonlocal inside, most
        for _ in range(2000):
            with turns.turn():
                with count_lock:
                    inside += 1
                    most = max(most, inside)
                with count_lock:
                    inside -= 1

    threads = [threading.Thread(target=take_turns) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most <= count


def test_a_thread_stepping_away_lets_another_take_the_turn() -> None:
    turns = Turns(1)
    order: list[str] = []

    def other() -> None:
        with turns.turn():
            order.append("other")

    with turns.turn():
        with away():
            thread = threading.Thread(target=other)
            thread.start()
            thread.join(10)  # would never end if stepping away kept the turn
            assert not thread.is_alive()
        order.append("back")  # the turn is this thread's again
    assert order == ["other", "back"]


def test_stepping_away_outside_a_turn_does_nothing() -> None:
    turns = Turns(1)
    with away():
        pass
    # The turn was neither given back nor taken: it is free; stepping away inside it
    # frees it for the same thread to take.
    with turns.turn(), away(), turns.turn():
        pass


def test_the_turn_is_given_back_when_the_holder_fails() -> None:
    turns = Turns(1)

    def failing() -> None:
        with turns.turn():
            raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        failing()
    finished = threading.Event()

    def other() -> None:
        with turns.turn():
            finished.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert finished.is_set()
