"""The append-only log on SQLite: rows and the head mark written in one group commit.

An append is a `transact` job on the SqliteWriter: inside BEGIN IMMEDIATE (SQLite's write
lock, which excludes every other writer, in this process or another) it reads the head,
calls `build`, inserts the rows and moves the mark `<table>_head(id=1, seq, hash)`. So
concurrent appends from many coroutines, threads and processes form one linear chain,
and many of them still share one commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from symphony.errors import StoreError
from symphony.store.log import (
    Build,
    LogHead,
    LogLayout,
    LogQuery,
    Row,
    check_rows,
    later,
    query_sql,
)
from symphony.store.sqlite import Durability, SqliteReader, SqliteWriter

T = TypeVar("T")


def log_schema(layout: LogLayout) -> str:
    """DDL for a new log with this layout (existing logs keep their own schema)."""
    seq, *rest = layout.columns
    cols = [f"{seq} INTEGER PRIMARY KEY"]
    cols += [f"{c} NOT NULL UNIQUE" if c == layout.key else c for c in rest]
    return (
        f"CREATE TABLE IF NOT EXISTS {layout.table} ({', '.join(cols)});\n"
        f"CREATE TABLE IF NOT EXISTS {layout.table}_head "
        "(id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);\n"
    )


class SqliteLog:
    """An AppendLog in one table of a SQLite database (read-only on a SqliteReader)."""

    def __init__(self, store: SqliteWriter | SqliteReader, layout: LogLayout) -> None:
        self._store = store
        self._layout = layout
        self._owns = False
        table, cols = layout.table, ", ".join(layout.columns)
        marks = ", ".join("?" for _ in layout.columns)
        self._insert = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        self._select = f"SELECT {cols} FROM {table}"
        self._last = (
            f"SELECT {layout.columns[0]}, {layout.link} FROM {table} "
            f"ORDER BY {layout.columns[0]} DESC LIMIT 1"
        )
        self._set_mark = (
            f"INSERT INTO {table}_head (id, seq, hash) VALUES (1, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
        )
        self._get_mark = f"SELECT seq, hash FROM {table}_head WHERE id = 1"
        # The head after our last append, and the writer transaction it belongs to.
        self._cached: tuple[int, LogHead] | None = None

    @classmethod
    def open(
        cls, path: Path, layout: LogLayout, schema: str, durability: Durability = "process"
    ) -> SqliteLog:
        """Open (creating if needed) the database at `path` with its own writer."""
        log = cls(SqliteWriter(path, schema, durability), layout)
        log._owns = True
        return log

    @classmethod
    def open_readonly(cls, path: Path, layout: LogLayout) -> SqliteLog:
        """Open an existing database read-only (NotFoundError when it does not exist)."""
        log = cls(SqliteReader(path), layout)
        log._owns = True
        return log

    @property
    def layout(self) -> LogLayout:
        return self._layout

    @property
    def where(self) -> str:
        return str(self._store.path)

    @property
    def failed_commits(self) -> int:
        return self.writer.failed_commits

    @property
    def writer(self) -> SqliteWriter:
        """The group-commit writer (StoreError when opened read-only)."""
        if not isinstance(self._store, SqliteWriter):
            raise StoreError(f"log {self._store.path} is open read-only")
        return self._store

    async def append(self, build: Build) -> list[Row]:
        return await self.writer.transact(self._appender(build))

    def append_sync(self, build: Build) -> list[Row]:
        return self.writer.transact_sync(self._appender(build))

    async def get(self, key: Any) -> Row | None:
        return await self._store.aread(self._reading(self._get, key))

    def get_sync(self, key: Any) -> Row | None:
        return self._read(self._get, key)

    async def query(self, query: LogQuery) -> list[Row]:
        query.check(self._layout)
        return await self._store.aread(self._reading(self._query, query))

    def query_sync(self, query: LogQuery) -> list[Row]:
        query.check(self._layout)
        return self._read(self._query, query)

    def head(self) -> LogHead:
        return self._read(self._head)

    def mark(self) -> LogHead | None:
        return self._read(self._mark)

    def close(self) -> None:
        if self._owns:
            self._store.close()

    # --- on the connection ------------------------------------------------------------

    def _appender(self, build: Build) -> Callable[[sqlite3.Connection], list[Row]]:
        def run(conn: sqlite3.Connection) -> list[Row]:
            writer = self.writer
            cached = self._cached
            if cached is not None and cached[0] == writer.transaction:
                head = cached[1]  # we appended earlier in this same transaction
            else:
                head = self._head(conn)
            rows = [tuple(row) for row in build(head)]
            new = check_rows(self._layout, head, rows)
            if len(rows) == 1:
                conn.execute(self._insert, rows[0])
            elif rows:
                conn.executemany(self._insert, rows)
            if rows:
                self._cached = (writer.transaction, new)
                # Once per transaction, with the head after its last append.
                writer.at_commit(self, lambda c: c.execute(self._set_mark, (new.seq, new.link)))
            return rows

        return run

    def _head(self, conn: sqlite3.Connection) -> LogHead:
        found = conn.execute(self._last).fetchone()
        last = None if found is None else LogHead(int(found[0]), str(found[1]))
        return later(last, self._mark(conn))

    def _mark(self, conn: sqlite3.Connection) -> LogHead | None:
        try:
            found = conn.execute(self._get_mark).fetchone()
        except sqlite3.OperationalError:
            return None  # a database from before the head mark existed
        return None if found is None else LogHead(int(found[0]), str(found[1]))

    def _get(self, conn: sqlite3.Connection, key: Any) -> Row | None:
        row = conn.execute(f"{self._select} WHERE {self._layout.key} = ?", (key,)).fetchone()
        return None if row is None else tuple(row)

    def _query(self, conn: sqlite3.Connection, query: LogQuery) -> list[Row]:
        sql, params = query_sql(self._select, self._layout, query, "?")
        return [tuple(r) for r in conn.execute(sql, params)]

    def _reading(self, fn: Callable[..., T], *args: Any) -> Callable[[sqlite3.Connection], T]:
        """`fn(conn, *args)` with SQLite errors turned into StoreError."""

        def run(conn: sqlite3.Connection) -> T:
            try:
                return fn(conn, *args)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self._store.path}: {exc}") from exc

        return run

    def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return self._store.read(self._reading(fn, *args))
