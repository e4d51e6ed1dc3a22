"""Token buckets with a hand-driven clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from symphony.security.ratelimit import RateLimiter
from symphony.store.memory_counters import MemoryTokenBuckets
from symphony.store.sqlite_counters import SqliteTokenBuckets


class Ticks:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def test_burst_then_refill_at_the_rate() -> None:
    now = Ticks()
    limiter = RateLimiter(2.0, 4, now=now)
    assert [await limiter.take("k") for _ in range(4)] == [None] * 4
    verdict = await limiter.take("k")
    assert verdict is not None
    assert verdict.retry_after_s == pytest.approx(0.5)
    assert verdict.retry_after_header == "1"
    now.t += 0.5  # one token back
    assert await limiter.take("k") is None
    assert await limiter.take("k") is not None
    now.t += 100  # refills to the burst, never beyond
    assert await limiter.remaining("k") == 4


async def test_callers_have_separate_buckets() -> None:
    limiter = RateLimiter(1.0, 1, now=Ticks())
    assert await limiter.take("a") is None
    assert await limiter.take("a") is not None
    assert await limiter.take("b") is None


async def test_refusals_spend_nothing() -> None:
    now = Ticks()
    limiter = RateLimiter(1.0, 1, now=now)
    await limiter.take("k")
    for _ in range(10):
        assert await limiter.take("k") is not None
    now.t += 1.0
    assert await limiter.take("k") is None  # hammering did not push the refill further away


async def test_zero_rate_disables_the_limiter() -> None:
    limiter = RateLimiter(0, 1, now=Ticks())
    assert all([await limiter.take("k") is None for _ in range(1000)])


def test_policy_header_names_quota_and_window() -> None:
    assert RateLimiter(200, 400).policy_header == '"default";q=400;w=2'


def test_announce_at_most_once_per_second_per_caller() -> None:
    now = Ticks()
    limiter = RateLimiter(1.0, 1, now=now)
    assert limiter.should_announce("k") is True
    assert limiter.should_announce("k") is False
    assert limiter.should_announce("other") is True
    now.t += 1.0
    assert limiter.should_announce("k") is True


async def test_the_table_stays_bounded() -> None:
    now = Ticks()
    limiter = RateLimiter(10.0, 1, now=now, max_callers=100)
    assert isinstance(limiter.buckets, MemoryTokenBuckets)
    for i in range(100):
        await limiter.take(f"ip{i}")
    now.t += 1.0  # everyone idle long enough to be full again
    await limiter.take("newcomer")
    assert len(limiter.buckets.table) == 1
    for i in range(500):
        await limiter.take(f"busy{i}")
    assert len(limiter.buckets.table) <= 100


async def test_a_shared_bucket_store_holds_the_limit_across_workers(tmp_path: Path) -> None:
    now = Ticks()
    stores = [SqliteTokenBuckets.open(tmp_path / "limits.db", now=now) for _ in range(2)]
    try:
        workers = [RateLimiter(1.0, 5, now=now, buckets=store) for store in stores]
        verdicts = await asyncio.gather(*(w.take("key_1") for _ in range(10) for w in workers))
        assert sum(v is None for v in verdicts) == 5  # one burst, not one per worker
    finally:
        for store in stores:
            store.close()
