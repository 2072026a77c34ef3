"""The servers under test: how to start, watch and stop each one.

Every server runs as a child of the benchmark, pinned with ``taskset`` to its own core,
listening on a free port of 127.0.0.1, with its configuration and log in a temporary
directory that is removed afterwards. Its CPU time, memory and thread count are read from
``/proc/PID`` (the pid is the server itself: ``taskset`` and the interpreters ``exec``).

Open files: each server gets a hard limit of ``FD_LIMIT``. chinwag raises its own soft
limit to the hard one (that is its documented behaviour); the peers do not, so they also
get the soft limit an operator would set with ``ulimit -n``. Whatever else limits them
(``select()`` and its 1,024 descriptors) is their design.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import NCAT, TEXT, Protocol, irc_protocol

REPO = Path(__file__).resolve().parent.parent
# Without CAP_SYS_RESOURCE nobody may raise the hard limit; every server gets the one we have.
FD_LIMIT = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
OPER = ("bench", "benchpass")


@dataclass(frozen=True)
class ProcStats:
    cpu_s: float
    rss_kib: int
    threads: int


def read_stats(pid: int) -> ProcStats | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return ProcStats(
        cpu_s=(utime + stime) / CLOCK_TICKS,
        rss_kib=int(fields[21]) * PAGE_KIB,
        threads=int(fields[17]),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One running server process; use as a context manager."""

    name = "?"
    protocol: Protocol = TEXT
    raises_own_fd_limit = False
    keeps_history = False  # replay cells run only on servers that keep history
    replays = False  # shows a room's history to whoever joins it
    thread_per_connection = False  # needs a thread id per connection (see kernel.pid_max)

    def __init__(self, core: int | None) -> None:
        self.core = core
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_ms = float("nan")
        self._log = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """Where clients connect (several for a cluster: they are spread evenly)."""
        return [self.address]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stats(self) -> ProcStats | None:
        """The server's figures; for a server of several processes, their sums."""
        return read_stats(self.pid)

    def parts(self) -> list[tuple[str, ProcStats | None]]:
        """Each process of the server and its figures (one, unless it is a cluster)."""
        return [(self.name, self.stats())]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _limits(self) -> list[str]:
        """``prlimit`` then ``exec``s the server, so the pid stays the server's."""
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if not self.raises_own_fd_limit:
            soft = FD_LIMIT
        return ["prlimit", f"--nofile={min(soft, FD_LIMIT)}:{FD_LIMIT}", "--"]

    def start(self, timeout: float = 10.0) -> None:
        argv = [*self._limits(), *self.argv()]
        if self.core is not None:
            argv = ["taskset", "-c", str(self.core), *argv]
        self._log = (self.dir / "server.log").open("wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
            env=self.env(),
        )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.log_tail()}")
            if self.is_ready():
                self.startup_ms = (time.monotonic() - started) * 1000
                return
            time.sleep(0.002)
        raise RuntimeError(f"{self.name} did not start within {timeout}s: {self.log_tail()}")

    def is_ready(self) -> bool:
        """By default: the port is listening. Read from ``/proc``, not probed with a
        connection: ncat quits when a client hangs up before it has looked at it."""
        wanted = f":{self.port:04X} "
        with contextlib.suppress(OSError):
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[1].endswith(wanted.strip()) and fields[3] == "0A":
                    return True
        return False

    def backlog(self) -> int:
        """The listen backlog (ncat's and ngIRCd's is 10, miniircd's 5). The generator keeps
        fewer handshakes than this in flight: past it, Linux drops the final ACK and the
        client believes in a connection the server never accepts."""
        with contextlib.suppress(OSError, subprocess.SubprocessError, IndexError, ValueError):
            out = subprocess.run(
                ["ss", "-Htln", f"sport = :{self.port}"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout
            return int(out.split()[2])
        return 5

    def log_tail(self, size: int = 400) -> str:
        with contextlib.suppress(OSError):
            return (self.dir / "server.log").read_bytes()[-size:].decode(errors="replace")
        return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                # A process of tens of thousands of threads takes a while to die.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(60)
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Per-client throttles the benchmark switches off when the chinwag under test has them,
# as ngIRCd's senders are made operators: flood control and the per-address limits (all
# clients come from a handful of loopback addresses).
CHINWAG_THROTTLES_OFF = {
    "--flood-burst": "0",
    "--max-per-address": "0",
    "--max-connects-per-minute": "0",
}


@functools.cache
def _serve_help(src: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(src))
    return subprocess.run(
        [sys.executable, "-m", "chinwag", "serve", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    ).stdout


def chinwag_throttle_args(src: Path = REPO / "src") -> list[str]:
    """The switches of :data:`CHINWAG_THROTTLES_OFF` that the ``chinwag serve`` in
    ``src`` knows."""
    help_text = _serve_help(src)
    args: list[str] = []
    for flag, value in CHINWAG_THROTTLES_OFF.items():
        if flag in help_text:
            args += [flag, value]
    return args


class Chinwag(Server):
    name = "chinwag"
    protocol = TEXT
    raises_own_fd_limit = True
    thread_per_connection = True
    keeps_history = True
    replays = True
    extra: tuple[str, ...] = ()  # set once per run: throttles off, then the user's own
    src = REPO / "src"  # the source tree it runs from

    launcher: tuple[str, ...] = ("-m", "chinwag")  # how the interpreter starts chinwag

    def argv(self) -> list[str]:
        return [
            sys.executable,
            *self.launcher,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-console",
            "--max-clients",
            "0",
            *self.data_dir_args(),
            *self.extra,
        ]

    def data_dir_args(self) -> list[str]:
        """History in the run's own directory (never the user's), where the version
        run keeps history; the SQLite writer is part of what is measured."""
        if "--data-dir" not in _serve_help(self.src):
            return []
        return ["--data-dir", str(self.dir / "data")]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.src)
        return env

    def is_ready(self) -> bool:
        with contextlib.suppress(OSError):
            return b"Server started" in (self.dir / "server.log").read_bytes()
        return False


class ChinwagReplayOff(Chinwag):
    """chinwag keeping history but showing none on joining (``--history-replay 0``): what
    replay cells compare chinwag with."""

    name = "chinwag-replay-off"
    replays = False

    def argv(self) -> list[str]:
        return [*super().argv(), "--history-replay", "0"]


def chinwag_baseline(checkout: Path) -> type[Chinwag]:
    """chinwag as another checkout has it (an earlier commit, say), as a peer named
    ``chinwag-base``, so that a change is measured side by side with what it changes."""
    src = checkout.resolve() / "src"

    class Baseline(Chinwag):
        name = "chinwag-base"

    Baseline.src = src
    Baseline.extra = tuple(chinwag_throttle_args(src))
    return Baseline


class ChinwagNode(Chinwag):
    """One node of :class:`ChinwagCluster`."""

    name = "chinwag-node"

    def __init__(self, core: int | None, cluster_url: str, node_name: str) -> None:
        super().__init__(core)
        self.cluster_url = cluster_url
        self.node_name = node_name

    def argv(self) -> list[str]:
        return [*super().argv(), "--cluster", self.cluster_url, "--node-name", self.node_name]


def chinwag_cluster_baseline(checkout: Path) -> type[ChinwagCluster]:
    """The cluster as another checkout has it, as a peer named ``chinwag-cluster-base``."""
    src = checkout.resolve() / "src"

    class BaselineNode(ChinwagNode):
        pass

    BaselineNode.src = src
    BaselineNode.extra = tuple(chinwag_throttle_args(src))

    class Baseline(ChinwagCluster):
        name = "chinwag-cluster-base"
        node_class = BaselineNode

    return Baseline


class RedisServer(Server):
    """The cluster's own ``redis-server``: a free port, persistence off, never the system's."""

    name = "redis"

    def argv(self) -> list[str]:
        return [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--daemonize", "no",
        ]  # fmt: skip

    def is_ready(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(self.address, 0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        return False


class ChinwagCluster(Server):
    """chinwag as ``NODES`` nodes sharing one chat through a ``redis-server`` of its own,
    every process pinned to the server's core; clients are spread evenly over the nodes.
    Its CPU time, memory and threads are the sums over the nodes and Redis (``parts``
    has each)."""

    name = "chinwag-cluster"
    protocol = TEXT
    raises_own_fd_limit = True
    thread_per_connection = True
    NODES = 3
    node_class = ChinwagNode

    def __init__(self, core: int | None) -> None:
        self.core = core
        self.startup_ms = float("nan")
        self.redis = RedisServer(core)
        url = f"redis://127.0.0.1:{self.redis.port}/0"
        self.nodes = [self.node_class(core, url, f"node{i + 1}") for i in range(self.NODES)]
        self.port = self.nodes[0].port

    @property
    def members(self) -> list[Server]:
        return [*self.nodes, self.redis]

    def start(self, timeout: float = 30.0) -> None:
        started = time.monotonic()
        self.redis.start(timeout)
        for node in self.nodes:  # one after another: each joins the cluster as it starts
            node.start(timeout)
        self.startup_ms = (time.monotonic() - started) * 1000

    @property
    def address(self) -> tuple[str, int]:
        return self.nodes[0].address

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [node.address for node in self.nodes]

    @property
    def pid(self) -> int:
        return self.nodes[0].pid

    def stats(self) -> ProcStats | None:
        parts = [stats for _, stats in self.parts()]
        if any(stats is None for stats in parts):
            return None
        return ProcStats(
            cpu_s=sum(stats.cpu_s for stats in parts if stats),
            rss_kib=sum(stats.rss_kib for stats in parts if stats),
            threads=sum(stats.threads for stats in parts if stats),
        )

    def parts(self) -> list[tuple[str, ProcStats | None]]:
        return [(node.node_name, node.stats()) for node in self.nodes] + [
            ("redis", self.redis.stats())
        ]

    def alive(self) -> bool:
        return all(member.alive() for member in self.members)

    def backlog(self) -> int:
        return self.nodes[0].backlog()

    def log_tail(self, size: int = 400) -> str:
        return " | ".join(f"{m.name}: {m.log_tail(size)}" for m in self.members)

    def stop(self) -> None:
        # All at once (a node holding thousands of connections takes seconds to close
        # them), then Redis, which the nodes use to leave the cluster cleanly.
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGTERM)
        for member in self.members:
            member.stop()


class ChinwagNoHistory(Chinwag):
    """chinwag with history recording switched off (``bench/nohistory.py``): next to
    ``chinwag`` in one run, the ratio of the two is what recording messages costs."""

    name = "chinwag-nohistory"
    launcher = (str(REPO / "bench" / "nohistory.py"),)
    keeps_history = False  # nothing is recorded, so there is nothing to replay


class Ncat(Server):
    name = "ncat"
    protocol = NCAT

    def argv(self) -> list[str]:
        return ["ncat", "--chat", "-l", "127.0.0.1", str(self.port), "--max-conns", "100000"]


class Miniircd(Server):
    name = "miniircd"
    protocol = irc_protocol(None)

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "miniircd",
            "--listen",
            "127.0.0.1",
            "--ports",
            str(self.port),
            # It refuses to run as root unless told so; the benchmark runs as root here.
            "--setuid",
            "root",
        ]


class Ngircd(Server):
    name = "ngircd"
    protocol = irc_protocol(OPER)

    def argv(self) -> list[str]:
        conf = self.dir / "ngircd.conf"
        conf.write_text(
            f"""[Global]
Name = bench.local
Info = benchmark
Listen = 127.0.0.1
Ports = {self.port}
MotdPhrase = benchmark
PidFile = {self.dir / "ngircd.pid"}
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
PingTimeout = 600
PongTimeout = 600
# Penalties only slow down the set-up (registration of thousands of receivers); the
# senders are operators with user mode +F, which ngIRCd never throttles anyway.
MaxPenaltyTime = 0
[Options]
DNS = no
Ident = no
PAM = no
[Operator]
Name = {OPER[0]}
Password = {OPER[1]}
"""
        )
        return ["/usr/sbin/ngircd", "--nodaemon", "--config", str(conf)]


SERVERS: dict[str, type[Server]] = {
    "chinwag": Chinwag,
    "chinwag-cluster": ChinwagCluster,
    "chinwag-nohistory": ChinwagNoHistory,
    "ngircd": Ngircd,
    "ncat": Ncat,
    "miniircd": Miniircd,
}
