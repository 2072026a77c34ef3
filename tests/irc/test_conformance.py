"""IRC conformance: registration corners, capabilities (CAP 302), listings and the
informational commands, each against what the Modern IRC documents and IRCv3 say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chinwag.history import ids
from chinwag.hub.events import RoomMessage
from chinwag.irc.commands import isupport
from chinwag.irc.format import IrcFormatter
from chinwag.irc.limits import MAX_LIST_MASKS
from chinwag.server.dispatch import deliver
from tests.irc.conftest import HOST, World


def test_user_with_an_empty_real_name_gets_461_and_may_try_again(world: World) -> None:
    client = world.irc()
    client.send("NICK u", "USER u * * :")
    assert client.numerics() == ["461"]
    client.send("USER u * * :\x02\x0f")  # formatting only: cleaned to nothing
    assert "001" in client.numerics()
    client.send("WHOIS u")
    assert ":irc.test 311 u u u 127.0.0.1 * :u" in client.lines()  # the nick stands in


def test_user_with_too_few_parameters_gets_461(world: World) -> None:
    client = world.irc()
    client.send("NICK u", "USER u * *")
    assert client.numerics() == ["461"]


def test_nicknames_with_irc_symbols(world: World) -> None:
    client = world.irc()
    client.send("NICK [a]{b}\\|^`", "USER u 0 * :U")
    assert "001" in client.numerics()
    client.send("NICK 1abc", "NICK -abc", "NICK {b}")
    assert client.numerics() == ["432", "432", "NICK"]
    text = world.text("t[x]")
    assert text.member.nick == "t[x]"


def test_a_bar_for_an_l_is_taken(world: World) -> None:
    world.irc("annl")
    client = world.irc()
    client.send("NICK ann|", "USER u 0 * :U")
    assert client.numerics() == ["433"]


def test_lusers_counts_current_and_most_users(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    waiting = world.irc()  # connected, not registered
    bob.send("QUIT")
    alice.lines()
    alice.send("LUSERS")
    assert not waiting.session.registered
    lines = alice.lines()
    assert [line.split(" ")[1] for line in lines] == [
        "251",
        "252",
        "253",
        "254",
        "255",
        "265",
        "266",
    ]
    assert ":irc.test 253 alice 1 :unknown connection(s)" in lines
    assert ":irc.test 254 alice 0 :channels formed" in lines  # not the empty lobby
    assert ":irc.test 265 alice 1 2 :Current local users 1, max 2" in lines
    assert ":irc.test 266 alice 1 2 :Current global users 1, max 2" in lines


def test_list_shows_only_channels_with_members(world: World) -> None:
    alice = world.irc("alice")
    alice.send("LIST")
    assert alice.numerics() == ["321", "323"]  # a fresh server: even the lobby is empty
    world.text("tom")  # text users start in the lobby
    alice.send("JOIN #a", "LIST")
    alice.lines()
    alice.send("LIST")
    assert [line.split(" ")[3] for line in alice.lines() if " 322 " in line] == ["#lobby", "#a"]


def test_list_filters_by_user_count(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("JOIN #one,#two")
    bob.send("JOIN #two")
    alice.lines()
    alice.send("LIST >1")
    assert [line.split(" ")[3] for line in alice.lines() if " 322 " in line] == ["#two"]
    alice.send("LIST <2")
    assert [line.split(" ")[3] for line in alice.lines() if " 322 " in line] == ["#one"]
    assert "ELIST=MNU" in isupport(50)


def test_secret_channels_and_invisible_users_stay_hidden(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    eve = world.irc("eve")
    alice.send("JOIN #hidden", "MODE #hidden +s", "JOIN #open", "MODE alice +i")
    bob.send("JOIN #open")
    alice.lines()
    eve.send("NAMES #hidden", "WHO #hidden", "WHOIS alice", "NAMES #open", "WHO #open", "WHO *")
    lines = eve.lines()
    assert not any("#hidden" in line for line in lines if " 353 " in line or " 352 " in line)
    assert not any("#hidden" in line for line in lines if " 319 " in line)
    assert not any("alice" in line for line in lines if " 353 " in line or " 352 " in line)
    assert any("bob" in line for line in lines if " 353 " in line)
    bob.send("NAMES #open")  # bob shares #open with alice: he sees her
    assert any("alice" in line for line in bob.lines() if " 353 " in line)
    eve.send("MODE #hidden", "MODE #nowhere")  # its modes: as if it were not there
    assert eve.lines() == [
        ":irc.test 403 eve #hidden :No such channel",
        ":irc.test 403 eve #nowhere :No such channel",
    ]
    alice.send("MODE #hidden")
    assert alice.lines()[0].startswith(":irc.test 324 alice #hidden +")


def test_names_and_who_show_the_highest_prefix_unless_multi_prefix(world: World) -> None:
    alice = world.irc("alice")
    alice.send("JOIN #c", "MODE #c +v alice")
    alice.lines()
    alice.send("NAMES #c", "WHO #c")
    lines = alice.lines()
    assert ":irc.test 353 alice = #c :@alice" in lines
    assert any(" 352 " in line and " H@ " in line for line in lines)
    alice.send("CAP REQ :multi-prefix userhost-in-names")
    assert alice.lines() == [":irc.test CAP alice ACK :multi-prefix userhost-in-names"]
    alice.send("NAMES #c", "WHO #c", "WHOIS alice")
    lines = alice.lines()
    assert ":irc.test 353 alice = #c :@+alice!user@127.0.0.1" in lines
    assert any(" 352 " in line and " H@+ " in line for line in lines)
    assert ":irc.test 319 alice alice :@+#c" in lines


def test_cap_302_multiline_values_and_notify(world: World) -> None:
    client = world.irc()
    client.send("CAP LS 302")
    assert client.lines()[0].startswith(":irc.test CAP * LS :away-notify batch cap-notify ")
    client.send("CAP LIST")
    assert client.lines() == [":irc.test CAP * LIST :cap-notify"]  # implied by 302
    client.send("CAP REQ :-cap-notify")
    assert client.numerics() == ["CAP"]
    client.send("CAP LIST")
    assert client.lines() == [":irc.test CAP * LIST :cap-notify"]


def test_cap_ls_splits_a_long_list_over_lines(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from chinwag.irc import commands

    many = {f"example.org/cap-{n:03}": "" for n in range(60)}
    monkeypatch.setattr(commands, "CAPABILITIES", {**commands.CAPABILITIES, **many})
    client = world.irc()
    client.send("CAP LS 302")
    lines = client.lines()
    assert len(lines) > 1
    assert all(line.startswith(":irc.test CAP * LS * :") for line in lines[:-1])
    assert lines[-1].startswith(":irc.test CAP * LS :")
    assert all(len(line.encode()) <= 510 for line in lines)
    words = " ".join(line.partition(" :")[2] for line in lines).split()
    assert len(words) == len(commands.CAPABILITIES)


def test_cap_req_is_all_or_nothing_and_works_after_registration(world: World) -> None:
    client = world.irc("alice")
    client.send("CAP REQ :multi-prefix bogus")
    assert client.lines() == [":irc.test CAP alice NAK :multi-prefix bogus"]
    client.send("CAP LIST")
    assert client.lines() == [":irc.test CAP alice LIST :"]
    client.send("CAP REQ :multi-prefix server-time", "CAP REQ :-server-time", "CAP LIST")
    assert client.lines()[-1] == ":irc.test CAP alice LIST :multi-prefix"


def test_echo_message(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    alice.send("CAP REQ echo-message", "JOIN #c")
    bob.send("JOIN #c")
    alice.lines()
    bob.lines()
    alice.send("PRIVMSG #c :hello", "PRIVMSG bob :psst", "NOTICE bob :note")
    assert alice.lines() == [
        f":alice!user@{HOST} PRIVMSG #c :hello",
        f":alice!user@{HOST} PRIVMSG bob :psst",
        f":alice!user@{HOST} NOTICE bob :note",
    ]
    assert f":alice!user@{HOST} PRIVMSG #c :hello" in bob.lines()  # once
    bob.send("PRIVMSG #c :hi")
    assert bob.lines() == []  # without echo-message, nothing comes back
    assert f":bob!user@{HOST} PRIVMSG #c :hi" in alice.lines()


def test_a_target_named_again_in_one_line_gets_the_message_once(world: World) -> None:
    alice, bob = world.in_channel("#c", "alice", "bob")
    alice.send("PRIVMSG bob,BOB,bob,#c :once")
    assert bob.lines() == [
        f":alice!user@{HOST} PRIVMSG bob :once",
        f":alice!user@{HOST} PRIVMSG #c :once",
    ]


def test_a_full_ban_list_is_answered_478(world: World) -> None:
    alice = world.irc("alice")
    alice.send("JOIN #b", *(f"MODE #b +b mask{n}!*@*" for n in range(100)))
    alice.lines()
    alice.send("MODE #b +b extra!*@*", "MODE #b +b mask7!*@*")  # new; already there
    assert alice.lines() == [":irc.test 478 alice #b b :Channel ban list is full"]


def test_whowas(world: World) -> None:
    alice = world.irc("alice")
    old = world.irc("old", user="first")
    old.send("NICK newer")
    again = world.irc("old", user="second")
    again.send("QUIT")
    alice.send("WHOWAS old")
    lines = alice.lines()
    assert [line.split(" ")[1] for line in lines] == ["314", "312", "314", "312", "369"]
    assert lines[0].startswith(f":irc.test 314 alice old second {HOST} * :")  # newest first
    assert lines[2].startswith(f":irc.test 314 alice old first {HOST} * :")
    alice.send("WHOWAS old 1")
    assert alice.numerics() == ["314", "312", "369"]
    alice.send("WHOWAS nobody", "WHOWAS")
    assert alice.numerics() == ["406", "369", "431"]


def test_info_links_admin_stats(world: World) -> None:
    alice = world.irc("alice")
    alice.send("INFO")
    codes = alice.numerics()
    assert codes[-1] == "374"
    assert set(codes[:-1]) == {"371"}
    alice.send("LINKS", "ADMIN", "STATS u", "STATS x", "STATS")
    assert alice.numerics() == ["365", "256", "257", "258", "259", "242", "219", "219", "461"]


def test_help(world: World) -> None:
    alice = world.irc("alice")
    alice.send("HELP", "HELP privmsg", "HELPOP whowas", "HELP nonsense")
    codes = alice.numerics()
    assert codes[0] == "704"
    assert codes[-8:] == ["706", "704", "705", "706", "704", "705", "706", "524"]


def test_isupport_lines_hold_at_most_13_tokens(world: World) -> None:
    client = world.irc()
    client.send("NICK a", "USER a 0 * :A")
    lines = [line for line in client.lines() if " 005 " in line]
    assert len(lines) >= 2
    for line in lines:
        tokens = line.partition(" :")[0].split(" ")[3:]
        assert 1 <= len(tokens) <= 13
    joined = " ".join(lines)
    for token in ("CHANLIMIT=#:", "TARGMAX=", "MODES=20", "TOPICLEN=390", "KICKLEN=390"):
        assert token in joined
    for token in ("AWAYLEN=200", "UTF8ONLY", "ELIST=MNU", "WHOX", "STATUSMSG=@+", "BOT=B"):
        assert token in joined


def test_whowas_remembers_text_users_too(world: World) -> None:
    alice = world.irc("alice")
    tom = world.text("tom")
    tom.send("/nick thomas")
    alice.send("WHOWAS tom")
    assert alice.numerics() == ["314", "312", "369"]


def test_whox_fields_in_their_order_with_the_token(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob", user="bobby")
    alice.send("JOIN #c")
    bob.send("JOIN #c")
    alice.lines()
    alice.send("WHO #c %rnuhcit,42")
    lines = alice.lines()
    assert f":irc.test 354 alice 42 #c bobby 255.255.255.255 {HOST} bob :bob Real" in lines
    assert ":irc.test 354 alice 42 #c user 127.0.0.1 127.0.0.1 alice :alice Real" in lines
    assert lines[-1] == ":irc.test 315 alice #c :End of /WHO list"
    alice.send("WHO bob %nfa")
    assert alice.lines()[0] == ":irc.test 354 alice bob H :0"
    alice.send("WHO * o%n")
    assert alice.numerics() == ["315"]  # no server operators here
    alice.send("WHO bob")
    assert alice.numerics() == ["352", "315"]


def test_an_empty_key_or_limit_is_an_invalid_mode_parameter(world: World) -> None:
    alice = world.irc("alice")
    alice.send("JOIN #room")
    alice.lines()
    alice.send("MODE #room +k :", "MODE #room +l :", "MODE #room +k")
    assert alice.lines() == [
        ":irc.test 696 alice #room k * :The argument is empty",
        ":irc.test 696 alice #room l * :The argument is empty",
        ":irc.test 461 alice MODE :Not enough parameters",  # no argument at all
    ]
    bob = world.irc("bob")
    bob.send("JOIN #room")  # neither a key nor a limit was set
    assert bob.numerics()[0] == "JOIN"


def test_bytes_that_are_not_utf8_get_a_warning_and_are_replaced(world: World) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    deliver(alice.session.receive(b"PRIVMSG bob :hi\xaa\r\n"), world.router)
    assert alice.lines() == [":irc.test WARN PRIVMSG INVALID_UTF8 :Invalid UTF-8 was replaced"]
    assert bob.lines()[-1].endswith(" PRIVMSG bob :hi\ufffd")  # UTF8ONLY: valid UTF-8 only
    alice.send("PRIVMSG bob :h\u00e9")  # valid UTF-8 gets no warning
    assert alice.lines() == []


def test_a_privmsg_that_fits_the_senders_line_is_cut_to_fit_the_relayed_one(
    world: World,
) -> None:
    alice = world.irc("alice")
    bob = world.irc("bob")
    room = len(b"PRIVMSG bob :") + 2
    for payload in ("a" * (512 - room), "a" * (512 - room - 4) + "\U0001f603", "b" * 400 + "c"):
        alice.send(f"PRIVMSG bob :{payload}")
        [line] = bob.lines()  # one line, not split in two
        assert len(line.encode()) + 2 <= 512
        prefix, _, text = line.partition(" PRIVMSG bob :")
        assert prefix == f":alice!user@{HOST}"
        assert payload.startswith(text) and len(text) > 400  # cut on a character boundary
    alice.send("PRIVMSG bob :short")
    assert bob.lines()[-1].endswith(" PRIVMSG bob :short")


def test_names_takes_one_channel_by_targmax_and_ends_each_it_is_given(world: World) -> None:
    alice = world.irc("alice")
    assert any("NAMES:1," in token for token in isupport(50))
    alice.send("JOIN #a,#b")
    alice.lines()
    alice.send("NAMES #a,#b")
    assert [line.split(" ")[1:5] for line in alice.lines()] == [
        ["353", "alice", "=", "#a"],
        ["366", "alice", "#a", ":End"],
        ["353", "alice", "=", "#b"],
        ["366", "alice", "#b", ":End"],
    ]


def test_a_ban_is_lifted_by_its_mask_in_any_case(world: World) -> None:
    op = world.irc("chanop")
    op.send("JOIN #chan", "MODE #chan +b BAR!*@*", "MODE #chan +b bar!*@*")
    assert op.lines()[-1] == f":chanop!user@{HOST} MODE #chan +b BAR!*@*"  # once: one mask
    bar = world.irc("Bar")
    bar.send("JOIN #chan")
    assert bar.numerics() == ["474"]
    op.send("MODE #chan -b bar!*@*")
    assert op.lines() == [f":chanop!user@{HOST} MODE #chan -b BAR!*@*"]
    bar.send("JOIN #chan")
    assert bar.numerics()[0] == "JOIN"


def test_a_bots_messages_carry_the_bot_tag_for_message_tags_clients(world: World) -> None:
    bot = world.irc("botnick")
    bot.send("MODE botnick +B", "JOIN #chan")
    tagged = world.irc()
    tagged.send("CAP REQ message-tags", "NICK usernick", "USER u 0 * :u", "CAP END", "JOIN #chan")
    plain = world.irc("plain")
    plain.send("JOIN #chan")
    tagged.lines()
    plain.lines()
    bot.send("PRIVMSG usernick :beep boop", "PRIVMSG #chan :beep")
    to_user, to_channel = tagged.lines()
    for line in (to_user, to_channel):
        tags = line.split(" ")[0][1:].split(";")
        assert "bot" in tags and any(tag.startswith("msgid=") for tag in tags)
    assert plain.lines()[0].startswith(":botnick!")  # no tags without message-tags
    world.irc("person").send("PRIVMSG usernick :hi")
    assert "bot" not in tagged.lines()[0].split(" ")[0][1:].split(";")


def test_a_messages_time_tag_is_the_millisecond_of_its_id() -> None:
    # The hub's clock said .9996 s; the id was made a moment later, in the next millisecond.
    said = datetime(2026, 1, 2, 3, 4, 5, 999600, tzinfo=UTC)
    msgid = ids.milliseconds(said + timedelta(microseconds=500)) << 80
    event = RoomMessage(said, "alice", "room", "hi", userhost="a@h", msgid=msgid)
    formatter = IrcFormatter("irc.test", tag_time=True)
    for line in (formatter.format(event).decode(), formatter.history("#room", [event])[0].format()):
        assert line.startswith("@time=2026-01-02T03:04:06.000Z")  # not 05.999


def test_list_by_mask_and_by_mask_not_matched(world: World) -> None:
    foo = world.irc("foo")
    foo.send("JOIN #chan1,#chan2")
    bar = world.irc("bar")

    def listed(argument: str) -> set[str]:
        bar.send(f"LIST {argument}")
        return {line.split(" ")[3] for line in bar.lines() if " 322 " in line}

    assert listed("*an1") == {"#chan1"}
    assert listed("#C*N2") == {"#chan2"}  # masks fold as names do
    assert listed("*an3") == set()
    assert listed("!*an1") == {"#chan2"}
    assert listed("!#ch*") == set()
    assert listed("#ch*,<2") == {"#chan1", "#chan2"}
    bar.send("JOIN #chan2", "LIST >1")
    assert [line for line in bar.lines() if " 322 " in line] == [
        ":irc.test 322 bar #chan2 2 :[+nt]"
    ]


def test_list_takes_at_most_the_masks_targmax_says(world: World) -> None:
    # Every mask is matched against every room: a LIST line of a hundred masks would
    # cost a hundred matches a room. Items past the advertised count are ignored.
    foo = world.irc("foo")
    foo.send("JOIN #chan1,#chan2")
    bar = world.irc("bar")
    assert f"LIST:{MAX_LIST_MASKS}" in " ".join(isupport(50))
    unmatched = ",".join(["*zz*"] * MAX_LIST_MASKS)
    bar.send(f"LIST {unmatched},*an1")
    assert [line for line in bar.lines() if " 322 " in line] == []
    bar.send(f"LIST {','.join(['*an1'] * (MAX_LIST_MASKS - 1))},*an2")  # each mask once
    assert {line.split(" ")[3] for line in bar.lines() if " 322 " in line} == {
        "#chan1",
        "#chan2",
    }
