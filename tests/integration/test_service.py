"""The shipped systemd unit: what it asks of systemd, and that systemd accepts it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chinwag.cli import main


def unit_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["systemd-unit", *args]) == 0
    return capsys.readouterr().out


def settings(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_the_server_sandboxed(capsys: pytest.CaptureFixture[str]) -> None:
    found = settings(unit_text(capsys, "--as-shipped"))
    assert found["ExecStart"] == [
        "/usr/local/bin/chinwag serve --no-console --config /etc/chinwag/chinwag.toml"
    ]
    for key, value in {
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "StateDirectory": "chinwag",
        "LimitNOFILE": "65536",
        "Restart": "on-failure",
        "StandardOutput": "journal",
        "WantedBy": "multi-user.target",
    }.items():
        assert found[key] == [value], key
    assert "CHINWAG_DATA_DIR=/var/lib/chinwag" in found["Environment"]


def test_the_printed_unit_names_this_python(capsys: pytest.CaptureFixture[str]) -> None:
    found = settings(unit_text(capsys))
    assert found["ExecStart"] == [
        f"{sys.executable} -m chinwag serve --no-console --config /etc/chinwag/chinwag.toml"
    ]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_unit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: the printed unit names this Python.
    unit = tmp_path / "chinwag.service"
    unit.write_text(unit_text(capsys), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chinwag.service" not in result.stderr, result.stderr
