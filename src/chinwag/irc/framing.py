"""Splitting received bytes into IRC lines, and the size rules for them.

Lines end with ``\\n`` (``\\r\\n`` from well-behaved clients). A line may hold
:data:`~chinwag.irc.message.MAX_CLIENT_TAG_BYTES` of tags (IRCv3 message-tags: 4094
bytes, with the ``@`` and the space after them) plus
:data:`~chinwag.irc.message.MAX_LINE_BYTES` of the rest; anything longer is dropped as it
streams in, so the buffer never grows past that, and reported as :class:`LineTooLong`.
"""

from chinwag.irc.message import MAX_CLIENT_TAG_BYTES, MAX_LINE_BYTES
from chinwag.text.framing import Line, LineBuffer, LineTooLong

MAX_RECEIVED_BYTES = MAX_CLIENT_TAG_BYTES + MAX_LINE_BYTES - 2  # "\r\n" is not counted


def too_long(line: str) -> bool:
    """Whether a line (already under the total limit) breaks the 512-byte rule."""
    body = line
    if body.startswith("@"):
        tags, _, body = body.partition(" ")
        if len(tags.encode("utf-8")) + 1 > MAX_CLIENT_TAG_BYTES:
            return True
    return len(body.encode("utf-8")) > MAX_LINE_BYTES - 2


def line_buffer() -> LineBuffer:
    return LineBuffer(MAX_RECEIVED_BYTES)


__all__ = ["Line", "LineBuffer", "LineTooLong", "line_buffer", "too_long"]
