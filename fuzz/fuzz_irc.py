"""Fuzz target: the IRC message codec, lines in, messages out, and back.

Invariants checked for every input:

* ``parse`` either returns a ``Message`` or raises ``ParseError``, never anything else;
* a parsed message formats to a line with no CR, LF or NUL, and that line parses back to
  the same message (tags, source, command and parameters);
* ``fit_text`` cuts any text into pieces that each fit the room given, in UTF-8 bytes,
  without losing anything but the spaces it breaks at.

Run: ``python fuzz/fuzz_irc.py -atheris_runs=100000`` or ``-max_total_time=60``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["chinwag"]):
    from chinwag.irc.message import Message, ParseError, fit_text, parse


def check_codec(line: str) -> None:
    try:
        message = parse(line)
    except ParseError:
        return
    assert isinstance(message, Message)
    formatted = message.format()
    assert not any(char in formatted for char in "\r\n\0"), formatted
    again = parse(formatted)
    assert again == message, (line, formatted, message, again)


def check_fit(text: str, room: int) -> None:
    pieces = list(fit_text(text, room))
    for piece in pieces:
        assert len(piece.encode("utf-8")) <= max(room, 4), (text, room, piece)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", ""), (text, room, pieces)


def test_one_input(raw: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(raw)
    room = fdp.ConsumeIntInRange(0, 64)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200))
    check_fit(text, room)
    check_codec(fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
