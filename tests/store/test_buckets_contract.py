"""TokenBuckets contract: burst, refill at the rate, refusals spend nothing, separate keys,
exact admission under concurrency."""

from __future__ import annotations

import asyncio

import pytest
from store_backends import Opener

from symphony.errors import ValidationFailed
from symphony.store.counters import TokenBuckets

RATE, BURST = 2.0, 4.0


async def test_burst_then_refill_at_the_rate(buckets: Opener[TokenBuckets]) -> None:
    store, ticks = buckets.open(), buckets.place.ticks
    assert await store.tokens("k", rate=RATE, burst=BURST) == BURST  # new: full
    assert [await store.take("k", rate=RATE, burst=BURST) for _ in range(4)] == [None] * 4
    wait = await store.take("k", rate=RATE, burst=BURST)
    assert wait == pytest.approx(0.5)
    ticks.t += 0.5
    assert await store.take("k", rate=RATE, burst=BURST) is None
    assert await store.take("k", rate=RATE, burst=BURST) is not None
    ticks.t += 100  # refills to the burst, never beyond
    assert await store.tokens("k", rate=RATE, burst=BURST) == BURST


async def test_refusals_spend_nothing_and_keys_are_separate(
    buckets: Opener[TokenBuckets],
) -> None:
    store, ticks = buckets.open(), buckets.place.ticks
    assert await store.take("a", rate=1, burst=1) is None
    for _ in range(10):
        assert await store.take("a", rate=1, burst=1) == pytest.approx(1.0)
    assert await store.take("b", rate=1, burst=1) is None
    ticks.t += 1.0
    assert await store.take("a", rate=1, burst=1) is None


async def test_a_cost_above_one(buckets: Opener[TokenBuckets]) -> None:
    store = buckets.open()
    assert await store.take("k", rate=1, burst=10, cost=6) is None
    assert await store.take("k", rate=1, burst=10, cost=6) == pytest.approx(2.0)
    with pytest.raises(ValidationFailed, match="cost"):
        await store.take("new", rate=1, burst=10, cost=11)


async def test_exactly_the_burst_passes_under_concurrency(buckets: Opener[TokenBuckets]) -> None:
    store = buckets.open()
    results = await asyncio.gather(*(store.take("k", rate=1, burst=10) for _ in range(100)))
    assert sum(r is None for r in results) == 10
