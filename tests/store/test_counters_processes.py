"""Exact caps across processes: two "replicas" (separate processes, separate connections)
reserving against one cap of 50 on Redis admit exactly 50 between them; a replica killed
with -9 while holding reservations never frees that quota (they expire into charges)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from store_backends import REDIS_URL, Place

from symphony.clock import SystemClock
from symphony.store.counters import Claim, Level
from symphony.store.redis_conn import RedisConn
from symphony.store.redis_counters import RedisCounters

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs the Redis scripts/test starts")
WORKER = Path(__file__).with_name("reserve_worker.py")
START_AT = [0.0]
SRC = Path(__file__).resolve().parents[2] / "src"


async def replica(
    prefix: str, requests: int, concurrency: int, *extra: str
) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(SRC), "START_AT": str(START_AT[0])}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        REDIS_URL,
        prefix,
        str(requests),
        str(concurrency),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )


def admitted(line: bytes) -> int:
    fields = dict(part.split("=") for part in line.decode().split())
    assert "admitted" in fields, f"the replica failed (see its stderr above): {line!r}"
    return int(fields["admitted"])


async def test_two_processes_admit_exactly_the_cap_between_them(place: Place) -> None:
    # 1,000 requests at 200 concurrency in all (the figure), split over two replicas
    # that start their load at the same instant (after both have connected).
    START_AT[0] = time.time() + 4
    procs = [await replica(place.unique, 500, 100) for _ in range(2)]
    outs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    counts = [admitted(out) for out, _ in outs]
    print(f"\ncap 50, 1000 requests at c=200 over 2 processes: admitted {counts} = {sum(counts)}")
    assert sum(counts) == 50
    store = RedisCounters(RedisConn(REDIS_URL, place.unique), SystemClock())
    try:
        levels = await store.levels({"model:cap50:5h": None})
        assert levels["model:cap50:5h"] == Level(50, 0)
    finally:
        store.close()


async def test_a_replica_killed_holding_reservations_never_frees_the_quota(place: Place) -> None:
    proc = await replica(place.unique, 30, 30, "hold")  # reserves 30 (ttl 2 s), then hangs
    assert proc.stdout is not None
    assert admitted(await asyncio.wait_for(proc.stdout.readline(), 60)) == 30
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    store = RedisCounters(RedisConn(REDIS_URL, place.unique), SystemClock())
    try:
        claim = [Claim("model:cap50:5h", 1, limit=50)]
        wins = await asyncio.gather(
            *(store.reserve(claim, ttl=timedelta(minutes=1)) for _ in range(40))
        )
        assert sum(w.admitted for w in wins) == 20  # the dead replica's 30 still count
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while (await store.levels({"model:cap50:5h": None}))["model:cap50:5h"].used < 30:
            assert loop.time() < end, "the dead replica's reservations never expired"
            await asyncio.sleep(0.2)
        level = (await store.levels({"model:cap50:5h": None}))["model:cap50:5h"]
        assert level == Level(30, 20)  # expired into charges at their estimate
        assert not (await store.reserve(claim, ttl=timedelta(minutes=1))).admitted
    finally:
        store.close()
