"""Budget lines (pure): which limits exist, what they cover, how a denial reads; and the
policy's budgets section refusing what it cannot use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from symphony.errors import PolicyError
from symphony.policy.loader import load_policy
from symphony.policy.model import BudgetLimits, Budgets, Tenant
from symphony.routing.budgets import budget_lines, denials, has_budgets

RESET = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
POLICY = """
policy:
  models:
    - { name: local/a, class: local, quota: { type: dynamic } }
    - { name: openai/b, class: hosted, quota: { type: dynamic } }
tenants:
  acme:
    budgets:
      daily_tokens: 100
      providers:
        {provider}: { monthly_usd: 2 }
"""


def tenant(**kw: object) -> Tenant:
    return Tenant(name="acme", budgets=Budgets(**kw))  # type: ignore[arg-type]


def test_only_configured_limits_become_lines_and_are_read() -> None:
    asked: list[tuple[str | None, str, str]] = []

    def spend(provider: str | None, period: str, unit: str) -> float:
        asked.append((provider, period, unit))
        return 10.0

    t = tenant(daily_tokens=100, providers=(("openai", BudgetLimits(monthly_usd=2.0)),))
    lines = budget_lines(t, spend, lambda _p: RESET)  # type: ignore[arg-type]
    assert [line.key for line in lines] == ["tenant:daily:tokens", "provider:openai:monthly:usd"]
    assert asked == [(None, "daily", "tokens"), ("openai", "monthly", "usd")]
    assert not has_budgets(tenant())
    assert not has_budgets(tenant(providers=(("x", BudgetLimits()),)))  # nothing to check
    assert has_budgets(tenant(providers=(("x", BudgetLimits(daily_usd=1.0)),)))


def test_tenant_lines_cover_hosted_models_provider_lines_their_provider() -> None:
    t = tenant(daily_usd=1.0, providers=(("local", BudgetLimits(daily_tokens=5)),))
    lines = budget_lines(t, lambda _pr, _pe, _u: 9.0, lambda _p: RESET)
    models = load_policy(POLICY.replace("{provider}", "openai")).models_by_name
    hosted, local = models["openai/b"], models["local/a"]
    assert denials(lines, hosted) == [
        "tenant 'acme' spent $9.00 today of its $1.00 daily budget; resets 2026-12-02T07:00:00Z"
    ]
    assert denials(lines, local) == [
        "tenant 'acme' used 9 tokens on provider 'local' today of its 5 tokens daily token"
        " budget; resets 2026-12-02T07:00:00Z"
    ]


def test_policy_budgets_parse_and_refuse_unknown_providers() -> None:
    snapshot = load_policy(POLICY.replace("{provider}", "openai"))
    budgets = snapshot.tenants["acme"].budgets
    assert budgets.daily_tokens == 100
    assert budgets.providers == (("openai", BudgetLimits(monthly_usd=2.0)),)
    with pytest.raises(PolicyError) as err:
        load_policy(POLICY.replace("{provider}", "opnai"))
    assert any(
        "tenants.acme.budgets.providers.opnai: unknown provider 'opnai' (known: local, openai)" in e
        for e in err.value.errors
    )
    with pytest.raises(PolicyError) as err:
        load_policy(POLICY.replace("{provider}", "openai").replace("100", "-3"))
    assert any("budgets.daily_tokens: must be >= 0, got -3" in e for e in err.value.errors)
