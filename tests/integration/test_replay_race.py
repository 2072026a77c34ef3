"""Replay on join against messages still on their way to the disk, over real sockets.

A message the hub accepted before someone joined is in their replay, however soon they
join after it and whether or not the history writer has written it yet; a message
accepted after they joined reaches them live, and never twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.integration.conftest import Harness, LineClient

STAMP = r"\[\d\d:\d\d:\d\d\]"
ROUNDS = 60


def barrier(client: LineClient) -> None:
    """Wait until the server has handled everything ``client`` sent so far."""
    client.send("/who")
    client.expect(r"^\* \d+ users? in ")


def said_by(lines: list[str], speaker: str) -> list[str]:
    """What ``speaker`` said among ``lines`` (replayed or live), in order."""
    regex = re.compile(f"^{STAMP} {speaker}: (.*)$")
    return [match.group(1) for line in lines if (match := regex.match(line))]


def test_a_line_said_just_before_a_join_is_in_the_replay_and_history(harness: Harness) -> None:
    alice = harness.connect("alice")
    alice.send("/join kitchen")
    alice.expect(r"^\* you are now in kitchen")
    bob = harness.connect("bob")
    for number in range(ROUNDS):
        alice.send(f"line {number}")
        barrier(alice)  # the hub has accepted the line: bob joins after it
        alice.send("/history 1")
        alice.expect(r"^\* --- last 1 message ---$")
        alice.expect(f"^{STAMP} alice: line {number}$")
        bob.send("/join kitchen")
        bob.expect(r"^\* you are now in kitchen \(2 here\)$")
        bob.expect(r"^\* --- last \d+ messages? ---$")
        replayed = []
        while not (line := bob.expect(r"")).startswith("* --- end of history"):
            replayed.append(line)
        assert replayed[-1].endswith(f"alice: line {number}"), replayed
        assert sum(line.endswith(f"alice: line {number}") for line in replayed) == 1
        bob.send("/leave")
        bob.expect(r"^\* you are now in lobby")


def test_a_join_amid_a_stream_sees_every_line_once(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(history_replay=20)
    alice = harness.connect("alice")
    alice.send("/join kitchen")
    alice.expect(r"^\* you are now in kitchen")
    bob = harness.connect("bob")
    sent = 0
    for _ in range(ROUNDS // 3):
        first = sent
        start = len(bob.received)
        # A burst on its way while bob joins: some of it before his join, some after,
        # and some perhaps not written yet; the next burst leaves once the join is done
        # (the two clients' lines reach the server by different connections, so sending
        # the join first would not make it come first).
        alice.send(*(f"n {sent + n}" for n in range(40)))
        sent += 40
        bob.send("/join kitchen")
        bob.expect(r"^\* you are now in kitchen")
        alice.send(*(f"n {sent + n}" for n in range(40)))
        sent += 40
        barrier(alice)  # every line accepted and handed over ...
        barrier(bob)  # ... and what bob receives of it arrived before this reply
        seen = [int(text[2:]) for text in said_by(bob.received[start:], "alice")]
        assert len(seen) == len(set(seen)), f"a line twice: {seen}"
        # The replay (the last 20 before the join) and the live lines leave no gap.
        assert set(seen) == set(range(min(seen), sent)), seen
        assert min(seen) <= first + 40, seen  # the join was no later than the second burst
        bob.send("/leave")
        bob.expect(r"^\* you are now in lobby")
