"""Each IRC command's replies and numerics, driving sessions with bytes (no sockets)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from chinwag.config import Config
from chinwag.hub.hub import Hub
from chinwag.password_guard import CheckPool, PasswordGuard, Penalties
from chinwag.passwords import hash_password
from chinwag.server.dispatch import deliver
from tests.irc.conftest import HOST, UNIT_CONFIG, World
from tests.support import wait_for


def test_registration_burst(world: World) -> None:
    client = world.irc()
    client.send("CAP LS 302", "NICK alice", "USER al 0 * :Alice Liddell")
    # CAP holds registration
    assert client.lines() == [
        ":irc.test CAP * LS :away-notify batch cap-notify draft/chathistory echo-message"
        " extended-join invite-notify labeled-response message-tags multi-prefix server-time"
        " setname userhost-in-names"
    ]
    client.send("CAP REQ :server-time", "CAP END")
    lines = client.lines()
    verbs = [line.split(" ")[2] if line.startswith("@") else line.split(" ")[1] for line in lines]
    assert verbs[:2] == ["CAP", "001"]
    assert verbs[1:9] == ["001", "002", "003", "004", "005", "005", "251", "252"]
    assert verbs[9:14] == ["253", "254", "255", "265", "266"]
    # No MOTD configured: a short default that says how to start, not 422.
    assert verbs[-3:] == ["372", "372", "376"]
    assert any(" 372 alice :- Type /join #lobby" in line for line in lines)
    assert f":irc.test 001 alice :Welcome to the chinwag IRC network, alice!al@{HOST}" in lines
    isupport = " ".join(line for line in lines if " 005 " in line)
    for token in (
        "CASEMAPPING=rfc7613",
        "CHANTYPES=#",
        "NICKLEN=32",
        "CHANNELLEN=33",
        "PREFIX=(ov)@+",
        "CHANMODES=b,k,l,imnst",
    ):
        assert token in isupport
    assert "server-time" in client.session.capabilities


def test_motd_when_configured() -> None:
    world = World(Config(host="127.0.0.1", port=0, console=False, motd="line one\\nline two"))
    client = world.irc()
    client.send("NICK a", "USER a 0 * :A")
    assert client.numerics()[-4:] == ["375", "372", "372", "376"]
    client.send("MOTD")
    assert client.numerics() == ["375", "372", "372", "376"]


def test_commands_before_registration_get_451(world: World) -> None:
    client = world.irc()
    client.send("JOIN #lobby", "PRIVMSG x :y")
    assert client.numerics() == ["451", "451"]
    client.send("PING :abc")
    assert client.lines() == [":irc.test PONG irc.test :abc"]


def test_user_and_nick_errors(world: World) -> None:
    client = world.irc()
    client.send("USER x", "NICK", "NICK bad!nick", "NICK server", "NICK Client-99")
    assert client.numerics() == ["461", "431", "432", "432", "432"]
    world.irc("alice")
    client.send("NICK ALICE")
    assert client.numerics() == ["433"]
    client.send("NICK bob", "USER b 0 * :B")
    assert "001" in client.numerics()
    client.send("USER again 0 * :x", "PASS late")
    assert client.numerics() == ["462", "462"]


def test_server_password() -> None:
    config = Config(host="127.0.0.1", port=0, console=False, password="sesame")
    now = [100.0]
    world = World(config, Hub(passwords=PasswordGuard(penalties=Penalties(clock=lambda: now[0]))))
    wrong = world.irc()
    wrong.send("PASS nope", "NICK a", "USER a 0 * :A")
    assert wrong.numerics() == ["464", "ERROR"]
    assert wrong.closed
    # Its address must wait a second: anything sooner is refused unchecked.
    hasty = world.irc()
    hasty.send("PASS sesame", "NICK a", "USER a 0 * :A")
    assert hasty.numerics() == ["263", "ERROR"]
    assert hasty.closed
    now[0] += 1.0
    right = world.irc()
    right.send("PASS sesame", "NICK a", "USER a 0 * :A")
    assert "001" in right.numerics()


def test_timed_work_skips_a_session_waiting_for_a_password_check() -> None:
    config = Config(host="127.0.0.1", port=0, console=False, password="sesame")
    pool = CheckPool(concurrency=1, queue_seconds=30)
    world = World(config, Hub(passwords=PasswordGuard(pool)))
    go = threading.Event()
    hog = threading.Thread(target=pool.run, args=(lambda: go.wait(10),))
    hog.start()
    waiting = world.irc()
    reader = threading.Thread(target=waiting.send, args=("PASS sesame", "NICK a", "USER a 0 * :A"))
    reader.start()
    wait_for(lambda: pool.waiting == 1, what="the check queued")
    started = time.monotonic()
    waiting.tick(time.monotonic() + config.irc_registration_seconds + 1)  # not waited for
    assert time.monotonic() - started < 1.0
    go.set()
    reader.join(10)
    hog.join(10)
    assert "001" in waiting.numerics()
    pool.close()


def test_server_password_hash() -> None:
    config = Config(host="127.0.0.1", port=0, console=False, password_hash=hash_password("pw"))
    client = World(config).irc()
    client.send("PASS pw", "NICK a", "USER a 0 * :A")
    assert "001" in client.numerics()


def test_nick_change_is_seen_by_both_protocols_and_collisions_ignore_case(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    alice.send("JOIN #lobby")
    alice.lines()
    bob.lines()
    alice.send("NICK Alicia")
    assert alice.lines() == [f":alice!user@{HOST} NICK Alicia"]
    assert bob.lines() == ["* alice is now known as Alicia"]
    alice.send("NICK BOB")
    assert alice.lines() == [":irc.test 433 Alicia BOB :Nickname is already in use"]
    alice.send("NICK ALICIA")  # only the case changes: allowed
    assert alice.lines() == [f":Alicia!user@{HOST} NICK ALICIA"]


def test_join_names_topic_and_talk_with_a_text_user(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    alice.send("JOIN #lobby")
    assert alice.lines() == [
        f":alice!user@{HOST} JOIN #lobby",
        ":irc.test 353 alice = #lobby :bob alice",
        ":irc.test 366 alice #lobby :End of /NAMES list",
    ]
    assert bob.lines() == ["* alice joined lobby"]
    alice.send("PRIVMSG #lobby :hello bob", "PRIVMSG #LOBBY :\x01ACTION waves\x01")
    assert [line[11:] for line in bob.lines()] == ["alice: hello bob", "* alice waves"]
    bob.send("hi alice")
    assert alice.lines() == [f":bob!Client-2@{HOST} PRIVMSG #lobby :hi alice"]
    bob.send("/me smiles")
    assert alice.lines() == [f":bob!Client-2@{HOST} PRIVMSG #lobby :\x01ACTION smiles\x01"]
    alice.send("TOPIC #lobby :all welcome")
    assert alice.numerics() == ["TOPIC"]
    assert bob.lines() == ["* alice set the topic of lobby: all welcome"]
    alice.send("TOPIC #lobby")
    assert alice.numerics() == ["332", "333"]


def test_join_several_and_zero(world: World) -> None:
    alice = world.irc("alice")
    alice.send("JOIN #a,#b,nohash,#bad!name")
    assert alice.numerics() == ["JOIN", "353", "366", "JOIN", "353", "366", "403", "403"]
    alice.send("JOIN #a")  # already there: ignored
    assert alice.numerics() == []
    alice.send("JOIN 0")
    assert alice.numerics() == ["PART", "PART"]
    assert alice.member.rooms == {}


def test_part_errors(world: World) -> None:
    alice = world.irc("alice")
    alice.send("PART #nowhere", "PART #lobby", "PART")
    assert alice.numerics() == ["403", "442", "461"]


def test_private_messages_across_protocols(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    alice.send("PRIVMSG bob :psst")
    assert bob.lines()[0].endswith("*alice* psst")
    bob.send("/msg alice hello back")
    assert alice.lines() == [f":bob!Client-2@{HOST} PRIVMSG alice :hello back"]
    alice.send("NOTICE bob :fyi")
    assert bob.lines()[0].endswith("-alice- fyi")
    alice.send("PRIVMSG nobody :x", "PRIVMSG", "PRIVMSG bob", "PRIVMSG #nowhere :x")
    assert alice.numerics() == ["401", "411", "412", "403"]
    alice.send("NOTICE nobody :x")  # notices never cause error replies
    assert alice.numerics() == []


def test_away(world: World) -> None:
    alice = world.irc("alice")
    carol = world.irc("carol")
    carol.send("AWAY :lunch")
    assert carol.numerics() == ["306"]
    alice.send("PRIVMSG carol :are you there")
    assert alice.lines() == [":irc.test 301 alice carol :lunch"]
    carol.send("AWAY")
    assert carol.numerics() == ["PRIVMSG", "305"]


def test_unknown_command_and_too_long_line(world: World) -> None:
    alice = world.irc("alice")
    alice.send("FROBNICATE x")
    assert alice.lines() == [":irc.test 421 alice FROBNICATE :Unknown command"]
    alice.send("PRIVMSG #lobby :" + "x" * 600)
    assert alice.numerics() == ["417"]


def test_whois_who_ison_userhost(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    alice.send("WHOIS BOB")
    assert alice.numerics() == ["311", "319", "312", "317", "318"]
    alice.send("WHOIS ghost")
    assert alice.numerics() == ["401", "318"]
    alice.send("WHO #lobby")
    lines = alice.lines()
    assert lines[0].startswith(f":irc.test 352 alice #lobby Client-2 {HOST} irc.test bob H")
    assert lines[-1] == ":irc.test 315 alice #lobby :End of /WHO list"
    alice.send("ISON bob ghost ALICE", "USERHOST bob")
    assert alice.lines() == [
        ":irc.test 303 alice :bob alice",
        f":irc.test 302 alice :bob=+Client-2@{HOST}",
    ]
    assert bob.lines() == []


def test_list_hides_secret_channels(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #open,#hidden", "MODE #hidden +s", "TOPIC #open :come in")
    alice.lines()
    bob.send("LIST")
    lines = bob.lines()
    # The lobby has no members (IRC users join no channel on connect), so is not listed.
    assert [line.split(" ")[3] for line in lines if " 322 " in line] == ["#open"]
    assert any(line.endswith(":[+nt] come in") for line in lines)


def test_channel_modes_and_refusals(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob", user="bobby")
    alice.send("JOIN #club")
    alice.lines()
    bob.send("MODE #club +k x")
    assert bob.numerics() == ["482"]
    alice.send("MODE #club +kl sesame 1")
    assert alice.lines() == [f":alice!user@{HOST} MODE #club +kl sesame 1"]
    bob.send("JOIN #club", "JOIN #club sesame")
    assert bob.numerics() == ["475", "471"]
    alice.send("MODE #club -l")
    bob.send("JOIN #club wrong")
    assert bob.numerics() == ["475"]
    alice.send("MODE #club -k *", "MODE #club +b *!bobby@*")
    assert alice.numerics() == ["MODE", "MODE", "MODE"]
    bob.send("JOIN #club")
    assert bob.numerics() == ["474"]
    alice.send("MODE #club b")
    assert alice.numerics() == ["367", "368"]
    alice.send("MODE #club -b *!bobby@* ", "MODE #club +i")
    alice.lines()
    bob.send("JOIN #club")
    assert bob.numerics() == ["473"]
    alice.send("INVITE bob #club")
    assert alice.numerics() == ["341"]
    assert bob.lines() == [f":alice!user@{HOST} INVITE bob #club"]
    bob.send("JOIN #club")
    assert bob.numerics()[0] == "JOIN"
    alice.lines()
    alice.send("MODE #club")
    assert alice.lines()[0] == ":irc.test 324 alice #club +int"
    alice.send("MODE #club +z", "MODE #club +o", "MODE #club +o ghost", "MODE #nowhere +m")
    assert alice.numerics() == ["472", "461", "401", "403"]


def test_key_is_checked_before_the_limit(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #club", "MODE #club +k sesame")
    bob.send("JOIN #club")
    assert bob.numerics() == ["475"]


def test_moderated_channel_and_voice(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #club")
    bob.send("JOIN #club")
    alice.send("MODE #club +m")
    alice.lines()
    bob.lines()
    bob.send("PRIVMSG #club :hello?")
    assert bob.numerics() == ["404"]
    alice.send("MODE #club +v bob")
    assert alice.lines() == [f":alice!user@{HOST} MODE #club +v bob"]
    bob.lines()
    bob.send("PRIVMSG #club :thanks")
    assert alice.lines() == [f":bob!user@{HOST} PRIVMSG #club :thanks"]


def test_no_external_messages(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #club")
    alice.lines()
    bob.send("PRIVMSG #club :from outside")
    assert bob.numerics() == ["404"]
    alice.send("MODE #club -n")
    alice.lines()
    bob.send("PRIVMSG #club :from outside")
    assert alice.lines() == [f":bob!user@{HOST} PRIVMSG #club :from outside"]


def test_kick_by_a_channel_operator(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    carol = world.text("carol")
    alice.send("JOIN #club")
    bob.send("JOIN #club")
    carol.send("/join club")
    for client in (alice, bob, carol):
        client.lines()
    bob.send("KICK #club alice")
    assert bob.numerics() == ["482"]
    alice.send("KICK #club bob :behave")
    expected = f":alice!user@{HOST} KICK #club bob :behave"
    assert alice.lines() == [expected]
    assert bob.lines() == [expected]
    assert carol.lines() == ["* alice put bob out of club (behave)"]
    assert "#club" not in [f"#{room}" for room in bob.member.rooms.values()]
    alice.send("KICK #club bob", "KICK #club ghost", "KICK #nowhere bob")
    assert alice.numerics() == ["441", "401", "403"]
    bob.send("KICK #club alice")
    assert bob.numerics() == ["442"]


def test_text_user_kicked_from_a_room_goes_back_to_the_lobby(world: World) -> None:
    alice = world.irc("alice")
    carol = world.text("carol")
    alice.send("JOIN #club")
    carol.send("/join club")
    alice.send("KICK #club carol")
    carol.lines()
    carol.send("hello?")
    assert carol.member.rooms == {"lobby": "lobby"}


def test_user_modes(world: World) -> None:
    alice = world.irc("alice")
    alice.send("MODE alice +i", "MODE alice", "MODE bob +i", "MODE alice +x")
    assert alice.lines() == [
        f":alice!user@{HOST} MODE alice +i",
        ":irc.test 221 alice +i",
        ":irc.test 401 alice bob :No such nick/channel",
        ":irc.test 501 alice :Unknown MODE flag",
    ]
    world.irc("bob").send("MODE alice -i")
    assert alice.member.invisible


def test_oper_and_kill() -> None:
    config = Config(
        host="127.0.0.1", port=0, console=False, oper_password_hash=hash_password("root")
    )
    now = [100.0]
    guard = PasswordGuard(penalties=Penalties(clock=lambda: now[0]))
    world = World(config, Hub(oper_password_hash=config.oper_password_hash, passwords=guard))
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("KILL bob :spam")
    assert alice.numerics() == ["481"]
    alice.send("OPER alice wrong")
    assert alice.numerics() == ["464"]
    alice.send("OPER alice root")  # too soon after the wrong one
    assert alice.numerics() == ["263"]
    now[0] += 1.0
    alice.send("OPER alice root")
    assert alice.numerics() == ["381", "MODE"]
    alice.send("KILL bob :spam")
    assert bob.lines() == ["ERROR :Closing link: kicked by alice: spam"]
    assert bob.closed


def test_no_operators_configured(world: World) -> None:
    alice = world.irc("alice")
    alice.send("OPER alice x")
    assert alice.numerics() == ["491"]


def test_version_time_lusers(world: World) -> None:
    alice = world.irc("alice")
    alice.send("VERSION", "TIME", "LUSERS")
    assert alice.numerics() == ["351", "391", "251", "252", "253", "254", "255", "265", "266"]


def test_quit_tells_the_others(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    alice.send("JOIN #lobby")
    alice.lines()
    bob.lines()
    alice.send("QUIT :see you")
    assert alice.lines() == ["ERROR :Closing link: Quit: see you"]
    assert bob.lines() == ["* alice left the chat (Quit: see you)"]


def test_ping_pong_and_timeouts(world: World) -> None:
    config = UNIT_CONFIG
    alice = world.irc("alice")
    start = time.monotonic()
    alice.tick(start + config.irc_ping_seconds - 1)
    assert alice.lines() == []
    alice.tick(start + config.irc_ping_seconds + 1)
    assert alice.lines() == ["PING :irc.test"]
    alice.send("PONG irc.test")
    alice.tick(time.monotonic() + config.irc_ping_timeout_seconds + 1)
    assert alice.lines() == []  # answered: not dropped
    later = time.monotonic() + config.irc_ping_seconds + 1
    alice.tick(later)
    assert alice.lines() == ["PING :irc.test"]
    # Half a second past the timeout: exactly at it, float rounding of (later + T) - later
    # can land a hair short of T.
    alice.tick(later + config.irc_ping_timeout_seconds + 0.5)
    assert alice.lines()[0].startswith("ERROR :Closing link: Ping timeout")
    assert alice.closed.startswith("Ping timeout")


def test_registration_timeout(world: World) -> None:
    slow = world.irc()
    slow.send("NICK slow")
    slow.tick(time.monotonic() + UNIT_CONFIG.irc_registration_seconds + 1)
    assert slow.lines() == ["ERROR :Closing link: Registration timed out"]


@pytest.mark.parametrize("verb", ["JOIN", "PART", "KICK", "MODE", "TOPIC", "INVITE", "WHOIS"])
def test_missing_parameters_get_461(world: World, verb: str) -> None:
    alice = world.irc("alice")
    alice.send(verb)
    assert alice.numerics() == ["461"]


def test_text_users_have_topic_away_invite_and_mode(world: World) -> None:
    alice = world.irc("alice")
    bob = world.text("bob")
    bob.send("/join den", "/mode +i", "/topic cosy")
    assert bob.lines()[-2:] == ["* bob set mode +i on den", "* bob set the topic of den: cosy"]
    alice.send("JOIN #den")
    assert alice.numerics() == ["473"]
    bob.send("/invite alice", "/away brb")
    assert alice.lines() == [f":bob!Client-2@{HOST} INVITE alice #den"]
    alice.send("JOIN #den", "WHOIS bob")
    assert "332" in alice.numerics()
    assert bob.member.away == "brb"


def test_an_invitation_does_not_let_past_a_channel_key(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    cat = world.text("cat")
    alice.send("JOIN #den", "MODE #den +ik sesame", "INVITE bob #den", "INVITE cat #den")
    alice.lines()
    bob.send("JOIN #den")
    assert bob.numerics()[-1] == "475"
    bob.send("JOIN #den sesame")
    assert bob.numerics()[0] == "JOIN"
    cat.lines()
    cat.send("/join den")
    assert cat.lines()[-1].endswith("den needs the right key")
    cat.send("/join den sesame")
    assert cat.lines()[-1].startswith("* you are now in den")


def test_chanlimit_is_advertised_and_enforced() -> None:
    config = replace(UNIT_CONFIG, max_rooms_per_member=3, max_rooms=4)
    world = World(config, Hub(max_rooms_per_member=3, max_rooms=4))
    alice = world.irc()
    alice.send("NICK alice", "USER a 0 * :A")
    isupport = " ".join(line for line in alice.lines() if " 005 " in line)
    assert "CHANLIMIT=#:3" in isupport
    alice.send("JOIN #a,#b,#c,#d")
    assert [n for n in alice.numerics() if n not in {"JOIN", "353", "366"}] == ["405"]
    bob = world.irc("bob")
    bob.send("JOIN #e")  # the lobby, #a, #b and #c are all the rooms there may be
    assert bob.lines() == [":irc.test 437 bob #e :Cannot create channel: the server has too many"]


def test_chanlimit_default_is_fifty(world: World) -> None:
    alice = world.irc()
    alice.send("NICK alice", "USER a 0 * :A")
    assert "CHANLIMIT=#:50" in " ".join(line for line in alice.lines() if " 005 " in line)


def test_who_with_a_pathological_mask_answers_at_once(world: World) -> None:
    for n in range(300):
        world.irc(f"{'a' * 28}{n:03d}")
    asker = world.irc("asker")
    started = time.perf_counter()
    asker.send("WHO " + "*a" * 16 + "*b", "WHO " + "*a" * 100 + "*")
    assert time.perf_counter() - started < 1.0
    assert asker.numerics() == ["315"] * 2  # matches nobody: the second is too long


def test_quit_leaves_the_hub_before_its_farewell_closes_the_connection(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #a")
    bob.send("JOIN #a")
    deliveries = alice.session.receive(b"QUIT :bye\r\n")
    # Whoever sees the connection close must find the nick free: it is, already.
    assert world.hub.find("alice") is None
    assert [type(d.event).__name__ for d in deliveries] == ["Quit", "Farewell"]
    deliver(deliveries, alice.endpoint.router)
    assert alice.closed
    assert bob.lines()[-1] == f":alice!user@{HOST} QUIT :Quit: bye"
