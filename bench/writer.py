"""What the history writer thread costs a message: ``python -m bench.writer``.

A busy room's history, without a server around it: each run is a fresh process that
starts a real :class:`~chinwag.history.writer.HistoryWriter` on an SQLite store in a
temporary directory (retention 10,000 records a room and 30 days, as shipped), fills the
room past its retention, then puts ``--messages`` room messages of ``--size`` bytes from
50 senders at ``--rate`` a second, as the hub's recorder would (spread over ``--rooms``
rooms, ten messages at a time to each in turn), and reads the writer
thread's CPU time over them (``/proc/self/task/TID/schedstat``, in nanoseconds, not the
10 ms ticks of ``/proc/PID/stat``). The figure is that time per message.

``--baseline DIR`` runs another checkout's ``src`` the same way, alternating with this
one, so that a change to the writer is measured side by side; the table shows each
one's median and range over ``--repeat`` runs, and the ratio of the medians. The full
benchmark (``python -m bench --servers chinwag,chinwag-nohistory``) says what the
writer costs the whole server; this says where a change to it stands, in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SENDERS = 50
WARM_UP = 40_000  # past the retention of 10,000: the runs measure pruning too


def _child(messages: int, rate: float, size: int, rooms: int) -> dict[str, float]:
    """One run, in this process (whose ``chinwag`` is the checkout being measured)."""
    import gc

    from chinwag.history.ids import MessageIds
    from chinwag.history.sqlite import SqliteHistory, open_database
    from chinwag.history.writer import HistoryWriter
    from chinwag.hub.events import RoomMessage

    gc.set_threshold(10_000)  # as ``chinwag serve`` sets it (chinwag.collector)
    with tempfile.TemporaryDirectory() as directory:
        database = open_database(directory)
        writer = HistoryWriter(
            SqliteHistory(database), retention_count=10_000, retention_age=timedelta(days=30)
        )
        writer.start()
        ids = MessageIds()
        senders = [f"c{n}" for n in range(SENDERS)]
        userhosts = [f"~c{n}@127.0.0.1" for n in range(SENDERS)]
        filler = "x" * max(1, size - 34)
        names = [f"#bench{n}" for n in range(rooms)]

        def feed(count: int) -> None:
            start = time.monotonic()
            for sent in range(count):
                now = datetime.now(UTC)
                n = sent % SENDERS
                text = f"~#{n:05d}~{sent:07d}~{time.monotonic_ns() // 1000:016d}~{filler}"
                room = names[sent // 10 % rooms]
                event = RoomMessage(
                    now, senders[n], room, text, userhost=userhosts[n], msgid=ids.at_time(now)
                )
                writer.put(event)
                if sent % 200 == 199:  # paced in steps: a sleep per message would dominate
                    ahead = (sent + 1) / rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)

        feed(WARM_UP)
        writer.flush(60)
        thread = next(t for t in threading.enumerate() if t.name == "chinwag-history")
        stat = Path(f"/proc/self/task/{thread.native_id}/schedstat")
        before = int(stat.read_text().split()[0])
        feed(messages)
        writer.flush(60)
        spent = int(stat.read_text().split()[0]) - before
        written = writer.written
        writer.close()
        database.close()
    return {"us_per_message": spent / 1000 / messages, "written": written}


def _run(src: Path, messages: int, rate: float, size: int, rooms: int) -> dict[str, float]:
    argv = [sys.executable, "-m", "bench.writer", "--child", "--rooms", str(rooms)]
    argv += ["--messages", str(messages), "--rate", str(rate), "--size", str(size)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(src), str(REPO))))
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=True)
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--rate", type=float, default=40_000.0, help="messages a second")
    parser.add_argument("--size", type=int, default=100, help="bytes of text a message")
    parser.add_argument("--rooms", type=int, default=1, help="rooms the messages go to")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout, run alternately")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.messages, args.rate, args.size, args.rooms)))
        return
    sources = {"chinwag": REPO / "src"}
    if args.baseline is not None:
        sources["chinwag-base"] = args.baseline.resolve() / "src"
    found: dict[str, list[float]] = {name: [] for name in sources}
    for repetition in range(args.repeat):
        order = list(sources.items())
        if repetition % 2:
            order.reverse()  # neither always goes first
        for name, src in order:
            result = _run(src, args.messages, args.rate, args.size, args.rooms)
            found[name].append(result["us_per_message"])
            print(f"{name}: {result['us_per_message']:.3f} µs a message", file=sys.stderr)
    print(
        f"writer thread CPU per message, {args.messages} messages at {args.rate:g}/s "
        f"to {args.rooms} room(s):"
    )
    for name, values in found.items():
        print(
            f"  {name:13s} median {statistics.median(values):.3f} µs "
            f"({min(values):.3f}-{max(values):.3f}, {len(values)} runs)"
        )
    if len(found) == 2:
        ours, base = (statistics.median(values) for values in found.values())
        print(f"  chinwag / chinwag-base: {ours / base:.2f}x")


if __name__ == "__main__":
    main()
