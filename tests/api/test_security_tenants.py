"""Per-tenant keys: a client key cannot plan, execute, chat or read the matrix as another tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from security_app import Secured, add_tenant_acme, secured

from symphony.clock import FixedClock
from symphony.settings import Settings


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, policy_dir: Path) -> Any:
    add_tenant_acme(policy_dir)
    async with secured(settings, clock) as s:
        yield s


def assert_tenant_refused(body: dict[str, Any], tenant: str) -> None:
    error = body["error"]
    assert error["code"] == "forbidden"
    assert f"key 'client-acme' may not act for tenant '{tenant}'" in error["message"]
    assert "allowed: acme" in error["message"]


async def test_bound_key_plans_for_its_tenant_only(app: Secured) -> None:
    mine = await app.call(
        "POST", "/route/plan", "client-acme", json={"task": "qa", "tenant": "acme"}
    )
    assert mine.status_code == 200, mine.text
    other = await app.call(
        "POST", "/route/plan", "client-acme", json={"task": "qa", "tenant": "default"}
    )
    assert other.status_code == 403
    assert_tenant_refused(other.json(), "default")
    # Omitting the tenant with a key bound to exactly one tenant means that tenant.
    implicit = await app.call("POST", "/route/plan", "client-acme", json={"task": "qa"})
    assert implicit.status_code == 200, implicit.text
    assert implicit.json()["policy"]["tenant"] == "acme"


async def test_bound_key_cannot_execute_as_another_tenant(app: Secured) -> None:
    body = {"task": "qa", "input": "hi", "tenant": "default"}
    r = await app.call("POST", "/route/execute", "client-acme", json=body)
    assert r.status_code == 403
    assert_tenant_refused(r.json(), "default")
    assert await app.state.audit.query(type="route.execute") == []


@pytest.mark.parametrize("how", ["header", "metadata"])
async def test_bound_key_cannot_chat_as_another_tenant(app: Secured, how: str) -> None:
    body: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    headers = {}
    if how == "header":
        headers["x-symphony-tenant"] = "default"
    else:
        body["metadata"] = {"tenant": "default"}
    r = await app.call("POST", "/v1/chat/completions", "client-acme", json=body, headers=headers)
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["type"] == "permission_error"  # OpenAI's shape under /v1
    assert error["code"] == "forbidden"
    assert "tenant 'default'" in error["message"]


async def test_bound_key_reads_its_tenants_matrix_only(app: Secured) -> None:
    assert (await app.call("GET", "/models?tenant=acme", "client-acme")).status_code == 200
    r = await app.call("GET", "/models?tenant=default", "client-acme")
    assert r.status_code == 403
    assert_tenant_refused(r.json(), "default")
    r = await app.call("GET", "/models/local/ollama?tenant=default", "client-acme")
    assert r.status_code == 403


async def test_unbound_client_key_is_the_default_tenant_only(app: Secured) -> None:
    ok = await app.call("POST", "/route/plan", "client", json={"task": "qa", "tenant": "default"})
    assert ok.status_code == 200
    r = await app.call("POST", "/route/plan", "client", json={"task": "qa", "tenant": "acme"})
    assert r.status_code == 403
    assert "tenant 'acme'" in r.json()["error"]["message"]


async def test_operator_key_spans_tenants(app: Secured) -> None:
    for tenant in ("default", "acme"):
        r = await app.call("POST", "/route/plan", "operator", json={"task": "qa", "tenant": tenant})
        assert r.status_code == 200, r.text
