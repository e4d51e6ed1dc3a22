"""JobQueue: durable deferred work (the power-window job queue's storage seam).

Contract (tests/store/test_jobs_contract.py checks every backend):
- `submit(record)` stores a new job in state `queued`. With an `idempotency_key`, a second
  submit with the same (tenant, key) stores nothing and returns the first job
  (`created=False`), whatever its state.
- `claim(now, holder, lease_s, limit)` moves at most `limit` due jobs to `running`, each
  with a fresh `claim` token, `attempts + 1` and `lease_until = now + lease_s`, atomically
  against every other claimer (two workers never claim one job). Due: `queued` with
  `next_run_at <= now`, or `running` whose lease expired (its worker died): such a job
  runs again once more (`interruptions` counts it) while `attempts < max_attempts`; a
  second interruption, or one at `max_attempts`, makes it `dead` with the reason
  `interrupted`. Oldest `next_run_at` first.
- `settle(job_id, claim, ...)` records the end of a run: the new state (`done`, `failed`,
  `dead`, or `queued` again for a retry or the next cron run), `next_run_at`, result or
  error. Only the holder of the current claim may settle; a stale claim returns None.
- `renew(job_id, claim, lease_until)` extends the lease of a running job (the worker's
  heartbeat, so a long run is not taken for a dead one); False when the claim is stale.
- `release(job_id, claim, next_run_at, now)` hands a claimed job back without running it
  (the worker's pacing): `queued` again at `next_run_at`, the claim's attempt not counted;
  None when the claim is stale.
- `cancel(job_id)` moves a `queued` job to `cancelled`; a job in any other state is
  returned unchanged (the caller explains why it cannot be cancelled).
- `get`, `search` (newest first, optionally by tenants and state), `counts` (jobs per
  state), `queued_by_model` (queued jobs per planned model).

Times are Unix seconds (floats); JSON columns hold the request and its outcome.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol


class JobState(StrEnum):
    """Where a job is: `queued` (waiting for its time), `running`, `done`, `failed` (not
    retryable, or its deadline passed), `cancelled`, `dead` (retries exhausted)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"


FINAL = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.DEAD})


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job as stored. `run` is the schedule (mode, at, cron, tz); `request` the client's
    execute body; `work` the validated unit of work the worker runs."""

    id: str
    tenant: str
    state: JobState
    run: dict[str, Any]
    request: dict[str, Any]
    work: dict[str, Any]
    created_at: float
    next_run_at: float | None
    deadline_at: float | None = None
    idempotency_key: str | None = None
    actor: str | None = None
    attempts: int = 0
    max_attempts: int = 3
    runs: int = 0  # completed runs (a cron job runs many times)
    interruptions: int = 0  # runs cut by a dead worker in the current try
    model: str | None = None  # planned at submit (next_window) or of the last answered run
    claim: str | None = None
    lease_until: float | None = None
    started_at: float | None = None
    updated_at: float = 0.0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def with_(self, **changes: Any) -> JobRecord:
        return replace(self, **changes)


class JobQueue(Protocol):
    """Durable jobs (see the module docstring for the contract)."""

    @property
    def where(self) -> str: ...

    async def submit(self, record: JobRecord) -> tuple[JobRecord, bool]: ...

    async def get(self, job_id: str) -> JobRecord | None: ...

    async def search(
        self,
        tenants: Collection[str] | None = None,
        state: JobState | None = None,
        limit: int = 100,
    ) -> list[JobRecord]: ...

    async def counts(self) -> dict[JobState, int]: ...

    async def queued_by_model(self) -> dict[str | None, int]:
        """Queued jobs per `model` (None: not planned yet)."""
        ...

    async def claim(
        self, now: float, holder: str, lease_s: float, limit: int
    ) -> tuple[list[JobRecord], list[JobRecord]]:
        """(claimed jobs, jobs that became `dead` because their lease expired too often)."""
        ...

    async def settle(
        self,
        job_id: str,
        claim: str,
        *,
        state: JobState,
        now: float,
        next_run_at: float | None = None,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        reset_attempts: bool = False,
        ran: bool = False,
        model: str | None = None,
    ) -> JobRecord | None: ...

    async def renew(self, job_id: str, claim: str, lease_until: float) -> bool: ...

    async def release(
        self, job_id: str, claim: str, next_run_at: float, now: float
    ) -> JobRecord | None: ...

    async def cancel(self, job_id: str, now: float) -> JobRecord | None: ...

    def close(self) -> None: ...
