"""Tenant walls: a tenant-bound key sees and acts on its own tenants only (issue 11, item 4).

Each test is one leak found by attacking a server with auth on: another tenant's events on
/events, a tenant-bound operator killing another tenant or everything, /status/burndown.json
summing every tenant, and a key bound to one tenant refused (403) when it named none.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from security_app import Secured, edit_yaml, secured

from contract_check import contract_checked
from symphony.clock import FixedClock
from symphony.events.facts import (
    BudgetUpdated,
    IncidentOpened,
    JobQueued,
    KeyCreated,
    Killed,
    PolicyRejected,
    PolicyUpdated,
    RateLimited,
    RouteFailed,
    RoutePlanned,
    WindowUpdated,
)
from symphony.events.visibility import visible
from symphony.settings import Settings
from symphony.windows.usage import UsageEvent

PLAN = {"task": "qa", "input": "hello", "loa": 1}


def acme_on_ollama(policy_dir: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["tenants"]["acme"] = {"loa_max": 2, "allow_models": ["local/ollama"]}

    edit_yaml(policy_dir / "router.policy.yml", change)


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, policy_dir: Path) -> AsyncIterator[Secured]:
    acme_on_ollama(policy_dir)
    async with secured(settings, clock) as s:
        for name, role in (("operator-acme", "operator"), ("approver-acme", "approver")):
            _, secret = s.state.keys.create(name=name, role=role, tenants=["acme"])
            s.secrets[name] = secret
        yield s


def planned(tenant: str) -> RoutePlanned:
    return RoutePlanned(
        plan_id="p", task="qa", tenant=tenant, loa=1, model="local/ollama", fallbacks=[], denied={}
    )


def test_visibility_of_every_fact_type() -> None:
    acme = frozenset({"acme"})
    cases: list[tuple[Any, bool]] = [
        (planned("acme"), True),
        (planned("default"), False),
        (RouteFailed(route="/r", code="c", audit_id="a", attempts=1, model=None, rule=None,
                     latency_ms=1.0, tenant="default"), False),
        (RouteFailed(route="/r", code="c", audit_id="a", attempts=1, model=None, rule=None,
                     latency_ms=1.0), False),  # no tenant: not shown to a walled key
        (Killed(scope="tenant", target="default", reason="r", actor="a", at="t"), False),
        (Killed(scope="tenant", target="acme", reason="r", actor="a", at="t"), True),
        (Killed(scope="provider", target="anthropic", reason="r", actor="a", at="t"), True),
        (KeyCreated(key_id="k", name="n", role="client", tenants=[]), False),
        (PolicyRejected(trigger="api", errors=["x"], kept_version="v"), False),
        (PolicyUpdated(trigger="api", version="v"), True),
        (RateLimited(scope="key", retry_after_s=1.0, key="someone", path="/x"), False),
        (RateLimited(scope="upstream", retry_after_s=1.0, model="m", tenant="default"), False),
        (RateLimited(scope="upstream", retry_after_s=1.0, model="m", tenant="acme"), True),
        (WindowUpdated(model="m", source="headers"), True),
        (WindowUpdated(model="m", source="usage", tenant="default"), False),
        (IncidentOpened(incident_id="i", key="slo:x", source="slo", title="t", severity="p1",
                        episode=1, actions=[]), False),  # incidents are the operators'
        (JobQueued(job_id="j", tenant="acme", run="asap", next_run_at=None), True),
        (JobQueued(job_id="j", tenant="default", run="asap", next_run_at=None), False),
        (BudgetUpdated(tenant="default", budget="tenant:daily:usd", period="daily", unit="usd",
                       provider=None, spent=1.0, limit=2.0, fraction=0.5, threshold=0.5,
                       reason="threshold", resets_at="t"), False),
    ]  # fmt: skip
    for fact, shown in cases:
        assert visible(fact.TYPE, fact.payload(), acme) is shown, fact
        assert visible(fact.TYPE, fact.payload(), None) is True


@contextlib.asynccontextmanager
async def live(app_: Any) -> AsyncIterator[str]:
    config = uvicorn.Config(
        contract_checked(app_, raise_violations=False),
        log_level="warning",
        lifespan="off",  # the app's lifespan already runs under the ASGI harness
        access_log=False,
    )
    config.install_signal_handlers = False  # type: ignore[attr-defined]
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.025)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


async def replayed(base: str, secret: str, until: str) -> list[dict[str, Any]]:
    """Every event replayed from id 0 until (and with) the first of type `until`."""
    out: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {secret}", "Last-Event-ID": "0"}
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("GET", f"{base}/events", headers=headers) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                event = orjson.loads(line[6:])
                out.append(event)
                if event["type"] == until:
                    return out
    raise AssertionError("stream ended early")


async def test_events_are_walled_by_the_keys_tenants(app: Secured) -> None:
    bus = app.state.bus
    bus.emit(planned("default"))
    bus.emit(planned("acme"))
    bus.emit(Killed(scope="tenant", target="default", reason="r", actor="a", at="t"))
    bus.emit(PolicyRejected(trigger="api", errors=["router.policy.yml:3: x"], kept_version="v"))
    bus.emit(PolicyUpdated(trigger="api", version="end"))
    async with live(app.app) as base:
        acme = await replayed(base, app.secrets["client-acme"], "policy.update")
        default = await replayed(base, app.secrets["client"], "policy.update")
        operator = await replayed(base, app.secrets["operator"], "policy.update")
    assert [(e["type"], e.get("tenant")) for e in acme if e["type"] != "key.created"] == [
        ("route.plan", "acme"),
        ("policy.update", None),
    ]
    assert all(e["type"] != "key.created" for e in acme)
    assert {e.get("tenant") for e in default if e["type"] == "route.plan"} == {"default"}
    assert any(e["type"] == "control.kill" for e in default)  # its own tenant's kill
    assert not any(e["type"] == "policy.rejected" for e in default)
    assert {e.get("tenant") for e in operator if e["type"] == "route.plan"} == {"default", "acme"}
    assert any(e["type"] == "policy.rejected" for e in operator)


async def test_a_tenant_bound_operator_switches_only_its_tenant(app: Secured) -> None:
    def kill(scope: str, target: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"scope": scope, "reason": "drill"}
        if target is not None:
            body["target"] = target
        return body

    ops = "operator-acme"
    r = await app.call("POST", "/control/kill", ops, json=kill("tenant", "default"))
    assert r.status_code == 403
    assert "may not act for tenant 'default'" in r.json()["error"]["message"]
    r = await app.call("POST", "/control/kill", ops, json=kill("all"))
    assert r.status_code == 403
    assert "needs an admin key not bound to tenants" in r.json()["error"]["message"]
    for scope, target in (("provider", "anthropic"), ("model", "local/ollama")):
        r = await app.call("POST", "/control/kill", ops, json=kill(scope, target))
        assert r.status_code == 403, r.text
        assert "bound to tenants acme" in r.json()["error"]["message"]
    r = await app.call("POST", "/control/kill", ops, json=kill("tenant", "acme"))
    assert r.status_code == 200, r.text
    # An unbound operator may not kill everything either: that is an admin's.
    assert (
        await app.call("POST", "/control/kill", "operator", json=kill("all"))
    ).status_code == 403
    r = await app.call("POST", "/control/kill", "operator", json=kill("tenant", "default"))
    assert r.status_code == 200
    listed = (await app.call("GET", "/control", ops)).json()["active"]
    assert [(k["scope"], k["target"]) for k in listed] == [("tenant", "acme")]
    r = await app.call(
        "POST", "/control/unkill", ops, json={"scope": "tenant", "target": "default"}
    )
    assert r.status_code == 403
    r = await app.call("POST", "/control/unkill", ops, json={"scope": "tenant", "target": "acme"})
    assert r.status_code == 200
    assert (await app.call("POST", "/control/kill", "admin", json=kill("all"))).status_code == 200
    assert sorted(k.scope for k in app.state.killswitch.active()) == ["all", "tenant"]


async def test_a_tenant_bound_key_cannot_act_on_every_tenant(app: Secured) -> None:
    body = {"remaining": 3, "resets_at": "2030-01-01T00:00:00Z", "note": "seen in the console"}
    r = await app.call("POST", "/windows/local/ollama/observe", "operator-acme", json=body)
    assert r.status_code == 403
    assert "observing a model's window" in r.json()["error"]["message"]
    r = await app.call("POST", "/windows/local/ollama/observe", "operator", json=body)
    assert r.status_code == 200
    assert (await app.call("POST", "/policy/reload", "operator-acme")).status_code == 403
    r = await app.call("POST", "/policy/proposals/prop_x/approve", "approver-acme")
    assert r.status_code == 403
    assert (await app.call("GET", "/policy/proposals", "approver-acme")).status_code == 403
    assert (await app.call("GET", "/policy/proposals", "approver-1")).status_code == 200
    assert (await app.call("GET", "/policy", "client-acme")).json()["tenants"] == ["acme"]


async def test_burndown_counts_only_the_keys_tenants(app: Secured, clock: FixedClock) -> None:
    index = app.state.windows.index
    at = clock.now() - timedelta(seconds=5)
    index.add(UsageEvent(at=at, model="local/ollama", tenant="default", requests=1, cost_usd=1.0))
    index.add(UsageEvent(at=at, model="local/ollama", tenant="acme", requests=1, cost_usd=0.25))
    index.add(
        UsageEvent(at=at, model="anthropic/claude-pro", tenant="default", requests=1, cost_usd=2.0)
    )
    everyone = (await app.call("GET", "/status/burndown.json", "operator")).json()["windows"]["h1"]
    assert everyone["local/ollama"]["cost_usd"] == 1.25
    assert everyone["anthropic/claude-pro"]["requests"] == 1
    acme = (await app.call("GET", "/status/burndown.json", "client-acme")).json()["windows"]["h1"]
    assert list(acme) == ["local/ollama"]  # only the models acme may use
    assert acme["local/ollama"]["cost_usd"] == 0.25
    assert acme["local/ollama"]["requests"] == 1
    default = (await app.call("GET", "/status/burndown.json", "client")).json()["windows"]["h1"]
    assert default["local/ollama"]["cost_usd"] == 1.0


async def test_a_key_bound_to_one_tenant_uses_it_when_the_request_names_none(
    app: Secured,
) -> None:
    r = await app.call("POST", "/route/plan", "client-acme", json=PLAN)
    assert r.status_code in (200, 409), r.text  # planned for acme, not refused for 'default'
    assert r.json()["policy"]["tenant"] == "acme"
    r = await app.call("GET", "/models", "client-acme")
    assert r.status_code == 200
    r = await app.call("POST", "/route/plan", "client-acme", json={**PLAN, "tenant": "default"})
    assert r.status_code == 403
    r = await app.call("POST", "/route/plan", "client", json=PLAN)
    assert r.json()["policy"]["tenant"] == "default"
