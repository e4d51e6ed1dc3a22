"""The event bus: events with a type, an instant and a payload, on the store's Feed seam.

The Feed (in this process's memory by default) keeps the bounded replay buffer and fans
events out. Publishing never blocks: each subscriber has a bounded queue, and one that
falls behind is dropped (told with a final `dropped` event if there is room) instead of
slowing others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from symphony.clock import Clock
from symphony.events.facts import EventType, Fact
from symphony.events.visibility import accept_for
from symphony.store.memory_pubsub import MemoryFeed
from symphony.store.pubsub import Feed, Subscription

__all__ = ["EVENT_TYPES", "Event", "EventBus", "Subscription"]

log = logging.getLogger(__name__)

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


def encode_event(event: Event) -> bytes:
    """An event as it travels between processes (the shared feed): type, instant, payload."""
    return orjson.dumps(
        {"type": event.type, "at": event.at.isoformat(), "payload": event.payload}, default=str
    )


def decode_event(raw: bytes) -> Event:
    """The event `encode_event` wrote (its id comes from the feed)."""
    body = orjson.loads(raw)
    return Event(0, body["type"], datetime.fromisoformat(body["at"]), body["payload"])


class EventBus:
    """Typed-by-name events, scrubbed, stamped with the clock, carried by a Feed."""

    def __init__(
        self,
        clock: Clock,
        *,
        buffer_size: int = 2048,
        scrub: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        feed: Feed[Event] | None = None,
    ) -> None:
        self.clock = clock
        if feed is None:  # this process's memory: the embedded default
            feed = MemoryFeed(buffer_size=buffer_size)
        self.feed = feed
        self.published_total = 0
        self.scrub = scrub
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def buffer(self) -> Sequence[Event]:
        """The replay buffer, oldest first."""
        return self.feed.buffer

    @property
    def next_id(self) -> int:
        """The id the next event will get (the newest id + 1)."""
        return self.feed.last_id + 1

    @property
    def subscribers(self) -> Collection[Subscription[Event]]:
        return self.feed.subscribers

    @property
    def dropped_total(self) -> int:
        return self.feed.dropped_total

    def emit(self, fact: Fact) -> Event:
        """Publish one typed fact (the way every producer announces what happened)."""
        return self.publish(fact.TYPE, fact.payload())

    def publish(self, type: str, payload: dict[str, Any]) -> Event:
        """Record and fan out one event; returns immediately (prefer `emit`)."""
        if self.scrub is not None:
            payload = self.scrub(payload)
        self.published_total += 1
        event = self.feed.publish(Event(0, type, self.clock.now(), payload))
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not fail the producer
                log.exception("event listener failed on %s", type)
        return event

    def listen(self, callback: Callable[[Event], None]) -> None:
        """Call `callback` synchronously with every published event (in-process consumers
        such as the SLO evaluator: unlike a subscription it never drops; keep it cheap)."""
        self._listeners.append(callback)

    def subscribe(
        self,
        types: Collection[str] | None = None,
        last_event_id: int | None = None,
        max_queue: int = 1024,
        tenants: Collection[str] | None = None,
    ) -> tuple[Subscription[Event], list[Event], bool]:
        """A new subscription, the events to replay after `last_event_id`, and whether
        the id was too old to replay (the client should reset its state). `tenants` walls
        the subscriber into those tenants' facts (`events.visibility`); None: all."""
        accept = accept_for(types or None, tenants)
        return self.feed.subscribe(after=last_event_id, accept=accept, max_queue=max_queue)

    def unsubscribe(self, sub: Subscription[Event]) -> None:
        self.feed.unsubscribe(sub)

    def close(self) -> None:
        """End every stream (server shutdown)."""
        self.feed.close()
