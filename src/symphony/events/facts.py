"""The one stream of facts: every event type, and a typed payload for each.

A fact is published once, by the one place that does the action (a flow in `flows/` or the
service itself), together with its audit record and its metrics. Subscribers (SSE clients,
integrations, the incident evaluator) read `type` and the payload's fields; the payload
classes below are the contract, and `/openapi.json` documents them under `/events`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar


class EventType(StrEnum):
    """Every event type Symphony publishes (`/events?types=` filters on these)."""

    POLICY_UPDATE = "policy.update"
    POLICY_REJECTED = "policy.rejected"
    POLICY_PROPOSAL = "policy.proposal"
    ROUTE_PLAN = "route.plan"
    ROUTE_EXECUTE = "route.execute"
    WINDOW_UPDATE = "window.update"
    RATE_LIMIT = "rate.limit"
    ERROR = "error"
    CONTROL_KILL = "control.kill"
    CONTROL_UNKILL = "control.unkill"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    # SLOs and incidents (produced by flows/incidents.py)
    INCIDENT_OPENED = "incident.opened"
    INCIDENT_REOPENED = "incident.reopened"
    INCIDENT_ESCALATED = "incident.escalated"
    INCIDENT_RESOLVED = "incident.resolved"
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    TICKET_FAILED = "ticket.failed"
    NOTIFY_SENT = "notify.sent"
    NOTIFY_FAILED = "notify.failed"
    JOB_QUEUED = "job.queued"
    JOB_STARTED = "job.started"
    JOB_DONE = "job.done"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    BUDGET_UPDATE = "budget.update"
    INGEST_COMPLETED = "ingest.completed"
    INGEST_FAILED = "ingest.failed"
    RAG_FRESHNESS = "rag.index.freshness"
    RAG_REINDEX = "rag.reindex.progress"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """Base of every event payload: `TYPE` names it, `payload()` is its JSON object."""

    TYPE: ClassVar[EventType]

    def payload(self) -> dict[str, Any]:
        """The JSON object: every field, except optional ones (default None) left unset."""
        cls = type(self)
        layout = _LAYOUT.get(cls)
        if layout is None:
            layout = _LAYOUT[cls] = (
                tuple(f.name for f in fields(cls) if f.default is not None),
                tuple(f.name for f in fields(cls) if f.default is None),
            )
        required, optional = layout
        body = {name: getattr(self, name) for name in required}
        for name in optional:
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body


# Per fact class: (fields always present, optional fields omitted when None).
_LAYOUT: dict[type[Fact], tuple[tuple[str, ...], tuple[str, ...]]] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyUpdated(Fact):
    """A new policy snapshot serves from now on."""

    TYPE = EventType.POLICY_UPDATE
    trigger: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRejected(Fact):
    """A policy change was refused; the last good policy keeps serving."""

    TYPE = EventType.POLICY_REJECTED
    trigger: str
    errors: list[str]
    kept_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyProposal(Fact):
    """A governed policy change was proposed, approved, applied or superseded."""

    TYPE = EventType.POLICY_PROPOSAL
    proposal_id: str
    status: str
    proposer: str
    base_version: str
    candidate_version: str
    approvals: list[str]
    governed: list[str]
    note: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutePlanned(Fact):
    """`/route/plan` chose a model (or every candidate was denied: `model` is None)."""

    TYPE = EventType.ROUTE_PLAN
    plan_id: str | None
    task: str
    tenant: str
    loa: int | None
    model: str | None
    fallbacks: list[str]
    denied: dict[str, list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteExecuted(Fact):
    """A unit of work finished (answered, stopped by its cost cap, or cut off).

    `ok` is False when an answer was cut off by an upstream error (the SLO counts it bad);
    `rule` is the routing rule that matched, if any."""

    TYPE = EventType.ROUTE_EXECUTE
    audit_id: str
    plan_id: str
    model: str
    rule: str | None
    ok: bool
    tenant: str
    latency_ms: float
    cost_usd: float
    attempts: int
    stopped_reason: str | None
    fallback: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowUpdated(Fact):
    """What Symphony knows about a model's window changed.

    `source` says how: `headers` (rate-limit headers learned), `errors` (a cooldown after
    a failed attempt), or the observer of `POST /windows/{model}/observe` (e.g. `operator`).
    Fields that do not apply to the source are None."""

    TYPE = EventType.WINDOW_UPDATE
    model: str
    source: str
    remaining: float | None = None
    cap: float | None = None
    resets_at: str | None = None
    tenant: str | None = None
    kind: str | None = None
    status: int | None = None
    retry_after_s: float | None = None
    cooldown_until: str | None = None
    window: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimited(Fact):
    """A rate limit hit: an upstream's (`scope: upstream`) or Symphony's own (`key`/`ip`)."""

    TYPE = EventType.RATE_LIMIT
    scope: str
    retry_after_s: float | None
    model: str | None = None
    tenant: str | None = None
    kind: str | None = None
    status: int | None = None
    cooldown_until: str | None = None
    key: str | None = None
    path: str | None = None
    rate_per_s: float | None = None
    burst: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteFailed(Fact):
    """Every candidate of a unit of work failed (the 502 the caller got); `model` is the
    last one tried."""

    TYPE = EventType.ERROR
    route: str
    code: str
    audit_id: str
    attempts: int
    model: str | None
    rule: str | None
    latency_ms: float
    tenant: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Killed(Fact):
    """A scope was killed: plans deny it and its streams stop."""

    TYPE = EventType.CONTROL_KILL
    scope: str
    target: str | None
    reason: str
    actor: str | None
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Unkilled(Fact):
    """A kill was lifted."""

    TYPE = EventType.CONTROL_UNKILL
    scope: str
    target: str | None
    reason: str | None
    actor: str | None
    kill: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyCreated(Fact):
    """An API key appeared (created here or by `symphony keys create`)."""

    TYPE = EventType.KEY_CREATED
    key_id: str
    name: str
    role: str
    tenants: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRevoked(Fact):
    """An API key was revoked."""

    TYPE = EventType.KEY_REVOKED
    key_id: str
    name: str
    role: str


# --- SLOs and incidents (flows/incidents.py) -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentChanged(Fact):
    """Base of the incident lifecycle facts: which incident, why, and the outbound actions
    (`github.create`, `slack.post`, …) the change queued in the durable outbox."""

    incident_id: str
    key: str
    source: str
    title: str
    severity: str
    episode: int
    actions: list[str]
    slo: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentOpened(IncidentChanged):
    """An incident opened (an SLO alert, an Alertmanager alert, or by hand)."""

    TYPE = EventType.INCIDENT_OPENED


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentReopened(IncidentChanged):
    """A resolved incident fired again within its reopen window: same incident, new episode."""

    TYPE = EventType.INCIDENT_REOPENED


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentEscalated(IncidentChanged):
    """An open incident became more severe (a ticket-level alert now pages)."""

    TYPE = EventType.INCIDENT_ESCALATED


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentResolved(IncidentChanged):
    """An incident resolved (recovery, Alertmanager's resolve, or by hand)."""

    TYPE = EventType.INCIDENT_RESOLVED


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundDone(Fact):
    """Base of the outbox facts: one action (`vendor`.`action`) of one incident."""

    incident_id: str
    entry_id: str
    vendor: str
    action: str
    attempts: int | None = None
    result: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCreated(OutboundDone):
    """A GitHub issue or Jira issue exists for the incident (`result` has its id and url)."""

    TYPE = EventType.TICKET_CREATED


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketUpdated(OutboundDone):
    """A ticket was commented, cross-linked, closed or reopened (`action` says which)."""

    TYPE = EventType.TICKET_UPDATED


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifySent(OutboundDone):
    """Slack was posted to, or PagerDuty triggered or resolved."""

    TYPE = EventType.NOTIFY_SENT


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundFailed(Fact):
    """Base of the failure facts: `final` False means it is retried in `retry_in_s`."""

    incident_id: str
    entry_id: str
    vendor: str
    action: str
    error: str
    final: bool
    attempts: int | None = None
    retry_in_s: float | None = None
    cancelled: list[str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFailed(OutboundFailed):
    """A ticket action failed (retried with backoff unless `final`)."""

    TYPE = EventType.TICKET_FAILED


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyFailed(OutboundFailed):
    """A Slack or PagerDuty call failed (retried with backoff unless `final`)."""

    TYPE = EventType.NOTIFY_FAILED


@dataclass(frozen=True, slots=True, kw_only=True)
class JobQueued(Fact):
    """A job was submitted (or a cron job was queued for its next run): when it runs, why."""

    TYPE = EventType.JOB_QUEUED
    job_id: str
    tenant: str
    run: str
    next_run_at: str | None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStarted(Fact):
    """A worker claimed a due job; `waited_s` is how late it started after `next_run_at`."""

    TYPE = EventType.JOB_STARTED
    job_id: str
    tenant: str
    attempt: int
    waited_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class JobDone(Fact):
    """A job's run answered; its execution has its own `route.execute` fact and audit."""

    TYPE = EventType.JOB_DONE
    job_id: str
    tenant: str
    audit_id: str
    model: str
    attempts: int
    cost_usd: float
    next_run_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFailed(Fact):
    """A job's run failed: `state` is `queued` (it retries at `retry_at`), `failed` (not
    retryable, or past its deadline) or `dead` (retries exhausted)."""

    TYPE = EventType.JOB_FAILED
    job_id: str
    tenant: str
    state: str
    code: str
    message: str
    attempts: int
    retry_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobCancelled(Fact):
    """A queued job was cancelled before it started."""

    TYPE = EventType.JOB_CANCELLED
    job_id: str
    tenant: str
    actor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetUpdated(Fact):
    """A tenant budget line crossed a threshold (`reason: threshold`, `threshold` 0.5, 0.8 or
    1.0 of its limit) or its period reset (`reason: reset`, `threshold` 0)."""

    TYPE = EventType.BUDGET_UPDATE
    tenant: str
    budget: str
    period: str
    unit: str
    provider: str | None
    spent: float
    limit: float
    fraction: float
    threshold: float
    reason: str
    resets_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestCompleted(Fact):
    """An ingest call ended with at least one URL in the corpus (ingested or unchanged)."""

    TYPE = EventType.INGEST_COMPLETED
    ingest_id: str
    trigger: str  # api | schedule | reindex
    source: str | None = None  # the policy source, when one was ingested
    strategy: str
    urls: int
    ingested: int
    duplicate: int
    refused: int
    failed: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestFailed(Fact):
    """An ingest call stored nothing: every URL was refused or failed (or the call broke)."""

    TYPE = EventType.INGEST_FAILED
    ingest_id: str
    trigger: str
    source: str | None = None
    strategy: str
    urls: int
    refused: int
    failed: int
    reasons: list[str]  # the distinct reasons, e.g. robots_disallowed, timeout


@dataclass(frozen=True, slots=True, kw_only=True)
class RagFreshness(Fact):
    """How old the retrieval index is (on /rag/status, after each ingest and reindex)."""

    TYPE = EventType.RAG_FRESHNESS
    corpus: str
    staleness_s: float | None = None  # None: nothing indexed yet
    stale: bool
    documents: int
    stale_sources: list[str]  # policy sources whose newest document is past their max_age


@dataclass(frozen=True, slots=True, kw_only=True)
class ReindexProgressed(Fact):
    """One stale document of a running reindex was re-fetched (`done` of `total`)."""

    TYPE = EventType.RAG_REINDEX
    reindex_id: str
    done: int
    total: int
    url: str
    outcome: str  # ingested | duplicate | refused | failed
    reason: str | None = None


FACTS: tuple[type[Fact], ...] = (
    PolicyUpdated,
    PolicyRejected,
    PolicyProposal,
    RoutePlanned,
    RouteExecuted,
    WindowUpdated,
    RateLimited,
    RouteFailed,
    Killed,
    Unkilled,
    KeyCreated,
    KeyRevoked,
    IncidentOpened,
    IncidentReopened,
    IncidentEscalated,
    IncidentResolved,
    TicketCreated,
    TicketUpdated,
    TicketFailed,
    NotifySent,
    NotifyFailed,
    JobQueued,
    JobStarted,
    JobDone,
    JobFailed,
    JobCancelled,
    BudgetUpdated,
    IngestCompleted,
    IngestFailed,
    RagFreshness,
    ReindexProgressed,
)
