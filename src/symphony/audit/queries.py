"""The audit log's layout on the append-only log seam, its SQLite schema, and its queries."""

from __future__ import annotations

from datetime import datetime

from symphony.audit.records import format_at
from symphony.store.log import MAX_LIMIT, LogLayout, LogQuery
from symphony.store.pg_schema import pg_log_schema

AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT,
    tenant TEXT,
    payload BLOB NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_type_seq ON audit(type, seq);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""

# The stored row, column for column (see records.StoredRow); the head mark is audit_head.
AUDIT_LAYOUT = LogLayout(
    table="audit",
    columns=("seq", "id", "type", "at", "actor", "tenant", "payload", "prev_hash", "hash"),
    key="id",
    link="hash",
)
# The same table on PostgreSQL (SYMPHONY_DATABASE_URL): one chain for every replica.
AUDIT_PG_SCHEMA = pg_log_schema(AUDIT_LAYOUT, {"payload": "BYTEA"}, indexes=("type, seq", "at"))

MAX_QUERY_LIMIT = MAX_LIMIT


def audit_query(
    since: datetime | None,
    type: str | None,
    tenant: str | None,
    before_seq: int | None,
    limit: int,
) -> LogQuery:
    """The newest-first query behind AuditLog.query (limits outside 1..1000 are refused)."""
    equals = {k: v for k, v in (("type", type), ("tenant", tenant)) if v is not None}
    at_least = {} if since is None else {"at": format_at(since)}
    query = LogQuery(equals=equals, at_least=at_least, before_seq=before_seq, limit=limit)
    query.check(AUDIT_LAYOUT)
    return query
