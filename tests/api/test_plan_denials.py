"""Every deny code is reachable through POST /route/plan and explains itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app_support import running_app
from symphony.clock import FixedClock
from symphony.policy.model import ModelSpec
from symphony.routing.candidate import DENY_CODES
from symphony.services import Services
from symphony.settings import Settings
from symphony.windows.usage import UsageEvent

KEYS = dict.fromkeys(
    (
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "XAI_API_KEY",
        "PERPLEXITY_API_KEY",
        "DEEPSEEK_API_KEY",
        "VENICE_API_KEY",
        "LITELLM_API_KEY",
    ),
    "test-key",
)


@asynccontextmanager
async def running(
    settings: Settings, clock: FixedClock, environ: dict[str, str]
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async with running_app(settings, clock=clock, environ=environ) as (app, client):
        yield app.state.symphony, client


def edit_policy(policy_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = policy_dir / "router.policy.yml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def add_tenant_acme(doc: dict[str, Any]) -> None:
    doc["tenants"]["acme"] = {"loa_max": 1, "allow_models": ["local/ollama"]}


@dataclass
class Scenario:
    body: dict[str, Any]
    model: str
    detail: str  # a fragment the deny detail must contain
    environ: dict[str, str] = field(default_factory=dict)
    policy: Callable[[dict[str, Any]], None] | None = None
    prepare: Callable[[Services, httpx.AsyncClient], Awaitable[None]] | None = None


async def _observe_grok_empty(state: Services, client: httpx.AsyncClient) -> None:
    resets = (state.clock.now() + timedelta(hours=1)).isoformat()
    body = {"resets_at": resets, "remaining": 0, "cap": 100, "source": "operator"}
    response = await client.post("/windows/xai/grok/observe", json=body)
    assert response.status_code == 200, response.text


async def _exhaust_perplexity(state: Services, _c: httpx.AsyncClient) -> None:
    await state.windows.record(UsageEvent(state.clock.now(), "perplexity/api", requests=50))


async def _claude_in_reserve(state: Services, _c: httpx.AsyncClient) -> None:
    # 37 of 45 messages used: 8 left (18%) is inside the 20% reserve.
    at = state.clock.now() - timedelta(minutes=30)
    await state.windows.record(UsageEvent(at, "anthropic/claude-pro", requests=37))


async def _cool_ollama(state: Services, _c: httpx.AsyncClient) -> None:
    await state.windows.cooldown("local/ollama", state.clock.now(), 30.0)


async def _kill_ollama(state: Services, _c: httpx.AsyncClient) -> None:
    def killed(spec: ModelSpec, tenant: str) -> str | None:
        return "kill switch set by an operator" if spec.name == "local/ollama" else None

    state.planning.killed = killed


async def _spend_daily_budget(state: Services, _c: httpx.AsyncClient) -> None:
    at = state.clock.now() - timedelta(hours=1)
    event = UsageEvent(at, "google/gemini-pro", tenant="default", requests=1, cost_usd=5.0)
    await state.windows.record(event)


QA: dict[str, Any] = {"task": "qa", "input": "What is a rolling window?", "loa": 1}

SCENARIOS: dict[str, Scenario] = {
    "not_allowed_for_tenant": Scenario(
        {**QA, "tenant": "acme"},
        "google/gemini-pro",
        "tenant 'acme' does not allow google/gemini-pro",
        policy=add_tenant_acme,
    ),
    "task_not_allowed": Scenario(QA, "google/gemini-apps", "task 'qa' not in analysis, research"),
    "loa_exceeds": Scenario(QA, "perplexity/api", "LOA 1 exceeds the model maximum 0"),
    "hosted_disallowed": Scenario(
        {**QA, "overrides": {"allow_hosted": False}},
        "anthropic/claude-pro",
        "allow_hosted is false",
        environ=KEYS,
    ),
    "provider_hint_mismatch": Scenario(
        {**QA, "overrides": {"provider_hints": ["anthropic"]}},
        "local/ollama",
        "provider 'local' not in hints anthropic",
        environ=KEYS,
    ),
    "window_closed": Scenario(
        QA,
        "xai/grok",
        "upstream reported no capacity; reopens 2026-11-22T11:00",
        environ=KEYS,
        prepare=_observe_grok_empty,
    ),
    "quota_exhausted": Scenario(
        {**QA, "loa": 0},
        "perplexity/api",
        "50 of 50 requests used",
        environ=KEYS,
        prepare=_exhaust_perplexity,
    ),
    "reserve_hold": Scenario(
        QA,
        "anthropic/claude-pro",
        "18% left is inside the 20% reserve",
        environ=KEYS,
        prepare=_claude_in_reserve,
    ),
    "over_cost_cap": Scenario(
        {**QA, "overrides": {"cost_ceiling_usd": 0.001}},
        "anthropic/claude-pro",
        "exceeds the cap $0.0010",
        environ=KEYS,
    ),
    "context_too_large": Scenario(
        {**QA, "input": "x" * 40_000},
        "local/ollama",
        "~10000 prompt tokens exceed the limit 8192",
    ),
    "no_credentials": Scenario(QA, "anthropic/claude-pro", "env var ANTHROPIC_API_KEY is not set"),
    "cooldown": Scenario(
        QA,
        "local/ollama",
        "until 2026-11-22T17:00:30",
        prepare=_cool_ollama,
    ),
    "no_endpoint": Scenario(QA, "openai/chatgpt-plus", "no endpoint configured"),
    "killed": Scenario(
        QA,
        "local/ollama",
        "kill switch set by an operator",
        environ=KEYS,
        prepare=_kill_ollama,
    ),
    "budget_exhausted": Scenario(
        QA,
        "anthropic/claude-pro",
        "tenant 'default' spent $5.00 today",
        environ=KEYS,
        prepare=_spend_daily_budget,
    ),
    "capability_missing": Scenario(
        {**QA, "requires": ["tools", "vision"]},
        "local/ollama",
        "vision (the model declares tools, json_object, json_schema)",
    ),
    "field_unsupported": Scenario(
        {**QA, "fields": ["seed", "top_k"]},
        "anthropic/claude-pro",
        "seed: the Messages API has no seed (anthropic protocol)",
        environ=KEYS,
    ),
}


def test_every_deny_code_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(DENY_CODES)


@pytest.mark.parametrize("code", list(SCENARIOS))
async def test_deny_code_is_reachable_with_its_detail(
    code: str, settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    scenario = SCENARIOS[code]
    if scenario.policy is not None:
        edit_policy(policy_dir, scenario.policy)
    async with running(settings, clock, scenario.environ) as (state, client):
        if scenario.prepare is not None:
            await scenario.prepare(state, client)
        response = await client.post("/route/plan", json=scenario.body)
        assert response.status_code in (200, 409), response.text
        by_model = {c["model"]: c for c in response.json()["candidates"]}
        candidate = by_model[scenario.model]
        reasons = {r["code"]: r["detail"] for r in candidate["deny_reasons"]}
        assert code in reasons, f"{scenario.model}: {candidate['deny_reasons']}"
        assert scenario.detail in reasons[code]
        assert candidate["denied"] is True
        # The explanation repeats the denial in words.
        assert any(
            line.startswith("denied:") and scenario.detail in line for line in candidate["why"]
        )


async def test_tenant_loa_limit_names_the_tenant(
    settings: Settings, clock: FixedClock, policy_dir: Path
) -> None:
    edit_policy(policy_dir, add_tenant_acme)
    async with running(settings, clock, {}) as (_state, client):
        response = await client.post(
            "/route/plan", json={"task": "chat", "loa": 2, "tenant": "acme"}
        )
    assert response.status_code == 409
    body = response.json()
    assert body["policy"] == {"tenant": "acme", "loa_max": 1}
    ollama = next(c for c in body["candidates"] if c["model"] == "local/ollama")
    assert ollama["loa_ok"] is False
    assert {"code": "loa_exceeds", "detail": "LOA 2 exceeds the tenant 'acme' maximum 1"} in (
        ollama["deny_reasons"]
    )
    assert "tenant:acme:allow_models" in ollama["policy_hits"]


async def test_local_models_are_not_charged_to_the_tenant_budget(
    settings: Settings, clock: FixedClock
) -> None:
    async with running(settings, clock, KEYS) as (state, client):
        await _spend_daily_budget(state, client)
        response = await client.post("/route/plan", json=QA)
    assert response.status_code == 200
    assert response.json()["decision"]["primary"]["model"] == "local/ollama"


async def test_cooldown_ends_when_the_clock_passes_it(
    settings: Settings, clock: FixedClock
) -> None:
    async with running(settings, clock, {}) as (state, client):
        await _cool_ollama(state, client)
        assert (await client.post("/route/plan", json=QA)).status_code == 409
        clock.advance(timedelta(seconds=31))
        response = await client.post("/route/plan", json=QA)
    assert response.status_code == 200
    assert response.json()["decision"]["primary"]["model"] == "local/ollama"
