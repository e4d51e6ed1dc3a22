"""Per-domain pacing: at most one request to a host every max(crawl delay, 1/rps) seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class DomainRateLimiter:
    """Reserve the next free slot per host; callers sleep until their slot comes.

    In one process this is exact; several replicas each pace on their own (a shared limiter
    through the store's Redis counters is the scale-out path).
    """

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}

    def reserve(self, host: str, interval_s: float) -> float:
        """Book the next slot for `host`; return how long the caller must wait for it."""
        now = self._monotonic()
        slot = max(now, self._next.get(host, now))
        self._next[host] = slot + max(0.0, interval_s)
        return slot - now

    async def acquire(self, host: str, interval_s: float) -> float:
        """Wait for `host`'s next slot; return the seconds waited."""
        wait = self.reserve(host, interval_s)
        if wait > 0:
            await self._sleep(wait)
        return wait


def interval_for(rps: float, crawl_delay_s: float) -> float:
    """Seconds between two requests to one host: the slower of policy and robots.txt."""
    return max(crawl_delay_s, 1.0 / rps if rps > 0 else 0.0)
