"""In-process event bus with a bounded replay buffer and per-subscriber queues.

Publishing never blocks: each subscriber has a bounded queue, and one that falls behind
is dropped (told with a final `dropped` event if there is room) instead of slowing others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from symphony.clock import Clock
from symphony.events.facts import EventType, Fact

EVENT_TYPES = tuple(t.value for t in EventType)


@dataclass(slots=True)
class Event:
    id: int
    type: str
    at: datetime
    payload: dict[str, Any]
    _json: bytes | None = field(default=None, repr=False)

    def data(self) -> dict[str, Any]:
        return {"type": self.type, "at": self.at.isoformat().replace("+00:00", "Z"), **self.payload}

    def json(self) -> bytes:
        """Encoded once, shared by every subscriber."""
        if self._json is None:
            self._json = orjson.dumps(self.data(), default=str)
        return self._json


_CLOSE = object()


class Subscription:
    def __init__(self, bus: EventBus, types: frozenset[str] | None, max_queue: int) -> None:
        self.bus = bus
        self.types = types
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=max_queue)
        self.dropped = False

    def wants(self, event: Event) -> bool:
        return self.types is None or event.type in self.types

    def offer(self, item: Event) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True
            self.bus.dropped_total += 1
            self.bus.unsubscribe(self)

    def close(self) -> None:
        try:
            self.queue.put_nowait(_CLOSE)
        except asyncio.QueueFull:
            self.dropped = True

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            item = await self.queue.get()
            if item is _CLOSE:
                return
            yield item
            if self.dropped and self.queue.empty():
                return


class EventBus:
    def __init__(
        self,
        clock: Clock,
        *,
        buffer_size: int = 2048,
        scrub: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.clock = clock
        self.buffer: deque[Event] = deque(maxlen=buffer_size)
        self.subscribers: set[Subscription] = set()
        self.next_id = 1
        self.dropped_total = 0
        self.published_total = 0
        self.scrub = scrub
        self.closed = False

    def emit(self, fact: Fact) -> Event:
        """Publish one typed fact (the way every producer announces what happened)."""
        return self.publish(fact.TYPE, fact.payload())

    def publish(self, type: str, payload: dict[str, Any]) -> Event:
        """Record and fan out one event; returns immediately (prefer `emit`)."""
        if self.scrub is not None:
            payload = self.scrub(payload)
        event = Event(self.next_id, type, self.clock.now(), payload)
        self.next_id += 1
        self.published_total += 1
        self.buffer.append(event)
        for sub in tuple(self.subscribers):
            if sub.wants(event):
                sub.offer(event)
        return event

    def subscribe(
        self,
        types: Collection[str] | None = None,
        last_event_id: int | None = None,
        max_queue: int = 1024,
    ) -> tuple[Subscription, list[Event], bool]:
        """A new subscription, the events to replay after `last_event_id`, and whether
        the id was too old to replay (the client should reset its state)."""
        wanted = frozenset(types) if types else None
        sub = Subscription(self, wanted, max_queue)
        replay: list[Event] = []
        too_old = False
        if last_event_id is not None:
            oldest = self.buffer[0].id if self.buffer else self.next_id
            # Older than the buffer, or from the future (ids restart when the server does).
            if last_event_id + 1 < oldest or last_event_id >= self.next_id:
                too_old = True
            else:
                replay = [e for e in self.buffer if e.id > last_event_id and sub.wants(e)]
        if not self.closed:
            self.subscribers.add(sub)
        else:
            sub.close()
        return sub, replay, too_old

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    def close(self) -> None:
        """End every stream (server shutdown)."""
        self.closed = True
        for sub in tuple(self.subscribers):
            sub.close()
        self.subscribers.clear()
