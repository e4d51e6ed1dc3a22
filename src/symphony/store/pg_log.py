"""The append-only log on PostgreSQL: one chain across every replica.

An append is one transaction: `pg_advisory_xact_lock` on the log's name excludes every
other appender (any process, any machine) until commit, the head is read (the later of the
last row and the head mark `<table>_head`), `build(head)` runs, the rows and the new mark
are written, and the commit releases the lock. So the hash chain stays linear however many
replicas append, and `symphony audit verify` reads one chain.
"""

from __future__ import annotations

from typing import Any

import psycopg

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
from symphony.store.pg_conn import PgConn
from symphony.store.pg_schema import check_name, pg_log_schema

__all__ = ["PgLog", "pg_log_schema"]


class PgLog:
    """An AppendLog in one table of a PostgreSQL schema."""

    def __init__(self, conn: PgConn, layout: LogLayout) -> None:
        self._conn = conn
        self._layout = layout
        self._owns = False
        self._failed = 0
        table, cols = check_name(layout.table), ", ".join(layout.columns)
        marks = ", ".join("%s" for _ in layout.columns)
        self._insert = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        self._select = f"SELECT {cols} FROM {table}"
        self._last = (
            f"SELECT {layout.columns[0]}, {layout.link} FROM {table} "
            f"ORDER BY {layout.columns[0]} DESC LIMIT 1"
        )
        self._set_mark = (
            f"INSERT INTO {table}_head (id, seq, hash) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
        )
        self._get_mark = f"SELECT seq, hash FROM {table}_head WHERE id = 1"
        self._lock = f"SELECT pg_advisory_xact_lock(hashtext('{conn.schema}.{table}'))"

    @classmethod
    def open(cls, conn: PgConn, layout: LogLayout, schema: str) -> PgLog:
        """The log on `conn` (closed with it), its DDL applied first."""
        conn.migrate(schema)
        log = cls(conn, layout)
        log._owns = True
        return log

    @property
    def layout(self) -> LogLayout:
        return self._layout

    @property
    def where(self) -> str:
        return f"{self._conn.where} ({self._conn.schema}.{self._layout.table})"

    @property
    def failed_commits(self) -> int:
        return self._failed

    async def append(self, build: Build) -> list[Row]:
        return await self._conn.arun(self._appender(build))

    def append_sync(self, build: Build) -> list[Row]:
        return self._conn.run(self._appender(build))

    async def get(self, key: Any) -> Row | None:
        return await self._conn.arun(lambda c: self._get(c, key))

    def get_sync(self, key: Any) -> Row | None:
        return self._conn.run(lambda c: self._get(c, key))

    async def query(self, query: LogQuery) -> list[Row]:
        query.check(self._layout)
        return await self._conn.arun(lambda c: self._query(c, query))

    def query_sync(self, query: LogQuery) -> list[Row]:
        query.check(self._layout)
        return self._conn.run(lambda c: self._query(c, query))

    def head(self) -> LogHead:
        return self._conn.run(self._head)

    def mark(self) -> LogHead | None:
        return self._conn.run(self._mark)

    def close(self) -> None:
        if self._owns:
            self._conn.close()

    def _appender(self, build: Build) -> Any:
        def run(conn: psycopg.Connection[Any]) -> list[Row]:
            conn.execute(self._lock)
            head = self._head(conn)
            rows = [tuple(row) for row in build(head)]
            new = check_rows(self._layout, head, rows)
            if rows:
                with conn.cursor() as cur:
                    cur.executemany(self._insert, rows)
                conn.execute(self._set_mark, (new.seq, new.link))
            return rows

        def counted(conn: psycopg.Connection[Any]) -> list[Row]:
            try:
                return run(conn)
            except psycopg.Error:
                self._failed += 1
                raise

        return counted

    def _head(self, conn: psycopg.Connection[Any]) -> LogHead:
        found = conn.execute(self._last).fetchone()
        last = None if found is None else LogHead(int(found[0]), str(found[1]))
        return later(last, self._mark(conn))

    def _mark(self, conn: psycopg.Connection[Any]) -> LogHead | None:
        found = conn.execute(self._get_mark).fetchone()
        return None if found is None else LogHead(int(found[0]), str(found[1]))

    def _get(self, conn: psycopg.Connection[Any], key: Any) -> Row | None:
        sql = f"{self._select} WHERE {self._layout.key} = %s"
        row = conn.execute(sql.encode(), (key,)).fetchone()
        return None if row is None else _row(row)

    def _query(self, conn: psycopg.Connection[Any], query: LogQuery) -> list[Row]:
        sql, params = query_sql(self._select, self._layout, query, "%s")
        return [_row(r) for r in conn.execute(sql.encode(), params)]


def _row(row: tuple[Any, ...]) -> Row:
    """bytea comes back as memoryview/bytes: rows carry bytes."""
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
