"""One "replica" for test_counters_processes: reserve against a shared cap, print counts.

python reserve_worker.py URL PREFIX REQUESTS CONCURRENCY [hold]
Prints "admitted=<n> refused=<n>" once done; with "hold", reserves and then sleeps
(to be killed -9 while holding its reservations).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta

from symphony.clock import SystemClock
from symphony.store.counters import Claim
from symphony.store.redis_conn import RedisConn
from symphony.store.redis_counters import RedisCounters

CLAIMS = [Claim("model:cap50:5h", 1, limit=50), Claim("tenant:budget", 0.01, limit=1000)]


async def run(url: str, prefix: str, requests: int, concurrency: int, hold: bool) -> None:
    counters = RedisCounters(RedisConn(url, prefix, max_connections=64), SystemClock())
    gate = asyncio.Semaphore(concurrency)
    ttl = timedelta(seconds=2 if hold else 60)

    async def one() -> bool:
        async with gate:
            admission = await counters.reserve(CLAIMS, ttl=ttl)
            if admission.admitted and not hold:
                assert await counters.settle(admission.reservation or "")
            return admission.admitted

    await counters.levels({"warm-up": None})  # connected and the script loaded
    start_at = float(os.environ.get("START_AT", "0"))  # replicas start their load together
    await asyncio.sleep(max(0.0, start_at - time.time()))
    results = await asyncio.gather(*(one() for _ in range(requests)))
    admitted = sum(results)
    print(f"admitted={admitted} refused={requests - admitted}", flush=True)
    if hold:
        await asyncio.sleep(3600)


if __name__ == "__main__":
    url, prefix, requests, concurrency = sys.argv[1:5]
    asyncio.run(run(url, prefix, int(requests), int(concurrency), "hold" in sys.argv[5:]))
