"""`/route/plan` as an action: plan, audit the decision (durably), announce it."""

from __future__ import annotations

from typing import Any

from symphony.audit.sink import AuditSink
from symphony.errors import NoEligibleModelError
from symphony.events.bus import EventBus
from symphony.events.facts import RoutePlanned
from symphony.execute.planning import PlannedWork, PlanningService
from symphony.routing.request import PlanRequest


class PlanFlow:
    """Explain which model would run a unit of work; every decision is in the audit trail."""

    def __init__(self, planning: PlanningService, audit: AuditSink, bus: EventBus) -> None:
        self.planning = planning
        self.audit = audit
        self.bus = bus

    async def plan(self, request: PlanRequest, actor: str | None) -> PlannedWork:
        """Plan; audit the choice, or that every candidate was denied (then re-raise)."""
        try:
            work = self.planning.plan(request)
        except NoEligibleModelError as exc:
            await self.audit.append(
                "route.plan", _denied_payload(exc), actor=actor, tenant=request.tenant
            )
            raise
        plan = work.plan
        denied = {c.name: [code for code, _ in c.deny] for c in plan.candidates if c.denied}
        model = plan.primary.name if plan.primary else None
        fallbacks = [c.name for c in plan.fallbacks]
        payload: dict[str, Any] = {
            "outcome": "planned",
            "plan_id": work.plan_id,
            "policy_version": work.snapshot.version,
            "model": model,
            "fallbacks": fallbacks,
            "why": plan.primary.why[:3] if plan.primary else [],
            "denied": denied,
            "loa": plan.controls.loa,
        }
        await self.audit.append("route.plan", payload, actor=actor, tenant=request.tenant)
        self.bus.emit(
            RoutePlanned(
                plan_id=work.plan_id,
                task=request.task,
                tenant=request.tenant,
                loa=plan.controls.loa,
                model=model,
                fallbacks=fallbacks,
                denied=denied,
            )
        )
        return work


def _denied_payload(exc: NoEligibleModelError) -> dict[str, Any]:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    return {
        "outcome": "no_eligible_model",
        "policy_version": detail.get("policy_version"),
        "denied": {
            c["model"]: [r["code"] for r in c.get("deny_reasons", [])]
            for c in detail.get("candidates", [])
        },
    }
