"""Password checks under a budget: the penalty policy (on a fake clock) and the check pool."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from chinwag.log import LOGGER
from chinwag.password_guard import Attempts, CheckPool, PasswordGuard, Penalties, TryLater
from tests.support import wait_for
from tests.unit.fakes import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


def penalties(clock: Clock, **overrides: object) -> Penalties:
    settings: dict[str, object] = {"max_failures": 100, "base_delay": 1.0, "max_delay": 8.0}
    settings.update(overrides)
    return Penalties(clock=clock, **settings)  # type: ignore[arg-type]


def fail(policy: Penalties, attempts: Attempts) -> int:
    policy.begin(attempts)
    return policy.end(attempts, matched=False)


def test_each_wrong_password_doubles_the_delay_up_to_the_cap(clock: Clock) -> None:
    policy = penalties(clock)
    guesser = Attempts("10.0.0.1")
    delays = []
    for _ in range(6):
        fail(policy, guesser)
        delays.append(policy.pause(guesser))
        clock.now += policy.pause(guesser)
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_a_guess_before_the_delay_is_over_is_refused_and_counted(clock: Clock) -> None:
    policy = penalties(clock, base_delay=4.0)
    guesser = Attempts("10.0.0.1")
    fail(policy, guesser)
    clock.now += 1.5
    with pytest.raises(TryLater) as refusal:
        policy.begin(guesser)
    assert refusal.value.seconds == 3  # rounded up
    assert str(refusal.value) == "too many wrong passwords: try again in 3 seconds"
    assert guesser.failures == 2
    clock.now += 2.5
    policy.begin(guesser)  # the delay is over
    policy.end(guesser, matched=True)


def test_a_connection_is_exhausted_after_max_failures(clock: Clock) -> None:
    policy = penalties(clock, max_failures=3)
    guesser = Attempts("10.0.0.1")
    fail(policy, guesser)
    assert not policy.exhausted(guesser)
    for _ in range(2):
        with pytest.raises(TryLater):
            policy.begin(guesser)  # too soon: costs a failure, not a computation
    assert policy.exhausted(guesser)
    clock.now += 100
    with pytest.raises(TryLater):
        policy.begin(guesser)  # an exhausted connection gets nothing checked any more


def test_reconnecting_does_not_reset_the_address(clock: Clock) -> None:
    policy = penalties(clock)
    fail(policy, Attempts("10.0.0.1"))
    again = Attempts("10.0.0.1")  # a new connection from the same address
    with pytest.raises(TryLater):
        policy.begin(again)
    clock.now += 1.0
    assert fail(policy, again) == 2
    assert policy.pause(again) == 2.0  # the address's count sets the delay
    policy.begin(Attempts("10.0.0.2"))  # another address is not affected


def test_an_address_checks_one_password_at_a_time(clock: Clock) -> None:
    policy = penalties(clock)
    first, second = Attempts("10.0.0.1"), Attempts("10.0.0.1")
    policy.begin(first)
    with pytest.raises(TryLater) as refusal:
        policy.begin(second)
    assert refusal.value.busy  # nobody from there has failed yet
    policy.end(first, matched=True)
    policy.begin(second)
    policy.end(second, matched=None)  # never ran (the pool was busy): costs nothing
    assert second.failures == 1  # only the refusal above


def test_exempt_addresses_keep_only_the_per_connection_penalty(clock: Clock) -> None:
    policy = penalties(clock, exempt=lambda address: address == "127.0.0.1")
    guesser = Attempts("127.0.0.1")
    fail(policy, guesser)
    with pytest.raises(TryLater):
        policy.begin(guesser)
    fresh, other = Attempts("127.0.0.1"), Attempts("127.0.0.1")
    policy.begin(fresh)
    policy.begin(other)  # at the same time, too
    policy.end(fresh, matched=False)
    assert policy.pause(fresh) == 1.0  # its own first failure, whatever the address did


def test_an_address_is_forgotten_after_a_quiet_while(clock: Clock) -> None:
    policy = penalties(clock, memory_seconds=600.0)
    for _ in range(3):
        fail(policy, Attempts("10.0.0.1"))
        clock.now += 10
    assert policy.tracked() == 1
    clock.now += 600
    newcomer = Attempts("10.0.0.1")
    assert fail(policy, newcomer) == 1
    assert policy.pause(newcomer) == 1.0


def test_the_address_table_is_bounded(clock: Clock) -> None:
    policy = penalties(clock, max_addresses=3)
    for n in range(10):
        fail(policy, Attempts(f"10.0.0.{n}"))
    assert policy.tracked() == 3


def test_the_guard_does_not_compute_a_refused_guess(clock: Clock) -> None:
    computed = []

    def verify() -> bool:
        computed.append(1)
        return False

    guard = PasswordGuard(CheckPool(), penalties(clock))
    guesser = Attempts("10.0.0.1")
    assert not guard.check(guesser, verify, who="Client-1", what="operator")
    with pytest.raises(TryLater):
        guard.check(guesser, verify, who="Client-1", what="operator")
    assert len(computed) == 1


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler = Lines()
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        LOGGER.removeHandler(handler)


def test_failures_are_logged_with_the_address_and_summarised(
    clock: Clock, log_lines: list[str]
) -> None:
    guard = PasswordGuard(CheckPool(), penalties(clock))
    for n in range(100):
        guesser = Attempts("10.0.0.1")
        guard.check(guesser, lambda: False, who=f"Client-{n}", what="server")
        clock.now += 10
    assert log_lines[:3] == [
        "[SERVER] Client-0 gave a wrong server password from 10.0.0.1",
        "[SERVER] Client-1 gave a wrong server password from 10.0.0.1 (2 from this address lately)",
        "[SERVER] Client-2 gave a wrong server password from 10.0.0.1 (3 from this address lately)",
    ]
    assert log_lines[-1].endswith("(64 from this address lately)")
    assert len(log_lines) == 8  # at 1, 2, 3, 4, 8, 16, 32 and 64 failures: not one a guess


# --- the pool ---------------------------------------------------------------------------


def test_the_pool_never_runs_more_than_its_concurrency() -> None:
    pool = CheckPool(concurrency=2, queue_limit=100, queue_seconds=30)
    lock = threading.Lock()
    running: list[int] = []
    most = [0]
    go = threading.Event()

    def check() -> bool:
        with lock:
            running.append(1)
            most[0] = max(most[0], len(running))
        go.wait(10)
        with lock:
            running.pop()
        return True

    threads = [threading.Thread(target=pool.run, args=(check,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_for(lambda: pool.waiting == 6, what="six checks queued behind two")
    # The two let in may not have begun their check yet: wait until they have.
    wait_for(lambda: len(running) == 2, what="two checks running")
    assert pool.waiting == 6  # and no third let in meanwhile
    go.set()
    for thread in threads:
        thread.join(10)
    assert most[0] == 2
    assert pool.peak == 2


def test_a_full_queue_is_refused_at_once_and_a_long_wait_in_time() -> None:
    pool = CheckPool(concurrency=1, queue_limit=1, queue_seconds=0.05)
    go = threading.Event()
    holder = threading.Thread(target=pool.run, args=(lambda: go.wait(10),))
    holder.start()
    wait_for(lambda: pool.peak == 1, what="the slot taken")
    outcome: list[str] = []

    def wait_in_queue() -> None:
        try:
            pool.run(lambda: True)
        except TryLater as refusal:
            outcome.append(str(refusal))

    waiter = threading.Thread(target=wait_in_queue)
    waiter.start()
    wait_for(lambda: pool.waiting == 1 or outcome, what="a check queued")
    if pool.waiting:
        with pytest.raises(TryLater) as refusal:
            pool.run(lambda: True)  # the queue is full
        assert refusal.value.busy
    waiter.join(10)
    assert outcome == ["the server is busy checking passwords: try again in 1 second"]
    go.set()
    holder.join(10)
    assert pool.run(lambda: True)  # free again


def test_checks_run_in_the_pools_own_named_threads_which_close_joins() -> None:
    before = set(threading.enumerate())
    pool = CheckPool(concurrency=2)
    assert pool.run(lambda: threading.current_thread().name).startswith("chinwag-password-")
    workers = set(threading.enumerate()) - before
    assert {worker.name for worker in workers} == {"chinwag-password-1", "chinwag-password-2"}
    pool.close()
    assert workers and not any(worker.is_alive() for worker in workers)
    with pytest.raises(TryLater):
        pool.run(lambda: True)  # closed: nothing more is checked


def test_an_error_in_a_check_reaches_its_caller() -> None:
    pool = CheckPool(concurrency=1)

    def broken() -> bool:
        raise ValueError("bad hash")

    with pytest.raises(ValueError, match="bad hash"):
        pool.run(broken)
    assert pool.run(lambda: True)  # the worker lives on
    pool.close()
