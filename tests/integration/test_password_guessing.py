"""Password guessing: slowed, cut off and logged, while everyone else keeps chatting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from chinwag.passwords import hash_password
from tests.integration.conftest import STAMP_RE, Harness, LineClient

PASSWORD = "correct horse"
GUESSERS = 24
GUESSES = 8  # each guesser sends this many at once, more than max_password_failures


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def test_a_guessing_storm_is_cut_off_while_the_chat_flows(
    make_harness: Callable[..., Harness], password_hash: str
) -> None:
    # Per-address limits on, for eight guessing addresses of three connections each.
    harness = make_harness(
        oper_password_hash=password_hash,
        exempt_addresses="",
        max_connects_per_minute=0,
        max_password_failures=5,
    )
    alice, bob = harness.connect("alice", source="127.0.0.2"), harness.connect("bob", "127.0.0.3")
    guessers = [harness.connect(source=f"127.0.1.{i % 8 + 1}") for i in range(GUESSERS)]
    farewells: list[list[str]] = []
    start = threading.Barrier(GUESSERS + 1)

    def guess(client: LineClient, n: int) -> None:
        start.wait()
        client.send(*(f"/op guess-{n}-{k}" for k in range(GUESSES)))
        farewells.append(client.expect_closed(timeout=20))

    threads = [threading.Thread(target=guess, args=(c, n)) for n, c in enumerate(guessers)]
    for thread in threads:
        thread.start()
    start.wait()
    worst = 0.0
    for n in range(10):
        sent = time.monotonic()
        alice.send(f"still here {n}")
        bob.expect(f"^{STAMP_RE} alice: still here {n}$", timeout=2)
        worst = max(worst, time.monotonic() - sent)
    for thread in threads:
        thread.join(30)
    assert worst < 1.5, worst
    assert len(farewells) == GUESSERS
    for lines in farewells:
        assert lines[-1] == "* Too many wrong passwords"
        # Most guesses never reached scrypt: refused for coming too soon after a wrong one.
        assert sum(line == "! wrong operator password" for line in lines) <= 2, lines
    assert harness.server.hub.passwords.peak_checks <= 2
    harness.log.wait_for(r"^\[SERVER\] Client-\d+ dropped: too many wrong passwords$", GUESSERS)
    # The right password still works, from an address that has not been guessing.
    alice.send(f"/op {PASSWORD}")
    alice.expect(r"^\* you are now an operator$")


def test_a_second_guess_too_soon_is_refused_without_checking(
    make_harness: Callable[..., Harness], password_hash: str
) -> None:
    harness = make_harness(oper_password_hash=password_hash, password_failure_delay=30.0)
    mallory = harness.connect("mallory")
    mallory.send("/op one")
    mallory.expect(r"^! wrong operator password$")
    harness.log.wait_for(
        r"^\[SERVER\] Client-1 \(mallory\) gave a wrong operator password from 127\.0\.0\.1$"
    )
    # Its reader waits out the delay, so the next line is not even read yet.
    mallory.send("/op two")
    assert mallory.quiet_for(0.3) == []


def test_wrong_server_passwords_from_one_address_are_slowed_across_connections(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(
        password_hash=hash_password("letmein"), exempt_addresses="", password_failure_delay=30.0
    )
    first = harness.open(source="127.0.0.9")
    first.send("/pass guess")
    assert first.expect_closed()[-1] == "* Wrong password"
    again = harness.open(source="127.0.0.9")  # reconnecting does not start afresh
    again.send("/pass letmein")
    again.expect(r"^! too many wrong passwords: try again in \d+ seconds?$")
    other = harness.open(source="127.0.0.10")  # another address is not affected
    other.send("/pass letmein")
    other.expect(r"^\* Welcome to chinwag")
