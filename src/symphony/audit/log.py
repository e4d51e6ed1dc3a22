"""The audit log: one hash chain on the append-only log seam, durable before `append` returns.

How the chain stays a single total order under concurrency
-----------------------------------------------------------
`append` (async) and `append_sync` (CLI, any thread) encode and validate the payload, then,
under one lock, stamp `at` and push an entry onto an in-memory FIFO. One sequencer thread
drains everything pending and hands the whole batch to the log as ONE append whose
builder runs while the log holds the chain head (on SQLite: inside the group-commit
transaction, under SQLite's write lock, so also against other processes such as the
CLI). The builder takes `seq` and `prev_hash` from that head and hashes each record, so
many appends share one commit and commit order equals seq order.

When a write fails
------------------
Nothing of the batch is stored and the head does not move. The entries are then retried
one at a time, so a poisoned entry fails alone with StoreError and innocent neighbours
in its batch still land. Nothing that failed is ever referenced by a later prev_hash.

Truncation
----------
The log keeps a durable head mark (`audit_head(seq, hash)` on SQLite) written with the
rows. New records continue from the larger of the mark and the last row, so a deleted
tail stays visible to `verify_chain` as a gap instead of being silently overwritten.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from symphony.audit.queries import AUDIT_LAYOUT, AUDIT_SCHEMA, MAX_QUERY_LIMIT, audit_query
from symphony.audit.records import (
    AuditRecord,
    StoredRow,
    canonical_message,
    check_audit_id,
    compute_hash,
    encode_payload,
    format_at,
    new_audit_id,
    record_from_row,
    row_hash,
)
from symphony.audit.verify import VerifyResult, verify_log
from symphony.clock import Clock
from symphony.errors import BackendUnavailable, StoreError, SymphonyError, ValidationFailed
from symphony.store.log import AppendLog, LogHead, LogQuery, Row
from symphony.store.sqlite import Durability
from symphony.store.sqlite_log import SqliteLog

__all__ = ["AUDIT_DB_NAME", "AUDIT_LAYOUT", "AUDIT_SCHEMA", "MAX_QUERY_LIMIT", "AuditLog"]

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
    """Append-only, hash-chained audit records on an AppendLog laid out as AUDIT_LAYOUT."""

    def __init__(self, log: AppendLog, clock: Clock, *, hmac_secret: str | None = None) -> None:
        if log.layout != AUDIT_LAYOUT:
            raise ValidationFailed(f"log {log.where} is not laid out as the audit log")
        self._log = log
        self._clock = clock
        self._secret = hmac_secret or None  # an empty env var means "no secret"
        self._owns_log = False
        self._cond = threading.Condition()
        self._pending: collections.deque[_Entry] = collections.deque()
        self._closed = False
        head = log.head()
        self._head = (head.seq, head.link)
        self._check_secret()
        self._thread = threading.Thread(target=self._run, name="audit-sequencer", daemon=True)
        self._thread.start()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        clock: Clock,
        hmac_secret: str | None = None,
        durability: Durability = "process",
    ) -> AuditLog:
        """Open (creating if needed) data_dir/audit.db, the embedded default backend."""
        log = SqliteLog.open(data_dir / AUDIT_DB_NAME, AUDIT_LAYOUT, AUDIT_SCHEMA, durability)
        try:
            audit = cls(log, clock, hmac_secret=hmac_secret)
        except BaseException:
            log.close()
            raise
        audit._owns_log = True
        return audit

    @property
    def path(self) -> Path:
        return Path(self._log.where)

    @property
    def failed_commits(self) -> int:
        """Appends the store failed to commit (exported as a metric)."""
        return self._log.failed_commits

    def head(self) -> tuple[int, str]:
        """Return the chain head (seq, hash) after our last append; (0, "0"*64) when empty."""
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
        return _record(await self._log.get(id))

    def get_sync(self, id: str) -> AuditRecord | None:
        return _record(self._log.get_sync(id))

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
        rows = await self._log.query(audit_query(since, type, tenant, before_seq, limit))
        return [record_from_row(cast(StoredRow, row)) for row in rows]

    def query_sync(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        rows = self._log.query_sync(audit_query(since, type, tenant, before_seq, limit))
        return [record_from_row(cast(StoredRow, row)) for row in rows]

    def verify(self) -> VerifyResult:
        """Verify the whole chain with this log's secret (blocking)."""
        return verify_log(self._log, hmac_secret=self._secret)

    def close(self) -> None:
        """Flush what is pending, stop the sequencer, close the log if we opened it."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        if self._owns_log:
            self._log.close()

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
                raise StoreError(f"audit log {self._log.where} is closed")
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
                failure = StoreError(f"audit append failed: {exc}")
                for entry in batch:
                    if entry.record is None and entry.error is None:
                        _settle(entry, None, failure)

    def _flush(self, batch: list[_Entry]) -> None:
        try:
            self._commit(batch)
            return
        except BackendUnavailable as exc:  # the whole batch fails at once, not one by one
            for entry in batch:
                _settle(entry, None, exc)
            return
        except SymphonyError:
            if len(batch) == 1:
                raise
        for entry in batch:  # find the culprit: the others still land
            try:
                self._commit([entry])
            except SymphonyError as exc:
                _settle(entry, None, exc)

    def _commit(self, batch: list[_Entry]) -> None:
        secret = self._secret

        def build(head: LogHead) -> list[Row]:
            # Runs while the log holds the head: seq and prev_hash continue it exactly.
            seq, prev = head.seq, head.link
            rows: list[Row] = []
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
                digest = compute_hash(message, secret)
                row = (entry.id, entry.type, entry.at, entry.actor, entry.tenant)
                rows.append((seq, *row, entry.payload, prev, digest))
                prev = digest
            return rows

        rows = self._log.append_sync(build)
        records = [record_from_row(cast(StoredRow, row)) for row in rows]
        if records and records[-1].seq > self._head[0]:
            self._head = (records[-1].seq, records[-1].hash)
        _settle_batch(batch, records)

    def _check_secret(self) -> None:
        """Refuse to extend a chain whose last record does not verify with our secret."""
        rows = self._log.query_sync(LogQuery(limit=1))
        if rows:
            row = cast(StoredRow, rows[0])
            if row_hash(row, self._secret) != row[8]:
                raise StoreError(
                    f"audit log {self._log.where}: record {row[0]} ({row[1]}) does not verify "
                    "with the configured HMAC secret (the log was written with a different "
                    "secret, or the record was modified); run `symphony audit verify`"
                )


def _record(row: Row | None) -> AuditRecord | None:
    return None if row is None else record_from_row(cast(StoredRow, row))


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
