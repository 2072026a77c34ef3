"""Handing the hub's deliveries to the recipients' endpoints.

Each event is encoded once per formatter (protocol) and the same bytes are queued for
every recipient that speaks it. Consecutive deliveries to the same recipients (a burst
of messages to one room: rooms hand out the same member snapshot until someone joins or
leaves) are encoded together and queued as one piece, so the work per recipient is paid
once per burst, not once per message. Every endpoint touched is flushed once at the end,
so what a batch queued for one client leaves in a single ``send``. A farewell closes its
recipient at once, after queuing it: nothing reaches a connection after its last line.
"""

from collections.abc import Iterable

from chinwag.hub.endpoint import Endpoint, Formatter
from chinwag.hub.events import Delivery, Farewell


def deliver(deliveries: Iterable[Delivery]) -> None:
    touched: dict[Endpoint, None] = {}
    run: list[Delivery] = []  # consecutive deliveries with the same recipients
    for delivery in deliveries:
        if isinstance(delivery.event, Farewell):
            _send(run, touched)
            run = []
            _send([delivery], touched, last_words=delivery.event.reason)
        elif run and (
            delivery.recipients is not run[0].recipients or delivery.exclude is not run[0].exclude
        ):
            _send(run, touched)
            run = [delivery]
        else:
            run.append(delivery)
    _send(run, touched)
    for endpoint in touched:
        endpoint.flush()


def _send(
    run: list[Delivery], touched: dict[Endpoint, None], last_words: str | None = None
) -> None:
    """Queue ``run`` for its recipients; with ``last_words``, close each right after."""
    if not run:
        return
    encoded: dict[Formatter, bytes] = {}
    exclude = run[0].exclude
    for member in run[0].recipients:
        if member is exclude:
            continue
        endpoint: Endpoint = member.endpoint
        formatter = endpoint.formatter
        data = encoded.get(formatter)
        if data is None:
            data = encoded[formatter] = b"".join([formatter.format(d.event) for d in run])
        endpoint.send(data)
        if last_words is None:
            touched[endpoint] = None
        else:
            endpoint.close(last_words)  # flushes what was queued, the farewell last
