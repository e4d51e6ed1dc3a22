"""Tenant budgets as lines the planner explains (pure: spend and periods are passed in).

A tenant's `budgets` give limits in USD and tokens over the policy timezone's day and month,
on its total across hosted models (local models stay eligible when it is spent) and per
provider (the provider's models' total, whatever their class). Each configured limit is one
`BudgetLine`: spent, limit, fraction, when it resets. A candidate is denied
`budget_exhausted` by every exhausted line that covers it, with that line's explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from symphony.policy.model import BudgetPeriod, BudgetUnit, ModelSpec, Tenant

Period = BudgetPeriod
Unit = BudgetUnit
PERIODS: tuple[Period, ...] = ("daily", "monthly")
UNITS: tuple[Unit, ...] = ("usd", "tokens")
WHEN = {"daily": "today", "monthly": "this month"}


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One configured limit and what has been spent against it in the current period."""

    tenant: str
    provider: str | None  # None: the tenant's total on hosted models
    period: Period
    unit: Unit
    spent: float
    limit: float
    resets_at: datetime
    starts_at: datetime | None = None  # the period's start (shared counters count from here)

    @property
    def scope(self) -> str:
        return "tenant" if self.provider is None else "provider"

    @property
    def key(self) -> str:
        """Stable name of the line: `tenant:daily:usd`, `provider:openai:monthly:tokens`."""
        where = "tenant" if self.provider is None else f"provider:{self.provider}"
        return f"{where}:{self.period}:{self.unit}"

    @property
    def fraction(self) -> float:
        if self.limit <= 0:
            return 1.0
        return self.spent / self.limit

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit

    def covers(self, spec: ModelSpec) -> bool:
        """Provider lines cover that provider's models; the tenant total covers hosted ones."""
        if self.provider is not None:
            return spec.provider == self.provider
        return spec.model_class == "hosted"

    def amount(self, value: float) -> str:
        return f"${value:.2f}" if self.unit == "usd" else f"{int(value):,} tokens"

    def explain(self) -> str:
        """Why this line denies: who spent what of which limit, and when it resets."""
        on = "" if self.provider is None else f" on provider '{self.provider}'"
        verb = "spent" if self.unit == "usd" else "used"
        kind = "" if self.unit == "usd" else " token"
        return (
            f"tenant '{self.tenant}' {verb} {self.amount(self.spent)}{on} {WHEN[self.period]}"
            f" of its {self.amount(self.limit)} {self.period}{kind} budget;"
            f" resets {self.resets_at.isoformat().replace('+00:00', 'Z')}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "scope": self.scope,
            "provider": self.provider,
            "period": self.period,
            "unit": self.unit,
            "spent": round(self.spent, 6) if self.unit == "usd" else int(self.spent),
            "limit": self.limit,
            "fraction": round(self.fraction, 4),
            "exhausted": self.exhausted,
            "resets_at": self.resets_at.isoformat().replace("+00:00", "Z"),
        }


def has_budgets(tenant: Tenant) -> bool:
    return bool(tenant.budgets.limits)


SpendOf = Callable[[str | None, Period, Unit], float]
"""(provider or None for the tenant's hosted total, period, unit) -> spent this period."""


def budget_lines(
    tenant: Tenant,
    spend: SpendOf,
    resets: Callable[[Period], datetime],
    starts: Callable[[Period], datetime] | None = None,
) -> list[BudgetLine]:
    """Every configured limit of `tenant` with its spend (only configured limits are read)."""
    name = tenant.name
    return [
        BudgetLine(
            name,
            provider,
            period,
            unit,
            spend(provider, period, unit),
            limit,
            resets(period),
            None if starts is None else starts(period),
        )
        for provider, period, unit, limit in tenant.budgets.limits
    ]


def denials(lines: Iterable[BudgetLine], spec: ModelSpec) -> list[str]:
    """The explanation of every exhausted line covering `spec` (empty: within budget)."""
    return [line.explain() for line in lines if line.exhausted and line.covers(spec)]


NO_BUDGETS: Sequence[BudgetLine] = ()
