"""Counters and token buckets in process memory: the embedded, single-process default.

Every operation runs to completion without awaiting, so it is atomic on the event loop;
a lock covers callers in other threads. A counter keeps its charges sorted by time with
running totals, so "charged since t" is one binary search however busy the key is.
"""

from __future__ import annotations

import bisect
import heapq
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from symphony.clock import Clock
from symphony.errors import ValidationFailed
from symphony.store.counters import (
    RETENTION,
    Admission,
    Claim,
    Level,
    Refusal,
    check_bucket,
    check_claims,
    check_ttl,
    first_refusal,
    new_reservation_id,
    totals,
)


class _Series:
    """One key's charges: instants (sorted) and running totals (absolute)."""

    __slots__ = ("dropped", "sums", "times")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.sums: list[float] = []
        self.dropped = 0.0  # the running total before times[0]

    def add(self, at: float, amount: float) -> None:
        if not self.times or at >= self.times[-1]:
            self.times.append(at)
            self.sums.append((self.sums[-1] if self.sums else self.dropped) + amount)
            return
        i = bisect.bisect_right(self.times, at)  # a late charge: shift the later totals
        before = self.sums[i - 1] if i else self.dropped
        self.times.insert(i, at)
        self.sums.insert(i, before + amount)
        for j in range(i + 1, len(self.sums)):
            self.sums[j] += amount

    def since(self, start: float | None) -> float:
        if not self.sums:
            return 0.0
        i = 0 if start is None else bisect.bisect_left(self.times, start)
        before = self.sums[i - 1] if i else self.dropped
        return self.sums[-1] - before

    def prune(self, before: float) -> None:
        i = bisect.bisect_left(self.times, before)
        if i:
            self.dropped = self.sums[i - 1]
            del self.times[:i]
            del self.sums[:i]


@dataclass(slots=True)
class _Reservation:
    amounts: dict[str, float]
    at: float
    expires: float


class MemoryCounters:
    """Counters (see store.counters) in dicts; time from `clock`."""

    def __init__(self, clock: Clock, *, retention: timedelta = RETENTION) -> None:
        self._clock = clock
        self._retention = retention.total_seconds()
        self._series: dict[str, _Series] = {}
        self._reserved: dict[str, float] = {}
        self._reservations: dict[str, _Reservation] = {}
        self._expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._pruned_at = 0.0

    @property
    def where(self) -> str:
        return "memory"

    async def add(self, claims: Sequence[Claim], *, at: datetime | None = None) -> Admission:
        check_claims(claims)
        with self._lock:
            now = self._tick()
            refusal = self._refusal(claims)
            if refusal is not None:
                return Admission(False, refusal=refusal)
            when = now if at is None else _ts(at)
            for key, amount in totals(claims).items():
                self._charge(key, when, amount)
            return Admission(True)

    async def reserve(self, claims: Sequence[Claim], *, ttl: timedelta) -> Admission:
        check_claims(claims)
        check_ttl(ttl)
        with self._lock:
            now = self._tick()
            refusal = self._refusal(claims)
            if refusal is not None:
                return Admission(False, refusal=refusal)
            rid = new_reservation_id()
            held = _Reservation(totals(claims), now, now + ttl.total_seconds())
            self._reservations[rid] = held
            for key, amount in held.amounts.items():
                self._reserved[key] = self._reserved.get(key, 0.0) + amount
            heapq.heappush(self._expiry, (held.expires, rid))
            return Admission(True, reservation=rid, expires_at=_dt(held.expires))

    async def settle(self, reservation: str, actual: Mapping[str, float] | None = None) -> bool:
        with self._lock:
            now = self._tick()
            held = self._reservations.get(reservation)
            if held is None:
                return False
            extra = set(actual or ()) - set(held.amounts)
            if extra:
                raise ValidationFailed(
                    f"reservation {reservation} holds no {', '.join(sorted(extra))}"
                )
            self._drop(reservation, held)
            for key, estimate in held.amounts.items():
                amount = (actual or {}).get(key, estimate)
                if amount < 0:
                    raise ValidationFailed(f"counter {key}: amount must be >= 0, got {amount}")
                self._charge(key, now, amount)
            return True

    async def release(self, reservation: str) -> bool:
        with self._lock:
            self._tick()
            held = self._reservations.get(reservation)
            if held is None:
                return False
            self._drop(reservation, held)
            return True

    async def levels(self, keys: Mapping[str, datetime | None]) -> dict[str, Level]:
        with self._lock:
            self._tick()
            return {
                key: Level(
                    self._used(key, None if since is None else _ts(since)),
                    max(0.0, self._reserved.get(key, 0.0)),
                )
                for key, since in keys.items()
            }

    def close(self) -> None:
        return None

    def _tick(self) -> float:
        """Now; expired reservations become charges, old charges are forgotten."""
        now = _ts(self._clock.now())
        expiry = self._expiry
        while expiry and expiry[0][0] <= now:
            _, rid = heapq.heappop(expiry)
            held = self._reservations.get(rid)
            if held is not None and held.expires <= now:
                self._drop(rid, held)
                for key, amount in held.amounts.items():
                    self._charge(key, held.at, amount)
        if now - self._pruned_at > 60.0:
            self._pruned_at = now
            for series in self._series.values():
                series.prune(now - self._retention)
        return now

    def _refusal(self, claims: Sequence[Claim]) -> Refusal | None:
        used = {
            i: self._used(c.key, None if c.since is None else _ts(c.since))
            for i, c in enumerate(claims)
            if c.limit is not None
        }
        return first_refusal(claims, used, self._reserved)

    def _used(self, key: str, since: float | None) -> float:
        series = self._series.get(key)
        return 0.0 if series is None else series.since(since)

    def _charge(self, key: str, at: float, amount: float) -> None:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series()
        series.add(at, amount)

    def _drop(self, rid: str, held: _Reservation) -> None:
        del self._reservations[rid]
        for key, amount in held.amounts.items():
            left = self._reserved.get(key, 0.0) - amount
            if left <= 1e-9:
                self._reserved.pop(key, None)
            else:
                self._reserved[key] = left


class MemoryTokenBuckets:
    """Token buckets in a bounded dict: when it is full, buckets that refilled completely
    (idle callers, indistinguishable from new ones) are dropped."""

    def __init__(
        self, *, now: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._now = now
        self._max = max_keys
        # key -> [tokens, last refill instant]; lists so a hit mutates in place.
        self.table: dict[str, list[float]] = {}

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        return self.take_now(key, rate=rate, burst=burst, cost=cost)

    def take_now(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        """`take` without the coroutine (this backend never waits)."""
        now = self._now()
        bucket = self.table.get(key)
        if bucket is None:
            check_bucket(rate, burst, cost)
            if len(self.table) >= self._max:
                self._prune(now, burst / rate)
            self.table[key] = [burst - cost, now]
            return None
        tokens = bucket[0] + (now - bucket[1]) * rate
        if tokens > burst:
            tokens = burst
        bucket[1] = now
        if tokens >= cost:
            bucket[0] = tokens - cost
            return None
        bucket[0] = tokens
        return (cost - tokens) / rate

    async def tokens(self, key: str, *, rate: float, burst: float) -> float:
        return self.tokens_now(key, rate=rate, burst=burst)

    def tokens_now(self, key: str, *, rate: float, burst: float) -> float:
        """`tokens` without the coroutine."""
        bucket = self.table.get(key)
        if bucket is None:
            return float(burst)
        return min(float(burst), bucket[0] + (self._now() - bucket[1]) * rate)

    def close(self) -> None:
        return None

    def _prune(self, now: float, full_after: float) -> None:
        idle = [k for k, (_, last) in self.table.items() if now - last >= full_after]
        for key in idle:
            del self.table[key]
        if len(self.table) >= self._max:  # everyone is busy: start over rather than grow
            self.table.clear()


def _ts(at: datetime) -> float:
    return at.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
