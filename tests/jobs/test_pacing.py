"""Pacing (jobs/pacing.py) on a fake clock: a model's backlog starts at its rate limit, one
start every 60/rate seconds; the worker hands the rest back to evenly spaced slots, so a
backlog of 100 next_window jobs does not reach the upstream at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from symphony.clock import FixedClock
from symphony.events.bus import EventBus
from symphony.execute.request import ExecuteRequest
from symphony.jobs.pacing import Pacer, drain_rate
from symphony.jobs.schedule import RunSpec
from symphony.jobs.service import JobLimits, JobService
from symphony.jobs.system import SystemRunner
from symphony.metrics.registry import Metrics
from symphony.policy.loader import load_policy_files
from symphony.providers.base import ChatMessage
from symphony.routing.request import PlanRequest
from symphony.store.jobs import JobState
from symphony.store.sqlite_jobs import SqliteJobQueue
from symphony.windows.specs import FixedEveryQuota, PowerWindow

DEFAULTS = Path(__file__).parents[2] / "src" / "symphony" / "defaults"
T0 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
WORK = ExecuteRequest(
    plan=PlanRequest(task="qa", tenant="acme"), messages=(ChatMessage("user", "hi"),)
)


def test_one_start_every_interval_and_promised_slots_are_kept() -> None:
    pacer = Pacer()
    starts = [pacer.start_at("m", 2.0, f"j{i}", 0.0) for i in range(5)]
    assert starts == [0.0, 30.0, 60.0, 90.0, 120.0]
    assert pacer.start_at("m", 2.0, "j2", 59.0) == 60.0  # early: still its slot
    assert pacer.start_at("m", 2.0, "j2", 60.0) == 60.0  # its slot came: start now
    assert pacer.start_at("m", 2.0, "new", 60.0) == 150.0  # behind the promised ones
    assert pacer.start_at("other", 2.0, "x", 60.0) == 60.0  # a bucket per model


def test_a_burst_starts_at_once_then_the_rate() -> None:
    pacer = Pacer(burst=3)
    assert [pacer.start_at("m", 2.0, f"j{i}", 0.0) for i in range(5)] == [0, 0, 0, 30, 60]
    assert pacer.start_at("m", 2.0, "idle", 1000.0) == 1000.0  # refilled after a pause
    with pytest.raises(ValueError, match="burst must be >= 1, got 0"):
        Pacer(burst=0)


def test_the_rate_is_the_power_windows_rpm_cap_else_a_per_minute_quota() -> None:
    snap = load_policy_files(DEFAULTS / "router.policy.yml", DEFAULTS / "model.windows.yml")
    assert drain_rate(snap, "google/gemini-pro", "default") == 2.0  # rpm_cap: 2
    assert drain_rate(snap, "perplexity/api", "default") == 50.0  # fixed_every 60s cap 50
    assert drain_rate(snap, "openai/chatgpt-plus", "default") is None  # 160 per 3h: a quota
    assert drain_rate(snap, "no/such-model", "default") is None


def inputs(rpm_cap: int | None, quota: Any = None) -> Any:
    window = PowerWindow("m", "0 18 * * *", timedelta(hours=1), rpm_cap=rpm_cap)
    return SimpleNamespace(tenant_windows=(window,), spec=SimpleNamespace(quota=quota))


def test_a_fixed_every_quota_over_seconds_is_scaled_to_a_minute() -> None:
    snap = SimpleNamespace(
        window_inputs=lambda m, t: inputs(None, FixedEveryQuota(timedelta(seconds=10), cap=5))
    )
    assert drain_rate(snap, "m", "t") == 30.0


class CountingExecutor:
    """Answers at once; remembers the clock time of every upstream call."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.calls: list[datetime] = []
        state = SimpleNamespace(
            model="m", exhausted=False, reserve_hold=False, cooldown_until=None,
            resets_at=None, power_window_open=False,
            next_power_window=SimpleNamespace(start=T0),
        )  # fmt: skip
        self.planning = SimpleNamespace(
            policy=SimpleNamespace(
                snapshot=SimpleNamespace(window_inputs=lambda m, t: inputs(2), tenants={})
            ),
            windows=SimpleNamespace(state=lambda *a: state),
        )

    def plan(self, req: ExecuteRequest) -> Any:
        return SimpleNamespace(plan=SimpleNamespace(primary=SimpleNamespace(name="m")))

    async def run(self, req: ExecuteRequest) -> Any:
        self.calls.append(self.clock.now())
        body = {"audit_id": "aud", "audit": {"cost_usd": 0.0}}
        return SimpleNamespace(
            audit_id="aud", decision=SimpleNamespace(model="m"), to_dict=lambda: body
        )


class Audit:
    async def append(self, *_: Any, **__: Any) -> None:
        return None


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[tuple[JobService, CountingExecutor, FixedClock]]:
    clock = FixedClock(T0 - timedelta(hours=1))
    queue = SqliteJobQueue.open(tmp_path / "jobs.db")
    executor = CountingExecutor(clock)
    limits = JobLimits(concurrency=100)
    service = JobService(  # type: ignore[arg-type]
        queue, executor, Audit(), EventBus(clock), Metrics(), clock, limits, "w", SystemRunner()
    )
    yield service, executor, clock
    queue.close()


async def run_due(service: JobService) -> None:
    for task in await service.tick():
        await task


async def test_a_backlog_of_100_drains_at_the_rate_limit_when_the_window_opens(
    worker: tuple[JobService, CountingExecutor, FixedClock],
) -> None:
    service, executor, clock = worker
    for _ in range(100):
        job, _, why = await service.submit(
            WORK, RunSpec("next_window"), {}, idempotency_key=None, deadline=None, actor=None
        )
        assert why == "m: next power window"
        assert job.next_run_at == T0.timestamp()
    clock.set(T0)  # the power window opens: all 100 are due
    await run_due(service)
    assert executor.calls == [T0]  # one start, not 100
    queued = await service.search(None, JobState.QUEUED, 200)
    slots = sorted(j.next_run_at or 0.0 for j in queued)
    assert slots == [T0.timestamp() + 30.0 * k for k in range(1, 100)]  # 2 a minute
    assert {j.attempts for j in queued} == {0}  # handed back unrun: no attempt counted
    await run_due(service)  # polling again before the next slot starts nothing
    assert len(executor.calls) == 1
    for _ in range(10):
        clock.advance(timedelta(seconds=30))
        await run_due(service)
    assert executor.calls == [T0 + timedelta(seconds=30 * k) for k in range(11)]
    clock.advance(timedelta(minutes=45))
    await run_due(service)
    assert (await service.counts())[JobState.DONE] == 100
    metrics = service.metrics.job_runs
    assert metrics.labels("paced")._value.get() == 99
