"""The usage ledger on PostgreSQL (SYMPHONY_DATABASE_URL): what replica A records is in
replica B's window state once B (re)starts, and a lost server is a 503-style
`BackendUnavailable` naming PostgreSQL that clears by itself when the server is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cut_proxy import CutProxy
from store_backends import DATABASE_URL, REDIS_URL, Place

from app_support import demo_settings, poll_until, running_demo
from symphony.cli import main
from symphony.errors import BackendUnavailable
from symphony.settings import Settings
from symphony.store.pg_conn import PgConn
from symphony.windows.pg_ledger import PgUsageStore
from symphony.windows.state import Learned
from symphony.windows.usage import UsageEvent

pytestmark = pytest.mark.skipif(
    not (REDIS_URL and DATABASE_URL), reason="needs the Redis and PostgreSQL scripts/test starts"
)
QUESTION = {"task": "qa", "input": "what is a cap?", "loa": 1}
T0 = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def shared(tmp: Path, place: Place) -> Settings:
    return demo_settings(tmp).replace(
        redis_url=REDIS_URL, database_url=DATABASE_URL, store_namespace=place.unique
    )


def usage(state: Any) -> dict[str, int]:
    """Requests per model in a replica's in-memory usage index."""
    return {m: len(series.times) for m, series in state.windows.index.by_model.items()}


async def test_replica_b_sees_replica_a_usage_after_it_restarts(
    tmp_path: Path, place: Place
) -> None:
    settings_b = shared(tmp_path / "b", place)
    async with running_demo(shared(tmp_path / "a", place)) as a:
        assert isinstance(a.state.usage_store, PgUsageStore)
        async with running_demo(settings_b) as b:
            assert usage(b.state) == {}
            await a.execute(QUESTION)
            await a.execute(QUESTION)
            recorded = usage(a.state)
            assert sum(recorded.values()) >= 2, recorded
            assert usage(b.state) == {}  # the live index is per replica until it reloads
            learned = Learned(model=next(iter(recorded)), source="learned", cap=7.0)
            await a.state.usage_store.save_learned(learned)
        async with running_demo(settings_b) as b:  # replica B restarts
            assert usage(b.state) == recorded
            assert b.state.windows.learned[learned.model] == learned
    # Neither replica wrote a ledger file: the ledger is the PostgreSQL table.
    assert not (tmp_path / "a" / "data" / "ledger.db").exists()
    assert not (tmp_path / "b" / "data" / "ledger.db").exists()


@pytest.fixture
async def pg_proxy() -> AsyncIterator[CutProxy]:
    url = httpx.URL(DATABASE_URL)
    proxy = await CutProxy(url.host, url.port or 5432).start()
    yield proxy
    await proxy.close()


async def test_postgresql_lost_fails_records_with_backend_unavailable_then_recovers(
    place: Place, pg_proxy: CutProxy
) -> None:
    url = DATABASE_URL.replace("127.0.0.1:5432", f"127.0.0.1:{pg_proxy.port}")
    assert url != DATABASE_URL
    store = PgUsageStore.open(PgConn(url, place.unique, timeout_s=0.5))
    try:
        await store.record([UsageEvent(at=T0, model="a/b", audit_id="before")])
        pg_proxy.cut()
        with pytest.raises(BackendUnavailable) as lost:
            await store.record([UsageEvent(at=T0, model="a/b", audit_id="lost")])
        assert lost.value.code == "backend_unavailable"
        assert "postgresql at postgresql://" in lost.value.message
        assert store.failed_commits >= 1
        assert not store.ping()
        pg_proxy.restore()

        async def recorded() -> bool:  # the pool drops its cut connections by itself
            try:
                await store.record([UsageEvent(at=T0, model="a/b", audit_id="after")])
            except BackendUnavailable:
                return False
            return True

        await poll_until(recorded, "the ledger to record again once PostgreSQL is back")
        assert store.ping()
        assert [e.audit_id for e in store.load_events(T0)] == ["before", "after"]
    finally:
        store.close()


ROOT = Path(__file__).resolve().parents[2]
POLICY = ["--policy", str(ROOT / "config" / "router.policy.yml")]
WINDOWS = ["--windows", str(ROOT / "config" / "model.windows.yml")]


def test_the_cli_records_and_reads_the_postgresql_ledger(
    tmp_path: Path,
    place: Place,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SYMPHONY_DATABASE_URL", DATABASE_URL)
    monkeypatch.setenv("SYMPHONY_STORE_NAMESPACE", place.unique)
    opts = [*POLICY, *WINDOWS, "--data-dir", str(tmp_path / "data")]
    for at in ("2026-05-04T16:10:00Z", "2026-05-04T16:40:00Z"):
        assert main(["usage", "record", "--model", "anthropic/claude-pro", "--at", at, *opts]) == 0
        assert f"({place.unique}.usage_ledger)" in capsys.readouterr().out
    assert main(["windows", "--at", "2026-05-04T17:00:00Z", "--json", *opts]) == 0
    states = {s["model"]: s for s in orjson.loads(capsys.readouterr().out)}
    assert states["anthropic/claude-pro"]["used"] == 2
    assert not (tmp_path / "data" / "ledger.db").exists()
    store = PgUsageStore.open(PgConn(DATABASE_URL, place.unique))  # what a replica loads
    try:
        assert [e.model for e in store.load_events(T0.replace(year=2026, month=5, day=1))] == [
            "anthropic/claude-pro",
            "anthropic/claude-pro",
        ]
    finally:
        store.close()
