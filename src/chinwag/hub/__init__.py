"""The hub: who is connected, under which name, in which rooms, and who receives what.

The hub decides; it never sends. Every state change returns a list of
:class:`~chinwag.hub.events.Delivery` values that the caller (a server connection
thread, a test) hands to the recipients' endpoints after the hub's lock is released.
A delivery names its audience by member id or by room, never by endpoint: each server's
router (:mod:`chinwag.server.router`) finds its own endpoints for them.
"""

from chinwag.hub.events import Delivery
from chinwag.hub.hub import Hub, Member

__all__ = ["Delivery", "Hub", "Member"]
