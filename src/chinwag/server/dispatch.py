"""Handing the hub's deliveries to the recipients' endpoints.

Each event is encoded once per formatter (protocol) and the same bytes are queued for
every recipient that speaks it; every endpoint touched is flushed once at the end, so a
batch of messages for one client leaves in a single ``send``. Farewells close their
recipients last, after their final line was flushed.
"""

from collections.abc import Iterable

from chinwag.hub.endpoint import Endpoint, Formatter
from chinwag.hub.events import Delivery, Farewell


def deliver(deliveries: Iterable[Delivery]) -> None:
    touched: dict[Endpoint, None] = {}
    closing: list[tuple[Endpoint, str]] = []
    for delivery in deliveries:
        encoded: dict[Formatter, bytes] = {}
        exclude = delivery.exclude
        for member in delivery.recipients:
            if member is exclude:
                continue
            endpoint: Endpoint = member.endpoint
            formatter = endpoint.formatter
            data = encoded.get(formatter)
            if data is None:
                data = encoded[formatter] = formatter.format(delivery.event)
            endpoint.send(data)
            touched[endpoint] = None
        if isinstance(delivery.event, Farewell):
            reason = delivery.event.reason
            closing.extend((m.endpoint, reason) for m in delivery.recipients)
    for endpoint in touched:
        endpoint.flush()
    for endpoint, reason in closing:
        endpoint.close(reason)
