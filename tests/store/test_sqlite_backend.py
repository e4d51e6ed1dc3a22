"""What only the SQLite backends promise: group commit with transaction functions,
poisoned jobs failing alone, typed refusals, and documents laid out one field a column."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import orjson
import pytest

from symphony.errors import ConflictError, StoreError, ValidationFailed
from symphony.store.sqlite import SqliteWriter
from symphony.store.sqlite_docs import DocTable, SqliteDocuments

SCHEMA = "CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, v TEXT);"


async def test_transaction_functions_share_group_commits_and_see_each_other(
    tmp_path: Path,
) -> None:
    writer = SqliteWriter(tmp_path / "w.db", SCHEMA)
    try:

        def next_n(conn: sqlite3.Connection) -> int:
            (n,) = conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM t").fetchone()
            conn.execute("INSERT INTO t (n, v) VALUES (?, 'x')", (n,))
            return int(n)

        got = await asyncio.gather(*(writer.transact(next_n) for _ in range(300)))
        assert sorted(got) == list(range(1, 301))  # read-then-write never collided
        assert writer.batches < 300
        assert writer.transact_sync(next_n) == 301
    finally:
        writer.close()


async def test_a_poisoned_job_fails_alone(tmp_path: Path) -> None:
    writer = SqliteWriter(tmp_path / "w.db", SCHEMA)
    try:
        insert = "INSERT INTO t (n, v) VALUES (?, ?)"
        results = await asyncio.gather(
            writer.write([(insert, (1, "a"))]),
            writer.write([(insert, (1, "duplicate"))]),
            writer.write([(insert, (2, "b"))]),
            return_exceptions=True,
        )
        assert results[0] is None
        assert isinstance(results[1], StoreError)
        assert results[2] is None
        rows = writer.read(lambda c: c.execute("SELECT n, v FROM t ORDER BY n").fetchall())
        assert rows == [(1, "a"), (2, "b")]
    finally:
        writer.close()


async def test_a_typed_refusal_rolls_back_its_own_writes(tmp_path: Path) -> None:
    writer = SqliteWriter(tmp_path / "w.db", SCHEMA)
    try:

        def refuse(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t (n, v) VALUES (7, 'half')")
            raise ConflictError("refused after writing")

        with pytest.raises(ConflictError, match="refused after writing"):
            await writer.transact(refuse)
        assert writer.read(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 0
    finally:
        writer.close()
    with pytest.raises(StoreError, match="closed"):
        await writer.transact(lambda conn: None)


KEYS_LIKE = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, tenants TEXT NOT NULL,
    revoked_at TEXT
);
"""
FIELDS = DocTable(
    "api_keys",
    key="id",
    value=None,
    fields=("name", "role", "tenants", "revoked_at"),
    json_fields=frozenset({"tenants"}),
)


async def test_a_document_can_lie_one_field_a_column(tmp_path: Path) -> None:
    writer = SqliteWriter(tmp_path / "keys.db", KEYS_LIKE)
    docs = SqliteDocuments(writer, FIELDS)
    try:
        value = {"name": "ci", "role": "client", "tenants": ["acme"], "revoked_at": None}
        stored = await docs.put("key_1", value)
        row = writer.read(lambda c: c.execute("SELECT * FROM api_keys").fetchone())
        assert row == ("key_1", "ci", "client", '["acme"]', None)  # the table's own format
        assert await docs.get("key_1") == stored
        assert stored.value == value
        with pytest.raises(ValidationFailed, match="fields"):
            await docs.put("key_2", {"name": "x", "colour": "red"})
        with pytest.raises(ValidationFailed, match="fields"):
            await docs.put("key_2", ["not", "an", "object"])
    finally:
        writer.close()


async def test_a_json_column_keeps_orjson_bytes(tmp_path: Path) -> None:
    writer = SqliteWriter(
        tmp_path / "ledger.db",
        "CREATE TABLE learned (model TEXT PRIMARY KEY, state BLOB NOT NULL);",
    )
    docs = SqliteDocuments(writer, DocTable("learned", key="model", value="state"))
    try:
        value = {"model": "m", "remaining": 7.0, "extra": {}}
        docs.put_sync("m", value)
        raw = writer.read(lambda c: c.execute("SELECT state FROM learned").fetchone()[0])
        assert raw == orjson.dumps(value)
        writer.write_sync([("UPDATE learned SET state = ? WHERE model = 'm'", (b"{not json",))])
        with pytest.raises(StoreError, match="corrupt"):
            docs.get_sync("m")
    finally:
        writer.close()
