"""Room history replayed to IRC clients on JOIN, over real sockets."""

from __future__ import annotations

import re

from tests.irc.conftest import IrcHarness, LineSocket
from tests.support import DEADLINE


def said_in_den(server: IrcHarness) -> LineSocket:
    """A text user who said two things in ``den``, written to history."""
    alice = server.text("alice")
    alice.send("/join den", "hello", "/me waves", "/who")
    alice.expect(r"^\* \d+ users? in den")
    assert server.server.history.writer.flush(DEADLINE)
    return alice


def test_a_client_without_capabilities_gets_history_as_privmsgs(irc_server: IrcHarness) -> None:
    said_in_den(irc_server)
    bob = irc_server.irc("bob")
    bob.send("JOIN #den")
    bob.expect(r"^:bob!\S+ JOIN #den$")
    bob.expect(r" 366 bob #den ")
    hello = bob.expect(r" PRIVMSG #den :hello$")
    assert re.match(r":alice!\S+@\S+ PRIVMSG", hello)  # from its author, untagged
    bob.expect(r" PRIVMSG #den :\x01ACTION waves\x01$")
    assert not any(" BATCH " in line for line in bob.received)


def test_server_time_and_batch_wrap_the_replay(irc_server: IrcHarness) -> None:
    said_in_den(irc_server)
    bob = irc_server.raw_irc()
    bob.send("CAP LS 302", "CAP REQ :server-time batch", "NICK bob", "USER bob 0 * :Bob", "CAP END")
    bob.expect(r"CAP \* ACK :server-time batch$")
    bob.expect(r" 001 bob ")
    bob.send("JOIN #den")
    bob.expect(r" 366 bob #den ")
    opened = bob.expect(r" BATCH ")
    assert opened.startswith(":irc.test BATCH +")
    reference = opened.split()[2][1:]
    assert opened.endswith(f" +{reference} chathistory #den")
    hello = bob.expect(r" PRIVMSG #den :hello$")
    time_tag = r"@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.match(f"{time_tag};batch={reference} :alice!\\S+ PRIVMSG", hello)
    bob.expect(f"batch={reference} :alice!\\S+ PRIVMSG #den :\x01ACTION waves\x01$")
    assert bob.expect(r" BATCH ") == f":irc.test BATCH -{reference}"


def test_live_messages_after_the_replay_are_not_in_a_batch(irc_server: IrcHarness) -> None:
    alice = said_in_den(irc_server)
    bob = irc_server.raw_irc()
    bob.send("CAP REQ :batch", "NICK bob", "USER bob 0 * :Bob", "CAP END")
    bob.expect(r" 001 bob ")
    bob.send("JOIN #den")
    bob.expect(r" BATCH -")
    alice.send("live now")
    line = bob.expect(r" PRIVMSG #den :live now$")
    assert line.startswith(":alice!")


def test_message_tags_clients_see_one_id_for_a_message_live_and_replayed(
    irc_server: IrcHarness,
) -> None:
    carol = irc_server.raw_irc()
    carol.send("CAP REQ :message-tags", "NICK carol", "USER carol 0 * :Carol", "CAP END")
    carol.expect(r" 001 carol ")
    carol.send("JOIN #den")
    carol.expect(r" 366 carol #den ")
    alice = said_in_den(irc_server)
    live = carol.expect(r" PRIVMSG #den :hello$")
    msgid = re.match(r"@msgid=([0-9A-Z]{26}) :alice!", live)
    assert msgid is not None
    alice.send("/who")
    bob = irc_server.raw_irc()
    bob.send("CAP REQ :message-tags", "NICK bob", "USER bob 0 * :Bob", "CAP END")
    bob.expect(r" 001 bob ")
    bob.send("JOIN #den")
    replayed = bob.expect(r" PRIVMSG #den :hello$")
    assert replayed.startswith(f"@msgid={msgid[1]} ")
