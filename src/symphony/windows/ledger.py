"""The durable usage ledger (SQLite, group commit) behind a store protocol.

Learned window state (one document per model) goes through the store's Documents seam:
by default the `learned(model, state)` table of the same ledger.db, as it always was;
a composition root may pass another collection (e.g. one shared by several replicas).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from symphony.store.documents import Documents
from symphony.store.sqlite import Durability, SqliteWriter, Statement
from symphony.store.sqlite_docs import DocTable, SqliteDocuments
from symphony.windows.state import Learned
from symphony.windows.usage import UsageEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at REAL NOT NULL, tenant TEXT NOT NULL, model TEXT NOT NULL,
  requests INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL, audit_id TEXT
);
CREATE INDEX IF NOT EXISTS usage_at ON usage(at);
CREATE TABLE IF NOT EXISTS learned (model TEXT PRIMARY KEY, state BLOB NOT NULL);
"""
INSERT = (
    "INSERT INTO usage (at, tenant, model, requests, prompt_tokens, completion_tokens, cost_usd,"
    " audit_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
LEARNED_TABLE = DocTable("learned", key="model", value="state")  # one orjson BLOB per model
# How far back start-up rebuilds state: the longest window we reason about (monthly budgets).
HISTORY = timedelta(days=35)


class UsageStore(Protocol):
    """What the window service needs from persistence: SQLite (embedded) or PostgreSQL
    (`windows.pg_ledger`, when SYMPHONY_DATABASE_URL is set)."""

    async def record(self, events: Iterable[UsageEvent]) -> None: ...
    def record_sync(self, events: Iterable[UsageEvent]) -> None: ...
    def load_events(self, since: datetime) -> list[UsageEvent]: ...
    async def save_learned(self, learned: Learned) -> None: ...
    def load_learned(self) -> dict[str, Learned]: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


class EmptyUsageStore:
    """A ledger that was never written: nothing used, nothing learned, no files created.

    For in-process planning from the CLI when no data directory exists yet, and for the
    benchmark, which fills the usage index directly."""

    async def record(self, events: Iterable[UsageEvent]) -> None:
        del events

    def record_sync(self, events: Iterable[UsageEvent]) -> None:
        del events

    def load_events(self, since: datetime) -> list[UsageEvent]:
        del since
        return []

    async def save_learned(self, learned: Learned) -> None:
        del learned

    def load_learned(self) -> dict[str, Learned]:
        return {}

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        return None


def _row(event: UsageEvent) -> Statement:
    return (
        INSERT,
        (
            event.at.timestamp(),
            event.tenant,
            event.model,
            event.requests,
            event.prompt_tokens,
            event.completion_tokens,
            event.cost_usd,
            event.audit_id,
        ),
    )


class LearnedDocuments:
    """Learned window state as documents keyed by model (`Learned.to_json()` values)."""

    def __init__(self, docs: Documents) -> None:
        self.docs = docs

    async def save(self, learned: Learned) -> None:
        """Write one model's learned state; durable when it returns."""
        await self.docs.put(learned.model, learned.to_json())

    def load(self) -> dict[str, Learned]:
        """Every model's learned state (blocking; start-up)."""
        return {key: Learned.from_json(doc.value) for key, doc in self.docs.items_sync().items()}


class SqliteUsageStore:
    def __init__(
        self,
        path: Path,
        durability: Durability = "process",
        *,
        learned: Documents | None = None,
    ) -> None:
        self.writer = SqliteWriter(path, SCHEMA, durability)
        if learned is None:  # the ledger's own `learned` table: the embedded default
            learned = SqliteDocuments(self.writer, LEARNED_TABLE)
        self.learned = LearnedDocuments(learned)

    @classmethod
    def open(cls, data_dir: Path, durability: Durability = "process") -> SqliteUsageStore:
        return cls(data_dir / "ledger.db", durability)

    async def record(self, events: Iterable[UsageEvent]) -> None:
        await self.writer.write([_row(e) for e in events])

    def record_sync(self, events: Iterable[UsageEvent]) -> None:
        self.writer.write_sync([_row(e) for e in events])

    def load_events(self, since: datetime) -> list[UsageEvent]:
        def query(conn: sqlite3.Connection) -> list[UsageEvent]:
            rows = conn.execute(
                "SELECT at, tenant, model, requests, prompt_tokens, completion_tokens, cost_usd,"
                " audit_id FROM usage WHERE at >= ? ORDER BY at, id",
                (since.timestamp(),),
            ).fetchall()
            return [
                UsageEvent(
                    at=datetime.fromtimestamp(r[0], UTC),
                    tenant=r[1],
                    model=r[2],
                    requests=r[3],
                    prompt_tokens=r[4],
                    completion_tokens=r[5],
                    cost_usd=r[6],
                    audit_id=r[7],
                )
                for r in rows
            ]

        return self.writer.read(query)

    async def save_learned(self, learned: Learned) -> None:
        await self.learned.save(learned)

    def load_learned(self) -> dict[str, Learned]:
        return self.learned.load()

    def ping(self) -> bool:
        try:
            self.writer.read(lambda c: c.execute("SELECT 1").fetchone())
        except sqlite3.Error:
            return False
        return True

    @property
    def failed_commits(self) -> int:
        return self.writer.failed_commits

    def close(self) -> None:
        self.writer.close()
