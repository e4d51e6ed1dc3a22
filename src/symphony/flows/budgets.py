"""Budget reporting: every tenant's budget lines, the gauge, and `budget.update` facts.

`BudgetWatch.check()` reads each tenant's lines (spend this period against each configured
limit) and publishes `budget.update`, audited, when a line crosses 50 %, 80 % or 100 % of its
limit, and when its period resets. The first look at a line (process start) only records its
level, so a restart does not announce again what was announced before. Enforcement is the
planner's (`budget_exhausted`); this is what operators and subscribers see.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.events.bus import EventBus
from symphony.events.facts import BudgetUpdated
from symphony.execute.planning import PlanningService
from symphony.metrics.registry import Metrics
from symphony.routing.budgets import BudgetLine

log = logging.getLogger("symphony.budgets")
THRESHOLDS = (0.5, 0.8, 1.0)
CHECK_EVERY_S = 5.0


def level_of(fraction: float) -> float:
    """The highest threshold reached (0.0 below the first)."""
    return max((t for t in THRESHOLDS if fraction >= t), default=0.0)


class BudgetWatch:
    """Budget lines per tenant for the API, and the facts and gauge that follow them."""

    def __init__(
        self,
        planning: PlanningService,
        audit: AuditSink,
        bus: EventBus,
        metrics: Metrics,
        clock: Clock,
        interval_s: float = CHECK_EVERY_S,
    ) -> None:
        self.planning = planning
        self.audit = audit
        self.bus = bus
        self.metrics = metrics
        self.clock = clock
        self.interval_s = interval_s
        # (tenant, line key) -> (level, the period's reset time) as last seen
        self._seen: dict[tuple[str, str], tuple[float, datetime]] = {}

    def lines(self, tenants: list[str] | None = None) -> dict[str, list[BudgetLine]]:
        """Each tenant's budget lines now (tenants without budgets are left out)."""
        snapshot = self.planning.policy.snapshot
        now = self.clock.now()
        names = sorted(snapshot.tenants) if tenants is None else tenants
        out: dict[str, list[BudgetLine]] = {}
        for name in names:
            found = self.planning.budget_lines(snapshot, name, now)
            if found:
                out[name] = found
        return out

    async def check(self) -> list[BudgetUpdated]:
        """Update the gauge; announce every line that crossed a threshold or reset."""
        facts: list[BudgetUpdated] = []
        for tenant, lines in self.lines().items():
            for line in lines:
                self.metrics.child(self.metrics.tenant_budget, tenant, line.key).set(line.fraction)
                level = level_of(line.fraction)
                key = (tenant, line.key)
                seen = self._seen.get(key)
                self._seen[key] = (level, line.resets_at)
                if seen is None:
                    continue
                before, period_end = seen
                if period_end != line.resets_at:
                    facts.append(_fact(line, 0.0, "reset"))
                elif level > before:
                    facts.append(_fact(line, level, "threshold"))
        for fact in facts:
            payload = fact.payload()
            await self.audit.append(str(fact.TYPE), payload, tenant=fact.tenant)
            self.bus.emit(fact)
        return facts

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception:  # a failed look must not end the loop
                log.exception("budget check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)


def _fact(line: BudgetLine, threshold: float, reason: str) -> BudgetUpdated:
    body = line.to_dict()
    return BudgetUpdated(
        tenant=line.tenant,
        budget=line.key,
        period=line.period,
        unit=line.unit,
        provider=line.provider,
        spent=body["spent"],
        limit=line.limit,
        fraction=body["fraction"],
        threshold=threshold,
        reason=reason,
        resets_at=body["resets_at"],
    )
