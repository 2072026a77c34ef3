"""IRC over loopback: the ``irc`` client library and raw sockets with text users."""

from __future__ import annotations

import re
import socket
import ssl
import weakref
from collections.abc import Callable
from dataclasses import replace

import irc.client
import pytest

from chinwag.passwords import hash_password
from chinwag.server.server import ChatServer
from tests.irc.conftest import DEADLINE, IRC_CONFIG, IrcHarness, LineSocket, wait_for
from tests.support import collector_paused


class LibraryClient:
    """A client of the ``irc`` package, pumped by the test's own thread."""

    def __init__(self, harness: IrcHarness, nick: str) -> None:
        self.reactor = irc.client.Reactor()
        self.events: list[irc.client.Event] = []
        self.reactor.add_global_handler("all_events", lambda c, e: self.events.append(e))
        host, port = harness.irc_address
        self.connection = self.reactor.server().connect(host, port, nick)

    def wait(self, kind: str, match: str = "") -> irc.client.Event:
        found: list[irc.client.Event] = []

        def seen() -> bool:
            self.reactor.process_once(0.02)
            found[:] = [
                e
                for e in self.events
                if e.type == kind and match in " ".join(map(str, e.arguments))
            ]
            return bool(found)

        wait_for(seen, what=f"{kind} {match!r}")
        self.events.remove(found[0])
        return found[0]

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def library(irc_server: IrcHarness):  # type: ignore[no-untyped-def]
    clients: list[LibraryClient] = []

    def make(nick: str) -> LibraryClient:
        client = LibraryClient(irc_server, nick)
        clients.append(client)
        client.wait("welcome")
        return client

    yield make
    for client in clients:
        client.close()


def test_library_client_talks_with_a_text_user(irc_server: IrcHarness, library) -> None:  # type: ignore[no-untyped-def]
    alice = library("alice")
    assert alice.connection.features.casemapping == "rfc7613"
    assert alice.connection.features.prefix == {"@": "o", "+": "v"}
    bob = irc_server.text("bob")
    alice.connection.join("#lobby")
    names = alice.wait("namreply")
    assert set(names.arguments[2].split()) == {"alice", "bob"}
    bob.expect(r"^\* alice joined lobby$")
    bob.send("hello from nc")
    event = alice.wait("pubmsg")
    assert (event.source.nick, event.target, event.arguments) == (
        "bob",
        "#lobby",
        ["hello from nc"],
    )
    alice.connection.privmsg("#lobby", "hello from irc")
    bob.expect(r"\] alice: hello from irc$")
    bob.send("/msg alice private words")
    event = alice.wait("privmsg")
    assert event.arguments == ["private words"]
    alice.connection.privmsg("bob", "private reply")
    bob.expect(r"\] \*alice\* private reply$")
    bob.send("/nick robert")
    assert alice.wait("nick").target == "robert"
    alice.connection.nick("Alicia")
    bob.expect(r"^\* alice is now known as Alicia$")
    alice.connection.quit("bye now")
    bob.expect(r"^\* Alicia left the chat \(Quit: bye now\)$")


def test_nick_collision_ignores_case(irc_server: IrcHarness, library) -> None:  # type: ignore[no-untyped-def]
    library("alice")
    raw = irc_server.raw_irc()
    raw.send("NICK ALICE", "USER x 0 * :x")
    raw.expect(r" 433 \* ALICE :Nickname is already in use")
    raw.send("NICK alice2")
    raw.expect(r" 001 alice2 ")


def test_registration_burst_over_a_socket(irc_server: IrcHarness) -> None:
    client = irc_server.raw_irc()
    client.send("CAP LS 302", "NICK alice", "USER alice 0 * :Alice", "CAP END")
    client.expect(r"^:irc\.test CAP \* LS :away-notify batch cap-notify .*server-time")
    codes = ("001", "002", "003", "004", "005", "251", "252", "253", "254", "255", "265", "266")
    for code in (*codes, "375", "372", "376"):  # a default MOTD, not 422
        client.expect(f"^:irc\\.test {code} alice ")


def test_ping_pong_ordering(irc_server: IrcHarness) -> None:
    client = irc_server.irc("alice")
    client.send(*(f"PING :token{i}" for i in range(20)))
    for i in range(20):
        assert client.expect(r" PONG ").endswith(f":token{i}")


def test_server_pings_idle_clients_and_drops_dead_ones(make_irc_server) -> None:  # type: ignore[no-untyped-def]
    harness = make_irc_server(irc_ping_seconds=1, irc_ping_timeout_seconds=1)
    alive = harness.irc("alive")
    dead = harness.irc("dead")
    alive.send("JOIN #lobby")
    dead.send("JOIN #lobby")
    alive.expect(r"JOIN #lobby")
    ping = alive.expect(r"^PING :irc\.test$")
    alive.send("PONG :irc.test")
    dead.expect(r"^PING ")
    cloak = re.escape(harness.server.hub.cloak("127.0.0.1"))
    alive.expect(rf"^:dead!dead@{cloak} QUIT :Ping timeout: \d+ seconds$")
    assert dead.expect_closed()[-1].startswith("ERROR :Closing link: Ping timeout")
    assert ping


def test_registration_timeout(make_irc_server) -> None:  # type: ignore[no-untyped-def]
    harness = make_irc_server(irc_registration_seconds=1)
    client = harness.raw_irc()
    client.send("NICK slow")
    assert client.expect_closed() == ["ERROR :Closing link: Registration timed out"]


def test_kick_and_mode_refusals(irc_server: IrcHarness) -> None:
    op = irc_server.irc("op")
    guest = irc_server.irc("guest")
    text = irc_server.text("texter")
    op.send("JOIN #club", "MODE #club +k sesame")
    op.expect(r"MODE #club \+k sesame")
    guest.send("JOIN #club")
    guest.expect(r" 475 guest #club :Cannot join channel \(\+k\)")
    op.send("MODE #club -k *", "MODE #club +l 1")
    op.expect(r"MODE #club \+l 1")
    guest.send("JOIN #club")
    guest.expect(r" 471 guest #club :Cannot join channel \(\+l\)")
    op.send("MODE #club -l", "MODE #club +b guest")
    op.expect(r"MODE #club \+b guest!\*@\*")
    guest.send("JOIN #club")
    guest.expect(r" 474 guest #club :Cannot join channel \(\+b\)")
    text.send("/join club")
    cloak = re.escape(irc_server.server.hub.cloak("127.0.0.1"))
    op.expect(rf"^:texter!Client-\d+@{cloak} JOIN #club$")
    op.send("KICK #club texter :out")
    op.expect(r"KICK #club texter :out")
    text.expect(r"^\* op put texter out of club \(out\)$")
    text.send("back to the lobby?")
    text.expect(r"^\* you are back in lobby$")


def test_a_client_that_stops_reading_is_dropped(make_irc_server) -> None:  # type: ignore[no-untyped-def]
    harness = make_irc_server(send_queue_bytes=16 * 1024, socket_send_buffer=8 * 1024)
    talker = harness.irc("talker")
    sleeper = socket.socket()
    sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sleeper.connect(harness.irc_address)
    sleeper.sendall(b"NICK sleeper\r\nUSER s 0 * :s\r\nJOIN #lobby\r\n")  # then never reads
    talker.send("JOIN #lobby")
    talker.expect(r"^:talker!\S+ JOIN #lobby$")
    wait_for(lambda: len(harness.server.hub.room_members("lobby")) == 2, what="the sleeper")
    line = "PRIVMSG #lobby :" + "x" * 400
    for _ in range(200):  # 80 kB: far past what the kernel and the send queue hold
        talker.send(line)
    cloak = re.escape(harness.server.hub.cloak("127.0.0.1"))
    talker.expect(rf"^:sleeper!s@{cloak} QUIT :send queue exceeded$")
    talker.send("PING :still")
    talker.expect(r"PONG irc\.test :still")
    sleeper.close()


def test_a_refused_irc_client_gets_an_error_line(
    make_irc_server: Callable[..., IrcHarness],
) -> None:
    harness = make_irc_server(max_clients=1)
    harness.text("alice")
    refused = harness.raw_irc()
    assert refused.expect_closed() == [
        "ERROR :Closing link: Server is full (1 client); try again later"
    ]


def test_irc_over_tls(certificate: tuple[str, str], client_context: ssl.SSLContext) -> None:
    cert, key = certificate
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    config = replace(IRC_CONFIG, tls_cert=cert, tls_key=key, irc_tls_port=port, data_dir="")
    with ChatServer(config) as server:
        server.start()
        raw = socket.create_connection(server.listener_address("irc-tls"), timeout=DEADLINE)
        with client_context.wrap_socket(raw, server_hostname="localhost") as secure:
            secure.sendall(b"NICK sec\r\nUSER sec 0 * :Secure\r\n")
            received = b""
            while b" 001 sec " not in received:
                chunk = secure.recv(4096)
                assert chunk, received
                received += chunk


def test_an_invitation_opens_an_invite_only_channel_but_not_its_key(irc_server: IrcHarness) -> None:
    alice = irc_server.irc("alice")
    bob = irc_server.irc("bob")
    alice.send("JOIN #den", "MODE #den +i", "INVITE bob #den")
    alice.expect(r" 341 alice bob #den")
    bob.expect(r" INVITE bob #den")
    bob.send("JOIN #den")
    bob.expect(r":bob!\S+ JOIN #den")
    alice.send("MODE #den +k sesame")
    carol = irc_server.irc("carol")
    alice.send("INVITE carol #den")
    carol.expect(r" INVITE carol #den")
    carol.send("JOIN #den")
    carol.expect(r" 475 carol #den ")
    carol.send("JOIN #den sesame")
    carol.expect(r":carol!\S+ JOIN #den")


def test_capabilities_lusers_and_whowas_over_sockets(irc_server: IrcHarness) -> None:
    waiting = irc_server.raw_irc()  # connected, not registered
    waiting.send("CAP LS 302")
    waiting.expect(r" CAP \* LS :")
    alice = irc_server.raw_irc()
    alice.send("CAP LS 302", "CAP REQ :echo-message multi-prefix userhost-in-names")
    alice.expect(r"^:irc\.test CAP \* ACK :echo-message multi-prefix userhost-in-names$")
    alice.send("NICK alice", "USER alice 0 * :Alice", "CAP END")
    alice.expect(r"^:irc\.test 253 alice 1 :unknown connection")
    alice.expect(r"^:irc\.test 265 alice 1 1 ")
    bob = irc_server.text("bob")
    alice.send("JOIN #lobby")
    alice.expect(r"^:irc\.test 353 alice = #lobby :.*bob!\S+@")
    alice.send("PRIVMSG #lobby :hello there")
    alice.expect(r"^:alice!alice@\S+ PRIVMSG #lobby :hello there$")  # the echo
    bob.expect(r"alice: hello there$")
    bob.send("/nick robert")
    alice.expect(r" NICK :?robert$")
    alice.send("WHOWAS bob", "LUSERS")
    alice.expect(r"^:irc\.test 314 alice bob \S+ \S+ \* :bob$")
    alice.expect(r"^:irc\.test 369 alice bob ")
    alice.expect(r"^:irc\.test 266 alice 2 2 ")


def test_capabilities_asked_for_in_the_middle_of_a_chat_shape_what_follows(
    irc_server: IrcHarness,
) -> None:
    alice = irc_server.irc("alice")
    alice.send("JOIN #lobby")
    alice.expect(r" 366 alice #lobby ")
    bob = irc_server.text("bob")
    bob.send("before")
    alice.expect(r"^:bob!\S+ PRIVMSG #lobby :before$")  # no tags: none asked for
    alice.send("CAP REQ :server-time")
    alice.expect(r"^:irc\.test CAP alice ACK :server-time$")
    bob.send("after")
    alice.expect(r"^@time=\S+ :bob!\S+ PRIVMSG #lobby :after$")


def test_a_ban_set_before_an_irc_client_registers_keeps_it_out(
    make_irc_server: Callable[..., IrcHarness],
) -> None:
    server = make_irc_server(oper_password_hash=hash_password("root"))
    oper = server.text("oper")
    oper.send("/op root")
    oper.expect(r"^\* you are now an operator$")
    late = LineSocket(server.irc_address, "127.0.0.3")
    server.sockets.append(late)
    late.send("CAP LS 302")
    late.expect(r" CAP \* LS ")  # accepted: past the accept thread's look at the bans
    oper.send("/ban 127.0.0.3")
    oper.expect(r"^\* 127\.0\.0\.3 is banned for good$")
    late.send("NICK late", "USER late 0 * :Late", "CAP END")
    rest = late.expect_closed()
    assert rest[-1] == "ERROR :Closing link: You are banned from this server", rest
    assert not any(" 001 " in line for line in rest)
    oper.send("/who lobby")
    oper.expect(r"^\* 1 user in lobby")


def test_a_server_operator_deops_themself_with_user_mode_minus_o(
    make_irc_server: Callable[..., IrcHarness],
) -> None:
    # RFC 2812 3.1.5: "+o" on oneself is ignored, "-o" is open to anyone.
    server = make_irc_server(oper_password_hash=hash_password("root"))
    alice = server.irc("alice")
    bob = server.irc("bob")
    alice.send("MODE alice +o", "LUSERS")
    assert alice.expect(r" (MODE|252) ").endswith(" 252 alice 0 :operator(s) online")
    alice.send("OPER alice root")
    alice.expect(r" 381 alice ")
    alice.expect(r"^:alice!\S+ MODE alice \+o$")
    bob.send("WHOIS alice")
    bob.expect(r" 313 bob alice ")
    alice.send("MODE alice -o")
    alice.expect(r"^:alice!\S+ MODE alice -o$")
    alice.send("MODE alice", "LUSERS")
    alice.expect(r" 221 alice \+$")
    alice.expect(r" 252 alice 0 :operator\(s\) online$")
    bob.send("WHOIS alice")
    assert bob.expect(r" (313|318) bob alice ").split(" ")[1] == "318"
    alice.send("MODE alice -o", "PING done")  # no longer one: nothing to say
    assert alice.expect(r" (MODE|PONG) ").split(" ")[1] == "PONG"
    alice.send("KILL bob :bye")
    alice.expect(r" 481 alice ")


def test_a_finished_irc_connection_is_freed_by_reference_counting(
    irc_server: IrcHarness,
) -> None:
    # Not at the garbage collector's next full collection: a server with many short
    # connections would hold many dead ones meanwhile.
    stays = irc_server.irc("stays")
    stays.send("JOIN #here")
    stays.expect(r" 366 stays #here ")
    with collector_paused():
        leaves = irc_server.irc("leaves")
        [connection] = [c for c in irc_server.server.connections() if c.member.nick == "leaves"]
        freed = weakref.ref(connection.info.sock)  # the connection cannot be referred to weakly
        del connection
        leaves.send("JOIN #here", "PRIVMSG #here :hello", "PRIVMSG stays :psst", "QUIT :bye")
        leaves.expect_closed()
        stays.expect(r":leaves!\S+ QUIT ")
        # The router keeps a room's last audience until the room's next message.
        stays.send("PRIVMSG #here :still here", "PING :barrier")
        stays.expect(r" PONG .*barrier")
        wait_for(lambda: freed() is None, what="the finished connection to be freed")


def test_a_quit_is_known_to_all_once_its_connection_is_closed(irc_server: IrcHarness) -> None:
    # A client that has seen a QUIT's connection close may reuse the nick and find it in
    # WHOWAS at once: the hub forgets the user before the socket closes, not after.
    watcher = irc_server.irc("watcher")
    for n in range(10):
        quitter = irc_server.raw_irc()
        quitter.send(f"NICK q{n}", f"USER u{n} 0 * :Q", "QUIT :bye")
        rest = quitter.expect_closed()
        assert rest[-1].startswith("ERROR :Closing link"), rest
        watcher.send(f"WHOWAS q{n} 1")
        assert watcher.expect(rf" (314|406) watcher q{n} ").split(" ")[1] == "314"
        again = irc_server.raw_irc()
        again.send(f"NICK q{n}", f"USER u{n} 0 * :Q")
        assert again.expect(r" (001|433) ").split(" ")[1] == "001"
        again.send("QUIT")
        again.expect_closed()
