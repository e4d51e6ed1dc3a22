"""The feed in process memory: a deque as the replay buffer, fan-out to local queues."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, Generic

from symphony.store.pubsub import Accept, M, Subscription


class MemoryFeed(Generic[M]):
    """A Feed (see store.pubsub) for one process; ids are 1, 2, 3, …"""

    def __init__(self, *, buffer_size: int = 2048) -> None:
        self._buffer: deque[M] = deque(maxlen=buffer_size)
        self._subscribers: set[Subscription[M]] = set()
        self.next_id = 1
        self._dropped = 0
        self.closed = False

    @property
    def last_id(self) -> int:
        return self.next_id - 1

    @property
    def buffer(self) -> Sequence[M]:
        return self._buffer

    @property
    def subscribers(self) -> set[Subscription[M]]:
        return self._subscribers

    @property
    def dropped_total(self) -> int:
        return self._dropped

    def publish(self, message: M) -> M:
        message.id = self.next_id
        self.next_id += 1
        self._buffer.append(message)
        for sub in tuple(self._subscribers):
            if sub.wants(message):
                sub.offer(message)
        return message

    def subscribe(
        self, *, after: int | None = None, accept: Accept | None = None, max_queue: int = 1024
    ) -> tuple[Subscription[M], list[M], bool]:
        sub: Subscription[M] = Subscription(accept, max_queue, self._drop)
        replay: list[M] = []
        too_old = False
        if after is not None:
            oldest = self._buffer[0].id if self._buffer else self.next_id
            # Older than the buffer, or from the future (ids restart when the server does).
            if after + 1 < oldest or after >= self.next_id:
                too_old = True
            else:
                replay = [m for m in self._buffer if m.id > after and sub.wants(m)]
        if not self.closed:
            self._subscribers.add(sub)
        else:
            sub.close()
        return sub, replay, too_old

    def unsubscribe(self, subscription: Subscription[M]) -> None:
        self._subscribers.discard(subscription)

    def close(self) -> None:
        self.closed = True
        for sub in tuple(self._subscribers):
            sub.close()
        self._subscribers.clear()

    def _drop(self, subscription: Any) -> None:
        self._dropped += 1
        self._subscribers.discard(subscription)
