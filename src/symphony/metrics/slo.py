"""Metrics for executes by outcome, SLOs and incidents (closed label sets: policy names)."""

from __future__ import annotations

import contextlib

from prometheus_client import CollectorRegistry, Counter, Gauge

EXECUTE_OUTCOMES = ("ok", "error")
SLO_RESULTS = ("good", "bad")
ACTION_RESULTS = ("ok", "retry", "failed")
SLO_STATUS_VALUE = {"ok": 0, "ticket": 1, "page": 2}


class SloMetrics:
    """Prometheus computes the same SLO ratios as the in-process evaluator from
    `symphony_slo_events_total{slo,result}`: Symphony classifies each execute per SLO once
    (the latency threshold of every SLO may change on reload; histogram buckets cannot)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.execute = Counter(
            "symphony_execute_total",
            "Executes by served model (none when every candidate failed), routing rule"
            " (none without one) and outcome (ok|error)",
            ["model", "rule", "outcome"],
            registry=r,
        )
        self.slo_events = Counter(
            "symphony_slo_events_total",
            "Executes counted by each SLO, by result (good|bad)",
            ["slo", "result"],
            registry=r,
        )
        self.slo_objective = Gauge(
            "symphony_slo_objective_ratio",
            "Each SLO's objective: the share of good events it promises (0-1)",
            ["slo"],
            registry=r,
        )
        self.slo_burn_rate = Gauge(
            "symphony_slo_burn_rate",
            "In-process burn rate per SLO and window (error ratio / error budget);"
            " absent while a window has no events",
            ["slo", "window"],
            registry=r,
        )
        self.slo_budget_remaining = Gauge(
            "symphony_slo_error_budget_remaining_ratio",
            "Error budget left over the SLO period (1 untouched, 0 spent, negative overspent)",
            ["slo"],
            registry=r,
        )
        self.slo_status = Gauge(
            "symphony_slo_status",
            "In-process SLO alert status: 0 ok, 1 ticket, 2 page",
            ["slo"],
            registry=r,
        )
        self.incidents_open = Gauge(
            "symphony_incidents_open",
            "Incidents currently open",
            registry=r,
        )
        self.incident_transitions = Counter(
            "symphony_incident_transitions_total",
            "Incident lifecycle changes by event (opened|resolved|reopened) and source"
            " (slo|alertmanager|manual|roadmap)",
            ["event", "source"],
            registry=r,
        )
        self.incident_actions = Counter(
            "symphony_incident_actions_total",
            "Outbound ticket and notification actions by vendor, action and result"
            " (ok|retry|failed)",
            ["vendor", "action", "result"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "symphony_incident_outbox_pending",
            "Outbound actions waiting in the durable outbox",
            registry=r,
        )

    def count_execute(self, model: str | None, rule: str | None, ok: bool) -> None:
        """One execute finished (ok) or ended in an error."""
        self.execute.labels(model or "none", rule or "none", "ok" if ok else "error").inc()

    def declare_slo(self, name: str, objective: float) -> None:
        """Create an SLO's series at zero so rate() and ratios exist before any traffic."""
        for result in SLO_RESULTS:
            self.slo_events.labels(name, result)
        self.slo_objective.labels(name).set(objective)

    def forget_slo(self, name: str, windows: list[str]) -> None:
        """Drop the gauges of an SLO removed from policy (its counters keep their totals)."""
        for gauge in (self.slo_objective, self.slo_budget_remaining, self.slo_status):
            with contextlib.suppress(KeyError):
                gauge.remove(name)
        for window in windows:
            with contextlib.suppress(KeyError):
                self.slo_burn_rate.remove(name, window)
