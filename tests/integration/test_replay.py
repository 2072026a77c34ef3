"""History users see, over real sockets: replay on joining, /history, restarts, failures."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.history.sqlite import StateStore, open_database
from chinwag.history.store import Pending, Record
from chinwag.passwords import hash_password
from tests.integration.conftest import DEADLINE, Harness
from tests.support import LineClient

STAMP = r"\[\d\d:\d\d:\d\d\]"


def settle(harness: Harness, speaker: LineClient) -> None:
    """Wait until what ``speaker`` said so far is written to history: its reply to /who
    comes after its messages were handed over, then the writer is flushed."""
    speaker.send("/who")
    speaker.expect(r"^\* \d+ users? in ")
    assert harness.server.history.writer.flush(DEADLINE)


def restarted(first: Harness, speaker: LineClient, start: Callable[[], Harness]) -> Harness:
    """``start`` a server on the data of ``first``, stopped once what ``speaker`` said is
    written."""
    settle(first, speaker)
    first.close()
    first.server.shutdown()
    return start()


def test_joining_a_room_shows_its_topic_and_last_messages(harness: Harness) -> None:
    alice = harness.connect("alice")
    alice.send("/join kitchen", "/topic tea time")
    alice.expect(r"^\* you are now in kitchen")
    alice.send("first", "second", "/me pours")
    settle(harness, alice)

    bob = harness.connect("bob")
    bob.send("/join kitchen")
    bob.expect(r"^\* you are now in kitchen \(2 here\)$")
    bob.expect(r"^\* topic: tea time \(set by alice, \d{4}-\d\d-\d\d \d\d:\d\d\)$")
    bob.expect(r"^\* --- last 3 messages ---$")
    bob.expect(f"^{STAMP} alice: first$")
    bob.expect(f"^{STAMP} alice: second$")
    bob.expect(f"^{STAMP} \\* alice pours$")
    bob.expect(r"^\* --- end of history ---$")
    # The replay is bob's alone: alice sees him arrive, not her own messages again.
    alice.expect(r"^\* bob joined kitchen$")
    assert not any("--- last" in line for line in alice.round_trip())


def test_the_lobby_replays_to_whoever_connects(harness: Harness) -> None:
    alice = harness.connect("alice")
    alice.send("anyone here?")
    settle(harness, alice)
    bob = harness.open()
    bob.expect(r"^\* Welcome to chinwag")
    bob.expect(r"^\* --- last 1 message ---$")
    bob.expect(f"^{STAMP} alice: anyone here\\?$")
    bob.expect(r"^\* --- end of history ---$")


def test_replay_on_join_can_be_turned_off(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(history_replay=0)
    alice = harness.connect("alice")
    alice.send("not replayed")
    settle(harness, alice)
    bob = harness.connect("bob")
    bob.send("/history")
    bob.expect(r"^\* --- last 1 message ---$")  # /history still answers
    assert not any(
        "--- last" in line
        for line in bob.received[: bob.received.index("* --- last 1 message ---")]
    )


def test_history_shows_the_last_n_messages(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(history_replay=2, history_max=4)
    alice = harness.connect("alice")
    alice.send(*(f"line {n}" for n in range(1, 7)))
    settle(harness, alice)
    alice.send("/history 3")
    alice.expect(r"^\* --- last 3 messages ---$")
    for n in (4, 5, 6):
        alice.expect(f"^{STAMP} alice: line {n}$")
    alice.expect(r"^\* --- end of history ---$")
    alice.send("/history")  # the most there is: history_max
    alice.expect(r"^\* --- last 4 messages ---$")
    alice.expect(f"^{STAMP} alice: line 3$")
    alice.send("/history 5")
    alice.expect(r"^! N must be from 1 to 4$")
    alice.send("/join empty", "/history")
    alice.expect(r"^\* no history of empty$")


def test_rooms_history_topics_keys_and_bans_outlive_a_restart(
    make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    first = make_harness(data_dir=data)
    alice = first.connect("alice")
    alice.send("/join den", "/topic the den")
    alice.expect(r"^\* alice set the topic of den: the den$")
    alice.send("/mode +k sesame")
    alice.expect(r"^\* alice set mode \+k sesame on den$")
    alice.send("/mode +b *!*@192.0.2.*")
    alice.expect(r"^\* alice set mode \+b \*!\*@192\.0\.2\.\* on den$")
    alice.send("remember this")
    second = restarted(first, alice, lambda: make_harness(data_dir=data))
    bob = second.connect("bob")
    bob.send("/join den")
    bob.expect(r"^! den needs the right key$")
    bob.send("/join den sesame")
    bob.expect(r"^\* you are now in den \(1 here\)$")
    bob.expect(r"^\* topic: the den \(set by alice, ")
    bob.expect(r"^\* --- last 1 message ---$")
    bob.expect(f"^{STAMP} alice: remember this$")
    bans = second.server.hub.room("den").bans
    assert [(mask, by) for mask, by, _ in bans] == [("*!*@192.0.2.*", "alice")]
    bob.send("/mode")
    bob.expect(r"^\* modes of den: \+k?ntk?$")


def test_an_invite_only_room_outlives_a_restart_and_a_server_operator_reopens_it(
    make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    first = make_harness(data_dir=data)
    alice = first.connect("alice")
    alice.send("/join den", "/mode +i")
    alice.expect(r"^\* alice set mode \+i on den$")
    second = restarted(
        first, alice, lambda: make_harness(data_dir=data, oper_password_hash=hash_password("pw"))
    )
    alice, admin = second.connect("alice"), second.connect("keeper")
    alice.send("/join den")
    alice.expect(r"^! den is invite-only$")
    alice.send("/invite keeper #den")  # nobody is in it to invite anyone
    alice.expect(r"^! you are not in den$")
    admin.send("/op pw", "/join den")
    admin.expect(r"^\* you are now in den \(1 here\)$")
    admin.send("/invite alice #den")
    alice.expect(r"^\* keeper invites you to den \(/join den\)$")
    alice.send("/join den")
    alice.expect(r"^\* you are now in den \(2 here\)$")


def test_private_history_needs_the_flag_and_stays_with_its_two_sides(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(history_private=True)
    alice, bob, carol = (harness.connect(nick) for nick in ("alice", "bob", "carol"))
    alice.send("/msg bob between us")
    bob.expect(f"^{STAMP} \\*alice\\* between us$")
    settle(harness, alice)
    bob.send("/history alice")
    bob.expect(r"^\* --- last 1 message ---$")
    bob.expect(f"^{STAMP} \\*alice\\* between us$")
    alice.send("/history bob")
    alice.expect(f"^{STAMP} \\*alice\\* between us$")
    carol.send("/history alice", "/history bob")
    carol.expect(r"^\* no history of alice$")
    carol.expect(r"^\* no history of bob$")
    # Nor does it show up in the room's history.
    carol.send("/history")
    assert "between us" not in " ".join(carol.round_trip())


def test_whoever_takes_a_name_again_sees_none_of_its_private_history(
    make_harness: Callable[..., Harness],
) -> None:
    harness = make_harness(history_private=True)
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send("/msg bob meant for alice's bob")
    bob.expect(f"^{STAMP} \\*alice\\* meant for alice's bob$")
    alice.send("/quit")
    alice.expect_closed()
    settle(harness, bob)
    again = harness.connect("alice")
    again.send("/history bob")
    again.expect(r"^\* no history of bob$")
    bob.send("/history alice")  # bob kept his name
    bob.expect(f"^{STAMP} \\*alice\\* meant for alice's bob$")
    again.send("/msg bob a new alice", "/history bob")
    again.expect(r"^\* --- last 1 message ---$")
    again.expect(f"^{STAMP} \\*alice\\* a new alice$")


def test_private_messages_are_not_kept_without_the_flag(harness: Harness) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")
    alice.send("/msg bob off the record")
    bob.expect(r"\*alice\* off the record$")
    settle(harness, alice)
    bob.send("/history alice")
    bob.expect(r"^\* no history of alice$")


def test_chat_goes_on_when_history_cannot_be_written(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = harness.connect("alice"), harness.connect("bob")

    def broken(records: list[Record] | list[Pending], flagged: int | None = None) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(harness.server.history.store, "append", broken)
    monkeypatch.setattr(harness.server.history.store, "append_messages", broken)
    alice.send("still talking")
    bob.expect(f"^{STAMP} alice: still talking$")
    writer = harness.server.history.writer
    deadline = time.monotonic() + DEADLINE
    while writer.available and time.monotonic() < deadline:
        writer.flush(0.1)
    assert not writer.available
    bob.send("/history")
    bob.expect(r"^! history is unavailable right now$")
    carol = harness.open()
    carol.expect(r"^! history is unavailable right now$")  # on entering the lobby
    bob.send("and more")
    alice.expect(f"^{STAMP} bob: and more$")
    harness.log.wait_for(r"cannot write history: disk full")


def test_a_room_whose_settings_are_undone_leaves_no_kept_state(
    make_harness: Callable[..., Harness], tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    first = make_harness(data_dir=data)
    alice = first.connect("alice")
    alice.send("/join den", "/mode +k sesame", "/join attic", "/mode +l 5")
    alice.expect(r"^\* alice set mode \+l 5 on attic$")
    alice.send("/mode -l", "/who")
    alice.expect(r"^\* alice set mode -l on attic$")
    alice.expect(r"^\* \d+ users? in attic")
    assert first.server.history.writer.flush(DEADLINE)
    first.close()
    first.server.shutdown()

    database = open_database(data)
    try:
        kept = StateStore(database).load_rooms()
    finally:
        database.close()
    assert [(state.name, state.key) for state in kept] == [("den", "sesame")]
