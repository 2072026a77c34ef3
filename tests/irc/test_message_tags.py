"""IRCv3 message-tags: client-only tags relayed with PRIVMSG and NOTICE, TAGMSG, and the
size limit on the tags a client sends. Clients that did not negotiate ``message-tags``
see no tags and no TAGMSG; text users see messages as before."""

from __future__ import annotations

from chinwag.irc.commands import isupport
from chinwag.irc.message import parse
from tests.irc.conftest import HOST, IrcHarness, MemoryClient, World


def _tags(line: str) -> dict[str, str]:
    return dict(parse(line).tags)


def _in_channel(world: World, *specs: tuple[str, str]) -> list[MemoryClient]:
    """IRC clients ``(nick, capabilities)`` in #c, their joins read."""
    clients = []
    for nick, caps in specs:
        client = world.irc(nick)
        if caps:
            client.send(f"CAP REQ :{caps}")
        client.send("JOIN #c")
        clients.append(client)
    for client in clients:
        client.lines()
    return clients


def _quiet(*clients: MemoryClient) -> None:
    """Each client got nothing before the answer to its PING (a round trip as barrier)."""
    for client in clients:
        client.send("PING barrier")
        assert client.numerics() == ["PONG"]


def test_client_tags_reach_only_message_tags_clients(world: World) -> None:
    alice, bob, carol, dave = _in_channel(
        world,
        ("alice", "message-tags"),
        ("bob", "message-tags echo-message"),
        ("carol", ""),
        ("dave", "server-time"),
    )
    text = world.text("tina")
    text.send("/join #c")
    text.lines()
    for client in (alice, bob, carol, dave):
        client.lines()
    alice.send("@+baz=bat;fizz=buzz;+draft/reply=x1 PRIVMSG #c :hi")
    (relayed,) = bob.lines()
    assert relayed.endswith(f" :alice!user@{HOST} PRIVMSG #c :hi")
    tags = _tags(relayed)
    assert tags["+baz"] == "bat" and tags["+draft/reply"] == "x1" and "msgid" in tags
    assert "fizz" not in tags  # not a client tag: never relayed
    assert carol.lines() == [f":alice!user@{HOST} PRIVMSG #c :hi"]
    (timed,) = dave.lines()
    assert set(_tags(timed)) == {"time"}
    assert [line.split(" ", 1)[1] for line in text.lines()] == ["alice: hi"]
    assert alice.lines() == []
    bob.send("@+bat=baz;+fizz=buzz NOTICE #c :hi yourself")
    (echo,) = bob.lines()
    (seen,) = alice.lines()
    assert echo == seen
    assert _tags(seen)["+bat"] == "baz" and _tags(seen)["+fizz"] == "buzz"
    assert carol.lines() == [f":bob!user@{HOST} NOTICE #c :hi yourself"]


def test_tagmsg_goes_only_to_message_tags_clients(world: World) -> None:
    alice, bob, carol, dave = _in_channel(
        world,
        ("alice", "message-tags"),
        ("bob", "message-tags echo-message"),
        ("carol", ""),
        ("dave", "server-time"),
    )
    text = world.text("tina")
    text.send("/join #c")
    text.lines()
    for client in (alice, bob, carol, dave):
        client.lines()
    bob.send(r"@+buzz=fizz\:buzz;cat=dog;+steel=wootz TAGMSG #c")
    (echo,) = bob.lines()
    (relayed,) = alice.lines()
    assert echo == relayed
    assert relayed.endswith(f" :bob!user@{HOST} TAGMSG #c")
    tags = _tags(relayed)
    assert tags["+buzz"] == "fizz;buzz" and tags["+steel"] == "wootz"
    assert r"+buzz=fizz\:buzz" in relayed  # escaped again on the way out
    assert "cat" not in tags and "msgid" in tags
    _quiet(carol, dave)
    text.send("/ping")  # text users see nothing of it
    assert all("TAGMSG" not in line and "buzz" not in line for line in text.lines())


def test_tagmsg_to_a_user_and_its_errors(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    carol = world.irc("carol")
    for client in (alice, bob):
        client.send("CAP REQ :message-tags")
        client.lines()
    alice.send("@+typing=active TAGMSG bob")
    (line,) = bob.lines()
    assert line.endswith(f" :alice!user@{HOST} TAGMSG bob")
    assert _tags(line)["+typing"] == "active"
    alice.send("@+typing=active TAGMSG carol")  # carol did not ask: nothing for her
    _quiet(carol)
    alice.send(
        "@+typing=active TAGMSG nobody",
        "@+typing=active TAGMSG #nochan",
        "@+typing=active TAGMSG",
        "TAGMSG bob",  # no client tags: nothing to deliver, and no error
        "@+typing=active TAGMSG #c",  # exists? no: 403
    )
    assert alice.numerics() == ["401", "403", "411", "403"]
    _quiet(bob)
    bob.send("JOIN #c", "MODE #c +n")
    bob.lines()
    alice.send("@+typing=active TAGMSG #c")  # +n, and alice is outside
    assert alice.numerics() == ["404"]
    bob.send("MODE #c +m")
    alice.send("JOIN #c")
    bob.lines()
    alice.lines()
    alice.send("@+typing=active TAGMSG #c")  # moderated
    assert alice.numerics() == ["404"]


def test_client_tags_need_message_tags_from_the_sender(world: World) -> None:
    alice, bob = _in_channel(world, ("alice", ""), ("bob", "message-tags"))
    alice.send("@+baz=bat PRIVMSG #c :hi", "@+baz=bat TAGMSG #c")
    (line,) = bob.lines()
    assert "+baz" not in _tags(line)
    assert alice.lines() == []


def test_repeated_tag_keeps_the_last_value_and_values_are_cleaned(world: World) -> None:
    alice, bob = _in_channel(world, ("alice", "message-tags"), ("bob", "message-tags"))
    alice.send("@+r=one;+r=two;+e=a\x1b[2Jb;+empty= PRIVMSG #c :hi")
    (line,) = bob.lines()
    tags = _tags(line)
    assert tags["+r"] == "two"
    assert tags["+e"] == "ab"  # no escape sequence reaches anyone
    assert tags["+empty"] == ""
    assert "+empty;" in line or line.split(" ", 1)[0].endswith("+empty")


def test_statusmsg_tagmsg_reaches_the_operators_only(world: World) -> None:
    alice, bob, carol = _in_channel(
        world,
        ("alice", "message-tags"),  # made #c: its operator
        ("bob", "message-tags"),
        ("carol", "message-tags"),
    )
    carol.send("@+typing=active TAGMSG @#c")
    (line,) = alice.lines()
    assert line.endswith(f" :carol!user@{HOST} TAGMSG @#c")
    _quiet(bob)


def test_tags_of_4094_bytes_pass_and_one_more_is_417(world: World) -> None:
    alice, bob = _in_channel(world, ("alice", "message-tags echo-message"), ("bob", "message-tags"))
    largest = f"@foo=bar;+baz={'a' * 4081} TAGMSG #c"
    assert largest.index("TAGMSG") == 4096  # "@", 4094 bytes of tags, " "
    alice.send(largest)
    (echo,) = alice.lines()
    (relayed,) = bob.lines()
    assert _tags(echo)["+baz"] == _tags(relayed)["+baz"] == "a" * 4081
    alice.send(f"@foo=bar;+baz={'a' * 4082} TAGMSG #c")
    assert alice.numerics() == ["417"]
    alice.send(f"@foo=bar;+baz={'a' * 4082} PRIVMSG #c {'b' * 495}")
    assert alice.numerics() == ["417"]
    _quiet(bob)


def test_unknown_command_of_any_word_gets_421(world: World) -> None:
    alice = world.irc("alice")
    alice.send("NONEXISTENT_COMMAND x")
    assert alice.lines() == [":irc.test 421 alice NONEXISTENT_COMMAND :Unknown command"]


def test_targmax_counts_tagmsg() -> None:
    assert any("TAGMSG:4" in token for token in isupport(50) if token.startswith("TARGMAX"))


def test_client_tags_over_a_socket(irc_server: IrcHarness) -> None:
    alice = irc_server.irc("alice")
    bob = irc_server.irc("bob")
    for client in (alice, bob):
        client.send("CAP REQ :message-tags", "JOIN #c")
        client.expect(r"ACK :message-tags")
        client.expect(r" 366 ")
    alice.expect(r"^:bob!\S+ JOIN #c$")
    alice.send("@+draft/react=\U0001f600;+draft/reply=abc TAGMSG #c")
    line = bob.expect(r" TAGMSG #c$")
    assert _tags(line)["+draft/react"] == "\U0001f600"
    assert _tags(line)["+draft/reply"] == "abc"


def test_messages_from_a_bot_carry_the_bot_tag(world: World) -> None:
    robot, alice, carol = _in_channel(
        world, ("robot", ""), ("alice", "message-tags"), ("carol", "")
    )
    robot.send("MODE robot +B", "PRIVMSG #c :beep", "PRIVMSG alice :boop")
    robot.lines()
    channel, private = alice.lines()
    assert "bot" in _tags(channel) and _tags(channel)["bot"] == ""
    assert "bot" in _tags(private)
    assert carol.lines() == [f":robot!user@{HOST} PRIVMSG #c :beep"]
    carol.send("PRIVMSG #c :human")
    (line,) = alice.lines()
    assert "bot" not in _tags(line)


def test_a_message_with_a_malformed_tag_name_is_relayed_without_that_tag(world: World) -> None:
    # A tag name holding an escape sequence made the message itself fail (400, and a
    # traceback in the log): the message must go through, only the bad tag left out.
    alice, bob = _in_channel(world, ("alice", "message-tags"), ("bob", "message-tags"))
    alice.send("@+a\x1b[2J=1;+é=2;+a/b/c=3;+=4;+ok=5;+example.com/ok-2=6 PRIVMSG #c :hi")
    assert alice.lines() == []
    (relayed,) = bob.lines()
    assert relayed.endswith(" PRIVMSG #c :hi")
    assert {name for name in _tags(relayed) if name.startswith("+")} == {
        "+ok",
        "+example.com/ok-2",
    }
    alice.send("@+\x07beep=1 TAGMSG #c")  # nothing valid left to relay: goes nowhere
    _quiet(alice, bob)
