"""Planning as a service: snapshot + live window states + stats -> an explained plan."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from symphony.clock import Clock
from symphony.events.bus import EventBus
from symphony.kit.ids import new_id
from symphony.metrics.registry import Metrics
from symphony.policy.model import ModelSpec, PolicySnapshot
from symphony.policy.store import PolicyStore
from symphony.providers.credentials import Credentials
from symphony.routing.budgets import BudgetLine, Period, Unit, budget_lines
from symphony.routing.planner import Plan, PlanContext, plan
from symphony.routing.request import PlanRequest
from symphony.routing.stats import LatencyStats
from symphony.windows.calendar import period_bounds
from symphony.windows.power import upcoming
from symphony.windows.service import WindowService
from symphony.windows.state import WindowState
from symphony.windows.usage import ts

__all__ = ["KillCheck", "PlannedWork", "PlanningService", "new_id"]  # new_id: moved to kit.ids

KillCheck = Callable[[ModelSpec, str], str | None]
"""The kill switch's check: (model, tenant) -> why it is killed, or None."""


@dataclass(slots=True)
class PlannedWork:
    plan_id: str
    plan: Plan
    snapshot: PolicySnapshot
    generated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        body = self.plan.to_dict()
        return {
            "plan_id": self.plan_id,
            "policy_version": body.pop("policy_version"),
            "generated_at": self.generated_at.isoformat().replace("+00:00", "Z"),
            **body,
        }


class PlanningService:
    """Plans, the Model Matrix and burndown over the live policy snapshot and window states.

    Every collaborator is required: `killed` is the kill switch's check (the planner denies
    what it names and the executor stops streams it names), `simulated_prefixes` the base
    URLs served by the in-process simulator (demo mode; `()` when there is none).
    """

    def __init__(
        self,
        policy: PolicyStore,
        windows: WindowService,
        stats: LatencyStats,
        bus: EventBus,
        metrics: Metrics,
        credentials: Credentials,
        clock: Clock,
        *,
        killed: KillCheck,
        simulated_prefixes: tuple[str, ...],
    ) -> None:
        self.policy = policy
        self.windows = windows
        self.stats = stats
        self.bus = bus
        self.metrics = metrics
        self.credentials = credentials
        self.clock = clock
        self.killed = killed
        # Base URLs served by the in-process simulator (demo mode).
        self.simulated_prefixes = simulated_prefixes
        # Model names a budget line sums over (provider, or None: every hosted model), per
        # snapshot: derived from the policy alone, so computed once per reload, not per attempt.
        self._line_models: tuple[PolicySnapshot | None, dict[str | None, tuple[str, ...]]] = (
            None,
            {},
        )

    def is_simulated(self, spec: ModelSpec) -> bool:
        endpoint = spec.endpoint
        return endpoint is not None and endpoint.base_url.startswith(
            self.simulated_prefixes or ("\0",)
        )

    def states(
        self, snapshot: PolicySnapshot, tenant: str, now: datetime
    ) -> dict[str, WindowState]:
        return {m.name: self.windows.state(snapshot, m.name, now, tenant) for m in snapshot.models}

    def budget_lines(
        self, snapshot: PolicySnapshot, tenant: str, now: datetime
    ) -> list[BudgetLine]:
        """The tenant's configured budget lines with this period's spend (none: no reads)."""
        spec = snapshot.tenants.get(tenant)
        limits = () if spec is None else spec.budgets.limits
        if spec is None or not limits:
            return []
        tz = snapshot.defaults.timezone
        midnight = datetime.min.time()
        spans = {p: period_bounds(now, p, midnight, tz) for p in {line[1] for line in limits}}
        t = ts(now)
        index = self.windows.index

        def spend(provider: str | None, name: Period, unit: Unit) -> float:
            start = ts(spans[name][0])
            if provider is None and unit == "usd":  # as before: the tenant's whole spend
                return index.tenant(tenant).total(start, t, unit, include_start=True)
            return sum(
                index.tenant_model(tenant, model).total(start, t, unit, include_start=True)
                for model in self._models_of(snapshot, provider)
            )

        return budget_lines(spec, spend, lambda name: spans[name][1], lambda name: spans[name][0])

    def _models_of(self, snapshot: PolicySnapshot, provider: str | None) -> tuple[str, ...]:
        """The models a budget line of `provider` (None: every hosted model) spends on."""
        held, names = self._line_models
        if held is not snapshot:  # a reload: the snapshot object is new
            names = {}
            self._line_models = (snapshot, names)
        found = names.get(provider)
        if found is None:
            found = names[provider] = tuple(
                m.name
                for m in snapshot.models
                if (m.model_class == "hosted" if provider is None else m.provider == provider)
            )
        return found

    def plan(self, request: PlanRequest) -> PlannedWork:
        """Plan against one snapshot (read once); raise NoEligibleModelError (409) if none.

        Announcing and auditing a plan is the caller's (`flows.plans.PlanFlow`; the
        executor's plans are part of their execution's record)."""
        snapshot = self.policy.snapshot
        now = self.clock.now()
        started = time.perf_counter()
        states: dict[str, WindowState] = {}
        if request.tenant in snapshot.tenants:
            if request.pinned_model is not None and snapshot.model(request.pinned_model):
                # A pinned model (/v1 with a fixed model) needs only its own window.
                states = {
                    request.pinned_model: self.windows.state(
                        snapshot, request.pinned_model, now, request.tenant
                    )
                }
            else:
                states = self.states(snapshot, request.tenant, now)
        ctx = PlanContext(
            snapshot=snapshot,
            states=states,
            now=now,
            latency_p95=self.stats.p95,
            has_credentials=self.credentials.available,
            killed=self.killed,
            budgets=lambda t: self.budget_lines(snapshot, t, now),
        )
        try:
            result = plan(request, ctx)
        finally:
            self.metrics.plan_latency.observe(time.perf_counter() - started)
        work = PlannedWork(new_id("pln"), result, snapshot, now)
        assert result.primary is not None
        self.metrics.child(self.metrics.decisions, result.primary.name, "plan").inc()
        return work

    def matrix_item(
        self,
        snapshot: PolicySnapshot,
        spec: ModelSpec,
        state: WindowState,
        now: datetime,
        tenant: str,
    ) -> dict[str, Any]:
        tenant_spec = snapshot.tenants.get(tenant)
        windows = (
            tuple(w for w in tenant_spec.power_windows if w.model == spec.name)
            if tenant_spec
            else ()
        )
        next_windows = upcoming(
            snapshot.schedules.get(spec.name),
            windows,
            self.windows.learned.get(spec.name),
            now,
            snapshot.defaults.timezone,
        )
        learned = self.windows.learned.get(spec.name)
        return {
            "model": spec.name,
            "provider": spec.provider,
            "class": spec.model_class,
            "configured": True,
            "executable": spec.executable and self.credentials.available(spec),
            "has_endpoint": spec.executable,
            "simulated": self.is_simulated(spec),
            "window": state.to_dict(),
            "schedule": {
                "power_window_open": state.power_window_open,
                "next": [i.to_dict() for i in next_windows],
            },
            "learned": None
            if learned is None
            else {
                "source": learned.source,
                "note": learned.note,
                "observed_at": None
                if learned.observed_at is None
                else learned.observed_at.isoformat(),
            },
            "latency_p95_ms": self.stats.p95(spec.name),
            "price": None
            if spec.price is None
            else {
                "prompt": spec.price.prompt,
                "completion": spec.price.completion,
                "unit": "USD per 1M tokens",
            },
            "loa_max": spec.loa_max,
            "allow_tasks": list(spec.allow_tasks),
            "context_window": spec.context_window,
            "killed": self.killed(spec, tenant),
        }

    def matrix(self, tenant: str = "default") -> list[dict[str, Any]]:
        snapshot = self.policy.snapshot
        now = self.clock.now()
        items = []
        for spec in snapshot.models:
            state = self.windows.state(snapshot, spec.name, now, tenant)
            self._gauge(spec.name, state)
            items.append(self.matrix_item(snapshot, spec, state, now, tenant))
        return items

    def _gauge(self, model: str, state: WindowState) -> None:
        if state.remaining_fraction is not None:
            self.metrics.child(self.metrics.remaining_fraction, model).set(state.remaining_fraction)
            self.metrics.child(self.metrics.budget_fraction, model).set(
                1.0 - state.remaining_fraction
            )
        self.metrics.child(self.metrics.power_window, model).set(
            1.0 if state.power_window_open else 0.0
        )
        if state.resets_at is not None:
            self.metrics.child(self.metrics.window_reset, model).set(state.resets_at.timestamp())

    def refresh_gauges(self) -> None:
        snapshot = self.policy.snapshot
        now = self.clock.now()
        for spec in snapshot.models:
            self._gauge(spec.name, self.windows.state(snapshot, spec.name, now))
        self.metrics.policy_reload_ok.set(0.0 if self.policy.last_error else 1.0)

    def burndown(self, tenants: frozenset[str] | None = None) -> dict[str, Any]:
        """Usage per model over 1 min / 1 h / 1 day; with `tenants`, only theirs (and only
        the models one of them may use): a tenant-bound key never sees another's usage."""
        snapshot = self.policy.snapshot
        now = self.clock.now()
        t = ts(now)
        out: dict[str, Any] = {}
        for key, span in (
            ("m1", timedelta(minutes=1)),
            ("h1", timedelta(hours=1)),
            ("d1", timedelta(days=1)),
        ):
            bucket: dict[str, Any] = {}
            for spec in snapshot.models:
                start = t - span.total_seconds()
                if tenants is None:
                    series = [self.windows.index.model(spec.name)]
                else:
                    allowed = [
                        name
                        for name in sorted(tenants)
                        if (tenant := snapshot.tenants.get(name)) and tenant.allows(spec.name)
                    ]
                    if not allowed:
                        continue
                    series = [self.windows.index.tenant_model(n, spec.name) for n in allowed]
                state = self.windows.state(snapshot, spec.name, now)
                bucket[spec.name] = {
                    "requests": int(sum(s.total(start, t, "requests") for s in series)),
                    "tokens": int(sum(s.total(start, t, "tokens") for s in series)),
                    "cost_usd": round(sum(s.total(start, t, "usd") for s in series), 6),
                    "cap": state.to_dict()["cap"],
                    "remaining": state.to_dict()["remaining"],
                }
            out[key] = bucket
        return {"generated_at": now.isoformat().replace("+00:00", "Z"), "windows": out}
