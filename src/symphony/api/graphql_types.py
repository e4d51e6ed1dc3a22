"""GraphQL types (strawberry): the inputs mirror the REST bodies field for field, and every
input is validated by that REST body itself (PlanIn, ExecuteIn, JobIn) before it is used."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from symphony.store.jobs import JobState as StoredJobState


@strawberry.enum(
    description="queued, running, done, failed (not retryable or past its deadline),"
    " cancelled, dead (every attempt failed)"
)
class JobState(Enum):
    """The store's job states (a test keeps the two the same)."""

    QUEUED = StoredJobState.QUEUED.value
    RUNNING = StoredJobState.RUNNING.value
    DONE = StoredJobState.DONE.value
    FAILED = StoredJobState.FAILED.value
    CANCELLED = StoredJobState.CANCELLED.value
    DEAD = StoredJobState.DEAD.value


@strawberry.enum(description="When a job runs")
class RunMode(Enum):
    ASAP = "asap"
    NEXT_WINDOW = "next_window"
    AT = "at"
    CRON = "cron"


@strawberry.input(description="Per-work-unit overrides (the policy's work_unit_overrides_schema)")
class WorkUnitOverride:
    tokens_max: int | None = None
    context_budget_tokens: int | None = None
    temperature: float | None = None
    streaming: bool | None = None
    tools_allowed: list[str] | None = None
    cost_ceiling_usd: float | None = None
    provider_hints: list[str] | None = None
    loa: int | None = None
    allow_hosted: bool | None = None


@strawberry.input(description="What a caller asks the planner for (POST /route/plan's body)")
class PlanRequest:
    task: str
    input: str | None = None
    env: str | None = None
    loa: int = 1
    tenant: str = "default"
    overrides: WorkUnitOverride | None = None
    requires: list[str] | None = None
    fields: list[str] | None = None


@strawberry.input(description="A unit of work to run (POST /route/execute's body, no stream)")
class ExecuteRequest:
    task: str
    input: str | None = None
    env: str | None = None
    loa: int = 1
    tenant: str = "default"
    overrides: WorkUnitOverride | None = None
    controls: JSON | None = None


@strawberry.input(description="A job (POST /jobs's body)")
class JobRequest:
    request: ExecuteRequest
    run: RunMode = RunMode.ASAP
    at: str | None = None
    cron: str | None = None
    tz: str = "UTC"
    deadline: str | None = None
    idempotency_key: str | None = None


@strawberry.type
class DenyReason:
    code: str
    detail: str


@strawberry.type
class Candidate:
    model: str
    provider: str
    denied: bool
    score: float
    deny_reasons: list[DenyReason]
    why: list[str]


@strawberry.type
class Plan:
    plan_id: str
    policy_version: str
    model: str | None
    fallbacks: list[str]
    candidates: list[Candidate]
    controls: JSON

    @classmethod
    def of(cls, body: dict[str, Any]) -> Plan:
        primary = body["decision"]["primary"]
        return cls(
            plan_id=body["plan_id"],
            policy_version=body["policy_version"],
            model=None if primary is None else primary["model"],
            fallbacks=[c["model"] for c in body["decision"]["fallbacks"]],
            candidates=[
                Candidate(
                    model=c["model"],
                    provider=c["provider"],
                    denied=c["denied"],
                    score=c["score"],
                    deny_reasons=[DenyReason(**r) for r in c["deny_reasons"]],
                    why=c["why"],
                )
                for c in body["candidates"]
            ],
            controls=body["controls"],
        )


@strawberry.type
class Window:
    kind: str
    label: str
    unit: str
    open: bool
    used: float | None
    cap: float | None
    remaining: float | None
    remaining_fraction: float | None
    resets_at: str | None
    reserve_hold: bool
    power_window_open: bool
    next_power_window_start: str | None
    closed_reason: str | None


@strawberry.type
class Model:
    name: str
    provider: str
    model_class: str
    executable: bool
    killed: str | None
    window: Window

    @classmethod
    def of(cls, item: dict[str, Any]) -> Model:
        w = item["window"]
        nxt = w["next_power_window"]
        return cls(
            name=item["model"],
            provider=item["provider"],
            model_class=item["class"],
            executable=item["executable"],
            killed=item["killed"],
            window=Window(
                kind=w["kind"],
                label=w["label"],
                unit=w["unit"],
                open=w["open"],
                used=w["used"],
                cap=w["cap"],
                remaining=w["remaining"],
                remaining_fraction=w["remaining_fraction"],
                resets_at=w["resets_at"],
                reserve_hold=w["reserve_hold"],
                power_window_open=w["power_window_open"],
                next_power_window_start=None if nxt is None else nxt["start"],
                closed_reason=w["closed_reason"],
            ),
        )


@strawberry.type
class BudgetLine:
    key: str
    scope: str
    provider: str | None
    period: str
    unit: str
    spent: float
    limit: float
    fraction: float
    exhausted: bool
    resets_at: str


@strawberry.type
class TenantBudgets:
    tenant: str
    lines: list[BudgetLine]


@strawberry.type
class JobError:
    code: str
    message: str


@strawberry.type
class Job:
    id: str
    state: JobState
    tenant: str
    run: RunMode
    next_run_at: str | None
    attempts: int
    max_attempts: int
    runs: int
    idempotency_key: str | None
    audit_id: str | None
    answer: str | None
    error: JobError | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> Job:
        result = body["result"] or {}
        error = body["error"]
        return cls(
            id=body["id"],
            state=JobState(body["state"]),
            tenant=body["tenant"],
            run=RunMode(body["run"]["mode"]),
            next_run_at=body["next_run_at"],
            attempts=body["attempts"],
            max_attempts=body["max_attempts"],
            runs=body["runs"],
            idempotency_key=body["idempotency_key"],
            audit_id=body["audit_id"],
            answer=result.get("answer"),
            error=None if error is None else JobError(code=error["code"], message=error["message"]),
        )


@strawberry.type
class JobSubmission:
    created: bool
    reason: str | None
    job: Job


@strawberry.type
class Execution:
    audit_id: str
    answer: str
    model: str | None
    cost_usd: float
    latency_ms: float
    result: JSON


@strawberry.type(description="An incident (GET /incidents/{id} has its timeline and outbox)")
class Incident:
    id: str
    title: str
    severity: str
    status: str
    source: str
    slo: str | None
    level: str | None
    opened_at: str
    updated_at: str
    resolved_at: str | None
    tickets: JSON


@strawberry.type(description="A past plan of a tenant (its route.plan audit record)")
class PlanRecord:
    audit_id: str
    at: str
    outcome: str
    plan_id: str | None
    model: str | None
    fallbacks: list[str]
    denied: JSON
    policy_version: str | None
