"""The job transitions every JobQueue backend applies inside its own transaction (pure:
each takes the job as read under the backend's lock and `now`, and returns the new record),
so the SQLite and PostgreSQL queues cannot drift apart in what a claim or a settle does."""

from __future__ import annotations

import secrets
from typing import Any

from symphony.store.jobs import JobRecord, JobState

HISTORY_KEPT = 20


def note(job: JobRecord, entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [*job.history, entry][-HISTORY_KEPT:]


def dead_or_none(job: JobRecord, now: float) -> JobRecord | None:
    """A running job whose lease expired: `dead` if it was interrupted before or is at its
    last attempt (an interrupted run is retried once), else None (claim it again)."""
    if job.interruptions < 1 and job.attempts < job.max_attempts:
        return None
    error = {
        "code": "interrupted",
        "message": f"its worker died {job.interruptions + 1} times (lease"
        f" expired) after {job.attempts} of {job.max_attempts} attempts;"
        " an interrupted run is retried once",
    }
    return job.with_(
        state=JobState.DEAD,
        claim=None,
        lease_until=None,
        updated_at=now,
        error=error,
        history=note(job, {"at": now, "state": "dead", **error}),
    )


def claimed(job: JobRecord, now: float, holder: str, lease_s: float) -> JobRecord:
    """A due job (queued, or running with an expired lease) claimed by `holder`."""
    interrupted = job.state is JobState.RUNNING
    history = job.history
    if interrupted:
        history = note(job, {"at": now, "state": "interrupted", "holder": job.claim})
    return job.with_(
        state=JobState.RUNNING,
        claim=f"{holder}:{secrets.token_hex(6)}",
        attempts=job.attempts + 1,
        interruptions=job.interruptions + (1 if interrupted else 0),
        lease_until=now + lease_s,
        started_at=now,
        updated_at=now,
        history=history,
    )


def settled(
    job: JobRecord,
    *,
    state: JobState,
    now: float,
    next_run_at: float | None,
    result: dict[str, Any] | None,
    error: dict[str, Any] | None,
    reset_attempts: bool,
    ran: bool,
    model: str | None,
) -> JobRecord:
    """The end of a run, by the holder of the current claim."""
    entry: dict[str, Any] = {"at": now, "attempt": job.attempts, "state": str(state)}
    if result is not None and "audit_id" in result:
        entry["audit_id"] = result["audit_id"]
    if error is not None:
        entry["error"] = error.get("code")
    return job.with_(
        state=state,
        claim=None,
        lease_until=None,
        next_run_at=next_run_at,
        updated_at=now,
        result=result if result is not None else job.result,
        error=error,
        attempts=0 if reset_attempts else job.attempts,
        interruptions=0 if reset_attempts else job.interruptions,
        runs=job.runs + (1 if ran else 0),
        model=model or job.model,
        history=note(job, entry),
    )


def released(job: JobRecord, next_run_at: float, now: float) -> JobRecord:
    """A claimed job handed back unrun (paced): queued at `next_run_at`, attempt uncounted."""
    return job.with_(
        state=JobState.QUEUED,
        claim=None,
        lease_until=None,
        next_run_at=next_run_at,
        attempts=max(job.attempts - 1, 0),
        updated_at=now,
    )


def cancelled(job: JobRecord, now: float) -> JobRecord:
    return job.with_(
        state=JobState.CANCELLED,
        next_run_at=None,
        updated_at=now,
        history=note(job, {"at": now, "state": "cancelled"}),
    )


def held(job: JobRecord | None, claim: str) -> JobRecord | None:
    """`job` when it is running under `claim` (settle, renew and release need that), else
    None: a stale worker whose lease was taken over changes nothing."""
    if job is None or job.claim != claim or job.state is not JobState.RUNNING:
        return None
    return job
