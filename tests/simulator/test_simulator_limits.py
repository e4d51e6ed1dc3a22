"""Request/token caps: 429s in each provider's real format, and windows that reset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from symphony.clock import FixedClock
from symphony.simulator import RunningSimulator, config_from_mapping, start_simulator
from symphony.simulator.gemini_wire import proto_duration
from symphony.simulator.headers import go_duration, rfc3339

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = int(START.timestamp())
ANTHROPIC = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
GEMINI = {"x-goog-api-key": "k"}

MODELS: dict[str, dict[str, Any]] = {
    "oa": {"protocol": "openai", "header_style": "openai", "cap": 2, "window_s": 60},
    "an": {
        "protocol": "anthropic",
        "header_style": "anthropic",
        "cap": 2,
        "window_s": 60,
        "tokens_cap": 80_000,
    },
    "un": {
        "protocol": "anthropic",
        "header_style": "anthropic_unified",
        "cap": 2,
        "window_s": 18000,
    },
    "gm": {"protocol": "gemini", "cap": 2, "window_s": 60},
    "gd": {"protocol": "gemini", "cap": 1, "window_s": 86400},
    "ie": {"protocol": "openai", "header_style": "ietf", "cap": 2, "window_s": 30},
    "tk": {"protocol": "openai", "header_style": "openai", "tokens_cap": 5, "window_s": 60},
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def sim(clock: FixedClock) -> AsyncIterator[RunningSimulator]:
    config = config_from_mapping({"fast": True, "models": MODELS})
    running = await start_simulator(config, clock=clock)
    yield running
    await running.stop()


async def openai(client: httpx.AsyncClient, model: str) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    return await client.post("/openai/v1/chat/completions", json=body)


async def anthropic(client: httpx.AsyncClient, model: str) -> httpx.Response:
    body = {"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    return await client.post("/anthropic/v1/messages", json=body, headers=ANTHROPIC)


async def gemini(client: httpx.AsyncClient, model: str) -> httpx.Response:
    body = {"contents": [{"parts": [{"text": "hi"}]}]}
    return await client.post(
        f"/gemini/v1beta/models/{model}:generateContent", json=body, headers=GEMINI
    )


def test_go_durations_match_go_formatting() -> None:
    assert go_duration(360) == "6m0s"
    assert go_duration(1.5) == "1.5s"
    assert go_duration(0.02) == "20ms"
    assert go_duration(179.56) == "2m59.56s"
    assert go_duration(3723) == "1h2m3s"
    assert go_duration(0) == "0s"


def test_rfc3339_and_protobuf_durations() -> None:
    assert rfc3339(T0 + 90) == "2026-03-01T12:01:30Z"
    assert proto_duration(38.5) == "38.5s"
    assert proto_duration(38) == "38s"


async def test_openai_cap_gives_429_then_resets_after_window(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    first = await openai(client, "oa")
    clock.advance(timedelta(seconds=15))
    second = await openai(client, "oa")
    limited = await openai(client, "oa")

    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert second.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert error["type"] == "requests"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.headers["x-ratelimit-reset-requests"] == "45s"
    assert limited.headers["retry-after"] == "45"

    clock.advance(timedelta(seconds=45))
    again = await openai(client, "oa")
    assert again.status_code == 200
    assert again.headers["x-ratelimit-remaining-requests"] == "1"


async def test_advance_endpoint_moves_the_window_clock(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await openai(client, "oa")
    assert (await openai(client, "oa")).status_code == 429

    moved = await client.post("/_sim/advance", json={"seconds": 60})

    assert moved.status_code == 200
    assert (await openai(client, "oa")).status_code == 200


async def test_token_cap_gives_tokens_429(client: httpx.AsyncClient) -> None:
    first = await openai(client, "tk")
    limited = await openai(client, "tk")

    assert first.status_code == 200
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "tokens"
    assert limited.headers["x-ratelimit-limit-tokens"] == "5"
    assert first.headers["x-ratelimit-remaining-tokens"] == "0"


async def test_anthropic_cap_429_with_rfc3339_headers(client: httpx.AsyncClient) -> None:
    ok = await anthropic(client, "an")
    await anthropic(client, "an")
    limited = await anthropic(client, "an")

    assert ok.headers["anthropic-ratelimit-requests-limit"] == "2"
    assert ok.headers["anthropic-ratelimit-requests-remaining"] == "1"
    assert ok.headers["anthropic-ratelimit-requests-reset"] == "2026-03-01T12:01:00Z"
    assert ok.headers["anthropic-ratelimit-tokens-limit"] == "80000"
    assert ok.headers["anthropic-ratelimit-tokens-remaining"] == "80000"  # nearest thousand
    assert limited.status_code == 429
    assert limited.json()["type"] == "error"
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert limited.headers["retry-after"] == "60"
    assert limited.headers["anthropic-ratelimit-requests-remaining"] == "0"


async def test_unified_status_moves_from_allowed_to_rejected(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    first = await anthropic(client, "un")
    second = await anthropic(client, "un")
    limited = await anthropic(client, "un")

    assert first.headers["anthropic-ratelimit-unified-status"] == "allowed"
    assert first.headers["anthropic-ratelimit-unified-5h-utilization"] == "0.50"
    assert second.headers["anthropic-ratelimit-unified-status"] == "allowed_warning"
    assert limited.status_code == 429
    assert limited.headers["anthropic-ratelimit-unified-status"] == "rejected"
    assert limited.headers["anthropic-ratelimit-unified-5h-reset"] == str(T0 + 18000)
    assert limited.headers["retry-after"] == "18000"

    clock.advance(timedelta(hours=5))
    assert (await anthropic(client, "un")).status_code == 200


async def test_gemini_cap_429_carries_quota_failure_and_retry_info(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    await gemini(client, "gm")
    await gemini(client, "gm")
    clock.advance(timedelta(seconds=21.5))
    limited = await gemini(client, "gm")

    assert limited.status_code == 429
    assert "retry-after" not in limited.headers
    error = limited.json()["error"]
    assert error["code"] == 429
    assert error["status"] == "RESOURCE_EXHAUSTED"
    by_type = {d["@type"].rsplit(".", 1)[1]: d for d in error["details"]}
    [violation] = by_type["QuotaFailure"]["violations"]
    assert violation["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
    assert violation["quotaMetric"].endswith("generate_content_free_tier_requests")
    assert by_type["RetryInfo"]["retryDelay"] == "38.5s"
    assert "Please retry in 38.5s" in error["message"]


async def test_gemini_daily_window_names_a_per_day_quota(client: httpx.AsyncClient) -> None:
    await gemini(client, "gd")
    limited = await gemini(client, "gd")

    details = limited.json()["error"]["details"]
    quota_ids = [v["quotaId"] for d in details for v in d.get("violations", [])]
    assert quota_ids == ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"]


async def test_ietf_style_headers(client: httpx.AsyncClient, clock: FixedClock) -> None:
    ok = await openai(client, "ie")
    clock.advance(timedelta(seconds=10))
    await openai(client, "ie")
    limited = await openai(client, "ie")

    assert ok.headers["ratelimit-policy"] == '"default";q=2;w=30'
    assert ok.headers["ratelimit"] == '"default";r=1;t=30'
    assert limited.status_code == 429
    assert limited.headers["ratelimit"] == '"default";r=0;t=20'
    assert limited.headers["retry-after"] == "20"


async def test_state_reports_counters_and_reset_clears_them(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await openai(client, "oa")

    state = (await client.get("/_sim/state")).json()["models"]["oa"]
    assert state["requests"] == 3
    assert state["served"] == 2
    assert state["rate_limited"] == 1
    assert state["window"]["remaining"] == 0
    assert state["completion_tokens"] > 0

    await client.post("/_sim/reset")
    after = (await client.get("/_sim/state")).json()["models"]["oa"]
    assert after["requests"] == 0
    assert after["window"]["remaining"] == 2
    assert (await openai(client, "oa")).status_code == 200
