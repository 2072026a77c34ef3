"""IRC messages: parsing received lines and formatting lines to send, with no I/O.

A line is ``[@tags] [:source] COMMAND [params...] [:trailing]`` (Modern IRC). Received
lines may be at most :data:`MAX_LINE_BYTES` bytes without their tags and ``\\r\\n``, plus
:data:`MAX_CLIENT_TAG_BYTES` of tags; lines sent may have :data:`MAX_TAG_BYTES` of tags
(the client's tags relayed, and the server's own). :class:`Message` is frozen and
validated: one that could not be written as a single line cannot be built, so
:meth:`Message.format` always yields exactly one line. The last parameter gets its ``:``
when it needs one or when ``trailing`` asks for it (servers write free text that way,
and some clients expect it).
Formatting never truncates; callers that relay text split it first (see
:func:`fit_text`), and replies that may run long are cut to size with
:func:`fit_message`. A word a client sent, echoed back in the middle of a reply, goes
through :func:`safe_param`, so an echo can never make a line invalid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_LINE_BYTES = 512  # including the "\r\n", excluding tags
MAX_TAG_BYTES = 8191  # including the "@" and the space after the tags
MAX_CLIENT_TAG_BYTES = 4096  # from a client: 4094 bytes of tags, with "@" and space
MAX_ECHO_BYTES = 200  # longest word of a client's echoed in the middle of a reply
_FORBIDDEN = frozenset("\r\n\0")


def _forbidden_in(value: str) -> bool:
    # Three scans in C: much faster than a Python loop over the characters.
    return "\r" in value or "\n" in value or "\0" in value


_TAG_ESCAPES = {";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n"}
_TAG_UNESCAPES = {"\\:": ";", "\\s": " ", "\\\\": "\\", "\\r": "\r", "\\n": "\n"}


class ParseError(ValueError):
    """A received line is not a valid IRC message: the peer's fault."""


def _check_word(value: str, what: str) -> None:
    if not value or " " in value or _forbidden_in(value):
        raise ValueError(f"invalid {what}: {value!r}")


@dataclass(frozen=True, slots=True)
class Message:
    """One IRC message. ``params`` are all parameters; only the last may hold spaces."""

    command: str
    params: tuple[str, ...] = ()
    source: str = ""
    tags: tuple[tuple[str, str], ...] = field(default=())
    trailing: bool = field(default=False, compare=False)  # write the last with ":" anyway

    def __post_init__(self) -> None:
        # Any word: an unknown command (``NO_SUCH_COMMAND``) is answered with 421.
        _check_word(self.command, "command")
        if self.command[0] in ":@":
            raise ValueError(f"invalid command: {self.command!r}")
        if self.source:
            _check_word(self.source, "source")
        for key, value in self.tags:
            _check_word(key, "tag name")
            if any(char in "=;" for char in key) or "\0" in value:
                raise ValueError(f"invalid tag: {key!r}")
        for index, param in enumerate(self.params):
            if _forbidden_in(param):
                raise ValueError(f"a parameter holds a line break or NUL: {param!r}")
            middle = index < len(self.params) - 1
            if middle and (not param or " " in param or param.startswith(":")):
                raise ValueError(
                    f"only the last parameter may be empty, hold spaces or start with ':': "
                    f"{param!r}"
                )

    @property
    def verb(self) -> str:
        """The command in upper case, as handlers are registered."""
        return self.command.upper()

    def format(self) -> str:
        """The line, without ``\\r\\n``."""
        parts: list[str] = []
        if self.tags:
            parts.append("@" + ";".join(_format_tag(key, value) for key, value in self.tags))
        if self.source:
            parts.append(":" + self.source)
        parts.append(self.command)
        if self.params:
            *middle, last = self.params
            parts.extend(middle)
            needs_colon = self.trailing or not last or " " in last or last.startswith(":")
            parts.append(":" + last if needs_colon else last)
        return " ".join(parts)

    def encode(self) -> bytes:
        return (self.format() + "\r\n").encode("utf-8")


def format_tag(key: str, value: str) -> str:
    """``key=value`` as a tag is written, the value escaped (``key`` alone if empty)."""
    return _format_tag(key, value)


def _format_tag(key: str, value: str) -> str:
    if not value:
        return key
    return key + "=" + "".join(_TAG_ESCAPES.get(char, char) for char in value)


def _unescape_tag(value: str) -> str:
    out: list[str] = []
    chars = iter(range(len(value)))
    for index in chars:
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            pair = value[index : index + 2]
            out.append(_TAG_UNESCAPES.get(pair, value[index + 1]))
            next(chars, None)
        elif char != "\\":  # a lone backslash at the end is dropped
            out.append(char)
    return "".join(out)


def parse(line: str) -> Message:
    """The message in one received line (without its line end)."""
    rest = line.lstrip(" ")
    tags: tuple[tuple[str, str], ...] = ()
    if rest.startswith("@"):
        raw_tags, _, rest = rest[1:].partition(" ")
        tags = tuple(_parse_tag(item) for item in raw_tags.split(";") if item)
        rest = rest.lstrip(" ")
    source = ""
    if rest.startswith(":"):
        source, _, rest = rest[1:].partition(" ")
        rest = rest.lstrip(" ")
    command, _, rest = rest.partition(" ")
    params: list[str] = []
    trailing = False
    rest = rest.lstrip(" ")
    while rest:
        if rest.startswith(":"):
            params.append(rest[1:])
            trailing = True
            break
        param, _, rest = rest.partition(" ")
        params.append(param)
        rest = rest.lstrip(" ")
    try:
        return Message(command, tuple(params), source, tags, trailing)
    except ValueError as exc:
        raise ParseError(str(exc)) from exc


def _parse_tag(item: str) -> tuple[str, str]:
    key, _, value = item.partition("=")
    return key, _unescape_tag(value)


def fit_text(text: str, room: int) -> Iterator[str]:
    """``text`` in pieces of at most ``room`` UTF-8 bytes, never splitting a character.

    Pieces break at the last space that fits when there is one, so words stay whole.
    """
    room = max(room, 4)  # the longest UTF-8 character must always fit
    while len(text.encode("utf-8")) > room:
        cut = len(text.encode("utf-8")[:room].decode("utf-8", "ignore"))
        space = text.rfind(" ", 0, cut)
        if space > cut // 2:
            cut = space
        yield text[:cut]
        text = text[cut:].lstrip(" ") if space > 0 and cut == space else text[cut:]
    if text:
        yield text


def safe_param(value: str) -> str:
    """``value`` if it can be a middle parameter, else ``*`` (as servers echo a bad word).

    A middle parameter is one non-empty word that does not start with ``:``; a client's
    ``NICK :a b`` asks for a nick that cannot be written back in the middle of a 432.
    """
    if (
        value
        and value[0] != ":"
        and " " not in value
        and not _forbidden_in(value)
        and (len(value) * 4 <= MAX_ECHO_BYTES or len(value.encode("utf-8")) <= MAX_ECHO_BYTES)
    ):
        return value
    return "*"


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    if len(text) * 4 <= limit:  # no character is longer than 4 bytes
        return text
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", "ignore")


def line_fits(line: str) -> bool:
    """Whether ``line`` (formatted, without tags) and its ``\r\n`` fit in 512 bytes."""
    if line.startswith("@"):
        line = line.partition(" ")[2]
    return len(line) * 4 + 2 <= MAX_LINE_BYTES or len(line.encode("utf-8")) + 2 <= MAX_LINE_BYTES


def fit_message(message: Message) -> Message:
    """``message`` with its last parameter shortened so its line fits in 512 bytes.

    Tags do not count (they have their own limit). A message that would not fit even with
    an empty last parameter is a bug of the caller, reported as :class:`ValueError`.
    """
    if not message.params or line_fits(message.format()):
        return message
    bare = Message(message.command, message.params, message.source, trailing=True)
    excess = len(bare.encode()) - MAX_LINE_BYTES
    if excess <= 0:
        return message
    last = message.params[-1]
    room = len(last.encode("utf-8")) - excess
    if room < 0:
        raise ValueError(f"a {message.command} line would not fit in {MAX_LINE_BYTES} bytes")
    params = (*message.params[:-1], truncate_bytes(last, room))
    return Message(message.command, params, message.source, message.tags, trailing=True)
