"""The usage ledger (SQLite, and PostgreSQL when SYMPHONY_TEST_DATABASE_URL is not ""): events
and learned state survive closing, reopening and kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from symphony.errors import StoreError
from symphony.store.pg_conn import PgConn
from symphony.windows.ledger import HISTORY, SqliteUsageStore, UsageStore
from symphony.windows.pg_ledger import PgUsageStore
from symphony.windows.state import Learned
from symphony.windows.usage import UsageEvent

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


# The server scripts/test starts; "" leaves PostgreSQL out of the run.
DATABASE_URL = os.environ.get(
    "SYMPHONY_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"] if DATABASE_URL else ["sqlite"]
Open = Callable[[], "SqliteUsageStore | PgUsageStore"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def place(backend: str, tmp_path: Path) -> Iterator[str]:
    """Where this test's ledger lives: a file path, or a fresh schema (dropped after)."""
    if backend == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}_ledger"
    yield schema
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())


@pytest.fixture
def opener(backend: str, place: str) -> Open:
    """Opens a ledger at this test's place (a second open is a restart, or another replica)."""

    def open_store() -> SqliteUsageStore | PgUsageStore:
        if backend == "sqlite":
            return SqliteUsageStore(Path(place))
        return PgUsageStore.open(PgConn(DATABASE_URL, place))

    return open_store


def event(seconds: int, **kw: object) -> UsageEvent:
    values: dict[str, object] = {"at": T0 + timedelta(seconds=seconds), "model": "a/b"}
    values.update(kw)
    return UsageEvent(**values)  # type: ignore[arg-type]


def test_the_sqlite_ledger_is_ledger_db_in_the_data_dir(tmp_path: Path) -> None:
    store = SqliteUsageStore.open(tmp_path / "data")
    try:
        assert store.writer.path == tmp_path / "data" / "ledger.db"
    finally:
        store.close()


async def test_events_survive_closing_and_reopening(opener: Open) -> None:
    store = opener()
    protocol: UsageStore = store  # both stores implement the store protocol
    assert protocol is store
    full = event(
        30,
        tenant="team",
        requests=2,
        prompt_tokens=100,
        completion_tokens=20,
        cost_usd=0.0125,
        audit_id="aud_1",
    )
    await store.record([event(0), full])
    store.record_sync([event(10, model="c/d")])
    store.close()
    store.close()  # closing twice is harmless

    again = opener()  # a restart: a new store (a new pool) at the same place
    try:
        events = again.load_events(T0 - timedelta(days=1))
        assert events == [event(0), event(10, model="c/d"), full]  # in time order
        assert again.load_events(T0 + timedelta(seconds=10)) == [event(10, model="c/d"), full]
        assert again.load_events(T0 + timedelta(hours=1)) == []
        assert again.ping()
    finally:
        again.close()
    assert not again.ping()


async def test_learned_state_survives(opener: Open) -> None:
    store = opener()
    learned = Learned(
        model="anthropic/claude-pro",
        observed_at=T0,
        resets_at=T0 + timedelta(hours=2),
        remaining=12.0,
        cap=45.0,
        source="learned",
        note="operator: 12 left",
        cooldown_until=T0 + timedelta(seconds=30),
        strikes=3,
        schedule_shift_s=600.0,
        shift_next_only=True,
        shift_origin=T0 + timedelta(minutes=50),
        extra={"k": [1, 2]},
    )
    await store.save_learned(learned)
    await store.save_learned(Learned(model="xai/grok", source="headers", cap=100.0))
    learned.strikes = 4
    await store.save_learned(learned)  # an upsert, not a second row
    store.close()
    again = opener()
    try:
        loaded = again.load_learned()
    finally:
        again.close()
    assert loaded == {
        "anthropic/claude-pro": learned,
        "xai/grok": Learned(model="xai/grok", source="headers", cap=100.0),
    }
    assert loaded["anthropic/claude-pro"].resets_at == T0 + timedelta(hours=2)


async def test_writes_after_close_fail_loudly(opener: Open) -> None:
    store = opener()
    store.close()
    with pytest.raises(StoreError):
        store.record_sync([event(0)])
    with pytest.raises(StoreError):
        await store.record([event(0)])


def test_history_covers_monthly_budgets() -> None:
    assert timedelta(days=31) <= HISTORY


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from symphony.store.pg_conn import PgConn
    from symphony.windows.ledger import SqliteUsageStore
    from symphony.windows.pg_ledger import PgUsageStore
    from symphony.windows.usage import UsageEvent

    if sys.argv[3] == "sqlite":
        store = SqliteUsageStore(Path(sys.argv[1]))
    else:
        store = PgUsageStore.open(PgConn(sys.argv[4], sys.argv[1]))
    base = datetime(2026, 5, 4, tzinfo=UTC)

    def make(i):
        return UsageEvent(at=base + timedelta(seconds=i), model="m/x", audit_id=str(i))

    async def run_async():
        for i in range(1_000_000):
            await store.record([make(i)])
            print(f"ok {i}", flush=True)

    if sys.argv[2] == "async":
        asyncio.run(run_async())
    else:
        for i in range(1_000_000):
            store.record_sync([make(i)])
            print(f"ok {i}", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_acknowledged_events_survive_kill_9(
    backend: str, place: str, opener: Open, mode: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, place, mode, backend, DATABASE_URL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    acknowledged: list[int] = []
    try:
        while len(acknowledged) < 150:
            line = child.stdout.readline()
            if not line:
                break
            acknowledged.append(int(line.split()[1]))
        child.send_signal(signal.SIGKILL)
        # Read the rest through the same buffered reader: communicate() reads the raw pipe
        # and would skip the lines readline() had already buffered.
        rest = child.stdout.read()
        assert child.stderr is not None
        err = child.stderr.read()
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    acknowledged += [int(line.split()[1]) for line in rest.splitlines() if line.startswith("ok ")]
    assert child.returncode == -signal.SIGKILL, err
    assert len(acknowledged) >= 150, err
    assert acknowledged == list(range(len(acknowledged)))

    store = opener()
    try:
        stored = {e.audit_id for e in store.load_events(datetime(2026, 1, 1, tzinfo=UTC))}
    finally:
        store.close()
    assert {str(i) for i in acknowledged} <= stored


@pytest.mark.skipif(not DATABASE_URL, reason="needs the PostgreSQL scripts/test starts")
async def test_postgresql_commits_concurrent_records_in_batches() -> None:
    """200 requests recording at once: every event durable, in far fewer transactions."""
    schema = f"t_{uuid.uuid4().hex[:12]}_batch"
    store = PgUsageStore.open(PgConn(DATABASE_URL, schema))
    try:
        await asyncio.gather(*(store.record([event(i, audit_id=str(i))]) for i in range(200)))
        store.record_sync([event(500, audit_id="sync")])
        assert store.commits < 100, store.commits  # group commit, not one per record
        assert store.failed_commits == 0
        loaded = store.load_events(T0)
        assert [e.audit_id for e in loaded] == [*(str(i) for i in range(200)), "sync"]
        assert store.where.endswith(f"({schema}.usage_ledger)")
    finally:
        store.close()
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())


@pytest.mark.skipif(not DATABASE_URL, reason="needs the PostgreSQL scripts/test starts")
async def test_postgresql_a_cancelled_record_still_lands_and_the_writer_keeps_going() -> None:
    """A client that goes away mid-record cancels its await, not the write (nor the writer)."""
    schema = f"t_{uuid.uuid4().hex[:12]}_cancel"
    store = PgUsageStore.open(PgConn(DATABASE_URL, schema))
    try:
        tasks = [asyncio.create_task(store.record([event(i, audit_id=str(i))])) for i in range(20)]
        await asyncio.sleep(0)
        for task in tasks[::2]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.record([event(100, audit_id="after")])
        assert {e.audit_id for e in store.load_events(T0)} == {
            *(str(i) for i in range(20)),
            "after",
        }
    finally:
        store.close()
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())
