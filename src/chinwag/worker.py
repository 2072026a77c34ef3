"""Supervised long-lived threads: a name, an owner, a stop event, and a guard that keeps serving.

A :class:`Worker` runs one *step* of its loop over and over (a round of sending, one
``accept``, one ``select``) until the step says it is done by returning ``False``; steps
look at :attr:`Worker.stopping` to know when, so that one that must finish its work
first (sending what is queued) can. A step that raises is reported with its traceback and the loop
carries on after a short pause (so a step that always fails is reported a few times a
second rather than in a tight loop), instead of the thread dying and its work (a chat's
sending, say) silently stopping while the process stays up. While stopping, a failing
step ends the thread: there is nothing left to keep serving.

The owner starts the worker and, on shutdown, calls :meth:`Worker.stop` with a way to
wake the step from whatever it waits on; ``stop`` joins the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

ERROR_PAUSE_SECONDS = 0.1

Step = Callable[[], bool | None]


class Worker:
    """A named daemon thread running ``step`` until stopped (see the module docstring)."""

    def __init__(
        self,
        name: str,
        step: Step,
        report: Callable[[str], None],
        *,
        error_pause: float = ERROR_PAUSE_SECONDS,
    ) -> None:
        self.name = name
        self.stopping = threading.Event()
        self._step = step
        self._report = report  # called inside the except block, so it can log the traceback
        self._error_pause = error_pause
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wake: Callable[[], None] | None = None, timeout: float | None = None) -> None:
        """Set the stop event, wake the step with ``wake``, and join the thread."""
        self.stopping.set()
        if wake is not None:
            wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            try:
                if self._step() is False:
                    return
            except Exception:  # noqa: BLE001 - the guard: report, and keep serving
                self._report(f"error in {self.name}; it carries on")
                if self.stopping.wait(self._error_pause):
                    return
