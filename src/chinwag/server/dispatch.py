"""Handing the hub's deliveries to the recipients' endpoints.

Audiences name members by id or by room; this server's router
(:mod:`chinwag.server.router`) turns them into its own endpoints, a room's once per
membership version. Each event is encoded once per formatter (protocol) and the same
bytes are queued for every recipient that speaks it. Consecutive deliveries to the same
audience (a burst of messages to one room, from one sender or from many: a room's
audience is the same key and version until someone joins or leaves) are encoded together
and queued as one piece per recipient, so the work per recipient is paid once per burst,
not once per message. A recipient that is excluded from some messages of the burst
(their own) gets the burst without them. Sending is the endpoints' business (a
connection's outbox hands itself to the sender thread). A farewell closes its recipient
at once, with the farewell as its last words: nothing reaches a connection after its
last line.
"""

from collections.abc import Iterable
from itertools import accumulate

from chinwag import log
from chinwag.hub.endpoint import Endpoint, Formatter
from chinwag.hub.events import Audience, Delivery, Farewell
from chinwag.server.router import Router


def deliver(deliveries: Iterable[Delivery], router: Router) -> int:
    """Queue ``deliveries`` for their recipients; how many recipients' copies that was."""
    posted = 0
    run: list[Delivery] = []  # consecutive deliveries with the same audience
    audience: Audience | None = None
    for delivery in deliveries:
        if isinstance(delivery.event, Farewell):
            posted += _send(run, router)
            run, audience = [], None
            posted += _send([delivery], router, last_words=delivery.event.reason)
        # The same room audience is one shared value: ``is`` settles nearly every
        # comparison before ``==`` (key, version and ids) has to.
        elif delivery.audience is not audience and delivery.audience != audience:
            posted += _send(run, router)
            run, audience = [delivery], delivery.audience
        else:
            run.append(delivery)
    return posted + _send(run, router)


def _send(run: list[Delivery], router: Router, last_words: str | None = None) -> int:
    """Queue ``run`` for its recipients; with ``last_words``, close each right after.
    How many recipients' copies that was."""
    try:
        if len(run) == 1:
            return _send_one(run[0], router, last_words)
        if run:
            return _send_burst(run, router)
    except Exception:  # noqa: BLE001 - a bug must cost these deliveries, not the rest
        log.problem(f"error while delivering {type(run[0].event).__name__}")
    return 0


def _send_one(delivery: Delivery, router: Router, last_words: str | None) -> int:
    """Queue one delivery; the number of its recipients (the excluded one too)."""
    exclude = router.endpoint(delivery.exclude)
    # The hot loop of the server: one pass per recipient. Recipients nearly always share
    # their neighbour's formatter, so that is checked before the dict.
    encoded: dict[Formatter, bytes] = {}
    formatter: Formatter | None = None
    data = b""
    endpoints = router.resolve(delivery.audience)
    for endpoint in endpoints:
        if endpoint is exclude:
            continue
        if endpoint.formatter is not formatter:
            formatter = endpoint.formatter
            known = encoded.get(formatter)
            if known is None:
                known = encoded[formatter] = formatter.format(delivery.event)
            data = known
        if last_words is None:
            if data:  # a quiet event this recipient's protocol does not show
                endpoint.send(data)
        else:
            endpoint.close(last_words, data)  # the farewell, and nothing after it
    return len(endpoints)


class _Burst:
    """A burst's events encoded by one formatter: all of them, or all but some."""

    def __init__(self, run: list[Delivery], formatter: Formatter) -> None:
        self.pieces = [formatter.format(delivery.event) for delivery in run]
        self.whole = b"".join(self.pieces)
        self._ends = list(accumulate(map(len, self.pieces)))

    def without(self, skipped: list[int]) -> bytes:
        """The burst without the events at the (ascending) positions ``skipped``."""
        view = memoryview(self.whole)
        parts = []
        start = 0
        for index in skipped:
            end = self._ends[index] - len(self.pieces[index])
            if end > start:
                parts.append(view[start:end])
            start = self._ends[index]
        parts.append(view[start:])
        return b"".join(parts)


def _send_burst(run: list[Delivery], router: Router) -> int:
    """Queue a burst to one audience; the copies that was (each recipient, the ones
    left out of some of its events too, once per event)."""
    left_out: dict[str, list[int]] = {}  # who is left out of which events of the run
    for index, delivery in enumerate(run):
        if delivery.exclude is not None:
            left_out.setdefault(delivery.exclude, []).append(index)
    skipped: dict[Endpoint, list[int]] = {}  # the same, by endpoint: one lookup per member
    for member_id, indexes in left_out.items():
        excluded = router.endpoint(member_id)
        if excluded is not None:
            skipped[excluded] = indexes
    bursts: dict[Formatter, _Burst] = {}
    formatter: Formatter | None = None
    burst: _Burst
    endpoints = router.resolve(run[0].audience)
    for endpoint in endpoints:
        if endpoint.formatter is not formatter:
            formatter = endpoint.formatter
            if formatter not in bursts:
                bursts[formatter] = _Burst(run, formatter)
            burst = bursts[formatter]
        if endpoint in skipped:
            data = burst.without(skipped[endpoint])
            if data:
                endpoint.send(data)
        elif burst.whole:  # empty: quiet events this recipient's protocol does not show
            endpoint.send(burst.whole)
    return len(endpoints) * len(run)
