"""The append-only log seam: ordered rows, sequence numbers, a chain head, range reads.

Contract (every backend; the shared suite in tests/store/ checks it)
--------------------------------------------------------------------
- A log is a table of rows laid out by a `LogLayout`; column 0 is the sequence number.
  Rows are tuples of JSON scalars or bytes; a backend stores and returns them unchanged.
- `append(build)` runs `build(head)` while holding the log's head exclusively (a lock,
  a write transaction, an advisory lock: across processes for shared backends), then
  stores the rows it returned and moves the head to the last one, all or nothing. The
  rows must carry sequence numbers head.seq+1, head.seq+2, … in order (anything else
  is refused with ValidationFailed), so a hash chain built from `head.link` stays one
  linear chain however many writers there are. `build` may be called more than once
  (a backend may retry after a failure): it must be a pure function of `head`.
- Several appends may share one durable commit, but each returns only once its rows are
  durable. A failing append stores nothing and leaves the head where it was.
- `head()` is where the next append continues: the later of the last row and the durable
  head mark. The mark is stored with the rows, so a deleted tail is a visible gap
  (rows end before the mark) instead of being silently written over. `mark()` returns
  the mark alone (None when the log never had one), for verification.
- `query` filters by equality and lower bounds on named columns, by sequence range, and
  returns newest first (or oldest first); `get` finds a row by the layout's unique key.
- Sync variants are for the CLI, start-up code and worker threads; never call them on a
  running event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from symphony.errors import ValidationFailed

Row = tuple[Any, ...]
GENESIS = "0" * 64
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class LogHead:
    """Where the chain ends: the last sequence number and the value the next row links to."""

    seq: int = 0
    link: str = GENESIS


@dataclass(frozen=True, slots=True)
class LogLayout:
    """A log's columns. `table` also names the head mark (`<table>_head` in SQL backends)."""

    table: str
    columns: tuple[str, ...]  # columns[0] is the sequence number
    key: str  # a unique column: `get` finds rows by it
    link: str  # the column the next row chains to (e.g. the row's hash)

    def index(self, column: str) -> int:
        """Position of `column` in a row; ValidationFailed for a column the log lacks."""
        try:
            return self.columns.index(column)
        except ValueError:
            raise ValidationFailed(f"log {self.table} has no column {column!r}") from None

    def head_of(self, row: Row) -> LogHead:
        """The head after `row`."""
        return LogHead(int(row[0]), str(row[self.index(self.link)]))


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which rows to read: equal columns, lower bounds, a sequence range, order, limit."""

    equals: Mapping[str, Any] = field(default_factory=dict)
    at_least: Mapping[str, Any] = field(default_factory=dict)
    after_seq: int | None = None
    before_seq: int | None = None
    newest_first: bool = True
    limit: int = 100

    def check(self, layout: LogLayout) -> None:
        """Refuse limits outside 1..MAX_LIMIT and columns the layout does not have."""
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        for column in (*self.equals, *self.at_least):
            layout.index(column)


Build = Callable[[LogHead], Sequence[Row]]


class AppendLog(Protocol):
    """An append-only, sequence-numbered log (see the module docstring for the contract)."""

    @property
    def layout(self) -> LogLayout: ...

    @property
    def where(self) -> str:
        """Where the rows live (a path, a URL without secrets), for messages."""
        ...

    @property
    def failed_commits(self) -> int:
        """Appends that failed to commit since opening (exported as a metric)."""
        ...

    async def append(self, build: Build) -> list[Row]:
        """Append the rows `build(head)` returns; return them once durable."""
        ...

    def append_sync(self, build: Build) -> list[Row]:
        """Blocking `append`."""
        ...

    async def get(self, key: Any) -> Row | None:
        """The row whose key column equals `key`, or None."""
        ...

    def get_sync(self, key: Any) -> Row | None:
        """Blocking `get`."""
        ...

    async def query(self, query: LogQuery) -> list[Row]:
        """Rows matching `query`, in its order, at most `query.limit`."""
        ...

    def query_sync(self, query: LogQuery) -> list[Row]:
        """Blocking `query`."""
        ...

    def head(self) -> LogHead:
        """Where the next append continues (blocking read)."""
        ...

    def mark(self) -> LogHead | None:
        """The durable head mark alone; None when the log has none (blocking read)."""
        ...

    def close(self) -> None:
        """Release what the log opened (appends after close raise StoreError)."""
        ...


def check_rows(layout: LogLayout, head: LogHead, rows: Sequence[Row]) -> LogHead:
    """Validate built rows against the head; return the head after them."""
    width = len(layout.columns)
    expected = head.seq
    for row in rows:
        expected += 1
        if len(row) != width:
            raise ValidationFailed(
                f"log {layout.table}: a row has {len(row)} values, the layout {width}"
            )
        if row[0] != expected:
            raise ValidationFailed(
                f"log {layout.table}: row sequence {row[0]!r} where {expected} was due"
            )
    return layout.head_of(rows[-1]) if rows else head


def later(last: LogHead | None, mark: LogHead | None) -> LogHead:
    """The head to continue from: the later of the last row and the mark."""
    best = LogHead()
    for found in (last, mark):
        if found is not None and found.seq > best.seq:
            best = found
    return best


def query_sql(select: str, layout: LogLayout, query: LogQuery, mark: str) -> tuple[str, list[Any]]:
    """The SQL and parameters of `query` over `select` (`SELECT … FROM …`), with `mark` as
    the driver's placeholder (`?` for SQLite, `%s` for PostgreSQL); the limit is last."""
    seq = layout.columns[0]
    where: list[str] = []
    params: list[Any] = []
    for column, value in query.equals.items():
        where.append(f"{column} = {mark}")
        params.append(value)
    for column, value in query.at_least.items():
        where.append(f"{column} >= {mark}")
        params.append(value)
    for op, bound in ((">", query.after_seq), ("<", query.before_seq)):
        if bound is not None:
            where.append(f"{seq} {op} {mark}")
            params.append(bound)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    order = "DESC" if query.newest_first else "ASC"
    params.append(query.limit)
    return f"{select}{clause} ORDER BY {seq} {order} LIMIT {mark}", params
