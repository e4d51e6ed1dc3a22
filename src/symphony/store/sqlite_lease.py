"""Leases on SQLite: one row per name, changed only inside the writer's transaction
(SQLite's write lock), so holders in several processes on one machine exclude each other."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from symphony.clock import Clock
from symphony.store.lease import Lease, check_lease_args
from symphony.store.sqlite import Durability, SqliteWriter

LEASES_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY, holder TEXT, token INTEGER NOT NULL, expires REAL NOT NULL
);
"""
_UPSERT = (
    "INSERT INTO leases (name, holder, token, expires) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, token = excluded.token, "
    "expires = excluded.expires"
)
_SELECT = "SELECT holder, token, expires FROM leases WHERE name = ?"


class SqliteLeases:
    """Leases (see store.lease) in the leases table; a release keeps the token."""

    def __init__(self, writer: SqliteWriter, clock: Clock) -> None:
        self._writer = writer
        self._clock = clock
        self._owns = False

    @classmethod
    def open(cls, path: Path, clock: Clock, *, durability: Durability = "process") -> SqliteLeases:
        """Open (creating if needed) a database holding leases."""
        leases = cls(SqliteWriter(path, LEASES_SCHEMA, durability), clock)
        leases._owns = True
        return leases

    @property
    def where(self) -> str:
        return str(self._writer.path)

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> Lease | None:
        check_lease_args(name, holder, ttl)
        now = self._clock.now().timestamp()
        expires = now + ttl.total_seconds()

        def run(conn: sqlite3.Connection) -> Lease | None:
            found = conn.execute(_SELECT, (name,)).fetchone()
            live = found is not None and found[0] is not None and found[2] > now
            if live and found[0] != holder:
                return None
            token = int(found[1]) if live else (int(found[1]) + 1 if found else 1)
            conn.execute(_UPSERT, (name, holder, token, expires))
            return Lease(name, holder, token, _dt(expires))

        return await self._writer.transact(run)

    async def renew(self, lease: Lease, ttl: timedelta) -> Lease | None:
        check_lease_args(lease.name, lease.holder, ttl)
        now = self._clock.now().timestamp()
        expires = now + ttl.total_seconds()

        def run(conn: sqlite3.Connection) -> Lease | None:
            changed = conn.execute(
                "UPDATE leases SET expires = ? WHERE name = ? AND holder = ? AND token = ? "
                "AND expires > ?",
                (expires, lease.name, lease.holder, lease.token, now),
            ).rowcount
            return Lease(lease.name, lease.holder, lease.token, _dt(expires)) if changed else None

        return await self._writer.transact(run)

    async def release(self, lease: Lease) -> bool:
        now = self._clock.now().timestamp()

        def run(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(
                "UPDATE leases SET holder = NULL, expires = 0 WHERE name = ? AND holder = ? "
                "AND token = ? AND expires > ?",
                (lease.name, lease.holder, lease.token, now),
            ).rowcount
            return changed > 0

        return await self._writer.transact(run)

    async def current(self, name: str) -> Lease | None:
        now = self._clock.now().timestamp()

        def read(conn: sqlite3.Connection) -> Lease | None:
            found = conn.execute(_SELECT, (name,)).fetchone()
            if found is None or found[0] is None or found[2] <= now:
                return None
            return Lease(name, str(found[0]), int(found[1]), _dt(found[2]))

        return await self._writer.aread(read)

    def close(self) -> None:
        if self._owns:
            self._writer.close()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
