"""Making IRC sessions for a server's IRC listener, and its word for a refused client."""

from __future__ import annotations

from collections.abc import Callable

from chinwag.config import Config
from chinwag.hub.contract import ChatHub
from chinwag.hub.hub import Member
from chinwag.irc.session import IrcSession, ServerInfo


def irc_sessions(config: Config) -> Callable[[ChatHub, Member, Config], IrcSession]:
    """A session factory for ``ChatServer.add_listener``; its sessions share formatters."""
    server = ServerInfo(config)

    def make(hub: ChatHub, member: Member, config: Config) -> IrcSession:
        return IrcSession(hub, member, server)

    return make


def irc_refusal(reason: str) -> bytes:
    """What an IRC client refused at connect is told (an ``ERROR``, as servers send)."""
    return f"ERROR :Closing link: {reason}\r\n".encode()
