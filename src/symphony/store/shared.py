"""Which backend each shared seam uses, from the settings: embedded or Redis/PostgreSQL.

`SharedStores.open(settings, clock)` opens (lazily: no network until first use) one Redis
connection when SYMPHONY_REDIS_URL is set and one PostgreSQL pool when
SYMPHONY_DATABASE_URL is set; the builder asks it for each seam's store. With neither set
every answer is today's embedded backend. `health()` pings what is configured, so
/status and /health say which backend is down; requests that need it fail with
`BackendUnavailable` (503) and succeed again as soon as it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from symphony.clock import Clock
from symphony.settings.stores import SharedStoreSettings
from symphony.store.counters import Counters, TokenBuckets
from symphony.store.documents import Documents
from symphony.store.jobs import JobQueue
from symphony.store.lease import Leases
from symphony.store.log import AppendLog, LogLayout
from symphony.store.memory_counters import MemoryCounters
from symphony.store.memory_lease import MemoryLeases
from symphony.store.pubsub import Feed, M

# The Redis and PostgreSQL stores (and their drivers) load only when configured: an
# embedded process never imports redis or psycopg.
if TYPE_CHECKING:
    from symphony.store.pg_conn import PgConn
    from symphony.store.redis_conn import RedisConn


@dataclass
class SharedStores:
    """The shared backends of one process (None: that seam stays embedded)."""

    redis: RedisConn | None
    pg: PgConn | None
    clock: Clock
    states: dict[str, dict[str, Any]] = field(default_factory=dict)  # the last health()

    @classmethod
    def open(cls, settings: SharedStoreSettings, clock: Clock) -> SharedStores:
        ns, timeout = settings.store_namespace, settings.store_timeout_s
        redis: RedisConn | None = None
        pg: PgConn | None = None
        if settings.redis_url:
            from symphony.store.redis_conn import RedisConn

            redis = RedisConn(settings.redis_url, ns, timeout_s=timeout)
        if settings.database_url:
            from symphony.store.pg_conn import PgConn

            pg = PgConn(settings.database_url, ns, timeout_s=timeout)
        return cls(redis, pg, clock)

    @property
    def kind(self) -> str:
        """ "embedded", "redis", "postgresql" or "redis+postgresql"."""
        parts = [name for name, on in (("redis", self.redis), ("postgresql", self.pg)) if on]
        return "+".join(parts) or "embedded"

    def counters(self) -> Counters:
        """Window counters and reservations: Redis when configured, else this process."""
        if self.redis is not None:
            from symphony.store.redis_counters import RedisCounters

            return RedisCounters(self.redis, self.clock)
        return MemoryCounters(self.clock)

    def buckets(self) -> TokenBuckets | None:
        """Per-caller rate-limit buckets on Redis; None: the limiter's in-memory default."""
        if self.redis is None:
            return None
        from symphony.store.redis_counters import RedisTokenBuckets

        return RedisTokenBuckets(self.redis)

    def feed(
        self,
        name: str,
        encode: Callable[[M], bytes],
        decode: Callable[[bytes], M],
        buffer_size: int,
    ) -> Feed[M] | None:
        """A feed on a Redis Stream (every replica's events, replay on any replica); None:
        the bus keeps its in-memory feed."""
        if self.redis is None:
            return None
        from symphony.store.redis_feed import RedisFeed

        return RedisFeed(self.redis, name, encode=encode, decode=decode, buffer_size=buffer_size)

    def leases(self) -> Leases:
        if self.redis is not None:
            from symphony.store.redis_lease import RedisLeases

            return RedisLeases(self.redis, self.clock)
        return MemoryLeases(self.clock)

    def redis_documents(self, name: str, embedded: Callable[[], Documents]) -> Documents:
        """A collection on Redis (the kill switch: read on every request, changed rarely)."""
        if self.redis is None:
            return embedded()
        from symphony.store.redis_docs import RedisDocuments

        return RedisDocuments(self.redis, name)

    def pg_documents(self, table: str, embedded: Callable[[], Documents]) -> Documents:
        """A collection on PostgreSQL (API keys: durable records)."""
        if self.pg is None:
            return embedded()
        from symphony.store.pg_docs import PgDocuments, pg_doc_schema

        self.pg.migrate(pg_doc_schema(table))
        return PgDocuments(self.pg, table)

    def pg_tables(self, schema: str) -> PgConn | None:
        """The PostgreSQL pool with `schema` (DDL) applied, for a store built on it (the
        usage ledger); None: use the embedded one."""
        if self.pg is None:
            return None
        self.pg.migrate(schema)
        return self.pg

    def pg_log(self, layout: LogLayout, schema: str) -> AppendLog | None:
        """An append-only log on PostgreSQL; None: use the embedded one."""
        if self.pg is None:
            return None
        from symphony.store.pg_log import PgLog

        self.pg.migrate(schema)
        return PgLog(self.pg, layout)

    def pg_jobs(self, embedded: Callable[[], JobQueue]) -> JobQueue:
        """The power-window job queue on PostgreSQL (claims `FOR UPDATE SKIP LOCKED`, so
        replicas never run one job twice); else the embedded one."""
        if self.pg is None:
            return embedded()
        from symphony.store.pg_jobs import PgJobQueue, pg_jobs_schema

        self.pg.migrate(pg_jobs_schema())
        return PgJobQueue(self.pg)

    async def health(self) -> dict[str, dict[str, Any]]:
        """Per configured backend: ok, where, error, checked_at (pinged now)."""
        out: dict[str, dict[str, Any]] = {}
        if self.redis is not None:
            error = await self.redis.ping()
            out["redis"] = _state(self.redis.where, error)
        if self.pg is not None:
            error = await asyncio.to_thread(self.pg.ping)
            out["postgresql"] = _state(self.pg.where, error)
        self.states.update(out)
        return out

    async def watch(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        """Ping the shared backends every `interval_s` until `stop` (health reads `states`)."""
        while not stop.is_set():
            await self.health()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    def close(self) -> None:
        """Close from sync code (the CLI)."""
        if self.redis is not None:
            self.redis.close()
        if self.pg is not None:
            self.pg.close()

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        if self.pg is not None:
            await asyncio.to_thread(self.pg.close)


def _state(where: str, error: str | None) -> dict[str, Any]:
    return {"ok": error is None, "where": where, "error": error, "checked_at": time.time()}
