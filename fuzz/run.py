"""Run every fuzz target in this folder for a bounded time each; exit non-zero on a failure.

A target is any ``fuzz_*.py`` file beside this one that runs atheris when executed, so
adding a target means adding one file. Each runs in its own process with libFuzzer's
``-max_total_time`` and a hard timeout on top, so a hung target cannot hang the caller.
Crash inputs are written to ``--artifacts`` (a temporary folder unless given).

    python fuzz/run.py                 # 3 seconds per target
    python fuzz/run.py --seconds 600 fuzz_session --corpus fuzz/corpus
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
# Hard stop past the fuzzing budget: interpreter start-up, instrumentation, exit.
GRACE_SECONDS = 30


def targets() -> list[Path]:
    return sorted(HERE.glob("fuzz_*.py"))


def run_target(
    target: Path, seconds: int, artifacts: Path, corpus: Path | None
) -> tuple[bool, str]:
    """Fuzz ``target`` for ``seconds``; whether it passed, and its output's last lines."""
    # The code under test is this checkout's, whatever chinwag happens to be installed.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable,
        str(target),
        f"-max_total_time={seconds}",
        f"-artifact_prefix={artifacts}{os.sep}{target.stem}-",
        "-timeout=10",  # seconds for one input: a hang is a finding too
        "-rss_limit_mb=1024",
        "-print_final_stats=1",
    ]
    if corpus is not None:
        folder = corpus / target.stem
        folder.mkdir(parents=True, exist_ok=True)
        command.append(str(folder))
    try:
        result = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=seconds + GRACE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or "") + (exc.stderr or "")
        return False, f"timed out after {seconds + GRACE_SECONDS}s\n{output[-3000:]}"
    output = result.stdout + result.stderr
    return result.returncode == 0, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="targets to run (default: all), e.g. fuzz_framing")
    parser.add_argument("--seconds", type=int, default=3, help="fuzzing time per target")
    parser.add_argument("--artifacts", type=Path, help="folder for crash inputs")
    parser.add_argument("--corpus", type=Path, help="folder of per-target corpora to grow")
    args = parser.parse_args(argv)

    chosen = targets()
    if args.names:
        wanted = {name.removesuffix(".py") for name in args.names}
        chosen = [target for target in chosen if target.stem in wanted]
        missing = wanted - {target.stem for target in chosen}
        if missing:
            parser.error(f"no such target: {', '.join(sorted(missing))}")
    artifacts = args.artifacts or Path(tempfile.mkdtemp(prefix="chinwag-fuzz-"))
    artifacts.mkdir(parents=True, exist_ok=True)

    failed = []
    for target in chosen:
        started = time.monotonic()
        passed, output = run_target(target, args.seconds, artifacts, args.corpus)
        took = time.monotonic() - started
        runs = next(
            (
                line.split()[-1]
                for line in output.splitlines()
                if "stat::number_of_executed_units" in line
            ),
            "?",
        )
        print(
            f"{'ok  ' if passed else 'FAIL'} {target.stem}: {runs} runs in {took:.1f}s", flush=True
        )
        if not passed:
            failed.append(target.stem)
            # The traceback, not the fuzzer's progress lines before it.
            start = output.find("=== Uncaught Python exception")
            print(output[start:] if start >= 0 else output[-4000:], flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}; crash inputs in {artifacts}")
        return 1
    if args.artifacts is None:
        shutil.rmtree(artifacts, ignore_errors=True)  # nothing was found: nothing to keep
    return 0


if __name__ == "__main__":
    sys.exit(main())
