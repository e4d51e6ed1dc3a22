"""POST /route/plan: the decision, its explanation, the 409/404 bodies and applied controls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app_support import running_app
from symphony.clock import FixedClock
from symphony.services import Services
from symphony.settings import Settings
from symphony.windows.usage import UsageEvent

ANTHROPIC = {"ANTHROPIC_API_KEY": "test-key"}
QA: dict[str, Any] = {"task": "qa", "input": "Summarise the rate-limit rules", "loa": 1}
CANDIDATE_FIELDS = {
    "model",
    "provider",
    "class",
    "score",
    "denied",
    "deny_reasons",
    "factors",
    "why",
    "est_tokens",
    "est_cost_usd",
    "est_latency_ms",
    "window",
    "policy_hits",
    "loa_ok",
}
WINDOW_FIELDS = {
    "kind",
    "open",
    "remaining",
    "cap",
    "resets_at",
    "resets_at_local",
    "source",
    "reserve_hold",
}
FACTORS = {"latency", "cost", "window", "headroom", "locality", "preference"}


@asynccontextmanager
async def running(
    settings: Settings, clock: FixedClock, environ: dict[str, str]
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async with running_app(settings, clock=clock, environ=environ) as (app, client):
        yield app.state.symphony, client


async def claude_in_reserve(state: Services) -> None:
    at = state.clock.now() - timedelta(minutes=30)
    await state.windows.record(UsageEvent(at, "anthropic/claude-pro", requests=37))


def by_model(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["model"]: c for c in body["candidates"]}


async def test_plan_has_the_contract_shape(harness: Any) -> None:
    response = await harness.client.post("/route/plan", json=QA)
    assert response.status_code == 200
    body = response.json()
    assert body["plan_id"].startswith("pln_")
    assert body["policy_version"] == harness.state.policy.snapshot.version
    assert body["generated_at"] == "2026-11-22T17:00:00Z"
    assert body["policy"] == {"tenant": "default", "loa_max": 2}
    primary = body["decision"]["primary"]
    assert primary["model"] == "local/ollama"
    assert primary["denied"] is False
    # Every model in the policy is explained, denied ones too.
    assert {c["model"] for c in body["candidates"]} == {
        m.name for m in harness.state.policy.snapshot.models
    }
    for c in body["candidates"]:
        assert set(c) >= CANDIDATE_FIELDS, c["model"]
        assert set(c["window"]) >= WINDOW_FIELDS, c["model"]
        assert set(c["factors"]) == FACTORS
        assert c["why"]
        assert all(isinstance(line, str) and line for line in c["why"])
        assert c["denied"] == bool(c["deny_reasons"])


async def test_factor_shares_add_up_to_the_score(harness: Any) -> None:
    body = (await harness.client.post("/route/plan", json=QA)).json()
    for c in body["candidates"]:
        assert sum(c["factors"].values()) == pytest.approx(c["score"], abs=1e-3), c["model"]


def _tier(candidate: dict[str, object]) -> int:
    hits = [str(h) for h in candidate["policy_hits"]]  # type: ignore[attr-defined]
    if any(h.endswith(":prefer") for h in hits):
        return 0
    return 1 if any(h.endswith(":fallback") for h in hits) else 2


async def test_eligible_candidates_come_first_rule_tiers_then_score(
    settings: Settings, clock: FixedClock
) -> None:
    async with running(settings, clock, ANTHROPIC) as (_state, client):
        body = (await client.post("/route/plan", json=QA)).json()
    flags = [c["denied"] for c in body["candidates"]]
    assert flags == sorted(flags), "eligible candidates must precede denied ones"
    eligible = [c for c in body["candidates"] if not c["denied"]]
    # The rule's prefer list outranks its fallback list, whatever the scores say:
    # claude-pro (prefer #2) leads local/ollama (fallback #2) though ollama scores higher.
    keys = [(_tier(c), -c["score"]) for c in eligible]
    assert keys == sorted(keys)
    assert eligible[0]["model"] == "anthropic/claude-pro"
    assert by_model(body)["local/ollama"]["score"] > eligible[0]["score"]
    assert body["decision"]["primary"]["model"] == eligible[0]["model"]
    assert [c["model"] for c in body["decision"]["fallbacks"]] == [c["model"] for c in eligible[1:]]
    claude = by_model(body)["anthropic/claude-pro"]
    assert claude["denied"] is False
    assert "rule:qa-hosted-first:prefer" in claude["policy_hits"]


async def test_same_request_twice_gives_the_same_order(harness: Any) -> None:
    first = (await harness.client.post("/route/plan", json=QA)).json()
    second = (await harness.client.post("/route/plan", json=QA)).json()
    assert [c["model"] for c in first["candidates"]] == [c["model"] for c in second["candidates"]]
    assert [c["score"] for c in first["candidates"]] == [c["score"] for c in second["candidates"]]
    assert first["plan_id"] != second["plan_id"]


async def test_why_lines_read_like_sentences(settings: Settings, clock: FixedClock) -> None:
    async with running(settings, clock, ANTHROPIC) as (_state, client):
        body = (await client.post("/route/plan", json=QA)).json()
    cands = by_model(body)
    claude = cands["anthropic/claude-pro"]["why"]
    assert "preferred #2 by rule 'qa-hosted-first'" in claude
    assert "p95 ≈ 1400 ms (class default)" in claude
    assert any(line.startswith("est. cost $0.06") for line in claude)  # 4096 out at $15/M
    assert (
        "cost worst case: 4096 output tokens (the model's max_tokens default in policy)" in claude
    )
    assert any(line.startswith("100% of 5h session left") for line in claude)
    ollama = cands["local/ollama"]["why"]
    assert "fallback #2 in rule 'qa-hosted-first'" in ollama
    assert "local-first: no hosted spend" in ollama
    # Denials are worded for people; the stable codes stay in deny_reasons.
    for c in body["candidates"]:
        for reason in c["deny_reasons"]:
            words = [line.split(" (")[0] for line in c["why"] if line.startswith("denied:")]
            assert words, c["why"]
            assert all(reason["code"] not in w for w in words), c["why"]


async def test_reserve_hold_denies_when_others_are_eligible(
    settings: Settings, clock: FixedClock
) -> None:
    async with running(settings, clock, ANTHROPIC) as (state, client):
        await claude_in_reserve(state)
        response = await client.post("/route/plan", json=QA)
    assert response.status_code == 200
    body = response.json()
    assert body["decision"]["primary"]["model"] == "local/ollama"
    claude = by_model(body)["anthropic/claude-pro"]
    assert claude["denied"] is True
    assert [r["code"] for r in claude["deny_reasons"]] == ["reserve_hold"]
    assert claude["window"]["reserve_hold"] is True
    assert claude["window"]["remaining"] == 8
    assert not any("chosen despite" in line for line in claude["why"])


async def test_reserve_hold_is_chosen_when_nothing_else_is_eligible(
    settings: Settings, clock: FixedClock
) -> None:
    async with running(settings, clock, ANTHROPIC) as (state, client):
        await claude_in_reserve(state)
        body = {**QA, "overrides": {"provider_hints": ["anthropic"]}}
        response = await client.post("/route/plan", json=body)
    assert response.status_code == 200
    primary = response.json()["decision"]["primary"]
    assert primary["model"] == "anthropic/claude-pro"
    assert primary["denied"] is False
    assert primary["why"][0] == "chosen despite reserve hold: nothing else is eligible"
    assert [r["code"] for r in primary["deny_reasons"]] == ["reserve_hold"]


async def test_no_eligible_model_is_409_with_the_full_explanation(harness: Any) -> None:
    response = await harness.client.post("/route/plan", json={**QA, "loa": 9})
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "no_eligible_model"
    assert "LOA 9" in body["error"]["message"]
    assert body["decision"] == {"primary": None, "fallbacks": []}
    assert len(body["candidates"]) == len(harness.state.policy.snapshot.models)
    for c in body["candidates"]:
        assert c["denied"] is True
        assert any(r["code"] == "loa_exceeds" for r in c["deny_reasons"]), c["model"]
        assert set(c) >= CANDIDATE_FIELDS
    assert body["controls"]["loa"] == 9
    assert body["policy"] == {"tenant": "default", "loa_max": 2}


async def test_unknown_tenant_is_404_naming_it(harness: Any) -> None:
    response = await harness.client.post("/route/plan", json={**QA, "tenant": "globex"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_tenant"
    assert "'globex'" in error["message"]


async def test_default_controls_come_from_the_matching_rule(harness: Any) -> None:
    body = (await harness.client.post("/route/plan", json=QA)).json()
    assert body["controls"] == {
        "loa": 1,
        "allow_hosted": True,
        "stream": True,
        "max_cost_usd": 0.5,
        "context_budget_tokens": 32000,
        "tokens_max": None,
        "temperature": None,
        "tools_allowed": [],
        "provider_hints": [],
        "rule": "qa-hosted-first",
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"cost_ceiling_usd": 0.2}, {"max_cost_usd": 0.2}),  # tighter than the rule's 0.50
        ({"cost_ceiling_usd": 3.0}, {"max_cost_usd": 0.5}),  # the rule's cap still binds
        ({"streaming": False}, {"stream": False}),
        ({"context_budget_tokens": 1000}, {"context_budget_tokens": 1000}),
        ({"context_budget_tokens": 50000}, {"context_budget_tokens": 32000}),
        ({"tokens_max": 256}, {"tokens_max": 256}),
        ({"temperature": 0.3}, {"temperature": 0.3}),
        ({"tools_allowed": ["browser"]}, {"tools_allowed": ["browser"]}),
        ({"provider_hints": ["anthropic", "local"]}, {"provider_hints": ["anthropic", "local"]}),
        ({"allow_hosted": False}, {"allow_hosted": False}),
    ],
)
async def test_overrides_are_echoed_in_controls(
    harness: Any, overrides: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = await harness.client.post("/route/plan", json={**QA, "overrides": overrides})
    assert response.status_code == 200, response.text
    controls = response.json()["controls"]
    for key, value in expected.items():
        assert controls[key] == value, key


async def test_tokens_max_override_changes_the_estimate(harness: Any) -> None:
    small = (
        await harness.client.post("/route/plan", json={**QA, "overrides": {"tokens_max": 100}})
    ).json()
    large = (
        await harness.client.post("/route/plan", json={**QA, "overrides": {"tokens_max": 2000}})
    ).json()
    assert (
        large["decision"]["primary"]["est_tokens"] - small["decision"]["primary"]["est_tokens"]
        == 1900
    )


async def test_loa_override_replaces_the_request_loa(harness: Any) -> None:
    response = await harness.client.post("/route/plan", json={**QA, "overrides": {"loa": 0}})
    body = response.json()
    assert body["controls"]["loa"] == 0
    assert body["controls"]["rule"] is None  # the qa rule matches LOA 1 only


async def test_plan_publishes_a_route_plan_event(harness: Any) -> None:
    bus = harness.state.bus
    before = bus.next_id
    body = (await harness.client.post("/route/plan", json=QA)).json()
    events = [e for e in bus.buffer if e.id >= before and e.type == "route.plan"]
    assert len(events) == 1
    data = events[0].data()
    assert data["plan_id"] == body["plan_id"]
    assert data["model"] == "local/ollama"
    assert "openai/chatgpt-plus" in data["denied"]
