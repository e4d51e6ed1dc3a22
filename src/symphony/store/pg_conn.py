"""One PostgreSQL connection pool for the PostgreSQL store backends (psycopg 3).

A `PgConn` is a small pool of blocking connections whose `search_path` is one schema
(created at open with the DDL the stores give it: migrations applied at start). Async
methods of the stores run their statements in a worker thread (`arun`), so the sync
variants the seams need (CLI, the audit sequencer thread) and the async ones share one
code path. A lost server becomes `BackendUnavailable("postgresql", …)`, a 503 naming the
backend; the pool reconnects by itself when the server is back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import psycopg_pool

from symphony.errors import BackendUnavailable, StoreError
from symphony.store.pg_schema import check_name
from symphony.store.redis_conn import safe_url

__all__ = ["PgConn", "check_name"]

T = TypeVar("T")
UNAVAILABLE = (psycopg.OperationalError, psycopg_pool.PoolTimeout, OSError)


class PgConn:
    """A pool of connections to one schema of one PostgreSQL database."""

    def __init__(
        self, url: str, schema: str = "symphony", *, timeout_s: float = 2.0, max_size: int = 8
    ) -> None:
        self.url = url
        self.where = safe_url(url)
        self.schema = check_name(schema)
        self.timeout_s = timeout_s
        self.last_error: str | None = None
        self.failed_at: float | None = None
        self.closed = False
        self.pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=timeout_s,
            open=False,
            kwargs={
                "connect_timeout": max(1, int(timeout_s)),
                "options": f"-c search_path={self.schema}",
            },
            name=f"symphony-{self.schema}",
        )
        self._opened = False

    def migrate(self, ddl: str) -> None:
        """Create the schema and apply `ddl` (idempotent statements) in one transaction."""

        def run(conn: psycopg.Connection[Any]) -> None:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            conn.execute(f"SET LOCAL search_path TO {self.schema}")
            # Two replicas starting together must not race on CREATE TABLE IF NOT EXISTS.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('symphony-migrate'))")
            conn.execute(ddl.encode())

        self.run(run)

    def run(self, job: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run `job` in one transaction on a pooled connection (blocking)."""
        if self.closed:
            raise StoreError(f"postgresql store at {self.where} ({self.schema}) is closed")
        if not self._opened:
            self.pool.open(wait=False)
            self._opened = True
        try:
            with self.pool.connection(timeout=self.timeout_s) as conn, conn.transaction():
                result = job(conn)
        except UNAVAILABLE as exc:
            raise self._unavailable(exc) from exc
        except psycopg.Error as exc:
            raise StoreError(f"postgresql at {self.where} ({self.schema}): {exc}") from exc
        self.last_error = None
        return result

    async def arun(self, job: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`run` in a worker thread."""
        return await asyncio.to_thread(self.run, job)

    def ping(self) -> str | None:
        """None when the server answers, else why not (for health; blocking)."""
        try:
            self.run(lambda conn: conn.execute("SELECT 1"))
        except BackendUnavailable as exc:
            return str(exc)
        return None

    def _unavailable(self, exc: BaseException) -> BackendUnavailable:
        self.last_error = f"{type(exc).__name__}: {exc}".strip()
        self.failed_at = time.time()
        return BackendUnavailable("postgresql", self.where, self.last_error)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self._opened:
                self.pool.close(timeout=self.timeout_s)
