"""The kill switch through the real app: denied at once, streams cut, persisted, audited."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from security_app import Secured, create_keys, secured
from security_upstream import point_ollama_at, upstream

from symphony.clock import FixedClock
from symphony.settings import Settings

PLAN = {"task": "qa", "input": "hello", "loa": 1}


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> Any:
    async with secured(settings, clock) as s:
        yield s


def candidate(plan: dict[str, Any], model: str) -> dict[str, Any]:
    return next(c for c in plan["candidates"] if c["model"] == model)


async def test_kill_denies_at_once_and_unkill_restores(app: Secured) -> None:
    kill = {"scope": "provider", "target": "anthropic", "reason": "incident 42: runaway spend"}
    r = await app.call("POST", "/control/kill", "operator", json=kill)
    assert r.status_code == 200, r.text
    assert r.json()["kill"]["actor"] == "operator"

    plan = (await app.call("POST", "/route/plan", "client", json=PLAN)).json()
    deny = {d["code"]: d["detail"] for d in candidate(plan, "anthropic/claude-pro")["deny_reasons"]}
    assert "killed" in deny
    assert "provider 'anthropic' killed by operator" in deny["killed"]
    assert "incident 42: runaway spend" in deny["killed"]
    row = (await app.call("GET", "/models/anthropic/claude-pro", "client")).json()
    assert "incident 42" in row["killed"]
    listed = (await app.call("GET", "/control", "operator")).json()["active"]
    assert [(k["scope"], k["target"]) for k in listed] == [("provider", "anthropic")]

    lift = {"scope": "provider", "target": "anthropic", "reason": "fixed"}
    r = await app.call("POST", "/control/unkill", "operator", json=lift)
    assert r.status_code == 200, r.text
    plan = (await app.call("POST", "/route/plan", "client", json=PLAN)).json()
    codes = [d["code"] for d in candidate(plan, "anthropic/claude-pro")["deny_reasons"]]
    assert "killed" not in codes
    assert (await app.call("GET", "/control", "operator")).json()["active"] == []

    kills, unkills = app.events("control.kill"), app.events("control.unkill")
    assert [(e["scope"], e["target"]) for e in kills] == [("provider", "anthropic")]
    assert unkills[0]["actor"] == "operator"
    audit = app.state.audit
    (kill_rec,) = await audit.query(type="control.kill")
    (unkill_rec,) = await audit.query(type="control.unkill")
    assert (kill_rec.actor, kill_rec.payload["reason"]) == ("operator", kill["reason"])
    assert (unkill_rec.actor, unkill_rec.payload["reason"]) == ("operator", "fixed")


async def test_kill_all_makes_plans_fail_with_the_reason(app: Secured) -> None:
    body = {"scope": "all", "reason": "stop everything"}  # scope 'all' is an unbound admin's
    assert (await app.call("POST", "/control/kill", "operator", json=body)).status_code == 403
    assert (await app.call("POST", "/control/kill", "admin", json=body)).status_code == 200
    r = await app.call("POST", "/route/plan", "client", json=PLAN)
    assert r.status_code == 409
    for cand in r.json()["candidates"]:
        assert "killed" in [d["code"] for d in cand["deny_reasons"]]
    # The denied decision is audited too.
    records = await app.state.audit.query(type="route.plan")
    assert records[0].payload["outcome"] == "no_eligible_model"
    assert "killed" in records[0].payload["denied"]["local/ollama"]


async def test_kill_validates_scope_and_target(app: Secured) -> None:
    cases = [
        ({"scope": "model", "target": "nope/model", "reason": "x"}, "unknown model 'nope/model'"),
        ({"scope": "provider", "reason": "x"}, "required when scope is 'provider'"),
        ({"scope": "all", "target": "x", "reason": "x"}, "must be omitted"),
    ]
    for body, message in cases:
        r = await app.call("POST", "/control/kill", "admin", json=body)
        assert r.status_code == 422, r.text
        assert message in r.json()["error"]["message"]
    r = await app.call(
        "POST", "/control/unkill", "operator", json={"scope": "tenant", "target": "default"}
    )
    assert r.status_code == 404
    assert "no active kill for tenant 'default'" in r.json()["error"]["message"]
    r = await app.call("POST", "/control/kill", "client", json={"scope": "all", "reason": "x"})
    assert r.status_code == 403


async def test_kill_survives_restart(settings: Settings, clock: FixedClock) -> None:
    keys = create_keys(settings.data_dir, clock)
    async with secured(settings, clock, secrets=keys) as first:
        body = {"scope": "model", "target": "anthropic/claude-pro", "reason": "contract review"}
        assert (await first.call("POST", "/control/kill", "operator", json=body)).status_code == 200
    async with secured(settings, clock, secrets=keys) as second:
        active = (await second.call("GET", "/control", "operator")).json()["active"]
        assert [(k["target"], k["reason"]) for k in active] == [
            ("anthropic/claude-pro", "contract review")
        ]
        plan = (await second.call("POST", "/route/plan", "client", json=PLAN)).json()
        codes = [d["code"] for d in candidate(plan, "anthropic/claude-pro")["deny_reasons"]]
        assert "killed" in codes


def sse_events(text: str) -> list[tuple[str, Any]]:
    out = []
    for frame in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in frame.split("\n")
            if ": " in line and not line.startswith(":")
        )
        if "event" in fields:
            out.append((fields["event"], orjson.loads(fields["data"])))
    return out


async def test_kill_cancels_a_stream_in_flight(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    async with upstream() as up:
        point_ollama_at(policy_dir, up.base_url)
        async with secured(settings, clock) as app:
            body = {**PLAN, "stream": True, "overrides": {"provider_hints": ["local"]}}
            call = asyncio.create_task(app.call("POST", "/route/execute", "client", json=body))
            await asyncio.wait_for(up.first_sent.wait(), 10)
            kill = {"scope": "model", "target": "local/ollama", "reason": "cut it"}
            assert (
                await app.call("POST", "/control/kill", "operator", json=kill)
            ).status_code == 200
            up.release.set()
            r = await asyncio.wait_for(call, 10)
            assert r.status_code == 200, r.text
            events = sse_events(r.text)
            deltas = [data["text"] for kind, data in events if kind == "delta"]
            assert deltas == ["one"]  # nothing after the kill reached the client
            result = next(data for kind, data in events if kind == "result")
            assert result["audit"]["stopped_reason"] == "killed"
            assert result["answer"] == "one"
            record = await app.state.audit.get(result["audit_id"])
            assert record is not None
            assert record.payload["stopped_reason"] == "killed"
            # And the next request is denied before it starts.
            again = await app.call("POST", "/route/execute", "client", json=body)
            assert again.status_code == 409
