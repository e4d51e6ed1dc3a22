"""API keys and roles through the real app: 401/403 with clear JSON, public paths, route map."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from security_app import Secured, secured
from starlette.responses import PlainTextResponse

from symphony.api.permissions import (
    PUBLIC,
    ROUTE_PERMISSIONS,
    RouteTable,
    app_routes,
    guard_for,
)
from symphony.app import create_app
from symphony.clock import FixedClock
from symphony.security.keys import KeyStore
from symphony.settings import Settings

PLAN = {"task": "qa", "input": "hello", "loa": 1}


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> Any:
    async with secured(settings, clock) as s:
        yield s


def test_every_route_is_mapped_to_a_permission(settings: Settings) -> None:
    app = create_app(settings)
    unmapped = []
    for path, methods in app_routes(app):
        for method in methods or {"*"}:
            verb = "GET" if method == "HEAD" else method
            guard = guard_for(f"{verb} {path}", path, settings.public_paths)
            if guard.permission.startswith("unmapped"):
                unmapped.append(f"{verb} {path}")
    assert unmapped == [], "map these routes in symphony.api.security.ROUTE_PERMISSIONS"
    # And the map names no route that does not exist (stale entries hide mistakes).
    served = {f"{m} {p}" for p, ms in app_routes(app) for m in (ms or ("*",))}  # mounts: *
    assert sorted(set(ROUTE_PERMISSIONS) - served) == []


def test_route_table_resolves_templates_and_public_prefixes(settings: Settings) -> None:
    routes = [*app_routes(create_app(settings)), ("/console", {"GET"})]
    table = RouteTable(routes, settings.public_paths)
    assert table.lookup("GET", "/models/anthropic/claude-pro").need == "client"
    assert table.lookup("POST", "/windows/anthropic/claude-pro/observe").need == "operator"
    assert table.lookup("POST", "/policy/proposals/prop_x/approve").need == "approver"
    assert table.lookup("GET", "/audit/aud_x").need == "operator"
    assert table.lookup("GET", "/status/health.json").need is None
    assert table.lookup("HEAD", "/metrics").need == "client"  # a key or the scrape token
    assert table.lookup("GET", "/console").need is None
    assert table.lookup("GET", "/console/static/app.js").need is None
    assert table.lookup("GET", "/openapi.json").need is None
    assert table.lookup("GET", "/no/such/path").need == "client"
    assert ROUTE_PERMISSIONS["GET /openapi.json"] == PUBLIC


async def test_missing_key_is_401_with_bearer_challenge(app: Secured) -> None:
    r = await app.call("POST", "/route/plan", json=PLAN)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    error = r.json()["error"]
    assert error["code"] == "unauthorized"
    assert "Authorization: Bearer" in error["message"]


async def test_invalid_key_is_401_naming_it_invalid(app: Secured) -> None:
    headers = {"Authorization": "Bearer sk-sym-" + "x" * 40}
    r = await app.call("POST", "/route/plan", json=PLAN, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "invalid or revoked API key"
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


async def test_bearer_and_x_api_key_both_authenticate(app: Secured) -> None:
    r = await app.call("POST", "/route/plan", "client", json=PLAN)
    assert r.status_code == 200, r.text
    r = await app.call(
        "POST", "/route/plan", json=PLAN, headers={"x-api-key": app.secrets["client"]}
    )
    assert r.status_code == 200, r.text
    r = await app.call(
        "GET", "/v1/models", headers={"authorization": "bearer " + app.secrets["client"]}
    )
    assert r.status_code == 200


async def test_revoked_key_is_refused_at_once(app: Secured) -> None:
    assert (await app.call("GET", "/models", "client")).status_code == 200
    app.state.keys.revoke("client")
    r = await app.call("GET", "/models", "client")
    assert r.status_code == 401


async def test_key_created_by_another_process_works_without_restart(
    app: Secured, settings: Settings, clock: FixedClock
) -> None:
    other = KeyStore.open(settings.data_dir, clock)  # what `symphony keys create` does
    try:
        _, secret = other.create(name="late", role="operator")
    finally:
        other.close()
    r = await app.call("GET", "/control", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text


CASES = [
    # (method, path, body, least role)
    ("POST", "/route/plan", PLAN, "client"),
    ("GET", "/models", None, "client"),
    ("GET", "/v1/models", None, "client"),
    ("GET", "/status/burndown.json", None, "client"),
    ("GET", "/policy", None, "client"),
    ("POST", "/policy/reload", None, "operator"),
    ("GET", "/control", None, "operator"),
    ("GET", "/audit", None, "operator"),
    ("GET", "/policy/proposals", None, "operator"),
    ("POST", "/policy/proposals/prop_nope/approve", None, "approver"),
]
ORDER = ["client", "operator", "approver-1", "admin"]
RANK = {"client": 0, "operator": 1, "approver": 2, "admin": 3}


@pytest.mark.parametrize(("method", "path", "body", "least"), CASES)
async def test_roles_are_ordered(
    app: Secured, method: str, path: str, body: dict[str, Any] | None, least: str
) -> None:
    for name in ORDER:
        role = name.split("-")[0]
        r = await app.call(method, path, name, json=body)
        if RANK[role] < RANK[least]:
            assert r.status_code == 403, (name, r.text)
            error = r.json()["error"]
            assert error["code"] == "forbidden"
            assert error["required_role"] == least
            assert f"needs the {least} role" in error["message"]
            assert f"key '{name}' has the {role} role" in error["message"]
        else:
            assert r.status_code not in (401, 403), (name, r.text)


async def test_public_paths_need_no_key(app: Secured) -> None:
    for path in ("/status/health.json", "/openapi.json", "/docs"):
        r = await app.call("GET", path)
        assert r.status_code == 200, path


async def test_metrics_need_a_key_or_the_scrape_token_by_default(
    settings: Settings, clock: FixedClock
) -> None:
    token = "scrape-" + "x" * 32
    async with secured(settings, clock, metrics_token=token) as s:
        assert (await s.call("GET", "/metrics")).status_code == 401  # names tenants and cost
        wrong = {"Authorization": "Bearer scrape-wrong"}
        assert (await s.call("GET", "/metrics", headers=wrong)).status_code == 401
        r = await s.call("GET", "/metrics", "client")
        assert r.status_code == 200
        assert "symphony_rate_limited_total" in r.text
        r = await s.call("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        assert "symphony_rate_limited_total" in r.text
        # The token opens /metrics only.
        r = await s.call("GET", "/models", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert (await s.call("GET", "/status/health.json")).status_code == 200


async def test_metrics_public_opens_it_on_a_private_network(
    settings: Settings, clock: FixedClock
) -> None:
    async with secured(settings, clock, metrics_public=True) as s:
        assert (await s.call("GET", "/metrics")).status_code == 200
        assert (await s.call("GET", "/models")).status_code == 401


async def test_unknown_paths_need_a_key_before_their_404(app: Secured) -> None:
    assert (await app.call("GET", "/nope")).status_code == 401
    r = await app.call("GET", "/nope", "client")
    assert r.status_code == 404
    assert (await app.call("GET", "/route/plan", "client")).status_code == 405


async def test_v1_errors_keep_openai_shape(app: Secured) -> None:
    r = await app.call("POST", "/v1/chat/completions", json={"model": "auto", "messages": []})
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == "unauthorized"
    assert error["param"] is None


async def test_v1_messages_takes_x_api_key_and_answers_anthropic_errors(app: Secured) -> None:
    body = {"model": "acme/none", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    version = {"anthropic-version": "2023-06-01"}
    r = await app.call("POST", "/v1/messages", json=body, headers=version)
    assert r.status_code == 401
    assert r.json()["type"] == "error"
    assert r.json()["error"]["type"] == "authentication_error"
    # The key in x-api-key (what the Anthropic SDKs send): authenticated, then the route's 404.
    headers = {**version, "x-api-key": app.secrets["client"]}
    r = await app.call("POST", "/v1/messages", json=body, headers=headers)
    assert r.status_code == 404
    assert r.json() == {
        "type": "error",
        "error": {
            "type": "not_found_error",
            "message": "model: acme/none (not a chat model in Symphony's policy)",
        },
    }


async def test_unmapped_route_needs_admin(settings: Settings, clock: FixedClock) -> None:
    def add_route(app: FastAPI) -> None:
        async def secret_page() -> PlainTextResponse:
            return PlainTextResponse("ok")

        # Declared as text (the contract check holds test routes to their declarations too).
        app.add_api_route(
            "/zz-unmapped", secret_page, methods=["GET"], response_class=PlainTextResponse
        )

    async with secured(settings, clock, prepare=add_route) as s:
        r = await s.call("GET", "/zz-unmapped", "approver-1")
        assert r.status_code == 403
        assert r.json()["error"]["required_role"] == "admin"
        assert "unmapped route GET /zz-unmapped" in r.json()["error"]["message"]
        assert (await s.call("GET", "/zz-unmapped", "admin")).status_code == 200


async def test_actor_is_recorded_from_the_key(app: Secured) -> None:
    r = await app.call("POST", "/route/plan", "client", json=PLAN)
    plan_id = r.json()["plan_id"]
    records = await app.state.audit.query(type="route.plan")
    mine = [rec for rec in records if rec.payload.get("plan_id") == plan_id]
    assert [rec.actor for rec in mine] == ["client"]
