"""Counters and token buckets on SQLite: durable, and atomic across processes.

Every operation is one `transact` job: it runs inside BEGIN IMMEDIATE (SQLite's write
lock), so the read-check-write of `add`/`reserve` cannot interleave with another caller
in this process or another. Each job first turns expired reservations into charges at
the instant they were made.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symphony.clock import Clock
from symphony.errors import ValidationFailed
from symphony.store.counters import (
    RETENTION,
    Admission,
    Claim,
    Level,
    check_bucket,
    check_claims,
    check_ttl,
    first_refusal,
    new_reservation_id,
    totals,
)
from symphony.store.sqlite import Durability, SqliteWriter

COUNTERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter_charges (key TEXT NOT NULL, at REAL NOT NULL, amount REAL NOT NULL);
CREATE INDEX IF NOT EXISTS counter_charges_key_at ON counter_charges(key, at);
CREATE INDEX IF NOT EXISTS counter_charges_at ON counter_charges(at);
CREATE TABLE IF NOT EXISTS counter_reservations (
  id TEXT NOT NULL, key TEXT NOT NULL, amount REAL NOT NULL, at REAL NOT NULL,
  expires REAL NOT NULL, PRIMARY KEY (id, key)
);
CREATE INDEX IF NOT EXISTS counter_reservations_key ON counter_reservations(key);
CREATE INDEX IF NOT EXISTS counter_reservations_expires ON counter_reservations(expires);
CREATE TABLE IF NOT EXISTS token_buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL);
"""  # noqa: E501

_EXPIRE = (
    "INSERT INTO counter_charges (key, at, amount) "
    "SELECT key, at, amount FROM counter_reservations WHERE expires <= ?",
    "DELETE FROM counter_reservations WHERE expires <= ?",
)


class SqliteCounters:
    """Counters (see store.counters) in the counter_* tables of a SQLite database."""

    def __init__(
        self, writer: SqliteWriter, clock: Clock, *, retention: timedelta = RETENTION
    ) -> None:
        self._writer = writer
        self._clock = clock
        self._retention = retention.total_seconds()
        self._owns = False
        self._pruned_at = 0.0

    @classmethod
    def open(
        cls, path: Path, clock: Clock, *, durability: Durability = "process"
    ) -> SqliteCounters:
        """Open (creating if needed) a database holding counters."""
        counters = cls(SqliteWriter(path, COUNTERS_SCHEMA, durability), clock)
        counters._owns = True
        return counters

    @property
    def where(self) -> str:
        return str(self._writer.path)

    async def add(self, claims: Sequence[Claim], *, at: datetime | None = None) -> Admission:
        check_claims(claims)
        now = self._now()
        when = now if at is None else at.timestamp()

        def run(conn: sqlite3.Connection) -> Admission:
            self._tick(conn, now)
            refusal = _refusal(conn, claims)
            if refusal is not None:
                return refusal
            conn.executemany(
                "INSERT INTO counter_charges (key, at, amount) VALUES (?, ?, ?)",
                [(k, when, a) for k, a in totals(claims).items()],
            )
            return Admission(True)

        return await self._writer.transact(run)

    async def reserve(self, claims: Sequence[Claim], *, ttl: timedelta) -> Admission:
        check_claims(claims)
        check_ttl(ttl)
        now = self._now()
        expires = now + ttl.total_seconds()
        rid = new_reservation_id()

        def run(conn: sqlite3.Connection) -> Admission:
            self._tick(conn, now)
            refusal = _refusal(conn, claims)
            if refusal is not None:
                return refusal
            conn.executemany(
                "INSERT INTO counter_reservations (id, key, amount, at, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                [(rid, k, a, now, expires) for k, a in totals(claims).items()],
            )
            return Admission(True, reservation=rid, expires_at=datetime.fromtimestamp(expires, UTC))

        return await self._writer.transact(run)

    async def settle(self, reservation: str, actual: Mapping[str, float] | None = None) -> bool:
        now = self._now()
        given: dict[str, float] = dict(actual or {})

        def run(conn: sqlite3.Connection) -> bool:
            self._tick(conn, now)
            held: dict[str, float] = dict(
                conn.execute(
                    "SELECT key, amount FROM counter_reservations WHERE id = ?", (reservation,)
                ).fetchall()
            )
            if not held:
                return False
            extra = set(given) - set(held)
            if extra:
                raise ValidationFailed(
                    f"reservation {reservation} holds no {', '.join(sorted(extra))}"
                )
            charges = [(k, now, given.get(k, est)) for k, est in held.items()]
            if any(amount < 0 for _, _, amount in charges):
                raise ValidationFailed(f"reservation {reservation}: amounts must be >= 0")
            conn.execute("DELETE FROM counter_reservations WHERE id = ?", (reservation,))
            conn.executemany(
                "INSERT INTO counter_charges (key, at, amount) VALUES (?, ?, ?)", charges
            )
            return True

        return await self._writer.transact(run)

    async def release(self, reservation: str) -> bool:
        now = self._now()

        def run(conn: sqlite3.Connection) -> bool:
            self._tick(conn, now)
            deleted = conn.execute(
                "DELETE FROM counter_reservations WHERE id = ?", (reservation,)
            ).rowcount
            return deleted > 0

        return await self._writer.transact(run)

    async def levels(self, keys: Mapping[str, datetime | None]) -> dict[str, Level]:
        now = self._now()
        wanted = [(k, None if s is None else s.timestamp()) for k, s in keys.items()]

        def read(conn: sqlite3.Connection) -> dict[str, Level]:
            out: dict[str, Level] = {}
            for key, since in wanted:
                start = -1e300 if since is None else since
                used = _one(
                    conn,
                    "SELECT (SELECT TOTAL(amount) FROM counter_charges WHERE key = ? AND at >= ?)"
                    " + (SELECT TOTAL(amount) FROM counter_reservations"
                    " WHERE key = ? AND expires <= ? AND at >= ?)",
                    (key, start, key, now, start),
                )
                reserved = _one(
                    conn,
                    "SELECT TOTAL(amount) FROM counter_reservations WHERE key = ? AND expires > ?",
                    (key, now),
                )
                out[key] = Level(used, reserved)
            return out

        return await self._writer.aread(read)

    def close(self) -> None:
        if self._owns:
            self._writer.close()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _tick(self, conn: sqlite3.Connection, now: float) -> None:
        for sql in _EXPIRE:
            conn.execute(sql, (now,))
        if now - self._pruned_at > 60.0:
            self._pruned_at = now
            conn.execute("DELETE FROM counter_charges WHERE at < ?", (now - self._retention,))


def _one(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> float:
    return float(conn.execute(sql, params).fetchone()[0])


def _refusal(conn: sqlite3.Connection, claims: Sequence[Claim]) -> Admission | None:
    used = {
        i: _one(
            conn,
            "SELECT TOTAL(amount) FROM counter_charges WHERE key = ? AND at >= ?",
            (c.key, -1e300 if c.since is None else c.since.timestamp()),
        )
        for i, c in enumerate(claims)
        if c.limit is not None
    }
    keys = {c.key for c in claims if c.limit is not None}
    reserved = {
        k: _one(conn, "SELECT TOTAL(amount) FROM counter_reservations WHERE key = ?", (k,))
        for k in keys
    }
    refusal = first_refusal(claims, used, reserved)
    return None if refusal is None else Admission(False, refusal=refusal)


class SqliteTokenBuckets:
    """Token buckets (see store.counters) in the token_buckets table, wall-clock time
    (monotonic clocks are not comparable across processes)."""

    def __init__(self, writer: SqliteWriter, *, now: Callable[[], float] = time.time) -> None:
        self._writer = writer
        self._now = now
        self._owns = False

    @classmethod
    def open(
        cls, path: Path, *, now: Callable[[], float] = time.time, durability: Durability = "process"
    ) -> SqliteTokenBuckets:
        """Open (creating if needed) a database holding token buckets."""
        buckets = cls(SqliteWriter(path, COUNTERS_SCHEMA, durability), now=now)
        buckets._owns = True
        return buckets

    def close(self) -> None:
        if self._owns:
            self._writer.close()

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        check_bucket(rate, burst, cost)
        now = self._now()

        def run(conn: sqlite3.Connection) -> float | None:
            found = conn.execute(
                "SELECT tokens, at FROM token_buckets WHERE key = ?", (key,)
            ).fetchone()
            tokens = burst if found is None else min(burst, found[0] + (now - found[1]) * rate)
            wait = None if tokens >= cost else (cost - tokens) / rate
            left = tokens - cost if wait is None else tokens
            conn.execute(
                "INSERT INTO token_buckets (key, tokens, at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
                (key, left, now),
            )
            return wait

        return await self._writer.transact(run)

    async def tokens(self, key: str, *, rate: float, burst: float) -> float:
        now = self._now()

        def read(conn: sqlite3.Connection) -> float:
            found = conn.execute(
                "SELECT tokens, at FROM token_buckets WHERE key = ?", (key,)
            ).fetchone()
            return float(burst) if found is None else min(burst, found[0] + (now - found[1]) * rate)

        return await self._writer.aread(read)
