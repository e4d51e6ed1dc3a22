"""System jobs (jobs/system.py): Symphony's periodic work as cron jobs on the job queue.
Queued once per schedule however many workers start, run at their time with the clock's
now, queued again for the next start (also after a failure), and the nightly incidents
roadmap hook is one of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jobs_support import jobs_settings

from app_support import poll_until, running_demo
from symphony.clock import FixedClock
from symphony.events.bus import EventBus
from symphony.jobs.service import JobLimits, JobService
from symphony.jobs.system import SYSTEM_TENANT, SystemJob, SystemRunner, daily_at
from symphony.metrics.registry import Metrics
from symphony.store.jobs import JobState
from symphony.store.sqlite_jobs import SqliteJobQueue

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Audit:
    async def append(self, *_: Any, **__: Any) -> None:
        return None


class Task:
    def __init__(self) -> None:
        self.calls: list[datetime] = []
        self.fail = False

    async def __call__(self, now: datetime) -> dict[str, Any]:
        self.calls.append(now)
        if self.fail:
            raise RuntimeError("the tracker said no")
        return {"filed": f"inc_{len(self.calls)}"}


def service(path: Path, clock: FixedClock, *jobs: SystemJob) -> JobService:
    queue = SqliteJobQueue.open(path)
    executor: Any = SimpleNamespace(planning=None)
    bus = EventBus(clock)
    return JobService(
        queue,
        executor,
        Audit(),
        bus,
        Metrics(),
        clock,
        JobLimits(),
        "w",
        SystemRunner(jobs),  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def nightly(tmp_path: Path, clock: FixedClock) -> AsyncIterator[tuple[JobService, Task]]:
    task = Task()
    svc = service(tmp_path / "jobs.db", clock, SystemJob("roadmap", daily_at("02:30"), task))
    yield svc, task
    svc.queue.close()


async def run_due(svc: JobService) -> None:
    for t in await svc.tick():
        await t


async def test_queued_once_and_run_daily_at_its_time(
    nightly: tuple[JobService, Task], clock: FixedClock
) -> None:
    svc, task = nightly
    (job,) = await svc.ensure_system_jobs()
    (again,) = await svc.ensure_system_jobs()  # a restart: the same job
    assert again.id == job.id
    assert (job.tenant, job.idempotency_key) == (SYSTEM_TENANT, "system:roadmap@30 2 * * *@UTC")
    assert job.next_run_at == datetime(2026, 12, 2, 2, 30, tzinfo=UTC).timestamp()
    await run_due(svc)
    assert task.calls == []
    clock.set(datetime(2026, 12, 2, 2, 30, 1, tzinfo=UTC))
    await run_due(svc)
    assert task.calls == [clock.now()]
    after = await svc.get(job.id)
    assert (after.state, after.runs, after.result) == (JobState.QUEUED, 1, {"filed": "inc_1"})
    assert after.next_run_at == datetime(2026, 12, 3, 2, 30, tzinfo=UTC).timestamp()


async def test_a_failure_is_recorded_and_the_next_start_still_comes(
    nightly: tuple[JobService, Task], clock: FixedClock
) -> None:
    svc, task = nightly
    (job,) = await svc.ensure_system_jobs()
    task.fail = True
    clock.set(datetime(2026, 12, 2, 2, 30, tzinfo=UTC))
    await run_due(svc)
    after = await svc.get(job.id)
    assert after.state is JobState.QUEUED
    assert after.error is not None
    assert "the tracker said no" in after.error["message"]
    assert after.next_run_at == datetime(2026, 12, 3, 2, 30, tzinfo=UTC).timestamp()


async def test_a_changed_schedule_replaces_the_old_job(tmp_path: Path, clock: FixedClock) -> None:
    task = Task()
    old = service(tmp_path / "jobs.db", clock, SystemJob("roadmap", daily_at("02:30"), task))
    (first,) = await old.ensure_system_jobs()
    old.queue.close()
    new = service(tmp_path / "jobs.db", clock, SystemJob("roadmap", daily_at("04:00"), task))
    try:
        (second,) = await new.ensure_system_jobs()
        assert second.id != first.id
        assert (await new.get(first.id)).state is JobState.CANCELLED
        queued = await new.search([SYSTEM_TENANT], JobState.QUEUED, 10)
        assert [j.id for j in queued] == [second.id]
    finally:
        new.queue.close()


async def test_two_workers_on_one_queue_run_each_start_once(
    tmp_path: Path, clock: FixedClock
) -> None:
    task = Task()
    nightly = SystemJob("roadmap", daily_at("02:30"), task)
    a = service(tmp_path / "jobs.db", clock, nightly)
    b = service(tmp_path / "jobs.db", clock, nightly)
    try:
        ((ja,), (jb,)) = [await a.ensure_system_jobs(), await b.ensure_system_jobs()]
        assert ja.id == jb.id
        clock.set(datetime(2026, 12, 2, 2, 30, tzinfo=UTC))
        for svc in (a, b, a, b):
            await run_due(svc)
        assert len(task.calls) == 1
    finally:
        a.queue.close()
        b.queue.close()


async def test_a_worker_without_the_task_leaves_it_to_one_that_has_it(
    tmp_path: Path, clock: FixedClock
) -> None:
    task = Task()
    owner = service(tmp_path / "jobs.db", clock, SystemJob("roadmap", daily_at("02:30"), task))
    other = service(tmp_path / "jobs.db", clock)
    try:
        (job,) = await owner.ensure_system_jobs()
        clock.set(datetime(2026, 12, 2, 2, 30, tzinfo=UTC))
        await run_due(other)
        back = await other.get(job.id)
        assert (back.state, back.attempts) == (JobState.QUEUED, 0)
        clock.advance(timedelta(minutes=1))
        await run_due(owner)
        assert len(task.calls) == 1
    finally:
        owner.queue.close()
        other.queue.close()


async def test_the_app_runs_the_incidents_roadmap_hook_as_a_system_job(tmp_path: Path) -> None:
    async with running_demo(jobs_settings(tmp_path)) as demo:
        found: list[Any] = []

        async def queued() -> bool:
            found[:] = await demo.state.jobs.search([SYSTEM_TENANT], JobState.QUEUED, 10)
            return bool(found)

        await poll_until(queued, "the roadmap system job")
        (job,) = found
        assert job.work == {"system": "incidents.roadmap"}
        roadmap_at = demo.state.incidents.settings.incidents_roadmap_at
        assert job.run["cron"] == daily_at(roadmap_at)
