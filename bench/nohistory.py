"""``chinwag serve`` with history recording switched off: what recording costs, measured.

The benchmark runs this file as the peer ``chinwag-nohistory`` (``python bench/nohistory.py
serve ...``, with chinwag's ``src`` on ``PYTHONPATH``), next to ``chinwag`` itself, so that
the cost of recording is a ratio from one run. Everything else is the server as shipped,
its data directory included (bans and rooms are still kept); only the recorder the sender
shows every batch to is bypassed, so no message is queued for the history writer.
"""

import sys

from chinwag.cli import main
from chinwag.server import server
from chinwag.server.sender import Sender

server.RecordingSender.submit = Sender.submit  # type: ignore[method-assign]

sys.exit(main())
