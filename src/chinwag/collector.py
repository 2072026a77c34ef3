"""How often Python's cycle collector runs in the server.

The collector starts a collection of the youngest generation when the objects it tracks
outnumber those freed since the last one by its first threshold (700 by default). Chat
frees nearly everything it makes soon after, so that count grows only with what is held
a while: the messages waiting for the history writer, some thousands of them in a busy
room. At 700 they set off a collection every few hundred messages, and each collection
examines them again, then again as they move up a generation, then in the full
collections their numbers bring on. In a room of 50 all talking at once that came to
about 3.5 % of the server's CPU with history, 1.5 % without.

:data:`YOUNG_THRESHOLD` is above what a busy room's writer holds between two batches, so
collections run when objects really accumulate: cyclic garbage is still collected,
at most that many tracked objects after it was made. The older generations keep their
thresholds.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 10_000


def tune() -> None:
    """Set the youngest generation's threshold (once, at the server's start)."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
