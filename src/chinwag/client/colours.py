"""A colour per nickname that stays the same across lines, sessions and machines.

The colour is chosen by a CRC-32 of the case-folded name, not by :func:`hash`, whose
value changes from one run of Python to the next. Names differing only in case are the
same user on the server, so they get the same colour.
"""

from __future__ import annotations

import zlib

# Readable on dark and light backgrounds alike; no black, white, grey or the red of errors.
PALETTE = (
    "ansigreen",
    "ansiyellow",
    "ansiblue",
    "ansimagenta",
    "ansicyan",
    "ansibrightgreen",
    "ansibrightyellow",
    "ansibrightblue",
    "ansibrightmagenta",
    "ansibrightcyan",
)


def nick_colour(nick: str) -> str:
    """The palette colour of ``nick`` (a prompt_toolkit colour name)."""
    return PALETTE[zlib.crc32(nick.casefold().encode("utf-8")) % len(PALETTE)]
