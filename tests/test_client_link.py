"""The receiving thread in-process against a real server: endings, reconnection, stopping."""

from __future__ import annotations

import threading

import pytest

from chinwag.client.backoff import Backoff
from chinwag.client.lines import Received
from chinwag.client.link import ConnectFailed, End, Ended, Link
from chinwag.server.server import ChatServer
from tests.client_support import free_port, start_server, wait_for

FAST = Backoff(first=0.05, factor=2, cap=0.2, jitter=0)


class Recorder:
    """A listener that keeps everything it is told."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[str] = []
        self.statuses: list[str] = []
        self.outcome: Ended | None = None

    def lines(self, received: list[Received]) -> None:
        with self._lock:
            self.received += [r.line for r in received]

    def status(self, text: str) -> None:
        with self._lock:
            self.statuses.append(text)

    def ended(self, outcome: Ended) -> None:
        self.outcome = outcome

    def saw(self, line: str) -> bool:
        with self._lock:
            return line in self.received

    def count(self, line: str) -> int:
        with self._lock:
            return self.received.count(line)


def _receivers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "chinwag-receive"]


def test_leaving_is_not_a_loss_and_the_thread_is_joined(chat_server: ChatServer) -> None:
    recorder = Recorder()
    link = Link(*chat_server.address, recorder)
    link.connect()
    link.start()
    wait_for(lambda: link.nick.startswith("Client-"), what="the welcome")
    assert link.send("/nick Марта")
    wait_for(lambda: link.nick == "Марта", what="the new nick")
    link.leave("/quit done")
    assert recorder.outcome == Ended(End.LEFT)
    assert recorder.saw("* Goodbye, Марта!")
    assert _receivers() == []
    assert not link.send("too late")


def test_a_server_shutdown_is_a_loss_with_its_reason() -> None:
    recorder = Recorder()
    with start_server() as server:
        link = Link(*server.address, recorder)
        link.connect()
        link.start()
        wait_for(lambda: link.nick != "", what="the welcome")
    assert link.done.wait(5)
    assert recorder.outcome == Ended(End.LOST, reason="server shutting down")
    link.close()
    assert _receivers() == []


def test_connecting_to_nothing_fails_with_one_clear_message() -> None:
    port = free_port()
    link = Link("127.0.0.1", port, Recorder())
    with pytest.raises(ConnectFailed) as failure:
        link.connect()
    assert str(failure.value) == f"Could not connect to 127.0.0.1:{port}: connection refused"


HINT = "* Choose a name with /nick NAME; /help lists the commands."


def test_reconnection_restores_name_room_and_away_and_close_stops_the_retries() -> None:
    recorder = Recorder()
    first = start_server()
    port = first.address[1]
    link = Link("127.0.0.1", port, recorder, backoff=FAST)
    try:
        link.connect()
        link.start()
        wait_for(lambda: link.nick != "", what="the welcome")
        link.send("/nick Тарас")
        link.send("/join кухня")
        link.send("/away на обіді")
        wait_for(lambda: link.room == "кухня", what="the room")
        wait_for(lambda: recorder.saw("* you are marked away: на обіді"), what="away")
    finally:
        first.shutdown()
    wait_for(lambda: len(recorder.statuses) >= 3, what="failed attempts")
    assert recorder.statuses[0] == "Connection to server lost (server shutting down)"
    assert recorder.statuses[1].startswith("Reconnecting in 0.1s (attempt 1)")
    with start_server(port):
        wait_for(lambda: recorder.count("* you are now in кухня (1 here)") == 2, what="rejoin")
        assert recorder.count("* you are now known as Тарас") == 2
        wait_for(lambda: recorder.count("* you are marked away: на обіді") == 2, what="away")
        assert recorder.count(HINT) == 1  # not again: the name is asked back at once
        assert (link.nick, link.room) == ("Тарас", "кухня")
    wait_for(lambda: "Reconnecting in" in recorder.statuses[-1], what="retrying again")
    link.close()  # while waiting to retry: stops at once
    assert recorder.outcome == Ended(End.LEFT)
    assert _receivers() == []
