"""Scenario: the Counters seam's reserve → settle, embedded (memory, SQLite) vs Redis.

One admission is a reserve of two claims (a model window with a cap, a tenant budget) and
its settle: what the hard-admission path costs per request. Each backend runs a latency
cell (one caller: p50/p99 of reserve, and of the pair) and a throughput cell (32 callers:
pairs per second). Redis is SYMPHONY_BENCH_REDIS_URL (default the local server, db 13),
under a fresh key prefix deleted afterwards.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.pyload import percentile
from bench.scale import Scale
from symphony.clock import SystemClock
from symphony.store.counters import Claim, Counters
from symphony.store.memory_counters import MemoryCounters
from symphony.store.redis_conn import RedisConn
from symphony.store.redis_counters import RedisCounters
from symphony.store.sqlite_counters import SqliteCounters

REDIS_URL = os.environ.get("SYMPHONY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
CLAIMS = [Claim("model:bench:5h", 1, limit=1e12), Claim("tenant:bench:month", 0.01, limit=1e12)]
TTL = timedelta(minutes=5)
CONCURRENCY = 32


async def _pair(store: Counters) -> tuple[float, float]:
    t0 = time.perf_counter()
    held = await store.reserve(CLAIMS, ttl=TTL)
    t1 = time.perf_counter()
    if held.reservation is None:
        raise RuntimeError(f"bench reserve refused: {held.refusal}")
    await store.settle(held.reservation, {"model:bench:5h": 1})
    return (t1 - t0) * 1e6, (time.perf_counter() - t0) * 1e6


async def _cells(store: Counters, seconds: float) -> dict[str, Any]:
    for _ in range(50):  # warm-up: connections, scripts loaded
        await _pair(store)
    reserve: list[float] = []
    pair: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        r, p = await _pair(store)
        reserve.append(r)
        pair.append(p)
    done = 0
    stop = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await _pair(store)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {
        "reserve_p50_us": round(percentile(reserve, 50), 1),
        "reserve_p99_us": round(percentile(reserve, 99), 1),
        "pair_p50_us": round(percentile(pair, 50), 1),
        "pair_p99_us": round(percentile(pair, 99), 1),
        "serial_pairs": len(pair),
        f"pairs_per_s_c{CONCURRENCY}": round(done / elapsed),
    }


async def _run(scale: Scale, log: Callable[[str], None], work: Path) -> dict[str, Any]:
    seconds = max(0.5, scale.cell_s)
    clock = SystemClock()
    prefix = f"bench_{uuid.uuid4().hex[:8]}"
    backends: dict[str, Callable[[], Counters]] = {
        "memory": lambda: MemoryCounters(clock),
        "sqlite": lambda: SqliteCounters.open(work / "counters.db", clock),
        "redis": lambda: RedisCounters(RedisConn(REDIS_URL, prefix, max_connections=64), clock),
    }
    out: dict[str, Any] = {"concurrency": CONCURRENCY, "cell_s": seconds, "backends": {}}
    for name, opener in backends.items():
        store = opener()
        try:
            cells = await _cells(store, seconds)
        except Exception as exc:  # e.g. no Redis here: report it, keep the others
            cells = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            store.close()
        out["backends"][name] = cells
        log(f"counters {name}: {cells}")
    conn = RedisConn(REDIS_URL, prefix)
    try:
        keys = list(conn.sync.scan_iter(match=conn.key("*"), count=1000))
        if keys:
            conn.sync.delete(*keys)
    except Exception:
        pass
    finally:
        conn.close_sync()
    out["redis_url"] = REDIS_URL
    return out


def run_counters(scale: Scale, log: Callable[[str], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="symphony-counters-") as tmp:
        return asyncio.run(_run(scale, log, Path(tmp)))
