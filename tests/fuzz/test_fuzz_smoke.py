"""Every atheris fuzz target runs for a few seconds without finding anything."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
SECONDS_PER_TARGET = 3


@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (pip install -e '.[fuzz]')",
)
@pytest.mark.timeout(120)
def test_every_fuzz_target_survives_a_short_run() -> None:
    targets = sorted(FUZZ.glob("fuzz_*.py"))
    assert targets, f"no fuzz targets in {FUZZ}"
    # run.py bounds each target with its own timeout; this one only guards run.py itself.
    result = subprocess.run(
        [sys.executable, str(FUZZ / "run.py"), "--seconds", str(SECONDS_PER_TARGET)],
        capture_output=True,
        text=True,
        timeout=len(targets) * (SECONDS_PER_TARGET + 30),
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    for target in targets:
        assert f"ok   {target.stem}:" in report, report
