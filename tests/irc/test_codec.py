"""The IRC codec, framing rules and case-mapping: pure functions, no I/O."""

from __future__ import annotations

import pytest

from chinwag.hub import events
from chinwag.irc import casemap, framing
from chinwag.irc.format import IrcFormatter, mode_arguments
from chinwag.irc.message import Message, ParseError, fit_text, parse
from chinwag.text.framing import Line, LineTooLong


def test_parse_every_part() -> None:
    message = parse("@time=2024-01-01T00:00:00Z;+x=a\\sb :nick!u@h PRIVMSG #chan :hello there")
    assert message.tags == (("time", "2024-01-01T00:00:00Z"), ("+x", "a b"))
    assert message.source == "nick!u@h"
    assert message.command == "PRIVMSG"
    assert message.params == ("#chan", "hello there")


@pytest.mark.parametrize(
    ("line", "params"),
    [
        ("JOIN #a,#b key", ("#a,#b", "key")),
        ("PRIVMSG bob ::-)", ("bob", ":-)")),
        ("TOPIC #a :", ("#a", "")),
        ("NICK   spaced   ", ("spaced",)),
        ("PING", ()),
        ("USER u 0 * :Real Name", ("u", "0", "*", "Real Name")),
    ],
)
def test_parse_params(line: str, params: tuple[str, ...]) -> None:
    assert parse(line).params == params


def test_parse_rejects_a_line_without_a_command() -> None:
    with pytest.raises(ParseError):
        parse(":only.a.source")
    # Any other word is a command, if an unknown one (answered with 421, not ignored).
    assert parse("PRIV-MSG x").verb == "PRIV-MSG"
    with pytest.raises(ParseError):
        parse(":source :x")


def test_format_adds_a_colon_only_where_needed() -> None:
    assert Message("NICK", ("bob",)).format() == "NICK bob"
    assert Message("PRIVMSG", ("#a", "hi there")).format() == "PRIVMSG #a :hi there"
    assert Message("PRIVMSG", ("#a", ":)")).format() == "PRIVMSG #a ::)"
    assert Message("TOPIC", ("#a", "")).format() == "TOPIC #a :"
    tagged = Message("PING", ("x",), "srv", (("time", "a;b c"),))
    assert tagged.format() == "@time=a\\:b\\sc :srv PING x"


@pytest.mark.parametrize(
    "line",
    ["PRIVMSG #a :hi there", ":n!u@h JOIN #a", "@a=1;b :s 001 me :Welcome home", "TOPIC #a :"],
)
def test_format_and_parse_round_trip(line: str) -> None:
    assert parse(line).format() == line
    assert parse(parse(line).format()) == parse(line)


def test_an_invalid_message_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="line break"):
        Message("PRIVMSG", ("#a", "one\r\nQUIT"))
    with pytest.raises(ValueError, match="only the last"):
        Message("PRIVMSG", ("two words", "x"))
    with pytest.raises(ValueError, match="command"):
        Message("")
    with pytest.raises(ValueError, match="source"):
        Message("PING", (), "bad source")


def test_fit_text_splits_at_spaces_and_never_inside_a_character() -> None:
    text = "word " * 300
    pieces = list(fit_text(text.strip(), 100))
    assert all(len(piece.encode()) <= 100 for piece in pieces)
    assert " ".join(pieces) == text.strip()
    emoji = "😀" * 100
    pieces = list(fit_text(emoji, 30))
    assert all(len(piece.encode()) <= 30 for piece in pieces)
    assert "".join(pieces) == emoji


def test_framing_accepts_tags_beyond_512_bytes_but_not_a_longer_body() -> None:
    tags = "@" + "a" * 4000
    assert not framing.too_long(f"{tags} PRIVMSG #a :hi")
    assert not framing.too_long("PRIVMSG #a :" + "x" * 498)
    assert framing.too_long("PRIVMSG #a :" + "x" * 499)
    buffer = framing.line_buffer()
    frames = buffer.feed(b"x" * (framing.MAX_RECEIVED_BYTES + 10) + b"\r\nPING a\r\n")
    assert isinstance(frames[0], LineTooLong)
    assert frames[-1] == Line("PING a")


def test_framing_takes_lines_however_tcp_cut_them() -> None:
    data = b"NICK a\r\nUSER a 0 * :A\nPING :x\r\n"
    whole = framing.line_buffer().feed(data)
    buffer = framing.line_buffer()
    bytewise = [frame for i in range(len(data)) for frame in buffer.feed(data[i : i + 1])]
    assert whole == bytewise == [Line("NICK a"), Line("USER a 0 * :A"), Line("PING :x")]


def test_case_mapping() -> None:
    assert casemap.same("Alice", "aLICE")
    assert casemap.same("Ålice", "åLICE")
    assert not casemap.same("a[b", "a{b")  # not rfc1459: brackets are not letters
    assert casemap.to_room("#Lobby") == "Lobby"
    assert casemap.to_channel("lobby") == "#lobby"
    assert casemap.valid_channel("#ok-room.1")
    assert not casemap.valid_channel("lobby")
    assert not casemap.valid_channel("#bad,name")
    assert not casemap.valid_channel("#" + "x" * 33)


def test_mode_arguments_group_signs() -> None:
    changes = [("+k", "key"), ("+l", "5"), ("-o", "bob"), ("-m", "")]
    assert mode_arguments(changes) == ["+kl-om", "key", "5", "bob"]


def test_long_messages_are_split_to_fit_512_bytes() -> None:
    from datetime import datetime

    from chinwag.hub.events import RoomMessage

    event = RoomMessage(datetime.now(), "bob", "lobby", "y" * 2000, userhost="u@127.0.0.1")
    lines = IrcFormatter("irc.test").format(event).split(b"\r\n")[:-1]
    assert len(lines) == 5
    assert all(len(line) + 2 <= 512 for line in lines)
    assert b"".join(line.partition(b" :")[2] for line in lines) == b"y" * 2000


def test_operator_confirmations_are_server_notices() -> None:
    formatter = IrcFormatter("irc.test")
    confirmations = {
        events.BecameOperator(): "you are now an operator",
        events.Disconnected("bob"): "bob was kicked",
        events.BanSet("10.0.0.2", 5): "10.0.0.2 is banned for 5 minutes",
        events.BanSet("10.0.0.0/24"): "10.0.0.0/24 is banned for good",
        events.BanLifted("10.0.0.2"): "the ban on 10.0.0.2 is lifted",
    }
    for event, text in confirmations.items():
        assert formatter.format(event) == f":irc.test NOTICE * :{text}\r\n".encode()
