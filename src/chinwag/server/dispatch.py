"""Handing the hub's deliveries to the recipients' endpoints.

Each event is encoded once per formatter (protocol) and the same bytes are queued for
every recipient that speaks it. Consecutive deliveries to the same recipients (a burst
of messages to one room: rooms hand out the same member snapshot until someone joins or
leaves) are encoded together and queued as one piece, so the work per recipient is paid
once per burst, not once per message. Sending is the endpoints' business (a connection's
outbox hands itself to the sender thread). A farewell closes its recipient at once, with
the farewell as its last words: nothing reaches a connection after its last line.
"""

from collections.abc import Iterable

from chinwag.hub.endpoint import Endpoint, Formatter
from chinwag.hub.events import Delivery, Farewell


def deliver(deliveries: Iterable[Delivery]) -> None:
    run: list[Delivery] = []  # consecutive deliveries with the same recipients
    for delivery in deliveries:
        if isinstance(delivery.event, Farewell):
            _send(run)
            run = []
            _send([delivery], last_words=delivery.event.reason)
        elif run and (
            delivery.recipients is not run[0].recipients or delivery.exclude is not run[0].exclude
        ):
            _send(run)
            run = [delivery]
        else:
            run.append(delivery)
    _send(run)


def _send(run: list[Delivery], last_words: str | None = None) -> None:
    """Queue ``run`` for its recipients; with ``last_words``, close each right after."""
    if not run:
        return
    exclude = run[0].exclude
    # The hot loop of the server: one pass per recipient per burst. Recipients nearly
    # always share their neighbour's formatter, so that is checked before the dict.
    encoded: dict[Formatter, bytes] = {}
    formatter: Formatter | None = None
    data = b""
    for member in run[0].recipients:
        if member is exclude:
            continue
        endpoint: Endpoint = member.endpoint
        if endpoint.formatter is not formatter:
            formatter = endpoint.formatter
            known = encoded.get(formatter)
            if known is None:
                known = encoded[formatter] = b"".join([formatter.format(d.event) for d in run])
            data = known
        if last_words is None:
            endpoint.send(data)
        else:
            endpoint.close(last_words, data)  # the farewell, and nothing after it
