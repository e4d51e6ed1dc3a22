"""Audit through the real app: plan decisions and policy changes recorded; GET /audit[/{id}]."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from security_app import Secured, edit_yaml, model_entry, secured

from symphony.clock import FixedClock
from symphony.settings import Settings

PLAN = {"task": "qa", "input": "hello", "loa": 1}


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> Any:
    async with secured(settings, clock) as s:
        yield s


async def test_plan_decision_is_audited_with_actor_and_tenant(app: Secured) -> None:
    plan = (await app.call("POST", "/route/plan", "client", json=PLAN)).json()
    r = await app.call("GET", "/audit?type=route.plan", "operator")
    assert r.status_code == 200
    (item,) = r.json()["items"]
    assert item["actor"] == "client"
    assert item["tenant"] == "default"
    assert item["payload"]["plan_id"] == plan["plan_id"]
    assert item["payload"]["model"] == plan["decision"]["primary"]["model"]
    assert item["payload"]["outcome"] == "planned"

    one = await app.call("GET", f"/audit/{item['id']}", "operator")
    assert one.status_code == 200
    assert one.json()["hash"] == item["hash"]


async def test_audit_get_unknown_id_is_404_naming_it(app: Secured) -> None:
    r = await app.call("GET", "/audit/aud_doesnotexist", "operator")
    assert r.status_code == 404
    assert "aud_doesnotexist" in r.json()["error"]["message"]


async def test_audit_query_filters_and_pages(app: Secured, clock: FixedClock) -> None:
    for _ in range(3):
        await app.call("POST", "/route/plan", "client", json=PLAN)
    clock.advance(timedelta(hours=1))
    later = clock.now()
    await app.call("POST", "/route/plan", "client", json=PLAN)
    since = later.isoformat().replace("+00:00", "Z")
    recent = (await app.call("GET", f"/audit?type=route.plan&since={since}", "operator")).json()
    assert len(recent["items"]) == 1
    page = (await app.call("GET", "/audit?type=route.plan&limit=2", "operator")).json()
    assert len(page["items"]) == 2
    older = await app.call(
        "GET", f"/audit?type=route.plan&limit=2&before_seq={page['next_before_seq']}", "operator"
    )
    seqs = [i["seq"] for i in page["items"] + older.json()["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == 4


async def test_audit_rejects_naive_since_and_bad_limit(app: Secured) -> None:
    r = await app.call("GET", "/audit?since=2026-11-22T17:00:00", "operator")
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["path"] == "query.since"
    assert (await app.call("GET", "/audit?limit=0", "operator")).status_code == 422
    assert (await app.call("GET", "/audit", "client")).status_code == 403


async def test_policy_change_and_rejection_are_audited(app: Secured, policy_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        model_entry(doc, "local/ollama")["loa_max"] = 1

    edit_yaml(policy_dir / "router.policy.yml", change)
    r = await app.call("POST", "/policy/reload", "operator")
    assert r.json()["changed"] is True
    (record,) = await app.state.audit.query(type="policy.change")
    assert record.actor == "operator"
    assert "policy.models[local/ollama].loa_max: 2 → 1" in record.payload["diff"]

    (policy_dir / "router.policy.yml").write_text("policy: [broken")
    r = await app.call("POST", "/policy/reload", "operator")
    assert r.status_code == 422
    (reject,) = await app.state.audit.query(type="policy.reject")
    assert reject.actor == "operator"
    assert reject.payload["errors"]


async def test_tenant_bound_operator_sees_its_tenant_only(
    settings: Settings, clock: FixedClock
) -> None:
    async with secured(settings, clock) as app:
        store = app.state.keys
        _, secret = store.create(name="ops-acme", role="operator", tenants=["acme"])
        await app.call("POST", "/route/plan", "client", json=PLAN)
        headers = {"Authorization": f"Bearer {secret}"}
        r = await app.call("GET", "/audit?type=route.plan", headers=headers)
        assert r.status_code == 200
        assert r.json()["items"] == []  # the default tenant's plan is not acme's
        r = await app.call("GET", "/audit?tenant=default", headers=headers)
        assert r.status_code == 403


async def test_audit_verify_catches_tampering_with_the_apps_log(
    settings: Settings, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from symphony.cli import main

    async with secured(settings, clock) as app:
        for _ in range(3):
            await app.call("POST", "/route/plan", "client", json=PLAN)
        await app.call("POST", "/control/kill", "admin", json={"scope": "all", "reason": "drill"})
        # 3 plans, the kill, and what the service records itself (the system jobs it queues)
        written = len(await app.state.audit.query(limit=1000))
    assert written >= 4
    data = ["--data-dir", str(settings.data_dir)]
    assert main(["audit", "verify", *data]) == 0
    assert f"audit chain ok: {written} record(s)" in capsys.readouterr().out
    import sqlite3

    with sqlite3.connect(settings.data_dir / "audit.db") as conn:
        rec_id = conn.execute("SELECT id FROM audit WHERE seq = 2").fetchone()[0]
        conn.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 2")
    assert main(["audit", "verify", *data]) == 1
    assert f"record 2 ({rec_id}) was modified" in capsys.readouterr().err
