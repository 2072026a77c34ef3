"""Pages: how the SQLite store keeps many records of one conversation in one row.

A row per message costs SQLite a b-tree insertion and a record to build for every
message, several microseconds each, paid by the server for every line said. A page
holds up to :data:`PAGE_RECORDS` consecutive records of one conversation, oldest first,
as one text, in one of two layouts. Each record has seven fields: the id (in
hexadecimal), the time (microseconds since the epoch, UTC), the sender, the target, the
text, the flags (:data:`ACTION`, :data:`NOTICE`) and the sender's user@host. Whether a
record is private is its conversation's business.

- **By record** (:func:`page`): the records separated by RS (``\\x1e``), each record's
  fields by US (``\\x1f``). Pages written again (merged, or cut by retention) and pages
  of records another server told are kept so.
- **By column** (:func:`columns`, the writer's pages of the hub's messages): FS
  (``\\x1c``), then six columns separated by US, each column's values separated by RS:
  the ids, the senders, the targets, the texts, the flags (one character a record, no
  separator), the user@hosts. The ids column holds the first id, then each other's
  difference from the one before it, in hexadecimal (mostly ``0x1``: ids made in the same
  millisecond count up). The targets column is a single value when every
  record has the same target (a room's pages). The times are not kept: a message's id leads
  with the millisecond it was made at (:meth:`~chinwag.history.ids.MessageIds.at_time`),
  which is its time in history. Each column is one ``join`` in C, so a message costs the
  writer no Python code of its own.
- Pages by column written before ids told the time begin with GS (``\\x1d``) and hold
  seven columns: the ids, the times (the first record's in microseconds since the
  epoch, then every other record's microseconds after it), the senders, the targets
  (one value each), the texts, the flags and the user@hosts. They are read as written.

Neither separator can be in what the hub relays: its events refuse every C0 control
but tab (:mod:`chinwag.hub.cleaning`) in every field but the user@host, the server's
own. Pages check for them where that is not so: a page by record whose fields held one
(a record another server told) is packed again with each such character replaced by
U+FFFD, and :func:`columns` refuses messages whose user@host holds one
(``ValueError``), which are then kept by record. :func:`entries` reads every layout as
the records' entries by record, so a page always splits back into the records it was
made of.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate, islice, repeat

from chinwag.history import ids
from chinwag.history.store import Pending, Record
from chinwag.hub.events import RoomMessage

RS = "\x1e"  # between records
US = "\x1f"  # between a record's fields
FS = "\x1c"  # first in a page kept by column, its times in its ids
GS = "\x1d"  # first in a page kept by column with a column of times (read only)
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


def entries(text: str, part: slice | None = None) -> list[str]:
    """A page's packed records, oldest first (of any layout), or ``part`` of them
    (a slice of that list; only those are unpacked); ``ValueError`` if it is by column
    and its columns do not hold the same number of values."""
    if text.startswith(FS):
        return _by_column(text, part)
    if not text.startswith(GS):
        found = text.split(RS)
        return found if part is None else found[part]
    packed = text[1:].split(US)
    if len(packed) != FIELDS:
        raise ValueError("a page's columns are damaged")
    flags = packed[5]
    split = [column.split(RS) for column in packed[:5] + packed[6:]]
    if any(len(values) != len(flags) for values in split):
        raise ValueError("a page's columns are damaged")
    msgids, times, senders, targets, texts, userhosts = split
    first = int(times[0])
    times[0] = "0"
    if part is not None:
        msgids, times, senders, targets, texts, userhosts = (
            values[part] for values in (msgids, times, senders, targets, texts, userhosts)
        )
        flags = flags[part]
    at_us = list(map(str, map(operator.add, map(int, times), repeat(first))))
    return list(
        map(US.join, zip(msgids, at_us, senders, targets, texts, flags, userhosts, strict=True))
    )


Columns = tuple[list[str], list[str], list[str], list[str], str, list[str]]


def _split(text: str) -> Columns:
    """The columns of a page by column whose times are in its ids, each split into its
    values: ids (as kept: the first, then differences), senders, targets (one value
    for a page of one target), texts, flags (a string) and user@hosts; ``ValueError``
    if they do not hold the same number of values."""
    packed = text[1:].split(US)
    if len(packed) != FIELDS - 1:
        raise ValueError("a page's columns are damaged")
    flags = packed[4]
    count = len(flags)
    msgids, senders, targets, texts, userhosts = (
        column.split(RS) for column in packed[:4] + packed[5:]
    )
    if any(len(values) != count for values in (msgids, senders, texts, userhosts)) or (
        len(targets) not in (1, count)
    ):
        raise ValueError("a page's columns are damaged")
    return msgids, senders, targets, texts, flags, userhosts


def _numbers(msgids: list[str]) -> list[int]:
    """The ids of a column of ids as kept (the first, then differences), as numbers."""
    return list(accumulate(map(int, msgids[1:], repeat(16)), initial=int(msgids[0], 16)))


def _by_column(text: str, part: slice | None) -> list[str]:
    """:func:`entries` of a page by column whose times are in its ids."""
    msgids, senders, targets, texts, flags, userhosts = _split(text)
    if len(targets) == 1:
        targets = targets * len(flags)  # one target for every record
    numbers = _numbers(msgids)
    if part is not None:
        numbers = numbers[part]
        senders, targets, texts, userhosts = (
            values[part] for values in (senders, targets, texts, userhosts)
        )
        flags = flags[part]
    # The id's leading 48 bits are its millisecond (chinwag.history.ids).
    milliseconds = map(operator.rshift, numbers, repeat(80))
    at_us = map(str, map(operator.mul, milliseconds, repeat(1000)))
    return list(
        map(
            US.join,
            zip(map(hex, numbers), at_us, senders, targets, texts, flags, userhosts, strict=True),
        )
    )


def numbers(text: str) -> list[int]:
    """The ids of a page's records, oldest first, as numbers (of any layout)."""
    if text.startswith(FS):
        return _numbers(text[1 : text.index(US)].split(RS))
    return list(map(entry_id, entries(text)))


def without_oldest(text: str, count: int) -> str:
    """The page ``text`` without its oldest ``count`` records (fewer than it holds): by
    column, with its times in its ids, if it was so (what retention leaves of a page of
    the hub's reads as fast as the page did), else by record; ``ValueError`` if its
    columns do not hold the same number of values."""
    if not text.startswith(FS):
        return RS.join(entries(text)[count:])
    msgids, senders, targets, texts, flags, userhosts = _split(text)
    first = sum(map(int, msgids[: count + 1], repeat(16)))  # the first id kept
    return FS + US.join(
        (
            RS.join((hex(first), *msgids[count + 1 :])),
            RS.join(senders[count:]),
            targets[0] if len(targets) == 1 else RS.join(targets[count:]),
            RS.join(texts[count:]),
            flags[count:],
            RS.join(userhosts[count:]),
        )
    )


def last_entry(text: str) -> str:
    """The newest of a page's packed records."""
    return entries(text, slice(-1, None))[0]


_MSGID = operator.attrgetter("msgid")
_SENDER = operator.attrgetter("sender")
_ROOM = operator.attrgetter("room")
_RECIPIENT = operator.attrgetter("recipient")
_TEXT = operator.attrgetter("text")
_ACTION = operator.attrgetter("action")
_NOTICE = operator.attrgetter("notice")
_USERHOST = operator.attrgetter("userhost")


class _Hexes(dict[int, str]):
    """``hex`` of numbers, those below 1,024 made once: nearly every id differs from
    the one before it by a few (ids made in the same millisecond count up)."""

    def __missing__(self, number: int) -> str:
        return hex(number)


_HEXES = _Hexes((number, hex(number)) for number in range(1024))


def columns(
    messages: Sequence[Pending],
    numbers: Sequence[int] | None = None,
    target: str | None = None,
    *,
    plain: bool = False,
) -> str:
    """The page, by column, of the records of ``messages`` (the hub's, of one
    conversation, ascending ids, each made from its message's time; at least one);
    ``ValueError`` if a user@host holds a separator (the events refuse control
    characters in every other field). ``numbers``, their ids, and ``target``, the room
    of them all, spare a pass over the messages where the caller has them, and
    ``plain``, known that none is an action or a notice, the passes that look.
    Every step is a ``map`` or a ``join`` over a column: this runs for every message said.
    """
    count = len(messages)
    room = isinstance(messages[0], RoomMessage)  # else private: never an action
    if target is not None:  # a room's page: its one target once
        where = target
    else:
        targets = list(map(_ROOM if room else _RECIPIENT, messages))
        target = targets[0]
        where = target if targets.count(target) == count else RS.join(targets)
    if not plain and ((room and any(map(_ACTION, messages))) or any(map(_NOTICE, messages))):
        notices = list(map(_NOTICE, messages))
        actions = map(_ACTION, messages) if room else repeat(0)
        bits = map(operator.add, actions, map(operator.add, notices, notices))
        flags = "".join(map(FLAGS.__getitem__, bits))
    else:
        flags = "0" * count
    # A user@host is the server's own (a user's name and a cloak), not checked by the
    # event: the only column that is.
    userhosts = RS.join(map(_USERHOST, messages))
    if US in userhosts or userhosts.count(RS) != count - 1:
        raise ValueError("a record's fields hold a separator")
    if numbers is None:
        numbers = list(map(_MSGID, messages))
    deltas = map(operator.sub, islice(numbers, 1, None), numbers)
    msgids = RS.join((hex(numbers[0]), *map(_HEXES.__getitem__, deltas)))
    senders = RS.join(map(_SENDER, messages))
    texts = RS.join(map(_TEXT, messages))
    return FS + US.join((msgids, senders, where, texts, flags, userhosts))


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
