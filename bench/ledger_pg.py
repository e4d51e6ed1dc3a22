"""The usage ledger's record path: SQLite (group commit) vs PostgreSQL (group commit).

`python -m bench.ledger_pg`: 32 callers record one usage event each, 4,000 in all, each
awaiting durability as a request does; then `load_events` reads them back (a replica's
start). PostgreSQL is SYMPHONY_BENCH_DATABASE_URL (default the local server) under a fresh
schema dropped afterwards. Standalone: not one of `python -m bench`'s scenarios.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from symphony.store.pg_conn import PgConn
from symphony.windows.ledger import SqliteUsageStore
from symphony.windows.pg_ledger import PgUsageStore
from symphony.windows.usage import UsageEvent

URL = os.environ.get("SYMPHONY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
T0 = datetime(2026, 5, 4, tzinfo=UTC)
N, CONCURRENCY = 4000, 32


async def measure(store: SqliteUsageStore | PgUsageStore, name: str) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await store.record([UsageEvent(at=T0 + timedelta(seconds=i), model="m/x")])
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(N)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    t0 = time.perf_counter()
    loaded = len(store.load_events(T0))
    load_ms = (time.perf_counter() - t0) * 1e3
    commits = f", {store.commits} transactions" if isinstance(store, PgUsageStore) else ""
    print(
        f"{name}: {N / elapsed:,.0f} records/s at c={CONCURRENCY}, "
        f"p50 {latencies[N // 2] * 1e3:.1f} ms, p99 {latencies[int(N * 0.99)] * 1e3:.1f} ms"
        f"{commits}; load_events {loaded} in {load_ms:.0f} ms"
    )


async def main() -> None:
    sqlite = SqliteUsageStore(Path(tempfile.mkdtemp()) / "ledger.db")
    try:
        await measure(sqlite, "sqlite")
    finally:
        sqlite.close()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pg = PgUsageStore.open(PgConn(URL, schema))
    try:
        await measure(pg, "postgresql")
    finally:
        pg.close()
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())


if __name__ == "__main__":
    asyncio.run(main())
