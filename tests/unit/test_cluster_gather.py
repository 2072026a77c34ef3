"""When a node's reader reads the log again: at once while it is quiet, after a pause
while it is busy (so that what is appended meanwhile comes as one batch)."""

from __future__ import annotations

import pytest

pytest.importorskip("redis")

from chinwag.cluster.link import BUSY_BATCH, GATHER_SECONDS, gather_wait


def test_a_quiet_log_is_read_again_at_once() -> None:
    for entries in range(BUSY_BATCH):
        assert gather_wait(entries) == 0.0


def test_a_busy_log_is_read_again_after_a_pause_that_stays_short() -> None:
    assert gather_wait(BUSY_BATCH) == GATHER_SECONDS
    assert gather_wait(1024) == GATHER_SECONDS
    assert 0 < GATHER_SECONDS <= 0.01  # well under what a user notices
