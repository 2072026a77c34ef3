"""The server's console log: one line per event, flushed at once, optionally also to a file.

Every server event goes through the ``chinwag`` logger, so the console shows exactly the
documented lines and ``--log-file`` gets the same lines with a timestamp and level.

The threads that log never write themselves: records go into a bounded queue that one
thread (``chinwag-log``) writes out. A terminal that stops reading (paused with Ctrl-S,
say) or a full disk then delays the log, not the chat; past the queue's bound, records
are dropped rather than waited for. An interactive console can ask (:func:`print_through`)
that the log's lines for standard output be handed to it instead, to print them above the
line the operator is typing.
"""

import contextlib
import logging
import queue
import sys
import traceback
from collections.abc import Callable
from logging.handlers import QueueHandler, RotatingFileHandler
from pathlib import Path

from chinwag.worker import Worker

LOGGER = logging.getLogger("chinwag")
PREFIX = "[SERVER] "
_LOG_FILE_BYTES = 5 * 1024 * 1024
_LOG_FILE_BACKUPS = 3
_QUEUED_RECORDS = 10_000
_writer: "_Writer | None" = None
_print: Callable[[str], object] | None = None


def print_through(printer: Callable[[str], object] | None) -> None:
    """Hand the lines for standard output to ``printer`` (``None``: write them directly).

    It is called on the log's thread, so it must do its own locking.
    """
    global _print  # noqa: PLW0603 - one standard output per process
    _print = printer


class _StandardOutput(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard output, or the printer an interactive console put in its place."""

    def emit(self, record: logging.LogRecord) -> None:
        printer = _print
        if printer is None:
            super().emit(record)
            return
        try:
            printer(self.format(record) + self.terminator)
        except Exception:  # noqa: BLE001 - as StreamHandler: a broken output is not a crash
            self.handleError(record)


def event(message: str) -> None:
    """Log one server event: ``[SERVER] message``."""
    LOGGER.info(PREFIX + message)


def problem(message: str) -> None:
    """Log something that went wrong on the server's side (an operator's or a bug)."""
    LOGGER.error(PREFIX + message, exc_info=sys.exc_info()[0] is not None)


class _Writer:
    """The thread that writes queued records out, so that loggers never wait on output."""

    def __init__(
        self, records: queue.Queue[logging.LogRecord | None], outputs: list[logging.Handler]
    ) -> None:
        self._records = records
        self._outputs = outputs
        # Its own failures cannot go through the log it writes: they go to stderr.
        self._worker = Worker("chinwag-log", self._write_one, _to_stderr)
        self._worker.start()

    def _write_one(self) -> bool:
        record = self._records.get()
        if record is None:
            return False
        for output in self._outputs:
            output.handle(record)
        return True

    def stop(self, timeout: float) -> bool:
        """Write out what is queued, waiting at most ``timeout`` for a stuck output;
        ``False`` if the output is stuck."""
        with contextlib.suppress(queue.Full):
            self._records.put(None, timeout=timeout)
        self._worker.stop(timeout=timeout)
        if self._worker.is_alive():
            return False
        for output in self._outputs:
            output.close()
        return True


def _to_stderr(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr closed: nowhere left to say it
        sys.stderr.write(f"chinwag: {message}\n{traceback.format_exc()}")
        sys.stderr.flush()


def configure(log_file: str = "") -> None:
    """Send the log to standard output, and to a rotating file when one is named."""
    global _writer  # noqa: PLW0603 - one log per process, like the logging module's own
    stop()
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
        handler.close()
    console = _StandardOutput(sys.stdout)
    console.setFormatter(logging.Formatter("%(message)s"))
    outputs: list[logging.Handler] = [console]
    if log_file:
        to_file = RotatingFileHandler(
            Path(log_file),
            maxBytes=_LOG_FILE_BYTES,
            backupCount=_LOG_FILE_BACKUPS,
            encoding="utf-8",
        )
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        outputs.append(to_file)
    # A closed standard output (the server piped into `head`) must not print a
    # traceback for every later record.
    logging.raiseExceptions = False
    records: queue.Queue[logging.LogRecord | None] = queue.Queue(_QUEUED_RECORDS)
    LOGGER.addHandler(QueueHandler(records))
    _writer = _Writer(records, outputs)


def stop(timeout: float = 2.0) -> bool:
    """Write out what is queued and stop the log thread (at exit).

    ``False`` when the output is stuck (a terminal that does not read): then even the
    interpreter's own final flush of standard output would wait forever.
    """
    global _writer
    writer, _writer = _writer, None
    return writer is None or writer.stop(timeout)
