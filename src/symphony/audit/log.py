"""The append-only audit log: one hash chain, durable before `append` returns.

How the chain stays a single total order under concurrency
-----------------------------------------------------------
`append` (async) and `append_sync` (CLI, any thread) encode and validate the payload, then,
under one lock, stamp `at` and push an entry onto an in-memory FIFO. One sequencer thread
drains everything pending, assigns `seq`/`prev_hash`/`hash` from the chain head, and hands
the whole batch to the group-commit writer as ONE job (rows plus the `audit_head` update),
so many appends share one transaction and commit order equals seq order.

When a write fails
------------------
`seq` and hashes are assigned only by the sequencer, just before the write, and the
in-memory head advances only after the commit returned. After a failure the head is
reloaded from the database (so it equals what is durable, even if another process
appended meanwhile) and the entries are retried one at a time: a poisoned entry fails
alone with StoreError and innocent neighbours in its batch still land. Nothing that
failed is ever referenced by a later prev_hash.

Truncation
----------
`audit_head(seq, hash)` is updated in the same transaction as the rows. On open the chain
continues from the larger of the head and the last row, so a deleted tail stays visible
to `verify_chain` as a gap instead of being silently overwritten. One AuditLog per file
per process; a second process (e.g. the CLI) appending to the same file is tolerated:
its seq conflict fails our batch, we reload the head and retry.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from symphony.audit.queries import (
    AUDIT_SCHEMA,
    INSERT_SQL,
    MAX_QUERY_LIMIT,
    SET_HEAD_SQL,
    get_record,
    last_row,
    load_head,
    query_sql,
    run_query,
)
from symphony.audit.records import (
    AuditRecord,
    canonical_message,
    check_audit_id,
    compute_hash,
    encode_payload,
    format_at,
    new_audit_id,
    row_hash,
)
from symphony.audit.verify import VerifyResult, verify_chain
from symphony.clock import Clock
from symphony.errors import StoreError, SymphonyError, ValidationFailed
from symphony.store.sqlite import Durability, SqliteWriter, Statement

__all__ = ["AUDIT_DB_NAME", "AUDIT_SCHEMA", "MAX_QUERY_LIMIT", "AuditLog"]

AUDIT_DB_NAME = "audit.db"
_MAX_FLUSH = 1000


@dataclass(slots=True)
class _Entry:
    id: str
    type: str
    at: str
    actor: str | None
    tenant: str | None
    payload: bytes
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[AuditRecord] | None = None
    done: threading.Event | None = None
    record: AuditRecord | None = None
    error: Exception | None = None


class AuditLog:
    """Append-only, hash-chained audit records on a SqliteWriter (schema: AUDIT_SCHEMA)."""

    def __init__(
        self, writer: SqliteWriter, clock: Clock, *, hmac_secret: str | None = None
    ) -> None:
        self._writer = writer
        self._clock = clock
        self._secret = hmac_secret or None  # an empty env var means "no secret"
        self._owns_writer = False
        self._cond = threading.Condition()
        self._pending: collections.deque[_Entry] = collections.deque()
        self._closed = False
        self._head = self._load_head()
        self._check_secret()
        self._thread = threading.Thread(
            target=self._run, name=f"audit-{writer.path.name}", daemon=True
        )
        self._thread.start()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        clock: Clock,
        hmac_secret: str | None = None,
        durability: Durability = "process",
    ) -> AuditLog:
        """Open (creating if needed) data_dir/audit.db with its own writer."""
        writer = SqliteWriter(data_dir / AUDIT_DB_NAME, AUDIT_SCHEMA, durability)
        try:
            log = cls(writer, clock, hmac_secret=hmac_secret)
        except BaseException:
            writer.close()
            raise
        log._owns_writer = True
        return log

    @property
    def path(self) -> Path:
        return self._writer.path

    @property
    def writer(self) -> SqliteWriter:
        """The store writer (its `failed_commits` is exported as a metric)."""
        return self._writer

    def head(self) -> tuple[int, str]:
        """Return the durable chain head (seq, hash); (0, "0"*64) when empty."""
        return self._head

    def new_id(self) -> str:
        """Pre-allocate a record id to pass to `append(id=...)`."""
        return new_audit_id()

    async def append(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        actor: str | None = None,
        tenant: str | None = None,
        id: str | None = None,
    ) -> AuditRecord:
        """Append a record; return it once it is durable."""
        loop = asyncio.get_running_loop()
        entry = self._entry(type, payload, actor, tenant, id)
        entry.loop = loop
        entry.future = loop.create_future()
        self._enqueue(entry)
        return await entry.future

    def append_sync(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        actor: str | None = None,
        tenant: str | None = None,
        id: str | None = None,
    ) -> AuditRecord:
        """Blocking append for the CLI (never call on a running event loop)."""
        entry = self._entry(type, payload, actor, tenant, id)
        entry.done = threading.Event()
        self._enqueue(entry)
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
        assert entry.record is not None
        return entry.record

    async def get(self, id: str) -> AuditRecord | None:
        """Return the record with this id, or None."""
        return await self._writer.aread(lambda conn: get_record(conn, id))

    def get_sync(self, id: str) -> AuditRecord | None:
        return self._writer.read(lambda conn: get_record(conn, id))

    async def query(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Return matching records, newest first (`before_seq` pages further back)."""
        sql, params = query_sql(since, type, tenant, before_seq, limit)
        return await self._writer.aread(lambda conn: run_query(conn, sql, params))

    def query_sync(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        sql, params = query_sql(since, type, tenant, before_seq, limit)
        return self._writer.read(lambda conn: run_query(conn, sql, params))

    def verify(self) -> VerifyResult:
        """Verify the whole chain on disk with this log's secret (blocking)."""
        return verify_chain(self._writer.path, hmac_secret=self._secret)

    def close(self) -> None:
        """Flush what is pending, stop the sequencer, close the writer if we opened it."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        if self._owns_writer:
            self._writer.close()

    # --- producer side -------------------------------------------------------------------

    def _entry(
        self,
        type: str,
        payload: dict[str, Any],
        actor: str | None,
        tenant: str | None,
        id: str | None,
    ) -> _Entry:
        if not isinstance(type, str) or not type:
            raise ValidationFailed("audit record type must be a non-empty string")
        for field, value in (("actor", actor), ("tenant", tenant)):
            if value is not None and not isinstance(value, str):
                raise ValidationFailed(f"audit record {field} must be a string or None")
        return _Entry(
            id=check_audit_id(id) if id is not None else new_audit_id(),
            type=type,
            at="",
            actor=actor,
            tenant=tenant,
            payload=encode_payload(payload),
        )

    def _enqueue(self, entry: _Entry) -> None:
        with self._cond:
            if self._closed:
                raise StoreError(f"audit log {self._writer.path} is closed")
            # Stamped under the lock so `at` follows enqueue order, which is seq order.
            entry.at = format_at(self._clock.now())
            self._pending.append(entry)
            self._cond.notify()

    # --- sequencer thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:
                    return
                count = min(len(self._pending), _MAX_FLUSH)
                batch = [self._pending.popleft() for _ in range(count)]
            try:
                self._flush(batch)
            except Exception as exc:  # never let the sequencer die: callers would hang
                self._reload_head()
                failure = StoreError(f"audit append failed: {exc}")
                for entry in batch:
                    if entry.record is None and entry.error is None:
                        _settle(entry, None, failure)

    def _flush(self, batch: list[_Entry]) -> None:
        try:
            self._commit(batch)
            return
        except SymphonyError:
            pass
        self._reload_head()
        for entry in batch:
            try:
                self._commit([entry])
            except SymphonyError:
                self._reload_head()  # maybe another process appended: retry once
                try:
                    self._commit([entry])
                except SymphonyError as exc:
                    self._reload_head()
                    _settle(entry, None, exc)

    def _commit(self, batch: list[_Entry]) -> None:
        seq, prev = self._head
        statements: list[Statement] = []
        records: list[AuditRecord] = []
        for entry in batch:
            seq += 1
            message = canonical_message(
                seq=seq,
                id=entry.id,
                type=entry.type,
                at=entry.at,
                actor=entry.actor,
                tenant=entry.tenant,
                payload=entry.payload,
                prev_hash=prev,
            )
            digest = compute_hash(message, self._secret)
            row = (seq, entry.id, entry.type, entry.at, entry.actor, entry.tenant)
            statements.append((INSERT_SQL, (*row, entry.payload, prev, digest)))
            records.append(
                AuditRecord(
                    seq=seq,
                    id=entry.id,
                    type=entry.type,
                    at=datetime.fromisoformat(entry.at),
                    actor=entry.actor,
                    tenant=entry.tenant,
                    payload=orjson.loads(entry.payload),
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        statements.append((SET_HEAD_SQL, (seq, prev)))
        self._writer.write_sync(statements)
        self._head = (seq, prev)
        _settle_batch(batch, records)

    def _reload_head(self) -> None:
        # On a read failure keep the old head: the next commit fails and reloads again.
        with contextlib.suppress(sqlite3.Error, SymphonyError):
            self._head = self._load_head()

    def _load_head(self) -> tuple[int, str]:
        return self._writer.read(load_head)

    def _check_secret(self) -> None:
        """Refuse to extend a chain whose last record does not verify with our secret."""
        row = self._writer.read(last_row)
        if row is not None and row_hash(row, self._secret) != row[8]:
            raise StoreError(
                f"audit log {self._writer.path}: record {row[0]} ({row[1]}) does not verify "
                "with the configured HMAC secret (the log was written with a different secret, "
                "or the record was modified); run `symphony audit verify`"
            )


def _settle_batch(batch: list[_Entry], records: list[AuditRecord]) -> None:
    """Resolve a committed batch with one wake-up per waiting event loop."""
    waiting: dict[
        asyncio.AbstractEventLoop, list[tuple[asyncio.Future[AuditRecord], AuditRecord]]
    ] = {}
    for entry, record in zip(batch, records, strict=True):
        entry.record = record
        if entry.done is not None:
            entry.done.set()
        elif entry.loop is not None and entry.future is not None:
            waiting.setdefault(entry.loop, []).append((entry.future, record))
    for loop, pairs in waiting.items():
        with contextlib.suppress(RuntimeError):  # the caller's loop is gone; still durable
            loop.call_soon_threadsafe(_resolve_all, pairs)


def _resolve_all(pairs: list[tuple[asyncio.Future[AuditRecord], AuditRecord]]) -> None:
    for future, record in pairs:
        _resolve(future, record, None)


def _settle(entry: _Entry, record: AuditRecord | None, error: Exception | None) -> None:
    entry.record = record
    entry.error = error
    if entry.done is not None:
        entry.done.set()
    elif entry.loop is not None and entry.future is not None:
        # RuntimeError: the caller's loop is gone; the record is durable (or failed) anyway.
        with contextlib.suppress(RuntimeError):
            entry.loop.call_soon_threadsafe(_resolve, entry.future, record, error)


def _resolve(
    future: asyncio.Future[AuditRecord], record: AuditRecord | None, error: Exception | None
) -> None:
    if future.done():  # the awaiting coroutine was cancelled
        return
    if error is not None:
        future.set_exception(error)
    elif record is not None:
        future.set_result(record)
