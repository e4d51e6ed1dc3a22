"""The worker's decisions on a fixed clock, with a scripted executor: retries with backoff
then dead, waiting for a window reset within the deadline, cron re-queueing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from symphony.clock import FixedClock
from symphony.errors import NoEligibleModelError, UpstreamFailedError, ValidationFailed
from symphony.events.bus import EventBus
from symphony.execute.request import ExecuteRequest
from symphony.jobs.schedule import RunSpec
from symphony.jobs.service import JobLimits, JobService
from symphony.jobs.system import SystemRunner
from symphony.metrics.registry import Metrics
from symphony.providers.base import ChatMessage
from symphony.routing.request import PlanRequest
from symphony.store.jobs import JobState
from symphony.store.sqlite_jobs import SqliteJobQueue

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WORK = ExecuteRequest(
    plan=PlanRequest(task="qa", tenant="acme"), messages=(ChatMessage("user", "hi"),)
)


@dataclass
class Audit:
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def append(self, type: str, payload: dict[str, Any], **_: Any) -> None:
        self.records.append((type, payload))


class ScriptedExecutor:
    """Raises or answers from a script; `plan` says what next_window would pick."""

    def __init__(self, clock: FixedClock) -> None:
        self.script: list[Any] = []
        self.runs: list[ExecuteRequest] = []
        state = SimpleNamespace(
            model="m", exhausted=True, reserve_hold=False, cooldown_until=None,
            resets_at=T0 + timedelta(hours=1), power_window_open=False, next_power_window=None,
        )  # fmt: skip
        self.planning = SimpleNamespace(
            policy=SimpleNamespace(
                snapshot=SimpleNamespace(tenants={}, models=[], window_inputs=lambda *a: None)
            ),
            windows=SimpleNamespace(state=lambda *a: state),
        )

    def plan(self, req: ExecuteRequest) -> Any:
        return SimpleNamespace(plan=SimpleNamespace(primary=SimpleNamespace(name="m")))

    async def run(self, req: ExecuteRequest) -> Any:
        self.runs.append(req)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def answer(audit_id: str) -> Any:
    body = {"audit_id": audit_id, "audit": {"cost_usd": 0.01}}
    return SimpleNamespace(
        audit_id=audit_id, decision=SimpleNamespace(model="m"), to_dict=lambda: body
    )


@pytest.fixture
async def rig(
    tmp_path: Path,
) -> AsyncIterator[tuple[JobService, ScriptedExecutor, FixedClock, EventBus]]:
    clock = FixedClock(T0)
    queue = SqliteJobQueue.open(tmp_path / "jobs.db")
    executor = ScriptedExecutor(clock)
    bus = EventBus(clock)
    limits = JobLimits(max_attempts=3, retry_backoff_s=10.0, deadline_s=7200.0)
    service = JobService(  # type: ignore[arg-type]
        queue, executor, Audit(), bus, Metrics(), clock, limits, "w", SystemRunner()
    )
    yield service, executor, clock, bus
    queue.close()


async def run_due(service: JobService) -> None:
    for task in await service.tick():
        await task


async def test_upstream_failures_retry_with_backoff_then_dead(rig: Any) -> None:
    service, executor, clock, bus = rig
    fail = UpstreamFailedError("every candidate failed")
    executor.script = [fail, fail, fail]
    job, _, _ = await service.submit(
        WORK, RunSpec("asap"), {}, idempotency_key=None, deadline=None, actor=None
    )
    await run_due(service)
    first = await service.get(job.id)
    assert first.state is JobState.QUEUED
    assert first.attempts == 1
    assert first.next_run_at == (T0 + timedelta(seconds=10)).timestamp()
    clock.advance(timedelta(seconds=9))
    await run_due(service)
    assert len(executor.runs) == 1  # not due yet
    clock.advance(timedelta(seconds=1))
    await run_due(service)
    second = await service.get(job.id)
    assert second.next_run_at == (T0 + timedelta(seconds=30)).timestamp()  # 10 s doubled
    clock.advance(timedelta(seconds=20))
    await run_due(service)
    dead = await service.get(job.id)
    assert dead.state is JobState.DEAD
    assert dead.attempts == 3
    assert dead.error == {"code": "all_candidates_failed", "message": "every candidate failed"}
    failed = [e.data() for e in bus.buffer if e.type == "job.failed"]
    assert [f["state"] for f in failed] == ["queued", "queued", "dead"]


async def test_no_eligible_model_waits_for_the_reset_within_the_deadline(rig: Any) -> None:
    service, executor, clock, _bus = rig
    executor.script = [NoEligibleModelError("every candidate denied"), answer("aud_1")]
    job, _, _ = await service.submit(
        WORK, RunSpec("asap"), {}, idempotency_key=None, deadline=None, actor=None
    )
    await run_due(service)
    waiting = await service.get(job.id)
    assert waiting.state is JobState.QUEUED
    assert waiting.attempts == 0
    assert waiting.next_run_at == (T0 + timedelta(hours=1)).timestamp()  # the window reset
    clock.advance(timedelta(hours=1))
    await run_due(service)
    done = await service.get(job.id)
    assert done.state is JobState.DONE
    assert done.result == {
        "audit_id": "aud_1",
        "audit": {"cost_usd": 0.01},
    }


async def test_past_the_deadline_the_job_fails_with_the_reason(rig: Any) -> None:
    service, executor, _clock, _ = rig
    executor.script = [NoEligibleModelError("budget_exhausted for acme")]
    deadline = T0 + timedelta(minutes=30)  # before the reset in an hour
    job, _, _ = await service.submit(
        WORK, RunSpec("asap"), {}, idempotency_key=None, deadline=deadline, actor=None
    )
    await run_due(service)
    failed = await service.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.error is not None
    assert failed.error["message"] == "budget_exhausted for acme"


async def test_a_refusal_fails_at_once(rig: Any) -> None:
    service, executor, _, _ = rig
    executor.script = [ValidationFailed("overrides.temperature: above 1.5")]
    job, _, _ = await service.submit(
        WORK, RunSpec("asap"), {}, idempotency_key=None, deadline=None, actor=None
    )
    await run_due(service)
    failed = await service.get(job.id)
    assert failed.state is JobState.FAILED
    assert failed.attempts == 1


async def test_cron_job_is_requeued_for_its_next_start(rig: Any) -> None:
    service, executor, clock, bus = rig
    executor.script = [answer("aud_1"), answer("aud_2")]
    spec = RunSpec("cron", cron="0 * * * *", tz="Europe/Paris")
    job, _, _ = await service.submit(
        WORK, spec, {}, idempotency_key=None, deadline=None, actor=None
    )
    assert job.next_run_at == datetime(2026, 12, 1, 13, 0, tzinfo=UTC).timestamp()
    clock.set(datetime(2026, 12, 1, 13, 0, 5, tzinfo=UTC))
    await run_due(service)
    after = await service.get(job.id)
    assert after.state is JobState.QUEUED
    assert after.runs == 1
    assert after.attempts == 0
    assert after.next_run_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC).timestamp()
    assert after.result is not None
    assert after.result["audit_id"] == "aud_1"
    done = [e.data() for e in bus.buffer if e.type == "job.done"]
    assert done[0]["next_run_at"] == "2026-12-01T14:00:00+00:00"


async def test_next_window_waits_for_the_exhausted_window_to_reset(rig: Any) -> None:
    service, _, _, _ = rig
    job, _, why = await service.submit(
        WORK, RunSpec("next_window"), {}, idempotency_key=None, deadline=None, actor=None
    )
    assert job.next_run_at == (T0 + timedelta(hours=1)).timestamp()
    assert why == "m: window exhausted; runs at its reset"


async def test_a_run_stopped_by_shutdown_is_handed_back_at_once(rig: Any) -> None:
    service, executor, _, _ = rig
    started = asyncio.Event()

    async def hang(req: ExecuteRequest) -> Any:
        started.set()
        await asyncio.Event().wait()

    executor.run = hang
    job, _, _ = await service.submit(
        WORK, RunSpec("asap"), {}, idempotency_key=None, deadline=None, actor=None
    )
    (task,) = await service.tick()
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    back = await service.get(job.id)
    assert back.state is JobState.QUEUED
    assert back.next_run_at == T0.timestamp()
    assert back.attempts == 1
    assert back.error == {
        "code": "shutdown",
        "message": "the worker stopped during the run; queued again",
    }


async def test_queue_depth_per_model(rig: Any) -> None:
    service, executor, clock, _ = rig
    executor.script = [answer("aud_1"), answer("aud_2")]
    await service.submit(
        WORK, RunSpec("next_window"), {}, idempotency_key=None, deadline=None, actor=None
    )
    cron = RunSpec("cron", cron="0 * * * *", tz="UTC")
    await service.submit(WORK, cron, {}, idempotency_key=None, deadline=None, actor=None)
    await service.refresh_gauges()
    gauge = service.metrics.jobs_queued
    assert gauge.labels("m")._value.get() == 1  # planned for next_window
    assert gauge.labels("unplanned")._value.get() == 1
    clock.set(datetime(2026, 12, 1, 13, 0, 1, tzinfo=UTC))  # both run; the cron job requeues
    await run_due(service)
    await service.refresh_gauges()
    assert gauge.labels("m")._value.get() == 1  # the cron job, by the model that answered
    assert gauge.labels("unplanned")._value.get() == 0
