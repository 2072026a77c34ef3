"""How a line looks in the interactive UI: styled spans, and their ANSI rendering.

:func:`spans` turns a :class:`~chinwag.client.lines.Received` into ``(style, text)``
pairs: the server's timestamp dimmed, each nickname in its own colour, joins and leaves
dimmed, errors red, lines that mention the user in bold. :func:`to_ansi` renders spans
with SGR codes for printing above the prompt. The text in spans is already neutralised,
so the only escape sequences in the output are the ones written here.
"""

from __future__ import annotations

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


def _mentions(line: Received, own_nick: str) -> bool:
    return bool(own_nick) and not line.own and own_nick.casefold() in line.text.casefold()


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
        return [("dim", line.line)]
    if line.kind is Kind.ERROR:
        return [("ansired", line.line)]
    return [("", line.line)]


def status(text: str) -> list[Span]:
    """A message from the client itself (not the server), such as a reconnection attempt."""
    return [("ansicyan", f"-- {text}")]


def to_ansi(pieces: list[Span]) -> str:
    """``pieces`` as one string with SGR colour codes, reset at the end of each piece."""
    out = []
    for style, text in pieces:
        codes = [_SGR[name] for name in style.split() if name in _SGR]
        out.append(f"\x1b[{';'.join(codes)}m{text}\x1b[0m" if codes and text else text)
    return "".join(out)


def to_plain(pieces: list[Span]) -> str:
    return "".join(text for _, text in pieces)
