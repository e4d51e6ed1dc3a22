"""The app on shared stores (SYMPHONY_REDIS_URL, SYMPHONY_DATABASE_URL): it runs with its
audit chain and keys in PostgreSQL and its kill switch and rate limits in Redis; when a
backend goes away requests get a 503 naming it, health says so, and it recovers by itself.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cut_proxy import CutProxy
from store_backends import DATABASE_URL, REDIS_URL, Place

from app_support import demo_settings, poll_until, running_app, running_demo
from symphony.audit.log import AuditLog
from symphony.audit.queries import AUDIT_LAYOUT, AUDIT_PG_SCHEMA
from symphony.clock import SystemClock
from symphony.errors import BackendUnavailable
from symphony.settings import Settings
from symphony.store.pg_conn import PgConn
from symphony.store.pg_log import PgLog

pytestmark = pytest.mark.skipif(
    not (REDIS_URL and DATABASE_URL), reason="needs the Redis and PostgreSQL scripts/test starts"
)
QUESTION = {"task": "qa", "input": "what is a cap?", "loa": 1}


def shared(tmp: Path, place: Place, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "database_url": DATABASE_URL,
        "store_namespace": place.unique,
    }
    return demo_settings(tmp).replace(**{**values, **changes})


@pytest.fixture
async def redis_proxy() -> AsyncIterator[CutProxy]:
    url = httpx.URL(REDIS_URL)
    proxy = await CutProxy(url.host, url.port or 6379).start()
    yield proxy
    await proxy.close()


async def test_a_demo_request_lands_in_the_postgresql_audit_chain(
    tmp_path: Path, place: Place
) -> None:
    async with running_demo(shared(tmp_path, place)) as demo:
        assert demo.state.stores.kind == "redis+postgresql"
        result = await demo.execute(QUESTION)

        async def both_ok() -> bool:
            body = (await demo.client.get("/status/health.json")).json()
            return set(body["backends"]) == {"redis", "postgresql"} and body["store"]["ok"]

        await poll_until(both_ok, "health to report both backends up")
        record_id = result.get("audit_id")
    # Another process (here: a fresh pool) reads the same chain, and it verifies.
    log = PgLog.open(PgConn(DATABASE_URL, place.unique), AUDIT_LAYOUT, AUDIT_PG_SCHEMA)
    audit = AuditLog(log, SystemClock())
    try:
        types = [r.type for r in audit.query_sync(limit=100)]
        assert "route.execute" in types, types
        assert audit.verify().ok
        if record_id:
            assert audit.get_sync(record_id) is not None
    finally:
        audit.close()
        log.close()


async def test_a_kill_made_on_one_replica_reaches_the_other(tmp_path: Path, place: Place) -> None:
    async with (
        running_demo(shared(tmp_path / "a", place)) as a,
        running_demo(shared(tmp_path / "b", place)) as b,
    ):
        await a.state.control.kill("all", None, reason="scale-out test", actor="test")

        async def b_sees_it() -> bool:
            return bool(b.state.killswitch.active())

        await poll_until(b_sees_it, "replica B to pick up replica A's kill")


async def test_replica_b_streams_replica_a_events_with_the_same_ids(
    tmp_path: Path, place: Place
) -> None:
    async with (
        running_demo(shared(tmp_path / "a", place)) as a,
        running_demo(shared(tmp_path / "b", place)) as b,
    ):
        await a.execute(QUESTION)

        def executed(demo: Any) -> list[int]:
            return [e.id for e in demo.state.bus.buffer if e.type == "route.execute"]

        async def both_have_it() -> bool:
            return bool(executed(a)) and executed(a) == executed(b)

        await poll_until(both_have_it, "replica B to receive replica A's route.execute")
        # A client of A reconnecting to B with A's Last-Event-ID misses nothing after it.
        first = a.state.bus.buffer[0].id
        _sub, replay, too_old = b.state.bus.feed.subscribe(after=first)
        assert not too_old
        assert [e.id for e in replay] == [e.id for e in list(a.state.bus.buffer)[1:]]


async def test_redis_lost_mid_run_gives_503_then_recovers(
    tmp_path: Path, place: Place, redis_proxy: CutProxy
) -> None:
    settings = shared(
        tmp_path,
        place,
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/15",
        auth_enabled=True,
        store_timeout_s=0.5,
    )
    async with running_app(settings) as (app, client):
        _key, secret = app.state.symphony.keys.create(name="ops", role="operator")
        auth = {"Authorization": f"Bearer {secret}"}
        assert (await client.get("/models", headers=auth)).status_code == 200
        redis_proxy.cut()
        lost = await client.get("/models", headers=auth)
        assert lost.status_code == 503, lost.text
        error = lost.json()["error"]
        assert error["code"] == "backend_unavailable"
        assert "redis at redis://127.0.0.1" in error["message"]

        async def health_says(ok: bool) -> bool:
            body = (await client.get("/status/health.json")).json()  # public: still answers
            redis = body["backends"].get("redis")
            return redis is not None and redis["ok"] is ok and body["store"]["ok"] is ok

        await poll_until(lambda: health_says(False), "health to report redis down")
        redis_proxy.restore()

        async def served() -> bool:
            return (await client.get("/models", headers=auth)).status_code == 200

        await poll_until(served, "requests to succeed again once redis is back")
        await poll_until(lambda: health_says(True), "health to report redis up again")


async def test_an_unreachable_backend_at_start_is_named(tmp_path: Path, place: Place) -> None:
    closed = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with pytest.raises(BackendUnavailable, match=re.escape("redis at redis://127.0.0.1:1/0")):
        await _start(shared(tmp_path, place, redis_url=closed, store_timeout_s=0.5))
    pg = shared(tmp_path, place, database_url="postgresql://127.0.0.1:1/x", store_timeout_s=1)
    with pytest.raises(
        BackendUnavailable, match=re.escape("postgresql at postgresql://127.0.0.1:1/")
    ):
        await _start(pg)


async def _start(settings: Settings) -> None:
    async with running_app(settings):
        pass
