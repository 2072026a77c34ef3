"""Errors a user's command can run into.

Each one is the *user's* fault (a name taken, a nick that does not exist) and carries a
message meant for that user. Front ends turn them into an error line (text protocol) or a
numeric (IRC) by class, so every distinct situation has its own class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chinwag.hub.bans import Ban


class ChatError(Exception):
    """A command could not be carried out; ``str(error)`` is the message for the user."""


class InvalidName(ChatError):
    """A nickname or room name breaks the naming rules."""


class NameInUse(ChatError):
    """Somebody else already uses that nickname."""


class ReservedName(ChatError):
    """That nickname is kept for the server or for generated client names."""


class NoSuchUser(ChatError):
    """No connected user has that nickname."""


class NotInRoom(ChatError):
    """The user is not in the room the command needs."""


class AlreadyInRoom(ChatError):
    """The user is in that room already."""


class NotOperator(ChatError):
    """The command is for operators only."""


class NoOperators(ChatError):
    """No operator password is configured on this server."""


class WrongPassword(ChatError):
    """The operator password did not match."""


class TryAgainLater(ChatError):
    """A password was not checked: too soon after a wrong one, or the server is busy."""

    def __init__(self, message: str, seconds: int) -> None:
        super().__init__(message)
        self.seconds = seconds


class Banned(ChatError):
    """The connection's address is banned from the server (``ban`` says until when)."""

    def __init__(self, message: str, ban: Ban) -> None:
        super().__init__(message)
        self.ban = ban


class BadArguments(ChatError):
    """The command's arguments are missing or malformed."""


class NoSuchRoom(ChatError):
    """No room has that name."""


class SecretRoom(NoSuchRoom):
    """The room is secret and the user is outside it: to them it is not there, though
    protocols whose clients expect it may say they are not in it. ``room`` names it."""

    def __init__(self, message: str, room: str) -> None:
        super().__init__(message)
        self.room = room


class RoomFull(ChatError):
    """The room has as many members as its limit allows."""


class InviteOnly(ChatError):
    """The room admits only invited users."""


class BannedFromRoom(ChatError):
    """A ban mask of the room matches the user."""


class WrongRoomKey(ChatError):
    """The room has a key and the user gave another (or none)."""


class TooManyRooms(ChatError):
    """The user is in as many rooms as one member may be in."""


class BanListFull(ChatError):
    """The room's ban list holds as many masks as a room may have."""


class TooManyRoomsOnServer(ChatError):
    """The server has as many rooms as it may have, so no new one can be made."""


class NotRoomOperator(ChatError):
    """The command is for the room's operators only."""


class CannotSend(ChatError):
    """The room does not take messages from this user now (moderated, banned, outside)."""


class TargetNotInRoom(ChatError):
    """The user the command names is not in that room."""


class AlreadyInvited(ChatError):
    """The invited user is in the room already."""


class UnknownMode(ChatError):
    """The room has no setting with that letter; ``letter`` says which (IRC's 472)."""

    def __init__(self, message: str, letter: str) -> None:
        super().__init__(message)
        self.letter = letter


class MissingModeArgument(BadArguments):
    """A mode that takes an argument was given none (``letter`` says which)."""

    def __init__(self, message: str, letter: str) -> None:
        super().__init__(message)
        self.letter = letter


class WouldBanYourself(BadArguments):
    """A ban on ``target`` would cover the operator's own ``address`` (because ``nick``,
    if not empty, connects from it too); it is set only when they insist."""

    def __init__(self, message: str, target: str, nick: str, address: str) -> None:
        super().__init__(message)
        self.target = target
        self.nick = nick
        self.address = address


class InvalidModeArgument(BadArguments):
    """A mode's argument is malformed (a key with a comma, a limit that is no number).

    ``letter`` and ``argument`` say which, for front ends that name them (IRC's 696).
    """

    def __init__(self, message: str, letter: str, argument: str) -> None:
        super().__init__(message)
        self.letter = letter
        self.argument = argument
