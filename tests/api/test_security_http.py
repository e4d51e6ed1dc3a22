"""HTTP hardening through the real app: CORS allowlist, security headers, rate limits, 413."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from security_app import Secured, secured

from symphony.clock import FixedClock
from symphony.settings import Settings

ALLOWED = "http://localhost:5173"
EVIL = "https://evil.example"
SEED_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.example.org; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self' http://127.0.0.1:8787 "
    "http://127.0.0.1:4000 http://127.0.0.1:11434 https://grafana.example.org; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"
)


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> Any:
    async with secured(
        settings,
        clock,
        csp_script_src=("https://cdn.example.org",),
        csp_connect_src=("https://grafana.example.org",),
    ) as s:
        yield s


def cors_headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self' http://127.0.0.1:8787 http://127.0.0.1:4000 http://127.0.0.1:11434; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"
)


def assert_secured(r: httpx.Response, csp: str = SEED_CSP) -> None:
    assert r.headers["content-security-policy"] == csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


async def test_allowed_origin_gets_cors_headers(app: Secured) -> None:
    r = await app.call("GET", "/models", "client", headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "x-symphony-audit-id" in r.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in r.headers
    assert "Origin" in r.headers["vary"]


async def test_disallowed_origin_gets_no_cors_headers(app: Secured) -> None:
    r = await app.call("GET", "/models", "client", headers={"Origin": EVIL})
    assert r.status_code == 200  # CORS is the browser's check; the answer just lacks consent
    assert cors_headers(r) == {}


async def test_preflight_answers_allowed_origins_without_a_key(app: Secured) -> None:
    headers = {
        "Origin": ALLOWED,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    r = await app.call("OPTIONS", "/route/execute", headers=headers)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"]
    assert_secured(r)


async def test_preflight_from_disallowed_origin_is_refused_without_cors_headers(
    app: Secured,
) -> None:
    headers = {"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    r = await app.call("OPTIONS", "/route/execute", headers=headers)
    assert r.status_code == 403
    assert cors_headers(r) == {}
    assert r.json()["error"]["code"] == "cors_forbidden"
    assert EVIL in r.json()["error"]["message"]


async def test_security_headers_on_every_kind_of_response(app: Secured) -> None:
    responses = [
        await app.call("GET", "/status/health.json"),  # public 200
        await app.call("GET", "/models", "client"),  # authenticated 200
        await app.call("GET", "/models"),  # 401
        await app.call("POST", "/policy/reload", "client"),  # 403
        await app.call("GET", "/models/nope/nope", "client"),  # 404
        await app.call("POST", "/route/plan", "client", json={"task": ""}),  # 422
        await app.call("POST", "/route/plan", "client", content=b"x" * (2 * 1024 * 1024 + 1),
                       headers={"content-type": "application/json"}),  # 413
    ]  # fmt: skip
    assert [r.status_code for r in responses] == [200, 200, 401, 403, 404, 422, 413]
    for r in responses:
        assert_secured(r)


async def test_body_limit_is_413_with_json(app: Secured) -> None:
    big = b'{"task": "qa", "input": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = await app.call("POST", "/route/plan", "client", content=big,
                       headers={"content-type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


async def test_docs_page_gets_a_csp_that_lets_it_load(app: Secured) -> None:
    r = await app.call("GET", "/docs")
    assert r.status_code == 200
    assert "https:" not in r.headers["content-security-policy"]  # packaged assets, no CDN
    assert "script-src 'self' 'unsafe-inline';" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


# --- rate limits ------------------------------------------------------------------------------


@pytest.fixture
async def limited(settings: Settings, clock: FixedClock) -> Any:
    # One token per 1000 s: the bucket never refills during a test, whatever the machine load.
    async with secured(settings, clock, rate_limit_rps=0.001, rate_limit_burst=3) as s:
        yield s


def limited_total(app: Secured, scope: str) -> float:
    value = app.state.metrics.registry.get_sample_value(
        "symphony_rate_limited_total", {"scope": scope}
    )
    return float(value or 0.0)


async def test_rate_limit_per_key_answers_429_with_headers(limited: Secured) -> None:
    codes = [(await limited.call("GET", "/models", "client")).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = await limited.call("GET", "/models", "client", headers={"Origin": ALLOWED})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["ratelimit-policy"] == '"default";q=3;w=3000'
    assert r.headers["ratelimit"].startswith('"default";r=0;t=')
    error = r.json()["error"]
    assert error["code"] == "rate_limited"
    assert "key 'client'" in error["message"]
    assert_secured(r, DEFAULT_CSP)
    assert r.headers["access-control-allow-origin"] == ALLOWED  # the browser may read the 429
    # Another key has its own bucket.
    assert (await limited.call("GET", "/models", "operator")).status_code == 200


async def test_rate_limit_event_is_itself_rate_limited_and_counted(limited: Secured) -> None:
    for _ in range(3):
        await limited.call("GET", "/models", "client")
    before = limited_total(limited, "key")
    for _ in range(5):
        assert (await limited.call("GET", "/models", "client")).status_code == 429
    assert limited_total(limited, "key") == before + 5
    events = limited.events("rate.limit")
    assert len(events) == 1  # at most one per key per second
    assert events[0]["scope"] == "key"
    assert events[0]["key"] == "client"
    assert events[0]["path"] == "/models"


async def test_unauthenticated_callers_are_limited_per_ip(limited: Secured) -> None:
    codes = [(await limited.call("GET", "/status/health.json")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert limited_total(limited, "ip") == 1
    # Guessing keys spends the same per-IP bucket: no free brute force.
    bad = {"Authorization": "Bearer sk-sym-" + "y" * 40}
    assert (await limited.call("GET", "/models", headers=bad)).status_code == 429
    # A valid key is its own bucket.
    assert (await limited.call("GET", "/status/health.json", "client")).status_code == 200


async def test_v1_rate_limit_keeps_openai_shape(limited: Secured) -> None:
    for _ in range(3):
        await limited.call("GET", "/v1/models", "client")
    r = await limited.call("GET", "/v1/models", "client")
    assert r.status_code == 429
    assert r.json()["error"]["type"] == "rate_limit_error"
    assert r.json()["error"]["code"] == "rate_limited"


async def test_open_demo_mode_adds_headers_but_no_auth(harness: Any) -> None:
    r = await harness.client.get("/models")
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
