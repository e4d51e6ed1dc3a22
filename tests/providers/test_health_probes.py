"""Health probes judge each upstream by what a healthy one of its protocol answers.

A real local HTTP server plays the upstreams: a 404 from an Anthropic endpoint, a refused
or missing key, a 500, a dead port are all `ok: false` with the reason; the probes log at
DEBUG only (issue 12 item 7).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from app_support import demo_settings, poll_until, running_demo
from symphony.clock import FixedClock
from symphony.policy.loader import load_policy
from symphony.providers.credentials import Credentials
from symphony.providers.health import probe_all

KEY = "sk-test-probe"


def _keyed(request: web.Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {KEY}"


async def openai_models(request: web.Request) -> web.Response:
    if not _keyed(request):
        return web.json_response({"error": {"message": "bad key"}}, status=401)
    return web.json_response({"object": "list", "data": []})


async def anthropic_models(request: web.Request) -> web.Response:
    if request.headers.get("x-api-key") != KEY or not request.headers.get("anthropic-version"):
        return web.json_response({"type": "error"}, status=401)
    return web.json_response({"data": [], "has_more": False})


async def broken(_request: web.Request) -> web.Response:
    return web.Response(status=500, text="boom")


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/openai/v1/models", openai_models)
    app.router.add_get("/anthropic/v1/models", anthropic_models)
    app.router.add_get("/anthropic-b/v1/models", anthropic_models)
    app.router.add_get("/openai-b/v1/models", openai_models)
    app.router.add_get("/broken/v1/models", broken)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def policy(base: str) -> str:
    models = {
        # name: (protocol, base_url, key env)
        "anthropic/good": ("anthropic", f"{base}/anthropic", "PROBE_KEY"),
        "anthropic/v1-suffix": ("anthropic", f"{base}/anthropic/v1", "PROBE_KEY"),
        "anthropic/wrong-url": ("anthropic", f"{base}/elsewhere", "PROBE_KEY"),
        "anthropic/no-key": ("anthropic", f"{base}/anthropic-b", "MISSING_KEY"),
        "openai/good": ("openai", f"{base}/openai/v1", "PROBE_KEY"),
        "openai/bad-key": ("openai", f"{base}/openai-b/v1", "WRONG_KEY"),
        "openai/broken": ("openai", f"{base}/broken/v1", "PROBE_KEY"),
        "openai/dead": ("openai", f"http://127.0.0.1:{_dead_port()}/v1", "PROBE_KEY"),
    }
    lines = ["policy:", "  version: probe-test", "  models:"]
    for name, (protocol, url, env) in models.items():
        lines += [
            f"    - name: {name}",
            "      class: hosted",
            f'      endpoint: {{ protocol: {protocol}, base_url: "{url}", model: "m",'
            f" api_key_env: {env} }}",
            "      quota: { type: dynamic }",
        ]
    return "\n".join(lines) + "\n"


async def test_each_upstream_is_judged_by_its_protocols_healthy_answer(
    upstream: str, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = load_policy(policy(upstream))
    credentials = Credentials({"PROBE_KEY": KEY, "WRONG_KEY": "sk-nope"})
    clock = FixedClock(datetime(2026, 12, 1, 12, tzinfo=UTC))
    caplog.set_level(logging.DEBUG)

    results = await probe_all(snapshot, credentials, clock, timeout_s=5.0)

    by_name = {r["base_url"]: r for r in results.values()}
    verdicts = {name: by_name[spec.endpoint.base_url] for name, spec in (
        (m.name, m) for m in snapshot.models) if spec.endpoint}  # fmt: skip
    up = {name for name, r in verdicts.items() if r["ok"]}
    assert up == {"anthropic/good", "anthropic/v1-suffix", "openai/good"}
    wrong = verdicts["anthropic/wrong-url"]
    assert wrong["status"] == 404
    assert wrong["error"] == (
        f"HTTP 404 from GET {upstream}/elsewhere/v1/models:"
        " base_url does not lead to the anthropic API"
    )
    assert verdicts["anthropic/no-key"]["error"].endswith(": no key (set MISSING_KEY)")
    assert verdicts["anthropic/no-key"]["status"] == 401
    assert verdicts["openai/bad-key"]["error"].endswith(": the key was refused (WRONG_KEY)")
    assert verdicts["openai/broken"]["error"] == (
        f"HTTP 500 from GET {upstream}/broken/v1/models: a healthy openai upstream answers 200"
    )
    dead = verdicts["openai/dead"]
    assert dead["latency_ms"] is None
    assert dead["error"].startswith("GET http://127.0.0.1:")
    assert "ClientConnectorError" in dead["error"]
    for r in verdicts.values():
        assert r["checked_at"] == "2026-12-01T12:00:00Z"

    # Probes say what they did at DEBUG, and nothing (theirs or a client library's) above it.
    probe_lines = [r for r in caplog.records if "health probe" in r.getMessage()]
    assert len(probe_lines) == len(results)
    assert {r.levelno for r in probe_lines} == {logging.DEBUG}
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []


async def test_every_demo_upstream_is_up_by_the_strict_rule(tmp_path: Path) -> None:
    # The simulator answers every protocol's model list as the real upstream does
    # (Anthropic's GET /v1/models included), so the demo's health is all up, honestly.
    settings = demo_settings(tmp_path).replace(health_probe_timeout_s=10.0)
    async with running_demo(settings) as demo:
        services: dict[str, Any] = {}

        async def probed() -> bool:
            nonlocal services
            services = (await demo.client.get("/status/health.json")).json()["services"]
            return all(s["checked_at"] for s in services.values())

        await poll_until(probed, "the first health probe")
    assert "anthropic" in services
    seen = {k: (s["ok"], s.get("status"), s.get("error")) for k, s in services.items()}
    assert seen == dict.fromkeys(services, (True, 200, None))
