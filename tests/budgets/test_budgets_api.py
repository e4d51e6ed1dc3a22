"""Token and per-provider budgets: the planner denies what an exhausted line covers (with
spent, limit and reset), GET /budgets reports every line, and `budget.update` is published
(and audited) when a line crosses 50/80/100 %."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app_support import Demo, demo_settings, running_demo
from symphony.windows.usage import UsageEvent

ACME = """
  acme:
    loa_max: 2
    budgets:
      daily_tokens: 1000
      monthly_usd: 50
      providers:
        anthropic: { daily_usd: 0.5 }
"""
QA = {"task": "qa", "input": "What is a rolling window?", "loa": 1, "tenant": "acme"}


@pytest.fixture
async def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Demo]:
    monkeypatch.setenv("SIM_FAST", "1")
    settings = demo_settings(tmp_path)
    with settings.policy_file.open("a") as f:
        f.write(ACME)
    async with running_demo(settings) as running:
        yield running


async def spend(demo: Demo, model: str, tokens: int, usd: float) -> None:
    at = demo.state.clock.now() - timedelta(minutes=1)
    event = UsageEvent(at, model, tenant="acme", prompt_tokens=tokens, cost_usd=usd)
    await demo.state.windows.record(event)


def reasons(plan: dict[str, Any], model: str) -> list[str]:
    found = next(c for c in plan["candidates"] if c["model"] == model)
    return [r["detail"] for r in found["deny_reasons"] if r["code"] == "budget_exhausted"]


async def test_provider_and_token_budgets_deny_with_their_explanation(demo: Demo) -> None:
    watch = demo.state.budgets
    assert await watch.check() == []  # first look: levels recorded, nothing announced
    before = (await demo.client.get("/budgets", params={"tenant": "acme"})).json()
    assert [line["key"] for line in before["tenants"][0]["lines"]] == [
        "tenant:daily:tokens",
        "tenant:monthly:usd",
        "provider:anthropic:daily:usd",
    ]

    await spend(demo, "anthropic/claude-pro", 600, 0.6)
    plan = (await demo.client.post("/route/plan", json=QA)).json()
    (why,) = reasons(plan, "anthropic/claude-pro")
    assert why.startswith(
        "tenant 'acme' spent $0.60 on provider 'anthropic' today of its $0.50 daily budget;"
        " resets 20"
    )
    assert reasons(plan, "openai/chatgpt-plus") == []  # 600 of 1,000 tokens
    assert plan["decision"]["primary"]["model"] == "openai/chatgpt-plus"

    await spend(demo, "openai/chatgpt-plus", 500, 0.01)
    plan = (await demo.client.post("/route/plan", json=QA)).json()
    (why,) = reasons(plan, "openai/chatgpt-plus")
    assert "used 1,100 tokens today of its 1,000 tokens daily token budget" in why
    assert reasons(plan, "local/ollama") == []  # local models stay eligible
    assert plan["decision"]["primary"]["model"] == "local/ollama"

    report = (await demo.client.get("/budgets")).json()
    lines = {line["key"]: line for t in report["tenants"] if t["tenant"] == "acme"
             for line in t["lines"]}  # fmt: skip
    assert lines["tenant:daily:tokens"]["spent"] == 1100
    assert lines["tenant:daily:tokens"]["exhausted"] is True
    assert lines["provider:anthropic:daily:usd"]["fraction"] == 1.2
    assert lines["tenant:monthly:usd"]["exhausted"] is False

    facts = await watch.check()
    assert {(f.budget, f.threshold, f.reason) for f in facts} == {
        ("tenant:daily:tokens", 1.0, "threshold"),
        ("provider:anthropic:daily:usd", 1.0, "threshold"),
    }
    assert await watch.check() == []  # announced once per crossing
    published = demo.events("budget.update")
    assert {e["budget"] for e in published} == {
        "tenant:daily:tokens",
        "provider:anthropic:daily:usd",
    }
    audit = (await demo.client.get("/audit", params={"type": "budget.update"})).json()
    assert len(audit["items"]) == 2
    metrics = (await demo.client.get("/metrics")).text
    assert (
        'symphony_tenant_budget_fraction_used{budget="tenant:daily:tokens",tenant="acme"} 1.1'
        in metrics
    )


async def test_budgets_refuses_unknown_tenant(demo: Demo) -> None:
    response = await demo.client.get("/budgets", params={"tenant": "nobody"})
    assert response.status_code == 404
    assert "unknown tenant 'nobody'" in response.text
