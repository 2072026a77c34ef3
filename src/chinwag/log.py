"""The server's console log: one line per event, flushed at once, optionally also to a file.

Every server event goes through the ``chinwag`` logger, so the console shows exactly the
documented lines and ``--log-file`` gets the same lines with a timestamp and level.
"""

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOGGER = logging.getLogger("chinwag")
PREFIX = "[SERVER] "
_LOG_FILE_BYTES = 5 * 1024 * 1024
_LOG_FILE_BACKUPS = 3


def event(message: str) -> None:
    """Log one server event: ``[SERVER] message``."""
    LOGGER.info(PREFIX + message)


def problem(message: str) -> None:
    """Log something that went wrong on the server's side (an operator's or a bug)."""
    LOGGER.error(PREFIX + message, exc_info=sys.exc_info()[0] is not None)


def configure(log_file: str = "") -> None:
    """Send the log to standard output, and to a rotating file when one is named."""
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(console)
    if log_file:
        to_file = RotatingFileHandler(
            Path(log_file),
            maxBytes=_LOG_FILE_BYTES,
            backupCount=_LOG_FILE_BACKUPS,
            encoding="utf-8",
        )
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        LOGGER.addHandler(to_file)
