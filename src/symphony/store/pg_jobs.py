"""JobQueue on PostgreSQL: one `jobs` table shared by every replica.

A claim is one transaction: the due rows are selected `FOR UPDATE SKIP LOCKED` (rows
another replica is claiming right now are skipped, not waited for), updated to `running`
with a fresh claim token, and committed; so two replicas never claim one job, and neither
blocks the other. Settle, renew and cancel lock their one row (`FOR UPDATE`) and compare
the claim token. Idempotency keys are unique per tenant (a partial unique index); a second
submit with the same key finds the first job, even when both submits race.

The semantics are the SQLite backend's (store/jobs.py; tests/store/test_jobs_contract.py
runs against both): the job transitions themselves are shared in `store/job_moves.py`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson
import psycopg

from symphony.store.job_moves import cancelled, claimed, dead_or_none, held, released, settled
from symphony.store.jobs import JobRecord, JobState
from symphony.store.pg_conn import PgConn, check_name

_COLUMNS = (
    "id",
    "tenant",
    "state",
    "idempotency_key",
    "next_run_at",
    "lease_until",
    "created_at",
    "model",
)


def pg_jobs_schema(table: str = "jobs") -> str:
    """DDL for the jobs table (idempotent)."""
    t = check_name(table)
    return (
        f"CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
        " state TEXT NOT NULL, idempotency_key TEXT, next_run_at DOUBLE PRECISION,"
        " lease_until DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL, model TEXT,"
        " body BYTEA NOT NULL);\n"
        f"CREATE UNIQUE INDEX IF NOT EXISTS {t}_idem ON {t} (tenant, idempotency_key)"
        " WHERE idempotency_key IS NOT NULL;\n"
        f"CREATE INDEX IF NOT EXISTS {t}_due ON {t} (state, next_run_at);\n"
    )


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
        job.model,
        orjson.dumps(body),
    )


def _decode(row: tuple[Any, ...]) -> JobRecord:
    job_id, tenant, state, idem, next_run_at, lease_until, created_at, model, body = row
    return JobRecord(
        id=job_id,
        tenant=tenant,
        state=JobState(state),
        idempotency_key=idem,
        next_run_at=next_run_at,
        lease_until=lease_until,
        created_at=created_at,
        model=model,
        **orjson.loads(bytes(body)),
    )


class PgJobQueue:
    """A JobQueue in one table of a PostgreSQL schema (see store/jobs.py for the contract)."""

    def __init__(self, conn: PgConn, table: str = "jobs") -> None:
        self._conn = conn
        self._table = t = check_name(table)
        self._owns = False
        cols = ", ".join(_COLUMNS)
        self._select = f"SELECT {cols}, body FROM {t}"
        marks = ", ".join("%s" for _ in range(len(_COLUMNS) + 1))
        sets = ", ".join(f"{c} = excluded.{c}" for c in (*_COLUMNS[1:], "body"))
        self._upsert = (
            f"INSERT INTO {t} ({cols}, body) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {sets}"
        )
        self._insert = f"INSERT INTO {t} ({cols}, body) VALUES ({marks}) ON CONFLICT DO NOTHING"

    @classmethod
    def open(cls, conn: PgConn, table: str = "jobs") -> PgJobQueue:
        """The queue on `conn` (closed with it), its table created first."""
        conn.migrate(pg_jobs_schema(table))
        queue = cls(conn, table)
        queue._owns = True
        return queue

    @property
    def where(self) -> str:
        return f"{self._conn.where} ({self._conn.schema}.{self._table})"

    def _put(self, conn: psycopg.Connection[Any], job: JobRecord) -> JobRecord:
        conn.execute(self._upsert.encode(), _encode(job))
        return job

    def _locked(self, conn: psycopg.Connection[Any], job_id: str) -> JobRecord | None:
        sql = f"{self._select} WHERE id = %s FOR UPDATE"
        row = conn.execute(sql.encode(), (job_id,)).fetchone()
        return None if row is None else _decode(row)

    async def submit(self, record: JobRecord) -> tuple[JobRecord, bool]:
        def tx(conn: psycopg.Connection[Any]) -> tuple[JobRecord, bool]:
            job = record.with_(state=JobState.QUEUED)
            if conn.execute(self._insert.encode(), _encode(job)).rowcount == 1:
                return job, True
            # A unique index said no: the job with this (tenant, key), or this id.
            if record.idempotency_key is not None:
                sql = f"{self._select} WHERE tenant = %s AND idempotency_key = %s"
                row = conn.execute(sql.encode(), (record.tenant, record.idempotency_key))
                found = row.fetchone()
                if found is not None:
                    return _decode(found), False
            return self._put(conn, job), True

        return await self._conn.arun(tx)

    async def get(self, job_id: str) -> JobRecord | None:
        sql = f"{self._select} WHERE id = %s"
        row = await self._conn.arun(lambda c: c.execute(sql.encode(), (job_id,)).fetchone())
        return None if row is None else _decode(row)

    async def search(
        self,
        tenants: Collection[str] | None = None,
        state: JobState | None = None,
        limit: int = 100,
    ) -> list[JobRecord]:
        where: list[str] = []
        params: list[Any] = []
        if tenants is not None:
            where.append("tenant = ANY(%s)")
            params.append(list(tenants))
        if state is not None:
            where.append("state = %s")
            params.append(str(state))
        sql = self._select + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC LIMIT %s"
        params.append(limit)
        rows = await self._conn.arun(lambda c: c.execute(sql.encode(), params).fetchall())
        return [_decode(r) for r in rows]

    async def counts(self) -> dict[JobState, int]:
        sql = f"SELECT state, COUNT(*) FROM {self._table} GROUP BY state"
        rows = await self._conn.arun(lambda c: c.execute(sql.encode()).fetchall())
        found = {JobState(s): int(n) for s, n in rows}
        return {s: found.get(s, 0) for s in JobState}

    async def queued_by_model(self) -> dict[str | None, int]:
        sql = f"SELECT model, COUNT(*) FROM {self._table} WHERE state = 'queued' GROUP BY 1"
        rows = await self._conn.arun(lambda c: c.execute(sql.encode()).fetchall())
        return {m: int(n) for m, n in rows}

    async def claim(
        self, now: float, holder: str, lease_s: float, limit: int
    ) -> tuple[list[JobRecord], list[JobRecord]]:
        expired = (
            f"{self._select} WHERE state = 'running' AND lease_until <= %s"
            " ORDER BY next_run_at, id FOR UPDATE SKIP LOCKED"
        )
        due = (
            f"{self._select} WHERE state = 'queued' AND next_run_at <= %s"
            " ORDER BY next_run_at, id LIMIT %s FOR UPDATE SKIP LOCKED"
        )

        def tx(conn: psycopg.Connection[Any]) -> tuple[list[JobRecord], list[JobRecord]]:
            dead: list[JobRecord] = []
            candidates: list[JobRecord] = []
            for row in conn.execute(expired.encode(), (now,)).fetchall():
                job = _decode(row)
                gone = dead_or_none(job, now)
                if gone is not None:
                    dead.append(self._put(conn, gone))
                else:
                    candidates.append(job)
            candidates += [_decode(r) for r in conn.execute(due.encode(), (now, limit))]
            candidates.sort(key=lambda j: (j.next_run_at or 0.0, j.id))
            taken = [claimed(j, now, holder, lease_s) for j in candidates[:limit]]
            return [self._put(conn, j) for j in taken], dead

        return await self._conn.arun(tx)

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
        def tx(conn: psycopg.Connection[Any]) -> JobRecord | None:
            job = held(self._locked(conn, job_id), claim)
            if job is None:
                return None
            return self._put(
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

        return await self._conn.arun(tx)

    async def renew(self, job_id: str, claim: str, lease_until: float) -> bool:
        def tx(conn: psycopg.Connection[Any]) -> bool:
            job = held(self._locked(conn, job_id), claim)
            if job is None:
                return False
            self._put(conn, job.with_(lease_until=lease_until))
            return True

        return await self._conn.arun(tx)

    async def release(
        self, job_id: str, claim: str, next_run_at: float, now: float
    ) -> JobRecord | None:
        def tx(conn: psycopg.Connection[Any]) -> JobRecord | None:
            job = held(self._locked(conn, job_id), claim)
            if job is None:
                return None
            return self._put(conn, released(job, next_run_at, now))

        return await self._conn.arun(tx)

    async def cancel(self, job_id: str, now: float) -> JobRecord | None:
        def tx(conn: psycopg.Connection[Any]) -> JobRecord | None:
            job = self._locked(conn, job_id)
            if job is None or job.state is not JobState.QUEUED:
                return job
            return self._put(conn, cancelled(job, now))

        return await self._conn.arun(tx)

    def close(self) -> None:
        if self._owns:
            self._conn.close()
