"""The audit log: one hash chain on the append-only log seam, durable before `append` returns.

How the chain stays a single total order under concurrency
-----------------------------------------------------------
`append` (async) and `append_sync` (CLI, any thread) validate and encode the payload, then
hand the log a builder. The log runs the builder while it holds the chain head (on
SQLite: inside the group-commit transaction, under SQLite's write lock, so also against
other processes such as the CLI); the builder stamps `at`, takes `seq` and `prev_hash`
from the head and computes the hash. Many appends still share one commit, and commit
order equals seq order.

When a write fails
------------------
Nothing is stored and the head does not move; the log retries the other appends of a
failed batch one by one, so a poisoned record fails alone with StoreError and innocent
neighbours still land. Nothing that failed is ever referenced by a later prev_hash.

Truncation
----------
The log keeps a durable head mark (`audit_head(seq, hash)` on SQLite) written with the
rows. New records continue from the larger of the mark and the last row, so a deleted
tail stays visible to `verify_chain` as a gap instead of being silently overwritten.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, cast

from symphony.audit.queries import (
    AUDIT_LAYOUT,
    AUDIT_SCHEMA,
    MAX_QUERY_LIMIT,
    audit_query,
)
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
from symphony.errors import StoreError, ValidationFailed
from symphony.store.log import AppendLog, Build, LogHead, LogQuery, Row
from symphony.store.sqlite import Durability
from symphony.store.sqlite_log import SqliteLog

__all__ = ["AUDIT_DB_NAME", "AUDIT_LAYOUT", "AUDIT_SCHEMA", "MAX_QUERY_LIMIT", "AuditLog"]

AUDIT_DB_NAME = "audit.db"


class AuditLog:
    """Append-only, hash-chained audit records on an AppendLog laid out as AUDIT_LAYOUT."""

    def __init__(self, log: AppendLog, clock: Clock, *, hmac_secret: str | None = None) -> None:
        if log.layout != AUDIT_LAYOUT:
            raise ValidationFailed(f"log {log.where} is not laid out as the audit log")
        self._log = log
        self._clock = clock
        self._secret = hmac_secret or None  # an empty env var means "no secret"
        self._owns_log = False
        self._closed = False
        head = log.head()
        self._head = (head.seq, head.link)
        self._check_secret()

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
        build = self._builder(type, payload, actor, tenant, id)
        return self._appended(await self._log.append(build))

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
        build = self._builder(type, payload, actor, tenant, id)
        return self._appended(self._log.append_sync(build))

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
        """Refuse further appends; close the log if we opened it."""
        if self._closed:
            return
        self._closed = True
        if self._owns_log:
            self._log.close()

    # --- building records ----------------------------------------------------------------

    def _builder(
        self,
        type: str,
        payload: dict[str, Any],
        actor: str | None,
        tenant: str | None,
        id: str | None,
    ) -> Build:
        if self._closed:
            raise StoreError(f"audit log {self._log.where} is closed")
        if not isinstance(type, str) or not type:
            raise ValidationFailed("audit record type must be a non-empty string")
        for field, value in (("actor", actor), ("tenant", tenant)):
            if value is not None and not isinstance(value, str):
                raise ValidationFailed(f"audit record {field} must be a string or None")
        record_id = check_audit_id(id) if id is not None else new_audit_id()
        body = encode_payload(payload)
        clock, secret = self._clock, self._secret

        def build(head: LogHead) -> list[Row]:
            # Runs while the log holds the head: `at` follows seq order.
            seq, at = head.seq + 1, format_at(clock.now())
            message = canonical_message(
                seq=seq,
                id=record_id,
                type=type,
                at=at,
                actor=actor,
                tenant=tenant,
                payload=body,
                prev_hash=head.link,
            )
            digest = compute_hash(message, secret)
            return [(seq, record_id, type, at, actor, tenant, body, head.link, digest)]

        return build

    def _appended(self, rows: list[Row]) -> AuditRecord:
        record = record_from_row(cast(StoredRow, rows[0]))
        if record.seq > self._head[0]:
            self._head = (record.seq, record.hash)
        return record

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
