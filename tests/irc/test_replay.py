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


def chathistory_client(server: IrcHarness, nick: str) -> LineSocket:
    client = server.raw_irc()
    caps = "draft/chathistory batch server-time message-tags"
    client.send(f"CAP REQ :{caps}", f"NICK {nick}", f"USER {nick} 0 * :{nick}", "CAP END")
    client.expect(f"ACK :{caps}$")
    client.expect(r" 005 .*CHATHISTORY=100 ")
    client.expect(r" (376|422) ")
    return client


def history_batch(client: LineSocket) -> list[str]:
    """The messages of the next chathistory batch."""
    opened = client.expect(r" BATCH \+\S+ chathistory ")
    reference = opened.split()[2][1:]
    lines = []
    while True:
        line = client.expect(r".")
        if line == f":irc.test BATCH -{reference}":
            return lines
        assert f"batch={reference}" in line
        lines.append(line)


def test_chathistory_clients_ask_for_history_themselves(irc_server: IrcHarness) -> None:
    said_in_den(irc_server)
    bob = chathistory_client(irc_server, "bob")
    assert any("MSGREFTYPES=timestamp,msgid" in line for line in bob.received)
    bob.send("JOIN #den")
    bob.expect(r" 366 bob #den ")
    assert not any("PRIVMSG" in line for line in bob.round_trip())  # no replay on JOIN

    bob.send("CHATHISTORY LATEST #den * 10")
    hello, waves = history_batch(bob)
    assert hello.endswith(" PRIVMSG #den :hello") and "ACTION waves" in waves
    first = re.search(r"msgid=(\w+)", hello)
    second = re.search(r"msgid=(\w+)", waves)
    assert first is not None and second is not None
    bob.send(f"CHATHISTORY BEFORE #den msgid={second[1]} 10")
    assert [line.endswith(":hello") for line in history_batch(bob)] == [True]
    bob.send(f"CHATHISTORY AFTER #den msgid={first[1]} 10")
    assert ["ACTION waves" in line for line in history_batch(bob)] == [True]
    bob.send(f"CHATHISTORY AROUND #den msgid={second[1]} 10")
    assert len(history_batch(bob)) == 2
    bob.send(
        "CHATHISTORY BETWEEN #den timestamp=2000-01-01T00:00:00.000Z "
        "timestamp=2999-01-01T00:00:00.000Z 1"
    )
    assert [line.endswith(":hello") for line in history_batch(bob)] == [True]
    bob.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00Z timestamp=2999-01-01T00:00:00Z 5")
    bob.expect(r" BATCH \+\S+ draft/chathistory-targets$")
    line = bob.expect("TARGETS")
    assert re.search(r":irc\.test CHATHISTORY TARGETS #den \d{4}-\d\d-\d\dT[\d:.]+Z$", line)


def targets_batch(client: LineSocket) -> list[tuple[str, str]]:
    """The (target, time) lines of the next ``draft/chathistory-targets`` batch."""
    reference = client.expect(r" BATCH \+\S+ draft/chathistory-targets$").split()[2][1:]
    found = []
    while (line := client.expect(r".")) != f":irc.test BATCH -{reference}":
        tags, _, rest = line.partition(" ")
        assert tags == f"@batch={reference}"
        found.append(tuple(rest.split(" ")[3:5]))
    return found


def test_chathistory_targets_leaves_out_both_ends(irc_server: IrcHarness) -> None:
    # The times are the messages' own time tags: a bound given as one leaves that
    # conversation out, as BETWEEN leaves out the message it names.
    bob = chathistory_client(irc_server, "bob")
    times = {}
    for channel in ("#one", "#two", "#three"):
        bob.send(f"JOIN {channel}")
        bob.expect(f" 366 bob {channel} ")
        irc_server.text(f"ann{len(times)}").send(f"/join {channel[1:]}", f"in {channel}")
        line = bob.expect(f" PRIVMSG {channel} :in {channel}$")
        times[channel] = re.search(r"time=([^;]+)", line)[1]  # type: ignore[index]
    everything = "timestamp=2000-01-01T00:00:00.000Z timestamp=2999-01-01T00:00:00.000Z"
    bob.send(f"CHATHISTORY TARGETS {everything} 10")
    assert targets_batch(bob) == list(times.items())
    first, last = times["#one"], times["#three"]
    bob.send(f"CHATHISTORY TARGETS timestamp={last} timestamp={first} 10")
    inside = [(name, t) for name, t in times.items() if first < t < last]
    assert targets_batch(bob) == inside
    bob.send(f"CHATHISTORY TARGETS timestamp={first} timestamp={first} 10")
    assert targets_batch(bob) == []


def test_chathistory_errors_are_fail_lines(irc_server: IrcHarness) -> None:
    bob = chathistory_client(irc_server, "bob")
    bob.send("CHATHISTORY LATEST #elsewhere * 10")
    bob.expect(r"^:irc\.test FAIL CHATHISTORY INVALID_TARGET LATEST #elsewhere :")
    bob.send("JOIN #den", "CHATHISTORY BEFORE #den yesterday 10")
    bob.expect(r"^:irc\.test FAIL CHATHISTORY INVALID_PARAMS BEFORE yesterday :")
    bob.send("CHATHISTORY LATEST #den * none")
    bob.expect(r"^:irc\.test FAIL CHATHISTORY INVALID_PARAMS LATEST none :")
    bob.send("CHATHISTORY SIDEWAYS #den * 10")
    bob.expect(r"^:irc\.test FAIL CHATHISTORY INVALID_PARAMS SIDEWAYS :")
    bob.send("CHATHISTORY LATEST #den")
    bob.expect(r"^:irc\.test FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :")
    bob.send("CHATHISTORY LATEST #den * 10")  # an empty history is an empty batch
    assert history_batch(bob) == []


def test_private_chathistory_is_only_its_two_sides(make_irc_server) -> None:  # type: ignore[no-untyped-def]
    server = make_irc_server(history_private=True)
    alice = chathistory_client(server, "alice")
    bob = chathistory_client(server, "bob")
    carol = chathistory_client(server, "carol")
    alice.send("PRIVMSG bob :just us", "PING :done")
    alice.expect(r" PONG .*done")
    bob.expect(r"PRIVMSG bob :just us$")
    assert server.server.history.writer.flush(DEADLINE)
    bob.send("CHATHISTORY LATEST alice * 10")
    [line] = history_batch(bob)
    assert " :alice!" in line and line.endswith(" PRIVMSG bob :just us")
    carol.send("CHATHISTORY LATEST alice * 10", "CHATHISTORY LATEST bob * 10")
    assert history_batch(carol) == []
    assert history_batch(carol) == []


def test_a_message_just_said_is_in_chathistory_and_the_next_joiners_replay(
    irc_server: IrcHarness,
) -> None:
    """However soon after it is said: whether or not it is written yet."""
    alice = irc_server.irc("alice")
    reader = chathistory_client(irc_server, "reader")
    alice.send("JOIN #den")
    alice.expect(r" 366 alice #den ")
    reader.send("JOIN #den")
    reader.expect(r" 366 reader #den ")
    joiner = irc_server.irc("joiner")
    for number in range(40):
        alice.send(f"PRIVMSG #den :line {number}", f"PING :said {number}")
        alice.expect(f" PONG .*said {number}$")  # the server has taken the line
        reader.send("CHATHISTORY LATEST #den * 1")
        [latest] = history_batch(reader)
        assert latest.endswith(f" PRIVMSG #den :line {number}")
        start = len(joiner.received)
        joiner.send("JOIN #den", "PART #den", f"PING :parted {number}")
        joiner.expect(f" PONG .*parted {number}$")
        said = [line for line in joiner.received[start:] if " PRIVMSG #den :" in line]
        assert said[-1].endswith(f" PRIVMSG #den :line {number}"), said  # once, and last
        assert len(said) == min(number + 1, 20)


def test_a_name_taken_again_does_not_inherit_its_private_history(make_irc_server) -> None:  # type: ignore[no-untyped-def]
    """Names are not accounts: whoever takes a name someone left sees nothing said to or
    by it before, while the other side still sees it all."""
    server = make_irc_server(history_private=True)
    first = chathistory_client(server, "alice")
    bob = chathistory_client(server, "bob")
    bob.send("PRIVMSG alice :to the first alice")
    first.expect(r"PRIVMSG alice :to the first alice$")
    first.send("PRIVMSG bob :from the first alice", "QUIT :bye")
    bob.expect(r"PRIVMSG bob :from the first alice$")
    first.expect_closed()
    assert server.server.history.writer.flush(DEADLINE)
    second = chathistory_client(server, "ALICE")  # the same name, folded alike
    ever = "timestamp=2000-01-01T00:00:00.000Z"
    never = "timestamp=2100-01-01T00:00:00.000Z"
    second.send(
        "CHATHISTORY LATEST bob * 10",
        f"CHATHISTORY AFTER bob {ever} 10",
        f"CHATHISTORY BEFORE bob {never} 10",
        f"CHATHISTORY BETWEEN bob {ever} {never} 10",
        f"CHATHISTORY BETWEEN bob {never} {ever} 10",
        f"CHATHISTORY AROUND bob {never} 10",
    )
    for _ in range(6):
        assert history_batch(second) == []
    second.send(f"CHATHISTORY TARGETS {ever} {never} 10")
    assert targets_batch(second) == []
    second.send("PRIVMSG bob :from the second alice")
    bob.expect(r"PRIVMSG bob :from the second alice$")
    assert server.server.history.writer.flush(DEADLINE)
    second.send("CHATHISTORY LATEST bob * 10", f"CHATHISTORY AFTER bob {ever} 10")
    for _ in range(2):
        [line] = history_batch(second)
        assert line.endswith(" PRIVMSG bob :from the second alice")
    second.send(f"CHATHISTORY TARGETS {ever} {never} 10")
    [(name, _)] = targets_batch(second)
    assert name == "bob"
    bob.send("CHATHISTORY LATEST alice * 10")  # bob kept his name: all of it
    seen = [line.rsplit(" :", 1)[1] for line in history_batch(bob)]
    assert seen == ["to the first alice", "from the first alice", "from the second alice"]
