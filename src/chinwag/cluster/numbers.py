"""Member numbers for this node's newcomers, fetched from Redis ahead of need.

Theory of operation: a member's id (``Client-N``) is unique across the cluster because
every node takes its numbers from one counter in Redis, a block at a time
(:meth:`~chinwag.cluster.link.Link.next_block`). The accept thread names each newcomer,
and it must never wait for Redis: a Redis that stalls, or a network cut, would hold
every arrival for the command's timeout, one after the other. So it only ever takes a
number already at hand (:meth:`MemberNumbers.take`, which never blocks), and gets
``None`` when there is none: that newcomer is refused ("the chat is unavailable"),
which is what a node cut off from Redis would tell it a moment later anyway.

A refill thread (its owner's, :meth:`MemberNumbers.refill` each round) keeps numbers at
hand: it fetches a block whenever fewer than half a block remain. When a newcomer found
none (a burst of arrivals outran the refill), the next blocks are twice as large, up to
:data:`MOST`, so a reconnect storm against a healthy Redis is refused at most briefly.
Numbers at hand are not in use yet, so a Redis that lost its data (and its counter)
cannot know them from the members: the node puts its :attr:`MemberNumbers.highest`
back as the counter's floor when it finds the loss (:mod:`chinwag.cluster.link`).
Pure: the fetch is injected, no Redis here.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

BLOCK = 64  # numbers fetched at a time, at first
MOST = 4096  # ... and at most, after newcomers found none at hand


class MemberNumbers:
    """Numbers at hand for newcomers, and what to fetch next (see the module docstring).

    ``fetch(count)`` takes ``count`` numbers from the cluster's counter and returns the
    last of them (the block is ``last - count + 1 .. last``); it may raise.
    """

    def __init__(
        self, fetch: Callable[[int], int], *, block: int = BLOCK, most: int = MOST
    ) -> None:
        self._fetch = fetch
        self.block = block
        self.most = most
        self._at_hand: deque[int] = deque()
        self.highest = 0  # the last number fetched: none above it is this node's
        self._lock = threading.Lock()
        self.wanted = threading.Event()  # set: the refill thread should fetch
        self.wanted.set()

    def take(self) -> int | None:
        """A number no other node hands out, or ``None`` if none is at hand (never
        waits: the refill is asked for more)."""
        with self._lock:
            if not self._at_hand:
                self.block = min(self.block * 2, self.most)
                self.wanted.set()
                return None
            number = self._at_hand.popleft()
            if len(self._at_hand) < self.block // 2:
                self.wanted.set()
            return number

    def refill(self) -> bool:
        """Fetch one block if fewer than half a block are at hand (the refill thread;
        raises what ``fetch`` raises); whether it fetched."""
        with self._lock:
            self.wanted.clear()
            count = self.block
            if len(self._at_hand) >= count // 2:
                return False
        try:
            last = self._fetch(count)  # outside the lock: take() never waits for Redis
        except BaseException:
            self.wanted.set()  # asked again next round
            raise
        with self._lock:
            self._at_hand.extend(range(last - count + 1, last + 1))
            self.highest = max(self.highest, last)
            if len(self._at_hand) < self.block // 2:
                self.wanted.set()  # the block grew meanwhile: fetch again
        return True

    def at_hand(self) -> int:
        with self._lock:
            return len(self._at_hand)
