"""GET /budgets: each tenant's budget lines (spent this period against each limit)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire


class BudgetLineBody(Wire):
    """One configured limit: `scope` tenant (its hosted models' total) or provider (that
    provider's models); `fraction` = spent / limit; at 1 the planner denies what it covers."""

    key: str = Field(description="tenant:daily:usd, provider:openai:monthly:tokens, ...")
    scope: Literal["tenant", "provider"]
    provider: str | None
    period: Literal["daily", "monthly"]
    unit: Literal["usd", "tokens"]
    spent: float
    limit: float
    fraction: float
    exhausted: bool
    resets_at: Instant


class TenantBudgets(Wire):
    tenant: str
    lines: list[BudgetLineBody]


class BudgetReport(Wire):
    """Tenants with budgets the key may see (a tenant without budgets is not listed)."""

    generated_at: Instant
    tenants: list[TenantBudgets]
