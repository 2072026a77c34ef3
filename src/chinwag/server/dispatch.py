"""Handing the hub's deliveries to the recipients' endpoints.

Each event is encoded once per formatter (protocol) and the same bytes are queued for
every recipient that speaks it; every endpoint touched is flushed once at the end, so a
batch of messages for one client leaves in a single ``send``. A farewell closes its
recipient at once, after flushing it: nothing reaches a connection after its last line.
"""

from collections.abc import Iterable

from chinwag.hub.endpoint import Endpoint, Formatter
from chinwag.hub.events import Delivery, Farewell


def deliver(deliveries: Iterable[Delivery]) -> None:
    touched: dict[Endpoint, None] = {}
    for delivery in deliveries:
        encoded: dict[Formatter, bytes] = {}
        exclude = delivery.exclude
        # A farewell's reason; None for every other event.
        last_words = delivery.event.reason if isinstance(delivery.event, Farewell) else None
        for member in delivery.recipients:
            if member is exclude:
                continue
            endpoint: Endpoint = member.endpoint
            formatter = endpoint.formatter
            data = encoded.get(formatter)
            if data is None:
                data = encoded[formatter] = formatter.format(delivery.event)
            endpoint.send(data)
            if last_words is not None:
                endpoint.close(last_words)
            else:
                touched[endpoint] = None
    for endpoint in touched:
        endpoint.flush()
