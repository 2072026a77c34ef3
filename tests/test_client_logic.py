"""Unit tests of the client's sans-I/O parts: no sockets, no terminal."""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinwag.client.backoff import Backoff
from chinwag.client.colours import PALETTE, nick_colour
from chinwag.client.command import build_parser, options_from
from chinwag.client.completion import COMMANDS, complete
from chinwag.client.lines import Kind, Received, classify
from chinwag.client.link import describe
from chinwag.client.options import ClientOptions, UsageError, split_target
from chinwag.client.outgoing import Intent, Outgoing, interpret
from chinwag.client.safety import neutralise
from chinwag.client.state import MAX_NICKS_SEEN, ClientState
from chinwag.client.tui import open_history
from chinwag.client.view import calls_for_attention, cell_width, spans, to_ansi, to_plain, wrap
from chinwag.text.session import COMMANDS as SERVER_COMMANDS
from tests.client_support import SRC

UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# --- neutralising ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, Ґанок і їжак", "plain text, Ґанок і їжак"),
        ("\x1b[2J", "^[[2J"),
        ("a\x1b]0;title\x07b", "a^[]0;title^Gb"),
        ("del\x7f", "del^?"),
        ("csi\x9b6n", "csi<U+009B>6n"),
        ("\u202eevil", "<U+202E>evil"),
        ("line\u2028break", "line<U+2028>break"),
        ("tab\tkept", "tab\tkept"),
        ("nul\x00", "nul^@"),
    ],
)
def test_neutralise_makes_controls_visible(raw: str, shown: str) -> None:
    assert neutralise(raw) == shown


@given(st.text())
def test_neutralised_text_has_no_control_characters(text: str) -> None:
    assert not UNSAFE.search(neutralise(text))


# --- classifying received lines ----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "nick", "text"),
    [
        ("[12:34:56] Олена: привіт: як ти?", Kind.CHAT, "Олена", "привіт: як ти?"),
        ("[12:34:56] * Олена махає рукою", Kind.ACTION, "Олена", "махає рукою"),
        (
            "[12:34:56] *Олена* секрет * з зірочками *",
            Kind.PRIVATE,
            "Олена",
            "секрет * з зірочками *",
        ),
        ("[12:34:56] *** Notice from op: restart at 5", Kind.WALL, "op", "restart at 5"),
        ("* bob joined the chat", Kind.PRESENCE, "bob", "bob joined the chat"),
        ("* bob joined kitchen", Kind.PRESENCE, "bob", "bob joined kitchen"),
        ("* bob left the chat (bye: all)", Kind.PRESENCE, "bob", "bob left the chat (bye: all)"),
        ("* bob left kitchen", Kind.PRESENCE, "bob", "bob left kitchen"),
        ("* bob is now known as робот", Kind.PRESENCE, "bob", "bob is now known as робот"),
        ("* you are now known as bob", Kind.NOTICE, "", "you are now known as bob"),
        ("* 2 users in lobby:", Kind.NOTICE, "", "2 users in lobby:"),
        (
            "*   bob - connected 12:00:00, idle 0s",
            Kind.NOTICE,
            "",
            "  bob - connected 12:00:00, idle 0s",
        ),
        ("! the name bob is taken", Kind.ERROR, "", "the name bob is taken"),
        ("something else", Kind.OTHER, "", "something else"),
        ("[not a stamp] x: y", Kind.OTHER, "", "[not a stamp] x: y"),
    ],
)
def test_classify_tells_the_line_shapes_apart(line: str, kind: Kind, nick: str, text: str) -> None:
    received = classify(line)
    assert (received.kind, received.nick, received.text, received.line) == (kind, nick, text, line)


def test_classify_neutralises_every_field() -> None:
    received = classify("[12:00:00] evil: \x1b[2Jgone")
    assert received.kind is Kind.CHAT
    assert received.text == "^[[2Jgone"
    assert "\x1b" not in received.line


def test_a_message_line_cannot_be_built_without_its_sender() -> None:
    with pytest.raises(ValueError, match="needs a stamp and a nick"):
        Received(Kind.CHAT, "[12:00:00] : hi", "12:00:00", "", "hi")


# --- interpreting typed lines ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "intent", "wire", "target", "text"),
    [
        ("   ", Intent.NOTHING, "", "", ""),
        ("привіт усім ", Intent.SAY, "привіт усім", "", "привіт усім"),
        ("//slash at the start", Intent.SAY, "//slash at the start", "", "/slash at the start"),
        ("exit", Intent.QUIT, "exit", "", ""),
        ("EXIT", Intent.QUIT, "EXIT", "", ""),
        ("/exit", Intent.QUIT, "/exit", "", ""),
        ("/Quit time for tea", Intent.QUIT, "/Quit time for tea", "", "time for tea"),
        ("/me waves", Intent.ACTION, "/me waves", "", "waves"),
        ("/me", Intent.COMMAND, "/me", "", ""),
        ("/msg Олена  таємниця ", Intent.PRIVATE, "/msg Олена  таємниця", "Олена", "таємниця"),
        ("/tell bob hi", Intent.PRIVATE, "/tell bob hi", "bob", "hi"),
        ("/msg bob", Intent.COMMAND, "/msg bob", "", ""),
        ("/who", Intent.COMMAND, "/who", "", ""),
        ("two\nlines", Intent.SAY, "two lines", "", "two lines"),
    ],
)
def test_interpret(typed: str, intent: Intent, wire: str, target: str, text: str) -> None:
    assert interpret(typed) == Outgoing(intent, wire, target, text)


def test_an_outgoing_line_cannot_carry_a_line_break() -> None:
    with pytest.raises(ValueError, match="line break"):
        Outgoing(Intent.SAY, "a\nb", text="a")


# --- the protocol state ------------------------------------------------------------------

TRANSCRIPT = (
    "* Welcome to chinwag, Client-7! You are in lobby.\r\n"
    "* Choose a name with /nick NAME; /help lists the commands.\r\n"
    "* you are now known as Олена\r\n"
    "* Client-8 joined the chat\r\n"
    "* Client-8 is now known as Богдан\r\n"
    "[10:00:00] Богдан: привіт\r\n"
    "* you are now in kitchen (2 here)\r\n"
).encode()


def _lines(state: ClientState, data: bytes) -> list[str]:
    return [r.line for r in state.receive_data(data)]


def test_state_frames_whole_bytewise_and_with_a_trailing_partial_line() -> None:
    whole = _lines(ClientState(), TRANSCRIPT)
    assert len(whole) == 7
    bytewise = ClientState()
    assert [
        line for i in range(len(TRANSCRIPT)) for line in _lines(bytewise, TRANSCRIPT[i : i + 1])
    ] == whole
    trailing = ClientState()
    assert _lines(trailing, TRANSCRIPT + "[10:00:01] Бог".encode()) == whole
    assert _lines(trailing, "дан: ще\r\n".encode()) == ["[10:00:01] Богдан: ще"]


def test_state_learns_its_nick_room_and_the_others() -> None:
    state = ClientState()
    state.receive_data(TRANSCRIPT)
    assert (state.nick, state.generated_nick, state.room) == ("Олена", "Client-7", "kitchen")
    assert state.nicks_seen == ["Богдан"]
    state.receive_data(b"* zed joined kitchen\r\n[10:00:02] *tom* hi\r\n")
    assert state.nicks_seen == ["tom", "zed", "Богдан"]
    state.receive_data("* Богдан left the chat (gone)\r\n* zed is now known as Zed2\r\n".encode())
    assert state.nicks_seen == ["Zed2", "tom"]


def test_state_remembers_a_bounded_number_of_nicks() -> None:
    state = ClientState()
    state.receive_data(
        b"".join(f"* n{i} joined the chat\r\n".encode() for i in range(MAX_NICKS_SEEN + 5))
    )
    seen = state.nicks_seen
    assert len(seen) == MAX_NICKS_SEEN
    assert seen[0] == f"n{MAX_NICKS_SEEN + 4}"
    assert "n0" not in seen


def test_invalid_utf8_and_over_long_lines_do_not_break_the_state() -> None:
    state = ClientState()
    assert _lines(state, b"[10:00:00] x: \xff\xfe\r\n") == ["[10:00:00] x: \ufffd\ufffd"]
    received = state.receive_data(b"x" * (70 * 1024) + b"\r\n! after\r\n")
    assert [r.kind for r in received] == [Kind.ERROR, Kind.ERROR]
    assert received[1].line == "! after"


def test_after_reconnecting_the_name_and_room_are_asked_back() -> None:
    state = ClientState()
    state.receive_data(TRANSCRIPT)
    assert state.take_outgoing() == []
    state.reset_connection()
    assert state.take_outgoing() == []  # not before the new server has greeted us
    state.receive_data(b"* Welcome to chinwag, Client-1! You are in lobby.\r\n")
    assert state.take_outgoing() == ["/nick Олена", "/join kitchen"]
    assert state.take_outgoing() == []


def test_a_generated_name_in_the_lobby_needs_no_restoring() -> None:
    state = ClientState()
    state.receive_data(b"* Welcome to chinwag, Client-3! You are in lobby.\r\n")
    state.reset_connection()
    state.receive_data(b"* Welcome to chinwag, Client-4! You are in lobby.\r\n")
    assert state.take_outgoing() == []


GREETING = (
    b"* Welcome to chinwag, Client-1! You are in lobby.\r\n"
    b"* Choose a name with /nick NAME; /help lists the commands.\r\n"
)


def test_asking_for_a_name_hides_the_greetings_hint_once() -> None:
    state = ClientState()
    assert state.ask_nick("Олена") == "/nick Олена"
    assert _lines(state, GREETING) == ["* Welcome to chinwag, Client-1! You are in lobby."]
    hint = "* Choose a name with /nick NAME; /help lists the commands."
    assert _lines(state, f"{hint}\r\n".encode()) == [hint]  # asked for again: shown


@pytest.mark.parametrize(
    "hint",
    [
        "* choose a nickname with /nick NAME",
        "*  Choose a name with /nick <name> (or /help)",
        "* CHOOSE A NAME WITH /NICK NAME; /help lists the commands.",
    ],
)
def test_the_hidden_hint_is_matched_loosely(hint: str) -> None:
    state = ClientState()
    state.ask_nick("bob")
    assert _lines(state, f"{hint}\r\n".encode()) == []


def test_without_asking_for_a_name_the_hint_is_shown() -> None:
    assert len(_lines(ClientState(), GREETING)) == 2


def test_a_name_restored_after_reconnecting_hides_the_hint_too() -> None:
    state = ClientState()
    state.receive_data(TRANSCRIPT)
    state.reset_connection()
    assert len(_lines(state, GREETING)) == 1


def test_joins_leaves_and_renames_get_the_local_time() -> None:
    state = ClientState()
    now = datetime(2026, 1, 2, 11, 5, 58)
    received = state.receive_data(
        b"* bob joined the chat\r\n* bob is now known as zed\r\n* zed left kitchen\r\n"
        b"* you are now known as x\r\n[10:00:00] zed: hi\r\n",
        now,
    )
    assert [r.stamp for r in received] == ["11:05:58"] * 3 + ["", "10:00:00"]
    assert received[0].line == "* bob joined the chat"  # the server's line is unchanged


def test_away_is_learnt_from_the_server_and_asked_back_after_reconnecting() -> None:
    state = ClientState()
    state.receive_data(GREETING + b"* you are marked away: lunch, back at 2\r\n")
    assert state.away == "lunch, back at 2"
    state.reset_connection()
    state.receive_data(GREETING)
    assert state.take_outgoing() == ["/away lunch, back at 2"]
    state.receive_data(b"* you are marked away: lunch, back at 2\r\n")
    state.receive_data(b"* you are no longer marked away\r\n")
    assert state.away == ""
    state.reset_connection()
    state.receive_data(GREETING)
    assert state.take_outgoing() == []


@pytest.mark.parametrize(
    ("farewell", "rejoin", "refused"),
    [
        ("* server shutting down", True, False),
        ("* You sent too much too fast (excess flood)", True, True),
        ("! Server is full (3 clients); try again later", True, True),
        ("* You were kicked by op: spam", False, True),
        ("* You were banned by op", False, True),
        ("* Wrong password", False, True),
        ("! You are banned from this server until 12:00", False, True),
    ],
)
def test_the_farewell_is_remembered(farewell: str, rejoin: bool, refused: bool) -> None:
    state = ClientState()
    state.receive_data(f"{farewell}\r\n".encode())
    assert state.farewell == farewell[2:]
    assert state.may_rejoin is rejoin
    assert state.refused is refused
    assert not state.said_goodbye


def test_the_goodbye_to_quit_is_noticed_and_forgotten_on_reconnecting() -> None:
    state = ClientState()
    state.receive_data(b"* Welcome to chinwag, Client-1! You are in lobby.\r\n")
    assert state.heard and not state.said_goodbye
    state.receive_data(b"* Goodbye, Client-1!\r\n")
    assert state.said_goodbye and not state.refused
    state.reset_connection()
    assert not state.said_goodbye and not state.heard


@pytest.mark.parametrize("first", [b"\x15\x03\x01\x00\x02\x02\x46", b"\x16\x03\x03\x00\x4a\x02"])
def test_tls_records_mean_the_server_speaks_tls_and_are_never_shown(first: bytes) -> None:
    state = ClientState()
    assert state.receive_data(first) == []
    assert state.speaks_tls
    assert state.receive_data(b"\r\nmore\r\n") == []


def test_plain_text_is_no_tls_record() -> None:
    state = ClientState()
    assert [line.line for line in state.receive_data(b"\x16 odd but plain\r\n")]
    assert not state.speaks_tls


def test_local_echo_has_the_servers_line_shapes() -> None:
    state = ClientState()
    state.receive_data(TRANSCRIPT)
    now = datetime(2024, 1, 1, 9, 5, 7)
    say = state.echo(interpret("привіт \x1b[2J"), now)
    assert say is not None and say.own
    assert (say.kind, say.line) == (Kind.CHAT, "[09:05:07] Олена: привіт ^[[2J")
    action = state.echo(interpret("/me waves"), now)
    assert action is not None and action.line == "[09:05:07] * Олена waves"
    private = state.echo(interpret("/msg Богдан psst"), now)
    assert private is not None and private.line == "[09:05:07] -> *Богдан* psst"
    assert state.echo(interpret("/who"), now) is None


# --- completion --------------------------------------------------------------------------

NICKS = ["Богдан", "Богдана", "bob", "Олена"]


def test_commands_complete_at_the_start_of_a_line() -> None:
    found = complete("/j", NICKS)
    assert (found.word, found.candidates) == ("/j", ("/join ",))
    assert set(complete("/", NICKS).candidates) == {f"/{c} " for c in COMMANDS}


def test_nicks_complete_ignoring_case_addressing_at_the_start() -> None:
    assert complete("бог", NICKS).candidates == ("Богдан: ", "Богдана: ")
    assert complete("hi бог", NICKS).candidates == ("Богдан ", "Богдана ")
    assert complete("/msg Ол", NICKS).candidates == ("Олена ",)
    assert complete("bo", NICKS, own_nick="BOB").candidates == ()


def test_nothing_completes_in_other_command_arguments_or_on_nothing() -> None:
    assert complete("/join bo", NICKS).candidates == ()
    assert complete("/msg bob tex", NICKS).candidates == ()
    assert complete("", NICKS).candidates == ()
    assert complete("hello ", NICKS).candidates == ()


def test_every_server_command_completes() -> None:
    assert set(COMMANDS) == set(SERVER_COMMANDS)


# --- backoff -----------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    schedule = Backoff(first=1, factor=2, cap=30, jitter=0).delays()
    assert [next(schedule) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff_jitter_stays_within_its_fraction() -> None:
    backoff = Backoff(first=1, factor=2, cap=30, jitter=0.1)
    assert backoff.delay(3, lambda low, high: high) == pytest.approx(4.4)
    assert backoff.delay(3, lambda low, high: low) == pytest.approx(3.6)


def test_a_long_outage_cannot_overflow_the_schedule() -> None:
    assert Backoff(first=1, factor=1e10, cap=60, jitter=0).delay(10_000) == 60


@pytest.mark.parametrize(
    "kwargs", [{"first": 0}, {"first": 40, "cap": 30}, {"factor": 0.5}, {"jitter": 1}]
)
def test_backoff_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)


# --- colours and the view ----------------------------------------------------------------


def test_a_nick_keeps_its_colour_whatever_its_case() -> None:
    assert nick_colour("Олена") == nick_colour("олена") == nick_colour("ОЛЕНА")
    assert nick_colour("Олена") in PALETTE


def test_nick_colours_spread_over_the_palette() -> None:
    assert len({nick_colour(f"user{i}") for i in range(200)}) == len(PALETTE)


def test_a_nick_has_the_same_colour_in_every_process() -> None:
    code = "from chinwag.client.colours import nick_colour; print(nick_colour('Олена'))"
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": SRC},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == nick_colour("Олена")


@pytest.mark.parametrize(
    "line",
    [
        "[12:00:00] Олена: привіт",
        "[12:00:00] * Олена махає",
        "[12:00:00] *Олена* psst",
        "[12:00:00] *** Notice from op: restart",
        "* bob joined the chat",
        "* 2 users in lobby:",
        "! no such user",
        "other",
    ],
)
def test_the_view_shows_the_line_as_received(line: str) -> None:
    assert to_plain(spans(classify(line))) == line


def test_the_view_colours_nicks_dims_presence_and_marks_mentions() -> None:
    chat = spans(classify("[12:00:00] bob: hi Олена"), own_nick="олена")
    assert (f"{nick_colour('bob')} bold", "bob") in chat
    assert ("bold", "hi Олена") in chat
    assert spans(classify("* bob joined the chat")) == [("dim", "* bob joined the chat")]
    assert spans(classify("! oops")) == [("ansired", "! oops")]


def _wrapped(line: str, width: int) -> list[str]:
    return [to_plain(row) for row in wrap(spans(classify(line)), width)]


def test_long_lines_wrap_under_their_text_not_under_the_time() -> None:
    line = "[11:05:58] alice: the quick brown fox jumps over the lazy dog and then some"
    assert _wrapped(line, 40) == [
        "[11:05:58] alice: the quick brown fox",
        "                  jumps over the lazy",
        "                  dog and then some",
    ]
    assert _wrapped("[11:05:58] * alice waves at everyone here today", 40) == [
        "[11:05:58] * alice waves at everyone",
        "                   here today",
    ]


def test_wrapping_keeps_every_word_and_every_style() -> None:
    line = classify("[11:05:58] bob: hi Олена, " + "слово " * 30)
    pieces = spans(line, own_nick="олена")
    rows = wrap(pieces, 50)
    assert all(len(to_plain(row)) <= 50 for row in rows)
    assert " ".join(to_plain(row).strip() for row in rows).split() == to_plain(pieces).split()
    assert all(style == "bold" for row in rows[1:] for style, text in row if text.strip())


@pytest.mark.parametrize(
    ("line", "width", "rows"),
    [
        ("[11:05:58] a: hi", 80, ["[11:05:58] a: hi"]),
        ("[11:05:58] a: " + "x" * 30, 26, ["[11:05:58] a:", "x" * 26, "xxxx"]),  # no room to indent
        (  # wide characters take two columns
            "[11:05:58] a: 漢字 漢字 漢字 漢字",
            30,
            ["[11:05:58] a: 漢字 漢字 漢字", "              漢字"],
        ),
        ("* a long notice from the server", 20, ["* a long notice from", "  the server"]),
        ("", 10, [""]),
    ],
)
def test_wrapping_edge_cases(line: str, width: int, rows: list[str]) -> None:
    assert _wrapped(line, width) == rows


@given(st.text(alphabet=st.sampled_from("ab ю漢\u0301"), max_size=200), st.integers(2, 90))
def test_wrapping_keeps_every_character_and_fits_the_width(text: str, width: int) -> None:
    pieces = spans(classify(f"[11:05:58] bob: {text}"))
    rows = wrap(pieces, width)
    assert all(sum(cell_width(c) for c in to_plain(row)) <= width for row in rows)
    kept = "".join(to_plain(row) for row in rows).replace(" ", "")
    assert kept == to_plain(pieces).replace(" ", "")


def test_private_messages_and_mentions_call_for_attention() -> None:
    def calls(line: str) -> bool:
        return calls_for_attention(classify(line), "Олена")

    assert calls("[12:00:00] bob: hi олена")
    assert calls("[12:00:00] *bob* psst")
    assert calls("[12:00:00] * bob waves at Олена")
    assert not calls("[12:00:00] bob: hi all")
    assert not calls("[12:00:00] bob: Оленаю, not a mention")
    assert calls("[12:00:00] bob: Олена: yes, and @олена!")
    assert not calls("* Олена joined the chat")
    assert not calls("* you are now known as Олена")


def test_joins_show_the_time_they_arrived() -> None:
    state = ClientState()
    [joined] = state.receive_data(b"* bob joined the chat\r\n", datetime(2026, 1, 1, 9, 8, 7))
    assert to_plain(spans(joined)) == "[09:08:07] * bob joined the chat"


def test_ansi_rendering_writes_only_colour_codes() -> None:
    rendered = to_ansi(spans(classify("[12:00:00] bob: \x1b[2J")))
    assert re.sub(r"\x1b\[[0-9;]*m", "", rendered) == "[12:00:00] bob: ^[[2J"


# --- options and errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "port", "expected"),
    [
        (None, None, ("127.0.0.1", 8089)),
        ("chat.local", None, ("chat.local", 8089)),
        ("chat.local", 9000, ("chat.local", 9000)),
        ("chat.local:9001", None, ("chat.local", 9001)),
        ("[::1]:9002", None, ("::1", 9002)),
        ("[::1]", 9003, ("::1", 9003)),
        ("::1", None, ("::1", 8089)),
    ],
)
def test_split_target(target: str | None, port: int | None, expected: tuple[str, int]) -> None:
    assert split_target(target, port) == expected


@pytest.mark.parametrize(
    ("target", "port", "message"),
    [
        ("host:1", 2, "not both"),
        ("host:http", None, "must be a number"),
        ("[::1", None, "cannot read"),
    ],
)
def test_split_target_errors(target: str, port: int | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        split_target(target, port)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"port": 0}, "1-65535"), ({"port": 70000}, "1-65535"), ({"nick": "a b"}, "spaces")],
)
def test_client_options_are_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ClientOptions(**kwargs)  # type: ignore[arg-type]


def test_socket_errors_are_described_in_a_few_words() -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert describe(refused) == "connection refused"
    assert describe(TimeoutError()) == "timed out"
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert describe(unknown) == "name or service not known"


def test_passwords_never_reach_the_history_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history"
    history = open_history(path)
    for line in ("/op hunter2", "/PASS sesame", "/who", "привіт"):
        history.append_string(line)
    stored = path.read_text("utf-8")
    assert "+/who" in stored and "+привіт" in stored
    assert "hunter2" not in stored and "sesame" not in stored
    assert path.stat().st_mode & 0o077 == 0


# --- the command line ----------------------------------------------------------------------


def test_connect_help_describes_environment_keys_and_exit_codes() -> None:
    text = " ".join(build_parser().format_help().split())
    for needed in ("CHINWAG_PASSWORD", "NO_COLOR", "XDG_DATA_HOME", "--no-bell", "Ctrl-D", "Tab"):
        assert needed in text
    for code, meaning in [(0, "you left"), (1, "could not start"), (2, "lost"), (3, "refused")]:
        assert re.search(rf"\b{code} [^.()]*{meaning}", text), code


def test_command_line_options() -> None:
    parser = build_parser()
    plain = options_from(parser.parse_args(["chat.lan:9000"]), {"CHINWAG_PASSWORD": "s3cret"})
    assert (plain.host, plain.port, plain.bell, plain.password) == (
        "chat.lan",
        9000,
        True,
        "s3cret",
    )
    quiet = options_from(parser.parse_args(["--no-bell", "--tls-ca", "ca.pem"]), {})
    assert (quiet.bell, quiet.tls, quiet.tls_ca, quiet.password) == (False, True, "ca.pem", "")
    with pytest.raises(UsageError, match="not both"):
        options_from(parser.parse_args(["h:1", "--port", "2"]), {})
