"""The connection to the server: a socket, and the one thread that reads it.

Theory of operation: :meth:`Link.connect` opens the first connection in the caller's
thread (so "cannot connect" is an ordinary exception and exit code), :meth:`Link.start`
starts the receiving thread ``chinwag-receive``. That thread feeds what it reads to the
sans-I/O :class:`~chinwag.client.state.ClientState` and hands the lines to a
:class:`Listener`. When the server goes away it either ends (reporting why) or, with a
:class:`~chinwag.client.backoff.Backoff`, reconnects and lets the state restore the
name and room. The input loop (in the main thread) calls :meth:`Link.send`,
:meth:`Link.leave` and :meth:`Link.close`; the latter sets the stop event and shuts the
socket down, which wakes the thread from ``recv``, and joins it.

OSErrors are translated at this boundary: :class:`ConnectFailed` for a connection that
could not be made, a short reason (``connection reset by peer``) for one that broke.

With TLS, the socket stays plain and a :class:`~chinwag.tls.TlsChannel` sits on top
(see ``chinwag/tls.py``): one lock covers every use of it, so the receiving thread and the
input loop never touch OpenSSL at the same time. A server password is sent as
``/pass`` first thing on every connection, reconnections included.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from chinwag import hostport
from chinwag.client.backoff import Backoff
from chinwag.client.lines import Received
from chinwag.client.outgoing import Outgoing
from chinwag.client.state import ClientState, encode
from chinwag.tls import TlsChannel, TlsError

RECV_BYTES = 64 * 1024
CONNECT_TIMEOUT = 10.0
# Without traffic a cut network is never noticed; keepalive probes notice it in ~2 minutes.
_KEEPALIVE = {"TCP_KEEPIDLE": 60, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 5}


class ConnectFailed(Exception):
    """The server could not be reached; the message is the one line to show the user."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"Could not connect to {hostport.join(host, port)}: {reason}")
        self.reason = reason


class End(Enum):
    """How a connection ended, valued as the client's exit code."""

    LEFT = 0  # the user left and the server said goodbye
    CANNOT_START = 1  # the server is no chat server this client can talk to (TLS expected)
    LOST = 2  # the server went away, or left without its goodbye
    REFUSED = 3  # the server would not have this user: a ban, a kick, a password, full


@dataclass(frozen=True, slots=True)
class Ended:
    """How the connection ended, and why, in the server's words when it said."""

    how: End
    reason: str = ""

    @property
    def lost(self) -> bool:
        """Anything but leaving: the UI reports it."""
        return self.how is not End.LEFT


class Listener(Protocol):
    """What the UI is told, always from the receiving thread."""

    def lines(self, received: list[Received]) -> None: ...

    def status(self, text: str) -> None: ...

    def ended(self, outcome: Ended) -> None: ...


def describe(error: OSError) -> str:
    """A short lower-case reason for a socket error, such as ``connection refused``."""
    if isinstance(error, socket.gaierror):
        return str(error.strerror or error).lower()
    if isinstance(error, TimeoutError) and not error.errno:
        return "timed out"
    if error.errno:
        return os.strerror(error.errno).lower()
    return str(error) or type(error).__name__


def open_socket(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:
        raise ConnectFailed(host, port, describe(error)) from error
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in _KEEPALIVE.items():
        if hasattr(socket, name):  # not every platform has every knob
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
    return sock


class Wire:
    """A connected socket, with TLS on top when asked for; safe for one reader and senders."""

    def __init__(self, sock: socket.socket, tls: TlsChannel | None = None) -> None:
        self.sock = sock
        self._tls = tls
        self._lock = threading.Lock()  # one sendall at a time; every use of the TLS channel

    def recv(self) -> bytes | None:
        """Received plaintext (maybe empty, mid-record); ``None`` at the end of the stream."""
        data = self.sock.recv(RECV_BYTES)
        if not data:
            return None
        if self._tls is None:
            return data
        with self._lock:
            plaintext, reply = self._tls.open(data)
            if reply:
                self.sock.sendall(reply)
        if self._tls.closed_by_peer and not plaintext:
            return None
        return plaintext

    def sendall(self, data: bytes) -> None:
        with self._lock:
            self.sock.sendall(data if self._tls is None else self._tls.seal(data))

    def shutdown(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()


def open_wire(
    host: str, port: int, tls: ssl.SSLContext | None, timeout: float = CONNECT_TIMEOUT
) -> Wire:
    """Connect, and finish the TLS handshake when ``tls`` is given; raises ConnectFailed."""
    sock = open_socket(host, port, timeout)
    if tls is None:
        return Wire(sock)
    channel = TlsChannel(tls, server_hostname=host)
    try:
        channel.handshake(sock, timeout)
    except TlsError as error:
        sock.close()
        raise ConnectFailed(host, port, str(error)) from error
    return Wire(sock, channel)


class Link:
    """One user's connection to a server (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        listener: Listener,
        *,
        backoff: Backoff | None = None,
        state: ClientState | None = None,
        tls: ssl.SSLContext | None = None,
        password: str = "",
    ) -> None:
        self.host = host
        self.port = port
        self._tls = tls
        self._password = password
        self._listener = listener
        self._backoff = backoff
        self._state = state if state is not None else ClientState()
        self._lock = threading.Lock()  # guards _wire, _state and the stop/leave decisions
        self._wire: Wire | None = None
        self._stop = threading.Event()
        self._leaving = False
        self._last_heard = 0.0  # time.monotonic() of the last bytes received
        self.done = threading.Event()  # set once the receiving thread has said how it ended
        self._thread = threading.Thread(target=self._run, name="chinwag-receive", daemon=True)

    # --- used by the input loop ----------------------------------------------------------

    def connect(self) -> None:
        """Open the first connection; raises :class:`ConnectFailed`."""
        self._wire = self._open()

    def _open(self) -> Wire:
        wire = open_wire(self.host, self.port, self._tls)
        if self._password:
            try:
                wire.sendall(encode(f"/pass {self._password}"))
            except OSError as error:
                wire.close()
                raise ConnectFailed(self.host, self.port, describe(error)) from error
        return wire

    def start(self) -> None:
        self._thread.start()

    def send(self, line: str) -> bool:
        """Send one line; False if there is no connection right now."""
        with self._lock:
            wire = self._wire
        if wire is None:
            return False
        try:
            wire.sendall(encode(line))
        except OSError:
            return False  # the receiving thread notices and reports the loss
        return True

    def ask_nick(self, nick: str) -> bool:
        """Ask for ``nick`` (``--nick``), hiding the greeting's hint to choose a name."""
        with self._lock:
            line = self._state.ask_nick(nick)
        return self.send(line)

    def leave(self, line: str = "/quit", idle_timeout: float = 2.0) -> bool:
        """Say goodbye with ``line`` and wait for the server to close, then close.

        The wait lasts as long as the server keeps sending: it ends after ``idle_timeout``
        seconds with nothing received (a busy server may take long to answer everything
        sent before the goodbye, but it talks while it does). ``False`` if it ended so.
        """
        with self._lock:
            self._leaving = True
        closed = True
        if self.send(line):
            self._last_heard = time.monotonic()
            while not (closed := self.done.wait(idle_timeout)):
                if time.monotonic() - self._last_heard >= idle_timeout:
                    break
        self.close()
        return closed

    def close(self) -> None:
        """Stop the receiving thread and close the socket; safe to call more than once."""
        with self._lock:
            self._stop.set()
            wire = self._wire
        if wire is not None:
            wire.shutdown()  # wakes the thread blocked in recv()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        if wire is not None:
            wire.close()

    # --- what the server said, for the UI ------------------------------------------------

    @property
    def nick(self) -> str:
        with self._lock:
            return self._state.nick

    @property
    def room(self) -> str:
        with self._lock:
            return self._state.room

    def nicks_seen(self) -> list[str]:
        with self._lock:
            return self._state.nicks_seen

    def echo(self, outgoing: Outgoing) -> Received | None:
        with self._lock:
            return self._state.echo(outgoing, datetime.now())

    # --- the receiving thread ------------------------------------------------------------

    def _run(self) -> None:
        outcome = Ended(End.LOST, reason="the client failed")
        try:
            outcome = self._serve()
        finally:
            self._listener.ended(outcome)
            self.done.set()

    def _serve(self) -> Ended:
        while True:
            reason = self._receive_until_closed()
            with self._lock:
                ending = self._ending(reason)
            if ending is not None:
                return ending
            self._listener.status(f"Connection to server lost ({reason})")
            if not self._reconnect():
                return Ended(End.LEFT)

    def _ending(self, reason: str) -> Ended | None:
        """How the link ends now that a connection has; None: reconnect."""
        state = self._state
        if state.speaks_tls:
            where = f"Could not connect to {hostport.join(self.host, self.port)}"
            return Ended(End.CANNOT_START, f"{where}: the server speaks TLS; connect with --tls")
        if self._leaving and state.said_goodbye:
            return Ended(End.LEFT)
        if self._stop.is_set() and not self._leaving:
            return Ended(End.LEFT)  # closed by the UI
        if not state.heard:
            reason += " before saying anything (if it speaks TLS, connect with --tls)"
        if self._backoff is None or not state.may_rejoin or self._leaving:
            return Ended(End.REFUSED if state.refused else End.LOST, reason)
        return None

    def _receive_until_closed(self) -> str:
        """Read until the connection ends; return why it ended."""
        wire = self._wire
        assert wire is not None, "the link is started after connecting"
        while True:
            try:
                data = wire.recv()
            except OSError as error:
                return describe(error)
            self._last_heard = time.monotonic()
            with self._lock:
                if data is None:
                    return self._state.farewell or "closed by the server"
                received = self._state.receive_data(data)
                if self._state.speaks_tls:
                    return "the server speaks TLS"
                replies = self._state.take_outgoing()
            if received:
                self._listener.lines(received)
            for reply in replies:
                self.send(reply)

    def _reconnect(self) -> bool:
        """Retry on the backoff schedule until connected (True) or stopped (False)."""
        assert self._backoff is not None
        with self._lock:
            old, self._wire = self._wire, None
        if old is not None:
            old.close()
        for attempt, delay in enumerate(self._backoff.delays(), start=1):
            self._listener.status(f"Reconnecting in {delay:.1f}s (attempt {attempt})")
            if self._stop.wait(delay):
                return False
            try:
                wire = self._open()
            except ConnectFailed as error:
                self._listener.status(str(error))
                continue
            with self._lock:
                if self._stop.is_set():
                    wire.close()
                    return False
                self._state.reset_connection()
                self._wire = wire
            self._listener.status(f"Reconnected to {hostport.join(self.host, self.port)}")
            return True
        return False  # the schedule is endless; this only satisfies the type checker
