"""AuditLog: append/get/query, the chain across restarts, concurrency and write failures."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from symphony.audit import AUDIT_LAYOUT, AUDIT_SCHEMA, AuditLog, verify_chain
from symphony.audit.records import GENESIS_HASH
from symphony.clock import FixedClock
from symphony.errors import StoreError, ValidationFailed
from symphony.store.sqlite import SqliteWriter
from symphony.store.sqlite_log import SqliteLog

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def log(tmp_path: Path, clock: FixedClock) -> Iterator[AuditLog]:
    audit = AuditLog.open(tmp_path, clock)
    yield audit
    audit.close()


async def test_append_returns_the_durable_record_and_get_finds_it(log: AuditLog) -> None:
    rec = await log.append(
        "route.execute", {"model": "gpt-4o", "cost": 0.25}, actor="vscode", tenant="acme"
    )
    assert rec.seq == 1
    assert rec.id.startswith("aud_")
    assert len(rec.id) == 24
    assert rec.prev_hash == GENESIS_HASH
    assert len(rec.hash) == 64
    assert rec.at == T0
    assert await log.get(rec.id) == rec
    assert await log.get("aud_doesnotexist000000") is None
    body = rec.to_dict()
    assert body["at"] == "2025-03-01T12:00:00+00:00"
    assert body["payload"] == {"cost": 0.25, "model": "gpt-4o"}
    assert log.head() == (1, rec.hash)


async def test_records_link_each_to_the_previous(log: AuditLog) -> None:
    first = await log.append("route.plan", {})
    second = await log.append("route.execute", {})
    assert (second.seq, second.prev_hash) == (2, first.hash)


async def test_preallocated_id_is_used(log: AuditLog) -> None:
    audit_id = log.new_id()
    rec = await log.append("route.execute", {"ok": True}, id=audit_id)
    assert rec.id == audit_id
    assert log.new_id() != log.new_id()


async def test_bad_input_is_rejected_before_it_touches_the_chain(log: AuditLog) -> None:
    with pytest.raises(ValidationFailed, match="malformed"):
        await log.append("route.execute", {}, id="not-an-id")
    with pytest.raises(ValidationFailed, match="not JSON-serialisable"):
        await log.append("route.execute", {"x": object()})
    with pytest.raises(ValidationFailed, match="type"):
        await log.append("", {})
    rec = await log.append("route.execute", {})
    assert rec.seq == 1


async def test_payload_is_stored_canonically(log: AuditLog) -> None:
    rec = await log.append("policy.update", {"b": {"z": 1, "a": 2}, "when": T0})
    assert rec.payload == {"b": {"a": 2, "z": 1}, "when": "2025-03-01T12:00:00+00:00"}
    raw = sqlite3.connect(log.path).execute("SELECT payload FROM audit").fetchone()[0]
    assert raw == b'{"b":{"a":2,"z":1},"when":"2025-03-01T12:00:00+00:00"}'


async def test_query_filters_orders_newest_first_and_limits(
    log: AuditLog, clock: FixedClock
) -> None:
    for i in range(5):
        await log.append("route.execute" if i % 2 == 0 else "control.kill", {"i": i}, tenant="t")
        clock.advance(timedelta(minutes=1))
    await log.append("route.plan", {"i": 5}, tenant="other")

    everything = await log.query()
    assert [r.seq for r in everything] == [6, 5, 4, 3, 2, 1]
    executes = await log.query(type="route.execute")
    assert [r.payload["i"] for r in executes] == [4, 2, 0]
    recent = await log.query(since=T0 + timedelta(minutes=3))
    assert [r.seq for r in recent] == [6, 5, 4]
    assert [r.seq for r in await log.query(limit=2)] == [6, 5]
    assert [r.seq for r in await log.query(before_seq=3)] == [2, 1]
    assert [r.seq for r in await log.query(tenant="other")] == [6]
    assert [r.seq for r in log.query_sync(type="control.kill")] == [4, 2]
    for bad in (0, 1001):
        with pytest.raises(ValidationFailed, match="limit"):
            await log.query(limit=bad)


async def test_restart_continues_the_chain(tmp_path: Path, clock: FixedClock) -> None:
    first = AuditLog.open(tmp_path, clock)
    await first.append("key.create", {"name": "a"})
    last = await first.append("key.create", {"name": "b"})
    first.close()

    again = AuditLog.open(tmp_path, clock)
    try:
        assert again.head() == (2, last.hash)
        nxt = await again.append("key.revoke", {"name": "a"})
        assert (nxt.seq, nxt.prev_hash) == (3, last.hash)
        assert again.verify().ok
    finally:
        again.close()


async def test_200_concurrent_appends_form_one_chain_in_few_commits(
    tmp_path: Path, clock: FixedClock
) -> None:
    writer = SqliteWriter(tmp_path / "audit.db", AUDIT_SCHEMA)
    log = AuditLog(SqliteLog(writer, AUDIT_LAYOUT), clock)
    try:
        records = await asyncio.gather(*(log.append("route.execute", {"n": n}) for n in range(200)))
        assert sorted(r.seq for r in records) == list(range(1, 201))
        assert len({r.id for r in records}) == 200
        assert writer.batches < 200
    finally:
        log.close()
    writer.close()
    result = verify_chain(tmp_path / "audit.db")
    assert (result.ok, result.checked, result.head_seq) == (True, 200, 200)


async def test_sync_appends_from_threads_share_the_chain_with_async_ones(log: AuditLog) -> None:
    def cli_worker(w: int) -> None:
        for i in range(25):
            log.append_sync("policy.update", {"w": w, "i": i}, actor="cli")

    threads = [threading.Thread(target=cli_worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    await asyncio.gather(*(log.append("route.execute", {"n": n}) for n in range(100)))
    for t in threads:
        await asyncio.to_thread(t.join)
    result = log.verify()
    assert (result.ok, result.checked) == (True, 200)


def test_append_sync_returns_a_durable_record(tmp_path: Path, clock: FixedClock) -> None:
    log = AuditLog.open(tmp_path, clock)
    rec = log.append_sync("control.kill", {"model": "m"}, actor="ops")
    assert log.get_sync(rec.id) == rec
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.append_sync("control.unkill", {})


async def test_failed_write_does_not_advance_the_chain(log: AuditLog) -> None:
    good = await log.append("route.plan", {})
    with sqlite3.connect(log.path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit WHEN NEW.type = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
        )
    with pytest.raises(StoreError, match="refused by test"):
        await log.append("boom", {})
    assert log.head() == (1, good.hash)

    # A poisoned record in a shared batch fails alone; its neighbours still land.
    results = await asyncio.gather(
        log.append("route.execute", {"n": 1}),
        log.append("boom", {}),
        log.append("route.execute", {"n": 2}),
        return_exceptions=True,
    )
    assert isinstance(results[1], StoreError)
    landed = [r for r in results if not isinstance(r, BaseException)]
    assert sorted(r.seq for r in landed) == [2, 3]
    result = log.verify()
    assert (result.ok, result.checked) == (True, 3)


async def test_another_process_appending_is_tolerated(tmp_path: Path, clock: FixedClock) -> None:
    server = AuditLog.open(tmp_path, clock)
    cli = AuditLog.open(tmp_path, clock)  # its own writer, as a CLI process would have
    try:
        await server.append("route.execute", {})
        cli.append_sync("key.create", {"name": "x"})  # server's in-memory head is now stale
        rec = await server.append("route.execute", {})
        assert rec.seq == 3
        assert server.verify().ok
    finally:
        cli.close()
        server.close()


async def test_hmac_mode_needs_the_same_secret(tmp_path: Path, clock: FixedClock) -> None:
    log = AuditLog.open(tmp_path, clock, hmac_secret="s3cret")
    plain = AuditLog.open(tmp_path / "plain", clock)
    try:
        rec = await log.append("policy.update", {"v": 2})
        twin = await plain.append("policy.update", {"v": 2})
        assert rec.hash != twin.hash  # keyed hash, not plain SHA-256
    finally:
        log.close()
        plain.close()
    db = tmp_path / "audit.db"
    assert verify_chain(db, hmac_secret="s3cret").ok
    wrong = verify_chain(db, hmac_secret="other")
    assert (wrong.ok, wrong.first_bad_seq) == (False, 1)
    assert wrong.problem is not None
    assert "HMAC secret" in wrong.problem
    assert not verify_chain(db).ok
    with pytest.raises(StoreError, match="HMAC secret"):
        AuditLog.open(tmp_path, clock, hmac_secret="other")
