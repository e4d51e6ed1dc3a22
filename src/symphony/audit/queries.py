"""The audit tables and the SQL the log runs against them."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from symphony.audit.records import (
    COLUMNS,
    GENESIS_HASH,
    AuditRecord,
    StoredRow,
    format_at,
    record_from_row,
)
from symphony.errors import ValidationFailed

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

MAX_QUERY_LIMIT = 1000
INSERT_SQL = f"INSERT INTO audit ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
SET_HEAD_SQL = (
    "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
)


def load_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """Return the chain head: the larger of the head mark and the last row."""
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    mark = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    best: tuple[int, str] = (0, GENESIS_HASH)
    for found in (last, mark):
        if found is not None and int(found[0]) > best[0]:
            best = (int(found[0]), str(found[1]))
    return best


def last_row(conn: sqlite3.Connection) -> StoredRow | None:
    """Return the stored row with the highest seq, if any."""
    row: StoredRow | None = conn.execute(
        f"SELECT {COLUMNS} FROM audit ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    return row


def get_record(conn: sqlite3.Connection, id: str) -> AuditRecord | None:
    """Return the record with this id, or None."""
    row = conn.execute(f"SELECT {COLUMNS} FROM audit WHERE id = ?", (id,)).fetchone()
    return None if row is None else record_from_row(row)


def run_query(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[AuditRecord]:
    """Run a query built by query_sql."""
    return [record_from_row(row) for row in conn.execute(sql, params)]


def query_sql(
    since: datetime | None,
    type: str | None,
    tenant: str | None,
    before_seq: int | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """Build the newest-first SELECT for AuditLog.query; reject limits outside 1..1000."""
    if not 1 <= limit <= MAX_QUERY_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_QUERY_LIMIT}, got {limit}")
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("at >= ?")
        params.append(format_at(since))
    if type is not None:
        where.append("type = ?")
        params.append(type)
    if tenant is not None:
        where.append("tenant = ?")
        params.append(tenant)
    if before_seq is not None:
        where.append("seq < ?")
        params.append(before_seq)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    params.append(limit)
    return f"SELECT {COLUMNS} FROM audit{clause} ORDER BY seq DESC LIMIT ?", params
