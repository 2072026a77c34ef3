"""Run the benchmark: ``python -m bench [--quick] [--big] [--repeat N] [--servers ...]``.

Every repetition runs every cell against every server in turn (so the servers see the
same machine, noise included), each repetition starting with the next server (so none
always pays for going first), then the table shows the median of each figure and the
ratio of chinwag's figure to each peer's. The generator runs pinned to one core and each
server to the other. Everything is bounded: each cell has a deadline, servers are stopped
by the benchmark, and all traffic stays on 127.0.0.x.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.cells import Replay, Traffic, run_ramp, run_replay, run_traffic
from bench.servers import (
    FD_LIMIT,
    SERVERS,
    Chinwag,
    ChinwagCluster,
    ChinwagReplayOff,
    chinwag_baseline,
    chinwag_cluster_baseline,
    chinwag_throttle_args,
)

# The flat-out cells run long enough (a second or more of server CPU) that the 10 ms
# ticks in which /proc counts CPU time are at most a percent of the reading.
FULL: list[Traffic | Replay] = [
    Traffic("50 all send", 50, 50, 1000),
    Traffic("500 / 10 send", 500, 10, 1000),
    Traffic("2000 / 2 send", 2000, 2, 200, big=True),
    Traffic("100 / 5 paced", 100, 5, 200, rate=20),
    Traffic("slow consumer", 14, 3, 8000, size=400, rate=1000, slow=1),
    # Open loop: senders never wait for receivers, so a server that cannot keep up with
    # the (one, busy) generator's reading shows it as queues, push-back, loss or drops.
    Traffic("50 all open", 50, 50, 2000, size=64, open_loop=True),
    Traffic("500/10 open", 500, 10, 2000, size=64, open_loop=True),
    Traffic("paced 100/5 open", 100, 5, 300, size=64, rate=20, open_loop=True),
    # Servers that keep history only, next to chinwag with replay off.
    Replay("replay 1000 join", 1000),
]
QUICK: list[Traffic | Replay] = [
    Traffic("50 all send", 50, 50, 40),
    Traffic("500 / 10 send", 500, 10, 30),
    Traffic("100 / 5 paced", 100, 5, 40, rate=20),
    Traffic("slow consumer", 14, 3, 4000, size=400, rate=1000, slow=1),
    Traffic("50 all open", 50, 50, 100, size=64, open_loop=True),
    Traffic("500/10 open", 500, 10, 100, size=64, open_loop=True),
    Traffic("paced 100/5 open", 100, 5, 40, size=64, rate=20, open_loop=True),
    Replay("replay 200 join", 200),
]
RAMP = [1000, 5000]
RAMP_BIG = [1000, 5000, 10000, 20000]
RAMP_QUICK = [1000]

TRAFFIC_COLUMNS = [
    ("deliveries_per_s", "deliv/s", "{:,.0f}"),
    ("srv_us_per_msg", "srv µs/msg", "{:.2f}"),
    ("srv_cpu_pct", "srv CPU%", "{:.0f}"),
    ("gen_cpu_pct", "gen CPU%", "{:.0f}"),
    ("gen_us_per_msg", "gen µs/msg", "{:.2f}"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("max_ms", "max ms", "{:.1f}"),
    ("lost", "lost", "{:.0f}"),
    ("dup", "dup", "{:.0f}"),
    ("corrupt", "corrupt", "{:.0f}"),
    ("rss_mib", "RSS MiB", "{:.1f}"),
    ("threads", "threads", "{:.0f}"),
]
SLOW_COLUMNS = [
    ("on_time_pct", "on time %", "{:.1f}"),
    ("slow_dropped", "slow dropped", "{}"),
    ("rss_growth_mib", "RSS growth MiB", "{:.1f}"),
]
OPEN_COLUMNS = [
    ("expected", "expected", "{:,.0f}"),
    ("delivered", "received", "{:,.0f}"),
    ("loss_pct", "loss %", "{:.2f}"),
    ("ooo", "out of order", "{:.0f}"),
    ("disconnected", "disconnected", "{:.0f}"),
    ("wall_s", "wall s", "{:.1f}"),
]
RATIO_KEYS = [("srv_us_per_msg", "srv µs/msg"), ("deliveries_per_s", "deliv/s"), ("p99_ms", "p99")]
REPLAY_COLUMNS = [
    ("greeted", "greeted", "{:,.0f}"),
    ("full_replays", "full replays", "{:,.0f}"),
    ("greet_s", "all greeted s", "{:.3f}"),
    ("p50_ms", "p50 ms", "{:.1f}"),
    ("p99_ms", "p99 ms", "{:.1f}"),
    ("srv_cpu_s", "srv CPU s", "{:.3f}"),
    ("srv_ms_per_join", "srv ms/join", "{:.3f}"),
    ("rss_mib", "RSS MiB", "{:.1f}"),
    ("threads", "threads", "{:.0f}"),
]
REPLAY_RATIO_KEYS = [("greet_s", "all greeted s"), ("srv_cpu_s", "srv CPU s"), ("p99_ms", "p99")]
REPLAY_OFF = ChinwagReplayOff.name
CLUSTER = ChinwagCluster.name
OPT_IN = {CLUSTER, "chinwag-nohistory"}  # servers run only when named


def median(values: list[Any]) -> Any:
    values = [v for v in values if v is not None]
    if not values:
        return None
    if isinstance(values[0], bool):
        return all(values) if len(set(values)) == 1 else f"{sum(values)}/{len(values)}"
    return statistics.median(values)


def fmt(value: Any, pattern: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    try:
        return pattern.format(value)
    except (ValueError, TypeError):
        return str(value)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([line, rule, *body])


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (1 repeat)")
    parser.add_argument("--big", action="store_true", help="add 2,000 clients and 10k/20k idle")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument(
        "--servers",
        default=",".join(n for n in SERVERS if n not in OPT_IN),
        help=f"comma-separated, of: {', '.join(SERVERS)}; chinwag-cluster (3 nodes on a "
        "redis-server of their own) and chinwag-nohistory (chinwag with history recording "
        "switched off) only when named",
    )
    parser.add_argument(
        "--cells",
        default="",
        help="only cells whose name contains this (or one of these, comma-separated)",
    )
    parser.add_argument("--no-ramp", action="store_true", help="skip the idle capacity ramp")
    parser.add_argument(
        "--ramp-steps",
        default="",
        help="the idle ramp's steps, comma-separated (e.g. 1000,50000); "
        "with --cells, the ramp runs only when this is given",
    )
    parser.add_argument("--ramp-only", action="store_true", help="only the idle capacity ramp")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--gen-core", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write every raw result here")
    parser.add_argument(
        "--chinwag-arg", action="append", default=[], help="extra argument for chinwag serve"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run chinwag from this checkout (e.g. a `git worktree` of an earlier "
        "commit) as the peer chinwag-base (and chinwag-cluster-base, with chinwag-cluster)",
    )
    args = parser.parse_args(argv)
    if args.baseline:
        SERVERS["chinwag-base"] = chinwag_baseline(args.baseline)
        if "chinwag-base" not in args.servers:
            args.servers += ",chinwag-base"
        if CLUSTER in args.servers.split(","):
            SERVERS[CLUSTER + "-base"] = chinwag_cluster_baseline(args.baseline)
            if CLUSTER + "-base" not in args.servers:
                args.servers += f",{CLUSTER}-base"
    repeat = args.repeat or (1 if args.quick else 3)
    names = [n for n in args.servers.split(",") if n]
    cells = QUICK if args.quick else [c for c in FULL if args.big or not c.big]
    wanted = args.cells.split(",")
    cells = [] if args.ramp_only else [c for c in cells if any(w in c.name for w in wanted)]
    steps = RAMP_QUICK if args.quick else RAMP_BIG if args.big else RAMP
    if args.ramp_steps:
        steps = [int(step) for step in args.ramp_steps.split(",")]
    os.sched_setaffinity(0, {args.gen_core})
    raise_fd_limit()
    throttles_off = chinwag_throttle_args()
    SERVERS["chinwag"].extra = (*throttles_off, *args.chinwag_arg)  # and chinwag-nohistory

    if "chinwag" in names and any(isinstance(c, Replay) for c in cells):
        SERVERS[REPLAY_OFF] = ChinwagReplayOff  # replay cells only: see servers_for()
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {
        c.name: {n: [] for n in servers_for(c, names)} for c in cells
    }
    ramps: dict[str, list[list[dict[str, Any]]]] = {n: [] for n in names}
    began = time.monotonic()
    for rep in range(repeat):
        for cell in cells:
            for name in in_turn(servers_for(cell, names), rep):
                result = run_cell(name, cell, args.server_core)
                raw[cell.name][name].append(result)
                print(f"[rep {rep + 1}] {cell.name:14} {name:9} {_brief(result)}", flush=True)
    if not args.no_ramp and (not args.cells or args.ramp_steps):
        for name in names:
            with SERVERS[name](args.server_core) as server:
                rows = run_ramp(server, steps, step_deadline_s=120 if args.quick else 600)
            ramps[name].append(rows)
            print(f"[ramp] {name:9} {rows}", flush=True)
    print(f"\n(finished in {time.monotonic() - began:.0f} s)\n")
    note = "chinwag started with " + (" ".join(SERVERS["chinwag"].extra) or "its defaults")
    note += " (it has no per-client throttle)" if not throttles_off else " (throttles off)"
    report = render(
        raw,
        ramps,
        names=names,
        cells=cells,
        repeat=repeat,
        command=" ".join(sys.argv[1:]),
        chinwag_note=note,
    )
    print(report)
    if args.json:
        args.json.write_text(json.dumps({"traffic": raw, "ramp": ramps}, indent=1, default=str))
    return 0


def raise_fd_limit() -> None:
    """Let the generator hold as many sockets as it may (the soft limit up to the hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def in_turn(servers: list[str], rep: int) -> list[str]:
    """``servers`` in the order repetition ``rep`` (from 0) runs them: each repetition
    starts one further along: whichever runs first tends to measure dearer."""
    if not servers:
        return servers
    start = rep % len(servers)
    return servers[start:] + servers[:start]


def servers_for(cell: Traffic | Replay, names: list[str]) -> list[str]:
    """The servers a cell runs on: all of them, or for a replay cell those that keep
    history, with chinwag's replay-off twin right after chinwag."""
    if not isinstance(cell, Replay):
        return names
    chosen = []
    for name in names:
        if SERVERS[name].keeps_history:
            chosen.append(name)
            if name == "chinwag" and REPLAY_OFF in SERVERS:
                chosen.append(REPLAY_OFF)
    return chosen


def run_cell(name: str, cell: Traffic | Replay, core: int) -> dict[str, Any]:
    server = SERVERS[name](core)
    if isinstance(cell, Replay) and isinstance(server, Chinwag):
        server.extra = (*server.extra, *cell.server_args)
    try:
        server.start()
        result = run_replay(server, cell) if isinstance(cell, Replay) else run_traffic(server, cell)
        if not server.alive():
            result.setdefault("error", "server died")
        result["startup_ms"] = server.startup_ms
    except Exception as exc:  # one broken cell must not lose the others
        result = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    finally:
        server.stop()
    return result


def _brief(result: dict[str, Any]) -> str:
    if "error" in result:
        return "ERROR " + str(result["error"])
    if "greet_s" in result:
        return (
            f"{result['greeted']} greeted ({result['full_replays']} full replays) in "
            f"{result['greet_s']:.3f} s  p99 {result['p99_ms']:.1f} ms  "
            f"srv CPU {result['srv_cpu_s']:.3f} s"
        )
    return (
        f"{result['deliveries_per_s']:,.0f}/s  {result['srv_us_per_msg']:.2f} µs/msg  "
        f"p99 {result['p99_ms']:.1f} ms  lost {result['lost']}  corrupt {result['corrupt']}"
        + (f"  on time {result['on_time_pct']:.1f}%" if "on_time_pct" in result else "")
        + (f"  disconnected {result['disconnected']}" if result.get("disconnected") else "")
    )


def render(
    raw: dict[str, dict[str, list[dict[str, Any]]]],
    ramps: dict[str, list[list[dict[str, Any]]]],
    *,
    names: list[str],
    cells: list[Traffic | Replay],
    repeat: int,
    command: str,
    chinwag_note: str,
) -> str:
    out = [
        f"chinwag benchmark, {datetime.date.today().isoformat()}, {machine()}",
        f"command: python -m bench {command}".rstrip(),
        (f"medians of {repeat} run(s); " if cells else "")
        + "server pinned to one core, load generator to the other;",
        f"{chinwag_note}; ngIRCd's senders are operators with mode +F.",
        "",
    ]
    for cell in cells:
        out.append(f"### {cell.name}: {cell.describe()}")
        if isinstance(cell, Replay):
            columns, ratio_keys = REPLAY_COLUMNS, REPLAY_RATIO_KEYS
        else:
            columns = (
                TRAFFIC_COLUMNS
                + (SLOW_COLUMNS if cell.slow else [])
                + (OPEN_COLUMNS if cell.open_loop else [])
            )
            ratio_keys = RATIO_KEYS
        rows = []
        medians: dict[str, dict[str, Any]] = {}
        for name in raw[cell.name]:
            runs = raw[cell.name][name]
            good = [r for r in runs if "error" not in r]
            errors = [r["error"] for r in runs if "error" in r]
            med = {key: median([r.get(key) for r in good]) for key, _, _ in columns}
            medians[name] = med
            row = [name] + [fmt(med[key], pattern) if good else "-" for key, _, pattern in columns]
            row.append(f"{len(errors)} failed: {errors[0]}" if errors else "")
            rows.append(row)
        out.append(table(["server"] + [h for _, h, _ in columns] + ["notes"], rows))
        if "chinwag" in medians:
            ratios = []
            for name in raw[cell.name]:
                if name == "chinwag":
                    continue
                cells_ = [name]
                for key, _ in ratio_keys:
                    a, b = medians["chinwag"].get(key), medians[name].get(key)
                    cells_.append(f"{a / b:.2f}x" if a is not None and b else "-")
                ratios.append(cells_)
            if ratios:
                out.append("")
                out.append(
                    "chinwag / peer (times, CPU and p99: lower is better for chinwag):"
                    if isinstance(cell, Replay)
                    else "chinwag / peer (µs per message and p99: lower is better for chinwag):"
                )
                out.append(table(["peer"] + [h for _, h in ratio_keys], ratios))
        if not isinstance(cell, Replay):
            out.extend(_cluster_lines(raw[cell.name], medians))
        out.append("")
    if any(ramps.values()):
        out.append("### idle capacity ramp (one run per server)")
        rows = []
        for name in names:
            for run in ramps[name]:
                for r in run:
                    step = r.get("step")
                    label = {0: "start", -1: "all left"}.get(step, f"{step:,}")
                    rows.append(
                        [
                            name,
                            label,
                            fmt(r.get("held"), "{:,}"),
                            fmt(r.get("connect_s"), "{:.1f}"),
                            fmt(r.get("rss_mib"), "{:.0f}"),
                            fmt(r.get("threads"), "{}"),
                            fmt(r.get("idle_cpu_pct"), "{:.1f}"),
                            fmt(r.get("reached_pct"), "{:.1f}"),
                            fmt(r.get("reach_s"), "{:.2f}"),
                            fmt(r.get("startup_ms"), "{:.0f}")
                            + (f" settled after {r['settle_s']:.0f} s" if "settle_s" in r else "")
                            + (
                                " RSS MiB "
                                + ", ".join(
                                    f"{part} {mib:.0f}" for part, mib in r["rss_parts"].items()
                                )
                                if "rss_parts" in r
                                else ""
                            )
                            + (f" {r['error']}" if "error" in r else ""),
                        ]
                    )
        out.append(
            table(
                [
                    "server",
                    "step",
                    "held",
                    "connect s",
                    "RSS MiB",
                    "threads",
                    "idle CPU%",
                    "broadcast reached %",
                    "reach s",
                    "startup ms / notes",
                ],
                rows,
            )
        )
        out.append(
            f"\nEach server may open {FD_LIMIT:,} descriptors (the hard limit here); a few"
            " are its own (listening socket, standard streams, wake-up pipes), so that many"
            " connections less a few is the most any server can hold."
        )
    return "\n".join(out)


def _cluster_lines(
    runs: dict[str, list[dict[str, Any]]], medians: dict[str, dict[str, Any]]
) -> list[str]:
    """The cluster next to the single server (its cost per delivery, all processes
    counted, is what the cluster adds), and where the cluster's CPU time went."""
    if CLUSTER not in medians:
        return []
    out = [""]
    one, many = medians.get("chinwag", {}), medians[CLUSTER]
    ratios = []
    for key, header in RATIO_KEYS:
        a, b = many.get(key), one.get(key)
        if a is not None and b:
            ratios.append(f"{header} {a / b:.2f}x")
    if ratios:
        out.append(f"{CLUSTER} / chinwag (one node): " + ", ".join(ratios))
    shares: dict[str, list[float]] = {}
    for run in runs[CLUSTER]:
        for part, cpu in run.get("cpu_parts", {}).items():
            shares.setdefault(part, []).append(cpu)
    if shares:
        out.append(
            f"{CLUSTER} CPU s by process (median): "
            + ", ".join(f"{part} {statistics.median(v):.2f}" for part, v in shares.items())
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
