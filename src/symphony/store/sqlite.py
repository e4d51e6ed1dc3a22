"""SQLite with group commit: one writer thread batches many callers into one transaction.

Callers `await writer.write(...)` (statements) or `await writer.transact(fn)` (a function
run on the write connection inside the transaction, e.g. read-check-write); the await
returns only after the transaction holding their work has committed, so what was
acknowledged survives `kill -9`. Each transaction starts with BEGIN IMMEDIATE, which
takes SQLite's write lock: a `transact` function is atomic against every other writer,
in this process or another. Reads use a separate connection (WAL lets them run beside
the writer).

When a batch fails, it is rolled back and its jobs are retried one per transaction, so a
poisoned job fails alone and its innocent neighbours still commit. A `transact` function
may therefore run more than once: it must only read and write through the connection it
is given (no side effects outside the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from symphony.errors import NotFoundError, StoreError, SymphonyError

T = TypeVar("T")
Statement = tuple[str, Sequence[Any]]
Transaction = Callable[[sqlite3.Connection], Any]

_MAX_BATCH = 512


@dataclass(slots=True)
class _Job:
    statements: Sequence[Statement]
    fn: Transaction | None
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | None
    done: threading.Event | None
    result: Any = None
    error: BaseException | None = None


Durability = Literal["process", "power"]
# "process": WAL + synchronous=NORMAL. A commit is in the WAL file (the OS page cache) when
#   it returns, so it survives the process being killed (kill -9, OOM, crash), not a power
#   cut or kernel panic. ~20 µs per commit here.
# "power": WAL + synchronous=FULL, an fsync per group commit: survives power loss too, at
#   ~2 ms per commit on this machine's disk (see README, Performance).
SYNCHRONOUS: dict[str, str] = {"process": "NORMAL", "power": "FULL"}


def connect(path: Path, durability: Durability = "process") -> sqlite3.Connection:
    """Open a connection with the pragmas every Symphony database uses."""
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SYNCHRONOUS[durability]}")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class SqliteReader:
    """A read-only connection to an existing database (verification, inspection)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise NotFoundError(f"database {path} does not exist")
        self.path = path
        try:
            self._conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
        self._lock = threading.Lock()

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read (blocking)."""
        with self._lock:
            return fn(self._conn)

    async def aread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read in a worker thread."""
        return await asyncio.to_thread(self.read, fn)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class SqliteWriter:
    """One database file, one writer thread, many async callers."""

    def __init__(self, path: Path, schema: str, durability: Durability = "process") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.durability = durability
        self._write_conn = connect(path, durability)
        self._write_conn.executescript(schema)
        self._read_conn = connect(path, durability)
        self._read_lock = threading.Lock()
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._closed = False
        self.batches = 0
        # Writer-thread state of the open transaction (see `at_commit`, `transaction`).
        self._tx = 0
        self._at_commit: dict[object, Callable[[sqlite3.Connection], object]] = {}
        self.failed_commits = 0  # transactions rolled back (exported as a metric)
        self._thread = threading.Thread(target=self._run, name=f"sqlite-{path.name}", daemon=True)
        self._thread.start()

    async def write(self, statements: Sequence[Statement]) -> None:
        """Run statements in the next group commit; return once it is durable."""
        await self._submit(_Job(statements, None, None, None, None))

    def write_sync(self, statements: Sequence[Statement]) -> None:
        """Blocking variant for the CLI and start-up code (never call on the event loop)."""
        self._submit_sync(_Job(statements, None, None, None, None))

    async def transact(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` inside the next group commit (write lock held); return its result once
        the transaction committed. `fn` may run twice (see the module docstring)."""
        return cast(T, await self._submit(_Job((), fn, None, None, None)))

    def transact_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Blocking variant of `transact` (never call on the event loop)."""
        return cast(T, self._submit_sync(_Job((), fn, None, None, None)))

    @property
    def transaction(self) -> int:
        """A number that changes with every transaction the writer begins. A transaction
        function may cache what it read under this number: while it stays the same, the
        write lock has been held all along, so nobody else can have changed the data."""
        return self._tx

    def at_commit(self, key: object, fn: Callable[[sqlite3.Connection], object]) -> None:
        """From a transaction function: run `fn` just before this transaction commits,
        once per `key` (a later call with the same key replaces the earlier one). For
        writes that only the last job of a batch needs, such as a head mark."""
        self._at_commit[key] = fn

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read on the read connection (blocking; use `aread` from async code)."""
        with self._read_lock:
            return fn(self._read_conn)

    async def aread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read, fn)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._write_conn.close()
        self._read_conn.close()

    async def _submit(self, job: _Job) -> Any:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
        loop = asyncio.get_running_loop()
        job.loop, job.future = loop, loop.create_future()
        self._queue.put(job)
        return await job.future

    def _submit_sync(self, job: _Job) -> Any:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
        job.done = threading.Event()
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < _MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Job]) -> None:
        error = self._transaction(batch)
        if error is not None and len(batch) > 1:
            # Find the culprit: every job alone, so the innocent ones still commit.
            for job in batch:
                job.error = self._transaction([job])
        else:
            for job in batch:
                job.error = error
        _notify(batch)

    def _transaction(self, jobs: list[_Job]) -> BaseException | None:
        conn = self._write_conn
        self._tx += 1
        self._at_commit = {}
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in jobs:
                for sql, params in job.statements:
                    conn.execute(sql, params)
                if job.fn is not None:
                    job.result = job.fn(conn)
            for fn in self._at_commit.values():
                fn(conn)
            conn.execute("COMMIT")
            self.batches += 1
            return None
        except Exception as exc:  # the writer thread must never die: callers would hang
            self._tx += 1  # what was cached under the failed transaction is void
            self.failed_commits += 1
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            if isinstance(exc, SymphonyError):
                return exc  # a typed refusal raised by a transaction function
            return StoreError(f"write to {self.path} failed: {exc}")


def _notify(batch: list[_Job]) -> None:
    # One wake-up per event loop per batch (not one per job): each call_soon_threadsafe
    # writes to the loop's self-pipe, which is a syscall and a GIL round trip.
    waiting: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in batch:
        if job.done is not None:
            job.done.set()
        elif job.loop is not None:
            waiting.setdefault(job.loop, []).append(job)
    for loop, jobs in waiting.items():
        with contextlib.suppress(RuntimeError):  # the caller's loop is gone; still durable
            loop.call_soon_threadsafe(_settle_all, jobs)


def _settle_all(jobs: list[_Job]) -> None:
    for job in jobs:
        future = job.future
        if future is None or future.done():  # the awaiting coroutine was cancelled
            continue
        if job.error is None:
            future.set_result(job.result)
        else:
            future.set_exception(job.error)
