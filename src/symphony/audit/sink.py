"""What the rest of Symphony needs from the audit trail: the AuditSink protocol.

`AuditLog` implements it on an append-only log; `governance.privacy.RedactingAuditLog`
wraps any sink to scrub payloads before they are hashed. Callers type against this.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from symphony.audit.records import AuditRecord
from symphony.audit.verify import VerifyResult


class AuditSink(Protocol):
    """Append-only, hash-chained audit records; every append is durable when it returns."""

    @property
    def path(self) -> Path:
        """Where the records live (the database file for SQLite)."""
        ...

    @property
    def failed_commits(self) -> int:
        """Appends the store failed to commit since opening (exported as a metric)."""
        ...

    def new_id(self) -> str:
        """Pre-allocate a record id to pass to `append(id=...)`."""
        ...

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
        ...

    def append_sync(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        actor: str | None = None,
        tenant: str | None = None,
        id: str | None = None,
    ) -> AuditRecord:
        """Blocking append (CLI, start-up, worker threads)."""
        ...

    async def get(self, id: str) -> AuditRecord | None:
        """The record with this id, or None."""
        ...

    def get_sync(self, id: str) -> AuditRecord | None:
        """Blocking `get`."""
        ...

    async def query(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Matching records, newest first (`before_seq` pages further back)."""
        ...

    def query_sync(
        self,
        *,
        since: datetime | None = None,
        type: str | None = None,
        tenant: str | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Blocking `query`."""
        ...

    def head(self) -> tuple[int, str]:
        """The chain head (seq, hash) as of this sink's last append or open."""
        ...

    def verify(self) -> VerifyResult:
        """Verify the whole chain with this sink's secret (blocking)."""
        ...

    def close(self) -> None:
        """Stop accepting appends and release storage this sink opened."""
        ...
