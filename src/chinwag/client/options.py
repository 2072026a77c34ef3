"""The client's settings: one frozen object built from the command line.

``chinwag connect [HOST] [--port N]`` also accepts ``HOST:PORT`` (and ``[v6addr]:PORT``);
giving the port both ways is an error rather than a guess. The input history lives in
the user's data directory (``$XDG_DATA_HOME/chinwag/history`` on Linux).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089


class UsageError(Exception):
    """The user's command line is wrong; the message says how."""


@dataclass(frozen=True, slots=True)
class ClientOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    nick: str = ""
    reconnect: bool = False
    history_file: Path | None = None
    tls: bool = False
    tls_insecure: bool = False  # encrypt, but accept any certificate (self-signed)
    tls_ca: str = ""  # trust this CA file instead of the system's
    password: str = ""
    bell: bool = True  # ring the terminal's bell on a mention or a private message

    def __post_init__(self) -> None:
        if not self.host:
            raise UsageError("the host must not be empty")
        if not 0 < self.port <= 65535:
            raise UsageError(f"the port must be 1-65535, not {self.port}")
        if any(c.isspace() for c in self.nick):
            raise UsageError("a nickname cannot contain spaces")
        if (self.tls_insecure or self.tls_ca) and not self.tls:
            raise UsageError("--tls-insecure and --tls-ca go with --tls")


def split_target(target: str | None, port: int | None) -> tuple[str, int]:
    """The host and port named by ``HOST``, ``HOST:PORT`` or ``[ADDR]:PORT`` and ``--port``."""
    host, named_port = target or DEFAULT_HOST, None
    if host.startswith("["):
        address, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise UsageError(f"cannot read the address {target!r}")
        host, named_port = address, rest[1:] or None
    elif host.count(":") == 1:  # more than one colon is a bare IPv6 address
        host, named_port = host.split(":")
    if named_port is not None:
        if port is not None:
            raise UsageError("give the port either in HOST:PORT or with --port, not both")
        try:
            port = int(named_port)
        except ValueError:
            raise UsageError(f"the port must be a number, not {named_port!r}") from None
    return host, DEFAULT_PORT if port is None else port


def data_dir() -> Path:
    """Where the client keeps its files, following each platform's convention."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "chinwag"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "chinwag"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chinwag"


def default_history_file() -> Path:
    return data_dir() / "history"
