"""Documents in a SQLite table, either as one JSON column or one column per field.

`DocTable` maps a collection onto a table so existing tables keep their exact format:
the usage ledger's `learned(model, state)` stores each value as one orjson BLOB, and
`api_keys` stores a key's fields in their own columns (`tenants` as JSON text). Writes go
through the group-commit writer; `cas` and `delete` are `transact` jobs (SQLite's write
lock makes them atomic against other processes). `revision()` is the read connection's
`PRAGMA data_version`, which moves whenever another connection commits to the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from symphony.errors import StoreError, ValidationFailed
from symphony.store.documents import CasConflict, Doc, check_key, doc_from, doc_read
from symphony.store.sqlite import Durability, SqliteWriter, Statement


@dataclass(frozen=True, slots=True)
class DocTable:
    """How a collection lies in a table: a key column, then one JSON value column, or
    (value=None) an object whose `fields` each have their own column."""

    table: str
    key: str = "key"
    value: str | None = "value"
    fields: tuple[str, ...] = ()
    json_fields: frozenset[str] = field(default_factory=frozenset)

    def columns(self) -> tuple[str, ...]:
        return (self.value,) if self.value is not None else self.fields


def doc_schema(layout: DocTable) -> str:
    """DDL for a new collection table with this layout."""
    cols = ", ".join(f"{c} NOT NULL" if layout.value else c for c in layout.columns())
    return f"CREATE TABLE IF NOT EXISTS {layout.table} ({layout.key} TEXT PRIMARY KEY, {cols});\n"


class SqliteDocuments:
    """A Documents in one table of a SQLite database (see the module docstring)."""

    def __init__(self, writer: SqliteWriter, layout: DocTable) -> None:
        self._writer = writer
        self._layout = layout
        self._owns = False
        cols = layout.columns()
        names = ", ".join((layout.key, *cols))
        marks = ", ".join("?" for _ in range(len(cols) + 1))
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols)
        self._upsert = (
            f"INSERT INTO {layout.table} ({names}) VALUES ({marks}) "
            f"ON CONFLICT({layout.key}) DO UPDATE SET {updates}"
        )
        self._select = f"SELECT {names} FROM {layout.table}"
        self._delete = f"DELETE FROM {layout.table} WHERE {layout.key} = ?"

    @classmethod
    def open(
        cls,
        path: Path,
        layout: DocTable,
        durability: Durability = "process",
        *,
        schema: str | None = None,
    ) -> SqliteDocuments:
        """Open (creating if needed) a database holding this collection (its own schema,
        e.g. with extra indexes, or the layout's default)."""
        ddl = doc_schema(layout) if schema is None else schema
        docs = cls(SqliteWriter(path, ddl, durability), layout)
        docs._owns = True
        return docs

    @property
    def where(self) -> str:
        return f"{self._writer.path}:{self._layout.table}"

    async def get(self, key: str) -> Doc | None:
        check_key(key)
        return await self._writer.aread(lambda conn: self._get(conn, key))

    def get_sync(self, key: str) -> Doc | None:
        check_key(key)
        return self._writer.read(lambda conn: self._get(conn, key))

    async def put(self, key: str, value: Any) -> Doc:
        statement, doc = self._write(key, value)
        await self._writer.write([statement])
        return doc

    def put_sync(self, key: str, value: Any) -> Doc:
        statement, doc = self._write(key, value)
        self._writer.write_sync([statement])
        return doc

    async def cas(self, key: str, value: Any, *, expected: str | None) -> Doc:
        statement, doc = self._write(key, value)
        return await self._writer.transact(lambda conn: self._cas(conn, statement, doc, expected))

    def cas_sync(self, key: str, value: Any, *, expected: str | None) -> Doc:
        statement, doc = self._write(key, value)
        return self._writer.transact_sync(lambda conn: self._cas(conn, statement, doc, expected))

    async def delete(self, key: str) -> bool:
        check_key(key)
        return await self._writer.transact(lambda conn: self._remove(conn, key))

    def delete_sync(self, key: str) -> bool:
        check_key(key)
        return self._writer.transact_sync(lambda conn: self._remove(conn, key))

    async def items(self) -> dict[str, Doc]:
        return await self._writer.aread(self._items)

    def items_sync(self) -> dict[str, Doc]:
        return self._writer.read(self._items)

    def revision(self) -> int:
        return self._writer.read(lambda c: int(c.execute("PRAGMA data_version").fetchone()[0]))

    def close(self) -> None:
        if self._owns:
            self._writer.close()

    # --- rows <-> documents -----------------------------------------------------------

    def _write(self, key: str, value: Any) -> tuple[Statement, Doc]:
        check_key(key)
        doc = doc_from(key, value)  # also refuses values that are not JSON
        layout = self._layout
        if layout.value is not None:
            return (self._upsert, (key, orjson.dumps(value))), doc
        if not isinstance(value, dict) or set(value) - set(layout.fields):
            raise ValidationFailed(
                f"{self.where}: a document must be an object with fields {', '.join(layout.fields)}"
            )
        cells = [
            orjson.dumps(value.get(f)).decode() if f in layout.json_fields else value.get(f)
            for f in layout.fields
        ]
        return (self._upsert, (key, *cells)), doc_from(key, self._decoded(cells))

    def _decoded(self, cells: list[Any] | tuple[Any, ...]) -> Any:
        layout = self._layout
        if layout.value is not None:
            return orjson.loads(cells[0])
        return {
            f: orjson.loads(c) if f in layout.json_fields and c is not None else c
            for f, c in zip(layout.fields, cells, strict=True)
        }

    def _doc(self, row: tuple[Any, ...]) -> Doc:
        try:
            return doc_read(str(row[0]), self._decoded(row[1:]))
        except orjson.JSONDecodeError as exc:
            raise StoreError(f"{self.where}: document {row[0]!r} is corrupt ({exc})") from exc

    def _get(self, conn: sqlite3.Connection, key: str) -> Doc | None:
        sql = f"{self._select} WHERE {self._layout.key} = ?"
        row = conn.execute(sql, (key,)).fetchone()
        return None if row is None else self._doc(row)

    def _items(self, conn: sqlite3.Connection) -> dict[str, Doc]:
        docs = (self._doc(row) for row in conn.execute(self._select))
        return {doc.key: doc for doc in docs}

    def _cas(
        self, conn: sqlite3.Connection, statement: Statement, doc: Doc, expected: str | None
    ) -> Doc:
        current = self._get(conn, doc.key)
        if (current.version if current else None) != expected:
            raise CasConflict(doc.key, expected, current)
        conn.execute(*statement)
        return doc

    def _remove(self, conn: sqlite3.Connection, key: str) -> bool:
        return conn.execute(self._delete, (key,)).rowcount > 0
