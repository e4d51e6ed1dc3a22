"""The append-only log in process memory (tests, the CLI's dry runs, ephemeral setups)."""

from __future__ import annotations

import threading
from typing import Any

from symphony.errors import StoreError
from symphony.store.log import Build, LogHead, LogLayout, LogQuery, Row, check_rows, later


class MemoryLog:
    """An AppendLog in a list; a lock stands in for the head's write lock."""

    def __init__(self, layout: LogLayout, *, where: str = "memory") -> None:
        self._layout = layout
        self._where = where
        self._rows: list[Row] = []
        self._by_key: dict[Any, Row] = {}
        self._mark: LogHead | None = None
        self._key = layout.index(layout.key)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def layout(self) -> LogLayout:
        return self._layout

    @property
    def where(self) -> str:
        return self._where

    @property
    def failed_commits(self) -> int:
        return 0  # memory has no commit to fail

    async def append(self, build: Build) -> list[Row]:
        return self.append_sync(build)

    def append_sync(self, build: Build) -> list[Row]:
        with self._lock:
            if self._closed:
                raise StoreError(f"log {self._where} is closed")
            head = self._head()
            rows = [tuple(row) for row in build(head)]
            new = check_rows(self._layout, head, rows)
            keys = [row[self._key] for row in rows]
            if len(set(keys)) != len(keys) or any(k in self._by_key for k in keys):
                raise StoreError(f"log {self._where}: duplicate {self._layout.key}")
            self._rows.extend(rows)
            self._by_key.update(zip(keys, rows, strict=True))
            if rows:
                self._mark = new
            return rows

    async def get(self, key: Any) -> Row | None:
        return self._by_key.get(key)

    def get_sync(self, key: Any) -> Row | None:
        return self._by_key.get(key)

    async def query(self, query: LogQuery) -> list[Row]:
        return self.query_sync(query)

    def query_sync(self, query: LogQuery) -> list[Row]:
        query.check(self._layout)
        index = self._layout.index
        equals = [(index(c), v) for c, v in query.equals.items()]
        bounds = [(index(c), v) for c, v in query.at_least.items()]
        rows = reversed(self._rows) if query.newest_first else iter(self._rows)
        out: list[Row] = []
        for row in list(rows):
            seq = row[0]
            if query.after_seq is not None and seq <= query.after_seq:
                continue
            if query.before_seq is not None and seq >= query.before_seq:
                continue
            if all(row[i] == v for i, v in equals) and all(
                row[i] is not None and row[i] >= v for i, v in bounds
            ):
                out.append(row)
                if len(out) >= query.limit:
                    break
        return out

    def head(self) -> LogHead:
        with self._lock:
            return self._head()

    def mark(self) -> LogHead | None:
        return self._mark

    def close(self) -> None:
        self._closed = True

    def _head(self) -> LogHead:
        last = self._layout.head_of(self._rows[-1]) if self._rows else None
        return later(last, self._mark)
