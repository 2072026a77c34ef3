"""Pages: how the SQLite store keeps many records of one conversation in one row.

A row per message costs SQLite a b-tree insertion and a record to build for every
message, several microseconds each, paid by the server for every line said. A page
holds up to :data:`PAGE_RECORDS` consecutive records of one conversation, oldest first,
as one text: the records are separated by RS (``\\x1e``) and each record's fields by US
(``\\x1f``): the id (in hexadecimal), the time (microseconds since the epoch, UTC),
the sender, the target, the text, the flags (:data:`ACTION`, :data:`NOTICE`) and the
sender's user@host. Whether a record is private is its conversation's business.

Neither separator can be in what the hub relays (it refuses every C0 control but tab:
:mod:`chinwag.hub.cleaning`), so packing is one ``join`` per record. :func:`page` checks the
count of separators all the same, and a page whose fields held one (a record another
server told) is packed again with each such character replaced by U+FFFD: a page
always splits back into the records it was made of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from chinwag.history import ids
from chinwag.history.store import Record

RS = "\x1e"  # between records
US = "\x1f"  # between a record's fields
PAGE_RECORDS = 256
ACTION, NOTICE = 1, 2
FIELDS = 7

# A record's fields, packed: id, microseconds, sender, target, text, flags, user@host.
Row = tuple[int, int, str, str, str, int, str]
FLAGS = ("0", "1", "2", "3")  # the flags as packed, by their value

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_REPLACEMENT = str.maketrans({RS: "\ufffd", US: "\ufffd"})


def row_of(record: Record) -> Row:
    """The fields of ``record`` as a page keeps them."""
    return (
        ids.decode(record.msgid),
        (record.time - _EPOCH) // _MICROSECOND,
        record.sender,
        record.target,
        record.text,
        record.action * ACTION | record.notice * NOTICE,
        record.userhost,
    )


def pack(row: Row) -> str:
    """A record's entry in a page."""
    msgid, at_us, sender, target, text, flags, userhost = row
    return US.join((f"{msgid:x}", str(at_us), sender, target, text, FLAGS[flags], userhost))


def page(entries: Sequence[str], rows: Sequence[Row] | None = None) -> str:
    """The page of packed ``entries`` (:func:`pack` each); ``rows``, the rows they
    were packed from, lets a page whose fields held a separator be packed again safely
    (without them, it is made from :func:`clean` rows by the caller)."""
    text = RS.join(entries)
    if text.count(US) == (FIELDS - 1) * len(entries) and text.count(RS) == len(entries) - 1:
        return text
    if rows is None or len(rows) != len(entries):
        raise ValueError("a record's fields hold a separator")
    return RS.join([pack(clean(row)) for row in rows])


def clean(row: Row) -> Row:
    """``row`` with every separator in its text fields replaced."""
    msgid, at_us, sender, target, text, flags, userhost = row
    return (
        msgid,
        at_us,
        sender.translate(_REPLACEMENT),
        target.translate(_REPLACEMENT),
        text.translate(_REPLACEMENT),
        flags,
        userhost.translate(_REPLACEMENT),
    )


def entries(text: str) -> list[str]:
    """A page's packed records, oldest first."""
    return text.split(RS)


def entry_id(entry: str) -> int:
    """The id of a packed record, as a number."""
    return int(entry[: entry.index(US)], 16)


def record(entry: str, private: bool) -> Record:
    """The record a packed entry holds."""
    msgid, at_us, sender, target, text, flags, userhost = entry.split(US)
    bits = int(flags)
    return Record(
        ids.encode(int(msgid, 16)),
        _EPOCH + timedelta(microseconds=int(at_us)),
        sender,
        target,
        text,
        private,
        bool(bits & ACTION),
        bool(bits & NOTICE),
        userhost,
    )
