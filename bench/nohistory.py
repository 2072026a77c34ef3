"""``chinwag serve`` with history recording switched off: what recording costs, measured.

The benchmark runs this file as the peer ``chinwag-nohistory`` (``python bench/nohistory.py
serve ...``, with chinwag's ``src`` on ``PYTHONPATH``), next to ``chinwag`` itself, so that
the cost of recording is a ratio from one run. Everything else is the server as shipped,
its data directory included (bans and rooms are still kept); only the recorder the hub
hands every message to does nothing, so no message is queued for the history writer.
"""

import sys

from chinwag.cli import main
from chinwag.history.service import History


def _record_nothing(self: History, event: object) -> None:
    """The recorder, switched off."""


History.record = _record_nothing  # type: ignore[assignment,method-assign]

sys.exit(main())
