"""SLOs, incidents and integrations: GET /slo, /incidents…, /integrations…."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire, absent

# --- GET /slo ------------------------------------------------------------------------------


class SloWindow(Wire):
    """One burn-rate row: fires when both windows burn faster than `factor`."""

    severity: Literal["page", "ticket"]
    long: str
    short: str
    factor: float
    long_burn_rate: float | None
    short_burn_rate: float | None
    firing: bool


class SloEvents(Wire):
    good: int
    bad: int


class SloObjective(Wire):
    """One SLO now: its objective, burn rates per window (null: no events in it), budget."""

    name: str
    kind: Literal["latency", "availability"]
    objective: float
    threshold_ms: int | None
    period: str
    at: Instant
    status: Literal["ok", "ticket", "page"]
    burn_rates: dict[str, float | None]
    windows: list[SloWindow]
    events: SloEvents
    error_budget_remaining: float
    p95_ms: float | None
    alert_since: Instant | None


class SloReport(Wire):
    policy_version: str
    evaluator: bool = Field(description="False when SYMPHONY_INCIDENTS_ENABLED is false")
    slos: list[SloObjective]


# --- incidents -----------------------------------------------------------------------------


class TicketLink(Wire):
    """A ticket of an incident: `system` github|jira, `key` the issue number or Jira key."""

    system: str
    key: str
    url: str
    state: Literal["open", "closed"]


class IncidentSummary(Wire):
    """An incident; `state` repeats `status` (the VS Code extension reads `state`)."""

    id: str
    key: str
    source: Literal["slo", "alertmanager", "manual", "roadmap"]
    title: str
    severity: str
    level: str | None
    status: Literal["open", "resolved"]
    state: Literal["open", "resolved"]
    slo: str | None
    opened_at: Instant
    updated_at: Instant
    resolved_at: Instant | None
    episode: int
    labels: list[str]
    firing: dict[str, str]
    tickets: list[TicketLink]


class TimelineEntry(Wire):
    at: Instant
    kind: str
    text: str
    data: dict[str, Any] | None = absent("Details: a ticket's url, attempts, …")


class OutboxAction(Wire):
    """One outbound call of the durable outbox (`action` is `vendor.action`)."""

    id: str
    incident_id: str
    action: str
    status: Literal["pending", "done", "failed", "cancelled"]
    attempts: int
    next_at: Instant | None
    last_error: str | None
    result: dict[str, Any] | None
    needs: dict[str, str]


class IncidentDetail(IncidentSummary):
    """An incident with its body, artifacts, timeline and outbound actions."""

    body: str
    artifacts: dict[str, Any]
    actions: dict[str, str]
    timeline: list[TimelineEntry]
    related: list[str]
    outbox: list[OutboxAction]


class IncidentList(Wire):
    open: int
    incidents: list[IncidentSummary]


# --- integrations --------------------------------------------------------------------------


class IntegrationState(Wire):
    """One integration: on or off (and why); `target` is a repo, site or host, never a
    secret; `fake` when an in-process demo fake stands in for the vendor."""

    vendor: Literal["github", "jira", "slack", "pagerduty"]
    enabled: bool
    why_off: str | None
    target: str | None
    fake: bool


class OutboxCounts(Wire):
    pending: int
    done: int
    failed: int
    cancelled: int


class IntegrationsReport(Wire):
    integrations: list[IntegrationState]
    parity: dict[str, Any]
    parity_error: str | None = Field(
        description="Why the last edit of the parity file was not applied (the previous one"
        " still is); null when it applied"
    )
    outbox: OutboxCounts
    demo_fakes: bool


class AlertmanagerResult(Wire):
    """What one webhook delivery changed (incident ids); duplicates and stale or
    out-of-order alerts are counted in `ignored`."""

    opened: list[str]
    reopened: list[str]
    resolved: list[str]
    updated: list[str]
    ignored: int


class FakesReport(Wire):
    """Demo mode: what the in-process fakes received (tickets, messages, pages)."""

    github: list[dict[str, Any]]
    jira: list[dict[str, Any]]
    slack: list[dict[str, Any]]
    pagerduty: list[dict[str, Any]]
