"""Token buckets per caller (API key id, or client IP when there is no key).

Built for the request hot path: one dict lookup, a few float operations, a monotonic clock;
no locks (the event loop is single-threaded) and no allocation for a known caller. The table
is bounded: when it reaches `max_callers`, buckets that have refilled completely (idle
callers, indistinguishable from new ones) are dropped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


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
    ) -> None:
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self.enabled = self.rate > 0
        self._now = now
        self._max = max_callers
        # caller -> [tokens, last refill instant]; lists so a hit mutates in place.
        self._buckets: dict[str, list[float]] = {}
        self._announced: dict[str, float] = {}
        window = self.burst / self.rate if self.enabled else 0.0
        self.window_s = max(1, math.ceil(window))
        self.policy_header = f'"default";q={self.burst};w={self.window_s}'

    def take(self, caller: str) -> Verdict | None:
        """Spend one token; return None when allowed, else a Verdict (nothing is spent)."""
        if not self.enabled:
            return None
        now = self._now()
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= self._max:
                self._prune(now)
            self._buckets[caller] = [self.burst - 1.0, now]
            return None
        tokens = bucket[0] + (now - bucket[1]) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return None
        bucket[0] = tokens
        return Verdict((1.0 - tokens) / self.rate, 0)

    def remaining(self, caller: str) -> int:
        """Whole tokens the caller could spend now."""
        bucket = self._buckets.get(caller)
        if bucket is None:
            return self.burst
        tokens = min(self.burst, bucket[0] + (self._now() - bucket[1]) * self.rate)
        return int(tokens)

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

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        idle = [k for k, (_, last) in self._buckets.items() if now - last >= full_after]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= self._max:  # everyone is busy: start over rather than grow
            self._buckets.clear()
