"""IRCv3 ``sasl`` (3.1 and 3.2): the server password, given as SASL ``PLAIN``.

There are no accounts, so the only thing to authenticate against is the server
password: the capability is offered (``sasl=PLAIN``) only when one is configured, and a
client that prefers SASL to ``PASS`` (most clients' settings have a SASL section) may
give it that way. ``AUTHENTICATE PLAIN`` is answered with ``AUTHENTICATE +``; the client
sends ``authzid NUL authcid NUL password`` in base64, in pieces of 400 bytes (a piece of
exactly 400 is followed by more, or by ``+``). The names are ignored: the password
alone is checked, through the same guard against guessing as ``PASS``. Success is 903
and the password counts as given; 900 (logged in as an account) is never sent, since no
account is. Failure is 904 (the client may try again, as slowly as the guard lets it),
an unknown mechanism 908 then 904, a piece over 400 bytes or a payload over
:data:`MAX_PAYLOAD` 905, ``AUTHENTICATE *`` 906, and authenticating again 907.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import TYPE_CHECKING

from chinwag.irc import numerics as rpl
from chinwag.irc.commands import command
from chinwag.irc.message import Message
from chinwag.irc.registration import SASL, SASL_MECHANISMS, password_matches
from chinwag.password_guard import TryLater

if TYPE_CHECKING:
    from chinwag.irc.session import IrcSession

CAPABILITY = SASL
MECHANISMS = SASL_MECHANISMS
PIECE = 400  # bytes of base64 in one AUTHENTICATE line
MAX_PAYLOAD = 4 * PIECE  # base64 bytes of one exchange: a password of about 1,100 bytes


@command("AUTHENTICATE", min_params=1, registered=False)
def _authenticate(session: IrcSession, message: Message) -> None:
    word = message.params[0]
    if CAPABILITY not in session.capabilities:
        session.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed: negotiate sasl first")
        return
    if session.sasl_done or session.registered:
        session.numeric(rpl.ERR_SASLALREADY, "You have already authenticated using SASL")
        return
    if word == "*":
        session.sasl_payload = None
        session.numeric(rpl.ERR_SASLABORTED, "SASL authentication aborted")
        return
    if session.sasl_payload is None:
        _start(session, word)
    else:
        _receive(session, word)


def _start(session: IrcSession, mechanism: str) -> None:
    if mechanism.upper() != MECHANISMS:
        session.numeric(rpl.RPL_SASLMECHS, MECHANISMS, "are available SASL mechanisms")
        session.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
        return
    session.sasl_payload = ""
    session.send(Message("AUTHENTICATE", ("+",)))


def _receive(session: IrcSession, word: str) -> None:
    assert session.sasl_payload is not None
    if len(word) > PIECE or len(session.sasl_payload) + len(word) > MAX_PAYLOAD:
        session.sasl_payload = None
        session.numeric(rpl.ERR_SASLTOOLONG, "SASL message too long")
        return
    if word != "+":
        session.sasl_payload += word
    if len(word) == PIECE:
        return  # more to come
    payload, session.sasl_payload = session.sasl_payload, None
    _check(session, payload)


def _check(session: IrcSession, payload: str) -> None:
    try:
        parts = b64decode(payload, validate=True).split(b"\0")
    except (binascii.Error, ValueError):
        parts = []
    if len(parts) != 3:
        session.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
        return
    password = parts[2].decode("utf-8", "replace")
    try:
        matched = password_matches(session, password)
    except TryLater:
        session.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed: try again later")
        return
    if not matched:
        session.numeric(rpl.ERR_SASLFAIL, "SASL authentication failed")
        return
    session.sasl_done = True
    session.password_accepted = True
    session.numeric(rpl.RPL_SASLSUCCESS, "SASL authentication successful")
