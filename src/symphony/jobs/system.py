"""System jobs: Symphony's own periodic work, run by the job worker on a cron schedule.

A system job is a JobRecord of tenant `system` whose `work` names a task
(`{"system": "incidents.roadmap"}`) instead of a unit of LLM work; the worker calls the
task given to JobService at construction. `JobService.ensure_system_jobs()` (at start)
submits each one with the idempotency key `system:<name>@<cron>@<tz>`, so restarts and
replicas sharing a PostgreSQL queue keep exactly one queued job per task and schedule, and
with a shared queue exactly one replica runs each occurrence (an ad-hoc loop runs in every
replica). A changed schedule cancels the job of the old one.

What stays a loop, and why: work every few seconds (health probes, the SLO evaluator's
tick, the outbox's delivery, key and kill-switch refresh, the policy watcher) is below
cron's one-minute resolution and is per process by nature (each replica probes its own
view, holds its own in-memory state). Pruning is not periodic work here: the usage index
and the in-memory counters prune as they count (windows/service.py, store/memory_*.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SYSTEM_TENANT = "system"
SystemTask = Callable[[datetime], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class SystemJob:
    """A periodic task: `task(now)` runs at every start of `cron` in `tz`; its answer (a
    small JSON object) is the run's result."""

    name: str
    cron: str
    task: SystemTask
    tz: str = "UTC"

    @property
    def key(self) -> str:
        return f"system:{self.name}@{self.cron}@{self.tz}"


def daily_at(hhmm: str) -> str:
    """The cron expression of a daily run at `hhmm` (HH:MM)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return f"{minute} {hour} * * *"


class SystemRunner:
    """The system jobs one process can run (name → SystemJob)."""

    def __init__(self, jobs: tuple[SystemJob, ...] = ()) -> None:
        self.jobs = {job.name: job for job in jobs}

    def keys(self) -> set[str]:
        return {job.key for job in self.jobs.values()}
