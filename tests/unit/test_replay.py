"""Replayed history, with no network: rendering, the replayer, ids, kept rooms."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from chinwag.history import ids
from chinwag.history.ids import MessageIds
from chinwag.history.replay import Replayer, event_of, not_before
from chinwag.history.rooms import KeptRooms
from chinwag.history.service import History
from chinwag.history.sqlite import RoomState
from chinwag.history.store import Conversation, HistoryUnavailable, MemoryHistory
from chinwag.history.writer import HistoryWriter
from chinwag.hub import errors, modes
from chinwag.hub.events import HistoryReplay, PrivateMessage, RoomMessage
from chinwag.hub.hub import Hub, Member
from chinwag.irc.format import IrcFormatter, server_time
from chinwag.text.format import dated_stamp, render
from tests.unit.fakes import NOON

YESTERDAY = NOON - timedelta(days=1, hours=1, minutes=29)  # 2026-11-20 11:05:56


def said(when: datetime, text: str = "hi", **kwargs: object) -> RoomMessage:
    return RoomMessage(when, "alice", "kitchen", text, userhost="al@host", **kwargs)  # type: ignore[arg-type]


# --- rendering -----------------------------------------------------------------------------


def test_a_stamp_from_today_is_the_time_and_from_another_day_the_date_too() -> None:
    assert dated_stamp(NOON, NOON) == "[12:34:56]"
    assert dated_stamp(YESTERDAY, NOON) == "[2026-11-20 11:05]"
    assert dated_stamp(NOON.replace(year=2025), NOON) == "[2025-11-21 12:34]"


def test_text_replay_is_marked_as_history_with_original_times_and_authors() -> None:
    replay = HistoryReplay(
        "kitchen",
        (said(YESTERDAY, "hi"), said(NOON, "waves", action=True), said(NOON, "psst", notice=True)),
        NOON,
    )
    assert render(replay).split("\r\n") == [
        "* --- last 3 messages ---",
        "[2026-11-20 11:05] alice: hi",
        "[12:34:56] * alice waves",
        "[12:34:56] -alice- psst",
        "* --- end of history ---",
    ]


def test_text_replay_of_one_private_message() -> None:
    message = PrivateMessage(NOON, "bob", "alice", "secret")
    assert render(HistoryReplay("bob", (message,), NOON)).split("\r\n") == [
        "* --- last 1 message ---",
        "[12:34:56] *bob* secret",
        "* --- end of history ---",
    ]


def test_a_replay_needs_messages() -> None:
    with pytest.raises(ValueError, match="at least one"):
        HistoryReplay("kitchen", (), NOON)


def test_irc_replay_without_capabilities_is_plain_privmsgs() -> None:
    replay = HistoryReplay("kitchen", (said(NOON, "hi"), said(NOON, "waves", action=True)), NOON)
    lines = IrcFormatter("irc.test").format(replay).decode().split("\r\n")
    assert lines == [
        ":alice!al@host PRIVMSG #kitchen :hi",
        ":alice!al@host PRIVMSG #kitchen :\x01ACTION waves\x01",
        "",
    ]


def test_irc_replay_in_a_batch_with_each_message_at_its_own_time() -> None:
    formatter = IrcFormatter("irc.test", tag_time=True, batch=True)
    replay = HistoryReplay("kitchen", (said(YESTERDAY, "old"), said(NOON, "new")), NOON)
    lines = formatter.format(replay).decode().split("\r\n")
    assert lines[0] == ":irc.test BATCH +history1 chathistory #kitchen"
    assert lines[1].startswith(f"@time={server_time(YESTERDAY)};")
    assert lines[1].endswith(";batch=history1 :alice!al@host PRIVMSG #kitchen :old")
    assert lines[2].endswith(";batch=history1 :alice!al@host PRIVMSG #kitchen :new")
    assert lines[3:] == [":irc.test BATCH -history1", ""]
    again = formatter.format(replay).decode()
    assert again.startswith(":irc.test BATCH +history2 ")  # each batch its own reference


# --- the replayer ----------------------------------------------------------------------------


def history(private: bool = False) -> History:
    store = MemoryHistory()
    return History(store, HistoryWriter(store), private=private)


def test_the_replayer_gives_the_last_messages_as_they_were_said() -> None:
    kept = history()
    made = MessageIds(clock=NOON.timestamp)
    for n in range(5):
        message = said(NOON, f"line {n}", msgid=made.next_value())
        kept.record(message)
    kept.writer.flush()
    replayer = Replayer(kept, on_join=2, maximum=3, clock=lambda: NOON)
    joined = replayer.joined("KITCHEN")
    assert joined is not None
    assert [m.text for m in joined.messages] == ["line 3", "line 4"]
    assert joined.messages[0].time == NOON  # local and naive, as the hub's clock
    assert joined.messages[0].userhost == "al@host"
    asked = replayer.room("kitchen", 50)
    assert asked is not None and len(asked.messages) == 3  # at most the maximum
    assert replayer.room("empty", 5) is None
    assert Replayer(kept, on_join=0).joined("kitchen") is None


def test_the_recorder_keeps_the_id_the_hub_gave() -> None:
    kept = history()
    message = said(NOON, msgid=ids.decode(ids.floor(NOON)) + 7)
    kept.record(message)
    kept.writer.flush()
    [record] = kept.store.latest(Conversation.room("kitchen"), 5)
    assert ids.decode(record.msgid) == message.msgid


def test_a_message_to_operators_or_voiced_users_only_is_not_kept() -> None:
    kept = history()
    kept.record(said(NOON, "ops only", status="@"))
    kept.record(said(NOON, "all"))
    kept.writer.flush()
    records = kept.store.latest(Conversation.room("kitchen"), 5)
    assert [event_of(record).text for record in records] == ["all"]


def test_private_history_only_with_the_flag_and_to_its_two_sides() -> None:
    message = PrivateMessage(NOON, "alice", "bob", "psst", msgid=ids.decode(ids.floor(NOON)))
    for private in (False, True):
        kept = history(private)
        kept.record(message)
        kept.writer.flush()
        replayer = Replayer(kept, clock=lambda: NOON)
        seen = replayer.private("BOB", "alice", 10)
        assert (seen is not None) is private
        assert replayer.private("carol", "alice", 10) is None
        assert replayer.private("carol", "bob", 10) is None


def test_private_history_is_shown_only_from_when_the_viewer_took_the_name() -> None:
    start = ids.decode(ids.floor(NOON))
    kept = history(True)
    for number, text in ((start + 1, "to the old bob"), (start + 3, "to the new bob")):
        kept.record(PrivateMessage(NOON, "alice", "bob", text, msgid=number))
    kept.writer.flush()
    replayer = Replayer(kept, clock=lambda: NOON)
    for named, seen in ((0, 2), (start, 2), (start + 2, 1), (start + 3, 0)):
        replay = replayer.private("bob", "alice", 10, named=named)
        shown = [] if replay is None else [event.text for event in replay.messages]
        assert shown == ["to the old bob", "to the new bob"][2 - seen :]


def test_a_lower_bound_below_the_floor_moves_up_to_it() -> None:
    floor = ids.encode(ids.decode(ids.floor(NOON)) + 5)
    assert not_before(None, floor) == floor
    assert not_before(ids.floor(NOON), floor) == floor
    later = ids.encode(ids.decode(floor) + 1)
    assert not_before(later, floor) == later
    assert not_before(NOON - timedelta(seconds=1), floor) == floor
    tomorrow = NOON + timedelta(days=1)
    assert not_before(tomorrow, floor) == tomorrow


def test_the_replayer_says_when_history_is_unavailable() -> None:
    kept = history()
    kept.writer.available = False
    with pytest.raises(HistoryUnavailable):
        Replayer(kept).joined("kitchen")


# --- the hub: ids and kept rooms ------------------------------------------------------------


def member(client_id: str) -> Member:
    return Member(client_id, "127.0.0.1")


def test_the_hub_gives_every_message_an_increasing_id() -> None:
    hub = Hub(clock=lambda: NOON, message_ids=MessageIds())
    alice, bob = member("Client-1"), member("Client-2")
    hub.add(alice)
    hub.add(bob)
    [first] = hub.say(alice, "lobby", "one")
    [second] = hub.tell(alice, bob.nick, "two")
    assert 0 < first.event.msgid < second.event.msgid  # type: ignore[union-attr]


def test_a_kept_room_is_made_again_as_it_was_and_saved_after_each_change() -> None:
    saved: list[RoomState] = []
    state = RoomState(
        "Den", "cosy", "alice", None, "nt", "sesame", 0, (("*!*@x", "alice", NOON.astimezone()),)
    )
    forgotten: list[str] = []
    hub = Hub(clock=lambda: NOON, kept_rooms=KeptRooms([state], saved.append, forgotten.append))
    bob = member("Client-1")
    hub.add(bob)
    assert hub.needs_key("den") and not hub.needs_key("elsewhere")
    with pytest.raises(errors.WrongRoomKey):
        hub.join(bob, "den")
    hub.join(bob, "den", "sesame")
    view = hub.room("den")
    assert (view.topic, view.topic_by, view.key) == ("cosy", "alice", "sesame")
    assert [mask for mask, _, _ in view.bans] == ["*!*@x"]
    hub.set_topic(bob, "den", "warm")
    hub.change_modes(bob, "den", [modes.ModeChange(False, "k", "sesame")])
    assert [(s.topic, s.key) for s in saved] == [("warm", "sesame"), ("warm", "")]
    assert forgotten == []
    hub.part(bob, "den")  # freed, then made again: as last kept, not as at start
    hub.join(bob, "den")
    assert hub.room("den").topic == "warm"


def test_rooms_settings_are_kept_for_at_most_the_limit_of_rooms(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="chinwag")
    saved: list[RoomState] = []
    kept = KeptRooms([RoomState("Den", "cosy")], saved.append, [].append, limit=2)
    hub = Hub(clock=lambda: NOON, kept_rooms=kept)
    bob = member("Client-1")
    hub.add(bob)
    for room in ("attic", "cellar", "den"):
        hub.join(bob, room)
        hub.set_topic(bob, room, f"{room} topic")
    assert [state.name for state in saved] == ["attic", "den"]  # the cellar did not fit
    assert "those of cellar last only while it is open" in caplog.text
    for room in ("attic", "cellar"):
        hub.part(bob, room)
        hub.join(bob, room)
    assert hub.room("attic").topic == "attic topic"
    assert hub.room("cellar").topic == ""
    hub.set_topic(bob, "attic", "")  # back to nothing to keep: its place is free
    hub.set_topic(bob, "cellar", "kept now")
    assert saved[-1].name == "cellar"


def test_an_empty_kept_invite_only_room_is_reopened_by_a_server_operator() -> None:
    state = RoomState("Den", flags="int")
    hub = Hub(clock=lambda: NOON, kept_rooms=KeptRooms([state], [].append, [].append))
    bob, admin = member("Client-1"), member("Client-2")
    for one in (bob, admin):
        hub.add(one)
    with pytest.raises(errors.InviteOnly):
        hub.join(bob, "den")
    with pytest.raises(errors.NotInRoom):  # an invitation nobody could keep: refused
        hub.invite(admin, bob.nick, "den")
    admin.operator = True
    hub.join(admin, "den")  # nobody is in it to invite anyone: a server operator enters
    assert hub.room("den").flags >= {"i"}
    hub.invite(admin, bob.nick, "den")
    hub.join(bob, "den")
    hub.part(bob, "den")
    with pytest.raises(errors.InviteOnly):  # while it is open, +i holds as ever
        hub.join(bob, "den")
    bob.operator = True
    with pytest.raises(errors.InviteOnly):
        hub.join(bob, "den")


def test_message_tags_formatting_adds_the_id_to_messages_only() -> None:
    formatter = IrcFormatter("irc.test", tag_msgid=True)
    msgid = ids.decode(ids.floor(NOON)) + 1
    line = formatter.format(said(NOON, msgid=msgid)).decode()
    assert line == f"@msgid={ids.encode(msgid)} :alice!al@host PRIVMSG #kitchen :hi\r\n"
    assert formatter.format(said(NOON)).decode().startswith(":alice!")  # no id: no tag


def test_a_room_back_to_how_rooms_are_made_is_forgotten_not_saved() -> None:
    saved: list[RoomState] = []
    forgotten: list[str] = []
    old = [RoomState("Plain"), RoomState("lobby", flags="n"), RoomState("Den", "cosy")]
    kept = KeptRooms(old, saved.append, forgotten.append)
    assert forgotten == ["Plain", "lobby"]  # kept by an earlier version, nothing to keep
    hub = Hub(clock=lambda: NOON, kept_rooms=kept)
    bob = member("Client-1")
    hub.add(bob)
    hub.join(bob, "den")
    forgotten.clear()
    hub.set_topic(bob, "den", "")  # as IRC's TOPIC #den : clears it
    hub.change_modes(bob, "den", [modes.ModeChange(True, "k", "sesame")])
    hub.change_modes(bob, "den", [modes.ModeChange(False, "k", "sesame")])
    assert [(s.name, s.key) for s in saved] == [("den", "sesame")]
    assert forgotten == ["den", "den"]
    assert kept.key("den") == ""
    hub.part(bob, "den")
    hub.join(bob, "den")  # made again as new: the kept topic went with the table's row
    assert hub.room("den").topic == ""
    bob.operator = True  # the lobby has no room operators
    hub.change_modes(bob, "lobby", [modes.ModeChange(True, "t")])
    hub.change_modes(bob, "lobby", [modes.ModeChange(False, "t")])
    assert forgotten[-1] == "lobby"  # the lobby is made without +t
