"""The IRC commands: a registry of small handlers, and the replies they share.

Each handler gets the session and the parsed message (its parameter count already
checked against ``min_params``), calls the protocol-neutral actions
(:mod:`chinwag.actions`) or the hub, and renders what comes back as numerics and
deliveries added to the session. A :class:`~chinwag.hub.errors.ChatError` that escapes
a handler becomes the numeric of its class (:func:`report`), about the channel or nick
the message named; handlers that act on lists (``JOIN #a,#b``) report each item's
failure themselves, so one bad item does not stop the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chinwag import __version__, actions
from chinwag.hub import errors, masks, modes
from chinwag.hub.events import BecameOperator, ClientTags, Delivery, Disconnected, to
from chinwag.hub.hub import Member, RoomView
from chinwag.hub.visibility import Seen
from chinwag.irc import casemap
from chinwag.irc import numerics as rpl
from chinwag.irc.limits import AWAYLEN, KICKLEN, MAX_LIST_MASKS, MAX_TARGETS, MODES, TOPICLEN
from chinwag.irc.message import MAX_LINE_BYTES, Message, safe_param, truncate_bytes
from chinwag.text.sanitize import clean

if TYPE_CHECKING:
    from chinwag.irc.session import IrcSession

Handler = Callable[["IrcSession", Message], None]

# Offered capabilities and their CAP LS 302 values (none of these has one; sasl, offered
# apart, has). Each is honoured: cap-notify trivially (the set never changes while the
# server runs, so no CAP NEW/DEL); those that change how events look by the session's
# formatter (irc/format.py); labeled-response by the session (irc/labels.py).
CAPABILITIES: dict[str, str] = {
    "away-notify": "",
    "batch": "",
    "cap-notify": "",
    "draft/chathistory": "",  # its clients ask for history: none replayed on JOIN
    "echo-message": "",
    "extended-join": "",
    "invite-notify": "",
    "labeled-response": "",
    "message-tags": "",
    "multi-prefix": "",
    "server-time": "",
    "setname": "",
    "userhost-in-names": "",
}
CHATHISTORY = "draft/chathistory"
REALNAME_LENGTH = 100  # characters, as USER keeps them
STATUSMSG = "@+"  # PRIVMSG @#room: to its operators; +#room: to its voiced users too
VERSION = f"chinwag-{__version__}"
USER_MODES = "Bio"  # B: a bot (BOT=B)
CHANNEL_MODES = "biklmnostv"
CHANNEL_MODES_WITH_ARGUMENT = "bklov"
ISUPPORT = (
    f"AWAYLEN={AWAYLEN}",
    f"CASEMAPPING={casemap.CASEMAPPING}",
    f"CHANMODES={modes.LISTS},{modes.KEYED},{modes.SET_WITH_ARGUMENT},{modes.FLAGS}",
    f"CHANNELLEN={casemap.CHANNELLEN}",
    f"CHANTYPES={casemap.CHANNEL_PREFIX}",
    f"KICKLEN={KICKLEN}",
    f"MAXLIST=b:{modes.MAX_BANS}",
    f"MODES={MODES}",
    "NETWORK=chinwag",
    f"NICKLEN={casemap.NICKLEN}",
    "BOT=B",
    "PREFIX=(ov)@+",
    f"STATUSMSG={STATUSMSG}",
    "ELIST=MNU",
    # NAMES:1 as Ergo: a list still gets each channel's NAMES, ended one by one, where
    # an unlimited NAMES would promise one 366 for the whole list.
    f"TARGMAX=PRIVMSG:{MAX_TARGETS},NOTICE:{MAX_TARGETS},TAGMSG:{MAX_TARGETS},JOIN:,PART:,"
    f"KICK:1,WHOIS:1,WHOWAS:1,NAMES:1,LIST:{MAX_LIST_MASKS}",
    f"TOPICLEN={TOPICLEN}",
    # Received bytes that are not UTF-8 are replaced where they enter (U+FFFD), so
    # nothing else is ever relayed.
    "UTF8ONLY",
    "WHOX",
)
ISUPPORT_PER_LINE = 13
WHOX_FIELDS = "tcuihsnfdlaor"  # the order of a 354 reply's fields


def isupport(max_rooms_per_member: int, history_max: int = 100) -> tuple[str, ...]:
    """The ISUPPORT tokens, with this server's limits on channels per user and on the
    messages of one ``CHATHISTORY`` answer."""
    return tuple(
        sorted(
            (
                *ISUPPORT,
                f"CHANLIMIT={casemap.CHANNEL_PREFIX}:{max_rooms_per_member}",
                *chathistory_isupport(history_max),
            )
        )
    )


def chathistory_isupport(history_max: int) -> tuple[str, str]:
    """What ``draft/chathistory`` clients need to know (see :mod:`chinwag.irc.chathistory`)."""
    return (f"CHATHISTORY={history_max}", "MSGREFTYPES=timestamp,msgid")


# IRC formatting (colour, bold, ...) would reach text users as control characters.
_IRC_COLOUR = re.compile(r"\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04[0-9a-fA-F]{0,6}")


def clean_text(text: str) -> str:
    """Received text without IRC formatting or control characters (CTCP markers too)."""
    return clean(_IRC_COLOUR.sub("", text))


def client_tags(session: IrcSession, message: Message) -> ClientTags:
    """The client-only tags (``+name``) of ``message`` to relay with it: none unless its
    sender negotiated ``message-tags``; the last of a repeated name; values cleaned of
    control characters as text is, since clients show some (``+draft/react``)."""
    if not message.tags or "message-tags" not in session.capabilities:
        return ()
    found = {name: clean(value) for name, value in message.tags if client_tag_name(name)}
    return tuple(found.items())


def client_tag_name(name: str) -> bool:
    """Whether ``name`` is a client-only tag's name as IRCv3 writes it: ``+``, perhaps a
    vendor (a host name) and ``/``, then letters, digits and ``-``. Others are dropped,
    not relayed: a name is shown by some clients, and cannot be cleaned as text is."""
    if name[:1] != "+" or not name.isascii():
        return False
    vendor, slash, key = name[1:].rpartition("/")
    if not key or not key.replace("-", "").isalnum():
        return False
    return not slash or (bool(vendor) and vendor.replace("-", "").replace(".", "").isalnum())


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    min_params: int
    registered: bool  # only after registration


COMMANDS: dict[str, Command] = {}


def command(
    name: str, *, min_params: int = 0, registered: bool = True
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, handler, min_params, registered)
        return handler

    return register


# --- errors ------------------------------------------------------------------------------

_ERRORS: dict[type[errors.ChatError], tuple[str, str, str]] = {
    # error class: (numeric, what it is about: "nick", "channel", "both", "" ; text)
    errors.NoSuchUser: (rpl.ERR_NOSUCHNICK, "nick", "No such nick/channel"),
    errors.NoSuchRoom: (rpl.ERR_NOSUCHCHANNEL, "channel", "No such channel"),
    errors.NotInRoom: (rpl.ERR_NOTONCHANNEL, "channel", "You're not on that channel"),
    # As servers answer TOPIC for a secret channel from outside.
    errors.SecretRoom: (rpl.ERR_NOTONCHANNEL, "channel", "You're not on that channel"),
    errors.CannotSend: (rpl.ERR_CANNOTSENDTOCHAN, "channel", "Cannot send to channel"),
    errors.RoomFull: (rpl.ERR_CHANNELISFULL, "channel", "Cannot join channel (+l)"),
    errors.TooManyRooms: (rpl.ERR_TOOMANYCHANNELS, "channel", "You have joined too many channels"),
    errors.TooManyRoomsOnServer: (
        rpl.ERR_UNAVAILRESOURCE,
        "channel",
        "Cannot create channel: the server has too many",
    ),
    errors.InviteOnly: (rpl.ERR_INVITEONLYCHAN, "channel", "Cannot join channel (+i)"),
    errors.BannedFromRoom: (rpl.ERR_BANNEDFROMCHAN, "channel", "Cannot join channel (+b)"),
    errors.WrongRoomKey: (rpl.ERR_BADCHANNELKEY, "channel", "Cannot join channel (+k)"),
    errors.NotRoomOperator: (rpl.ERR_CHANOPRIVSNEEDED, "channel", "You're not channel operator"),
    errors.TargetNotInRoom: (rpl.ERR_USERNOTINCHANNEL, "both", "They aren't on that channel"),
    errors.AlreadyInvited: (rpl.ERR_USERONCHANNEL, "both", "is already on channel"),
    errors.NameInUse: (rpl.ERR_NICKNAMEINUSE, "nick", "Nickname is already in use"),
    errors.ReservedName: (rpl.ERR_ERRONEUSNICKNAME, "nick", "Erroneous nickname"),
    errors.NotOperator: (rpl.ERR_NOPRIVILEGES, "", "Permission Denied- You're not an IRC operator"),
    errors.NoOperators: (rpl.ERR_NOOPERHOST, "", "No O-lines for your host"),
    errors.WrongPassword: (rpl.ERR_PASSWDMISMATCH, "", "Password incorrect"),
}


def report(
    session: IrcSession,
    error: errors.ChatError,
    message: Message,
    *,
    nick: str = "",
    channel: str = "",
) -> None:
    """The numeric for ``error``, about the nick or channel named (or the message's first)."""
    first = message.params[0] if message.params else "*"
    channel = channel or (first if casemap.is_channel(first) else "*")
    nick = nick or first
    if isinstance(error, errors.AlreadyInRoom):
        return  # JOIN of a channel one is in is ignored, as servers do
    if isinstance(error, errors.InvalidName):
        if casemap.is_channel(channel) and channel != "*":
            session.numeric(rpl.ERR_NOSUCHCHANNEL, channel, "No such channel")
        else:
            session.numeric(rpl.ERR_ERRONEUSNICKNAME, nick, "Erroneous nickname")
        return
    if isinstance(error, errors.UnknownMode):
        session.numeric(rpl.ERR_UNKNOWNMODE, error.letter, "is unknown mode char to me")
        return
    if isinstance(error, errors.InvalidModeArgument):
        mode = error.letter
        session.numeric(rpl.ERR_INVALIDMODEPARAM, channel, mode, error.argument, str(error))
        return
    if isinstance(error, errors.BadArguments):
        session.numeric(rpl.ERR_NEEDMOREPARAMS, message.verb, "Not enough parameters")
        return
    if isinstance(error, errors.TryAgainLater):
        session.numeric(rpl.RPL_TRYAGAIN, message.verb, "Please wait a while and try again")
        return
    code, about, text = _ERRORS.get(type(error), (rpl.ERR_UNKNOWNCOMMAND, "", str(error)))
    subjects = {"nick": (nick,), "channel": (channel,), "both": (nick, channel), "": ()}[about]
    session.numeric(code, *subjects, text)


def _word_list(session: IrcSession, code: str, params: tuple[str, ...], words: list[str]) -> None:
    """Numerics ``code`` with ``params`` and then ``words``, as many a line as fit."""
    head = " ".join((session.server.name, code, safe_param(session.me), *params))
    overhead = len(f":{head} :".encode()) + 2
    line: list[str] = []
    size = overhead
    for word in words:
        length = len(word.encode()) + 1
        if line and size + length > MAX_LINE_BYTES:
            session.numeric(code, *params, " ".join(line))
            line, size = [], overhead
        line.append(word)
        size += length
    if line:
        session.numeric(code, *params, " ".join(line))


def _targets(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


def _distinct_targets(text: str) -> list[str]:
    """The targets of a message, each once (the first spelling of each folded name): a
    line that names one target four times reaches it once, not four times a line."""
    first: dict[str, str] = {}
    for item in _targets(text):
        first.setdefault(casemap.fold(item), item)
    return list(first.values())


# --- connection ----------------------------------------------------------------------------


@command("PING", min_params=1, registered=False)
def _ping(session: IrcSession, message: Message) -> None:
    server = session.server.name
    session.send(Message("PONG", (server, message.params[0]), server, trailing=True))


@command("PONG", registered=False)
def _pong(session: IrcSession, message: Message) -> None:
    """Receiving anything already counts as an answer to the server's ping."""


@command("QUIT", registered=False)
def _quit(session: IrcSession, message: Message) -> None:
    reason = clean_text(message.params[0]) if message.params else ""
    farewell = f"Quit: {reason}" if reason else "Client Quit"
    # Out of the hub before the socket closes: whoever sees the connection end finds the
    # nick free and WHOWAS knowing it (the connection's own leaving then finds it gone).
    session.add(session.hub.remove(session.member, farewell))
    session.leave(farewell)


# --- channels ------------------------------------------------------------------------------


@command("JOIN", min_params=1)
def _join(session: IrcSession, message: Message) -> None:
    if message.params[0] == "0":
        for room in list(session.member.rooms.values()):
            _part_one(session, message, casemap.to_channel(room), "")
        return
    keys = message.params[1].split(",") if len(message.params) > 1 else []
    for index, channel in enumerate(_targets(message.params[0])):
        key = keys[index] if index < len(keys) else ""
        if not casemap.valid_channel(channel):
            session.numeric(rpl.ERR_NOSUCHCHANNEL, channel, "No such channel")
            continue
        # Clients that ask for history themselves (draft/chathistory) are not replayed it.
        replay = CHATHISTORY not in session.capabilities
        try:
            entered = actions.join(
                session.hub, session.member, casemap.to_room(channel), key, replay=replay
            )
        except errors.ChatError as error:
            report(session, error, message, channel=channel)
            continue
        session.send(_own_join(session, casemap.to_channel(entered.name)))
        session.add(entered.deliveries)
        if entered.view is not None:
            if entered.view.topic:
                _topic_reply(session, entered.view)
            _names_reply(session, entered.view)
        if entered.replay:
            session.add(entered.replay)


def _own_join(session: IrcSession, channel: str) -> Message:
    """The joiner's own JOIN, extended (no account: ``*``) as others see it if asked."""
    if "extended-join" not in session.capabilities:
        return Message("JOIN", (channel,), session.source)
    realname = session.member.realname or session.member.nick
    return Message("JOIN", (channel, "*", realname), session.source, trailing=True)


@command("PART", min_params=1)
def _part(session: IrcSession, message: Message) -> None:
    reason = clean_text(message.params[1]) if len(message.params) > 1 else ""
    for channel in _targets(message.params[0]):
        _part_one(session, message, channel, reason)


def _part_one(session: IrcSession, message: Message, channel: str, reason: str) -> None:
    try:
        left = actions.part(session.hub, session.member, casemap.to_room(channel), reason)
    except errors.NoSuchRoom:
        session.numeric(rpl.ERR_NOSUCHCHANNEL, channel, "No such channel")
        return
    except errors.NotInRoom as error:
        if casemap.is_channel(channel):
            report(session, error, message, channel=channel)
        else:
            session.numeric(rpl.ERR_NOSUCHCHANNEL, channel, "No such channel")
        return
    name = casemap.to_channel(left.name)
    session.send(Message("PART", (name, reason) if reason else (name,), session.source))
    session.add(left.deliveries)


@command("TOPIC", min_params=1)
def _topic(session: IrcSession, message: Message) -> None:
    channel = message.params[0]
    room = casemap.to_room(channel)
    if len(message.params) > 1:
        topic = truncate_bytes(clean_text(message.params[1]), TOPICLEN)
        session.add(session.hub.set_topic(session.member, room, topic))
        return
    view = actions.visible_room(session.hub, session.member, room)
    if view.topic:
        _topic_reply(session, view)
    else:
        session.numeric(rpl.RPL_NOTOPIC, casemap.to_channel(view.name), "No topic is set")


def _topic_reply(session: IrcSession, view: RoomView) -> None:
    channel = casemap.to_channel(view.name)
    session.numeric(rpl.RPL_TOPIC, channel, truncate_bytes(view.topic, TOPICLEN))
    if view.topic_at is not None:
        stamp = str(int(view.topic_at.timestamp()))
        session.numeric(rpl.RPL_TOPICWHOTIME, channel, view.topic_by, stamp)


def _names_reply(session: IrcSession, view: RoomView) -> None:
    channel = casemap.to_channel(view.name)
    # Whom this user may see is the hub's decision: nobody, for a secret room outside.
    seen = session.hub.who(session.member, view.name)
    entries = [_marks(session, entry.marks) + _names_entry(session, entry) for entry in seen]
    if entries:
        symbol = "@" if view.secret else "="
        _word_list(session, rpl.RPL_NAMREPLY, (symbol, channel), entries)
    session.numeric(rpl.RPL_ENDOFNAMES, channel, "End of /NAMES list")


def _marks(session: IrcSession, marks: str) -> str:
    """All of a member's marks for ``multi-prefix`` clients, else only the highest."""
    return marks if "multi-prefix" in session.capabilities else marks[:1]


def _names_entry(session: IrcSession, entry: Seen) -> str:
    if "userhost-in-names" in session.capabilities:
        return f"{entry.nick}!{entry.username}@{entry.host}"
    return entry.nick


@command("NAMES")
def _names(session: IrcSession, message: Message) -> None:
    if not message.params:
        session.numeric(rpl.RPL_ENDOFNAMES, "*", "End of /NAMES list")
        return
    for channel in _targets(message.params[0]):
        try:
            view = session.hub.room(casemap.to_room(channel))
        except errors.ChatError:
            session.numeric(rpl.RPL_ENDOFNAMES, channel, "End of /NAMES list")
            continue
        _names_reply(session, view)


@command("LIST")
def _list(session: IrcSession, message: Message) -> None:
    """Channels with members, those this user may see; ``LIST >n``/``<n`` (ELIST=U)
    keeps those with more or fewer users than n, ``LIST #c*`` those whose name matches
    the mask (ELIST=M) and ``LIST !#c*`` those whose name does not (ELIST=N)."""
    names_wanted: set[str] = set()
    # Each mask is matched against every room, so a list holds each mask once, and at
    # most MAX_LIST_MASKS of them (as TARGMAX says; more are ignored).
    wanted_masks: dict[str, None] = {}
    unwanted_masks: dict[str, None] = {}
    conditions: list[Callable[[int], bool]] = []
    items = _targets(message.params[0]) if message.params else []
    for item in items[:MAX_LIST_MASKS]:
        condition = _user_count_condition(item)
        if condition is not None:
            conditions.append(condition)
        elif item.startswith("!"):
            unwanted_masks[casemap.fold(item[1:])] = None
        elif "*" in item or "?" in item:
            wanted_masks[casemap.fold(item)] = None
        else:
            names_wanted.add(casemap.fold(item))
    session.numeric(rpl.RPL_LISTSTART, "Channel", "Users  Name")
    for view in session.hub.room_views(session.member):
        channel = casemap.to_channel(view.name)
        users = len(view.members)
        if not users:
            continue  # the lobby waiting for someone is no channel yet to IRC clients
        folded = casemap.fold(channel)
        name = masks.Subject(folded)  # one for all the masks
        if (names_wanted or wanted_masks) and not (
            folded in names_wanted or any(masks.glob_match(m, name) for m in wanted_masks)
        ):
            continue
        if any(masks.glob_match(mask, name) for mask in unwanted_masks):
            continue
        if not all(condition(users) for condition in conditions):
            continue
        flags = "".join(sorted(view.flags))
        topic = " ".join(filter(None, (f"[+{flags}]" if flags else "", view.topic)))
        topic = truncate_bytes(topic, TOPICLEN)
        session.numeric(rpl.RPL_LIST, channel, str(users), topic)
    session.numeric(rpl.RPL_LISTEND, "End of /LIST")


def _user_count_condition(item: str) -> Callable[[int], bool] | None:
    """``>n`` or ``<n`` as a test of a user count; ``None`` for anything else."""
    if item[:1] in "<>" and item[1:].isascii() and item[1:].isdigit():
        bound = int(item[1:])
        if item[0] == ">":
            return lambda users: users > bound
        return lambda users: users < bound
    return None


@command("KICK", min_params=2)
def _kick(session: IrcSession, message: Message) -> None:
    channel = message.params[0]
    reason = (
        truncate_bytes(clean_text(message.params[2]), KICKLEN) if len(message.params) > 2 else ""
    )
    for nick in _targets(message.params[1]):
        try:
            session.add(
                session.hub.kick_from(session.member, casemap.to_room(channel), nick, reason)
            )
        except errors.ChatError as error:
            report(session, error, message, nick=nick, channel=channel)


@command("INVITE", min_params=2)
def _invite(session: IrcSession, message: Message) -> None:
    nick, channel = message.params[0], message.params[1]
    if not casemap.valid_channel(channel):
        session.numeric(rpl.ERR_NOSUCHCHANNEL, channel, "No such channel")
        return
    try:
        invitation = actions.invite(session.hub, session.member, nick, casemap.to_room(channel))
    except errors.ChatError as error:
        report(session, error, message, nick=nick, channel=channel)
        return
    session.numeric(rpl.RPL_INVITING, invitation.nick, channel)
    away = actions.away(session.hub, invitation.nick)
    if away is not None:
        session.numeric(rpl.RPL_AWAY, away.nick, away.message)
    session.add(invitation.deliveries)


# --- messages ------------------------------------------------------------------------------


def _message(session: IrcSession, message: Message, *, notice: bool) -> None:
    if not message.params or not message.params[0]:
        if not notice:
            session.numeric(rpl.ERR_NORECIPIENT, f"No recipient given ({message.verb})")
        return
    raw = message.params[1] if len(message.params) > 1 else ""
    action = raw.startswith("\x01ACTION ")
    if raw.startswith("\x01") and not action:
        return  # other CTCP requests (VERSION, PING): text users could not answer them
    text = clean_text(raw[8:] if action else raw).strip()
    if not text:
        if not notice:
            session.numeric(rpl.ERR_NOTEXTTOSEND, "No text to send")
        return
    tags = client_tags(session, message)
    # What the client gets of its own message (echo-message), and a labeled reply, are
    # made of the deliveries; and what this step holds for others must reach them first:
    # only without any of these may the hub deliver the message later.
    answered = "echo-message" in session.capabilities or session.labeled(message)
    for target in _distinct_targets(message.params[0])[:MAX_TARGETS]:
        reply = answered or session.holding()
        try:
            _message_one(
                session, target, text, action=action, notice=notice, tags=tags, reply=reply
            )
        except errors.ChatError as error:
            if notice:
                continue  # a notice never causes an automatic reply, errors included
            _refused(session, message, target, error)


def _refused(session: IrcSession, message: Message, target: str, error: errors.ChatError) -> None:
    """The numeric for a message (or TAGMSG) that could not go to ``target``."""
    if isinstance(error, errors.NotInRoom | errors.CannotSend):
        session.numeric(rpl.ERR_CANNOTSENDTOCHAN, target, "Cannot send to channel")
    elif casemap.is_channel(_status_target(target)[1]):
        session.numeric(rpl.ERR_NOSUCHCHANNEL, target, "No such channel")
    else:
        report(session, error, message, nick=target)


def _fit_for_relay(
    session: IrcSession, target: str, text: str, *, action: bool, notice: bool
) -> str:
    """``text`` cut, on a character boundary, so that the line relaying it from this
    client to ``target`` fits in 512 bytes, as IRC servers truncate: the client's own line
    fitted, but its source (``:nick!user@host``) is added on the way. Messages of text
    users, which may be longer, are split instead (irc/format.py)."""
    verb = "NOTICE" if notice else "PRIVMSG"
    overhead = len(f":{session.source} {verb} {target} :".encode()) + 2
    if action:
        overhead += len("\x01ACTION \x01")
    return truncate_bytes(text, MAX_LINE_BYTES - overhead)


def _message_one(
    session: IrcSession,
    target: str,
    text: str,
    *,
    action: bool,
    notice: bool,
    tags: ClientTags,
    reply: bool,
) -> None:
    hub = session.hub
    status, channel = _status_target(target)
    if action and not casemap.is_channel(channel):
        # Private messages have no actions in every protocol: say it in words.
        text, action = f"* {session.member.nick} {text}", False
    text = _fit_for_relay(session, target, text, action=action, notice=notice)
    if casemap.is_channel(channel):
        deliveries = actions.say(
            hub,
            session.member,
            casemap.to_room(channel),
            text,
            status=status,
            action=action,
            notice=notice,
            tags=tags,
            reply=reply,
        )
        session.add(deliveries)
        _echo(session, deliveries)
        return
    deliveries = hub.tell(session.member, target, text, notice=notice, tags=tags, reply=reply)
    session.add(deliveries, response=False)  # to oneself: a message, not the reply
    _echo(session, deliveries)
    if not notice:
        away = actions.away(hub, target)
        if away is not None:
            session.numeric(rpl.RPL_AWAY, away.nick, away.message)


@command("TAGMSG")
def _tagmsg(session: IrcSession, message: Message) -> None:
    """IRCv3 ``TAGMSG``: client-only tags and no text, delivered as PRIVMSG is (modes,
    STATUSMSG, echo-message) to those who negotiated ``message-tags``. One with no
    client tags to relay (or from a client that did not negotiate them) goes nowhere."""
    if not message.params or not message.params[0]:
        session.numeric(rpl.ERR_NORECIPIENT, "No recipient given (TAGMSG)")
        return
    tags = client_tags(session, message)
    if not tags:
        return
    for target in _distinct_targets(message.params[0])[:MAX_TARGETS]:
        try:
            _tag_one(session, target, tags)
        except errors.ChatError as error:
            _refused(session, message, target, error)


def _tag_one(session: IrcSession, target: str, tags: ClientTags) -> None:
    status, channel = _status_target(target)
    if casemap.is_channel(channel):
        room = casemap.to_room(channel)
        deliveries = actions.tag_room(session.hub, session.member, room, tags, status)
        session.add(deliveries)
    else:
        deliveries = session.hub.tag_member(session.member, target, tags)
        session.add(deliveries, response=False)
    _echo(session, deliveries)


def _status_target(target: str) -> tuple[str, str]:
    """``("@", "#room")`` for ``@#room`` (STATUSMSG), ``("", target)`` for the rest."""
    if target[:1] in STATUSMSG and casemap.is_channel(target[1:]):
        return target[0], target[1:]
    return "", target


def _echo(session: IrcSession, deliveries: list[Delivery]) -> None:
    """For ``echo-message`` clients, their own message as the others get it."""
    if "echo-message" in session.capabilities:
        session.add([Delivery(delivery.event, to(session.member)) for delivery in deliveries])


@command("PRIVMSG")
def _privmsg(session: IrcSession, message: Message) -> None:
    _message(session, message, notice=False)


@command("NOTICE")
def _notice(session: IrcSession, message: Message) -> None:
    _message(session, message, notice=True)


# --- users ---------------------------------------------------------------------------------


@command("SETNAME", min_params=1)
def _setname(session: IrcSession, message: Message) -> None:
    """IRCv3 ``setname``: a new realname, or ``FAIL`` if it is empty or too long."""
    realname = clean_text(message.params[0]).strip()
    if not realname or len(realname) > REALNAME_LENGTH:
        fail = ("SETNAME", "INVALID_REALNAME", "Realname is not valid")
        session.send(Message("FAIL", fail, session.server.name, trailing=True))
        return
    session.add(session.hub.set_realname(session.member, realname))


@command("AWAY")
def _away(session: IrcSession, message: Message) -> None:
    text = truncate_bytes(clean_text(message.params[0]), AWAYLEN).strip() if message.params else ""
    session.add(session.hub.set_away(session.member, text))
    if text:
        session.numeric(rpl.RPL_NOWAWAY, "You have been marked as being away")
    else:
        session.numeric(rpl.RPL_UNAWAY, "You are no longer marked as being away")


@command("WHOIS", min_params=1)
def _whois(session: IrcSession, message: Message) -> None:
    nick = message.params[-1]  # "WHOIS server nick" asks the same as "WHOIS nick"
    try:
        view = session.hub.whois(session.member, nick)
    except errors.NoSuchUser:
        session.numeric(rpl.ERR_NOSUCHNICK, nick, "No such nick/channel")
        session.numeric(rpl.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
        return
    session.numeric(
        rpl.RPL_WHOISUSER, view.nick, view.username, view.address, "*", view.realname or view.nick
    )
    if view.rooms:
        rooms = [_marks(session, marks) + casemap.to_channel(name) for name, marks in view.rooms]
        _word_list(session, rpl.RPL_WHOISCHANNELS, (view.nick,), rooms)
    session.numeric(rpl.RPL_WHOISSERVER, view.nick, session.server.name, "chinwag")
    if view.operator:
        session.numeric(rpl.RPL_WHOISOPERATOR, view.nick, "is an IRC operator")
    if view.bot:
        session.numeric(rpl.RPL_WHOISBOT, view.nick, "is a bot")
    if view.away:
        session.numeric(rpl.RPL_AWAY, view.nick, view.away)
    idle = str(int(view.idle.total_seconds()))
    signon = str(int(view.connected_at.timestamp()))
    session.numeric(rpl.RPL_WHOISIDLE, view.nick, idle, signon, "seconds idle, signon time")
    session.numeric(rpl.RPL_ENDOFWHOIS, view.nick, "End of /WHOIS list")


@command("WHO")
def _who(session: IrcSession, message: Message) -> None:
    """``WHO mask [o][%fields[,token]]``: 352 lines, or 354 lines of the fields asked
    for (WHOX, in its fixed order ``tcuihsnfdlaor``); ``o`` keeps server operators."""
    mask = message.params[0] if message.params else "*"
    options, percent, whox = (message.params[1] if len(message.params) > 1 else "").partition("%")
    fields, _, token = whox.partition(",")
    valid_token = token.isascii() and token.isdigit() and len(token) <= 3
    wanted = WhoFields(fields, token if valid_token else "0") if percent else None
    entries: list[tuple[str, Seen]] = []
    # Whom this user may see, and with which host, is the hub's decision.
    if casemap.is_channel(mask):
        try:
            view = session.hub.room(casemap.to_room(mask))
        except errors.ChatError:
            view = None
        if view is not None:
            channel = casemap.to_channel(view.name)
            entries = [(channel, entry) for entry in session.hub.who(session.member, view.name)]
    else:
        for entry in session.hub.who_all(session.member):
            # Matched against the host this user may see, so a mask cannot probe addresses.
            if masks.matches(mask, entry.nick, "*", "*") or masks.matches(
                mask, entry.nick, entry.username, entry.host
            ):
                entries.append(("*", entry))
    for channel, entry in entries:
        if "o" in options and not entry.operator:
            continue
        if wanted is None:
            _who_line(session, channel, entry)
        else:
            _whox_line(session, channel, entry, wanted)
    session.numeric(rpl.RPL_ENDOFWHO, mask, "End of /WHO list")


@dataclass(frozen=True, slots=True)
class WhoFields:
    """What a WHOX request asks for: field letters, and the token to echo for ``t``."""

    letters: str
    token: str


def _who_flags(session: IrcSession, entry: Seen) -> str:
    return (
        ("G" if entry.away else "H")
        + ("*" if entry.operator else "")
        + _marks(session, entry.marks)
        + ("B" if entry.bot else "")  # after the marks, which clients read from the start
    )


def _who_line(session: IrcSession, channel: str, entry: Seen) -> None:
    session.numeric(
        rpl.RPL_WHOREPLY,
        channel,
        entry.username,
        entry.host,
        session.server.name,
        entry.nick,
        _who_flags(session, entry),
        f"0 {entry.realname or entry.nick}",
    )


def _whox_line(session: IrcSession, channel: str, entry: Seen, wanted: WhoFields) -> None:
    # The address only to whom it is shown anyway (themself, server operators).
    address = entry.host if entry.shows_address else "255.255.255.255"
    values = {
        "t": wanted.token,
        "c": channel,
        "u": entry.username,
        "i": address,
        "h": entry.host,
        "s": session.server.name,
        "n": entry.nick,
        "f": _who_flags(session, entry),
        "d": "0",
        "l": str(int(entry.idle().total_seconds())),
        "a": "0",  # no accounts: nobody is logged in
        "o": "n/a",
        "r": entry.realname or entry.nick,
    }
    params = [values[letter] for letter in WHOX_FIELDS if letter in wanted.letters]
    if params:
        session.numeric(rpl.RPL_WHOSPCRPL, *params)


@command("ISON", min_params=1)
def _ison(session: IrcSession, message: Message) -> None:
    present = []
    for nick in " ".join(message.params).split():
        view = actions.look_up(session.hub, session.member, nick)
        if view is not None:
            present.append(view.nick)
    session.numeric(rpl.RPL_ISON, " ".join(present))


@command("USERHOST", min_params=1)
def _userhost(session: IrcSession, message: Message) -> None:
    replies = []
    for nick in message.params[:5]:
        view = actions.look_up(session.hub, session.member, nick)
        if view is not None:
            oper = "*" if view.operator else ""
            away = "-" if view.away else "+"
            replies.append(f"{view.nick}{oper}={away}{view.username}@{view.address}")
    session.numeric(rpl.RPL_USERHOST, " ".join(replies))


# --- modes ---------------------------------------------------------------------------------


@command("MODE", min_params=1)
def _mode(session: IrcSession, message: Message) -> None:
    target = message.params[0]
    if casemap.is_channel(target):
        _channel_mode(session, message, target)
    else:
        _user_mode(session, message, target)


def _user_mode(session: IrcSession, message: Message, target: str) -> None:
    member = session.member
    if actions.look_up(session.hub, member, target) is None:
        session.numeric(rpl.ERR_NOSUCHNICK, target, "No such nick/channel")
        return
    if not casemap.same(target, member.nick):
        session.numeric(rpl.ERR_USERSDONTMATCH, "Cant change mode for other users")
        return
    if len(message.params) < 2:
        current = (
            "+"
            + ("B" if member.bot else "")
            + ("i" if member.invisible else "")
            + ("o" if member.operator else "")
        )
        session.numeric(rpl.RPL_UMODEIS, current)
        return
    on = True
    changed = ""
    for char in message.params[1]:
        if char in "+-":
            on = char == "+"
        else:
            changed += _apply_user_mode(session, member, char, on)
    if changed:
        session.send(Message("MODE", (member.nick, changed), session.source))


def _apply_user_mode(session: IrcSession, member: Member, letter: str, on: bool) -> str:
    """Set or unset one of ``member``'s own modes: the change made ("+i", "-o"), or ""."""
    if letter == "i":
        if member.invisible == on:
            return ""
        session.add(session.hub.set_invisible(member, on))
    elif letter == "B":
        if member.bot == on:
            return ""
        session.add(session.hub.set_bot(member, on))
    elif letter == "o":
        # "+o" is ignored (OPER and its password make operators); anyone may deop
        # themself with "-o" (RFC 2812 3.1.5).
        if on or not member.operator:
            return ""
        session.add(session.hub.drop_operator(member))
    else:
        session.numeric(rpl.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
        return ""
    return ("+" if on else "-") + letter


def _channel_mode(session: IrcSession, message: Message, channel: str) -> None:
    if len(message.params) < 2:
        try:  # a secret channel's modes are its members' business: to others it is not there
            view = actions.visible_room(session.hub, session.member, casemap.to_room(channel))
        except errors.SecretRoom:
            session.numeric(rpl.ERR_NOSUCHCHANNEL, channel, "No such channel")
            return
        channel = casemap.to_channel(view.name)
        shown = view.mode_params(with_key=actions.inside(view, session.member))
        session.numeric(rpl.RPL_CHANNELMODEIS, channel, *shown)
        stamp = str(int(view.created_at.timestamp()))
        session.numeric(rpl.RPL_CREATIONTIME, channel, stamp)
        return
    view = session.hub.room(casemap.to_room(channel))
    channel = casemap.to_channel(view.name)
    # Keys and masks reach every member of the room, text users' terminals too.
    arguments = [clean_text(argument) for argument in message.params[2:]]
    changes: list[modes.ModeChange] = []
    # Each letter is answered on its own (an unknown one 472, one with no argument left
    # 461, an empty or bad argument 696) and the rest applied, as IRC servers do.
    for item in actions.read_modes(message.params[1], arguments):
        if isinstance(item, modes.ModeChange):
            changes.append(item)
        elif isinstance(item, actions.ListAsked):
            _ban_list(session, view)
        else:
            report(session, item, message, channel=channel)
    if changes:
        try:
            session.add(session.hub.change_modes(session.member, view.name, changes))
        except errors.BanListFull:
            session.numeric(rpl.ERR_BANLISTFULL, channel, "b", "Channel ban list is full")
        except errors.ChatError as error:
            nick = next((c.argument for c in changes if c.letter in modes.PRIVILEGES), "")
            report(session, error, message, channel=channel, nick=nick)


def _ban_list(session: IrcSession, view: RoomView) -> None:
    channel = casemap.to_channel(view.name)
    for mask, by, at in view.bans:
        session.numeric(rpl.RPL_BANLIST, channel, mask, by, str(int(at.timestamp())))
    session.numeric(rpl.RPL_ENDOFBANLIST, channel, "End of channel ban list")


# --- operators -----------------------------------------------------------------------------


@command("OPER", min_params=2)
def _oper(session: IrcSession, message: Message) -> None:
    deliveries = session.hub.authenticate_operator(session.member, message.params[1])
    # The hub's confirmation is for protocols without a numeric for it.
    session.add([d for d in deliveries if not isinstance(d.event, BecameOperator)])
    session.numeric(rpl.RPL_YOUREOPER, "You are now an IRC operator")
    session.send(Message("MODE", (session.member.nick, "+o"), session.source))


@command("KILL", min_params=1)
def _kill(session: IrcSession, message: Message) -> None:
    reason = clean_text(message.params[1]) if len(message.params) > 1 else ""
    deliveries = session.hub.kick(session.member, message.params[0], reason)
    session.add([d for d in deliveries if not isinstance(d.event, Disconnected)])


# --- server information --------------------------------------------------------------------


def lusers(session: IrcSession) -> None:
    members = session.hub.members()
    invisible = sum(1 for m in members if m.invisible)
    operators = sum(1 for m in members if m.operator)
    # As LIST: the lobby with nobody in it is no channel to IRC clients.
    rooms = sum(1 for _, count in session.hub.rooms() if count)
    users, most = str(len(members)), str(max(session.hub.most_members, len(members)))
    session.numeric(
        rpl.RPL_LUSERCLIENT,
        f"There are {len(members) - invisible} users and {invisible} invisible on 1 servers",
    )
    session.numeric(rpl.RPL_LUSEROP, str(operators), "operator(s) online")
    session.numeric(
        rpl.RPL_LUSERUNKNOWN, str(session.server.unregistered()), "unknown connection(s)"
    )
    session.numeric(rpl.RPL_LUSERCHANNELS, str(rooms), "channels formed")
    session.numeric(rpl.RPL_LUSERME, f"I have {len(members)} clients and 0 servers")
    session.numeric(rpl.RPL_LOCALUSERS, users, most, f"Current local users {users}, max {most}")
    session.numeric(rpl.RPL_GLOBALUSERS, users, most, f"Current global users {users}, max {most}")


@command("LUSERS")
def _lusers_command(session: IrcSession, message: Message) -> None:
    lusers(session)


DEFAULT_MOTD = (
    "Welcome to chinwag.",
    "Type /join #lobby to meet everyone; /list shows the other rooms.",
)


def motd(session: IrcSession) -> None:
    # Without one configured, a short one that says where to start (clients show 422's
    # "MOTD File is missing" as an error, which it is not).
    lines = session.config.motd.replace("\\n", "\n").splitlines() or list(DEFAULT_MOTD)
    session.numeric(rpl.RPL_MOTDSTART, f"- {session.server.name} Message of the day - ")
    for line in lines:
        session.numeric(rpl.RPL_MOTD, f"- {clean(line)}")
    session.numeric(rpl.RPL_ENDOFMOTD, "End of /MOTD command.")


@command("MOTD")
def _motd_command(session: IrcSession, message: Message) -> None:
    motd(session)


@command("VERSION")
def _version(session: IrcSession, message: Message) -> None:
    session.numeric(rpl.RPL_VERSION, VERSION, session.server.name, "chinwag chat server")


@command("TIME")
def _time(session: IrcSession, message: Message) -> None:
    now = datetime.now().astimezone()
    session.numeric(rpl.RPL_TIME, session.server.name, now.strftime("%A %B %d %Y -- %H:%M:%S %z"))


@command("INFO")
def _info(session: IrcSession, message: Message) -> None:
    started = session.server.created.strftime("%a %b %d %Y at %H:%M:%S")
    for line in (
        f"{VERSION}: a chat server for IRC clients and plain TCP (nc, telnet).",
        "IRC users and text users share one hub: channel #lobby is the text lobby.",
        f"Running since {started}.",
    ):
        session.numeric(rpl.RPL_INFO, line)
    session.numeric(rpl.RPL_ENDOFINFO, "End of /INFO list")


@command("LINKS")
def _links(session: IrcSession, message: Message) -> None:
    """One server and no links: only the end of the (empty) list."""
    mask = message.params[-1] if message.params else "*"
    session.numeric(rpl.RPL_ENDOFLINKS, mask, "End of /LINKS list")


@command("ADMIN")
def _admin(session: IrcSession, message: Message) -> None:
    server = session.server.name
    session.numeric(rpl.RPL_ADMINME, server, "Administrative info")
    session.numeric(rpl.RPL_ADMINLOC1, f"chinwag server {server}")
    session.numeric(rpl.RPL_ADMINLOC2, "Ask a server operator for help")
    session.numeric(rpl.RPL_ADMINEMAIL, "No administrative address is configured")


@command("STATS", min_params=1)
def _stats(session: IrcSession, message: Message) -> None:
    """``STATS u`` (uptime); every other letter gets only the end of the report."""
    letter = message.params[0][:1] or "*"
    if letter.lower() == "u":
        up = datetime.now() - session.server.created
        hours, rest = divmod(int(up.total_seconds()) % 86400, 3600)
        minutes, seconds = divmod(rest, 60)
        session.numeric(
            rpl.RPL_STATSUPTIME, f"Server Up {up.days} days {hours}:{minutes:02}:{seconds:02}"
        )
    session.numeric(rpl.RPL_ENDOFSTATS, letter, "End of /STATS report")


@command("WHOWAS")
def _whowas(session: IrcSession, message: Message) -> None:
    if not message.params or not message.params[0]:
        session.numeric(rpl.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    nick = message.params[0]
    wanted = message.params[1] if len(message.params) > 1 else ""
    count = int(wanted) if wanted.isascii() and wanted.isdigit() else 0
    entries = session.hub.whowas(session.member, nick, count)
    if not entries:
        session.numeric(rpl.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
    for entry, host in entries:
        realname = entry.realname or entry.nick
        session.numeric(rpl.RPL_WHOWASUSER, entry.nick, entry.username, host, "*", realname)
        when = entry.at.strftime("%a %b %d %H:%M:%S %Y")
        session.numeric(rpl.RPL_WHOISSERVER, entry.nick, session.server.name, when)
    session.numeric(rpl.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")


# --- help ----------------------------------------------------------------------------------

HELP: dict[str, tuple[str, ...]] = {
    "ADMIN": ("ADMIN", "Who runs this server."),
    "AWAY": ("AWAY [:<message>]", "Mark yourself away with a message, or back without one."),
    "AUTHENTICATE": ("AUTHENTICATE PLAIN", "Give the server password by SASL PLAIN."),
    "CAP": ("CAP LS [302] | REQ :<caps> | LIST | END", "Negotiate IRCv3 capabilities."),
    "HELP": ("HELP [<subject>]", "This help; HELP with no subject lists the commands."),
    "INFO": ("INFO", "About this server."),
    "INVITE": ("INVITE <nick> <#channel>", "Invite a user into a channel."),
    "ISON": ("ISON <nick> [<nick> ...]", "Which of these nicks are online."),
    "JOIN": ("JOIN <#channel>[,<#channel>] [<key>[,<key>]]", "Join channels; JOIN 0 parts all."),
    "KICK": ("KICK <#channel> <nick>[,<nick>] [:<reason>]", "Put users out of a channel."),
    "KILL": ("KILL <nick> [:<reason>]", "Disconnect a user (server operators)."),
    "LINKS": ("LINKS", "Servers linked to this one: none."),
    "LIST": (
        "LIST [<#channel>|<mask>|!<mask>|>n|<n],...",
        "Channels with members: by name, mask or size.",
    ),
    "LUSERS": ("LUSERS", "How many users, operators and channels there are."),
    "MODE": ("MODE <target> [<modes> [<arguments>]]", "Show or change channel or user modes."),
    "MOTD": ("MOTD", "The message of the day."),
    "NAMES": ("NAMES <#channel>[,<#channel>]", "Who is in a channel."),
    "NICK": ("NICK <nick>", "Change your nickname."),
    "NOTICE": ("NOTICE <target>[,<target>] :<text>", "A message that is never answered."),
    "OPER": ("OPER <name> <password>", "Become a server operator."),
    "PART": ("PART <#channel>[,<#channel>] [:<reason>]", "Leave channels."),
    "PING": ("PING <token>", "The server answers PONG."),
    "PRIVMSG": ("PRIVMSG <target>[,<target>] :<text>", "Send a message to channels or users."),
    "QUIT": ("QUIT [:<reason>]", "Leave the server."),
    "SETNAME": ("SETNAME :<realname>", "Change your realname (IRCv3 setname)."),
    "TAGMSG": ("TAGMSG <target>[,<target>]", "Send client tags alone (IRCv3 message-tags)."),
    "STATS": ("STATS u", "How long the server has been up."),
    "TIME": ("TIME", "The server's time."),
    "TOPIC": ("TOPIC <#channel> [:<topic>]", "Show or set a channel's topic."),
    "USERHOST": ("USERHOST <nick> [<nick> ...]", "Users' hosts and away states."),
    "VERSION": ("VERSION", "The server's version."),
    "WHO": ("WHO <#channel>|<mask>", "Who is in a channel, or matches a mask."),
    "WHOIS": ("WHOIS <nick>", "About one user."),
    "WHOWAS": ("WHOWAS <nick> [<count>]", "Who last had a nick (newest first)."),
}


@command("HELP")
def _help(session: IrcSession, message: Message) -> None:
    subject = message.params[0].upper() if message.params and message.params[0] else ""
    if not subject:
        session.numeric(rpl.RPL_HELPSTART, "*", "chinwag IRC commands (HELP <command>):")
        _word_list(session, rpl.RPL_HELPTXT, ("*",), sorted(COMMANDS))
        session.numeric(rpl.RPL_ENDOFHELP, "*", "End of /HELP")
        return
    lines = HELP.get(subject)
    if lines is None:
        session.numeric(rpl.ERR_HELPNOTFOUND, message.params[0], "No help available on this topic")
        return
    session.numeric(rpl.RPL_HELPSTART, subject, lines[0])
    for line in lines[1:]:
        session.numeric(rpl.RPL_HELPTXT, subject, line)
    session.numeric(rpl.RPL_ENDOFHELP, subject, "End of /HELP")


command("HELPOP")(_help)  # the same help, under the name some servers use
