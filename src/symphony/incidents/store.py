"""Durable incident state in SQLite (`incidents.sqlite` in the data dir): incidents, the
latest delivery applied per Alertmanager alert, and the outbox. Every change is a list of
statements committed in one transaction (group commit through `SqliteWriter`)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from symphony.incidents.model import Incident, OutboxEntry, iso, parse_iso
from symphony.store.sqlite import Durability, SqliteWriter, Statement

FILE_NAME = "incidents.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_by_key ON incidents (key, opened_at);
CREATE TABLE IF NOT EXISTS alert_marks (
  fingerprint TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  ends_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  idem_key TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  action TEXT NOT NULL,
  payload TEXT NOT NULL,
  needs TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_at REAL NOT NULL,
  last_error TEXT,
  result TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, next_at);
"""


@dataclass(slots=True)
class AlertMark:
    """The latest Alertmanager delivery applied for one alert fingerprint."""

    fingerprint: str
    key: str
    status: str  # firing | resolved
    starts_at: datetime
    ends_at: datetime | None

    @property
    def order(self) -> tuple[datetime, int]:
        """Later episodes sort after earlier ones; in one episode, resolved after firing."""
        return (self.starts_at, 1 if self.status == "resolved" else 0)


@dataclass(slots=True)
class Loaded:
    incidents: list[Incident]
    marks: list[AlertMark]
    entries: list[OutboxEntry]


class IncidentStore:
    """Statement builders and a loader over one SQLite writer."""

    def __init__(self, writer: SqliteWriter) -> None:
        self.writer = writer

    @classmethod
    def open(cls, data_dir: Path, durability: Durability = "process") -> IncidentStore:
        """Open (or create) `incidents.sqlite` in the data directory."""
        return cls(SqliteWriter(data_dir / FILE_NAME, SCHEMA, durability))

    async def write(self, statements: list[Statement]) -> None:
        if statements:
            await self.writer.write(statements)

    def close(self) -> None:
        self.writer.close()

    async def load(self) -> Loaded:
        return await self.writer.aread(_load)

    # --- statements --------------------------------------------------------------------
    @staticmethod
    def put_incident(incident: Incident) -> Statement:
        return (
            "INSERT OR REPLACE INTO incidents (id, key, status, opened_at, updated_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                incident.id,
                incident.key,
                incident.status,
                iso(incident.opened_at),
                iso(incident.updated_at),
                json.dumps(incident.to_dict(), default=str),
            ),
        )

    @staticmethod
    def put_mark(mark: AlertMark, at: datetime) -> Statement:
        return (
            "INSERT OR REPLACE INTO alert_marks"
            " (fingerprint, key, status, starts_at, ends_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                mark.fingerprint,
                mark.key,
                mark.status,
                iso(mark.starts_at),
                None if mark.ends_at is None else iso(mark.ends_at),
                iso(at),
            ),
        )

    @staticmethod
    def insert_entry(entry: OutboxEntry) -> Statement:
        return (
            "INSERT OR IGNORE INTO outbox (seq, id, idem_key, incident_id, vendor, action,"
            " payload, needs, status, attempts, next_at, last_error, result, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.seq,
                entry.id,
                entry.idem_key,
                entry.incident_id,
                entry.vendor,
                entry.action,
                json.dumps(entry.payload, default=str),
                json.dumps(entry.needs),
                entry.status,
                entry.attempts,
                entry.next_at,
                entry.last_error,
                None if entry.result is None else json.dumps(entry.result),
                iso(entry.created_at),
                None if entry.updated_at is None else iso(entry.updated_at),
            ),
        )

    @staticmethod
    def update_entry(entry: OutboxEntry) -> Statement:
        return (
            "UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, result = ?,"
            " updated_at = ? WHERE id = ?",
            (
                entry.status,
                entry.attempts,
                entry.next_at,
                entry.last_error,
                None if entry.result is None else json.dumps(entry.result),
                None if entry.updated_at is None else iso(entry.updated_at),
                entry.id,
            ),
        )


def _load(conn: sqlite3.Connection) -> Loaded:
    incidents = [
        Incident.from_dict(json.loads(doc))
        for (doc,) in conn.execute("SELECT doc FROM incidents ORDER BY opened_at, id")
    ]
    marks = [
        AlertMark(fp, key, status, parse_iso(starts), None if ends is None else parse_iso(ends))
        for fp, key, status, starts, ends in conn.execute(
            "SELECT fingerprint, key, status, starts_at, ends_at FROM alert_marks"
        )
    ]
    entries = []
    for row in conn.execute(
        "SELECT seq, id, idem_key, incident_id, vendor, action, payload, needs, status,"
        " attempts, next_at, last_error, result, created_at, updated_at FROM outbox ORDER BY seq"
    ):
        entries.append(
            OutboxEntry(
                seq=row[0],
                id=row[1],
                idem_key=row[2],
                incident_id=row[3],
                vendor=row[4],
                action=row[5],
                payload=json.loads(row[6]),
                needs=json.loads(row[7]),
                status=row[8],
                attempts=row[9],
                next_at=row[10],
                last_error=row[11],
                result=None if row[12] is None else json.loads(row[12]),
                created_at=parse_iso(row[13]),
                updated_at=None if row[14] is None else parse_iso(row[14]),
            )
        )
    return Loaded(incidents, marks, entries)
