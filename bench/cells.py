"""The benchmark's cells: one configuration run once against one server.

A traffic cell connects the crowd, lets the join notices settle, prepares the senders,
then measures one :meth:`LoadGenerator.traffic` run; the server's CPU time is read from
``/proc`` just before and just after, so set-up is never counted. The slow-consumer cell
is a paced traffic cell with one client that never reads. The capacity ramp grows an
idle crowd step by step in worker processes (each process may hold fewer than 20,000
descriptors) and checks at each step that one broadcast reaches everyone.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.loadgen import LoadGenerator, Protocol, percentile
from bench.servers import Server

SETUP_QUIET_S = 0.3
ON_TIME_US = 100_000  # the slow-consumer cell's "on time": within 100 ms of sending


@dataclass(frozen=True)
class Traffic:
    name: str
    clients: int
    senders: int
    messages: int
    size: int = 100
    rate: float = 0.0  # messages per second per sender; 0: flat out
    slow: int = 0  # clients that never read
    open_loop: bool = False  # flat-out senders never wait for receivers
    big: bool = False  # only with --big

    def describe(self) -> str:
        pace = f"{self.rate:g}/s each" if self.rate else "flat out"
        if self.open_loop:
            pace += ", open loop"
        slow = f", {self.slow} not reading" if self.slow else ""
        return (
            f"{self.clients} clients, {self.senders} senders x {self.messages} msgs "
            f"of {self.size} B, {pace}{slow}"
        )


def run_traffic(server: Server, cell: Traffic, deadline_s: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + deadline_s
    gen = LoadGenerator(server.addresses, server.protocol)
    try:
        ready = gen.connect(cell.clients, deadline, in_flight=min(200, server.backlog() - 1))
        if ready < cell.clients:
            return {"error": f"only {ready}/{cell.clients} connected"}
        gen.drain(SETUP_QUIET_S, deadline)
        senders = gen.clients[: cell.senders]
        if not gen.prepare_senders(senders, deadline):
            return {"error": "senders were not made operators"}
        gen.drain(SETUP_QUIET_S, deadline)
        slow = gen.clients[len(gen.clients) - cell.slow :] if cell.slow else []
        receivers = [c for c in gen.clients if c not in slow]
        gen.mute_all_but(slow)
        peak = [0]

        def sample() -> None:
            stats = server.stats()
            if stats is not None:
                peak[0] = max(peak[0], stats.rss_kib)

        before = server.stats()
        if before is None:
            return {"error": "server died"}
        parts_before = server.parts()
        result = gen.traffic(
            senders,
            receivers,
            messages=cell.messages,
            size=cell.size,
            rate=cell.rate,
            open_loop=cell.open_loop,
            deadline=deadline,
            mute=frozenset(c.index for c in slow),
            sample=sample if cell.slow else None,
        )
        after = server.stats()
        if after is None:
            return {"error": "server died during the run"}
        lat = sorted(result.latencies_us)
        cpu = after.cpu_s - before.cpu_s
        delivered = max(1, result.delivered)
        out: dict[str, Any] = {
            "deliveries_per_s": result.delivered / result.wall_s,
            "srv_us_per_msg": cpu * 1e6 / delivered,
            "srv_cpu_s": cpu,
            "srv_cpu_pct": 100 * cpu / result.wall_s,
            "gen_cpu_pct": 100 * result.gen_cpu_s / result.wall_s,
            "gen_us_per_msg": result.gen_cpu_s * 1e6 / delivered,
            "p50_ms": percentile(lat, 0.50) / 1000,
            "p99_ms": percentile(lat, 0.99) / 1000,
            "max_ms": (lat[-1] / 1000) if lat else float("nan"),
            "lost": result.lost,
            "dup": result.duplicated,
            "ooo": result.out_of_order,
            "corrupt": result.corrupted,
            "expected": result.expected,
            "delivered": result.delivered,
            "loss_pct": 100 * result.lost / max(1, result.expected),
            "disconnected": result.disconnected,
            "stalled": result.stalled,
            "rss_mib": after.rss_kib / 1024,
            "threads": after.threads,
            "wall_s": result.wall_s,
            "send_late_ms": result.send_lateness_max_us / 1000,
        }
        if len(parts_before) > 1:  # each process's share of the CPU time
            out["cpu_parts"] = {
                name: round(a.cpu_s - b.cpu_s, 3)
                for (name, b), (_, a) in zip(parts_before, server.parts(), strict=True)
                if a is not None and b is not None
            }
        if cell.slow:
            on_time = sum(1 for v in lat if v <= ON_TIME_US)
            out["on_time_pct"] = 100 * on_time / max(1, result.expected)
            out["rss_growth_mib"] = (max(peak[0], after.rss_kib) - before.rss_kib) / 1024
            out["slow_dropped"] = all(gen.hung_up(c) for c in slow)
        return out
    finally:
        gen.close()


# --- replay on join --------------------------------------------------------------------------

REPLAY_ROOM = b"replayed"
FD_MARGIN = 32  # descriptors the generator needs besides its clients' sockets


@dataclass(frozen=True)
class Replay:
    """A crowd joins a room whose history is full: how long until each has been shown it.

    Only for servers that keep history (chinwag), next to the same server with replay
    off. The crowd connects and settles first (not measured); one member fills the room's
    history with ``history`` messages; then every other client sends ``/join`` at once
    and the cell measures, until each has its replay's end marker (with replay off: the
    line saying it is in the room), the wall time, each client's wait and the server's
    CPU. ``server_args`` are given to every server the cell runs (by default arrivals and
    departures go unannounced, so the cell measures the joins and their replays, not the
    square of the crowd's announcements).
    """

    name: str
    clients: int
    history: int = 100
    server_args: tuple[str, ...] = ("--quiet-room-size", "1")
    big: bool = False

    def describe(self) -> str:
        return (
            f"{self.clients} clients join a room with {self.history} messages of history "
            f"at once ({' '.join(self.server_args)})"
        )


def run_replay(server: Server, cell: Replay, deadline_s: float = 120.0) -> dict[str, Any]:
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if cell.clients + 1 + FD_MARGIN > soft:
        return {"error": f"{cell.clients + 1} sockets would pass the open-file limit ({soft})"}
    deadline = time.monotonic() + deadline_s
    gen = LoadGenerator(server.addresses, server.protocol)
    try:
        ready = gen.connect(cell.clients + 1, deadline, in_flight=min(200, server.backlog() - 1))
        if ready < cell.clients + 1:
            return {"error": f"only {ready}/{cell.clients + 1} connected"}
        gen.drain(SETUP_QUIET_S, deadline)
        filler_client, *joiners = gen.clients
        said = b"".join(b"history line %d\n" % n for n in range(cell.history))
        # /who answers after the lines before it were taken: then the history is full.
        fill = b"/join " + REPLAY_ROOM + b"\n" + said + b"/who\n"
        gen.greet([filler_client], fill, b" user in " + REPLAY_ROOM, b"", deadline)
        gen.drain(SETUP_QUIET_S, deadline)
        replays = getattr(server, "replays", False)
        marker = b"* --- end of history ---" if replays else b"* you are now in " + REPLAY_ROOM
        before = server.stats()
        if before is None:
            return {"error": "server died"}
        started = time.monotonic()
        waited, full = gen.greet(
            joiners,
            b"/join " + REPLAY_ROOM + b"\n",
            marker,
            b"--- last 20 messages ---",
            deadline,
        )
        wall = time.monotonic() - started
        after = server.stats()
        if after is None:
            return {"error": "server died during the run"}
        cpu = after.cpu_s - before.cpu_s
        waits = sorted(int(w * 1e6) for w in waited)
        return {
            "greeted": len(waited),
            "full_replays": full,
            "greet_s": wall if len(waited) == len(joiners) else float("nan"),
            "p50_ms": percentile(waits, 0.50) / 1000,
            "p99_ms": percentile(waits, 0.99) / 1000,
            "srv_cpu_s": cpu,
            "srv_ms_per_join": cpu * 1000 / max(1, len(waited)),
            "rss_mib": after.rss_kib / 1024,
            "threads": after.threads,
        }
    finally:
        gen.close()


# --- the capacity ramp ---------------------------------------------------------------------

PER_WORKER = 9000  # well under the 20,000 descriptors one process may open here
RAMP_TOKEN = b"~#REACH~broadcast~"


def _worker(
    conn: Connection,
    address: list[tuple[str, int]],
    protocol: Protocol,
    base: int,
    in_flight: int,
) -> None:
    gen = LoadGenerator(address, protocol, index_base=base)
    try:
        while True:
            command, *args = conn.recv()
            if command == "grow":
                total, deadline = args
                conn.send(gen.connect(total, deadline, in_flight=in_flight))
            elif command == "drain":
                conn.send(gen.drain(args[0], args[1]))
            elif command == "reach":
                send, deadline = args
                held = gen.held
                if send and held:
                    got, _ = gen.broadcast_reach(held[0], deadline)
                else:
                    got = _wait_token(gen, deadline)
                conn.send((got, len(held)))
            elif command == "close":
                gen.close()
                conn.send(True)
                return
    except (EOFError, KeyboardInterrupt):
        return
    finally:
        with contextlib.suppress(OSError):
            gen.close()


def _wait_token(gen: LoadGenerator, deadline: float) -> int:
    waiting = {c.sock.fileno(): c for c in gen.held}
    for c in waiting.values():
        c.buf = b""
    got = 0
    while waiting and time.monotonic() < deadline:
        for fd, _ in gen.epoll.poll(0.2):
            client = gen.by_fd[fd]
            data = gen._recv(client) if client.alive else None
            if data is None:
                waiting.pop(fd, None)
            if not data or fd not in waiting:
                continue
            client.buf = client.buf[-32:] + data
            if RAMP_TOKEN in client.buf:
                del waiting[fd]
                got += 1
    return got


def _idle_cpu_pct(server: Server, seconds: float) -> float:
    before = server.stats()
    time.sleep(seconds)
    after = server.stats()
    if before is None or after is None:
        return float("nan")
    return 100 * (after.cpu_s - before.cpu_s) / seconds


THREAD_MARGIN = 2000  # threads and processes of the machine besides the crowd's


def _threads_refused(server: Server, steps: list[int]) -> str:
    """Why the ramp cannot reach its last step here, or ``""``: a server with a thread
    per connection needs a thread id per connection, and the kernel hands out no more
    than ``kernel.pid_max`` at once (32,768 by default), whatever the descriptor limits."""
    if not getattr(server, "thread_per_connection", False):
        return ""
    try:
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        return ""
    if max(steps) + THREAD_MARGIN <= pid_max:
        return ""
    wanted = max(steps) + THREAD_MARGIN
    return (
        f"{max(steps):,} connections need {max(steps):,} threads, but kernel.pid_max is "
        f"{pid_max:,}: as root, sysctl -w kernel.pid_max={1 << (wanted - 1).bit_length()}"
    )


def run_ramp(server: Server, steps: list[int], step_deadline_s: float) -> list[dict[str, Any]]:
    """Grow an idle crowd through ``steps``; stop at the first step the server cannot hold."""
    ctx = mp.get_context("fork")
    workers: list[tuple[Any, Connection]] = []
    rows: list[dict[str, Any]] = []
    row0: dict[str, Any] = {"step": 0, "startup_ms": server.startup_ms}
    too_many = _threads_refused(server, steps)
    if too_many:
        return [{**row0, "error": too_many}]
    row0["idle_cpu_pct"] = _idle_cpu_pct(server, 1.0)
    rows.append(row0)
    # Workers connect at the same time: share the server's listen backlog between them.
    most_workers = -(-max(steps) // PER_WORKER)
    in_flight = max(1, min(500, server.backlog() // most_workers - 1))
    try:
        for step in steps:
            needed = -(-step // PER_WORKER)
            while len(workers) < needed:
                parent, child = ctx.Pipe()
                base = len(workers) * PER_WORKER
                proc = ctx.Process(
                    target=_worker,
                    args=(child, server.addresses, server.protocol, base, in_flight),
                    daemon=True,
                )
                proc.start()
                workers.append((proc, parent))
            started = time.monotonic()
            deadline = started + step_deadline_s
            shares = [min(PER_WORKER, step - i * PER_WORKER) for i in range(len(workers))]
            for (_, pipe), share in zip(workers, shares, strict=True):
                pipe.send(("grow", share, deadline))
            held = sum(pipe.recv() for _, pipe in workers)
            connect_s = time.monotonic() - started
            for _, pipe in workers:
                pipe.send(("drain", 1.0, deadline + 30))
            for _, pipe in workers:
                pipe.recv()
            row: dict[str, Any] = {"step": step, "held": held, "connect_s": connect_s}
            stats = server.stats() if server.alive() else None
            if stats is None:
                row["error"] = "server died"
                rows.append(row)
                break
            row["rss_mib"] = stats.rss_kib / 1024
            row["threads"] = stats.threads
            parts = server.parts()
            if len(parts) > 1:
                row["rss_parts"] = {n: p.rss_kib / 1024 for n, p in parts if p is not None}
            row["idle_cpu_pct"] = _idle_cpu_pct(server, 2.0)
            reach_started = time.monotonic()
            reach_deadline = reach_started + 30
            for i, (_, pipe) in enumerate(workers):
                pipe.send(("reach", i == 0, reach_deadline))
            answers = [pipe.recv() for _, pipe in workers]
            row["reached"] = sum(got for got, _ in answers)
            row["reach_s"] = time.monotonic() - reach_started
            held_now = sum(held for _, held in answers)
            row["reached_pct"] = 100 * row["reached"] / max(1, held_now - 1)
            rows.append(row)
            if held < step:
                break
        for _, pipe in workers:
            pipe.send(("close",))
        for _, pipe in workers:
            with contextlib.suppress(EOFError):
                pipe.recv()
        last: dict[str, Any] = {"step": -1}
        # Departures are announced to those still there, so a big crowd leaving keeps a
        # server busy for a while (quadratic in the crowd): report how long, then idle CPU.
        left = time.monotonic()
        while server.alive() and time.monotonic() - left < 300:
            if _idle_cpu_pct(server, 1.0) < 2.0:
                break
        last["settle_s"] = time.monotonic() - left
        if server.alive():
            last["idle_cpu_pct"] = _idle_cpu_pct(server, 3.0)
            stats = server.stats()
            last["threads"] = stats.threads if stats else None
            last["rss_mib"] = stats.rss_kib / 1024 if stats else None
        rows.append(last)
        return rows
    finally:
        for proc, pipe in workers:
            pipe.close()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
