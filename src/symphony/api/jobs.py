"""The power-window job queue: submit deferred execute work, read it, cancel it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from symphony.api.contracts.base import ok
from symphony.api.contracts.errors import (
    INVALID,
    STORE_DOWN,
    TENANT,
    NoEligibleModelBody,
    problem,
    problems,
)
from symphony.api.contracts.jobs import Job, JobList, JobSubmitted
from symphony.api.deps import JobsDep, PolicyDep
from symphony.api.errors import json_response
from symphony.api.execute import ExecuteIn, to_execute_request
from symphony.api.security import actor_of, api_key_of, require_tenant
from symphony.errors import UnknownTenantError
from symphony.jobs.schedule import RunSpec, check_cron, check_zone
from symphony.jobs.service import iso
from symphony.store.jobs import JobRecord, JobState

router = APIRouter(tags=["jobs"])

JOB_EXAMPLE: dict[str, Any] = {
    "id": "job_Qm9vYmFyYmF6cXV4eHh4",
    "state": "queued",
    "tenant": "default",
    "run": {"mode": "next_window", "at": None, "cron": None, "tz": "UTC"},
    "next_run_at": "2026-12-02T06:00:00+00:00",
    "deadline_at": "2026-12-03T06:00:00+00:00",
    "created_at": "2026-12-01T19:00:00+00:00",
    "updated_at": "2026-12-01T19:00:00+00:00",
    "started_at": None,
    "attempts": 0,
    "max_attempts": 3,
    "runs": 0,
    "idempotency_key": "nightly-digest-2026-12-01",
    "actor": "ops",
    "request": {"task": "summarize", "input": "the day's incidents", "tenant": "default"},
    "result": None,
    "audit_id": None,
    "error": None,
    "history": [],
}


class JobIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "request": {"task": "summarize", "input": "the day's incidents"},
                    "run": "next_window",
                    "idempotency_key": "nightly-digest-2026-12-01",
                },
                {
                    "request": {"task": "qa", "input": "daily report"},
                    "run": "cron",
                    "cron": "30 2 * * *",
                    "tz": "America/Los_Angeles",
                },
            ]
        },
    )
    request: ExecuteIn = Field(description="a /route/execute body (stream must be false)")
    run: Literal["asap", "next_window", "at", "cron"] = "asap"
    at: datetime | None = Field(None, description="ISO 8601 instant with an offset (run=at)")
    cron: str | None = Field(None, max_length=120, description="5-field cron (run=cron)")
    tz: str = Field("UTC", max_length=64, description="IANA zone of the cron expression")
    deadline: datetime | None = Field(
        None, description="give up waiting for a window after this instant (default: a day)"
    )
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> JobIn:
        problems: list[str] = []
        if self.request.stream:
            problems.append("request.stream: a job cannot stream; leave it false")
        if self.run == "at" and self.at is None:
            problems.append("at: required when run is 'at'")
        if self.run != "at" and self.at is not None:
            problems.append(f"at: only with run 'at' (run is '{self.run}')")
        if self.run == "cron":
            why = "required when run is 'cron'" if self.cron is None else check_cron(self.cron)
            if why:
                problems.append(f"cron: {why}")
        elif self.cron is not None:
            problems.append(f"cron: only with run 'cron' (run is '{self.run}')")
        for name in ("at", "deadline"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                problems.append(f"{name}: needs a UTC offset (e.g. 2026-12-02T06:00:00Z)")
        zone_problem = check_zone(self.tz)
        if zone_problem:
            problems.append(f"tz: {zone_problem}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def job_body(job: JobRecord) -> dict[str, Any]:
    """A job as the API answers it."""
    history = [{**h, "at": iso(h["at"])} for h in job.history]
    return {
        "id": job.id,
        "state": str(job.state),
        "tenant": job.tenant,
        "run": job.run,
        "next_run_at": iso(job.next_run_at),
        "deadline_at": iso(job.deadline_at),
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "started_at": iso(job.started_at),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "runs": job.runs,
        "idempotency_key": job.idempotency_key,
        "actor": job.actor,
        "request": job.request,
        "result": job.result,
        "audit_id": None if job.result is None else job.result.get("audit_id"),
        "error": job.error,
        "history": history,
    }


def visible_tenants(request: Request) -> list[str] | None:
    """The tenants whose jobs this key sees (None: every tenant)."""
    key = api_key_of(request)
    if key is None:
        return None
    if key.tenants:
        return list(key.tenants)
    return None if key.role != "client" else ["default"]


@router.post(
    "/jobs",
    summary="Queue execute work for now, the next power window, a time, or a cron schedule",
    responses={
        **ok(
            JobSubmitted,
            {"created": True, "reason": "openai/chatgpt-plus: next power window",
             "job": JOB_EXAMPLE},
        ),
        **problems({403: TENANT, 404: "Unknown tenant", 422: INVALID, 503: STORE_DOWN}),
        409: problem("next_window: no model is eligible and no window will reset",
                     NoEligibleModelBody),
    },
)  # fmt: skip
async def submit_job(body: JobIn, request: Request, jobs: JobsDep, policy: PolicyDep) -> Response:
    require_tenant(request, body.request.tenant)
    if body.request.tenant not in policy.snapshot.tenants:  # 404 before queueing, not at run
        raise UnknownTenantError(f"unknown tenant '{body.request.tenant}'")
    actor = actor_of(request)
    work = to_execute_request(body.request, policy.snapshot.overrides_schema, actor)
    spec = RunSpec(mode=body.run, at=body.at.astimezone(UTC) if body.at else None,
                   cron=body.cron, tz=body.tz)  # fmt: skip
    job, created, why = await jobs.submit(
        work,
        spec,
        body.request.model_dump(mode="json", exclude_none=True),
        idempotency_key=body.idempotency_key,
        deadline=body.deadline,
        actor=actor,
    )
    return json_response(
        {"created": created, "reason": why if created else None, "job": job_body(job)}
    )


@router.get(
    "/jobs",
    summary="Jobs of the tenants this key may act for, newest first",
    responses={**ok(JobList, {"jobs": [JOB_EXAMPLE], "counts": {"queued": 1}}),
               **problems({422: INVALID, 503: STORE_DOWN})},
)  # fmt: skip
async def list_jobs(
    request: Request,
    jobs: JobsDep,
    state: Annotated[JobState | None, Query(description="only jobs in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    visible = visible_tenants(request)
    found = await jobs.search(visible, state, limit)
    counts = await jobs.counts(visible)
    return json_response(
        {"jobs": [job_body(j) for j in found], "counts": {str(k): v for k, v in counts.items()}}
    )


@router.get(
    "/jobs/{job_id}",
    summary="One job: state, attempts, the last result with its audit id, or the error",
    responses={**ok(Job, JOB_EXAMPLE),
               **problems({404: "No such job (or not one of this key's tenants)",
                           503: STORE_DOWN})},
)  # fmt: skip
async def get_job(job_id: str, request: Request, jobs: JobsDep) -> Response:
    job = await jobs.get(job_id, visible_tenants(request))
    return json_response(job_body(job))


@router.delete(
    "/jobs/{job_id}",
    summary="Cancel a job that has not started",
    responses={
        **ok(Job, {**JOB_EXAMPLE, "state": "cancelled"}),
        **problems({404: "No such job (or not one of this key's tenants)",
                    409: "The job already started or ended", 503: STORE_DOWN}),
    },
)  # fmt: skip
async def cancel_job(job_id: str, request: Request, jobs: JobsDep) -> Response:
    job = await jobs.cancel(job_id, actor_of(request), visible_tenants(request))
    return json_response(job_body(job))
