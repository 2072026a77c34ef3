"""One client, whatever its protocol: its socket, its reader thread and its outbox.

Theory of operation (the ``socketserver`` shape): the thread named after the client runs
``setup`` (enter the hub, greet), ``handle`` (read, frame, interpret, hand the
deliveries to the sender thread) and, in a
``finally``, ``finish`` (leave the hub, deregister, close, log). ``finish`` is the only
place a connection ends, so ``Removed connection`` is logged exactly once however it ended.
Other threads end a connection with :meth:`close`, which records the reason and shuts the
socket down; the blocked ``recv`` then returns and the reader thread finishes.

Flood control paces lines here, where waiting is cheap: a flooding client's own thread
waits before interpreting each line the token bucket has no token for, reading nothing
meanwhile, so TCP slows the client down. It is told once; only a client that keeps it up
for ``flood_max_seconds`` is dropped for ``excess flood`` (see :class:`Pacer`).
Flow control holds the reader the same way: before each read (and between the slices of
a large one) it passes the :class:`Congestion` gate, which waits while other clients'
queues are congested. When the client ends its input, the replies to what it sent are
delivered before the connection closes.

Finishing connections take turns (the server's ``departures`` lock): leaving the hub,
then closing and forgetting. When many clients leave at once, every one of their threads
wakes and wants the interpreter's lock; a thread waiting for that lock wakes every switch
interval, so thousands of them keep the CPU busy in the kernel and the few doing work
barely get a turn: all the departures together took time in the square of their number.
A thread that waits for the ``departures`` lock sleeps until it is its turn, so the crowd
quickly queues there and leaves one by one at full speed. Waiting for a lingering
client's replies is not done in turn; nor is leaving a hub that waits for other servers
(a cluster's), which would make each departure wait for the one before it.

What the bytes mean is the business of a :class:`Session` (text, IRC): bytes in,
deliveries out, no socket.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Protocol

from chinwag import log
from chinwag.config import Config
from chinwag.hub.contract import ChatHub
from chinwag.hub.endpoint import Formatter
from chinwag.hub.events import Delivery, Farewell, Info, to
from chinwag.hub.hub import Member
from chinwag.passwords import password_checker
from chinwag.server.congestion import Congestion
from chinwag.server.dispatch import deliver
from chinwag.server.flood import Pacer
from chinwag.server.outbox import Outbox, Parking
from chinwag.server.registry import ConnectionInfo
from chinwag.server.router import Router
from chinwag.server.sender import Sender
from chinwag.text.session import TextSession
from chinwag.tls import TlsChannel, TlsError
from chinwag.turns import Turns, away

RECV_BYTES = 65536
# A read longer than this is interpreted in slices of this size, the queues it fills
# checked for congestion between them, so a burst stops before it overfills them.
SLICE_BYTES = 4096
SLOWED_DOWN = "you are sending fast; your lines are being slowed down"
# How long a client whose input has ended may take to receive the replies queued for it.
CLOSE_LINGER_SECONDS = 10.0


class Session(Protocol):
    """A protocol front end: interprets one client's bytes, formats what it receives."""

    @property
    def formatter(self) -> Formatter: ...

    @property
    def finished(self) -> bool:
        """The client asked to leave; nothing more is read."""

    def start(self) -> list[Delivery]:
        """Greet the client (and, for protocols without registration, enter the hub)."""

    def receive(self, data: bytes) -> list[Delivery]:
        """The deliveries caused by bytes received from the client."""

    def tick(self, now: float) -> list[Delivery]:
        """Timed work at ``time.monotonic()`` ``now`` (pings, timeouts), from the
        housekeeping thread. To end the connection, deliver a ``Farewell`` to the client."""


SessionFactory = Callable[[ChatHub, Member, Config], Session]


def text_session(hub: ChatHub, member: Member, config: Config) -> Session:
    return TextSession(
        hub,
        member,
        max_line_bytes=config.max_line_bytes,
        password_check=password_checker(config.password, config.password_hash),
        motd=config.motd,
    )


def describe_error(exc: OSError) -> str:
    if exc.errno in (errno.ECONNRESET, errno.EPIPE):
        return "connection reset by peer"
    if exc.errno == errno.ETIMEDOUT:
        return "connection timed out"
    return f"connection error: {exc.strerror or exc}"


class _Reached:
    """What the dispatcher reads of a connection: see :class:`Connection`'s slots."""

    # The dispatcher reads ``formatter`` and ``send`` of every recipient for every
    # message, when they are no longer in the CPU's caches: slots, not a dict, and
    # plain values, not calls that would reach into the session too. CPython lays out
    # a class's slots in alphabetical order, after its base's: as this base's, these
    # two share the cache line of the object's header.
    __slots__ = ("formatter", "send")


class Connection(_Reached):
    """A client connection and the thread that serves it."""

    __slots__ = (  # see :class:`_Reached`
        "_close_reason",
        "_closing",
        "_congestion",
        "_deliver",
        "_departures",
        "_handshake_timeout",
        "_hub",
        "_hub_in_turn",
        "_input_ended",
        "_on_finish",
        "_outbox",
        "_pacer",
        "_router",
        "_sender",
        "_sock",
        "_sock_closed",
        "_state_lock",
        "_tls",
        "_turn",
        "info",
        "member",
        "name",
        "session",
        "thread",
    )

    def __init__(
        self,
        info: ConnectionInfo,
        hub: ChatHub,
        config: Config,
        parking: Parking,
        on_finish: Callable[[Connection], None],
        *,
        router: Router,
        session_factory: SessionFactory = text_session,
        tls: ssl.SSLContext | None = None,
        sender: Sender | None = None,
        flood: tuple[int, float] | None = None,
        congestion: Congestion | None = None,
        departures: threading.Lock | None = None,
        hub_in_turn: bool = True,
        turns: Turns | None = None,
    ) -> None:
        """``flood``: the burst and rate of flood control (default: the text protocol's);
        ``congestion``: the gate to pass before each read (none: no flow control);
        ``departures``: the lock finishing connections take turns on (shared by the
        server's connections; none: this connection's own); ``hub_in_turn``: whether
        leaving the hub is done in turn too (not when it waits for others to answer,
        as a cluster's does); ``turns``: the readers' turn to interpret what they read
        (shared by the server's connections; none: no turns, for a hub that waits for
        others to answer)."""
        self.info = info
        self.name = info.name
        self._sock = info.sock
        self._hub = hub
        self._on_finish = on_finish
        self._tls = TlsChannel(tls) if tls is not None else None
        self._handshake_timeout = config.handshake_timeout
        self._outbox = Outbox(
            self._sock,
            config.send_queue_bytes,
            parking,
            self._overflowed,
            records=self._tls,
            sender=sender,
            congestion=congestion,
        )
        self._congestion = congestion
        self._departures = departures if departures is not None else threading.Lock()
        self._hub_in_turn = hub_in_turn
        self._turn: contextlib.AbstractContextManager[None] = (
            turns.turn() if turns is not None else contextlib.nullcontext()
        )
        # Queue bytes and have them sent, never blocking: the dispatcher's hot path, so
        # the outbox's own method, with no wrapper around it.
        self.send: Callable[[bytes], None] = self._outbox.post
        self.member = Member(info.name, info.address[0], info.connected_at)
        self._router = router
        self.session = session_factory(hub, self.member, config)
        # The session's formatter, copied after each step of the session that may choose
        # another (an IRC client's capabilities choose it): see :meth:`_hand_over`.
        self.formatter: Formatter = self.session.formatter
        self._state_lock = threading.Lock()
        self._close_reason: str | None = None  # set once the connection is being closed
        self._sock_closed = False
        self._closing = threading.Event()  # wakes a reader that is pacing a flooder
        self._input_ended = False  # the client shut down its side: reply, then close
        self._sender = sender
        burst, rate = flood if flood is not None else (config.flood_burst, config.flood_rate)
        self._pacer = Pacer(burst, rate, config.flood_max_seconds) if burst and rate else None
        # Hand deliveries over in order: to the sender thread when there is one.
        self._deliver: Callable[[list[Delivery]], object] = (
            sender.submit if sender is not None else lambda ds: deliver(ds, router)
        )
        self.thread = threading.Thread(target=self._run, name=info.name, daemon=True)

    # --- the endpoint the dispatcher talks to --------------------------------------------

    def close(self, reason: str, last_words: bytes = b"") -> None:
        with self._state_lock:
            if self._close_reason is not None or self._sock_closed:
                return
            self._close_reason = reason
            self._closing.set()
            if self._congestion is not None:
                self._congestion.wake()  # the reader may be waiting for others to drain
            self._outbox.write_last(last_words)
            with contextlib.suppress(OSError):  # the peer may have shut it down already
                self._sock.shutdown(socket.SHUT_RDWR)

    # --- the reader thread ---------------------------------------------------------------

    def _run(self) -> None:
        reason = "connection closed"
        try:
            if self._tls is not None:
                self._tls.handshake(self._sock, self._handshake_timeout)
            # Reachable before it is in the hub, so no delivery to it can miss it.
            self._router.add(self.member.client_id, self)
            with self._turn:
                self._hand_over(self.session.start())
            reason = self._handle()
        except TlsError as exc:
            log.event(f"{self.name}: {exc}")
            reason = str(exc)
        except Exception:  # noqa: BLE001 - a bug must cost one connection, not the server
            log.problem(f"error while serving {self.name}")
            reason = "server error"
        finally:
            self._finish(reason)

    def _handle(self) -> str:
        """Serve the client until it leaves; return why it left."""
        congestion = self._congestion
        unterminated = False  # the last bytes read did not end a line
        while not self.session.finished:
            if congestion is not None and congestion.active:
                congestion.wait(self._closing)  # others cannot keep up: let TCP hold us
            try:
                # Wait with a one-byte peek, then take what has arrived: a thread blocked
                # in recv(65536) would hold a 64 KiB buffer for as long as its client is
                # idle, which for thousands of idle clients is most of the server's memory.
                if self._sock.recv(1, socket.MSG_PEEK):
                    data = self._sock.recv(RECV_BYTES, socket.MSG_DONTWAIT)
                else:
                    data = b""
            except OSError as exc:
                return describe_error(exc)
            if not data:
                self._input_ended = True
                if unterminated:  # the input ended mid-line: that line counts too
                    self._interpret(b"\n")
                return "connection closed"
            if self._tls is not None:
                data = self._outbox.open(data)
                if self._tls.closed_by_peer:
                    return "connection closed"
                if not data:
                    continue  # only part of a TLS record so far
            unterminated = not data.endswith(b"\n")
            with self._turn:
                interpreted = self._interpret(data)
            if not interpreted:
                return "excess flood"
            if self._password_failures_exhausted():
                log.event(f"{self.name} dropped: too many wrong passwords")
                farewell = Farewell("Too many wrong passwords", "too many wrong passwords")
                self._deliver([Delivery(farewell, to(self.member))])
                return "too many wrong passwords"
            self._pause_after_wrong_password()
        return ""

    def _interpret(self, data: bytes) -> bool:
        """Interpret ``data`` and hand over the deliveries; ``False``: flooding too long."""
        if self._pacer is not None and not self.member.operator:
            return self._paced(data, self._pacer)
        if len(data) > SLICE_BYTES and self._congestion is not None:
            self._sliced(data, self._congestion)
        else:
            self._hand_over(self.session.receive(data))
        return True

    def _hand_over(self, deliveries: list[Delivery]) -> None:
        """Hand over the deliveries of a step of the session, taking first the formatter
        it may have chosen meanwhile, so that what follows the step is formatted for it."""
        self.formatter = self.session.formatter
        self._deliver(deliveries)

    def _sliced(self, data: bytes, congestion: Congestion) -> None:
        """Interpret ``data`` a slice at a time, waiting between slices while the queues
        of other clients are congested (what they hold is brought up to date first: the
        sender thread would queue the slices only after this thread read them all)."""
        for start in range(0, len(data), SLICE_BYTES):
            if start:
                if self._sender is not None:
                    self._sender.dispatch()
                if congestion.active:
                    with away():  # the turn is not needed for waiting
                        congestion.wait(self._closing)
                if self._closing.is_set() or self.session.finished:
                    return
            self._hand_over(self.session.receive(data[start : start + SLICE_BYTES]))

    def _paced(self, data: bytes, pacer: Pacer) -> bool:
        """Interpret ``data`` line by line at the pace flood control allows; ``False``:
        the client has been flooding for too long and was told it is dropped."""
        start = 0
        while (end := data.find(b"\n", start)) >= 0 and not self.session.finished:
            pace = pacer.line()
            if pace.drop:
                log.event(f"{self.name} ({self.member.nick}) dropped: excess flood")
                farewell = Farewell("You sent too much too fast (excess flood)", "excess flood")
                self._deliver([Delivery(farewell, to(self.member))])
                return False
            if pace.warn:
                self._deliver([Delivery(Info((SLOWED_DOWN,)), to(self.member))])
            if pace.delay:
                with away():
                    if self._closing.wait(pace.delay):
                        return True  # closed while waiting: the rest does not matter any more
            self._hand_over(self.session.receive(data[start : end + 1]))
            if self._password_failures_exhausted():
                return True  # the caller says goodbye
            self._pause_after_wrong_password()
            start = end + 1
        if start < len(data) and not self.session.finished:
            self._hand_over(self.session.receive(data[start:]))
        return True

    def _password_failures_exhausted(self) -> bool:
        attempts = self.member.password_attempts
        if not attempts.failures or self.session.finished:
            return False
        return self._hub.passwords.exhausted(attempts)

    def _pause_after_wrong_password(self) -> None:
        """Wait out the delay a wrong password costs here, in this client's own thread and
        outside every lock, before reading its next line."""
        attempts = self.member.password_attempts
        if attempts.failures and not self.session.finished:
            pause = self._hub.passwords.pause(attempts)
            if pause:
                with away():
                    self._closing.wait(pause)

    def _finish(self, reason: str) -> None:
        if self._hub_in_turn:
            with self._departures:
                self._leave_hub(reason)
        else:
            self._leave_hub(reason)
        if self._input_ended and self._close_reason == "connection closed":
            # A client that shut down its sending side (``echo /who | nc``) still reads:
            # it gets the replies to everything it sent before the connection closes.
            if self._sender is not None:
                self._sender.dispatch()
            self._outbox.finish(CLOSE_LINGER_SECONDS)
        with self._departures:
            self._close_and_forget()
        log.event(f"Removed connection for {self.name}")

    def _leave_hub(self, reason: str) -> None:
        with self._state_lock:
            if self._close_reason is not None:
                reason = self._close_reason
            self._close_reason = reason
        try:
            self._deliver(self._hub.remove(self.member, reason))
        except Exception:  # noqa: BLE001 - the socket must still be closed and logged
            log.problem(f"error while removing {self.name} from the hub")

    def _close_and_forget(self) -> None:
        self._outbox.close()
        self._router.remove(self.member.client_id)  # nothing can reach it any more
        with self._state_lock:
            self._sock_closed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        self._on_finish(self)

    def _overflowed(self, reason: str) -> None:
        log.event(f"{self.name} ({self.member.nick}) is not reading: {reason}")
        self.close(reason)
