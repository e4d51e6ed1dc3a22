"""The pub/sub seam: a feed of messages with ids and a bounded replay buffer.

Contract (every backend; the shared suite in tests/store/ checks it)
--------------------------------------------------------------------
- Messages are objects with an int `id` attribute; the feed sets it. Ids increase in
  publish order across the feed (shared backends: across every process using it), so
  a subscriber can say "everything after id N" when it reconnects.
- `publish(message)` never blocks and never waits for subscribers: it stamps the id,
  keeps the message in the replay buffer (bounded: the oldest fall out) and offers it to
  every local subscriber whose filter accepts it. A shared backend (Redis Streams) may
  hand the message to a background writer and stamp the id when the shared stream has
  assigned it; local subscribers then receive it from the shared stream, like those of
  every other process.
- `subscribe(after=N)` returns a live `Subscription`, the buffered messages after N the
  filter accepts (the replay), and whether N was too old to continue from (older than
  the buffer, or newer than anything published: ids of an earlier run): then the replay
  is empty and the client must refetch its state. Live messages after the replay arrive
  on the subscription's queue, never twice and never skipped.
- A subscriber whose bounded queue is full is dropped (it sees what was queued, then its
  stream ends), so one slow reader never slows the publisher or the others.
- `close()` ends every subscription (a stream ends after what was queued).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import Any, Generic, Protocol, TypeVar


class Stamped(Protocol):
    """A message the feed can give an id."""

    id: int


M = TypeVar("M", bound=Stamped)
Accept = Callable[[Any], bool]

_CLOSE = object()


class Subscription(Generic[M]):
    """One local subscriber: a bounded queue the feed offers messages to."""

    def __init__(self, accept: Accept | None, max_queue: int, on_drop: Callable[[Any], None]):
        self.accept = accept
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_queue)
        self.dropped = False
        self._on_drop = on_drop

    def wants(self, message: M) -> bool:
        """Whether this subscriber's filter accepts `message`."""
        return self.accept is None or self.accept(message)

    def offer(self, message: M) -> None:
        """Queue `message`, or drop this subscriber when its queue is full."""
        if self.dropped:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped = True
            self._on_drop(self)

    def close(self) -> None:
        """End the stream after what is queued."""
        try:
            self.queue.put_nowait(_CLOSE)
        except asyncio.QueueFull:
            self.dropped = True

    async def __aiter__(self) -> AsyncIterator[M]:
        while True:
            item = await self.queue.get()
            if item is _CLOSE:
                return
            yield item
            if self.dropped and self.queue.empty():
                return


class Feed(Protocol[M]):
    """Pub/sub with a bounded replay buffer (see the module docstring for the contract)."""

    @property
    def last_id(self) -> int:
        """The id of the newest message published (0 before the first)."""
        ...

    @property
    def buffer(self) -> Sequence[M]:
        """The replay buffer as this process sees it, oldest first."""
        ...

    @property
    def subscribers(self) -> Collection[Subscription[M]]:
        """The live local subscriptions."""
        ...

    @property
    def dropped_total(self) -> int:
        """Subscribers dropped for falling behind, since start."""
        ...

    def publish(self, message: M) -> M:
        """Stamp `message.id`, buffer it and offer it to subscribers; return it."""
        ...

    def subscribe(
        self, *, after: int | None = None, accept: Accept | None = None, max_queue: int = 1024
    ) -> tuple[Subscription[M], list[M], bool]:
        """A live subscription, the replay after `after`, and whether `after` was too old."""
        ...

    def unsubscribe(self, subscription: Subscription[M]) -> None:
        """Stop offering messages to `subscription`."""
        ...

    def close(self) -> None:
        """End every subscription; later subscriptions end at once."""
        ...
