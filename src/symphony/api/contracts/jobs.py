"""The power-window job queue: POST /jobs, GET /jobs, GET /jobs/{id}, DELETE /jobs/{id}."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire

JobStateName = Literal["queued", "running", "done", "failed", "cancelled", "dead"]
RunModeName = Literal["asap", "next_window", "at", "cron"]


class JobRun(Wire):
    """When the job runs: `mode`, and the instant (`at`) or cron expression in `tz`."""

    mode: RunModeName
    at: Instant | None
    cron: str | None
    tz: str


class JobError(Wire):
    """Why the last run failed (the same `code` and `message` as the REST error)."""

    code: str
    message: str
    detail: Any = None


class JobHistoryEntry(Wire):
    """One event in the job's life: a run's end, an interruption, a cancellation."""

    at: Instant
    state: str
    attempt: int | None = None
    audit_id: str | None = None
    error: str | None = None
    holder: str | None = None
    code: str | None = None
    message: str | None = None


class Job(Wire):
    """One job. `result` is the last run's `/route/execute` answer (with its `audit_id`);
    `error` why the last run failed; `attempts` the runs of the current try (crashes
    included), `runs` the completed runs (a cron job runs many times)."""

    id: str
    state: JobStateName
    tenant: str
    run: JobRun
    next_run_at: Instant | None
    deadline_at: Instant | None
    created_at: Instant
    updated_at: Instant
    started_at: Instant | None
    attempts: int
    max_attempts: int
    runs: int
    idempotency_key: str | None
    actor: str | None
    request: dict[str, Any]
    result: dict[str, Any] | None
    audit_id: str | None = Field(description="the last answered run's audit record")
    error: JobError | None
    history: list[JobHistoryEntry]


class JobSubmitted(Wire):
    """The job, and whether this call created it (False: same idempotency key as before)."""

    created: bool
    reason: str | None = Field(description="why it runs when it does (None when not created)")
    job: Job


class JobList(Wire):
    jobs: list[Job]
    counts: dict[str, int] = Field(description="jobs per state across the whole queue")
