"""Every text command, through a real hub, as the users involved would see it."""

from __future__ import annotations

import re

import pytest

from chinwag.hub.events import Negotiation, to
from chinwag.hub.model import Member
from chinwag.hub.modes import ModeChange
from chinwag.password_guard import PasswordGuard, Penalties
from chinwag.text.session import COMMANDS, TextSession
from tests.unit.conftest import OPER_PASSWORD
from tests.unit.fakes import STAMP, Chat, FakeEndpoint, User


@pytest.fixture
def chat() -> Chat:
    return Chat()


@pytest.fixture
def op_chat(oper_hash: str) -> Chat:
    return Chat(oper_password_hash=oper_hash)


def three(chat: Chat) -> tuple[User, User, User]:
    users = (
        chat.connect("10.0.0.1"),
        chat.connect("10.0.0.2"),
        chat.connect("10.0.0.3"),
    )
    chat.clear()
    return users


# --- arriving ------------------------------------------------------------------------------


def test_welcome_and_arrival_notice(chat: Chat) -> None:
    ann = chat.connect()
    assert ann.lines() == [
        "* Welcome to chinwag, Client-1! You are in lobby.",
        "* Choose a name with /nick NAME; /help lists the commands.",
    ]
    bob = chat.connect()
    assert ann.lines() == ["* Client-2 joined the chat"]
    assert bob.lines()[0] == "* Welcome to chinwag, Client-2! You are in lobby."


# --- messages ------------------------------------------------------------------------------


def test_message_reaches_the_room_without_echo(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    ann.send("hello, world")
    assert ann.lines() == []
    assert bob.lines() == [f"{STAMP} Client-1: hello, world"]
    assert cat.lines() == [f"{STAMP} Client-1: hello, world"]


def test_message_is_cleaned_and_trimmed(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("  \x1b[2J\x1b[31mred\x1b[0m\x07 alert\t! ")
    assert bob.lines() == [f"{STAMP} Client-1: red alert\t!"]


@pytest.mark.parametrize("line", ["", "   ", "\t", "\x1b[2J", "\x07\x00"])
def test_empty_lines_are_ignored(chat: Chat, line: str) -> None:
    ann, bob, _ = three(chat)
    ann.send(line)
    assert ann.lines() == []
    assert bob.lines() == []


def test_double_slash_sends_a_line_starting_with_a_slash(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("//etc/passwd is a file")
    assert bob.lines() == [f"{STAMP} Client-1: /etc/passwd is a file"]
    assert ann.lines() == []


def test_me(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("/me waves at everyone")
    assert bob.lines() == [f"{STAMP} * Client-1 waves at everyone"]
    ann.send("/me")
    assert ann.lines() == ["! usage: /me ACTION"]
    assert bob.lines() == []


def test_msg_is_private(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    bob.send("/nick Bob")
    chat.clear()
    ann.send("/msg bob meet me in games")
    assert bob.lines() == [f"{STAMP} *Client-1* meet me in games"]
    assert cat.lines() == []
    assert ann.lines() == []
    ann.send("/tell BOB   still there?")
    assert bob.lines() == [f"{STAMP} *Client-1* still there?"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/msg nobody hello", "! there is no user called nobody"),
        ("/msg Client-2", "! usage: /msg NAME TEXT"),
        ("/msg", "! usage: /msg NAME TEXT"),
    ],
)
def test_msg_errors(chat: Chat, line: str, error: str) -> None:
    ann, bob, _ = three(chat)
    ann.send(line)
    assert ann.lines() == [error]
    assert bob.lines() == []


# --- commands ------------------------------------------------------------------------------


def test_unknown_command(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("/frobnicate the thing")
    assert ann.lines() == ["! unknown command /frobnicate, try /help"]
    assert bob.lines() == []
    ann.send("/")
    assert ann.lines() == ["! unknown command /, try /help"]


def test_commands_are_case_insensitive(chat: Chat) -> None:
    ann, _, _ = three(chat)
    ann.send("/NICK ann")
    assert ann.lines() == ["* you are now known as ann"]


def test_help_lists_the_commands_an_ordinary_user_has(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("/help")
    lines = ann.lines()
    assert lines[0] == "* commands:"
    text = "\n".join(lines)
    for usage in ["/help", "/nick NAME", "/who", "/rooms", "/join ROOM", "/leave", "/msg NAME"]:
        assert usage in text
    for usage in ["/me ACTION", "/quit", "/op PASSWORD", "exit"]:
        assert usage in text
    for operator_only in ["/kick", "/ban", "/unban", "/wall"]:
        assert operator_only not in text
    assert lines[-1] == "* anything else you type is sent to everyone in your room"
    assert bob.lines() == []


def test_help_for_one_command(chat: Chat) -> None:
    ann, _, _ = three(chat)
    ann.send("/help nick")
    assert ann.lines() == ["* /nick NAME: change your name"]
    ann.send("/help /users")
    assert ann.lines() == ["* /who [ROOM]: who is in your room (also /users)"]
    ann.send("/help nosuch")
    assert ann.lines() == ["! there is no command /nosuch"]


def test_every_command_has_usage_and_summary() -> None:
    for alias, entry in COMMANDS.items():
        assert alias == alias.casefold()
        assert entry.usage.startswith(f"/{entry.name}")
        assert entry.summary


def test_nick(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    cat.send("/join games")
    chat.clear()
    ann.send("/nick Ann")
    assert ann.lines() == ["* you are now known as Ann"]
    assert bob.lines() == ["* Client-1 is now known as Ann"]
    assert cat.lines() == []  # in another room
    ann.send("hi")
    assert bob.lines() == [f"{STAMP} Ann: hi"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/nick", "! usage: /nick NAME"),
        ("/nick ANN", "! the name ANN is taken"),
        ("/nick admin", "! the name admin is reserved"),
        ("/nick Client-3", "! names like Client-3 are reserved for new connections"),
        ("/nick two words", "! a nickname may contain only letters, digits and _-.[]{}\\|^`"),
        ("/nick " + "x" * 33, "! a nickname must be 1-32 characters long"),
    ],
)
def test_nick_refused(chat: Chat, line: str, error: str) -> None:
    ann, bob, _ = three(chat)
    ann.send("/nick ann")
    chat.clear()
    bob.send(line)
    assert bob.lines() == [error]
    assert ann.lines() == []
    assert bob.nick == "Client-2"


WHO_LINE = re.compile(r"\*   (\S+)( \(operator\))? - connected \d\d:\d\d:\d\d, idle \d+s")


@pytest.mark.parametrize("command", ["/who", "/users"])
def test_who_lists_the_room(chat: Chat, command: str) -> None:
    ann, bob, cat = three(chat)
    bob.send("/nick bob")
    cat.send("/join games")
    chat.clear()
    ann.send(command)
    lines = ann.lines()
    assert lines[0] == "* 2 users in lobby:"
    matches = [WHO_LINE.fullmatch(line) for line in lines[1:]]
    assert all(matches), lines
    assert [m.group(1) for m in matches if m] == ["bob", "Client-1"]  # sorted, ignoring case


def test_who_in_another_room(chat: Chat) -> None:
    ann, _, cat = three(chat)
    cat.send("/join games")
    chat.clear()
    ann.send("/who games")
    lines = ann.lines()
    assert lines[0] == "* 1 user in games:"
    assert lines[1].startswith("*   Client-3 - connected ")
    ann.send("/who empty")
    assert ann.lines() == ["* 0 users in empty:"]
    ann.send("/who bad room")
    assert ann.lines()[0].startswith("! a room name may contain only")


def test_rooms(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    bob.send("/join games")
    cat.send("/join Games")
    ann.send("/join art")
    chat.clear()
    ann.send("/rooms")
    assert ann.lines() == ["* rooms: lobby (0), art (1), games (2)"]


def test_join_and_leave(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    cat.send("/join games")
    chat.clear()
    ann.send("/join games")
    assert ann.lines() == ["* you are now in games (2 here)"]
    assert bob.lines() == ["* Client-1 left lobby"]
    assert cat.lines() == ["* Client-1 joined games"]
    ann.send("in games now")
    assert cat.lines() == [f"{STAMP} Client-1: in games now"]
    assert bob.lines() == []
    ann.send("/leave")
    assert ann.lines() == ["* you are now in lobby (2 here)"]
    assert cat.lines() == ["* Client-1 left games"]
    assert bob.lines() == ["* Client-1 joined lobby"]
    ann.send("back")
    assert bob.lines() == [f"{STAMP} Client-1: back"]
    assert cat.lines() == []


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/join", "! usage: /join ROOM [KEY]"),
        ("/join no spaces", "! a room name may contain only letters, digits, '_', '-' and '.'"),
        ("/join LOBBY", "! you are already in lobby"),
        ("/join no!bang", "! a room name may contain only letters, digits, '_', '-' and '.'"),
        ("/leave", "! you are in the lobby already"),
        ("/part", "! you are in the lobby already"),
        ("/part #lobby", "! you are in the lobby already"),
        ("/part games", "! you are not in games"),
        ("/part #games", "! you are not in games"),
    ],
)
def test_join_and_leave_refused(chat: Chat, line: str, error: str) -> None:
    ann, bob, _ = three(chat)
    ann.send(line)
    assert ann.lines() == [error]
    assert bob.lines() == []
    assert chat.hub.room_members("lobby") == (ann.member, bob.member, chat.users[2].member)


def test_part_names_the_room_to_leave(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    cat.send("/join games")
    ann.send("/join games")
    chat.clear()
    ann.send("/part #kitchen")  # not ann's room: she stays where she is
    assert ann.lines() == ["! you are not in kitchen"]
    ann.send("/part lobby")
    assert ann.lines() == ["! you are not in lobby"]
    assert chat.hub.room_members("games") == (cat.member, ann.member)
    ann.send("/part #GAMES")
    assert ann.lines() == ["* you are now in lobby (2 here)"]
    assert cat.lines() == ["* Client-1 left games"]
    assert bob.lines() == ["* Client-1 joined lobby"]


def test_join_the_room_you_are_in_in_another_case(chat: Chat) -> None:
    ann, _, _ = three(chat)
    ann.send("/join games")
    ann.lines()
    ann.send("/join GAMES")
    assert ann.lines() == ["! you are already in games"]


# --- leaving -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason", "notice"),
    [
        ("/quit", "", "* Client-1 left the chat"),
        ("/quit gone fishing", "gone fishing", "* Client-1 left the chat (gone fishing)"),
        ("/exit", "", "* Client-1 left the chat"),
        ("exit", "", "* Client-1 left the chat"),
        ("  EXIT ", "", "* Client-1 left the chat"),
    ],
)
def test_quit(chat: Chat, line: str, reason: str, notice: str) -> None:
    ann, bob, _ = three(chat)
    ann.send(line)
    assert ann.lines() == ["* Goodbye, Client-1!"]
    assert ann.endpoint.closed == reason
    assert ann.session.finished
    assert bob.lines() == [notice]
    assert chat.hub.find("Client-1") is None
    ann.send("anything after the goodbye")
    assert bob.lines() == []


def test_exit_inside_a_sentence_is_a_message(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("exit stage left")
    assert bob.lines() == [f"{STAMP} Client-1: exit stage left"]
    assert not ann.session.finished


# --- operators -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["/kick Client-2", "/ban Client-2", "/unban 10.0.0.2", "/bans", "/wall hi"]
)
def test_operator_commands_without_op(op_chat: Chat, line: str) -> None:
    ann, bob, _ = three(op_chat)
    ann.send(line)
    assert ann.lines() == ["! only operators can do that"]
    assert bob.lines() == []
    assert bob.endpoint.closed is None


def test_op(oper_hash: str) -> None:
    now = [100.0]
    guard = PasswordGuard(penalties=Penalties(clock=lambda: now[0]))
    op_chat = Chat(oper_password_hash=oper_hash, passwords=guard)
    ann, bob, _ = three(op_chat)
    ann.send("/op")
    assert ann.lines() == ["! usage: /op PASSWORD"]
    ann.send("/op guess")
    assert ann.lines() == ["! wrong operator password"]
    assert not ann.member.operator
    ann.send(f"/op {OPER_PASSWORD}")  # even the right one waits out the delay
    assert ann.lines() == ["! too many wrong passwords: try again in 1 second"]
    now[0] += 1.0
    ann.send(f"/op {OPER_PASSWORD}")
    assert ann.lines() == ["* you are now an operator"]
    assert bob.lines() == []
    ann.send("/help")
    assert "/kick NAME [REASON]" in "\n".join(ann.lines())
    bob.send("/who")
    assert "*   Client-1 (operator) - connected" in "\n".join(bob.lines())


def test_op_without_operators_configured(chat: Chat) -> None:
    ann, _, _ = three(chat)
    ann.send("/op anything")
    assert ann.lines() == ["! this server has no operators"]


@pytest.fixture
def operator(op_chat: Chat) -> tuple[User, User, User]:
    ann, bob, cat = three(op_chat)
    ann.send(f"/op {OPER_PASSWORD}")
    bob.send("/nick bob")
    op_chat.clear()
    return ann, bob, cat


def test_kick(operator: tuple[User, User, User]) -> None:
    ann, bob, cat = operator
    ann.send("/kick BOB stop spamming")
    assert bob.lines() == ["* You were kicked by Client-1: stop spamming"]
    assert bob.endpoint.closed == "kicked by Client-1: stop spamming"
    # The operator shares the room: the one line everyone there gets says it all.
    assert ann.lines() == ["* bob left the chat (kicked by Client-1: stop spamming)"]
    assert cat.lines() == ["* bob left the chat (kicked by Client-1: stop spamming)"]
    ann.send("/kick bob")
    assert ann.lines() == ["! there is no user called bob"]
    ann.send("/kick")
    assert ann.lines() == ["! usage: /kick NAME [REASON]"]


def test_ban_bans_lists_and_unban(operator: tuple[User, User, User]) -> None:
    ann, bob, cat = operator
    ann.send("/ban bob 30")
    assert bob.lines() == ["* You were banned by Client-1"]
    assert bob.endpoint.closed == "banned by Client-1"
    assert ann.lines() == [
        "* 10.0.0.2 is banned for 30 minutes",
        "* bob left the chat (banned by Client-1)",
    ]
    assert cat.lines() == ["* bob left the chat (banned by Client-1)"]
    ann.send("/ban 10.0.0.9")
    ann.lines()
    ann.send("/bans")
    lines = ann.lines()
    assert len(lines) == 2
    assert re.fullmatch(r"\* 10\.0\.0\.2 \(bob\) by Client-1 until \d\d:\d\d:\d\d", lines[0])
    assert lines[1] == "* 10.0.0.9 by Client-1 for good"
    ann.send("/unban bob")
    assert ann.lines() == ["* the ban on 10.0.0.2 is lifted"]
    ann.send("/unban 10.0.0.9")
    assert ann.lines() == ["* the ban on 10.0.0.9 is lifted"]
    ann.send("/bans")
    assert ann.lines() == ["* no bans"]
    ann.send("/unban 10.0.0.9")
    assert ann.lines() == ["! 10.0.0.9 is not banned"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/ban", "! usage: /ban NAME|IP[/BITS] [MINUTES] [force]"),
        ("/ban bob soon", "! usage: /ban NAME|IP[/BITS] [MINUTES] [force]"),
        ("/ban bob -5", "! the minutes must be a positive number"),
        ("/ban bob 0", "! the minutes must be a positive number"),
        ("/ban bob nan", "! the minutes must be a positive number"),
        ("/ban nobody", "! there is no user or address called nobody"),
        ("/unban", "! usage: /unban IP|NAME"),
    ],
)
def test_ban_refused(operator: tuple[User, User, User], line: str, error: str) -> None:
    ann, bob, _ = operator
    ann.send(line)
    assert ann.lines() == [error]
    assert bob.endpoint.closed is None
    assert ann.chat.hub.bans.active() == []


def test_wall(operator: tuple[User, User, User]) -> None:
    ann, bob, cat = operator
    cat.send("/join games")
    ann.chat.clear()
    ann.send("/wall server restarts at noon")
    notice = f"{STAMP} *** Notice from Client-1: server restarts at noon"
    assert ann.lines() == [notice]
    assert bob.lines() == [notice]
    assert cat.lines() == [notice]
    ann.send("/wall")
    assert ann.lines() == ["! usage: /wall TEXT"]


# --- the server console --------------------------------------------------------------------


def test_console_text_is_a_notice_to_everyone(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    console = chat.connect(console=True)
    console.send("maintenance in five minutes")
    notice = f"{STAMP} *** Notice from server: maintenance in five minutes"
    assert ann.lines() == [notice]
    assert bob.lines() == [notice]


def test_console_who_lists_everyone(chat: Chat) -> None:
    _, _, cat = three(chat)
    cat.send("/join games")
    console = chat.connect(console=True)
    console.send("/who")
    lines = console.lines()
    assert lines[0] == "* 3 users in the chat:"
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/join games", "! the console is in no room"),
        ("/me waves", "! the console is in no room"),
    ],
)
def test_console_has_no_room(chat: Chat, line: str, error: str) -> None:
    three(chat)
    console = chat.connect(console=True)
    console.send(line)
    assert console.lines() == [error]


def test_console_kicks(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    console = chat.connect(console=True)
    console.send("/kick Client-2 bye")
    assert bob.endpoint.closed == "kicked by server: bye"
    assert console.lines() == ["* Client-2 was kicked"]
    assert ann.lines() == ["* Client-2 left the chat (kicked by server: bye)"]


def test_console_cannot_take_a_nick(chat: Chat) -> None:
    ann, _, _ = three(chat)
    console = chat.connect(console=True)
    console.send("/nick boss")
    assert console.lines() == ["! you are not in the chat, so you have no name to change"]
    assert chat.hub.find("boss") is None
    assert ann.lines() == []


@pytest.mark.parametrize("line", ["/mode +t", "/mode -", "/mode +"])
def test_mode_that_changes_nothing_is_answered(chat: Chat, line: str) -> None:
    ann = chat.connect()
    ann.send("/join den")
    ann.lines()
    ann.send(line)
    assert ann.lines() == ["* the modes of den are unchanged"]


def test_many_rooms_are_listed_over_several_short_lines(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    chat.hub.max_rooms_per_member = 400
    made = [f"room-{n:03d}-{'x' * 22}" for n in range(300)]
    for room in made:
        chat.hub.join(bob.member, room)
    ann.send("/rooms")
    lines = ann.lines()
    assert len(lines) > 10
    assert all(len(line.encode()) <= 400 for line in lines)
    assert lines[0].startswith("* rooms: lobby (3), room-000-")
    listed = [item for line in lines for item in line.removeprefix("* rooms: ").split(",")]
    assert [i.strip(" *") for i in listed if i.strip(" *")] == ["lobby (3)"] + [
        f"{room} (1)" for room in made
    ]


def test_joining_past_the_room_limit_is_refused(chat: Chat) -> None:
    ann, _, _ = three(chat)
    chat.hub.max_rooms_per_member = 2
    ann.send("/join den")  # a text user moving is in two rooms for a moment
    assert ann.lines()[-1] == "* you are now in den (1 here)"
    chat.hub.join(ann.member, "lobby")
    ann.send("/join art")
    assert ann.lines() == ["! you may be in at most 2 rooms at once"]


# --- telnet ----------------------------------------------------------------------------------


def test_telnet_answers_go_out_in_order_with_the_replies_and_are_never_said(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    timing_mark = bytes((255, 253, 6))
    deliveries = ann.session.receive(b"/nick ann\r\n" + timing_mark + b"/rooms\r\nhi\r\n")
    kinds = [type(delivery.event).__name__ for delivery in deliveries]
    assert kinds == ["NickChanged", "NickChanged", "Negotiation", "Info", "RoomMessage"]
    negotiation = deliveries[2]
    assert negotiation.event == Negotiation(bytes((255, 251, 6)))
    assert negotiation.audience == to(ann.member)
    chat.run(deliveries)
    assert bob.lines() == ["* Client-1 is now known as ann", f"{STAMP} ann: hi"]


# --- what IRC users take for granted, for text users too ----------------------------------


def test_joining_a_room_shows_its_topic_who_set_it_and_when(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    ann.send("/join dev")
    ann.send("/topic release on friday")
    chat.clear()
    bob.send("/join #dev")
    assert bob.lines() == [
        "* you are now in dev (2 here)",
        "* topic: release on friday (set by Client-1, 2026-11-21 12:34)",
    ]
    bob.send("/topic")
    assert bob.lines() == ["* topic of dev: release on friday (set by Client-1, 2026-11-21 12:34)"]
    bob.send("/leave")
    assert bob.lines() == ["* you are now in lobby (2 here)"]  # the lobby has no topic


def test_connecting_shows_the_lobby_topic(chat: Chat) -> None:
    ann = chat.connect()
    ann.send("/topic be nice")
    later = chat.connect("10.0.0.2")
    assert later.lines()[-1] == "* topic: be nice (set by Client-1, 2026-11-21 12:34)"


def test_a_configured_motd_greets_text_users_after_the_welcome(chat: Chat) -> None:
    member = Member("Client-9", "10.0.0.9")
    endpoint = FakeEndpoint()
    chat.router.add(member.client_id, endpoint)
    session = TextSession(chat.hub, member, motd="Be kind.\\n\\nNo spam.\x1b[31m")
    chat.run(session.start())
    lines = endpoint.take_lines()
    assert lines[0].startswith("* Welcome to chinwag, Client-9!")
    assert lines[2:] == ["* Be kind.", "* No spam."]  # cleaned, blank lines left out


def test_who_marks_away_users_with_their_message(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    bob.send("/nick bob")
    bob.send("/away back at 3")
    chat.clear()
    ann.send("/who #lobby")
    lines = ann.lines()
    assert lines[0] == "* 3 users in lobby:"
    assert re.fullmatch(r"\*   bob - connected \S+, idle \d+s, away: back at 3", lines[1])
    assert all("away" not in line for line in lines[2:])


def test_msg_to_an_away_user_answers_with_their_away_message(chat: Chat) -> None:
    ann, bob, _ = three(chat)
    bob.send("/nick bob")
    bob.send("/away lunch")
    chat.clear()
    ann.send("/msg BOB are you there?")
    assert bob.lines() == [f"{STAMP} *Client-1* are you there?"]  # delivered all the same
    assert ann.lines() == ["* bob is away: lunch"]
    bob.send("/away")
    chat.clear()
    ann.send("/query bob welcome back")  # IRC's /query with text is /msg
    assert bob.lines() == [f"{STAMP} *Client-1* welcome back"]
    assert ann.lines() == []


def test_whois_shows_rooms_the_asker_may_see_connected_idle_and_away(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    bob.send("/nick bob")
    bob.send("/join hideout")
    bob.send("/mode +s")
    bob.send("/away gone fishing")
    chat.clear()
    ann.send("/whois bob")
    lines = ann.lines()
    assert lines[0] == "* bob"
    assert lines[1] == "*   rooms: none you can see"  # hideout is secret
    assert re.fullmatch(r"\*   connected since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, idle \d+s", lines[2])
    assert lines[3:] == ["*   away: gone fishing"]
    bob.send("/invite Client-3")
    cat.send("/join hideout")
    chat.clear()
    cat.send("/whois bob")
    assert cat.lines()[1] == "*   rooms: @hideout"  # from inside, with bob's marks
    cat.send("/whois nobody")
    assert cat.lines() == ["! there is no user called nobody"]
    cat.send("/whois")
    assert cat.lines() == ["! usage: /whois NAME"]


def test_list_lists_rooms_and_names_lists_members_compactly(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    bob.send("/nick bob")
    ann.send("/join dev")
    bob.send("/join dev")
    chat.clear()
    cat.send("/list")
    assert cat.lines() == ["* rooms: lobby (1), dev (2)"]
    cat.send("/names")
    assert cat.lines() == ["* lobby (1): Client-3"]
    cat.send("/names #dev")
    assert cat.lines() == ["* dev (2): bob, @Client-1"]
    cat.send("/names nowhere")
    assert cat.lines() == ["* nobody to list in nowhere"]


def test_a_leading_hash_names_a_room_as_irc_users_write_it(chat: Chat) -> None:
    ann, bob, cat = three(chat)
    bob.send("/nick bob")
    ann.send("/join #dev")
    chat.clear()
    ann.send("/topic #dev ship it")
    assert ann.lines() == ["* Client-1 set the topic of dev: ship it"]
    ann.send("/mode #dev +i")
    assert ann.lines() == ["* Client-1 set mode +i on dev"]
    ann.send("/mode #dev")
    assert ann.lines() == ["* modes of dev: +int"]
    ann.send("/invite bob #dev")
    assert ann.lines() == ["* bob is invited to dev"]
    assert bob.lines() == ["* Client-1 invites you to dev (/join dev)"]
    bob.send("/join #dev")
    assert bob.lines()[0] == "* you are now in dev (2 here)"
    chat.clear()
    cat.send("/who #dev")
    assert cat.lines()[0] == "* 2 users in dev:"
    cat.send("/topic #dev")
    assert cat.lines() == ["* topic of dev: ship it (set by Client-1, 2026-11-21 12:34)"]
    ann.send("/mode +s")
    cat.send("/topic #dev")  # a secret room's topic is no business of outsiders
    assert cat.lines() == ["! there is no room called dev"]


def test_ban_of_a_user_on_the_operators_own_address_asks_for_force(
    operator: tuple[User, User, User],
) -> None:
    ann, _, _ = operator
    twin = ann.chat.connect("10.0.0.1")  # another connection from ann's machine
    twin.send("/nick twin")
    ann.chat.clear()
    ann.send("/ban twin 1")
    assert ann.lines() == [
        "! twin connects from your address (10.0.0.1): the ban would shut you out too;"
        " /ban twin 1 force bans it anyway"
    ]
    assert twin.endpoint.closed is None
    ann.send("/ban 10.0.0.0/24")
    assert ann.lines()[0].startswith("! 10.0.0.0/24 covers your own address (10.0.0.1)")
    ann.send("/ban twin 1 force")
    assert ann.lines()[0] == "* 10.0.0.1 is banned for 1 minute"  # singular
    assert twin.endpoint.closed == "banned by Client-1"
    assert ann.endpoint.closed is None  # the operator's own connection is spared


def test_a_refused_message_is_an_error_line(chat: Chat) -> None:
    # A text user's room made moderated (by an IRC user, say): their messages are
    # refused with the reason, as commands are, and the session goes on.
    ann, bob, _ = three(chat)
    ann.send("/join games")
    bob.send("/join games")
    chat.run(chat.hub.change_modes(ann.member, "games", [ModeChange(True, "m")]))
    chat.clear()
    bob.send("can you hear me?")
    bob.send("//or me?")
    assert bob.lines() == ["! games is moderated: only voiced users speak"] * 2
    assert ann.lines() == []
    ann.send("yes")
    assert bob.lines() == [f"{STAMP} Client-1: yes"]
