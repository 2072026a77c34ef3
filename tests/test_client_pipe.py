"""Pipe mode against a real server: what scripts (and people with ``echo | chinwag``) get."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from chinwag.server.server import ChatServer
from tests.client_support import (
    STAMP,
    HostileServer,
    PipeClient,
    RawClient,
    client_command,
    client_env,
    free_port,
    start_server,
    wait_for,
)

Start = Callable[..., PipeClient]
OpenRaw = Callable[[tuple[str, int]], RawClient]


def test_two_clients_talk_in_ukrainian_and_russian(
    chat_server: ChatServer, pipe_clients: Start
) -> None:
    olena = pipe_clients(chat_server.address, "--nick", "Олена")
    olena.expect(r"^\* you are now known as Олена$")
    bohdan = pipe_clients(chat_server.address, "--nick", "Богдан")
    bohdan.expect(r"^\* you are now known as Богдан$")
    olena.expect(r"^\* Client-\d+ is now known as Богдан$")

    bohdan.send("Привіт, Олено! Ґанок, їжак, єнот — усе гаразд?")
    olena.expect(rf"^{STAMP} Богдан: Привіт, Олено! Ґанок, їжак, єнот — усе гаразд\?$")
    olena.send("Да, всё хорошо, спасибо!", "/me махає рукою")
    bohdan.expect(rf"^{STAMP} Олена: Да, всё хорошо, спасибо!$")
    bohdan.expect(rf"^{STAMP} \* Олена махає рукою$")

    olena.send("/msg Богдан це таємниця")
    bohdan.expect(rf"^{STAMP} \*Олена\* це таємниця$")

    bohdan.send("/who")
    bohdan.expect(r"^\* 2 users in lobby:$")
    bohdan.expect(r"^\*   Богдан - connected")
    bohdan.expect(r"^\*   Олена - connected")

    olena.close_stdin()
    assert olena.wait() == 0
    assert olena.out.snapshot()[-1] == "* Goodbye, Олена!"
    bohdan.expect(r"^\* Олена left the chat$")
    bohdan.close_stdin()
    assert bohdan.wait() == 0
    assert bohdan.err.snapshot() == []


def test_replies_in_flight_at_the_end_of_stdin_are_all_printed(
    chat_server: ChatServer, pipe_clients: Start
) -> None:
    client = pipe_clients(chat_server.address)
    client.send("/who", "/rooms", "/msg nobody hello", "/help who")
    client.close_stdin()
    assert client.wait() == 0
    out = "\n".join(client.out.snapshot())
    assert re.search(r"^\* Welcome to chinwag, Client-\d+! You are in lobby\.$", out, re.M)
    assert "* 1 user in lobby:" in out
    assert "* rooms: lobby (1)" in out
    assert "! there is no user called nobody" in out
    assert "* /who [ROOM]: who is in your room" in out
    assert client.out.snapshot()[-1].startswith("* Goodbye, Client-")


def test_input_from_a_file_is_sent(chat_server: ChatServer, tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("/nick filed\n/who\n", encoding="utf-8")
    with script.open("rb") as stdin:  # chinwag connect < script.txt
        done = subprocess.run(
            client_command(chat_server.address),
            stdin=stdin,
            capture_output=True,
            env=client_env(tmp_path),
            timeout=30,
            check=False,
        )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "* you are now known as filed" in out
    assert "* 1 user in lobby:" in out


def test_quit_with_a_reason_exits_zero_and_others_see_the_reason(
    chat_server: ChatServer,
    pipe_clients: Start,
    raw_clients: OpenRaw,
) -> None:
    watcher = raw_clients(chat_server.address)
    client = pipe_clients(chat_server.address, "--nick", "leaver")
    watcher.expect(r"^\* Client-\d+ is now known as leaver$")
    client.send("/quit time for tea")
    watcher.expect(r"^\* leaver left the chat \(time for tea\)$")
    assert client.wait() == 0  # stdin is still open: the quit alone ends the client
    assert client.out.snapshot()[-1] == "* Goodbye, leaver!"


@pytest.mark.parametrize("word", ["exit", "/exit", "EXIT"])
def test_exit_words_leave_cleanly(chat_server: ChatServer, pipe_clients: Start, word: str) -> None:
    client = pipe_clients(chat_server.address)
    client.expect(r"^\* Welcome")
    client.send(word)
    assert client.wait() == 0
    assert client.err.snapshot() == []


def test_refused_connection_is_one_line_and_exit_code_1(pipe_clients: Start) -> None:
    port = free_port()
    client = pipe_clients(("127.0.0.1", port))
    assert client.wait() == 1
    assert client.err.snapshot() == [f"Could not connect to 127.0.0.1:{port}: connection refused"]
    assert client.out.snapshot() == []


def test_server_shutdown_exits_2_with_the_reason(pipe_clients: Start) -> None:
    with start_server() as running:
        client = pipe_clients(running.address)
        client.expect(r"^\* Welcome")
        running.shutdown()
    assert client.wait() == 2  # stdin is still open: the loss alone ends the client
    assert client.out.snapshot()[-1] == "* server shutting down"
    assert client.err.snapshot() == ["Connection to server lost (server shutting down)"]


def test_nick_that_is_taken_is_reported_and_the_generated_name_kept(
    chat_server: ChatServer,
    pipe_clients: Start,
    raw_clients: OpenRaw,
) -> None:
    holder = raw_clients(chat_server.address)
    holder.send("/nick Тарас")
    holder.expect(r"^\* you are now known as Тарас$")
    client = pipe_clients(chat_server.address, "--nick", "тарас")
    client.expect(r"^! the name тарас is taken$")
    client.send("hi")
    holder.expect(rf"^{STAMP} Client-\d+: hi$")
    client.close_stdin()
    assert client.wait() == 0


def test_escape_sequences_through_the_server_never_reach_stdout(
    chat_server: ChatServer,
    pipe_clients: Start,
    raw_clients: OpenRaw,
) -> None:
    reader = pipe_clients(chat_server.address)
    reader.expect(r"^\* Welcome")
    sender = raw_clients(chat_server.address)
    sender.sock.sendall(b"clear \x1b[2J\x1b]0;title\x07 \xff\xfe done\n")
    line = reader.expect(r"Client-\d+: clear")
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("done")
    reader.close_stdin()
    assert reader.wait() == 0
    assert b"\x1b" not in reader.out.raw


def test_escape_sequences_from_a_hostile_server_are_shown_neutralised(
    hostile: Callable[[bytes], HostileServer], pipe_clients: Start
) -> None:
    fake = hostile(
        b"[12:00:00] evil: \x1b[2J\x1b[H\x1b]0;pwned\x07 \xc2\x9b6n \xe2\x80\xae gotcha\r\n"
        b"* broken \xff\xfe utf-8 \xd0\r\n"
        b"\x1bc\r\n"
    )
    client = pipe_clients(fake.address)
    assert client.wait() == 2
    out = client.out.raw.decode("utf-8")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out.replace("\n", ""))
    assert client.out.snapshot() == [
        "[12:00:00] evil: ^[[2J^[[H^[]0;pwned^G <U+009B>6n <U+202E> gotcha",
        "* broken \ufffd\ufffd utf-8 \ufffd",
        "^[c",
    ]
    assert client.err.snapshot() == ["Connection to server lost (closed by the server)"]


def test_reconnect_restores_the_nick_and_the_room(pipe_clients: Start) -> None:
    first = start_server()
    port = first.address[1]
    try:
        client = pipe_clients(first.address, "--reconnect", "--nick", "Стійкий")
        client.expect(r"^\* you are now known as Стійкий$")
        client.send("/join kitchen")
        client.expect(r"^\* you are now in kitchen \(1 here\)$")
        first.shutdown()
        wait_for(
            lambda: any("Reconnecting in" in line for line in client.err.snapshot()),
            what="a reconnection attempt",
        )
    finally:
        first.shutdown()
    with start_server(port):
        client.expect(r"^\* Welcome to chinwag, Client-\d+!")
        client.expect(r"^\* you are now known as Стійкий$")
        client.expect(r"^\* you are now in kitchen \(1 here\)$")
        assert "Connection to server lost (server shutting down)" in client.err.snapshot()
        assert f"Reconnected to 127.0.0.1:{port}" in client.err.snapshot()
        client.close_stdin()
        assert client.wait() == 0


def test_host_and_port_given_twice_is_a_usage_error(tmp_path: Path) -> None:
    client = PipeClient(("127.0.0.1", 1), tmp_path, "--port", "2")
    try:
        assert client.wait() == 1
        assert client.err.snapshot() == [
            "chinwag connect: give the port either in HOST:PORT or with --port, not both"
        ]
    finally:
        client.stop()
