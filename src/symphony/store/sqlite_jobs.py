"""JobQueue on SQLite: one `jobs` table; claims and settlements are `transact` jobs, so
SQLite's write lock makes them atomic against every other worker on the machine.

The transitions (claim, dead, settle, cancel) are `store/job_moves.py`, shared with the
PostgreSQL backend (`store/pg_jobs.py`, which claims `FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import Any

import orjson

from symphony.store.job_moves import cancelled, claimed, dead_or_none, held, released, settled
from symphony.store.jobs import JobRecord, JobState
from symphony.store.sqlite import Durability, SqliteWriter

JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  state TEXT NOT NULL,
  idempotency_key TEXT,
  next_run_at REAL,
  lease_until REAL,
  created_at REAL NOT NULL,
  body BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, next_run_at);
"""
_COLUMNS = {"id", "tenant", "state", "idempotency_key", "next_run_at", "lease_until", "created_at"}


def _encode(job: JobRecord) -> tuple[Any, ...]:
    body = {k: getattr(job, k) for k in JobRecord.__dataclass_fields__ if k not in _COLUMNS}
    return (
        job.id,
        job.tenant,
        str(job.state),
        job.idempotency_key,
        job.next_run_at,
        job.lease_until,
        job.created_at,
        orjson.dumps(body),
    )


def _decode(row: tuple[Any, ...]) -> JobRecord:
    job_id, tenant, state, idem, next_run_at, lease_until, created_at, body = row
    fields = orjson.loads(body)
    return JobRecord(
        id=job_id,
        tenant=tenant,
        state=JobState(state),
        idempotency_key=idem,
        next_run_at=next_run_at,
        lease_until=lease_until,
        created_at=created_at,
        **fields,
    )


_SELECT = (
    "SELECT id, tenant, state, idempotency_key, next_run_at, lease_until, created_at, body "
    "FROM jobs"
)
_UPSERT = (
    "INSERT OR REPLACE INTO jobs (id, tenant, state, idempotency_key, next_run_at, lease_until,"
    " created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _put(conn: sqlite3.Connection, job: JobRecord) -> JobRecord:
    conn.execute(_UPSERT, _encode(job))
    return job


def _one(conn: sqlite3.Connection, job_id: str) -> JobRecord | None:
    row = conn.execute(_SELECT + " WHERE id = ?", (job_id,)).fetchone()
    return None if row is None else _decode(row)


class SqliteJobQueue:
    """A JobQueue in a SQLite file (see store/jobs.py for the contract)."""

    def __init__(self, writer: SqliteWriter) -> None:
        self._writer = writer
        self._owns = False

    @classmethod
    def open(cls, path: Path, durability: Durability = "process") -> SqliteJobQueue:
        queue = cls(SqliteWriter(path, JOBS_SCHEMA, durability))
        queue._owns = True
        return queue

    @property
    def where(self) -> str:
        return str(self._writer.path)

    @property
    def writer(self) -> SqliteWriter:
        return self._writer

    async def submit(self, record: JobRecord) -> tuple[JobRecord, bool]:
        def tx(conn: sqlite3.Connection) -> tuple[JobRecord, bool]:
            if record.idempotency_key is not None:
                row = conn.execute(
                    _SELECT + " WHERE tenant = ? AND idempotency_key = ?",
                    (record.tenant, record.idempotency_key),
                ).fetchone()
                if row is not None:
                    return _decode(row), False
            return _put(conn, record.with_(state=JobState.QUEUED)), True

        return await self._writer.transact(tx)

    async def get(self, job_id: str) -> JobRecord | None:
        return await self._writer.aread(lambda conn: _one(conn, job_id))

    async def search(
        self,
        tenants: Collection[str] | None = None,
        state: JobState | None = None,
        limit: int = 100,
    ) -> list[JobRecord]:
        where: list[str] = []
        params: list[Any] = []
        if tenants is not None:
            where.append(f"tenant IN ({', '.join('?' for _ in tenants)})")
            params.extend(tenants)
        if state is not None:
            where.append("state = ?")
            params.append(str(state))
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        rows = await self._writer.aread(lambda conn: conn.execute(sql, params).fetchall())
        return [_decode(r) for r in rows]

    async def counts(self) -> dict[JobState, int]:
        rows = await self._writer.aread(
            lambda conn: conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        )
        found = {JobState(s): n for s, n in rows}
        return {s: found.get(s, 0) for s in JobState}

    async def queued_by_model(self) -> dict[str | None, int]:
        sql = (
            "SELECT json_extract(CAST(body AS TEXT), '$.model'), COUNT(*) FROM jobs"
            " WHERE state = 'queued' GROUP BY 1"
        )
        rows = await self._writer.aread(lambda conn: conn.execute(sql).fetchall())
        return dict(rows)

    async def claim(
        self, now: float, holder: str, lease_s: float, limit: int
    ) -> tuple[list[JobRecord], list[JobRecord]]:
        def tx(conn: sqlite3.Connection) -> tuple[list[JobRecord], list[JobRecord]]:
            rows = conn.execute(
                _SELECT + " WHERE (state = 'queued' AND next_run_at <= ?)"
                " OR (state = 'running' AND lease_until <= ?) ORDER BY next_run_at, id",
                (now, now),
            ).fetchall()
            taken: list[JobRecord] = []
            dead: list[JobRecord] = []
            for row in rows:
                job = _decode(row)
                gone = dead_or_none(job, now) if job.state is JobState.RUNNING else None
                if gone is not None:
                    dead.append(_put(conn, gone))
                elif len(taken) < limit:
                    taken.append(_put(conn, claimed(job, now, holder, lease_s)))
            return taken, dead

        return await self._writer.transact(tx)

    async def settle(
        self,
        job_id: str,
        claim: str,
        *,
        state: JobState,
        now: float,
        next_run_at: float | None = None,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        reset_attempts: bool = False,
        ran: bool = False,
        model: str | None = None,
    ) -> JobRecord | None:
        def tx(conn: sqlite3.Connection) -> JobRecord | None:
            job = held(_one(conn, job_id), claim)
            if job is None:
                return None
            return _put(
                conn,
                settled(
                    job,
                    state=state,
                    now=now,
                    next_run_at=next_run_at,
                    result=result,
                    error=error,
                    reset_attempts=reset_attempts,
                    ran=ran,
                    model=model,
                ),
            )

        return await self._writer.transact(tx)

    async def renew(self, job_id: str, claim: str, lease_until: float) -> bool:
        def tx(conn: sqlite3.Connection) -> bool:
            job = held(_one(conn, job_id), claim)
            if job is None:
                return False
            _put(conn, job.with_(lease_until=lease_until))
            return True

        return await self._writer.transact(tx)

    async def release(
        self, job_id: str, claim: str, next_run_at: float, now: float
    ) -> JobRecord | None:
        def tx(conn: sqlite3.Connection) -> JobRecord | None:
            job = held(_one(conn, job_id), claim)
            if job is None:
                return None
            return _put(conn, released(job, next_run_at, now))

        return await self._writer.transact(tx)

    async def cancel(self, job_id: str, now: float) -> JobRecord | None:
        def tx(conn: sqlite3.Connection) -> JobRecord | None:
            job = _one(conn, job_id)
            if job is None or job.state is not JobState.QUEUED:
                return job
            return _put(conn, cancelled(job, now))

        return await self._writer.transact(tx)

    def close(self) -> None:
        if self._owns:
            self._writer.close()
