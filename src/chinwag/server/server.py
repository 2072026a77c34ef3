"""The chat server's lifecycle: listen, accept, serve each client in its own thread, stop.

Lifecycle (as in ``socketserver``): ``ChatServer(config)`` binds; :meth:`start` starts the
drainer, the sender and the accept thread and logs ``Server started on HOST:PORT``;
:meth:`serve_forever` also waits until :meth:`shutdown`; :meth:`shutdown` says goodbye to
every client, closes them, and joins every thread it started. Use it as a context manager
and it is shut down however the block ends.

Reader threads (one per client) hand the hub's deliveries to the sender thread, which
fans them out and sends them (``sender.py``; when it is idle, a reader fans its own
message out in its place). A housekeeping thread asks every session for
its timed work every few seconds (IRC pings and timeouts) and hands it over the same way;
it never touches sockets itself. Once a minute it also gives the memory the threads freed
back to the system (``chinwag.allocator``).

Password checks (scrypt) run in the hub's password guard, whose worker threads start with
the first check and are joined at shutdown (``password_guard.py``).

Each listener (the text port; others such as IRC) has its own accept thread and a factory
for the protocol sessions of its connections; all of them share one hub.
An accept thread refuses banned addresses and connections past ``max_clients`` before
any thread is started for them, and, in a cluster, newcomers it has no name for (the
numbers come from Redis, and the accept thread never waits for it). A connection
admitted per address holds its slot until its thread ends, or is given it back at
once however it is refused. A failing ``accept`` (out of file descriptors, say) is
logged and retried after a pause, never fatal; only a peer's own trouble (a connection
reset before it was accepted) passes unlogged.

History (``chinwag.history``) is opened first, so an unusable data directory stops the
server before it listens: :attr:`ChatServer.history` records every room message (and
private ones, if configured) the hub accepts, its writer thread writes them, and
the ban list is filled from it and saves its changes through it, and so do rooms' topics
and settings (the hub restores them when it makes a room). It is closed last.

Every long-lived thread (accept, housekeeping, sender, drainer, log, history) is a
:class:`~chinwag.worker.Worker`: a bug in one round of its loop is logged with its
traceback and the thread carries on, rather than dying while the process stays up.
"""

from __future__ import annotations

import contextlib
import errno
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING

from chinwag import allocator, hostport, log
from chinwag.cluster import ClusterError
from chinwag.config import Config
from chinwag.history.replay import Replayer
from chinwag.history.rooms import KeptRooms
from chinwag.history.service import History
from chinwag.hub import bans
from chinwag.hub.contract import ChatHub
from chinwag.hub.events import Farewell
from chinwag.hub.hub import Hub
from chinwag.password_guard import CheckPool, PasswordGuard, Penalties
from chinwag.server.admission import AdmissionControl, parse_networks
from chinwag.server.congestion import Congestion
from chinwag.server.connection import Connection, SessionFactory, text_session
from chinwag.server.drainer import Drainer
from chinwag.server.registry import ActiveConnections, NamesUnavailable
from chinwag.server.router import Router
from chinwag.server.sender import Sender
from chinwag.text.format import TEXT
from chinwag.tls import server_context
from chinwag.turns import Turns
from chinwag.worker import Worker

if TYPE_CHECKING:
    from chinwag.cluster.hub import ClusterHub
    from chinwag.cluster.replica import EntryClock

SHUTDOWN_NOTICE = "* server shutting down"
SHUTDOWN_GRACE_SECONDS = 1.5
HOUSEKEEPING_SECONDS = 2.0
_RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
# What accept() reports about one peer's connection, not about the listener (accept(2)
# on Linux passes on the network errors of the connection it was taking).
_PEER_ERRORS = {
    errno.ECONNABORTED,
    errno.EPROTO,
    errno.ENETDOWN,
    errno.ENOPROTOOPT,
    errno.EHOSTDOWN,
    errno.ENONET,
    errno.EHOSTUNREACH,
    errno.EOPNOTSUPP,
    errno.ENETUNREACH,
    errno.EAGAIN,
    errno.EINTR,
    errno.EPERM,  # a firewall rule refused it
}
_ACCEPT_BACKOFF_SECONDS = (0.05, 1.0)
# Said to a newcomer no name can be given now (a cluster's node without numbers at hand).
UNAVAILABLE = "The chat is unavailable; try again shortly"
_BACKLOG = 1024
_LISTENER_TITLES = {"tls": "TLS", "irc": "IRC", "irc-tls": "IRC over TLS"}


def raise_open_file_limit() -> int:
    """Raise this process's open-file limit as far as allowed; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            return hard
    return soft


def text_refusal(reason: str) -> bytes:
    return TEXT.line(f"! {reason}")


class Listener:
    """A listening socket, the thread accepting on it and the protocol it serves."""

    def __init__(
        self,
        name: str,
        sock: socket.socket,
        factory: SessionFactory,
        tls: ssl.SSLContext | None = None,
        refusal: Callable[[str], bytes] = text_refusal,
        *,
        flood: tuple[int, float] | None = None,
    ) -> None:
        self.name = name
        self.sock = sock
        self.factory = factory
        self.tls = tls
        self.refusal = refusal  # the line that tells a refused client why
        self.worker: Worker
        self.pause = _ACCEPT_BACKOFF_SECONDS[0]  # before retrying a failed accept
        self.flood = flood  # flood control's burst and rate; None: the text protocol's


class ChatServer:
    """A running chat server (see the module docstring for its lifecycle)."""

    def __init__(
        self, config: Config, *, housekeeping_seconds: float = HOUSEKEEPING_SECONDS
    ) -> None:
        self.config = config
        self.housekeeping_seconds = housekeeping_seconds
        # First: a data directory that cannot be used stops the server before it listens.
        self.history = History.open(config)
        self._history_closed = False
        self.admission = AdmissionControl(
            config.max_per_address,
            config.max_connects_per_minute,
            parse_networks(config.exempt_addresses),
        )
        passwords = PasswordGuard(
            CheckPool(config.password_check_concurrency),
            # Exempt addresses keep the per-connection penalties: only the per-address
            # ones would lock a whole shared address out.
            Penalties(
                max_failures=config.max_password_failures,
                base_delay=config.password_failure_delay,
                exempt=self.admission.exempt,
            ),
        )
        make_hub = partial(
            Hub,
            oper_password_hash=config.oper_password_hash,
            quiet_room_size=config.quiet_room_size,
            passwords=passwords,
            max_rooms_per_member=config.max_rooms_per_member,
            max_rooms=config.max_rooms,
            # Nobody may pass for the server: by its name, or its first label.
            reserved_names=(config.server_name, config.server_name.partition(".")[0]),
            bans=self.history.bans(),
            recorder=self.history.record,
        )
        self.cluster: ClusterHub | None = None  # set below when the chat is shared
        self.hub: ChatHub = (
            make_hub(
                kept_rooms=KeptRooms(
                    self.history.load_rooms(),
                    self.history.save_room,
                    self.history.forget_room,
                    limit=config.max_rooms,
                )
            )
            if not config.cluster
            else make_hub()  # replaced once the listeners are bound (the node is named by port)
        )
        self.registry = ActiveConnections(config.max_clients)
        self._drainer = Drainer()
        # This server's connections by member id: what deliveries are routed through.
        self.router = Router()
        self._sender = Sender(self.router)
        self._congestion = Congestion(config.pushback_seconds, config.send_stall_seconds)
        self._lock = threading.Lock()
        # Finishing connections take turns on this (see chinwag.server.connection).
        self._departures = threading.Lock()
        # Readers take turns to interpret what they read (see chinwag.turns).
        self._turns = Turns()
        self._connections: dict[str, Connection] = {}
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._started = False
        self._listeners: list[Listener] = []
        self._housekeeper = Worker("chinwag-housekeeping", self._housekeep, log.problem)
        self._next_release = time.monotonic() + allocator.RELEASE_SECONDS
        try:
            tls = server_context(config.tls_cert, config.tls_key) if config.tls_cert else None
        except BaseException:
            self._close_history()
            raise
        try:
            if tls is not None and config.tls_port:
                self.add_listener("text", config.port, text_session)
                self.add_listener("tls", config.tls_port, text_session, tls)
            else:
                self.add_listener("text", config.port, text_session, tls)
            if config.irc_port or config.irc_tls_port:
                # Loaded only when asked for: it is a third of the start-up time.
                from chinwag.irc.listener import irc_refusal, irc_sessions
            irc_flood = (config.irc_flood_burst, config.irc_flood_rate)
            if config.irc_port:
                self.add_listener(
                    "irc", config.irc_port, irc_sessions(config), None, irc_refusal, flood=irc_flood
                )
            if tls is not None and config.irc_tls_port:
                self.add_listener(
                    "irc-tls",
                    config.irc_tls_port,
                    irc_sessions(config),
                    tls,
                    irc_refusal,
                    flood=irc_flood,
                )
            if config.cluster:
                self.hub = self._join_cluster(make_hub)
        except BaseException:
            self.server_close()
            self._close_history()
            raise
        self.hub.history = Replayer(
            self.history, on_join=config.history_replay, maximum=config.history_max
        )

    def _join_cluster(self, make_hub: Callable[..., Hub]) -> ChatHub:
        """This server's hub as a node of the cluster (redis-py is imported only here)."""
        try:
            from chinwag.cluster.node import open_cluster
        except ImportError as exc:
            raise ClusterError(
                f"--cluster needs redis-py ({exc}): pip install 'chinwag[cluster]'"
            ) from exc

        def replica(ids: EntryClock, secret: bytes) -> Hub:
            # Deterministic, so that every node's copy goes through the same states; rooms'
            # settings are the cluster's, kept in memory, and written here too.
            return make_hub(
                clock=ids.now,
                message_ids=ids,
                cloak_secret=secret,
                kept_rooms=KeptRooms([], self.history.save_room, self.history.forget_room),
            )

        self.cluster = open_cluster(self.config, self.address[1], replica)
        self.registry.numbers = self.cluster.link.next_number
        return self.cluster

    def add_listener(
        self,
        name: str,
        port: int,
        factory: SessionFactory,
        tls: ssl.SSLContext | None = None,
        refusal: Callable[[str], bytes] = text_refusal,
        *,
        flood: tuple[int, float] | None = None,
    ) -> Listener:
        """Listen on another port (before :meth:`start`), serving ``factory``'s protocol."""
        sock = socket.create_server(
            (self.config.host, port), family=_family(self.config.host), backlog=_BACKLOG
        )
        listener = Listener(name, sock, factory, tls, refusal, flood=flood)
        listener.worker = Worker(
            f"chinwag-accept-{name}", lambda: self._accept_one(listener), log.problem
        )
        self._listeners.append(listener)
        return listener

    @property
    def address(self) -> tuple[str, int]:
        """The text listener's host and port (the port is real even if 0 was asked)."""
        return self.listener_address("text")

    def listener_address(self, name: str) -> tuple[str, int]:
        listener = next(item for item in self._listeners if item.name == name)
        host, port = listener.sock.getsockname()[:2]
        return host, port

    def start(self) -> None:
        raise_open_file_limit()
        self.history.start()  # before the stack size shrinks: SQLite runs in this thread
        threading.stack_size(self.config.thread_stack_kib * 1024)
        self._started = True
        self._drainer.start()
        self._sender.start()
        if self.cluster is not None:
            self.cluster.start(self._sender.submit)
        config = self.config
        if config.oper_password_hash or config.password or config.password_hash:
            self.hub.passwords.pool.start()
        for listener in self._listeners:
            listener.worker.start()
        self._housekeeper.start()
        host, port = self.address
        log.LOGGER.info(f"Server started on {hostport.join(host, port)}")
        # Then, on one line, every port that speaks something else than plain text.
        others = []
        for listener in self._listeners:
            title = "TLS" if listener.tls is not None and listener.name == "text" else None
            title = title or _LISTENER_TITLES.get(listener.name)
            if title is not None:
                extra_host, extra_port = listener.sock.getsockname()[:2]
                others.append(f"{title} on {hostport.join(extra_host, extra_port)}")
        if others:
            log.event("; ".join(others))

    def serve_forever(self) -> None:
        """Start, then wait until :meth:`shutdown` has finished."""
        self.start()
        self._stopped.wait()

    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections.values())

    def shutdown(self) -> None:
        """Tell every client, close every connection, join every thread. Idempotent."""
        if self._stopping.is_set():
            self._stopped.wait()
            return
        self._stopping.set()
        for listener in self._listeners:
            # Shutting the socket down wakes the blocked accept().
            listener.worker.stop(partial(_shut_down, listener.sock))
        self._housekeeper.stop()
        self.server_close()
        self.hub.close()
        self._sender.dispatch()  # what was said before the goodbye goes before it
        goodbye = Farewell(SHUTDOWN_NOTICE.removeprefix("* "), "server shutting down")
        connections = self.connections()
        for connection in connections:
            connection.close("server shutting down", connection.formatter.format(goodbye))
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for connection in connections:
            connection.thread.join(max(0.0, deadline - time.monotonic()))
        if self.cluster is not None:
            self.cluster.stop()  # after the readers: their departures reach the others
        self._sender.stop()
        self._drainer.stop()
        self.hub.passwords.close()
        self._close_history()  # after the readers: what they handed over is written
        self._stopped.set()

    def __enter__(self) -> ChatServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._started:
            self.shutdown()
        else:
            self.server_close()
            self._close_history()

    def _close_history(self) -> None:
        if not self._history_closed:
            self._history_closed = True
            self.history.close()

    def server_close(self) -> None:
        """Close the listening sockets."""
        for listener in self._listeners:
            listener.sock.close()

    # --- the housekeeping thread --------------------------------------------------------

    def _housekeep(self) -> bool:
        """Every few seconds, let each session do its timed work (pings, timeouts)."""
        if self._stopping.wait(self.housekeeping_seconds):
            return False
        now = time.monotonic()
        for connection in self.connections():
            try:
                self._sender.submit(connection.session.tick(now))
            except Exception:  # noqa: BLE001 - one broken session must not stop the rest
                log.problem(f"error in the timed work of {connection.name}")
                connection.close("server error")
        for outbox in self._congestion.stalled():
            outbox.stalled()
        if now >= self._next_release:
            self._next_release = now + allocator.RELEASE_SECONDS
            allocator.release()
        return True

    # --- the accept threads ----------------------------------------------------------------

    def _accept_one(self, listener: Listener) -> bool:
        """Accept and admit one connection; False once the server stops."""
        try:
            sock, address = listener.sock.accept()
        except OSError as exc:
            if self._stopping.is_set():
                return False
            self._accept_failed(listener, exc)
            return True
        listener.pause = _ACCEPT_BACKOFF_SECONDS[0]
        try:
            self._admit(sock, address[:2], listener)
        except Exception:  # noqa: BLE001 - one bad connection never stops the accept loop
            log.problem(f"error while accepting a connection from {address[0]}")
            sock.close()
        return not self._stopping.is_set()

    def _accept_failed(self, listener: Listener, exc: OSError) -> None:
        if exc.errno in _PEER_ERRORS:
            return  # one peer's trouble (it reset before it was accepted): take the next
        reason = exc.strerror or str(exc)
        if exc.errno in _RESOURCE_ERRORS:
            what = "cannot accept connections"
        else:
            what = f"cannot accept a connection on the {listener.name} port"
        log.event(f"{what}: {reason}; retrying in {listener.pause:g}s")
        self._stopping.wait(listener.pause)
        listener.pause = min(listener.pause * 2, _ACCEPT_BACKOFF_SECONDS[1])

    def _admit(self, sock: socket.socket, address: tuple[str, int], listener: Listener) -> None:
        ip = address[0]
        ban = self.hub.bans.find(ip)
        if ban is not None:
            _refuse(sock, listener, bans.refusal(ban))
            log.event(f"Refused connection from {ip}: banned")
            return
        refusal = self.admission.admit(ip)
        if refusal is not None:
            _refuse(sock, listener, f"{refusal[0].upper()}{refusal[1:]}; try again later")
            log.event(f"Refused connection from {ip}: {refusal}")
            return
        handed_over = False
        try:
            handed_over = self._open(sock, address, listener)
        finally:
            if not handed_over:  # refused, or failed: its slot is free again
                self.admission.release(ip)

    def _open(self, sock: socket.socket, address: tuple[str, int], listener: Listener) -> bool:
        """Name the connection and start its thread (which then owns its admission);
        ``False`` if it was refused instead."""
        ip = address[0]
        try:
            info = self.registry.try_add(sock, address)
        except NamesUnavailable:
            _refuse(sock, listener, UNAVAILABLE)
            log.event(f"Refused connection from {ip}: no member number at hand (cluster)")
            return False
        if info is None:
            most = self.config.max_clients
            clients = "1 client" if most == 1 else f"{most} clients"
            full = f"Server is full ({clients}); try again later"
            _refuse(sock, listener, full)
            log.event(f"Refused connection from {ip}: server is full")
            return False
        self._tune(sock)
        log.event(f"Client {info.name} connected to server at {info.connected_at.isoformat()}")
        connection = Connection(
            info,
            self.hub,
            self.config,
            self._drainer,
            self._forget,
            router=self.router,
            session_factory=listener.factory,
            tls=listener.tls,
            sender=self._sender,
            flood=listener.flood,
            congestion=self._congestion,
            departures=self._departures,
            hub_in_turn=self.cluster is None,
            turns=self._turns if self.cluster is None else None,
        )
        with self._lock:
            self._connections[info.name] = connection
        try:
            connection.thread.start()
        except RuntimeError:
            log.problem(f"cannot start a thread for {info.name}")
            with self._lock:
                del self._connections[info.name]
            self.registry.remove(info.name)
            sock.close()
            log.event(f"Removed connection for {info.name}")
            return False
        return True

    def _forget(self, connection: Connection) -> None:
        with self._lock:
            self._connections.pop(connection.name, None)
        self.registry.remove(connection.name)
        self.admission.release(connection.info.address[0])

    def _tune(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.config.socket_send_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.config.socket_send_buffer)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        # telnet's "synch" marks a command as urgent; kept in the stream, the session
        # drops it like any other telnet command instead of losing one byte of it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, self.config.keepalive_idle)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, self.config.keepalive_interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, self.config.keepalive_count)
        # Keepalive probes stop while sent data waits for an acknowledgement; the user
        # timeout bounds that case too, so a peer that vanished mid-send is dropped in
        # about the same time as one that vanished while idle.
        dead_after = (
            self.config.keepalive_idle
            + self.config.keepalive_interval * self.config.keepalive_count
        )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, dead_after * 1000)


def _refuse(sock: socket.socket, listener: Listener, reason: str) -> None:
    """Tell a refused client why in its protocol's words, without waiting for it, and close.

    A TLS client is told nothing: the words could only be sent after a handshake, and a
    handshake is what a refused socket must not cost.
    """
    with contextlib.suppress(OSError):
        if listener.tls is None:
            sock.send(listener.refusal(reason), socket.MSG_DONTWAIT)
        sock.shutdown(socket.SHUT_WR)
    sock.close()


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
