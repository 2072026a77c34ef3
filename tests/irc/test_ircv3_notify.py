"""IRCv3 capabilities that carry hub events: away-notify, extended-join, setname and
invite-notify. Each is shown only to clients that asked for it; text users see nothing
new, and clients that did not ask see what they saw before."""

from __future__ import annotations

from chinwag.irc.commands import isupport
from chinwag.irc.session import IrcSession
from tests.irc.conftest import HOST, IrcHarness, MemoryClient, World


def _in_channel(world: World, *nicks: str, caps: str = "") -> list[MemoryClient]:
    clients = [world.irc(nick) for nick in nicks]
    for client in clients:
        if caps:
            client.send(f"CAP REQ :{caps}")
        client.send("JOIN #c")
    for client in clients:
        client.lines()
    return clients


def test_away_notify_reaches_only_co_members_who_asked(world: World) -> None:
    alice, bob, carol = _in_channel(world, "alice", "bob", "carol")
    bob.send("CAP REQ :away-notify")
    bob.lines()
    stranger = world.irc("dave")
    stranger.send("CAP REQ :away-notify")
    stranger.lines()
    text = world.text("tina")
    text.send("/join #c")
    text.lines()
    for client in (alice, bob, carol):
        client.lines()
    alice.send("AWAY :gone fishing")
    assert alice.numerics() == ["306"]
    assert bob.lines() == [f":alice!user@{HOST} AWAY :gone fishing"]
    assert carol.lines() == []  # did not ask
    assert stranger.lines() == []  # shares no channel
    assert text.lines() == []  # text users are not shown away changes
    alice.send("AWAY :gone fishing")  # no change: nobody is told again
    bob.send("PING x")
    assert bob.numerics() == ["PONG"]
    alice.send("AWAY")
    assert bob.lines() == [f":alice!user@{HOST} AWAY"]
    carol.send("AWAY :brb", "PART #c", "JOIN #c")  # an away joiner: the state follows
    assert bob.lines()[-2:] == [f":carol!user@{HOST} JOIN #c", f":carol!user@{HOST} AWAY :brb"]


def test_extended_join_shows_account_and_realname(world: World) -> None:
    alice, bob = _in_channel(world, "alice", "bob")
    alice.send("CAP REQ :extended-join")
    alice.lines()
    carol = world.irc("carol")
    carol.send("JOIN #c")
    assert alice.lines() == [f":carol!user@{HOST} JOIN #c * :carol Real"]
    assert bob.lines() == [f":carol!user@{HOST} JOIN #c"]


def test_setname_changes_the_realname_for_whois_and_tells_who_asked(world: World) -> None:
    alice, bob, carol = _in_channel(world, "alice", "bob", "carol")
    alice.send("CAP REQ :setname")
    bob.send("CAP REQ :setname")
    alice.lines()
    bob.lines()
    alice.send("SETNAME :Alice\x07 Liddell ")
    assert alice.lines() == [f":alice!user@{HOST} SETNAME :Alice Liddell"]
    assert bob.lines() == [f":alice!user@{HOST} SETNAME :Alice Liddell"]
    assert carol.lines() == []
    carol.send("WHOIS alice")
    assert any(" 311 " in line and line.endswith(":Alice Liddell") for line in carol.lines())


def test_setname_refuses_an_empty_or_long_realname(world: World) -> None:
    alice = world.irc("alice")
    alice.send("SETNAME :   ", "SETNAME :" + "x" * 101, "SETNAME")
    lines = alice.lines()
    assert lines[:2] == [":irc.test FAIL SETNAME INVALID_REALNAME :Realname is not valid"] * 2
    assert " 461 " in lines[2]
    alice.send("WHOIS alice")
    assert any(line.endswith(":alice Real") for line in alice.lines() if " 311 " in line)


def test_invite_notify_tells_the_channels_operators_who_asked(world: World) -> None:
    alice, bob, carol = _in_channel(world, "alice", "bob", "carol")  # alice made #c
    alice.send("MODE #c +o bob")
    bob.send("CAP REQ :invite-notify")
    carol.send("CAP REQ :invite-notify")  # not an operator: not told
    for client in (alice, bob, carol):
        client.lines()
    dave = world.irc("dave")
    alice.send("INVITE dave #c")
    assert alice.numerics() == ["341"]
    assert bob.lines() == [f":alice!user@{HOST} INVITE dave #c"]
    assert carol.lines() == []
    assert dave.lines() == [f":alice!user@{HOST} INVITE dave #c"]  # as before
    bob.send("CAP REQ :-invite-notify")
    bob.lines()
    world.irc("erin")
    alice.send("INVITE erin #c")
    assert bob.lines() == []


def test_text_operators_see_no_invite_notices(world: World) -> None:
    alice = world.irc("alice")
    alice.send("JOIN #c")
    text = world.text("tina")
    text.send("/join #c")
    alice.send("MODE #c +o tina")
    text.lines()
    world.irc("dave")
    alice.send("INVITE dave #c")
    assert text.lines() == []


def test_away_notify_and_extended_join_over_a_socket(irc_server: IrcHarness) -> None:
    alice = irc_server.irc("alice")
    alice.send("CAP REQ :away-notify extended-join setname", "JOIN #c")
    alice.expect(r"ACK :away-notify extended-join setname")
    alice.expect(r" JOIN #c \* :alice$")
    bob = irc_server.irc("bob")
    bob.send("JOIN #c")
    alice.expect(r"^:bob!\S+ JOIN #c \* :bob$")
    bob.send("AWAY :lunch", "SETNAME :Bob Builder", "AWAY")
    alice.expect(r"^:bob!\S+ AWAY :lunch$")
    alice.expect(r"^:bob!\S+ SETNAME :Bob Builder$")
    alice.expect(r"^:bob!\S+ AWAY$")


def test_statusmsg_reaches_only_operators_or_voiced(world: World) -> None:
    alice, bob, carol = _in_channel(world, "alice", "bob", "carol")  # alice made #c
    alice.send("MODE #c +v bob")
    text = world.text("tina")
    text.send("/join #c")
    alice.send("MODE #c +o tina")
    for client in (alice, bob, carol, text):
        client.lines()
    carol.send("PRIVMSG @#c :ops only", "NOTICE +#c :voiced too")
    assert alice.lines() == [
        f":carol!user@{HOST} PRIVMSG @#c :ops only",
        f":carol!user@{HOST} NOTICE +#c :voiced too",
    ]
    assert bob.lines() == [f":carol!user@{HOST} NOTICE +#c :voiced too"]
    assert carol.lines() == []
    assert [line.split(" ", 1)[1] for line in text.lines()] == [
        "carol (to operators): ops only",
        "-carol (to voiced users)- voiced too",
    ]
    world.irc("dave").send("PRIVMSG @#c :not in it")  # +n: refused as for #c


def test_statusmsg_is_advertised() -> None:
    assert any("STATUSMSG=@+" in line for line in isupport(50))


def test_bot_mode_shows_in_who_and_whois(world: World) -> None:
    robot = world.irc("robot")
    robot.send("MODE robot +B", "MODE robot", "JOIN #c")
    lines = robot.lines()
    assert lines[:2] == [f":robot!user@{HOST} MODE robot +B", ":irc.test 221 robot +B"]
    alice = world.irc("alice")
    alice.send("WHOIS robot", "WHO #c")
    lines = alice.lines()
    assert ":irc.test 335 alice robot :is a bot" in lines
    assert any(" 352 " in line and " H@B :" in line for line in lines)
    robot.send("MODE robot -B")
    robot.lines()
    alice.send("WHOIS robot")
    assert not any(" 335 " in line for line in alice.lines())
    assert any("BOT=B" in line for line in isupport(50))


def test_one_formatter_serves_every_rendering_capability_together(world: World) -> None:
    alice, bob = _in_channel(world, "alice", "bob", caps="extended-join message-tags")
    carol = world.irc("carol")
    carol.send("JOIN #c", "PRIVMSG #c :hello")
    joined, said = alice.lines()
    assert joined == f":carol!user@{HOST} JOIN #c * :carol Real"
    assert said.startswith("@msgid=")
    assert said.endswith(f" :carol!user@{HOST} PRIVMSG #c :hello")
    assert isinstance(alice.session, IrcSession) and isinstance(bob.session, IrcSession)
    shared = alice.session.formatter
    assert shared is bob.session.formatter  # one formatter per set of capabilities
    assert shared is world.server.formatter_for({"message-tags", "extended-join"})
    assert shared.tag_msgid and not shared.batch and not shared.tag_time
    assert world.server.formatter_for({"cap-notify"}) is world.server.plain  # no rendering
    alice.send("CAP REQ :-message-tags")
    alice.lines()
    assert alice.session.formatter is world.server.formatter_for({"extended-join"})
