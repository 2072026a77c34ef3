"""IRC registration: how a connection becomes a member of the chat, in one place.

Theory of operation: registration is a small state machine, kept in the session's
fields and changed only here (and by SASL, :mod:`chinwag.irc.sasl`, which can only
accept the server password)::

    state            what moves it on                         to
    -------------    --------------------------------------   ------------------------
    connected        CAP LS / CAP REQ                         negotiating
    negotiating      CAP END                                  connected
    connected        PASS (kept), AUTHENTICATE (accepted)     connected, password given
    connected        NICK and USER, not negotiating, and the  registered: in the hub,
                     server password none or accepted         welcome burst sent
    connected        NICK and USER, wrong server password     gone (464, ERROR)
    registered       NICK                                     renamed in the hub
    registered       PASS, USER                               462, unchanged

Until registered the client is not in the hub: nobody sees it and only the commands
registered with ``registered=False`` (these, SASL's, PING, PONG, QUIT) work; the rest
get 451 (:meth:`~chinwag.irc.session.IrcSession._dispatch`). Until the server password
is accepted the client learns nothing about the hub: a NICK is only checked for its
form, and whether someone else has it is told (433) once the password is. On
registration the hub learns the chosen nick and the client gets the welcome burst
(001-005, LUSERS, MOTD). It joins no room by itself. A client that does not register in
time is dropped by the session's :meth:`~chinwag.irc.session.IrcSession.tick`.

The capabilities offered (:data:`chinwag.irc.commands.CAPABILITIES`) are what the server
supports, listed with the other things it tells clients (ISUPPORT); negotiating them is
registration's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chinwag.hub import errors
from chinwag.irc import commands
from chinwag.irc import numerics as rpl
from chinwag.irc.commands import command
from chinwag.irc.message import MAX_LINE_BYTES, Message, safe_param
from chinwag.password_guard import TryLater

if TYPE_CHECKING:
    from chinwag.irc.session import IrcSession

SASL, SASL_MECHANISMS = "sasl", "PLAIN"  # offered only with a server password
CAP_VERSION = 302
_USERNAME = re.compile(r"[^A-Za-z0-9_.-]")


@command("CAP", min_params=1, registered=False)
def _cap(session: IrcSession, message: Message) -> None:
    sub = message.params[0].upper()
    if sub == "LS":
        if not session.registered:
            session.negotiating = True
        version = message.params[1] if len(message.params) > 1 else ""
        if version.isascii() and version.isdigit() and int(version) >= CAP_VERSION:
            session.cap_version = CAP_VERSION
            session.capabilities.add("cap-notify")  # implied by 302, as IRCv3 says
        values = session.cap_version >= CAP_VERSION
        offered = [
            f"{name}={value}" if values and value else name
            for name, value in sorted(_offered(session).items())
        ]
        _cap_lines(session, "LS", offered)
    elif sub == "LIST":
        _cap_lines(session, "LIST", sorted(session.capabilities))
    elif sub == "REQ":
        if not session.registered:
            session.negotiating = True
        text = message.params[1] if len(message.params) > 1 else ""
        _cap_request(session, text)
    elif sub == "END":
        session.negotiating = False
        try_register(session)
    else:
        session.numeric(rpl.ERR_INVALIDCAPCMD, message.params[0], "Invalid CAP command")


def _offered(session: IrcSession) -> dict[str, str]:
    """The capabilities offered to this client: ``sasl`` too where there is a server
    password to authenticate against (:mod:`chinwag.irc.sasl`)."""
    if session.server.password_check is None:
        return commands.CAPABILITIES
    return {**commands.CAPABILITIES, SASL: SASL_MECHANISMS}


def _cap_request(session: IrcSession, text: str) -> None:
    """Enable and disable the capabilities of ``text`` all at once, or none (IRCv3)."""
    wanted = text.split()
    acceptable = bool(wanted)
    for item in wanted:
        name = item.removeprefix("-")
        if name not in _offered(session):
            acceptable = False
        # A 302 client has cap-notify whether it asks or not; it cannot be turned off.
        if item == "-cap-notify" and session.cap_version >= CAP_VERSION:
            acceptable = False
    if acceptable:
        for item in wanted:
            if item.startswith("-"):
                session.capabilities.discard(item[1:])
            else:
                session.capabilities.add(item)
        session.capabilities_changed()
    verdict = "ACK" if acceptable else "NAK"
    session.send(Message("CAP", (session.me, verdict, text), session.server.name, trailing=True))


def _cap_lines(session: IrcSession, sub: str, words: list[str]) -> None:
    """``CAP * LS :...`` as one line, or for 302 clients as many as the list needs, every
    one but the last marked ``*`` (IRCv3 multiline replies)."""
    server = session.server.name
    head = len(f":{server} CAP {safe_param(session.me)} {sub} * :".encode()) + 2
    lines: list[list[str]] = [[]]
    size = head
    for word in words:
        length = len(word.encode()) + 1
        if lines[-1] and size + length > MAX_LINE_BYTES and session.cap_version >= CAP_VERSION:
            lines.append([])
            size = head
        lines[-1].append(word)
        size += length
    for index, line in enumerate(lines):
        more = ("*",) if index < len(lines) - 1 else ()
        params = (safe_param(session.me), sub, *more, " ".join(line))
        session.send(Message("CAP", params, server, trailing=True))


@command("PASS", min_params=1, registered=False)
def _pass(session: IrcSession, message: Message) -> None:
    if session.registered:
        session.numeric(rpl.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    session.password = message.params[0]


@command("NICK", registered=False)
def _nick(session: IrcSession, message: Message) -> None:
    if not message.params or not message.params[0]:
        session.numeric(rpl.ERR_NONICKNAMEGIVEN, "No nickname given")
        return
    nick = message.params[0]
    if session.registered:
        if nick == session.member.nick:
            return
        session.add(session.hub.rename(session.member, nick))
        return
    # Before the server password, whether a nick is taken (or looks like a taken one) is
    # not the client's to know: registration tells (433) once the password is accepted.
    session.hub.check_name(session.member, nick, taken=session.password_accepted)
    session.nick = nick
    try_register(session)


@command("USER", min_params=4, registered=False)
def _user(session: IrcSession, message: Message) -> None:
    if session.registered:
        session.numeric(rpl.ERR_ALREADYREGISTERED, "You may not reregister")
        return
    if not message.params[3]:
        # Modern IRC: an empty parameter is refused as a missing one (as Ergo does).
        session.numeric(rpl.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
        return
    username = _USERNAME.sub("", message.params[0])[:16]
    session.username = username or session.member.client_id
    # A real name that cleaning empties is kept empty: WHOIS shows the nick instead.
    session.realname = commands.clean_text(message.params[3])[: commands.REALNAME_LENGTH]
    try_register(session)


def welcome(session: IrcSession) -> None:
    """The burst after registration: 001-005, LUSERS and the MOTD."""
    server = session.server.name
    session.numeric(rpl.RPL_WELCOME, f"Welcome to the chinwag IRC network, {session.source}")
    session.numeric(rpl.RPL_YOURHOST, f"Your host is {server}, running version {commands.VERSION}")
    created = session.server.created.strftime("%a %b %d %Y at %H:%M:%S")
    session.numeric(rpl.RPL_CREATED, f"This server was created {created}")
    session.numeric(
        rpl.RPL_MYINFO,
        server,
        commands.VERSION,
        commands.USER_MODES,
        commands.CHANNEL_MODES,
        commands.CHANNEL_MODES_WITH_ARGUMENT,
    )
    supported = commands.isupport(session.config.max_rooms_per_member, session.config.history_max)
    for start in range(0, len(supported), commands.ISUPPORT_PER_LINE):
        tokens = supported[start : start + commands.ISUPPORT_PER_LINE]
        session.numeric(rpl.RPL_ISUPPORT, *tokens, "are supported by this server")
    commands.lusers(session)
    commands.motd(session)


def try_register(session: IrcSession) -> None:
    """Complete registration once NICK and USER are in and CAP is not in progress."""
    if session.registered or session.negotiating or not session.nick or not session.username:
        return
    if not session.password_accepted:
        if not _check_password(session):
            return
        session.password_accepted = True
    try:
        session.add(
            session.hub.register(session.member, session.nick, session.username, session.realname)
        )
    except (errors.NameInUse, errors.InvalidName, errors.ReservedName) as error:
        code = (
            rpl.ERR_NICKNAMEINUSE
            if isinstance(error, errors.NameInUse)
            else rpl.ERR_ERRONEUSNICKNAME
        )
        session.numeric(code, session.nick, str(error))
        session.nick = ""
        return
    except errors.Banned as banned:  # since the connection was accepted
        session.leave(str(banned))
        return
    session.registered = True
    welcome(session)


def _check_password(session: IrcSession) -> bool:
    """Whether the server password is none or the one given; if not, the client is
    told and leaves."""
    try:
        matched = password_matches(session, session.password)
    except TryLater as refusal:
        session.numeric(rpl.RPL_TRYAGAIN, "PASS", "Please wait a while and try again")
        session.leave(f"Password not checked: {refusal}")
        return False
    if not matched:
        session.numeric(rpl.ERR_PASSWDMISMATCH, "Password incorrect")
        session.leave("Bad password")
    return matched


def password_matches(session: IrcSession, given: str) -> bool:
    """Whether ``given`` is the server password (or there is none), checked through
    the hub's guard against guessing, which may refuse to check (:class:`TryLater`)."""
    check = session.server.password_check
    if check is None:
        return True
    return session.hub.passwords.check(
        session.member.password_attempts,
        lambda: check(given),
        who=session.member.client_id,
        what="server",
    )
