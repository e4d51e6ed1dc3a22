"""Jobs as a service: submit, schedule, cancel, and the worker that runs them.

Every job fact (`job.queued`, `job.started`, `job.done`, `job.failed`, `job.cancelled`) is
produced here, each with its audit record and metrics. The worker claims due jobs from the
JobQueue (a lease per run), runs each through the same Executor as `/route/execute` (so
plans, the kill switch, windows, reserves and budgets apply exactly as for a live call),
and settles it:

- answered: `done` (a cron job is queued again for its next start);
- no eligible model now (409): queued again for the next window reset, unless that is past
  the job's deadline, then `failed` with the planner's reason;
- every candidate failed (502) or the store was down (503): retried with backoff until
  `max_attempts`, then `dead`;
- any other refusal (unknown tenant, invalid override): `failed` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from symphony.audit.sink import AuditSink
from symphony.clock import Clock
from symphony.errors import (
    ConflictError,
    NoEligibleModelError,
    NotFoundError,
    StoreError,
    SymphonyError,
    UpstreamFailedError,
)
from symphony.events.bus import EventBus
from symphony.events.facts import Fact, JobCancelled, JobDone, JobFailed, JobQueued, JobStarted
from symphony.execute.executor import Executor
from symphony.execute.request import ExecuteRequest
from symphony.jobs.codec import decode, encode
from symphony.jobs.pacing import Pacer, drain_rate
from symphony.jobs.schedule import RunSpec, backoff, next_cron, window_time
from symphony.jobs.system import SYSTEM_TENANT, SystemRunner
from symphony.kit.ids import new_id
from symphony.metrics.registry import Metrics
from symphony.store.jobs import FINAL, JobQueue, JobRecord, JobState

log = logging.getLogger("symphony.jobs")
RETRYABLE = (UpstreamFailedError, StoreError)
COUNT_SCAN = 100_000  # jobs a tenant-bound count looks at (the queue keeps far fewer)


@dataclass(frozen=True, slots=True)
class JobLimits:
    """The worker's knobs (from JobsSettings)."""

    poll_interval_s: float = 1.0
    concurrency: int = 2
    lease_s: float = 600.0
    max_attempts: int = 3
    retry_backoff_s: float = 30.0
    deadline_s: float = 86400.0
    pace_burst: int = 1  # starts a model's backlog may make at once (then its rate)


class When(NamedTuple):
    """When a job runs, why, and the model planned for it (None: not planned yet)."""

    at: datetime
    why: str
    model: str | None = None


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()


class JobService:
    """Submit, read and cancel jobs; `run(stop)` is the worker loop."""

    def __init__(
        self,
        queue: JobQueue,
        executor: Executor,
        audit: AuditSink,
        bus: EventBus,
        metrics: Metrics,
        clock: Clock,
        limits: JobLimits,
        holder: str,
        system: SystemRunner,
    ) -> None:
        self.queue = queue
        self.executor = executor
        self.planning = executor.planning
        self.audit = audit
        self.bus = bus
        self.metrics = metrics
        self.clock = clock
        self.limits = limits
        self.holder = holder
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._depth_models: set[str] = set()
        self.pacer = Pacer(limits.pace_burst)
        self.system = system

    # --- scheduling ---------------------------------------------------------------------
    def first_run(self, spec: RunSpec, work: ExecuteRequest, now: datetime) -> When:
        """When a new job first runs and why; NoEligibleModelError when no window frees up."""
        if spec.mode == "asap":
            return When(now, "asap")
        if spec.mode == "at":
            assert spec.at is not None
            return When(max(spec.at, now), "at the requested time")
        if spec.mode == "cron":
            assert spec.cron is not None
            return When(next_cron(spec.cron, spec.tz, now), f"cron '{spec.cron}' in {spec.tz}")
        return self.next_window(work, now)

    def next_window(self, work: ExecuteRequest, now: datetime) -> When:
        """The planned model's power window, or the reset of what is exhausted now."""
        snapshot = self.planning.policy.snapshot
        tenant = work.plan.tenant
        try:
            planned = self.executor.plan(work)
        except NoEligibleModelError as exc:
            allowed = snapshot.tenants.get(tenant)
            states = [
                self.planning.windows.state(snapshot, m.name, now, tenant)
                for m in snapshot.models
                if allowed is None or allowed.allows(m.name)
            ]
            at, why = window_time(None, states, now)
            if at is None:
                message = f"next_window: {why}: {exc.message}"
                raise NoEligibleModelError(message, detail=exc.detail) from exc
            return When(at, why)
        primary = planned.plan.primary
        assert primary is not None
        state = self.planning.windows.state(snapshot, primary.name, now, tenant)
        at, why = window_time(state, [state], now)
        return When(at or now, why, primary.name)

    # --- the API's actions --------------------------------------------------------------
    async def submit(
        self,
        work: ExecuteRequest,
        spec: RunSpec,
        request: dict[str, Any],
        *,
        idempotency_key: str | None,
        deadline: datetime | None,
        actor: str | None,
    ) -> tuple[JobRecord, bool, str]:
        """Queue a job (or return the one with the same idempotency key: created False),
        and why it runs when it does."""
        now = self.clock.now()
        at, why, model = self.first_run(spec, work, now)
        if deadline is None:
            deadline = at + timedelta(seconds=self.limits.deadline_s)
        record = JobRecord(
            id=new_id("job"),
            tenant=work.plan.tenant,
            state=JobState.QUEUED,
            run=spec.to_dict(),
            request=request,
            work=encode(work),
            created_at=now.timestamp(),
            next_run_at=at.timestamp(),
            deadline_at=None if spec.mode == "cron" else deadline.timestamp(),
            idempotency_key=idempotency_key,
            actor=actor,
            model=model,
            max_attempts=self.limits.max_attempts,
            updated_at=now.timestamp(),
        )
        job, created = await self.queue.submit(record)
        if created:
            await self._announce(
                JobQueued(
                    job_id=job.id,
                    tenant=job.tenant,
                    run=spec.mode,
                    next_run_at=iso(job.next_run_at),
                    reason=why,
                ),
                actor,
            )
            self._wake.set()
        return job, created, why

    async def get(self, job_id: str, tenants: Collection[str] | None = None) -> JobRecord:
        """One job; NotFoundError also when it belongs to a tenant the caller cannot see."""
        job = await self.queue.get(job_id)
        if job is None or (tenants is not None and job.tenant not in tenants):
            raise NotFoundError(f"no job '{job_id}'")
        return job

    async def search(
        self, tenants: Collection[str] | None, state: JobState | None, limit: int
    ) -> list[JobRecord]:
        return await self.queue.search(tenants, state, limit)

    async def cancel(
        self, job_id: str, actor: str | None, tenants: Collection[str] | None = None
    ) -> JobRecord:
        """Cancel a queued job; ConflictError when it already started or ended."""
        before = await self.get(job_id, tenants)
        job = await self.queue.cancel(job_id, self.clock.now().timestamp())
        if job is None:
            raise NotFoundError(f"no job '{job_id}'")
        if before.state is not JobState.QUEUED or job.state is not JobState.CANCELLED:
            raise ConflictError(
                f"job '{job_id}' is {job.state}: only a queued job can be cancelled",
                detail={"job_id": job_id, "state": str(job.state)},
            )
        await self._announce(JobCancelled(job_id=job.id, tenant=job.tenant, actor=actor), actor)
        return job

    async def counts(self, tenants: Collection[str] | None = None) -> dict[JobState, int]:
        """Jobs per state: every tenant's, or only `tenants`' (what a tenant-bound key sees)."""
        if tenants is None:
            return await self.queue.counts()
        tally: dict[JobState, int] = dict.fromkeys(JobState, 0)
        for job in await self.queue.search(tenants, None, COUNT_SCAN):
            tally[job.state] = tally.get(job.state, 0) + 1
        return tally

    async def refresh_gauges(self) -> dict[JobState, int]:
        """Jobs per state, and queued jobs per model (planned or last run; else unplanned)."""
        counts = await self.queue.counts()
        for state, n in counts.items():
            self.metrics.child(self.metrics.jobs, str(state)).set(n)
        depth: dict[str, int] = dict.fromkeys(self._depth_models, 0)
        for model, n in (await self.queue.queued_by_model()).items():
            depth[model or "unplanned"] = n
        for model, n in depth.items():
            self.metrics.child(self.metrics.jobs_queued, model).set(n)
        self._depth_models = set(depth)
        return counts

    # --- the worker ---------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run due jobs until `stop`; running jobs finish or are cancelled."""
        try:
            system_queued = False
            while not stop.is_set():
                try:
                    if not system_queued:  # once the store answers
                        await self.ensure_system_jobs()
                        system_queued = True
                    await self.tick()
                except Exception:  # the store may be down for a moment: look again later
                    log.exception("job worker: claiming due jobs failed")
                self._wake.clear()
                waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
                await asyncio.wait(
                    waiters, timeout=self.limits.poll_interval_s, return_when="FIRST_COMPLETED"
                )
                for w in waiters:
                    w.cancel()
        finally:
            for task in list(self._running):
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def tick(self) -> list[asyncio.Task[None]]:
        """Claim what is due (up to the free slots) and start running it."""
        free = self.limits.concurrency - len(self._running)
        if free <= 0:
            return []
        now = self.clock.now()
        claimed, dead = await self.queue.claim(
            now.timestamp(), self.holder, self.limits.lease_s, free
        )
        for job in dead:
            self.metrics.child(self.metrics.job_runs, "interrupted").inc()
            await self._failed(job, None)
        started = []
        for job in claimed:
            if await self._paced(job, now.timestamp()):
                continue
            task = asyncio.create_task(self._run_one(job), name=f"job-{job.id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            started.append(task)
        await self.refresh_gauges()
        return started

    async def _paced(self, job: JobRecord, now: float) -> bool:
        """Hand the job back when its model's backlog is draining at the model's rate."""
        if job.model is None:
            return False
        rate = drain_rate(self.planning.policy.snapshot, job.model, job.tenant)
        if rate is None:
            return False
        at = self.pacer.start_at(job.model, rate, job.id, now)
        if at <= now:
            return False
        assert job.claim is not None
        if await self.queue.release(job.id, job.claim, at, now) is None:
            self.pacer.forget(job.id)
        else:
            self.metrics.child(self.metrics.job_runs, "paced").inc()
        return True

    async def _run_one(self, job: JobRecord) -> None:
        now = self.clock.now()
        waited = max(now.timestamp() - (job.next_run_at or now.timestamp()), 0.0)
        self.metrics.job_wait.observe(waited)
        await self._announce(
            JobStarted(job_id=job.id, tenant=job.tenant, attempt=job.attempts, waited_s=waited),
            job.actor,
        )
        assert job.claim is not None
        heartbeat = asyncio.create_task(self._heartbeat(job.id, job.claim))
        if "system" in job.work:
            try:
                await self._run_system(job, str(job.work["system"]))
            finally:
                heartbeat.cancel()
                self._wake.set()
            return
        try:
            result = await self.executor.run(decode(job.work, new_id("aud")))
        except asyncio.CancelledError:
            # Shutting down mid-run: hand the job back now (no waiting for its lease); the
            # attempt counts, since the upstream may have been called.
            await asyncio.shield(self._stopped(job))
            raise
        except NoEligibleModelError as exc:
            await self._not_now(job, exc)
        except RETRYABLE as exc:
            await self._retry_or_dead(job, exc)
        except SymphonyError as exc:
            await self._settle_failed(job, JobState.FAILED, exc, None)
        except Exception as exc:  # a bug must not kill the worker; the job says what broke
            log.exception("job %s crashed", job.id)
            await self._retry_or_dead(job, SymphonyError(f"{type(exc).__name__}: {exc}"))
        else:
            body = result.to_dict()
            later = self._next_cron(job)
            settled = await self.queue.settle(
                job.id,
                job.claim,
                state=JobState.QUEUED if later else JobState.DONE,
                now=self.clock.now().timestamp(),
                next_run_at=later,
                result=body,
                reset_attempts=later is not None,
                ran=True,
                model=result.decision.model,
            )
            if settled is None:
                return  # lost the lease: another worker owns the job now
            self.metrics.child(self.metrics.job_runs, "done").inc()
            await self._announce(
                JobDone(
                    job_id=job.id,
                    tenant=job.tenant,
                    audit_id=result.audit_id,
                    model=result.decision.model or "",
                    attempts=job.attempts,
                    cost_usd=body["audit"]["cost_usd"],
                    next_run_at=iso(later),
                ),
                job.actor,
            )
        finally:
            heartbeat.cancel()
            self._wake.set()

    # --- system jobs (jobs/system.py) ---------------------------------------------------
    async def ensure_system_jobs(self) -> list[JobRecord]:
        """Queue each system job of this process once (idempotency key per schedule);
        cancel queued ones whose schedule changed."""
        now = self.clock.now()
        wanted = self.system.keys()
        for old in await self.queue.search([SYSTEM_TENANT], JobState.QUEUED, 1000):
            if old.work.get("system") in self.system.jobs and old.idempotency_key not in wanted:
                await self.queue.cancel(old.id, now.timestamp())
        jobs = []
        for task in self.system.jobs.values():
            spec = RunSpec("cron", cron=task.cron, tz=task.tz)
            record = JobRecord(
                id=new_id("job"),
                tenant=SYSTEM_TENANT,
                state=JobState.QUEUED,
                run=spec.to_dict(),
                request={"system": task.name},
                work={"system": task.name},
                created_at=now.timestamp(),
                next_run_at=next_cron(task.cron, task.tz, now).timestamp(),
                idempotency_key=task.key,
                actor=SYSTEM_TENANT,
                max_attempts=self.limits.max_attempts,
                updated_at=now.timestamp(),
            )
            job, created = await self.queue.submit(record)
            if created:
                why = f"system job, cron '{task.cron}' in {task.tz}"
                queued = JobQueued(
                    job_id=job.id,
                    tenant=job.tenant,
                    run="cron",
                    next_run_at=iso(job.next_run_at),
                    reason=why,
                )
                await self._announce(queued, SYSTEM_TENANT)
            jobs.append(job)
        return jobs

    async def _run_system(self, job: JobRecord, name: str) -> None:
        assert job.claim is not None
        task = self.system.jobs.get(name)
        now = self.clock.now().timestamp()
        if task is None:  # another replica's task (a shared queue): leave it to that one
            await self.queue.release(job.id, job.claim, now + 60.0, now)
            return
        try:
            result = await task.task(self.clock.now())
        except asyncio.CancelledError:
            await asyncio.shield(self._stopped(job))
            raise
        except Exception as exc:  # queued for its next start, with the reason
            log.exception("system job %s failed", name)
            error = exc if isinstance(exc, SymphonyError) else SymphonyError(f"{exc!r}")
            await self._settle_failed(job, JobState.FAILED, error, None)
            return
        later = self._next_cron(job)
        settled = await self.queue.settle(
            job.id,
            job.claim,
            state=JobState.QUEUED if later else JobState.DONE,
            now=self.clock.now().timestamp(),
            next_run_at=later,
            result=result,
            reset_attempts=True,
            ran=True,
        )
        if settled is None:
            return
        self.metrics.child(self.metrics.job_runs, "done").inc()
        done = JobDone(
            job_id=job.id,
            tenant=job.tenant,
            audit_id="",
            model=f"system:{name}",
            attempts=job.attempts,
            cost_usd=0.0,
            next_run_at=iso(later),
        )
        await self._announce(done, SYSTEM_TENANT)

    async def _stopped(self, job: JobRecord) -> None:
        assert job.claim is not None
        now = self.clock.now().timestamp()
        error = {"code": "shutdown", "message": "the worker stopped during the run; queued again"}
        with contextlib.suppress(StoreError):
            await self.queue.settle(
                job.id, job.claim, state=JobState.QUEUED, now=now, next_run_at=now, error=error
            )

    async def _heartbeat(self, job_id: str, claim: str) -> None:
        """Renew the lease at a third of its length while the run lasts."""
        every = self.limits.lease_s / 3
        while True:
            await asyncio.sleep(every)
            until = self.clock.now().timestamp() + self.limits.lease_s
            with contextlib.suppress(StoreError):
                if not await self.queue.renew(job_id, claim, until):
                    return

    def _next_cron(self, job: JobRecord) -> float | None:
        spec = RunSpec.from_dict(job.run)
        if spec.mode != "cron" or spec.cron is None:
            return None
        return next_cron(spec.cron, spec.tz, self.clock.now()).timestamp()

    async def _not_now(self, job: JobRecord, exc: NoEligibleModelError) -> None:
        """No model is eligible now: wait for the next window reset within the deadline."""
        now = self.clock.now()
        work = decode(job.work)
        try:
            at, _why, _model = self.next_window(work, now)
        except NoEligibleModelError:
            at = None
        deadline = job.deadline_at
        if at is None or at <= now or (deadline is not None and at.timestamp() > deadline):
            await self._settle_failed(job, JobState.FAILED, exc, None)
            return
        assert job.claim is not None
        settled = await self.queue.settle(
            job.id,
            job.claim,
            state=JobState.QUEUED,
            now=now.timestamp(),
            next_run_at=at.timestamp(),
            error=_error(exc),
            reset_attempts=True,
        )
        if settled is not None:
            self.metrics.child(self.metrics.job_runs, "deferred").inc()
            await self._failed(settled, at.timestamp())

    async def _retry_or_dead(self, job: JobRecord, exc: SymphonyError) -> None:
        if job.attempts >= job.max_attempts:
            await self._settle_failed(job, JobState.DEAD, exc, None)
            return
        delay = backoff(job.attempts, self.limits.retry_backoff_s)
        retry_at = (self.clock.now() + delay).timestamp()
        await self._settle_failed(job, JobState.QUEUED, exc, retry_at)

    async def _settle_failed(
        self, job: JobRecord, state: JobState, exc: SymphonyError, retry_at: float | None
    ) -> None:
        later = self._next_cron(job) if state in FINAL else None
        assert job.claim is not None
        settled = await self.queue.settle(
            job.id,
            job.claim,
            state=JobState.QUEUED if later else state,
            now=self.clock.now().timestamp(),
            next_run_at=later or retry_at,
            error=_error(exc),
            reset_attempts=later is not None,
            ran=later is not None,
        )
        if settled is None:
            return
        outcome = "retry" if state is JobState.QUEUED else str(state)
        self.metrics.child(self.metrics.job_runs, outcome).inc()
        await self._failed(settled, later or retry_at, state)

    async def _failed(
        self, job: JobRecord, retry_at: float | None, state: JobState | None = None
    ) -> None:
        error = job.error or {"code": "unknown", "message": "no reason recorded"}
        await self._announce(
            JobFailed(
                job_id=job.id,
                tenant=job.tenant,
                state=str(state or job.state),
                code=str(error.get("code")),
                message=str(error.get("message")),
                attempts=job.attempts,
                retry_at=iso(retry_at),
            ),
            job.actor,
        )

    async def _announce(self, fact: Fact, actor: str | None) -> None:
        """Audit, then publish: the one way a job fact leaves this service."""
        payload = fact.payload()
        await self.audit.append(str(fact.TYPE), payload, actor=actor, tenant=payload["tenant"])
        self.bus.emit(fact)


def _error(exc: SymphonyError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.detail is not None:
        body["detail"] = exc.detail
    return body
