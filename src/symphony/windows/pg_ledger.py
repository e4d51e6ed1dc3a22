"""The usage ledger on PostgreSQL: every replica's usage in one table (group commit).

Selected by the composition root when SYMPHONY_DATABASE_URL is set; the table lives in the
schema SYMPHONY_STORE_NAMESPACE names. A writer thread takes every record waiting (from
`record` and `record_sync`, any thread or event loop) and writes them in one transaction;
each caller returns once that transaction has committed, so an answered request's usage is
durable. PostgreSQL unreachable: the callers of that batch get `BackendUnavailable` (a 503
naming the backend), the same as the audit chain. Learned window state goes through a
Documents collection (the composition root passes one on the same PostgreSQL).

Each replica still keeps its own in-memory usage index, built from `load_events` at start:
after a restart it includes every replica's usage; live caps across replicas come from the
shared (Redis) counters.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import psycopg

from symphony.errors import BackendUnavailable, StoreError
from symphony.store.documents import Documents
from symphony.store.pg_conn import PgConn, check_name
from symphony.store.pg_docs import PgDocuments, pg_doc_schema
from symphony.windows.ledger import LearnedDocuments
from symphony.windows.state import Learned
from symphony.windows.usage import UsageEvent

TABLE = "usage_ledger"
LEARNED_PG_TABLE = "learned_windows"  # the Documents collection of learned window state
_MAX_BATCH = 1000  # rows per transaction at most
_COLUMNS = "at, tenant, model, requests, prompt_tokens, completion_tokens, cost_usd, audit_id"


def pg_usage_schema(table: str = TABLE) -> str:
    """DDL for the ledger table and the learned-state collection (applied at start)."""
    t = check_name(table)
    return pg_doc_schema(LEARNED_PG_TABLE) + (
        f"CREATE TABLE IF NOT EXISTS {t} (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL,"
        " tenant TEXT NOT NULL, model TEXT NOT NULL, requests INTEGER NOT NULL,"
        " prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,"
        " cost_usd DOUBLE PRECISION NOT NULL, audit_id TEXT);\n"
        f"CREATE INDEX IF NOT EXISTS {t}_at ON {t} (at);\n"
    )


Values = tuple[Any, ...]


def _values(event: UsageEvent) -> Values:
    return (
        event.at,
        event.tenant,
        event.model,
        event.requests,
        event.prompt_tokens,
        event.completion_tokens,
        event.cost_usd,
        event.audit_id,
    )


class PgUsageStore:
    """A UsageStore (see windows.ledger) in one PostgreSQL table."""

    def __init__(
        self, conn: PgConn, learned: Documents | None = None, *, table: str = TABLE
    ) -> None:
        """The ledger on `conn` (tables already there: `pg_usage_schema`); learned state in
        `learned`, by default the `learned_windows` collection on the same connection."""
        self._conn = conn
        self._owns = False
        self._table = t = check_name(table)
        self._copy = f"COPY {t} ({_COLUMNS}) FROM STDIN"
        self._select = f"SELECT {_COLUMNS} FROM {t} WHERE at >= %s ORDER BY at, id"
        self.learned = LearnedDocuments(learned or PgDocuments(conn, LEARNED_PG_TABLE))
        self.failed_commits = 0  # transactions that did not commit (exported as a metric)
        self.commits = 0  # transactions committed (each holds one batch)
        self._cond = threading.Condition()
        self._pending: deque[tuple[list[Values], Future[None]]] = deque()
        self._closed = False
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, conn: PgConn) -> PgUsageStore:
        """The ledger on `conn` (closed with it), its tables created first."""
        conn.migrate(pg_usage_schema())
        store = cls(conn)
        store._owns = True
        return store

    @property
    def where(self) -> str:
        return f"{self._conn.where} ({self._conn.schema}.{self._table})"

    async def record(self, events: Iterable[UsageEvent]) -> None:
        rows = [_values(e) for e in events]
        if rows:
            await asyncio.wrap_future(self._submit(rows))

    def record_sync(self, events: Iterable[UsageEvent]) -> None:
        rows = [_values(e) for e in events]
        if rows:
            self._submit(rows).result()

    def load_events(self, since: datetime) -> list[UsageEvent]:
        def query(conn: psycopg.Connection[Any]) -> list[UsageEvent]:
            return [
                UsageEvent(
                    at=r[0].astimezone(UTC),
                    tenant=r[1],
                    model=r[2],
                    requests=r[3],
                    prompt_tokens=r[4],
                    completion_tokens=r[5],
                    cost_usd=r[6],
                    audit_id=r[7],
                )
                for r in conn.execute(self._select.encode(), (since,))
            ]

        return self._conn.run(query)

    async def save_learned(self, learned: Learned) -> None:
        await self.learned.save(learned)

    def load_learned(self) -> dict[str, Learned]:
        return self.learned.load()

    def ping(self) -> bool:
        """From cache, no round trip (health answers on the event loop): False once closed
        or while the pool's last statement failed (SharedStores pings it every second)."""
        return not self._closed and self._conn.last_error is None

    def close(self) -> None:
        """Write what is waiting, stop the writer; close the pool if this store owns it."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        if self._owns:
            self._conn.close()

    # --- the writer thread ----------------------------------------------------------------

    def _submit(self, rows: list[Values]) -> Future[None]:
        done: Future[None] = Future()
        with self._cond:
            if self._closed:
                raise StoreError(f"usage ledger {self.where} is closed")
            self._pending.append((rows, done))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="symphony-pg-ledger", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return done

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:
                    return
                batch: list[tuple[list[Values], Future[None]]] = []
                size = 0
                while self._pending and (
                    not batch or size + len(self._pending[0][0]) <= _MAX_BATCH
                ):
                    item = self._pending.popleft()
                    # A caller cancelled (client gone) before this point: its rows are
                    # still written; after it, cancel() can no longer race the answer.
                    item[1].set_running_or_notify_cancel()
                    batch.append(item)
                    size += len(item[0])
            self._flush(batch)

    def _flush(self, batch: list[tuple[list[Values], Future[None]]]) -> None:
        try:
            self._commit([row for rows, _ in batch for row in rows])
        except BackendUnavailable as exc:  # the whole batch fails at once
            for _, done in batch:
                _answer(done, exc)
            return
        except Exception as exc:  # one bad record must not fail the others: one by one
            if len(batch) == 1:
                _answer(batch[0][1], _store_error(exc))
                return
            for rows, done in batch:
                try:
                    self._commit(rows)
                except Exception as one:  # handed to that record's caller
                    _answer(done, _store_error(one))
                else:
                    _answer(done, None)
            return
        for _, done in batch:
            _answer(done, None)

    def _commit(self, rows: list[Values]) -> None:
        def write(conn: psycopg.Connection[Any]) -> None:
            with conn.cursor() as cur, cur.copy(self._copy.encode()) as copy:
                for row in rows:  # one COPY: one round trip for the whole batch
                    copy.write_row(row)

        try:
            self._conn.run(write)
        except Exception:
            self.failed_commits += 1
            raise
        self.commits += 1


def _answer(done: Future[None], error: BaseException | None) -> None:
    """Settle one caller's future (a cancelled caller is not waiting any more)."""
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def _store_error(exc: Exception) -> StoreError:
    return exc if isinstance(exc, StoreError) else StoreError(f"usage ledger write: {exc}")
