"""IRCv3 labeled-response: a labeled command's reply comes back labeled, as one line, an
ACK, or a labeled-response batch; nobody else sees the label."""

from __future__ import annotations

import re
from datetime import datetime

from chinwag.hub.events import Delivery, Reply, RoomMessage, ToMembers, ToRoom
from chinwag.irc.format import IrcFormatter
from chinwag.irc.labels import label_response
from chinwag.irc.message import parse
from tests.irc.conftest import HOST, IrcHarness, MemoryClient, World

CAPS = "CAP REQ :labeled-response batch"


def _tags(line: str) -> dict[str, str]:
    return dict(parse(line).tags)


def _labeled(world: World, nick: str, caps: str = "") -> MemoryClient:
    client = world.irc(nick)
    client.send(f"{CAPS} {caps}".strip())
    assert "ACK" in client.lines()[0]
    return client


def test_one_line_reply_carries_the_label(world: World) -> None:
    alice = _labeled(world, "alice")
    alice.send("@label=98765 PING adhoctestline")
    assert alice.lines() == ["@label=98765 :irc.test PONG irc.test :adhoctestline"]


def test_no_reply_is_an_ack(world: World) -> None:
    alice = _labeled(world, "alice")
    alice.send("@label=98765 PONG adhoctestline", "@label=a\\sb JOIN #c")
    alice.lines()
    bob = world.irc("bob")
    bob.send("JOIN #c")
    alice.lines()
    bob.lines()
    alice.send("@label=x1 PRIVMSG #c :hi")  # no echo-message: nothing comes back
    lines = alice.lines()
    assert lines == ["@label=x1 :irc.test ACK"]
    assert bob.lines() == [f":alice!user@{HOST} PRIVMSG #c :hi"]  # no label for others


def test_errors_are_labeled_too(world: World) -> None:
    alice = _labeled(world, "alice")
    alice.send("@label=deadbeef NONEXISTENT_COMMAND")
    (line,) = alice.lines()
    assert line.startswith("@label=deadbeef :irc.test 421 alice NONEXISTENT_COMMAND ")


def test_longer_reply_is_a_labeled_batch(world: World) -> None:
    alice = _labeled(world, "alice", "server-time")
    alice.send("@label=12345 JOIN #xyz")
    lines = alice.lines()
    start, *inside, end = lines
    match = re.fullmatch(r"@label=12345 :irc\.test BATCH \+([A-Za-z0-9-]+) labeled-response", start)
    assert match is not None
    reference = match.group(1)
    assert end == f":irc.test BATCH -{reference}"
    assert len(inside) >= 3  # JOIN, 353, 366
    assert all(_tags(line)["batch"] == reference for line in inside)
    assert parse(inside[0]).command == "JOIN"
    alice.send("@label=2 JOIN #abc")
    second = alice.lines()[0]
    assert f"BATCH +{reference} " not in second  # a new reference for each


def test_label_is_escaped_on_the_way_back(world: World) -> None:
    alice = _labeled(world, "alice")
    alice.send(r"@label=a\sb\:c PING x")
    (line,) = alice.lines()
    assert line.startswith(r"@label=a\sb\:c ")
    assert _tags(line)["label"] == "a b;c"


def test_echo_is_the_response_and_others_see_no_label(world: World) -> None:
    foo = _labeled(world, "foo", "echo-message")
    bar = _labeled(world, "bar", "echo-message")
    carl = world.irc("carl")
    foo.send("@label=12345 PRIVMSG bar :hi")
    assert foo.lines() == [f"@label=12345 :foo!user@{HOST} PRIVMSG bar :hi"]
    assert bar.lines() == [f":foo!user@{HOST} PRIVMSG bar :hi"]
    foo.send("@label=2 PRIVMSG bar,carl :hi")
    start, *echoes, end = foo.lines()
    assert start.endswith(" labeled-response") and end.startswith(":irc.test BATCH -")
    assert len(echoes) == 2
    assert carl.lines() == [f":foo!user@{HOST} PRIVMSG carl :hi"]


def test_a_message_to_oneself_labels_only_the_echo(world: World) -> None:
    foo = _labeled(world, "foo", "echo-message message-tags")
    foo.send("@label=12345 PRIVMSG foo :hi")
    lines = foo.lines()
    assert len(lines) == 2
    assert [("label" in _tags(line)) for line in lines].count(True) == 1
    assert all(parse(line).command == "PRIVMSG" for line in lines)
    foo.send("@label=7;+draft/react=x TAGMSG foo")
    lines = foo.lines()
    assert len(lines) == 2 and [_tags(line).get("label") for line in lines].count("7") == 1


def test_tagmsg_to_a_channel_labels_the_echo_only(world: World) -> None:
    foo = _labeled(world, "foo", "echo-message message-tags")
    bar = _labeled(world, "bar", "echo-message message-tags")
    foo.send("JOIN #test")
    bar.send("JOIN #test")
    foo.lines()
    bar.lines()
    foo.send("@label=12345;+draft/reply=123;+draft/react=l\U0001f603l TAGMSG #test")
    (echo,) = foo.lines()
    (relayed,) = bar.lines()
    assert _tags(echo)["label"] == "12345" and _tags(echo)["+draft/reply"] == "123"
    assert "label" not in _tags(relayed)
    assert _tags(relayed)["+draft/react"] == "l\U0001f603l"


def test_a_kick_goes_to_the_channel_and_its_copy_is_the_response(world: World) -> None:
    alice = _labeled(world, "alice")
    bob = world.irc("bob")
    carol = world.irc("carol")
    alice.send("JOIN #c")
    bob.send("JOIN #c")
    carol.send("JOIN #c")
    for client in (alice, bob, carol):
        client.lines()
    alice.send("@label=k KICK #c bob :out")
    assert alice.lines() == [f"@label=k :alice!user@{HOST} KICK #c bob :out"]
    assert bob.lines() == [f":alice!user@{HOST} KICK #c bob :out"]
    assert carol.lines() == [f":alice!user@{HOST} KICK #c bob :out"]


def test_without_batch_the_label_is_ignored(world: World) -> None:
    alice = world.irc("alice")
    alice.send("CAP REQ :labeled-response")
    alice.lines()
    alice.send("@label=1 PING x")
    assert alice.lines() == [":irc.test PONG irc.test :x"]


def test_label_response_keeps_what_goes_to_others() -> None:
    formatter = IrcFormatter("irc.test")
    said = RoomMessage(datetime(2026, 1, 1), "ann", "c", "hi", userhost="u@h")
    room = ToRoom("c", 1, ("me", "you", "them"))
    deliveries = [
        Delivery(said, room),  # reaches me and the others
        Delivery(said, room, "them"),  # someone else is left out already
        Delivery(Reply(("x",)), ToMembers(("you",))),  # not mine at all
    ]
    out = label_response(
        deliveries, me="me", formatter=formatter, label="L", reference="r1", server="s"
    )
    assert out[0] == Delivery(said, room, "me")
    assert out[1] == Delivery(said, ToMembers(("you",)))
    assert out[2] == deliveries[2]
    reply = out[3].event
    assert isinstance(reply, Reply) and out[3].audience == ToMembers(("me",))
    assert reply.lines[0] == "@label=L :s BATCH +r1 labeled-response"
    assert reply.lines[1:3] == ("@batch=r1 :ann!u@h PRIVMSG #c :hi",) * 2
    assert reply.lines[3] == ":s BATCH -r1"


def test_labeled_response_over_a_socket(irc_server: IrcHarness) -> None:
    alice = irc_server.irc("alice")
    alice.send(CAPS)
    alice.expect("ACK :labeled-response batch")
    alice.send("@label=w1 WHOIS alice")
    start = alice.expect(r"BATCH \+")
    assert start.startswith("@label=w1 ")
    reference = start.split(" ")[3][1:]
    alice.expect(rf"^@batch={reference} :irc\.test 318 ")
    alice.expect(rf"^:irc\.test BATCH -{reference}$")


def test_a_batch_in_the_response_is_nested() -> None:
    inner = Reply(
        (
            ":s BATCH +history1 chathistory #c",
            "@batch=history1;time=x :ann!u@h PRIVMSG #c :old",
            ":s BATCH -history1",
        )
    )
    (out,) = label_response(
        [Delivery(inner, ToMembers(("me",)))],
        me="me",
        formatter=IrcFormatter("s"),
        label="L",
        reference="r1",
        server="s",
    )
    assert isinstance(out.event, Reply)
    assert out.event.lines == (
        "@label=L :s BATCH +r1 labeled-response",
        "@batch=r1 :s BATCH +history1 chathistory #c",
        "@batch=history1;time=x :ann!u@h PRIVMSG #c :old",
        "@batch=r1 :s BATCH -history1",
        ":s BATCH -r1",
    )
