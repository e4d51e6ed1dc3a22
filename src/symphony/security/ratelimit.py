"""Token buckets per caller (API key id, or client IP when there is no key).

The buckets live behind the store's TokenBuckets seam. The embedded default keeps them in
memory, built for the request hot path: one dict lookup, a few float operations, a
monotonic clock; no locks (the event loop is single-threaded), no allocation for a known
caller, and a bounded table (at `max_callers`, buckets that have refilled completely,
idle callers indistinguishable from new ones, are dropped). A shared backend makes the
limit hold across workers and replicas.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from symphony.store.counters import TokenBuckets
from symphony.store.memory_counters import MemoryTokenBuckets


@dataclass(frozen=True, slots=True)
class Verdict:
    """A refusal: how long until one token is back, and what the caller may still spend."""

    retry_after_s: float
    remaining: int

    @property
    def retry_after_header(self) -> str:
        """Whole seconds for `Retry-After` (at least 1: HTTP has no fractions here)."""
        return str(max(1, math.ceil(self.retry_after_s)))


class RateLimiter:
    """Token bucket: `rate` tokens per second, at most `burst` banked; one token a request."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        now: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
        buckets: TokenBuckets | None = None,
    ) -> None:
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self.enabled = self.rate > 0
        self._now = now
        self._max = max_callers
        if buckets is None:  # buckets in this process's memory: the embedded default
            buckets = MemoryTokenBuckets(now=now, max_keys=max_callers)
        self.buckets = buckets
        self._announced: dict[str, float] = {}
        window = self.burst / self.rate if self.enabled else 0.0
        self.window_s = max(1, math.ceil(window))
        self.policy_header = f'"default";q={self.burst};w={self.window_s}'

    async def take(self, caller: str) -> Verdict | None:
        """Spend one token; return None when allowed, else a Verdict (nothing is spent)."""
        if not self.enabled:
            return None
        wait = await self.buckets.take(caller, rate=self.rate, burst=self.burst)
        return None if wait is None else Verdict(wait, 0)

    async def remaining(self, caller: str) -> int:
        """Whole tokens the caller could spend now."""
        if not self.enabled:
            return self.burst
        return int(await self.buckets.tokens(caller, rate=self.rate, burst=self.burst))

    def should_announce(self, caller: str, every_s: float = 1.0) -> bool:
        """True at most once per `every_s` per caller (rate-limits the `rate.limit` event)."""
        now = self._now()
        last = self._announced.get(caller)
        if last is not None and now - last < every_s:
            return False
        if len(self._announced) >= self._max:
            self._announced.clear()
        self._announced[caller] = now
        return True
