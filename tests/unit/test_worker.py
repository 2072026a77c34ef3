"""Supervised threads: a failing step is reported and the loop goes on; stop ends and joins."""

from __future__ import annotations

import logging
import os
import queue
import threading

import pytest

from chinwag import log
from chinwag.server import console as console_module
from chinwag.worker import Worker
from tests.support import DEADLINE, wait_for


class Steps:
    """A step that fails at the calls listed, and counts the calls."""

    def __init__(self, failing: set[int], last: int = 1_000_000) -> None:
        self.calls = 0
        self.failing = failing
        self.last = last
        self.reports: list[str] = []
        self.called = threading.Condition()

    def step(self) -> bool:
        with self.called:
            self.calls += 1
            self.called.notify_all()
        if self.calls in self.failing:
            raise RuntimeError(f"failure {self.calls}")
        return self.calls < self.last

    def report(self, message: str) -> None:
        self.reports.append(message)

    def wait_calls(self, count: int) -> None:
        with self.called:
            assert self.called.wait_for(lambda: self.calls >= count, DEADLINE)


def test_a_failing_step_is_reported_and_the_loop_goes_on() -> None:
    steps = Steps(failing={2, 3}, last=5)
    worker = Worker("test-worker", steps.step, steps.report, error_pause=0.001)
    worker.start()
    steps.wait_calls(5)  # the step ends the loop itself at call 5
    worker.stop(timeout=DEADLINE)
    assert steps.calls == 5
    assert steps.reports == ["error in test-worker; it carries on"] * 2
    assert not worker.is_alive()


def test_stop_sets_the_event_wakes_the_step_and_joins() -> None:
    wake = threading.Event()
    worker: Worker

    def step() -> bool:
        wake.wait()
        wake.clear()
        return not worker.stopping.is_set()

    worker = Worker("test-waiting", step, pytest.fail)
    worker.start()
    worker.stop(wake.set, timeout=DEADLINE)
    assert not worker.is_alive()


def test_a_step_that_fails_while_stopping_ends_the_thread() -> None:
    steps = Steps(failing=set(range(1, 1000)))
    worker = Worker("test-failing", steps.step, steps.report, error_pause=0.001)
    worker.start()
    steps.wait_calls(3)
    worker.stop(timeout=DEADLINE)
    assert not worker.is_alive()


def test_the_log_thread_survives_a_failing_output(capsys: pytest.CaptureFixture[str]) -> None:
    written: list[str] = []

    class Flaky(logging.Handler):
        def handle(self, record: logging.LogRecord) -> bool:
            if not written:
                written.append("")  # fail once
                raise OSError("disk full")
            written.append(record.getMessage())
            return True

    records: queue.Queue[logging.LogRecord | None] = queue.Queue()
    writer = log._Writer(records, [Flaky()])
    for text in ("first", "second"):
        records.put(logging.LogRecord("chinwag", logging.INFO, "", 0, text, None, None))
    wait_for(lambda: len(written) == 2, what="the record after the failure")
    assert writer.stop(DEADLINE)
    assert written == ["", "second"]
    error = capsys.readouterr().err
    assert "chinwag: error in chinwag-log; it carries on" in error
    assert "OSError: disk full" in error


def test_a_failing_console_command_is_logged_and_the_console_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[str] = []

    class Console:
        def handle(self, line: str) -> list[object]:
            handled.append(line)
            if line == "boom":
                raise RuntimeError("bug")
            return []

    monkeypatch.setattr(console_module, "Console", lambda server: Console())
    stdin_r, stdin_w = os.pipe()
    wake_r, wake_w = os.pipe()
    os.write(stdin_w, b"boom\nwho\n")
    os.close(stdin_w)
    done = threading.Thread(target=lambda: os.write(wake_w, b"\0"))
    caplog.set_level(logging.INFO, logger="chinwag")

    def run() -> None:
        console_module.run_console(None, wake_r, stdin_r)  # type: ignore[arg-type]

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for(lambda: handled == ["boom", "who"], what="both console lines")
        assert "[SERVER] error in a console command" in caplog.text
    finally:
        done.start()
        done.join()
        thread.join(DEADLINE)
        for fd in (stdin_r, wake_r, wake_w):
            os.close(fd)
