"""How a line looks in the interactive UI: styled spans, and their ANSI rendering.

:func:`spans` turns a :class:`~chinwag.client.lines.Received` into ``(style, text)``
pairs: the server's timestamp dimmed, each nickname in its own colour, joins and leaves
dimmed (with the local time they arrived), errors red, lines that mention the user in
bold. :func:`wrap` breaks them to the terminal's width with a hanging indent, so the
continuation of a message lines up under its text, not under its timestamp.
:func:`to_ansi` renders spans with SGR codes for printing above the prompt. The text in
spans is already neutralised, so the only escape sequences in the output are the ones
written here.
"""

from __future__ import annotations

import unicodedata

from chinwag.client.colours import nick_colour
from chinwag.client.lines import Kind, Received

Span = tuple[str, str]

_SGR = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "ansired": "31",
    "ansigreen": "32",
    "ansiyellow": "33",
    "ansiblue": "34",
    "ansimagenta": "35",
    "ansicyan": "36",
    "ansibrightred": "91",
    "ansibrightgreen": "92",
    "ansibrightyellow": "93",
    "ansibrightblue": "94",
    "ansibrightmagenta": "95",
    "ansibrightcyan": "96",
}


def mentions(line: Received, own_nick: str) -> bool:
    """Whether ``line`` is someone else's message naming ``own_nick``."""
    return _mentions(line, own_nick) and line.kind in _MESSAGE_KINDS


def calls_for_attention(line: Received, own_nick: str) -> bool:
    """A private message to this user, or a message mentioning them: worth a bell."""
    if line.own:
        return False
    return line.kind is Kind.PRIVATE or mentions(line, own_nick)


_MESSAGE_KINDS = frozenset({Kind.CHAT, Kind.ACTION, Kind.PRIVATE, Kind.WALL})


def _mentions(line: Received, own_nick: str) -> bool:
    """``own_nick`` as a word of the text: "al" is not mentioned by "also"."""
    if not own_nick or line.own:
        return False
    text, nick = line.text.casefold(), own_nick.casefold()
    start = text.find(nick)
    while start >= 0:
        end = start + len(nick)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or after.isalnum() or "_" in (before, after)):
            return True
        start = text.find(nick, start + 1)
    return False


def spans(line: Received, own_nick: str = "") -> list[Span]:  # noqa: PLR0911 - one per kind
    """The styled pieces of ``line`` for a user called ``own_nick``."""
    stamp: Span = ("dim", f"[{line.stamp}] ")
    who = f"{nick_colour(line.nick)} bold"
    text_style = "bold" if _mentions(line, own_nick) else ""
    if line.kind is Kind.CHAT:
        return [stamp, (who, line.nick), ("", ": "), (text_style, line.text)]
    if line.kind is Kind.ACTION:
        return [stamp, ("italic", "* "), (who, line.nick), ("italic", " " + line.text)]
    if line.kind is Kind.PRIVATE:
        arrow: list[Span] = [("dim", "-> ")] if line.own else []
        return [stamp, *arrow, (who, f"*{line.nick}*"), ("", " "), ("ansimagenta", line.text)]
    if line.kind is Kind.WALL:
        return [stamp, ("ansiyellow bold", f"*** Notice from {line.nick}: {line.text}")]
    if line.kind is Kind.PRESENCE:
        return [stamp, ("dim", line.line)] if line.stamp else [("dim", line.line)]
    if line.kind is Kind.ERROR:
        return [("ansired", line.line)]
    return [("", line.line)]


def status(text: str) -> list[Span]:
    """A message from the client itself (not the server), such as a reconnection attempt."""
    return [("ansicyan", f"-- {text}")]


MAX_INDENT_SHARE = 2  # an indent beyond 1/2 of the width leaves too little room: drop it


def cell_width(char: str) -> int:
    """Columns ``char`` takes in a terminal: 2 for wide East Asian, 0 for combining marks."""
    if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def _width(text: str) -> int:
    return sum(cell_width(char) for char in text)


def hanging_indent(pieces: list[Span]) -> int:
    """The column where the last piece's words start: where continuation lines go."""
    if len(pieces) < 2:
        text = pieces[0][1] if pieces else ""
        return 2 if text.startswith(("* ", "! ")) else 0
    body = pieces[-1][1]
    return _width(to_plain(pieces[:-1])) + _width(body) - _width(body.lstrip(" "))


def wrap(pieces: list[Span], width: int) -> list[list[Span]]:
    """``pieces`` broken into rows of at most ``width`` columns, continuations indented.

    Breaks fall after a space where there is one in the row (the space is dropped),
    inside a word only when the word is longer than the row.
    """
    indent = hanging_indent(pieces)
    if indent * MAX_INDENT_SHARE > width:
        indent = 0
    cells = [(style, char) for style, text in pieces for char in text]
    rows: list[list[tuple[str, str]]] = []
    start = 0
    while True:
        room = max(width if not rows else width - indent, 1)
        fit, used = start, 0
        while fit < len(cells) and used + cell_width(cells[fit][1]) <= room:
            used += cell_width(cells[fit][1])
            fit += 1
        if fit == len(cells):
            rows.append(cells[start:])
            break
        space = next((i for i in range(fit, start, -1) if cells[i][1] == " "), None)
        if space is None:  # a word longer than the row: cut it
            rows.append(cells[start : max(fit, start + 1)])
            start = max(fit, start + 1)
        else:
            rows.append(cells[start:space])
            start = space
            while start < len(cells) and cells[start][1] == " ":
                start += 1  # no row starts with the spaces it was broken at
        if start == len(cells):
            break
    if indent:
        rows[1:] = [[("", " " * indent), *row] for row in rows[1:]]
    return [_merge(row) for row in rows]


def _merge(cells: list[tuple[str, str]]) -> list[Span]:
    merged: list[Span] = []
    for style, text in cells:
        if merged and merged[-1][0] == style:
            merged[-1] = (style, merged[-1][1] + text)
        else:
            merged.append((style, text))
    return merged


def to_ansi(pieces: list[Span]) -> str:
    """``pieces`` as one string with SGR colour codes, reset at the end of each piece."""
    out = []
    for style, text in pieces:
        codes = [_SGR[name] for name in style.split() if name in _SGR]
        out.append(f"\x1b[{';'.join(codes)}m{text}\x1b[0m" if codes and text else text)
    return "".join(out)


def to_plain(pieces: list[Span]) -> str:
    return "".join(text for _, text in pieces)
