"""The backends every store contract test runs against (fixtures in conftest.py).

Each protocol has a list of `Backend`s; every contract test is parametrized over the list
through the fixtures below. To put a new backend (Redis, PostgreSQL) under the suite, add
one `Backend` to each list it implements: `open(place)` must return a store for that test,
and opening twice at the same place must reach the same data when `shared` is True (as a
second process would).
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import psycopg

from symphony.clock import FixedClock
from symphony.store.counters import Counters, TokenBuckets
from symphony.store.documents import Documents
from symphony.store.jobs import JobQueue
from symphony.store.json_files import JsonFiles
from symphony.store.lease import Leases
from symphony.store.log import AppendLog, LogLayout
from symphony.store.memory_counters import MemoryCounters, MemoryTokenBuckets
from symphony.store.memory_docs import MemoryDocuments
from symphony.store.memory_lease import MemoryLeases
from symphony.store.memory_log import MemoryLog
from symphony.store.memory_pubsub import MemoryFeed
from symphony.store.pg_conn import PgConn
from symphony.store.pg_docs import PgDocuments
from symphony.store.pg_jobs import PgJobQueue
from symphony.store.pg_log import PgLog, pg_log_schema
from symphony.store.pubsub import Feed
from symphony.store.redis_conn import RedisConn
from symphony.store.redis_counters import RedisCounters, RedisTokenBuckets
from symphony.store.redis_docs import RedisDocuments
from symphony.store.redis_feed import RedisFeed
from symphony.store.redis_lease import RedisLeases
from symphony.store.sqlite_counters import SqliteCounters, SqliteTokenBuckets
from symphony.store.sqlite_docs import DocTable, SqliteDocuments
from symphony.store.sqlite_jobs import SqliteJobQueue
from symphony.store.sqlite_lease import SqliteLeases
from symphony.store.sqlite_log import SqliteLog, log_schema

S = TypeVar("S")
T0 = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)

# A log laid out like the audit trail: every row links to the previous row's hash.
LAYOUT = LogLayout(
    table="events_log",
    columns=("seq", "id", "kind", "at", "body", "prev", "hash"),
    key="id",
    link="hash",
)


class Ticks:
    """Seconds a test moves by hand (token buckets take a float clock)."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Place:
    """Where one test's stores live: a directory now; a key prefix or database later."""

    dir: Path
    clock: FixedClock
    ticks: Ticks
    name: str
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def unique(self) -> str:
        """A name no other test (this run or an earlier one) uses: a key prefix, a schema."""
        if not hasattr(self, "_unique"):
            self._unique = f"t_{uuid.uuid4().hex[:12]}_{self.name}"
            if REDIS_URL:
                self.cleanups.append(lambda: _drop_redis_prefix(self._unique))
            if DATABASE_URL:
                self.cleanups.append(lambda: _drop_pg_schema(self._unique))
        return self._unique


# The shared backends run on the servers scripts/test starts (machine notes); set these to
# "" to leave them out of a run on a machine without them.
REDIS_URL = os.environ.get("SYMPHONY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASE_URL = os.environ.get(
    "SYMPHONY_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _drop_pg_schema(schema: str) -> None:
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())


def _pg(p: Place) -> PgConn:
    return PgConn(DATABASE_URL, p.unique)


def _drop_redis_prefix(prefix: str) -> None:
    conn = RedisConn(REDIS_URL, prefix)
    try:
        keys = list(conn.sync.scan_iter(match=conn.key("*"), count=1000))
        if keys:
            conn.sync.delete(*keys)
    finally:
        conn.close_sync()


def _redis(p: Place) -> RedisConn:
    # A generous command timeout: 400 concurrent scripts on a loaded 2-core CI machine are
    # slow, not unavailable (the 503 path has its own tests with short timeouts).
    return RedisConn(REDIS_URL, p.unique, timeout_s=10)


@dataclass(frozen=True)
class Backend(Generic[S]):
    name: str
    open: Callable[[Place], S]
    persistent: bool  # data survives close() and a new open() at the same place
    shared: bool  # two stores opened at one place see one state (like two processes)


@dataclass
class Opener(Generic[S]):
    """Opens stores of one backend at one place; closes them after the test."""

    backend: Backend[S]
    place: Place
    opened: list[Any] = field(default_factory=list)

    def open(self) -> S:
        store = self.backend.open(self.place)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in reversed(self.opened):
            store.close()


LOGS: list[Backend[AppendLog]] = [
    Backend("memory", lambda p: MemoryLog(LAYOUT), persistent=False, shared=False),
    Backend(
        "sqlite",
        lambda p: SqliteLog.open(p.dir / "store.db", LAYOUT, log_schema(LAYOUT)),
        persistent=True,
        shared=True,
    ),
    Backend(
        "postgresql",
        lambda p: PgLog.open(_pg(p), LAYOUT, pg_log_schema(LAYOUT, {"body": "BYTEA"})),
        persistent=True,
        shared=True,
    ),
]
DOCUMENTS: list[Backend[Documents]] = [
    Backend("memory", lambda p: MemoryDocuments(), persistent=False, shared=False),
    Backend(
        "sqlite",
        lambda p: SqliteDocuments.open(p.dir / "store.db", DocTable("documents")),
        persistent=True,
        shared=True,
    ),
    Backend("json-files", lambda p: JsonFiles(p.dir / "docs"), persistent=True, shared=True),
    Backend("redis", lambda p: _owned(RedisDocuments(_redis(p), "docs")), True, True),
    Backend("postgresql", lambda p: PgDocuments.open(_pg(p), "documents"), True, True),
]
COUNTERS: list[Backend[Counters]] = [
    Backend("memory", lambda p: MemoryCounters(p.clock), persistent=False, shared=False),
    Backend(
        "sqlite",
        lambda p: SqliteCounters.open(p.dir / "store.db", p.clock),
        persistent=True,
        shared=True,
    ),
    Backend("redis", lambda p: _owned(RedisCounters(_redis(p), p.clock)), True, True),
]
BUCKETS: list[Backend[TokenBuckets]] = [
    Backend("memory", lambda p: MemoryTokenBuckets(now=p.ticks), persistent=False, shared=False),
    Backend(
        "sqlite",
        lambda p: SqliteTokenBuckets.open(p.dir / "store.db", now=p.ticks),
        persistent=True,
        shared=True,
    ),
    Backend("redis", lambda p: _owned(RedisTokenBuckets(_redis(p), now=p.ticks)), True, True),
]
FEEDS: list[Backend[Feed[Any]]] = [
    Backend("memory", lambda p: MemoryFeed(buffer_size=8), persistent=False, shared=False),
    Backend("redis", lambda p: _owned(_redis_feed(p)), persistent=True, shared=True),
]


def _redis_feed(p: Place) -> RedisFeed[Any]:
    return RedisFeed(_redis(p), "events", encode=pickle.dumps, decode=pickle.loads, buffer_size=8)


LEASES: list[Backend[Leases]] = [
    Backend("memory", lambda p: MemoryLeases(p.clock), persistent=False, shared=False),
    Backend(
        "sqlite",
        lambda p: SqliteLeases.open(p.dir / "store.db", p.clock),
        persistent=True,
        shared=True,
    ),
    Backend("redis", lambda p: _owned(RedisLeases(_redis(p), p.clock)), True, True),
]
JOBS: list[Backend[JobQueue]] = [
    Backend("sqlite", lambda p: SqliteJobQueue.open(p.dir / "jobs.db"), True, True),
    Backend("postgresql", lambda p: PgJobQueue.open(_pg(p)), persistent=True, shared=True),
]


def _owned(store: S) -> S:
    """A store that closes the connection it was given (each open is its own "process")."""
    store._owns = True  # type: ignore[attr-defined]
    return store


def _only(backends: list[Backend[S]]) -> list[Backend[S]]:
    """Leave the shared backends out when their URL is set to ""."""
    wanted = {"redis": REDIS_URL, "postgresql": DATABASE_URL}
    return [b for b in backends if wanted.get(b.name, "on")]


LOGS, DOCUMENTS, COUNTERS = _only(LOGS), _only(DOCUMENTS), _only(COUNTERS)
BUCKETS, FEEDS, LEASES = _only(BUCKETS), _only(FEEDS), _only(LEASES)
JOBS = _only(JOBS)
