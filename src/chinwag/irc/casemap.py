"""IRC names and the hub's: case-mapping, channel names, nickname rules.

The hub folds names with :meth:`str.casefold` (Unicode-aware), so IRC nicknames and
channel names are compared the same way; the server advertises that as
``CASEMAPPING=rfc7613``, the IRCv3 name for Unicode case-insensitive names, since
``ascii`` would promise that ``Å`` and ``å`` differ and ``rfc1459`` that ``[`` and ``{``
are the same letter, and neither is true here.

IRC channels are hub rooms with a ``#`` in front: ``#lobby`` is the room ``lobby``.
"""

from chinwag.hub import errors, names

CHANNEL_PREFIX = "#"
CASEMAPPING = "rfc7613"
NICKLEN = names.MAX_NAME_LENGTH
CHANNELLEN = names.MAX_NAME_LENGTH + len(CHANNEL_PREFIX)


def fold(name: str) -> str:
    """The key under which a nickname or channel name is unique."""
    return names.fold(name)


def same(one: str, other: str) -> bool:
    return fold(one) == fold(other)


def is_channel(target: str) -> bool:
    return target.startswith(CHANNEL_PREFIX)


def to_room(channel: str) -> str:
    """The hub room of an IRC channel: ``#lobby`` -> ``lobby``."""
    return channel[len(CHANNEL_PREFIX) :] if is_channel(channel) else channel


def to_channel(room: str) -> str:
    """The IRC channel of a hub room: ``lobby`` -> ``#lobby``."""
    return CHANNEL_PREFIX + room


def valid_channel(channel: str) -> bool:
    """Whether ``channel`` names a room the hub could have (``#`` and a room name)."""
    if not is_channel(channel):
        return False
    try:
        names.check_room(to_room(channel))
    except errors.InvalidName:
        return False
    return True
