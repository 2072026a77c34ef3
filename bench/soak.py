"""Soak test: hundreds of clients chat, misbehave and churn against a real server for a long time.

Theory of operation. One process drives every client with ``selectors`` and non-blocking
sockets, so the load generator stays cheap next to the server it measures. The server is a
subprocess (``python -m chinwag serve``) using this checkout's ``src``. Clients come in kinds:

* **chatters** (well-behaved): take a nick, talk in rooms, send private messages, change
  nick, move rooms and eventually ``/quit``. Each does one *action* at a time and waits for
  its reply, so the load generator knows an interval ``[sent, acknowledged]`` in which the
  hub handled it. Every message carries a unique token ``T<sender>.<seq>``.
* **flooders** send a bounded burst of lines; **garbage** clients send invalid UTF-8,
  over-long lines and escape sequences; **vanishers** reset the connection (SO_LINGER 0)
  at a random moment; **silent** clients connect and never read. None of these is checked.
* **hostile** clients (``--hostile``, all kinds by default) attack one defence each, some
  on the IRC port: mask storms (``WHO``/``/who`` and ban masks that make a backtracking
  matcher take exponential time), room floods, operator password guesses, telnet
  negotiation in text, half-closed connections, pastes, oversized lines, invalid UTF-8
  and control characters. They may be disconnected (counted per kind, not failed).

At the end every token is judged per chatter: a chatter that was *certainly* in the room
(or *certainly* had the target nick) during the sender's interval must have it exactly once;
one certainly elsewhere must not have it; one whose move overlapped the interval may have it
at most once. Tokens from one sender must arrive in the order sent. Meanwhile the server's
RSS, open fds and threads are sampled from ``/proc``; they must be flat under steady load and
threads and fds must return to their idle level once every client has gone. The report gives
the RSS trend of each half of the steady load (and of its anonymous and file-backed parts):
a warm-up to a bound slows down, a leak does not. A chatter
reply slower than ``--reply-limit`` fails the run: the server stalled.

    python bench/soak.py                       # 300 clients for 30 minutes
    python bench/soak.py --duration 120 --clients 100
    python bench/soak.py --hostile all,-who-mask,-ban-mask
"""

from __future__ import annotations

import argparse
import base64
import bisect
import contextlib
import hashlib
import heapq
import itertools
import os
import random
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("lobby", "r1", "r2", "r3", "r4", "r5")
MIB = 1024 * 1024
ACK_TIMEOUT = 30.0  # a chatter waiting longer than this for a reply counts as stalled
STARTUP_TIMEOUT = 15.0
DRAIN_TIMEOUT = 60.0
SPAWN_PER_SECOND = 25.0  # new connections per second at most, ramp-up included

WELCOME_RE = re.compile(rb"^\* Welcome to chinwag, (Client-\d+)!")
HISTORY_START = b"* --- last "
HISTORY_END = b"* --- end of history ---"
TOKEN_RE = re.compile(rb"^\[\d\d:\d\d:\d\d\] (?:\S+: |\*\S+\* )T(\d+)\.(\d+)$")
# What must never reach a terminal: C0 controls but tab, DEL, and C1 controls as UTF-8.
CONTROL_RE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]|\xc2[\x80-\x9f]")
PROBE = b"/help me\n"  # a cheap command whose reply marks "everything before it is done"
PROBE_REPLY = b"* /me ACTION:"
SERVER_TROUBLE_RE = re.compile(r"Traceback|error while|cannot start a thread")

GARBAGE = (
    b"\n",
    b"\r\r\r\n",
    b"/msg\n",
    b"/nosuchcommand with args\n",
    b"//slash\n",
    b"\t\ttabs\n",
)
OVERSIZED = (
    b"x" * 5000 + b"\n",
    b"y" * 20000,  # over-long and unfinished: ended by a later newline
    b"/who " + b"w" * 70000 + b"\n",
)
BAD_UTF8 = (
    b"\xff\xfe\xfd invalid utf-8\n",
    b"\xc3\x28 broken sequence \xe2\x82\n",
    b"/join \xff\xfe\n",
    b"\xed\xa0\x80 a surrogate, \xc0\xaf an overlong slash\n",
)
CONTROL = (
    b"\x1b[2J\x1b[H cleared your screen\n",
    b"\x1b]0;owned\x07 retitled\n",
    b"\x1bP dcs \x1b\\ and \x1b_ apc \x1b\\\n",
    b"\xc2\x9b31m c1 csi\n",
    b"\x9b31m raw c1\n",
    b"\x00\x01\x02\x7f nul and friends\n",
    "\u202eevil bidi\u202c\n".encode(),
    b"/nick \x1b[31mred\n",
)


# --- timing records -----------------------------------------------------------------------


@dataclass
class Stint:
    """A period with a name (in a room, or under a nick), bounded both ways by what we saw.

    ``possible_*`` is the widest the hub's view can be, ``certain_*`` the narrowest.
    """

    name: str
    possible_start: float
    certain_start: float = float("inf")
    certain_end: float = float("inf")
    possible_end: float = float("inf")


@dataclass
class Sent:
    seq: int
    kind: str  # "room" or "pm"
    where: str  # room name or target nick
    sent: float
    acked: float = float("inf")
    refused: bool = False


# --- clients ------------------------------------------------------------------------------


class Client:
    """A non-blocking connection driven by the soak's event loop."""

    kind = "client"
    reads = True
    irc = False  # speaks IRC, on the server's IRC port

    def __init__(self, soak: Soak, uid: int) -> None:
        self.soak = soak
        self.uid = uid
        self.alive = True
        self.connected_at = time.monotonic()
        self.welcomed = False
        self.leaving = False  # we asked to end the connection: its end is not the server's doing
        self.client_id = ""
        self.inbuf = b""
        self.out = bytearray()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.prepare(self.sock)
        self.sock.setblocking(False)
        self.sock.connect_ex(soak.irc_address if self.irc else soak.address)
        self.connected = False
        self._mask = selectors.EVENT_WRITE
        soak.selector.register(self.sock, self._mask, self)

    def prepare(self, sock: socket.socket) -> None:
        """Socket options to set before connecting."""

    # -- the event loop's side --

    def on_event(self, mask: int) -> None:
        if not self.alive:
            return
        if mask & selectors.EVENT_WRITE:
            if not self.connected:
                error = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    self.lost(f"connect failed: {os.strerror(error)}")
                    return
                self.connected = True
                self.on_connected()
            self._write()
        if self.alive and mask & selectors.EVENT_READ:
            self._read()

    def _read(self) -> None:
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self.lost(f"recv: {exc.strerror}")
            return
        if not data:
            self.lost("connection closed")
            return
        self.inbuf += data
        *lines, self.inbuf = self.inbuf.split(b"\n")
        now = time.monotonic()
        for raw in lines:
            if not self.alive:
                return
            line = raw.removesuffix(b"\r")
            if not self.welcomed:
                match = WELCOME_RE.match(line)
                if match:
                    self.welcomed = True
                    self.client_id = match.group(1).decode()
                    self.on_welcome(now)
                    continue
            self.on_line(line, now)

    def _write(self) -> None:
        if self.out and self.connected:
            try:
                sent = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                self.lost(f"send: {exc.strerror}")
                return
            del self.out[:sent]
        self._update_interest()

    def _update_interest(self) -> None:
        mask = selectors.EVENT_READ if self.reads and self.connected else 0
        if self.out or not self.connected:
            mask |= selectors.EVENT_WRITE
        if mask == self._mask:
            return
        # A client that neither reads nor has anything to write is watched for nothing.
        if self._mask and mask:
            self.soak.selector.modify(self.sock, mask, self)
        elif mask:
            self.soak.selector.register(self.sock, mask, self)
        else:
            self.soak.selector.unregister(self.sock)
        self._mask = mask

    def write(self, data: bytes) -> None:
        if self.alive:
            self.out += data
            self._write()

    # -- ending --

    def close(self, *, reset: bool = False) -> None:
        if not self.alive:
            return
        self.alive = False
        if reset:  # RST instead of FIN: the peer vanished
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if self._mask:
            self.soak.selector.unregister(self.sock)
        self.sock.close()
        self.soak.gone(self)

    def lost(self, reason: str) -> None:
        """The server ended the connection (or it failed)."""
        self.close()

    # -- behaviour (overridden) --

    def on_connected(self) -> None:
        pass

    def on_welcome(self, now: float) -> None:
        pass

    def on_line(self, line: bytes, now: float) -> None:
        pass

    def finish(self) -> None:
        """The soak is over: leave."""
        self.close()


@dataclass
class Action:
    name: str
    ack: bytes
    sent: float
    record: Sent | None = None
    on_ack: Callable[[float], None] | None = None


class Chatter(Client):
    """A well-behaved user, whose every received token is accounted for."""

    kind = "chatter"

    def __init__(self, soak: Soak, uid: int) -> None:
        super().__init__(soak, uid)
        self.nick = ""
        self.room = "lobby"
        self.rooms: list[Stint] = [Stint("lobby", self.connected_at)]
        self.nicks: list[Stint] = []
        self.sent: list[Sent] = []
        self.received: dict[int, list[int]] = {}
        self.in_history = False  # between the first and last line of a replay
        self.seq = itertools.count()
        self.renames = itertools.count()
        self.pending: Action | None = None
        self.quitting = False
        self.finishing = False
        self.leaves_at = time.monotonic() + random.expovariate(1 / soak.args.lifetime)

    def on_welcome(self, now: float) -> None:
        if self.finishing:
            self.close()
            return
        self.rooms[0].certain_start = now
        self.nick = self.client_id
        self.nicks.append(Stint(self.client_id, self.connected_at, now))
        self.rename()

    def on_line(self, line: bytes, now: float) -> None:
        if CONTROL_RE.search(line):
            self.soak.failures.append(f"chatter {self.uid} received a control character: {line!r}")
        # Messages from history (replayed on joining a room) were delivered live before:
        # only live deliveries are accounted for.
        if self.in_history:
            self.in_history = line != HISTORY_END
            return
        if line.startswith(HISTORY_START):
            self.in_history = True
            return
        token = TOKEN_RE.match(line)
        if token:
            self.received.setdefault(int(token.group(1)), []).append(int(token.group(2)))
            return
        pending = self.pending
        if pending is None:
            return
        if line.startswith(pending.ack):
            self.pending = None
            self.soak.reply_times.append(now - pending.sent)
            if pending.record is not None:
                pending.record.acked = now
            if pending.on_ack is not None:
                pending.on_ack(now)
            if self.alive and not self.quitting:
                self.soak.later(random.uniform(0.5, 1.5) * self.soak.args.think, self.act)
        elif pending.record is not None and line == b"! there is no user called " + (
            pending.record.where.encode()
        ):
            pending.record.refused = True
        elif line.startswith(b"! "):
            self.soak.failures.append(f"chatter {self.uid} got an error: {line!r}")

    def lost(self, reason: str) -> None:
        if not self.quitting:
            self.soak.failures.append(f"chatter {self.uid} ({self.nick}) was dropped: {reason}")
        now = time.monotonic()
        for stint in (self.rooms[-1], self.nicks[-1] if self.nicks else None):
            if stint is not None:
                stint.certain_end = min(stint.certain_end, now)
                stint.possible_end = now
        self.close()

    def start(
        self,
        name: str,
        lines: bytes,
        ack: bytes,
        *,
        record: Sent | None = None,
        on_ack: Callable[[float], None] | None = None,
    ) -> Action:
        """Send ``lines``; the action is done when a line starting with ``ack`` arrives."""
        action = Action(name, ack, time.monotonic(), record, on_ack)
        self.pending = action
        self.write(lines)
        return action

    def act(self) -> None:
        if not self.alive or self.pending is not None or self.quitting:
            return
        now = time.monotonic()
        if self.finishing or now >= self.leaves_at:
            self.quit()
            return
        choice = random.random()
        if choice < 0.5:
            self.say()
        elif choice < 0.7:
            self.private()
        elif choice < 0.8:
            self.rename()
        else:
            self.move()

    def token(self) -> tuple[int, bytes]:
        seq = next(self.seq)
        return seq, f"T{self.uid}.{seq}".encode()

    def say(self) -> None:
        now = time.monotonic()
        lines = b""
        records = []
        for _ in range(random.randint(1, 3)):
            seq, token = self.token()
            records.append(Sent(seq, "room", self.room, now))
            lines += token + b"\n"
        self.sent += records

        def acked(at: float) -> None:
            for record in records:
                record.acked = at

        self.start("say", lines + PROBE, PROBE_REPLY, on_ack=acked)

    def private(self) -> None:
        target = self.soak.random_chatter(exclude=self)
        if target is None:
            self.say()
            return
        seq, token = self.token()
        record = Sent(seq, "pm", target.nick, time.monotonic())
        self.sent.append(record)
        self.start(
            "pm",
            f"/msg {target.nick} ".encode() + token + b"\n" + PROBE,
            PROBE_REPLY,
            record=record,
        )

    def rename(self) -> None:
        new = f"w{self.uid}n{next(self.renames)}"
        now = time.monotonic()
        old = self.nicks[-1]
        old.certain_end = now
        self.nicks.append(Stint(new, now))
        self.nick = ""  # nobody targets a nick in flux

        def acked(at: float) -> None:
            old.possible_end = at
            self.nicks[-1].certain_start = at
            self.nick = new

        self.start(
            "nick",
            f"/nick {new}\n".encode(),
            f"* you are now known as {new}".encode(),
            on_ack=acked,
        )

    def move(self) -> None:
        target = random.choice([room for room in ROOMS if room != self.room])
        now = time.monotonic()
        old = self.rooms[-1]
        old.certain_end = now
        self.rooms.append(Stint(target, now))

        def acked(at: float) -> None:
            old.possible_end = at
            self.rooms[-1].certain_start = at
            self.room = target

        self.start(
            "join",
            f"/join {target}\n".encode(),
            f"* you are now in {target} (".encode(),
            on_ack=acked,
        )

    def quit(self) -> None:
        self.quitting = True
        now = time.monotonic()
        self.rooms[-1].certain_end = min(self.rooms[-1].certain_end, now)
        self.nicks[-1].certain_end = min(self.nicks[-1].certain_end, now)
        self.nick = ""
        self.start("quit", b"/quit\n", b"* Goodbye")

    def finish(self) -> None:
        # Called when idle at the end: leave properly, then wait for the server's close.
        self.finishing = True
        if not self.welcomed:
            self.close()
        elif self.pending is None and not self.quitting:
            self.quit()

    def probe(self) -> None:
        """One last round trip: every delivery queued before it has then arrived."""
        self.start("probe", PROBE, PROBE_REPLY)


class Flooder(Client):
    """Sends a bounded burst of lines as fast as it can, reads, then leaves."""

    kind = "flooder"

    def on_welcome(self, now: float) -> None:
        count = random.randint(20, self.soak.args.flood_lines)
        room = random.choice(ROOMS[1:])
        burst = f"/join {room}\n".encode() + b"".join(
            f"F{self.uid}.{i} flood flood flood\n".encode() for i in range(count)
        )
        self.write(burst)
        self.soak.later(random.uniform(5, 30), self.close)


class Garbage(Client):
    """Sends lines no client should: empty, unknown commands, commands without arguments."""

    kind = "garbage"
    lines: tuple[bytes, ...] = GARBAGE

    def on_welcome(self, now: float) -> None:
        if random.random() < 0.5:
            self.write(f"/join {random.choice(ROOMS[1:])}\n".encode())
        self.soak.later(random.uniform(0.1, 2), self.spew, random.randint(3, 12))

    def spew(self, left: int) -> None:
        if not self.alive:
            return
        if left <= 0:
            if random.random() < 0.5:
                self.leaving = True
                self.write(b"/quit\n")  # the server closes the connection
            else:
                self.close()
            return
        self.write(random.choice(self.lines))
        self.soak.later(random.uniform(0.1, 2), self.spew, left - 1)


class Vanisher(Client):
    """Resets its connection at a random moment, perhaps before it was even greeted."""

    kind = "vanisher"

    def on_connected(self) -> None:
        self.soak.later(random.uniform(0, 5), self.vanish)

    def vanish(self) -> None:
        if random.random() < 0.5:
            self.write(b"half a line with no end")
        self.close(reset=True)


class Silent(Client):
    """Connects, sits in a room and never reads a byte; leaves after a while."""

    kind = "silent"
    reads = False

    def prepare(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    def on_connected(self) -> None:
        self.write(f"/join {random.choice(ROOMS)}\n".encode())
        self.soak.later(random.uniform(20, 4 * self.soak.args.think + 60), self.leave)

    def leave(self) -> None:
        self.close(reset=random.random() < 0.5)

    def lost(self, reason: str) -> None:
        self.close()


KINDS: tuple[tuple[type[Client], float], ...] = (
    (Chatter, 0.70),
    (Flooder, 0.04),
    (Garbage, 0.04),
    (Vanisher, 0.10),
    (Silent, 0.06),
)


# --- hostile clients -----------------------------------------------------------------------
#
# Each kind attacks one defence, a few times, then leaves; none stays longer than
# HOSTILE_LIFETIME. They stay out of the chatters' reckoning: the server may disconnect
# them (that is counted, not failed), but what they do must not cost a chatter a message,
# a reply within --reply-limit, or a leaked thread or descriptor.

HOSTILE_LIFETIME = 40.0
IRC_OPER = "soak"
STORM_LETTERS = 26  # "a" x 26 and six digits: a 32-character name with no "b" in it


def storm_nick(uid: int) -> str:
    """A name a backtracking matcher of :func:`storm_mask` takes exponential time over."""
    return "a" * STORM_LETTERS + f"{uid % 1_000_000:06d}"


def storm_mask(stars: int) -> str:
    return "*a" * stars + "*b"


class Hostile(Client):
    """A client that misbehaves on purpose, a few rounds of it, then leaves."""

    kind = "hostile"

    def __init__(self, soak: Soak, uid: int) -> None:
        super().__init__(soak, uid)
        self.rounds = random.randint(2, 5)
        soak.later(HOSTILE_LIFETIME, self.leave)

    def note(self, outcome: str) -> None:
        notes = self.soak.hostile_notes.setdefault(self.kind, {})
        notes[outcome] = notes.get(outcome, 0) + 1

    def lost(self, reason: str) -> None:
        if not self.leaving:
            self.note(f"disconnected ({reason})")
        self.close()

    def leave(self) -> None:
        self.leaving = True
        self.close()

    def on_welcome(self, now: float) -> None:
        self.next_round()

    def next_round(self) -> None:
        if not self.alive or self.leaving:
            return
        if self.rounds <= 0:
            self.soak.later(random.uniform(1, 3), self.leave)  # read the replies first
            return
        self.rounds -= 1
        self.act()
        self.soak.later(random.expovariate(1 / self.soak.args.hostile_interval), self.next_round)

    def act(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.leave()


class IrcHostile(Hostile):
    """A hostile client on the IRC port: registers, answers pings, then misbehaves."""

    def __init__(self, soak: Soak, uid: int) -> None:
        self.irc = random.random() < 0.5 and soak.irc_address is not None
        super().__init__(soak, uid)

    def irc_nick(self) -> str:
        return f"h{self.uid}"

    def on_connected(self) -> None:
        if self.irc:
            self.write(f"NICK {self.irc_nick()}\r\nUSER x 0 * :soak\r\n".encode())

    def on_line(self, line: bytes, now: float) -> None:
        if not self.irc:
            return
        if line.startswith(b"PING "):
            self.write(b"PONG " + line[5:] + b"\r\n")
        elif not self.welcomed and b" 001 " in line:
            self.welcomed = True
            self.on_welcome(now)


class WhoMask(IrcHostile):
    """Takes a name full of ``a`` and asks WHO for a mask that can never match it."""

    kind = "who-mask"

    def irc_nick(self) -> str:
        return storm_nick(self.uid)

    def on_welcome(self, now: float) -> None:
        if not self.irc:
            self.write(f"/nick {storm_nick(self.uid)}\n".encode())
        super().on_welcome(now)

    def act(self) -> None:
        mask = storm_mask(self.soak.args.mask_stars)
        self.write(f"WHO {mask}\r\n".encode() if self.irc else f"/who {mask}\n".encode())


class BanMask(IrcHostile):
    """Makes a room, bans an unmatchable mask from it, and sends a name full of ``a`` in."""

    kind = "ban-mask"

    def on_welcome(self, now: float) -> None:
        self.room = f"hb{self.uid}"
        mask = storm_mask(self.soak.args.mask_stars)
        if self.irc:
            self.write(f"JOIN #{self.room}\r\nMODE #{self.room} +b {mask}\r\n".encode())
        else:
            self.write(f"/join {self.room}\n/mode +b {mask}\n".encode())
        super().on_welcome(now)

    def act(self) -> None:
        self.soak.add(BanProbe(self.soak, next(self.soak.uids), self.room))


class BanProbe(IrcHostile):
    """Tries to join (and talk in) a room whose ban mask backtracks over its name."""

    kind = "ban-mask"

    def __init__(self, soak: Soak, uid: int, room: str) -> None:
        self.room = room
        super().__init__(soak, uid)
        self.rounds = 1

    def irc_nick(self) -> str:
        return storm_nick(self.uid)

    def act(self) -> None:
        if self.irc:
            # From outside the room too: a message to it is checked against its bans.
            self.write(f"JOIN #{self.room}\r\nPRIVMSG #{self.room} :let me in\r\n".encode())
        else:
            self.write(f"/nick {storm_nick(self.uid)}\n/join {self.room}\n".encode())


class RoomFlood(IrcHostile):
    """Makes and leaves many new rooms at once, round after round."""

    kind = "room-flood"

    def act(self) -> None:
        count = self.soak.args.flood_rooms
        rooms = [f"x{self.uid}r{self.rounds}n{i}" for i in range(count)]
        if self.irc:
            listed = ",".join(f"#{room}" for room in rooms)
            self.write(f"JOIN {listed}\r\nPART {listed}\r\n".encode())
        else:
            self.write(b"".join(f"/join {room}\n".encode() for room in rooms) + b"/leave\n")


class OperGuess(IrcHostile):
    """Guesses the operator password, wrongly."""

    kind = "oper-guess"

    def act(self) -> None:
        guess = f"guess{random.randrange(10**6)}"
        self.write(
            f"OPER {IRC_OPER} {guess}\r\n".encode() if self.irc else f"/op {guess}\n".encode()
        )


TELNET_COMMANDS = (
    b"\xff\xf4",  # IAC IP: interrupt process (what ^C sends in telnet)
    b"\xff\xfd\x06",  # IAC DO TIMING-MARK
    b"\xff\xf6",  # IAC AYT: are you there?
    b"\xff\xfa\x18\x00xterm\xff\xf0",  # a terminal-type subnegotiation
    b"\xff\xff",  # an escaped 0xff
)


def telnet_noise() -> bytes:
    if random.random() < 0.5:
        return random.choice(TELNET_COMMANDS)
    verb = random.choice((b"\xfb", b"\xfc", b"\xfd", b"\xfe"))  # WILL WONT DO DONT
    return b"\xff" + verb + bytes([random.randrange(256)])


class Telnet(Hostile):
    """Mixes telnet negotiation into its lines, as a telnet client at a prompt would."""

    kind = "telnet"

    def on_welcome(self, now: float) -> None:
        if random.random() < 0.5:
            self.write(f"/join {random.choice(ROOMS[1:])}\n".encode())
        super().on_welcome(now)

    def act(self) -> None:
        words = [b"telnet", b"says", b"hello", b"/who" if random.random() < 0.2 else b"there"]
        line = b""
        for word in words:
            line += (telnet_noise() if random.random() < 0.5 else b"") + word + b" "
        if random.random() < 0.3:
            line = telnet_noise() + b"/who"  # a command behind negotiation
        self.write(line + telnet_noise() + b"\n")


class HalfClose(Hostile):
    """Asks ``/who``, closes its sending side, and reads until the server closes too."""

    kind = "half-close"

    def __init__(self, soak: Soak, uid: int) -> None:
        super().__init__(soak, uid)
        self.answered = False
        self.early = random.random() < 0.5  # before the greeting, or after it

    def on_connected(self) -> None:
        if self.early:
            self.ask()

    def on_welcome(self, now: float) -> None:
        if not self.early:
            self.ask()

    def ask(self) -> None:
        self.write(b"/who\n")
        if self.alive and not self.out:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
        self.soak.later(HALF_CLOSE_WAIT, self.give_up)

    def on_line(self, line: bytes, now: float) -> None:
        if re.match(rb"^\S* ?\d+ users? in ", line) or b" in lobby:" in line:
            self.answered = True

    def lost(self, reason: str) -> None:
        if not self.leaving:
            self.note(f"{self.answer()}, then closed by the server ({reason})")
            self.leaving = True
        self.close()

    def answer(self) -> str:
        when = "before" if self.early else "after"
        return f"{'answered' if self.answered else 'unanswered'} (asked {when} the greeting)"

    def give_up(self) -> None:
        if self.alive:
            self.note(f"{self.answer()}, not closed within {HALF_CLOSE_WAIT:g}s")
            self.leave()


HALF_CLOSE_WAIT = 15.0


class Paste(IrcHostile):
    """Pastes 50-100 lines in one send into a room, then reads what comes back."""

    kind = "paste"

    def on_welcome(self, now: float) -> None:
        self.rounds = 1
        super().on_welcome(now)

    def act(self) -> None:
        room = random.choice(ROOMS)
        count = random.randint(50, 100)
        text = [
            f"P{self.uid}.{i} a pasted line of a log or some code {'=' * (i % 40)}"
            for i in range(count)
        ]
        if self.irc:
            lines = f"JOIN #{room}\r\n" + "".join(f"PRIVMSG #{room} :{t}\r\n" for t in text)
        else:
            lines = f"/join {room}\n" + "".join(f"{t}\n" for t in text)
        self.write(lines.encode())


class Oversized(Garbage, Hostile):
    """Sends lines far past the longest the server accepts."""

    kind = "oversized"
    lines = OVERSIZED


class BadUtf8(Garbage, Hostile):
    """Sends lines that are not UTF-8."""

    kind = "bad-utf8"
    lines = BAD_UTF8


class Control(Garbage, Hostile):
    """Sends escape sequences and control characters for other users' terminals."""

    kind = "control"
    lines = CONTROL


HOSTILE: dict[str, tuple[type[Client], ...]] = {
    "who-mask": (WhoMask,),
    "ban-mask": (BanMask,),
    "room-flood": (RoomFlood,),
    "oper-guess": (OperGuess,),
    "telnet": (Telnet,),
    "half-close": (HalfClose,),
    "paste": (Paste,),
    "oversized": (Oversized,),
    "bad-utf8": (BadUtf8,),
    "control": (Control,),
}


def hostile_kinds(spec: str) -> list[str]:
    """``all``, ``none``, kinds and ``-kind``s, applied left to right: ``all,-paste``."""
    chosen: list[str] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        if item == "all":
            chosen = list(HOSTILE)
        elif item == "none":
            chosen = []
        elif item.startswith("-") and item[1:] in HOSTILE:
            chosen = [kind for kind in chosen if kind != item[1:]]
        elif item in HOSTILE:
            chosen += [] if item in chosen else [item]
        else:
            raise argparse.ArgumentTypeError(
                f"unknown hostile kind {item!r}; known: all, none, {', '.join(HOSTILE)}"
            )
    return chosen


# --- the server under test -----------------------------------------------------------------


@dataclass
class Sample:
    at: float
    rss: int
    fds: int
    threads: int
    clients: int
    cpu: float
    # Of the RSS: anonymous memory (the heaps, thread stacks) and mapped files with shared
    # memory (the libraries, SQLite's -shm index): only the first grows with use.
    anon: int = 0
    mapped: int = 0


class Server:
    """``chinwag serve`` in a subprocess, logging to a file."""

    def __init__(self, log_path: Path, extra: list[str]) -> None:
        self.log_path = log_path
        # This checkout's code first; the caller's PYTHONPATH (a diagnostic sitecustomize, say)
        # still applies after it.
        inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        path = [str(ROOT / "src"), *filter(None, inherited)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chinwag",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-console",
                # Its own data directory, beside its log: never the user's.
                "--data-dir",
                str(log_path.with_name(log_path.stem + "-data")),
                *extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.pid = self.process.pid
        self.address = self._wait_for_address()

    def _wait_for_address(self) -> tuple[str, int]:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            first = self.log_path.read_bytes().split(b"\n", 1)
            if len(first) == 2:
                match = re.search(rb"Server started on ([\d.]+):(\d+)", first[0])
                if not match:
                    raise RuntimeError(f"unexpected first line: {first[0]!r}")
                return match.group(1).decode(), int(match.group(2))
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            time.sleep(0.05)
        raise RuntimeError("server did not start in time")

    def sample(self, clients: int) -> Sample:
        status = Path(f"/proc/{self.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields["VmRSS"].split()[0]) * 1024  # reported in kB
        threads = int(fields["Threads"])
        fds = sum(1 for _ in Path(f"/proc/{self.pid}/fd").iterdir())
        stat = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        anon = int(fields["RssAnon"].split()[0]) * 1024
        mapped = (int(fields["RssFile"].split()[0]) + int(fields["RssShmem"].split()[0])) * 1024
        return Sample(time.monotonic(), rss, fds, threads, clients, cpu, anon, mapped)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def oper_password_hash() -> str:
    """A hash of a password nobody here knows, in ``chinwag hash-password``'s format, so
    that the server has operators and every guess costs it a real scrypt check."""
    n, r, p = 2**14, 8, 1
    salt, secret = os.urandom(16), os.urandom(16).hex()
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${n}${r}${p}${encoded[0]}${encoded[1]}"


# --- the soak ------------------------------------------------------------------------------


@dataclass
class Soak:
    args: argparse.Namespace
    address: tuple[str, int]
    irc_address: tuple[str, int] | None = None
    kinds: list[tuple[type[Client], float]] = field(default_factory=lambda: list(KINDS))
    hostile_notes: dict[str, dict[str, int]] = field(default_factory=dict)
    reply_times: list[float] = field(default_factory=list)
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    clients: set[Client] = field(default_factory=set)
    chatters: list[Chatter] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    spawned: dict[str, int] = field(default_factory=dict)
    timers: list[tuple[float, int, Callable[..., None], tuple[object, ...]]] = field(
        default_factory=list
    )
    counter: itertools.count[int] = field(default_factory=itertools.count)
    uids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def later(self, delay: float, callback: Callable[..., None], *args: object) -> None:
        heapq.heappush(self.timers, (time.monotonic() + delay, next(self.counter), callback, args))

    def gone(self, client: Client) -> None:
        self.clients.discard(client)

    def spawn(self) -> None:
        kinds, weights = zip(*self.kinds, strict=True)
        kind = random.choices(kinds, weights)[0]
        self.add(kind(self, next(self.uids)))

    def add(self, client: Client) -> None:
        self.clients.add(client)
        self.spawned[client.kind] = self.spawned.get(client.kind, 0) + 1
        if isinstance(client, Chatter):
            self.chatters.append(client)

    def random_chatter(self, exclude: Chatter) -> Chatter | None:
        for _ in range(5):
            candidate = random.choice(self.chatters)
            if candidate is not exclude and candidate.alive and candidate.nick:
                return candidate
        return None

    def step(self, until: float) -> None:
        """Handle socket events and due timers, for at most until ``until``."""
        now = time.monotonic()
        timeout = max(0.0, min(until - now, self.timers[0][0] - now if self.timers else 0.2))
        for key, mask in self.selector.select(timeout):
            key.data.on_event(mask)
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, callback, args = heapq.heappop(self.timers)
            owner = getattr(callback, "__self__", None)
            if owner is None or getattr(owner, "alive", True):
                callback(*args)

    def stalled(self) -> list[Chatter]:
        now = time.monotonic()
        return [
            c
            for c in self.chatters
            if c.alive and c.pending is not None and now - c.pending.sent > ACK_TIMEOUT
        ]

    def run_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            self.step(min(deadline, time.monotonic() + 0.2))
        return True


# --- judging the tokens ---------------------------------------------------------------------


@dataclass
class Verdict:
    checked: int = 0  # deliveries that had to happen and did
    maybe: int = 0  # deliveries that could go either way
    lost: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    disordered: list[str] = field(default_factory=list)


BUCKET_SECONDS = 10.0
Index = dict[tuple[str, int], list[tuple[Stint, "Chatter"]]]


def _bucket(at: float) -> int:
    return int(at // BUCKET_SECONDS)


def _index(stints: list[tuple[Stint, Chatter]], horizon: float) -> Index:
    """Stints by name and by every time bucket their widest extent touches."""
    table: Index = {}
    for stint, chatter in stints:
        for bucket in range(
            _bucket(stint.possible_start), _bucket(min(stint.possible_end, horizon)) + 1
        ):
            table.setdefault((stint.name, bucket), []).append((stint, chatter))
    return table


def _candidates(index: Index, name: str, start: float, end: float) -> list[tuple[Stint, Chatter]]:
    found: dict[int, tuple[Stint, Chatter]] = {}
    for bucket in range(_bucket(start), _bucket(end) + 1):
        for entry in index.get((name, bucket), ()):
            found[id(entry[0])] = entry
    return list(found.values())


def judge(chatters: list[Chatter]) -> Verdict:
    verdict = Verdict()
    horizon = time.monotonic()
    in_room = _index([(stint, c) for c in chatters for stint in c.rooms], horizon)
    called = _index([(stint, c) for c in chatters for stint in c.nicks], horizon)
    for receiver in chatters:
        for sender_uid, seqs in receiver.received.items():
            counts: dict[int, int] = {}
            for seq in seqs:
                counts[seq] = counts.get(seq, 0) + 1
            for seq, count in counts.items():
                if count > 1:
                    verdict.duplicated.append(f"T{sender_uid}.{seq} x{count} to {receiver.uid}")
            if seqs != sorted(seqs):
                verdict.disordered.append(f"from {sender_uid} to {receiver.uid}: {seqs[:20]}")
    by_uid = {c.uid: c for c in chatters}
    got: dict[tuple[int, int], set[int]] = {}  # (sender, seq) -> receivers
    for receiver in chatters:
        for sender_uid, seqs in receiver.received.items():
            if sender_uid not in by_uid:
                verdict.extra.append(f"token from unknown sender {sender_uid}")
                continue
            for seq in seqs:
                got.setdefault((sender_uid, seq), set()).add(receiver.uid)
    for sender in chatters:
        for record in sender.sent:
            receivers = got.pop((sender.uid, record.seq), set())
            if record.acked == float("inf"):
                verdict.maybe += len(receivers)  # never acknowledged: anything goes
                continue
            index = in_room if record.kind == "room" else called
            must: set[int] = set()
            may: set[int] = set()
            for stint, chatter in _candidates(index, record.where, record.sent, record.acked):
                if chatter is sender and record.kind == "room":
                    continue
                if stint.certain_start <= record.sent and record.acked <= stint.certain_end:
                    must.add(chatter.uid)
                elif stint.possible_start <= record.acked and record.sent <= stint.possible_end:
                    may.add(chatter.uid)
            token = f"T{sender.uid}.{record.seq} ({record.kind} {record.where})"
            if record.refused and must:
                verdict.lost.append(f"{token} refused although {sorted(must)} had that nick")
            for uid in must - receivers:
                verdict.lost.append(f"{token} never reached {uid}")
            for uid in receivers - must - may:
                verdict.extra.append(f"{token} reached {uid}, who was not there")
            verdict.checked += len(must & receivers)
            verdict.maybe += len(may & receivers)
    for (sender_uid, seq), receivers in got.items():
        verdict.extra.append(f"T{sender_uid}.{seq} was never sent but reached {sorted(receivers)}")
    return verdict


# --- reporting ------------------------------------------------------------------------------


def slope_per_10_min(samples: list[Sample], attr: str) -> float:
    """Least-squares trend of ``attr`` over the samples, per ten minutes."""
    if len(samples) < 2:
        return 0.0
    xs = [s.at for s in samples]
    ys = [float(getattr(s, attr)) for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if not var:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var * 600


def at_fraction(samples: list[Sample], fraction: float) -> Sample:
    start, end = samples[0].at, samples[-1].at
    times = [s.at for s in samples]
    return samples[
        min(len(samples) - 1, bisect.bisect_left(times, start + (end - start) * fraction))
    ]


def rss_around(samples: list[Sample], fraction: float) -> float:
    """The median RSS of the tenth of ``samples`` (by time) centred at ``fraction`` of
    the way (the last tenth for 0.95)."""
    start, end = samples[0].at, samples[-1].at
    low, high = (start + (end - start) * f for f in (fraction - 0.05, fraction + 0.05))
    window = [s.rss for s in samples if low <= s.at <= high]
    return statistics.median(window or [at_fraction(samples, fraction).rss])


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"soak: stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1800, help="seconds of load (30 min)")
    parser.add_argument("--clients", type=int, default=300, help="clients connected at once")
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean seconds between a chatter's actions"
    )
    parser.add_argument(
        "--lifetime", type=float, default=180.0, help="mean seconds a chatter stays before it quits"
    )
    parser.add_argument("--flood-lines", type=int, default=200, help="most lines in one flood")
    parser.add_argument(
        "--sample-interval",
        type=float,
        default=10.0,
        help="seconds between samples of the server's RSS, fds and threads",
    )
    parser.add_argument(
        "--rss-slack-mib",
        type=float,
        default=16.0,
        help="RSS growth from the middle to the end of the load that passes",
    )
    parser.add_argument(
        "--hostile",
        type=hostile_kinds,
        default="all",
        metavar="KINDS",
        help="hostile kinds, applied left to right: all, none, KIND, -KIND "
        f"(e.g. all,-who-mask); kinds: {', '.join(HOSTILE)} (default: all)",
    )
    parser.add_argument(
        "--hostile-share",
        type=float,
        default=0.02,
        help="share of new clients that are of each hostile kind (default: 0.02)",
    )
    parser.add_argument(
        "--hostile-interval",
        type=float,
        default=3.0,
        help="mean seconds between a hostile client's rounds of misbehaviour (default: 3)",
    )
    parser.add_argument(
        "--mask-stars",
        type=int,
        default=13,
        help="wildcards in the mask storms' '*a*a...*b' (each one multiplies a "
        "backtracking matcher's work; default: 13)",
    )
    parser.add_argument(
        "--flood-rooms",
        type=int,
        default=20,
        help="new rooms per round of a room flood (default: 20)",
    )
    parser.add_argument(
        "--reply-limit",
        type=float,
        default=5.0,
        help="longest a chatter may wait for the reply to an action, in seconds "
        "(longer: the server stalled; default: 5)",
    )
    parser.add_argument("--seed", type=int, help="random seed (default: random)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    random.seed(seed)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    # Stopped from outside (a test's timeout, say): still stop the server, in `finally`.
    signal.signal(signal.SIGTERM, _stop)
    log_dir = Path(tempfile.mkdtemp(prefix="chinwag-soak-"))
    irc_port = free_port()
    server = Server(
        log_dir / "server.log",
        ["--irc-port", str(irc_port), "--oper-password-hash", oper_password_hash()],
    )
    print(
        f"soak: server pid {server.pid} on {server.address[0]}:{server.address[1]}, "
        f"{args.clients} clients for {args.duration:g}s, seed {seed}, log {server.log_path}, "
        f"hostile: {','.join(args.hostile) or 'none'}",
        flush=True,
    )
    soak = Soak(args, server.address, irc_address=(server.address[0], irc_port))
    soak.kinds += [(cls, args.hostile_share) for kind in args.hostile for cls in HOSTILE[kind]]
    failures = soak.failures
    try:
        idle = server.sample(0)
        samples: list[Sample] = []
        started = time.monotonic()
        end = started + args.duration
        next_sample = next_print = started
        spawn_budget = 0.0
        last = started
        while time.monotonic() < end:
            now = time.monotonic()
            spawn_budget = min(spawn_budget + (now - last) * SPAWN_PER_SECOND, SPAWN_PER_SECOND)
            last = now
            while spawn_budget >= 1 and len(soak.clients) < args.clients:
                soak.spawn()
                spawn_budget -= 1
            soak.step(min(end, now + 0.1))
            if now >= next_sample:
                if not server.alive():
                    failures.append(f"the server died (exit {server.process.returncode})")
                    break
                samples.append(server.sample(len(soak.clients)))
                next_sample += args.sample_interval
                elapsed = now - started
                if now >= next_print:
                    next_print += max(60.0, args.sample_interval)
                    s = samples[-1]
                    print(
                        f"  {elapsed:6.0f}s clients {s.clients:4d}  rss {s.rss / MIB:6.1f} MiB  "
                        f"fds {s.fds:4d}  threads {s.threads:4d}",
                        flush=True,
                    )
        for chatter in soak.stalled():
            failures.append(
                f"chatter {chatter.uid} got no reply to {chatter.pending and chatter.pending.name} "
                f"within {ACK_TIMEOUT:g}s"
            )
        if server.alive():
            samples.append(server.sample(len(soak.clients)))
        load_samples = list(samples)

        # Wind down: chatters finish what they are doing, make one last round trip each
        # (after which every delivery meant for them has arrived), then everyone leaves.
        for chatter in soak.chatters:
            chatter.finishing = True
            if chatter.alive and not chatter.welcomed:
                chatter.close()  # nothing of theirs to check
        chatters = [c for c in soak.chatters if c.alive]
        if not soak.run_until(
            lambda: all(c.pending is None or not c.alive for c in chatters), DRAIN_TIMEOUT
        ):
            failures.append("chatters still waiting for replies when the load stopped")
        for chatter in chatters:
            if chatter.alive and chatter.pending is None:
                chatter.probe()
        if not soak.run_until(
            lambda: all(c.pending is None or not c.alive for c in chatters), DRAIN_TIMEOUT
        ):
            failures.append("the final round trip did not complete")
        for client in list(soak.clients):
            client.finish()
        if not soak.run_until(lambda: not soak.clients, DRAIN_TIMEOUT):
            failures.append(f"{len(soak.clients)} clients did not get to leave")
        for client in list(soak.clients):
            client.close()

        # Idle again: threads and fds must come back to where they started.
        settled = [server.sample(0)]

        def back_to_idle() -> bool:
            settled.append(server.sample(0))
            return settled[-1].threads <= idle.threads and settled[-1].fds <= idle.fds

        deadline = time.monotonic() + DRAIN_TIMEOUT
        while server.alive() and not back_to_idle() and time.monotonic() < deadline:
            time.sleep(0.25)  # polling /proc with a deadline; nothing to wake us
        final = settled[-1]
        if final.threads > idle.threads:
            failures.append(f"threads did not return to idle: {idle.threads} -> {final.threads}")
        if final.fds > idle.fds:
            failures.append(f"open fds did not return to idle: {idle.fds} -> {final.fds}")
    finally:
        for client in list(soak.clients):
            client.close()
        exit_code = server.stop()
    if exit_code != 0:
        failures.append(f"the server exited with {exit_code} on SIGTERM")
    log_text = server.log_path.read_text(errors="replace")
    trouble = [line for line in log_text.splitlines() if SERVER_TROUBLE_RE.search(line)]
    if trouble:
        failures.append(f"{len(trouble)} server errors in the log, first: {trouble[0]}")

    verdict = judge(soak.chatters)
    for name, items in (
        ("lost", verdict.lost),
        ("unexpected", verdict.extra),
        ("duplicated", verdict.duplicated),
        ("out of order", verdict.disordered),
    ):
        if items:
            failures.append(f"{len(items)} tokens {name}, e.g. {items[:3]}")
    if verdict.checked == 0:
        failures.append("no delivery was checked: the soak tested nothing")
    replies = sorted(soak.reply_times)
    slow_replies = [t for t in replies if t > args.reply_limit]
    if slow_replies:
        failures.append(
            f"{len(slow_replies)} chatter replies took longer than {args.reply_limit:g}s "
            f"(the longest {replies[-1]:.1f}s): the server stalled"
        )

    # Flatness under steady load, from a point past the ramp-up to the end.
    steady = [s for s in load_samples if s.at >= load_samples[0].at + 0.1 * args.duration]
    steady = steady if len(steady) >= 3 else load_samples
    begin, middle, last_sample = steady[0], at_fraction(steady, 0.5), steady[-1]
    # Typical levels, not single samples: one sample may catch a burst's queues, freed a
    # minute later; a leak moves the whole tenth.
    growth = (rss_around(steady, 0.95) - rss_around(steady, 0.5)) / MIB
    if growth > max(args.rss_slack_mib, 0.10 * middle.rss / MIB):
        failures.append(
            f"RSS grew {growth:.1f} MiB from the middle to the end of the load "
            "(the median of each tenth)"
        )

    sent_tokens = sum(len(c.sent) for c in soak.chatters)
    generator_cpu = resource.getrusage(resource.RUSAGE_SELF)
    print()
    print("=== chinwag soak report ===")
    print(f"duration {args.duration:g}s, {args.clients} clients at once, seed {seed}")
    print("clients spawned: " + ", ".join(f"{k} {v}" for k, v in sorted(soak.spawned.items())))
    print(
        f"tokens sent {sent_tokens}; deliveries checked {verdict.checked} "
        f"(+{verdict.maybe} in a membership change); lost {len(verdict.lost)}, "
        f"unexpected {len(verdict.extra)}, duplicated {len(verdict.duplicated)}, "
        f"out of order {len(verdict.disordered)}"
    )
    if replies:
        print(
            f"chatter replies: {len(replies)}, median {replies[len(replies) // 2] * 1000:.1f} ms, "
            f"p99 {replies[int(0.99 * (len(replies) - 1))] * 1000:.1f} ms, "
            f"max {replies[-1] * 1000:.1f} ms"
        )
    for kind in args.hostile:
        notes = soak.hostile_notes.get(kind, {})
        outcomes = ", ".join(f"{count} {what}" for what, count in sorted(notes.items()))
        print(f"hostile {kind}: {soak.spawned.get(kind, 0)} clients; {outcomes or 'none dropped'}")
    print(
        f"{'':8}{'at':>8} {'clients':>8} {'RSS MiB':>8} {'anon':>6} {'files':>6} {'fds':>6} "
        f"{'threads':>8} {'cpu s':>8}"
    )
    for label, s in (
        ("idle", idle),
        ("start", begin),
        ("middle", middle),
        ("end", last_sample),
        ("after", final),
    ):
        print(
            f"{label:8}{s.at - started:8.0f} {s.clients:8d} {s.rss / MIB:8.1f} "
            f"{s.anon / MIB:6.1f} {s.mapped / MIB:6.1f} {s.fds:6d} {s.threads:8d} {s.cpu:8.1f}"
        )
    print(
        "trend over steady load, per 10 min: "
        f"RSS {slope_per_10_min(steady, 'rss') / MIB:+.2f} MiB, "
        f"fds {slope_per_10_min(steady, 'fds'):+.1f}, "
        f"threads {slope_per_10_min(steady, 'threads'):+.1f}, "
        f"clients {slope_per_10_min(steady, 'clients'):+.1f}"
    )
    # A warm-up that ends (caches filling to their bounds) slows down; a leak does not.
    halves = steady[: len(steady) // 2 + 1], steady[len(steady) // 2 :]
    print(
        "RSS trend per 10 min, first half of steady load "
        f"{slope_per_10_min(halves[0], 'rss') / MIB:+.2f} MiB, "
        f"second half {slope_per_10_min(halves[1], 'rss') / MIB:+.2f} MiB "
        f"(anon {slope_per_10_min(halves[1], 'anon') / MIB:+.2f}, "
        f"files {slope_per_10_min(halves[1], 'mapped') / MIB:+.2f})"
    )
    print(
        f"RSS range over steady load: {min(s.rss for s in steady) / MIB:.1f}-"
        f"{max(s.rss for s in steady) / MIB:.1f} MiB; "
        f"load generator CPU {generator_cpu.ru_utime + generator_cpu.ru_stime:.1f}s"
    )
    if failures:
        print(f"FAILED ({len(failures)}):")
        for failure in failures[:40]:
            print(f"  - {failure}")
        print(f"server log kept in {server.log_path}")
        return 1
    # A passing run's log (one line per connection event) is of no further use.
    shutil.rmtree(log_dir, ignore_errors=True)
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
