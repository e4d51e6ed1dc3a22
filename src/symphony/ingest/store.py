"""Snapshots on disk: `<data_dir>/ingest/ingest.sqlite`, one row per kept fetch."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symphony.store.sqlite import Durability, SqliteWriter

INGEST_DB_NAME = "ingest.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    final_url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    html_sha256 TEXT NOT NULL,
    key_id TEXT,
    body BLOB NOT NULL,
    screenshot BLOB
);
CREATE INDEX IF NOT EXISTS snapshots_url ON snapshots(url, fetched_at);
"""


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    id: str
    url: str
    fetched_at: str
    key_id: str | None
    record: dict[str, Any]
    screenshot: bytes | None


class SnapshotStore:
    """Signed (or unsigned) snapshot records, kept as their exact JSON bytes."""

    def __init__(self, writer: SqliteWriter) -> None:
        self._db = writer

    @classmethod
    def open(cls, data_dir: Path, durability: Durability = "process") -> SnapshotStore:
        return cls(SqliteWriter(data_dir / "ingest" / INGEST_DB_NAME, SCHEMA, durability))

    @property
    def writer(self) -> SqliteWriter:
        """The group-commit writer (its failed commits are exported as a metric)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    async def save(self, record: dict[str, Any], screenshot: bytes | None = None) -> str:
        """Store one snapshot record; return its id."""
        snap_id = "snap_" + uuid.uuid4().hex[:20]
        signature = record.get("signature") or {}
        await self._db.write(
            [
                (
                    "INSERT INTO snapshots (id, url, final_url, fetched_at, html_sha256, key_id, "
                    "body, screenshot) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        snap_id,
                        record["url"],
                        record["final_url"],
                        record["fetched_at"],
                        record["html_sha256"],
                        signature.get("key_id"),
                        _dump(record),
                        screenshot,
                    ),
                )
            ]
        )
        return snap_id

    def get(self, key: str) -> StoredSnapshot | None:
        """The snapshot with id `key`, or the latest one of URL `key` (blocking read)."""

        def read(conn: sqlite3.Connection) -> StoredSnapshot | None:
            row = conn.execute(
                "SELECT id, url, fetched_at, key_id, body, screenshot FROM snapshots "
                "WHERE id = ? OR url = ? OR final_url = ? ORDER BY fetched_at DESC LIMIT 1",
                (key, key, key),
            ).fetchone()
            if row is None:
                return None
            return StoredSnapshot(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

        return self._db.read(read)

    def count(self) -> int:
        return int(
            self._db.read(lambda c: c.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0])
        )


def _dump(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=None).encode("utf-8")


def write_snapshot_file(path: Path, record: dict[str, Any]) -> None:
    """Write a snapshot record as a readable JSON file (what `snapshot verify` checks)."""
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
