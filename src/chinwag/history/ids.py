"""Message ids: sortable, unique, and a cursor into history.

An id is 128 bits written as 26 characters of Crockford's base32 (as a ULID): the first
48 bits are the milliseconds since the Unix epoch, the other 80 a counter that starts at
a random value each millisecond (from a generator seeded once from the system's) and
counts up within it. Ids made by one
:class:`MessageIds` therefore sort in the order they were made, even when the clock
stands still or steps back (the last millisecond is kept until the clock passes it), and
comparing two ids as strings compares them as numbers.

Because the time leads, a timestamp is also a place among ids: :func:`floor` and
:func:`ceiling` are the lowest and highest ids of a millisecond, so history can be cut
by id or by time with one comparison.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 26
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1
_TIME_MAX = (1 << 48) - 1


# Two characters at a time: an id is encoded for every message recorded.
_PAIRS = [high + low for high in ALPHABET for low in ALPHABET]
# What decode() accepts, checked without decoding (Crockford's letters, either case).
_ID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", re.IGNORECASE)


# The leading 50 bits (the time, five pairs) as encoded: ids made in the same millisecond
# share them, so most ids need only their last eight pairs made.
_LEADS: dict[int, str] = {}
_LEADS_KEPT = 4096


def encode(value: int) -> str:
    """``value`` (0 to 2**128 - 1) as 26 base32 characters."""
    pairs = _PAIRS
    lead = _LEADS.get(value >> 80)
    if lead is None:
        if len(_LEADS) >= _LEADS_KEPT:
            _LEADS.clear()
        high = value >> 80
        lead = _LEADS[high] = (
            pairs[high >> 40 & 1023]
            + pairs[high >> 30 & 1023]
            + pairs[high >> 20 & 1023]
            + pairs[high >> 10 & 1023]
            + pairs[high & 1023]
        )
    return "".join(
        (
            lead,
            pairs[value >> 70 & 1023],
            pairs[value >> 60 & 1023],
            pairs[value >> 50 & 1023],
            pairs[value >> 40 & 1023],
            pairs[value >> 30 & 1023],
            pairs[value >> 20 & 1023],
            pairs[value >> 10 & 1023],
            pairs[value & 1023],
        )
    )


# Crockford's digits as int()'s base-32 digits: every replayed message's id is decoded.
_AS_BASE32 = str.maketrans(ALPHABET + ALPHABET.lower(), "0123456789abcdefghijklmnopqrstuv" * 2)


def decode(text: str) -> int:
    """The number an id stands for; ``ValueError`` if ``text`` is not an id."""
    if _ID.fullmatch(text) is None:
        raise ValueError(f"not a message id: {text!r}")
    return int(text.translate(_AS_BASE32), 32)


def is_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def milliseconds(when: datetime) -> int:
    return min(max(round(when.timestamp() * 1000), 0), _TIME_MAX)


def time_of(msgid: str) -> datetime:
    """When the message with this id was recorded (to the millisecond, UTC)."""
    return time_of_value(decode(msgid))


def time_of_value(value: int) -> datetime:
    """When the message with this id (as a number) was recorded (to the millisecond, UTC)."""
    return datetime.fromtimestamp((value >> _RANDOM_BITS) / 1000, UTC)


def floor(when: datetime) -> str:
    """The lowest id of the millisecond of ``when``."""
    return encode(milliseconds(when) << _RANDOM_BITS)


def ceiling(when: datetime) -> str:
    """The highest id of the millisecond of ``when``."""
    return encode(milliseconds(when) << _RANDOM_BITS | _RANDOM_MAX)


class MessageIds:
    """A source of ids, each greater than the last (thread-safe; a lock per id)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        random_bits: Callable[[int], int] | None = None,
    ) -> None:
        self._clock = clock
        # A millisecond's starting count need only keep the ids of different processes
        # apart, not be a secret: a fast generator seeded from the system's, because the
        # system's own (os.urandom) is a system call, which lets go of the interpreter
        # lock while the hub holds its own, on the path of every message.
        self._random_bits = random_bits or random.Random(secrets.randbits(128)).getrandbits
        self._lock = threading.Lock()
        self._last = 0  # the last id made, as a number

    def next(self) -> str:
        """A new id, greater than every id this source made before."""
        return encode(self.next_value())

    def next_value(self) -> int:
        """A new id as a number (:func:`encode` writes it), of the time now by this
        source's clock."""
        return self._after(int(self._clock() * 1000))

    def at_time(self, when: datetime) -> int:
        """A new id as a number for a message made at ``when``: its time leads, so that
        the id alone tells when the message was made, to the millisecond (history keeps
        no other time), unless ids made before are later (the clock stepped back), in
        which case it is one more than the last. What the path of every message pays,
        the writing being left to the history writer's thread."""
        return self._after(round(when.timestamp() * 1_000_000) // 1000)

    def _after(self, now: int) -> int:
        with self._lock:
            if now > self._last >> _RANDOM_BITS and now <= _TIME_MAX:
                # Half the range: a millisecond can take 2**79 more ids before it overflows.
                value = now << _RANDOM_BITS | self._random_bits(_RANDOM_BITS - 1)
            else:
                value = self._last + 1  # same or earlier millisecond: count on from the last
            self._last = value
        return value


# The source the hub takes its ids from unless given one: one per process, so every
# message of a process gets a distinct, increasing id.
PROCESS_IDS = MessageIds()
