"""The load generator: many chat clients in one process, on one epoll loop.

Theory of operation. Every client is a non-blocking socket registered with one
``select.epoll``; there are no threads, so the generator costs one core at most and its
own CPU time is read from ``getrusage``. Clients connect from several loopback source
addresses (127.0.0.2, 127.0.0.3, ...) so that tens of thousands of connections never run
out of ephemeral ports. A server with several addresses (the nodes of a cluster) gets its
clients spread evenly: client ``i`` connects to address ``i mod n``.

A message is one line of exactly ``B`` bytes of text::

    ~#SSSSS~QQQQQQQ~TTTTTTTTTTTTTTTT~abcdefg...~

sender number, sequence number and send time (monotonic microseconds) at fixed widths,
then a filler that is the same for every message. Receivers find messages in whatever
the server wrapped around them (a timestamp and nick, an IRC prefix) with one compiled
regular expression over each received chunk, which runs in C; a line that starts a token
but does not match the whole pattern was damaged and counts as corrupted. Per receiver and
sender the sequence numbers must arrive as 0, 1, 2, ...: a number at or below the last one
is a duplicate (or reordering), a jump is counted as out of order, and whatever never
arrives is lost.

Flat-out senders are closed-loop: a sender may run at most ``window`` messages ahead of
what one designated receiver has seen from it. That keeps every server's queues small (no
server is punished for the generator reading slower than it writes) while the server is
never idle. The default window is 8 because ngIRCd handles at most ten buffered lines of
a client per pass of its loop and may then sleep up to a second. Paced senders send on a
fixed schedule instead.

Open-loop senders never look at a receiver: a flat-out one writes the next ``OPEN_BATCH``
messages whenever its socket has taken the last ones, so only the server (by not reading
from the sender) can slow it down. Receivers are read as fast as this one process can;
when that is slower than the server writes, the server's queues grow, and what it does
then (queue, push back on the senders, or drop the reader) is what the cell measures.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import re
import resource
import select
import socket
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

MARK = b"~#"
HEADER_BYTES = 34  # "~#" 5 "~" 7 "~" 16 "~" and the closing "~"
RECV_BYTES = 262144
OPEN_BATCH = 16  # messages an open-loop flat-out sender writes at once
CLIENTS_PER_SOURCE_ADDRESS = 4000  # far below the ~28k ephemeral ports per address pair
IP_BIND_ADDRESS_NO_PORT = 24  # from linux/in.h; let connect() pick the port per 4-tuple
_EPOLLIN = select.EPOLLIN
_EPOLLOUT = select.EPOLLOUT
_EPOLLERR = select.EPOLLERR | select.EPOLLHUP


def filler(size: int) -> bytes:
    if size < HEADER_BYTES + 1:
        raise ValueError(f"messages must be at least {HEADER_BYTES + 1} bytes")
    alphabet = b"abcdefghijklmnopqrstuvwxyz"
    count = size - HEADER_BYTES
    return (alphabet * (count // len(alphabet) + 1))[:count]


def token_pattern(size: int) -> re.Pattern[bytes]:
    return re.compile(rb"~#(\d{5})~(\d{7})~(\d{16})~" + re.escape(filler(size)) + rb"~\r?\n")


@dataclass(frozen=True)
class Protocol:
    """How a client speaks to one kind of server."""

    name: str
    hello: Callable[[int], bytes]  # what client i sends right after connecting
    ready: bytes  # seen in the stream once the client may talk
    wrap: Callable[[bytes], bytes]  # a chat line carrying ``text``
    sender_prep: Callable[[int], bytes] | None = None  # e.g. become an IRC operator
    sender_ready: bytes = b""
    irc: bool = False


TEXT = Protocol(
    name="text",
    hello=lambda i: b"",
    ready=b"* Welcome to chinwag",
    wrap=lambda text: text + b"\n",
)
NCAT = Protocol(
    name="ncat",
    hello=lambda i: b"",
    ready=b"<announce> already connected",
    wrap=lambda text: text + b"\n",
)


def irc_protocol(oper: tuple[str, str] | None) -> Protocol:
    def hello(i: int) -> bytes:
        return b"NICK c%d\r\nUSER c%d 0 * :bench\r\nJOIN #bench\r\n" % (i, i)

    def prep(i: int) -> bytes:
        assert oper is not None
        name, password = oper
        # +F: ngIRCd's relaxed flood protection, settable by operators only.
        return b"OPER %s %s\r\nMODE c%d +F\r\n" % (name.encode(), password.encode(), i)

    return Protocol(
        name="irc",
        hello=hello,
        ready=b" 366 ",  # end of the NAMES list: the JOIN is complete
        wrap=lambda text: b"PRIVMSG #bench :" + text + b"\r\n",
        sender_prep=prep if oper else None,
        sender_ready=b" 381 ",  # RPL_YOUREOPER
        irc=True,
    )


class Client:
    __slots__ = ("alive", "buf", "got", "index", "last", "out", "ready", "sock")

    def __init__(self, index: int, sock: socket.socket) -> None:
        self.index = index
        self.sock = sock
        self.alive = True
        self.ready = False
        self.buf = b""  # an unfinished line, or the stream so far while waiting for a marker
        self.out = b""  # bytes the socket did not take yet
        self.last: dict[bytes, int] = {}  # sender number -> last sequence number seen
        self.got = 0


@dataclass
class TrafficResult:
    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    corrupted: int = 0
    wall_s: float = 0.0
    gen_cpu_s: float = 0.0
    sent: int = 0
    send_lateness_max_us: int = 0
    disconnected: int = 0  # clients alive at the start whose connection ended during the run
    stalled: bool = False  # ended because nothing arrived for a while, not by completion
    latencies_us: array = field(default_factory=lambda: array("q"))
    per_client_got: dict[int, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.expected - self.delivered


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class LoadGenerator:
    """A crowd of clients of one server; used for one cell, then :meth:`close`-d."""

    def __init__(
        self,
        address: tuple[str, int] | list[tuple[str, int]],
        protocol: Protocol,
        index_base: int = 0,
    ) -> None:
        self.index_base = index_base  # worker processes number their clients apart
        # Several addresses (the nodes of a cluster): client i connects to the (i mod n)th.
        self.addresses = address if isinstance(address, list) else [address]
        self.protocol = protocol
        self.epoll = select.epoll()
        self.clients: list[Client] = []
        self.by_fd: dict[int, Client] = {}
        self.failed = 0  # connections refused, reset or closed by the server

    # --- connecting ------------------------------------------------------------------------

    def connect(
        self, total: int, deadline: float, in_flight: int = 200, stall_s: float = 15.0
    ) -> int:
        """Grow the crowd to ``total`` ready clients; return how many are ready. Gives up
        early when no client has become ready for ``stall_s`` (a server at its limit)."""
        proto = self.protocol
        pending = 0
        connecting: dict[int, Client] = {}
        progress = time.monotonic()
        while (now := time.monotonic()) < deadline and now - progress < stall_s:
            while len(self.clients) < total and pending < in_flight:
                client = self._open(self.index_base + len(self.clients))
                connecting[client.sock.fileno()] = client
                pending += 1
            if pending == 0:
                break
            for fd, events in self.epoll.poll(0.2):
                client = self.by_fd[fd]
                if fd in connecting:
                    del connecting[fd]
                    err = client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err or (events & _EPOLLERR and not events & _EPOLLIN):
                        self._drop(client)
                        pending -= 1
                        continue
                    self.epoll.modify(fd, _EPOLLIN)
                    hello = proto.hello(client.index)
                    if hello:
                        self._send_now(client, hello)
                    if not (events & _EPOLLIN):
                        continue
                if not client.alive:
                    continue
                data = self._recv(client)
                if data is None:
                    if not client.ready:
                        pending -= 1
                    continue
                if not client.ready:
                    client.buf = client.buf[-4096:] + data
                    if proto.ready in client.buf:
                        client.ready = True
                        client.buf = b""
                        pending -= 1
                        progress = time.monotonic()
        return sum(1 for c in self.clients if c.ready and c.alive)

    def _open(self, index: int) -> Client:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((f"127.0.0.{2 + index // CLIENTS_PER_SOURCE_ADDRESS}", 0))
        err = sock.connect_ex(self.addresses[index % len(self.addresses)])
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, f"connect: {errno.errorcode.get(err, err)}")
        client = Client(index, sock)
        self.clients.append(client)
        self.by_fd[sock.fileno()] = client
        self.epoll.register(sock.fileno(), _EPOLLOUT | _EPOLLIN)
        return client

    def _recv(self, client: Client) -> bytes | None:
        """Read what is there; ``None`` (and the client dropped) when the server hung up."""
        try:
            data = client.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:
            data = b""
        if not data:
            self._drop(client)
            return None
        if self.protocol.irc and b"PING " in data:
            self._answer_pings(client, data)
        return data

    def _answer_pings(self, client: Client, data: bytes) -> None:
        for line in data.split(b"\n"):
            if line.startswith(b"PING "):
                self._send_now(client, b"PONG " + line[5:].rstrip(b"\r") + b"\r\n")

    def _send_now(self, client: Client, data: bytes) -> None:
        """Send a small control message; whatever does not fit waits in ``out``."""
        if client.out:
            client.out += data
            return
        try:
            sent = client.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._drop(client)
            return
        if sent < len(data):
            client.out = data[sent:]
            self.epoll.modify(client.sock.fileno(), _EPOLLIN | _EPOLLOUT)

    def _flush_out(self, client: Client) -> None:
        try:
            sent = client.sock.send(client.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(client)
            return
        client.out = client.out[sent:]
        if not client.out:
            self.epoll.modify(client.sock.fileno(), _EPOLLIN)

    def _drop(self, client: Client) -> None:
        if not client.alive:
            return
        client.alive = False
        self.failed += 1
        with contextlib.suppress(OSError, ValueError, KeyError):
            self.epoll.unregister(client.sock.fileno())
        client.sock.close()

    @property
    def alive(self) -> list[Client]:
        return [c for c in self.clients if c.alive]

    @property
    def held(self) -> list[Client]:
        """Clients the server has greeted and still holds (a connection the kernel
        completed but the server never accepted is alive, not held)."""
        return [c for c in self.clients if c.alive and c.ready]

    # --- waiting ---------------------------------------------------------------------------

    def drain(self, quiet_s: float, deadline: float, *, marker: bytes = b"") -> int:
        """Read and discard until nothing arrives for ``quiet_s``; count ``marker`` hits."""
        hits = 0
        quiet_until = time.monotonic() + quiet_s
        while True:
            now = time.monotonic()
            if now >= quiet_until or now >= deadline:
                return hits
            events = self.epoll.poll(min(quiet_until, deadline) - now)
            if events:
                quiet_until = time.monotonic() + quiet_s
            for fd, ev in events:
                client = self.by_fd[fd]
                if not client.alive:
                    continue
                if ev & _EPOLLOUT and client.out:
                    self._flush_out(client)
                if ev & (_EPOLLIN | _EPOLLERR):
                    data = self._recv(client)
                    if data and marker:
                        tail = client.buf[-len(marker) :] if client.buf else b""
                        hits += (tail + data).count(marker)
                        client.buf = data[-len(marker) :]

    def prepare_senders(self, senders: list[Client], deadline: float) -> bool:
        """Run the protocol's sender preparation (IRC: OPER) and wait for its reply."""
        prep = self.protocol.sender_prep
        if prep is None:
            return True
        for client in senders:
            client.buf = b""
            self._send_now(client, prep(client.index))
        waiting = {c.sock.fileno(): c for c in senders if c.alive}
        want = self.protocol.sender_ready
        while waiting and time.monotonic() < deadline:
            for fd, ev in self.epoll.poll(0.2):
                client = self.by_fd[fd]
                if not client.alive:
                    continue
                if ev & _EPOLLOUT and client.out:
                    self._flush_out(client)
                data = self._recv(client)
                if data and fd in waiting:
                    client.buf = client.buf[-64:] + data
                    if want in client.buf:
                        del waiting[fd]
                        client.buf = b""
        return not waiting

    def broadcast_reach(self, sender: Client, deadline: float) -> tuple[int, float]:
        """Send one message from ``sender``; return how many others got it, and how fast."""
        token = b"~#REACH~broadcast~"
        receivers = {c.sock.fileno(): c for c in self.held if c is not sender}
        for c in receivers.values():
            c.buf = b""
        started = time.monotonic()
        self._send_now(sender, self.protocol.wrap(token))
        got = 0
        last_at = started
        while receivers and time.monotonic() < deadline:
            for fd, ev in self.epoll.poll(0.2):
                client = self.by_fd[fd]
                if not client.alive:
                    receivers.pop(fd, None)
                    continue
                if ev & _EPOLLOUT and client.out:
                    self._flush_out(client)
                data = self._recv(client)
                if not data or fd not in receivers:
                    continue
                client.buf = client.buf[-32:] + data
                if token in client.buf:
                    del receivers[fd]
                    got += 1
                    last_at = time.monotonic()
        return got, last_at - started

    def greet(
        self, clients: list[Client], line: bytes, marker: bytes, count: bytes, deadline: float
    ) -> tuple[list[float], int]:
        """Send ``line`` from every client at once, then wait until each has received
        ``marker``: the seconds each waited (in the order they were greeted), and how
        many of them also received ``count`` before it."""
        waiting = {c.sock.fileno(): c for c in clients if c.alive}
        for client in waiting.values():
            client.buf = b""
        started = time.monotonic()
        for client in waiting.values():
            self._send_now(client, line)
        waited: list[float] = []
        counted = 0
        keep = max(len(marker), len(count))
        while waiting and time.monotonic() < deadline:
            for fd, ev in self.epoll.poll(0.2):
                client = self.by_fd[fd]
                if not client.alive:
                    waiting.pop(fd, None)
                    continue
                if ev & _EPOLLOUT and client.out:
                    self._flush_out(client)
                data = self._recv(client)
                if not data or fd not in waiting:
                    continue
                seen = client.buf + data
                if marker in seen:
                    del waiting[fd]
                    waited.append(time.monotonic() - started)
                    counted += count in seen[: seen.index(marker)]
                    client.buf = b""
                elif count and count in seen:
                    client.buf = count + seen[-keep:]  # seen: keep it for the check
                else:
                    client.buf = seen[-keep:]
        return waited, counted

    # --- the measured traffic ----------------------------------------------------------------

    def traffic(
        self,
        senders: list[Client],
        receivers: list[Client],
        *,
        messages: int,
        size: int,
        rate: float = 0.0,
        window: int = 8,
        open_loop: bool = False,
        deadline: float,
        stall_s: float = 5.0,
        mute: frozenset[int] = frozenset(),
        sample: Callable[[], None] | None = None,
        sample_every_s: float = 0.1,
    ) -> TrafficResult:
        """Send ``messages`` from every sender and check every receiver's stream.

        ``rate`` > 0 paces each sender at that many messages per second, phases spread
        evenly; 0 sends flat out within ``window``, or with ``open_loop`` as fast as each
        sender's socket takes the messages. Clients whose index is in ``mute``
        are never read (the slow consumer). The run ends when everything expected has
        arrived, when nothing has arrived for ``stall_s``, or at ``deadline``.
        """
        proto = self.protocol
        pattern = token_pattern(size)
        findall = pattern.findall
        fill = filler(size)
        wrap = proto.wrap
        receiving = {c.sock.fileno() for c in receivers if c.alive}
        result = TrafficResult()
        result.expected = sum(
            messages for s in senders for r in receivers if r is not s and r.alive
        )
        lats = result.latencies_us
        lat_append = lats.append
        for c in self.clients:
            c.last = {}
            c.got = 0
            c.buf = b""
        # Each sender's progress is read off one receiver (the next client in the list)
        # so that flat-out senders stay at most ``window`` messages ahead of delivery.
        observers: list[tuple[Client, Client, bytes]] = []
        for s in senders:
            candidates = [r for r in receivers if r is not s]
            observers.append((s, candidates[s.index % len(candidates)], b"%05d" % s.index))
        next_seq = [0] * len(senders)
        period_ns = int(1e9 / rate) if rate > 0 else 0
        counters = [0, 0, 0, 0]  # delivered, duplicated, out of order, corrupted
        alive_at_start = [c for c in {*senders, *receivers} if c.alive]

        def consume(client: Client, data: bytes, now_us: int) -> None:
            if client.buf:
                data = client.buf + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                client.buf = data[-65536:]
                return
            if cut < len(data):
                client.buf = data[cut:]
                data = data[:cut]
            else:
                client.buf = b""
            found = findall(data)
            marks = data.count(MARK)
            if marks != len(found):
                counters[3] += marks - len(found)
            last = client.last
            ok = dup = ooo = 0
            for sid, seq, sent_us in found:
                q = int(seq)
                p = last.get(sid, -1)
                if q != p + 1:
                    if q <= p:
                        dup += 1
                        continue
                    ooo += 1
                last[sid] = q
                ok += 1
                lat_append(now_us - int(sent_us))
            client.got += ok
            counters[0] += ok
            counters[1] += dup
            counters[2] += ooo

        gc.disable()
        cpu0 = _cpu_seconds()
        t0 = time.monotonic_ns()
        start_ns = t0 + 5_000_000
        spread = period_ns // max(1, len(senders))
        due = [start_ns + i * spread for i in range(len(senders))]
        last_progress = time.monotonic()
        next_sample = time.monotonic()
        poll = self.epoll.poll
        by_fd = self.by_fd
        sent_total = 0
        lateness_max = 0
        last_delivery_ns = t0
        stalled = False
        try:
            while True:
                now = time.monotonic()
                if sample is not None and now >= next_sample:
                    sample()
                    next_sample = now + sample_every_s
                if now >= deadline:
                    break
                all_sent = sent_total >= messages * len(senders)
                if all_sent and counters[0] >= result.expected:
                    break
                if now - last_progress > stall_s:
                    stalled = True
                    break
                # Send what is due (paced) or what the window allows (flat out).
                now_ns = time.monotonic_ns()
                timeout = 0.05
                for i, (s, observer, sid) in enumerate(observers):
                    q = next_seq[i]
                    if q >= messages or not s.alive:
                        continue
                    if s.out:
                        continue  # the socket is full: wait for EPOLLOUT
                    if period_ns:
                        if due[i] > now_ns:
                            timeout = min(timeout, (due[i] - now_ns) / 1e9)
                            continue
                        count = min(messages - q, (now_ns - due[i]) // period_ns + 1)
                        lateness_max = max(lateness_max, (now_ns - due[i]) // 1000)
                        due[i] += count * period_ns
                    elif open_loop:
                        count = min(messages - q, OPEN_BATCH)
                    else:
                        seen = observer.last.get(sid, -1) if observer.alive else q
                        count = min(messages - q, window - (q - 1 - seen))
                        if count <= 0:
                            continue
                    now_us = now_ns // 1000
                    data = b"".join(
                        wrap(b"~#%s~%07d~%016d~%s~" % (sid, q + k, now_us, fill))
                        for k in range(count)
                    )
                    next_seq[i] = q + count
                    sent_total += count
                    self._send_now(s, data)
                    timeout = 0
                events = poll(timeout)
                if events:
                    now_us = time.monotonic_ns() // 1000
                for fd, ev in events:
                    client = by_fd[fd]
                    if not client.alive:
                        continue
                    if ev & _EPOLLOUT and client.out:
                        self._flush_out(client)
                    if not ev & (_EPOLLIN | _EPOLLERR) or client.index in mute:
                        continue
                    data = self._recv(client)
                    if data and fd in receiving:
                        before = counters[0]
                        consume(client, data, now_us)
                        if counters[0] != before:
                            last_progress = time.monotonic()
                            last_delivery_ns = time.monotonic_ns()
        finally:
            # A run that stalled ended at its last delivery, not at the wait that followed.
            end_ns = last_delivery_ns if stalled else time.monotonic_ns()
            result.wall_s = max(1, end_ns - t0) / 1e9
            result.stalled = stalled
            result.gen_cpu_s = _cpu_seconds() - cpu0
            gc.enable()
        result.delivered, result.duplicated, result.out_of_order, result.corrupted = counters
        result.sent = sent_total
        result.send_lateness_max_us = lateness_max
        result.disconnected = sum(1 for c in alive_at_start if not c.alive)
        result.per_client_got = {c.index: c.got for c in receivers}
        return result

    def mute_all_but(self, muted: list[Client]) -> None:
        """Stop watching ``muted`` for input, so the kernel buffers fill as for a stalled peer."""
        for client in muted:
            if client.alive:
                self.epoll.modify(client.sock.fileno(), 0)

    def hung_up(self, client: Client, limit_bytes: int = 64 * 1024 * 1024) -> bool:
        """Read a muted client's backlog; ``True`` if the server closed the connection."""
        if not client.alive:
            return True
        client.sock.setblocking(True)
        client.sock.settimeout(0.5)
        total = 0
        try:
            while total < limit_bytes:
                data = client.sock.recv(RECV_BYTES)
                if not data:
                    return True
                total += len(data)
        except TimeoutError:
            return False
        except OSError:
            return True
        return False

    def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(OSError):
                client.sock.close()
        self.epoll.close()
        self.clients.clear()
        self.by_fd.clear()


def percentile(sorted_values: list[int] | array, fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return float(sorted_values[index])
