"""Status JSON for agents: health (never blocked by dead upstreams) and burndown buckets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from app_support import running_app
from symphony.clock import FixedClock
from symphony.settings import Settings
from symphony.windows.usage import UsageEvent


async def test_health_lists_every_upstream_at_once(harness: Any) -> None:
    response = await harness.client.get("/status/health.json")
    assert response.status_code == 200
    body = response.json()
    assert {"ollama", "litellm"} <= set(body["services"])
    assert body["policy_loaded"] is True
    assert body["policy_version"] == harness.state.policy.snapshot.version
    assert body["store"] == {"ok": True}
    assert body["generated_at"] == "2026-11-22T17:00:00Z"
    for name, service in body["services"].items():
        assert {"ok", "latency_ms", "checked_at"} <= set(service), name


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers (a hung upstream)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_health_answers_while_upstreams_hang_or_are_dead(
    settings: Settings, clock: FixedClock, policy_dir: Path, black_hole: int
) -> None:
    path = policy_dir / "router.policy.yml"
    doc = yaml.safe_load(path.read_text())
    for model in doc["policy"]["models"]:
        if model["name"] == "local/ollama":
            model["endpoint"]["base_url"] = f"http://127.0.0.1:{black_hole}/v1"
        elif model["name"] == "litellm/proxy":
            model["endpoint"]["base_url"] = "http://127.0.0.1:9/v1"  # nothing listens
        elif "endpoint" in model:
            del model["endpoint"]  # keep this test off the internet
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    fast_probes = settings.replace(health_probe_timeout_s=0.3)
    async with running_app(fast_probes, clock=clock) as (_app, client):
        first = await client.get("/status/health.json")
        assert first.status_code == 200
        assert set(first.json()["services"]) == {"ollama", "litellm"}
        # Wait (bounded) for the background probe to report both as down.
        deadline = time.monotonic() + 10
        while True:
            services = (await client.get("/status/health.json")).json()["services"]
            if all(s["checked_at"] for s in services.values()) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    assert services["ollama"]["ok"] is False
    assert services["ollama"]["error"]  # timed out
    assert services["litellm"]["ok"] is False
    assert services["litellm"]["error"]  # refused
    assert services["litellm"]["base_url"] == "http://127.0.0.1:9/v1"


async def test_burndown_has_minute_hour_and_day_buckets(harness: Any) -> None:
    clock: FixedClock = harness.state.clock
    now = clock.now()
    windows = harness.state.windows
    # A day ago-ish, an hour ago-ish, and just now.
    await windows.record(
        UsageEvent(
            now - timedelta(hours=5),
            "anthropic/claude-pro",
            requests=1,
            prompt_tokens=1000,
            completion_tokens=200,
            cost_usd=0.006,
        )
    )
    await windows.record(
        UsageEvent(
            now - timedelta(minutes=30),
            "anthropic/claude-pro",
            requests=2,
            prompt_tokens=300,
            completion_tokens=100,
            cost_usd=0.0024,
        )
    )
    await windows.record(
        UsageEvent(
            now - timedelta(seconds=20),
            "anthropic/claude-pro",
            requests=1,
            prompt_tokens=40,
            completion_tokens=10,
            cost_usd=0.00027,
        )
    )
    await windows.record(
        UsageEvent(
            now - timedelta(seconds=5),
            "local/ollama",
            requests=3,
            prompt_tokens=90,
            completion_tokens=30,
        )
    )

    body = (await harness.client.get("/status/burndown.json")).json()
    assert body["generated_at"] == "2026-11-22T17:00:00Z"
    assert set(body["windows"]) == {"m1", "h1", "d1"}
    m1, h1, d1 = (body["windows"][k]["anthropic/claude-pro"] for k in ("m1", "h1", "d1"))
    assert (m1["requests"], m1["tokens"]) == (1, 50)
    assert (h1["requests"], h1["tokens"]) == (3, 450)
    assert (d1["requests"], d1["tokens"]) == (4, 1650)
    assert d1["cost_usd"] == pytest.approx(0.00867)
    for bucket in (m1, h1, d1):
        assert set(bucket) == {"requests", "tokens", "cost_usd", "cap", "remaining"}
        assert bucket["cap"] == 45
    assert body["windows"]["m1"]["local/ollama"]["requests"] == 3
    # Every model appears in every bucket, used or not.
    names = {m.name for m in harness.state.policy.snapshot.models}
    for key in ("m1", "h1", "d1"):
        assert set(body["windows"][key]) == names

    # Two minutes later the minute bucket is empty and the hour still counts.
    clock.advance(timedelta(minutes=2))
    later = (await harness.client.get("/status/burndown.json")).json()["windows"]
    assert later["m1"]["anthropic/claude-pro"]["requests"] == 0
    assert later["h1"]["anthropic/claude-pro"]["requests"] == 3
    # A day later none of it is left in d1.
    clock.advance(timedelta(days=1))
    tomorrow = (await harness.client.get("/status/burndown.json")).json()["windows"]
    assert tomorrow["d1"]["anthropic/claude-pro"]["requests"] == 0
