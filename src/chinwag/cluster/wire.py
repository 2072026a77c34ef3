"""The log's two hot commands in Redis's wire format: ``XADD`` batches out, ``XREAD`` in.

Theory of operation: every message a user says costs one ``XADD`` on its node and one
``XREAD`` entry on every node, so these two skip the client library's per-command
machinery (argument checks, a connection taken from a pool and given back, reply
callbacks that build dicts) and speak RESP on a connection the caller owns: a command
is packed here as bytes (the parts of an ``XADD`` that never change are packed once, by
:class:`Appends`), sent as one write for a whole batch, and the raw ``XREAD`` reply is
turned into entries by :func:`entries`, whichever RESP version the connection speaks
(RESP2 gives a list of ``[stream, entries]``, RESP3 a map). Pure functions: no sockets.
Replies are parsed by the connection's own parser (hiredis when installed).
"""

from __future__ import annotations

from typing import Any

Entries = list[tuple[str, dict[bytes, bytes]]]


def bulk(value: bytes) -> bytes:
    """One argument of a command, as a RESP bulk string."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


def pack(*args: bytes) -> bytes:
    """One command as RESP: an array of bulk strings."""
    return b"*%d\r\n" % len(args) + b"".join(map(bulk, args))


# A batch of appends is one transaction (see :meth:`chinwag.cluster.link.Link._write`).
MULTI = pack(b"MULTI")
EXEC = pack(b"EXEC")


class Appends:
    """One node's ``XADD`` commands to the log: ``XADD stream MAXLEN ~ maxlen *`` and the
    fields node, sequence number and operation (``names``: the fields' names)."""

    def __init__(
        self, stream: bytes, maxlen: int, node: bytes, names: tuple[bytes, bytes, bytes]
    ) -> None:
        node_name, sequence_name, operation_name = names
        fixed = (b"XADD", stream, b"MAXLEN", b"~", b"%d" % maxlen, b"*", node_name, node)
        # 12 arguments; all but the last four are the same for every entry, packed once.
        self._head = b"*12\r\n" + b"".join(map(bulk, fixed)) + bulk(sequence_name)
        self._operation = bulk(operation_name)

    def command(self, sequence: int, operation: bytes) -> bytes:
        number = b"%d" % sequence
        return b"%s$%d\r\n%s\r\n%s$%d\r\n%s\r\n" % (
            self._head,
            len(number),
            number,
            self._operation,
            len(operation),
            operation,
        )


def xread(stream: bytes, after: str, count: int, block_ms: int) -> bytes:
    """``XREAD COUNT count BLOCK block_ms STREAMS stream after``."""
    return pack(
        b"XREAD", b"COUNT", b"%d" % count, b"BLOCK", b"%d" % block_ms, b"STREAMS", stream,
        after.encode(),
    )  # fmt: skip


def entries(reply: Any) -> Entries:
    """The entries of a raw ``XREAD`` reply of one stream (none when it timed out)."""
    if not reply:
        return []
    if isinstance(reply, dict):  # RESP3: {stream: entries}
        (found,) = reply.values()
    else:  # RESP2: [[stream, entries]]
        found = reply[0][1]
    out: Entries = []
    for entry_id, fields in found:
        ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        out.append((ident, dict(zip(fields[::2], fields[1::2], strict=True))))
    return out
