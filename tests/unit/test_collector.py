"""The cycle collector in the server: objects held a while (messages waiting for the
history writer) no longer set it off, and cyclic garbage is still collected on its own.
Each check runs in a fresh interpreter, so that this one's collector is left as it is."""

from __future__ import annotations

import json
import textwrap

from chinwag import collector
from tests.client_support import python_output

PROGRAM = textwrap.dedent(
    """
    import gc, json, sys
    from chinwag import collector

    if sys.argv[1] == "tuned":
        collector.tune()
    young = [0]
    freed = [0]

    def count(phase, info):
        if phase == "stop":
            young[0] += info["generation"] == 0
            freed[0] += info["collected"]

    class Message:
        __slots__ = ("text",)

        def __init__(self, text):
            self.text = text

    gc.collect()
    gc.callbacks.append(count)
    held = [Message(str(n)) for n in range(5_000)]  # a busy room's unwritten messages
    while_held = young[0]
    del held
    for _ in range(30_000):  # cyclic garbage, which only the collector can free
        a, b = [], []
        a.append(b)
        b.append(a)
    del a, b
    gc.callbacks.remove(count)
    print(json.dumps({
        "threshold": gc.get_threshold(),
        "collections_while_held": while_held,
        "freed": freed[0],
        "pending": gc.get_count()[0],
    }))
    """
)


def run(mode: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(python_output(PROGRAM, mode))
    return found


def test_objects_held_a_while_no_longer_set_the_collector_off() -> None:
    default, tuned = run("default"), run("tuned")
    assert default["collections_while_held"] >= 5  # every 700 by default
    assert tuned["collections_while_held"] == 0
    older = default["threshold"]
    assert isinstance(older, list)
    assert tuned["threshold"] == [collector.YOUNG_THRESHOLD, *older[1:]]


def test_cyclic_garbage_is_still_collected_on_its_own() -> None:
    tuned = run("tuned")
    freed, pending = tuned["freed"], tuned["pending"]
    assert isinstance(freed, int) and isinstance(pending, int)
    # 60,000 lists made, in cycles: all but the last threshold's worth were freed.
    assert freed >= 60_000 - collector.YOUNG_THRESHOLD
    assert pending <= collector.YOUNG_THRESHOLD
