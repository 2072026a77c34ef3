"""A room's kept state goes from the hub's room to the database and back unchanged."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from chinwag.history.rooms import restore, snapshot
from chinwag.history.sqlite import StateStore, open_database
from chinwag.hub.model import Room


def test_a_rooms_topic_and_settings_survive_the_database(tmp_path: Path) -> None:
    at = datetime(2026, 3, 1, 12, 30, 15)  # the hub's clock: naive, local
    room = Room("Tea", "nt", created_at=at)
    room.topic, room.topic_by, room.topic_at = "earl grey only", "ann", at
    room.flags.add("k")
    room.key, room.limit = "secret", 12
    room.bans = {"*!*@10.0.0.*": ("ann", at)}
    database = open_database(tmp_path)
    StateStore(database).save_room(snapshot(room))
    database.close()

    database = open_database(tmp_path)
    try:
        [kept] = StateStore(database).load_rooms()
    finally:
        database.close()
    again = Room("Tea")
    restore(again, kept)
    assert (again.topic, again.topic_by, again.topic_at) == ("earl grey only", "ann", at)
    assert (again.flags, again.key, again.limit) == ({"n", "t", "k"}, "secret", 12)
    assert again.bans == {"*!*@10.0.0.*": ("ann", at)}


def test_a_room_without_a_topic_keeps_none() -> None:
    room = Room("plain")
    state = snapshot(room)
    assert (state.topic, state.topic_at, state.flags) == ("", None, "nt")
    again = Room("plain", "n")
    restore(again, state)
    assert again.flags == {"n", "t"}
    assert again.topic_at is None
