"""A one-minute soak: chatters, flooders, garbage, vanishers, silent and hostile clients.

``bench/soak.py`` does the work (and runs for half an hour by default); this runs it
briefly with fewer clients so that message loss, a stall or a leak shows up in the test
suite too. Its assertions are about the well-behaved clients (and the server's threads,
descriptors and memory); hostile clients may be disconnected. Deselect it with
``-m "not soak"``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
DURATION = 40  # seconds of load; winding down and the checks take a few more
HOSTILE = "all"
HOSTILE_SHARE = 0.03  # of new clients, per kind: a few of each in forty seconds


@pytest.mark.soak
@pytest.mark.timeout(120)
def test_short_soak_loses_nothing_and_leaks_nothing() -> None:
    command = [
        sys.executable,
        str(SOAK),
        "--duration",
        str(DURATION),
        "--clients",
        "80",
        "--think",
        "2",
        "--lifetime",
        "20",
        "--sample-interval",
        "2",
        "--hostile",
        HOSTILE,
        "--hostile-share",
        str(HOSTILE_SHARE),
        # Flooders are paced, not dropped: a long flood would only lengthen the wind-down.
        "--flood-lines",
        "60",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as soak:
        try:
            report, _ = soak.communicate(timeout=DURATION + 50)
        except subprocess.TimeoutExpired:
            # SIGTERM lets soak.py stop its server before it exits.
            soak.terminate()
            report, _ = soak.communicate(timeout=30)
            pytest.fail(f"the soak did not finish in time:\n{report}")
    assert soak.returncode == 0, report
    assert "PASSED" in report, report
