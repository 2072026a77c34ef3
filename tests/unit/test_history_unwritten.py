"""History questions asked while messages are still on their way to the disk.

Whatever part of a conversation the writer has written, every question gets the answer
it would get had everything been written: checked against one memory store holding it
all. The hub gives each joiner a place among messages: their replay stops there, and
what is said after it reaches them live only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.history import ids
from chinwag.history.ids import MessageIds
from chinwag.history.replay import Replayer
from chinwag.history.service import History
from chinwag.history.store import (
    Conversation,
    MemoryHistory,
    Pending,
    Record,
    pending,
    record_of,
)
from chinwag.history.writer import HistoryWriter
from chinwag.hub.events import PrivateMessage, RoomMessage
from chinwag.hub.hub import Hub, Member

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SPEAKERS = ("ann", "bob", "cy")
ROOMS = ("lobby", "Kitchen")


def message(number: int, where: int) -> RoomMessage | PrivateMessage:
    """The ``number``th message: to a room, or between two of ``SPEAKERS``; three a
    second, each with an id of its time, as the hub gives them."""
    when = START + timedelta(seconds=number // 3)
    msgid = (ids.milliseconds(when) << 80) + number
    local = when.astimezone().replace(tzinfo=None)
    sender = SPEAKERS[number % len(SPEAKERS)]
    if where < len(ROOMS):
        # The same room as different users spell it: one conversation.
        room = ROOMS[where] if number % 2 else ROOMS[where].upper()
        return RoomMessage(local, sender, room, f"m{number}", msgid=msgid)
    other = SPEAKERS[(number + 1) % len(SPEAKERS)]
    return PrivateMessage(local, sender, other, f"m{number}", msgid=msgid)


def conversations() -> list[Conversation]:
    return [Conversation.room(room) for room in ROOMS] + [
        Conversation.private("ann", "bob"),
        Conversation.private("cy", "ann"),
    ]


@settings(max_examples=100, deadline=None)
@given(
    places=st.lists(st.integers(0, len(ROOMS)), min_size=0, max_size=40),
    written=st.integers(0, 40),
    also_queued=st.integers(0, 5),
    limit=st.integers(1, 12),
    pivot=st.integers(0, 40),
    other=st.integers(0, 40),
)
def test_every_question_sees_written_and_unwritten_messages_alike(  # noqa: PLR0917 - drawn
    places: list[int], written: int, also_queued: int, limit: int, pivot: int, other: int
) -> None:
    messages: list[Pending] = []
    for number, where in enumerate(places):
        event = message(number, where)
        assert event.msgid is not None
        messages.append(pending(event.msgid, event))
    everything = MemoryHistory()
    everything.append_messages(messages)

    store = MemoryHistory()
    writer = HistoryWriter(store)  # not started: what is put stays pending
    history = History(store, writer, private=True)
    written = min(written, len(messages))
    store.append_messages(messages[:written])
    # Some are both written and still pending (a batch being written): counted once.
    for item in messages[max(0, written - also_queued) :]:
        writer.put(item)

    ids_made = [ids.encode(item.msgid) for item in messages] or [ids.floor(START)]
    cursor = ids_made[min(pivot, len(ids_made) - 1)]
    second = ids_made[min(other, len(ids_made) - 1)]
    at_time = START + timedelta(seconds=pivot // 3)
    for conversation in conversations():
        assert history.latest(conversation, limit) == everything.latest(conversation, limit)
        assert history.latest(conversation, limit, cursor) == everything.latest(
            conversation, limit, cursor
        )
        for point in (cursor, at_time):
            assert history.before(conversation, point, limit) == everything.before(
                conversation, point, limit
            )
            assert history.after(conversation, point, limit) == everything.after(
                conversation, point, limit
            )
            assert history.around(conversation, point, limit) == everything.around(
                conversation, point, limit
            )
        assert history.between(conversation, cursor, second, limit) == everything.between(
            conversation, cursor, second, limit
        )
    for viewer in SPEAKERS:
        rooms = ROOMS[: 1 + pivot % 2]
        early, late = sorted((ids.floor(START), ids_made[min(pivot, len(ids_made) - 1)]))
        for start, end in ((START - timedelta(1), START + timedelta(1)), (early, late)):
            assert history.targets(viewer, rooms, start, end, limit) == everything.targets(
                viewer, rooms, start, end, limit
            )


class WatchedStore(MemoryHistory):
    """A memory store that looks at the writer's pending items while it writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writer: HistoryWriter | None = None
        self.seen_while_writing: list[list[int]] = []

    def append_messages(self, messages: Sequence[Pending], flagged: int | None = None) -> None:
        assert self.writer is not None
        waiting = self.writer.pending()
        seen = [item.msgid for item in waiting if type(item) is RoomMessage]
        self.seen_while_writing.append(seen)
        super().append_messages(messages, flagged)


def test_a_batch_being_written_is_still_pending_until_it_is_written() -> None:
    store = WatchedStore()
    writer = store.writer = HistoryWriter(store, batch=3)
    events = [message(number, 0) for number in range(5)]
    for event in events:
        assert event.msgid is not None
        writer.put(pending(event.msgid, event))
    assert [item.msgid for item in writer.pending() if type(item) is RoomMessage] == [
        event.msgid for event in events
    ]
    writer.flush()  # not started: writes in this thread, a batch of three, then two
    numbers = [event.msgid for event in events]
    assert store.seen_while_writing == [numbers, numbers[3:]]
    assert writer.pending() == []


def test_pending_items_can_be_read_while_another_thread_puts_more() -> None:
    store = MemoryHistory()
    writer = HistoryWriter(store, max_queued=1_000_000)
    made = MessageIds()
    event = message(0, 0)

    def put_many() -> None:
        for _ in range(50_000):
            writer.put(pending(made.next_value(), event))

    putter = threading.Thread(target=put_many)
    putter.start()
    try:
        while putter.is_alive():
            numbers = [
                item.msgid
                for item in writer.pending()
                if isinstance(item, RoomMessage | PrivateMessage)
            ]
            assert numbers == sorted(numbers)
    finally:
        putter.join()
    assert len(writer.pending()) == 50_000


# --- the hub: a joiner's place among messages ------------------------------------------------


def test_a_joiner_replays_what_came_before_their_join_and_nothing_after() -> None:
    store = MemoryHistory()
    history = History(store, HistoryWriter(store))  # never started: nothing is written
    hub = Hub(recorder=history.record)
    replayer = Replayer(history, on_join=20)
    alice, bob = Member("c1", "127.0.0.1"), Member("c2", "127.0.0.1")
    hub.add(alice)
    hub.add(bob)
    hub.join(alice, "kitchen")
    hub.say(alice, "kitchen", "before")
    hub.join(bob, "KITCHEN")
    hub.say(alice, "kitchen", "after")  # bob is in the room: he gets it live
    replay = replayer.joined("kitchen", bob.entered["kitchen"])
    assert replay is not None
    assert [m.text for m in replay.messages] == ["before"]
    # Asked afterwards, history has both; and a later joiner replays both.
    asked = replayer.room("kitchen", 10)
    assert asked is not None and [m.text for m in asked.messages] == ["before", "after"]
    hub.part(bob, "kitchen")
    assert "kitchen" not in bob.entered
    hub.join(bob, "kitchen")
    again = replayer.joined("kitchen", bob.entered["kitchen"])
    assert again is not None and [m.text for m in again.messages] == ["before", "after"]


def test_the_hub_records_room_and_private_messages_but_not_those_to_operators() -> None:
    recorded: list[RoomMessage | PrivateMessage] = []
    hub = Hub(recorder=recorded.append)
    alice, bob = Member("c1", "127.0.0.1"), Member("c2", "127.0.0.1")
    hub.add(alice)
    hub.add(bob)
    hub.say(alice, "lobby", "to all")
    hub.say_to_status(alice, "lobby", "to operators", "@")
    hub.tell(alice, bob.nick, "psst")
    assert [(type(m).__name__, m.text) for m in recorded] == [
        ("RoomMessage", "to all"),
        ("PrivateMessage", "psst"),
    ]
    assert all(m.msgid is not None for m in recorded)


def test_records_of_unwritten_messages_are_the_records_written_later() -> None:
    event = message(1, 1)
    assert event.msgid is not None
    store = MemoryHistory()
    writer = HistoryWriter(store)
    history = History(store, writer)
    history.record(event)
    [pending] = history.latest(Conversation.room("kitchen"), 5)
    writer.flush()
    [written] = store.latest(Conversation.room("kitchen"), 5)
    assert pending == written == record_of(event.msgid, event)
    assert isinstance(written, Record)
