"""What outlives a restart (bans, history), and a data directory the server cannot use."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.config import Config
from chinwag.history.service import History
from chinwag.history.store import Conversation
from chinwag.passwords import hash_password
from tests.integration.conftest import DEADLINE, SUBPROCESS_ENV, Harness

PASSWORD = "correct horse"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def test_a_ban_outlives_a_restart(
    make_harness: Callable[..., Harness], password_hash: str, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    first = make_harness(data_dir=data, oper_password_hash=password_hash)
    alice = first.connect("alice")
    alice.send(f"/op {PASSWORD}")
    alice.expect(r"^\* you are now an operator$")
    alice.send("/ban 127.0.0.2")
    alice.expect(r"^\* 127\.0\.0\.2 is banned for good$")
    first.close()
    first.server.shutdown()

    second = make_harness(data_dir=data, oper_password_hash=password_hash)
    refused = second.open(source="127.0.0.2")
    assert refused.expect_closed()[0].startswith("! You are banned from this server")
    second.connect("carol", source="127.0.0.3")  # others still welcome
    bob = second.connect("bob")
    bob.send(f"/op {PASSWORD}")
    bob.expect(r"^\* you are now an operator$")
    bob.send("/unban 127.0.0.2")
    bob.expect(r"^\* the ban on 127\.0\.0\.2 is lifted$")
    second.close()
    second.server.shutdown()

    third = make_harness(data_dir=data)
    third.connect("mallory", source="127.0.0.2")  # the lifted ban stays lifted


def test_room_messages_are_recorded_and_outlive_the_server(
    make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    harness = make_harness(data_dir=data)
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send("hello bob")
    bob.expect(r"alice: hello bob$")
    alice.send("/msg bob psst")
    bob.expect(r"psst")
    harness.close()
    harness.server.shutdown()
    history = History.open(Config(data_dir=data))
    try:
        kept = history.latest(Conversation.room("lobby"), 10)
        assert [(r.sender, r.text) for r in kept] == [("alice", "hello bob")]
        assert history.latest(Conversation.private("alice", "bob"), 10) == []  # off by default
    finally:
        history.close()


def serve(*args: str, timeout: float = DEADLINE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=SUBPROCESS_ENV,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_a_corrupt_database_stops_the_server_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "chinwag.db").write_text("not a database at all\n" * 50)
    result = serve("--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"chinwag: {tmp_path / 'chinwag.db'}: not a chinwag database")
    assert "Traceback" not in result.stderr


def test_a_database_from_a_newer_chinwag_stops_the_server(tmp_path: Path) -> None:
    History.open(Config(data_dir=str(tmp_path))).close()
    with sqlite3.connect(tmp_path / "chinwag.db") as connection:
        connection.execute("PRAGMA user_version = 999")
    connection.close()
    result = serve("--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert re.fullmatch(
        rf"chinwag: {re.escape(str(tmp_path / 'chinwag.db'))}: made by a newer chinwag .*\n",
        result.stderr,
    )


def test_a_data_directory_that_cannot_be_made_stops_the_server(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = serve("--data-dir", str(tmp_path / "file" / "data"))
    assert result.returncode == 1
    assert result.stderr == (
        f"chinwag: cannot use the data directory {tmp_path / 'file' / 'data'}: Not a directory\n"
    )


def test_a_second_server_on_the_same_data_directory_stops_naming_it(
    make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    make_harness(data_dir=str(tmp_path))
    result = serve("--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        f"chinwag: the data directory {tmp_path} is in use by another chinwag server\n"
    )


def test_a_database_another_program_holds_stops_the_server_with_one_line(tmp_path: Path) -> None:
    History.open(Config(data_dir=str(tmp_path))).close()
    holder = sqlite3.connect(tmp_path / "chinwag.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, and writing, and writing
    try:
        result = serve("--data-dir", str(tmp_path), timeout=4 * DEADLINE)  # waits for it first
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert result.stderr == f"chinwag: {tmp_path / 'chinwag.db'}: database is locked\n"


def test_a_damaged_ban_or_room_is_left_out_and_the_rest_kept(
    make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    History.open(Config(data_dir=str(tmp_path))).close()
    with sqlite3.connect(tmp_path / "chinwag.db") as connection:
        rows = [
            ("192.0.2.1/32", "192.0.2.1", "op", "x", "soon"),
            ("192.0.2.2/32", "192.0.2.2", "op", "y", None),
        ]
        connection.executemany("INSERT INTO bans VALUES (?, ?, ?, ?, ?)", rows)
        rooms = [
            ("den", "den", "warm", "op", None, "nt", "", 0, "not json"),
            ("attic", "attic", "dusty", "op", None, "nt", "", 0, "[]"),
        ]
        connection.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rooms)
    connection.close()
    harness = make_harness(data_dir=str(tmp_path))
    harness.log.wait_for(r"a damaged ban of '192\.0\.2\.1' is left out$")
    harness.log.wait_for(r"the damaged state of room 'den' is left out$")
    assert [ban.address for ban in harness.server.hub.bans.active()] == ["192.0.2.2"]
    alice = harness.connect("alice")
    alice.send("/join attic")
    alice.expect(r"^\* topic: dusty ")
    alice.send("/join den")
    alice.expect(r"^\* you are now in den ")
