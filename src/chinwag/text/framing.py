"""Splitting a byte stream into lines, however TCP cut or merged it.

``LineBuffer.feed(data)`` buffers bytes and returns the complete lines they finish.
Lines end with ``\\n`` (a ``\\r`` before it is dropped) and are decoded as UTF-8 only once
whole, so a character split between two reads is never broken; invalid UTF-8 becomes
U+FFFD, and the line says so (``replaced``) for protocols that tell the sender. A line
longer than the limit is discarded as it streams in (the buffer never holds more than
the limit) and reported once as :class:`LineTooLong`.
"""

from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_MAX_LINE_BYTES = 4096


class Line(NamedTuple):
    """A line received (a named tuple: one is made for every line, in a third of the
    time a frozen dataclass takes)."""

    text: str
    replaced: bool = False  # some bytes were not UTF-8 and became U+FFFD


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line of more than ``limit`` bytes was dropped."""

    limit: int


Frame = Line | LineTooLong


def _decoded(line: bytes) -> Line:
    try:
        return Line(line.decode("utf-8"))
    except UnicodeDecodeError:
        return Line(line.decode("utf-8", "replace"), replaced=True)


class LineBuffer:
    """Incremental line framing with a per-line byte limit."""

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be positive")
        self.max_line_bytes = max_line_bytes
        self._buffer = b""
        self._discarding = False  # inside an over-long line, until its newline

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        if b"\n" in data:
            *complete, rest = (self._buffer + data).split(b"\n")
            self._buffer = b""
            for raw in complete:
                if self._discarding:  # this newline ends a line already reported
                    self._discarding = False
                    continue
                line = raw[:-1] if raw.endswith(b"\r") else raw
                if len(line) > self.max_line_bytes:
                    frames.append(LineTooLong(self.max_line_bytes))
                else:
                    frames.append(_decoded(line))
            data = rest
        if not self._discarding:
            self._buffer += data
            # One byte of slack for the "\r" of a "\r\n" whose "\n" is still to come.
            if len(self._buffer) > self.max_line_bytes + 1:
                self._buffer = b""
                self._discarding = True
                frames.append(LineTooLong(self.max_line_bytes))
        return frames

    @property
    def buffered(self) -> int:
        """How many bytes of an unfinished line are held."""
        return len(self._buffer)
