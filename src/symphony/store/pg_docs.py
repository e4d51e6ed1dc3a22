"""Documents on PostgreSQL: one table (key, canonical JSON text, version) per collection.

Writes take a transaction-scoped advisory lock on the key, then compare and write, so
compare-and-set is atomic against every replica (an absent key included, where a row
lock would have nothing to lock). `<table>_rev` counts changes for `revision()`.
"""

from __future__ import annotations

from typing import Any

import orjson
import psycopg

from symphony.errors import StoreError
from symphony.store.documents import CasConflict, Doc, check_key, doc_from, doc_read
from symphony.store.pg_conn import PgConn, check_name


def pg_doc_schema(table: str) -> str:
    """DDL for a collection table and its change counter."""
    t = check_name(table)
    return (
        f"CREATE TABLE IF NOT EXISTS {t} "
        "(key TEXT PRIMARY KEY, value TEXT NOT NULL, version TEXT NOT NULL);\n"
        f"CREATE TABLE IF NOT EXISTS {t}_rev (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT);\n"
        f"INSERT INTO {t}_rev (id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;\n"
    )


class PgDocuments:
    """A Documents (see store.documents) in one PostgreSQL table."""

    def __init__(self, conn: PgConn, table: str) -> None:
        self._conn = conn
        self._table = t = check_name(table)
        self._owns = False
        self._lock = f"SELECT pg_advisory_xact_lock(hashtext('{conn.schema}.{t}:' || %s))"
        self._version = f"SELECT version, value FROM {t} WHERE key = %s"
        self._upsert = (
            f"INSERT INTO {t} (key, value, version) VALUES (%s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version"
        )
        self._bump = f"UPDATE {t}_rev SET n = n + 1 WHERE id = 1"

    @classmethod
    def open(cls, conn: PgConn, table: str) -> PgDocuments:
        """The collection on `conn` (closed with it), its table created first."""
        conn.migrate(pg_doc_schema(table))
        docs = cls(conn, table)
        docs._owns = True
        return docs

    @property
    def where(self) -> str:
        return f"{self._conn.where} ({self._conn.schema}.{self._table})"

    async def get(self, key: str) -> Doc | None:
        check_key(key)
        return await self._conn.arun(lambda c: self._get(c, key))

    def get_sync(self, key: str) -> Doc | None:
        check_key(key)
        return self._conn.run(lambda c: self._get(c, key))

    async def put(self, key: str, value: Any) -> Doc:
        doc = doc_from(check_key(key), value)
        return await self._conn.arun(lambda c: self._write(c, doc, None, check=False))

    def put_sync(self, key: str, value: Any) -> Doc:
        doc = doc_from(check_key(key), value)
        return self._conn.run(lambda c: self._write(c, doc, None, check=False))

    async def cas(self, key: str, value: Any, *, expected: str | None) -> Doc:
        doc = doc_from(check_key(key), value)
        return await self._conn.arun(lambda c: self._write(c, doc, expected, check=True))

    def cas_sync(self, key: str, value: Any, *, expected: str | None) -> Doc:
        doc = doc_from(check_key(key), value)
        return self._conn.run(lambda c: self._write(c, doc, expected, check=True))

    async def delete(self, key: str) -> bool:
        check_key(key)
        return await self._conn.arun(lambda c: self._delete(c, key))

    def delete_sync(self, key: str) -> bool:
        check_key(key)
        return self._conn.run(lambda c: self._delete(c, key))

    async def items(self) -> dict[str, Doc]:
        return await self._conn.arun(self._items)

    def items_sync(self) -> dict[str, Doc]:
        return self._conn.run(self._items)

    def revision(self) -> int:
        sql = f"SELECT n FROM {self._table}_rev WHERE id = 1"
        found = self._conn.run(lambda c: c.execute(sql.encode()).fetchone())
        return 0 if found is None else int(found[0])

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    def _doc(self, key: str, text: str) -> Doc:
        try:
            return doc_read(key, orjson.loads(text))
        except orjson.JSONDecodeError as exc:
            raise StoreError(f"{self.where}: document {key!r} is corrupt ({exc})") from exc

    def _get(self, conn: psycopg.Connection[Any], key: str) -> Doc | None:
        found = conn.execute(self._version.encode(), (key,)).fetchone()
        return None if found is None else self._doc(key, found[1])

    def _write(
        self, conn: psycopg.Connection[Any], doc: Doc, expected: str | None, *, check: bool
    ) -> Doc:
        conn.execute(self._lock.encode(), (doc.key,))
        if check:
            found = conn.execute(self._version.encode(), (doc.key,)).fetchone()
            if (None if found is None else found[0]) != expected:
                current = None if found is None else self._doc(doc.key, found[1])
                raise CasConflict(doc.key, expected, current)
        text = orjson.dumps(doc.value, option=orjson.OPT_SORT_KEYS).decode()
        conn.execute(self._upsert.encode(), (doc.key, text, doc.version))
        conn.execute(self._bump.encode())
        return doc

    def _delete(self, conn: psycopg.Connection[Any], key: str) -> bool:
        conn.execute(self._lock.encode(), (key,))
        gone = conn.execute(f"DELETE FROM {self._table} WHERE key = %s".encode(), (key,)).rowcount
        if gone:
            conn.execute(self._bump.encode())
        return gone > 0

    def _items(self, conn: psycopg.Connection[Any]) -> dict[str, Doc]:
        rows = conn.execute(f"SELECT key, value FROM {self._table} ORDER BY key".encode())
        return {key: self._doc(key, value) for key, value in rows}
