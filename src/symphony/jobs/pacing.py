"""Pacing: a backlog drains at the model's rate limit, not all at once (pure: every method
takes `now`, Unix seconds).

When a power window opens, every `next_window` job queued for it is due at the same
instant. The worker asks `Pacer.start_at(model, rate, job, now)` for each job it claims: a
token bucket per model (GCRA: one start every `60 / rate` seconds, `burst` at once) says
when the job may start. A job that may not start now is handed back to the queue with that
time as its `next_run_at`, and the slot is kept for it, so a backlog of 100 jobs gets 100
distinct, evenly spaced start times instead of being claimed and handed back on every
poll. The rate is per worker; the window counters and admission remain the hard cap across
replicas.

The rate (`drain_rate`): the tenant's power window for the model (`rpm_cap`), else a
per-minute request limit of the model's quota (`fixed_every` with a period of at most a
minute, e.g. `{period: 60s, cap: 50}`: 50 a minute); None (no pacing) otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from symphony.windows.specs import FixedEveryQuota

MINUTE = timedelta(minutes=1)


def drain_rate(snapshot: Any, model: str, tenant: str) -> float | None:
    """Starts per minute for `model`'s queue as `tenant` sees it; None: not paced."""
    inputs = snapshot.window_inputs(model, tenant)
    if inputs is None:
        return None
    caps = [w.rpm_cap for w in inputs.tenant_windows if w.rpm_cap]
    if caps:
        return float(min(caps))
    quota = inputs.spec.quota
    if (
        isinstance(quota, FixedEveryQuota)
        and quota.unit == "requests"
        and quota.cap
        and timedelta(0) < quota.period <= MINUTE
    ):
        return quota.cap * MINUTE / quota.period
    return None


class Pacer:
    """A token bucket per model (GCRA), with the slots promised to handed-back jobs."""

    def __init__(self, burst: int = 1) -> None:
        if burst < 1:
            raise ValueError(f"pacing burst must be >= 1, got {burst}")
        self.burst = burst
        self._tat: dict[str, float] = {}  # per model: the theoretical arrival time
        self._promised: dict[str, float] = {}  # job id -> the start time it was given

    def start_at(self, model: str, rate_per_min: float, job_id: str, now: float) -> float:
        """When this job may start: `now` (start it) or a later instant (hand it back)."""
        promised = self._promised.pop(job_id, None)
        if promised is not None:
            if promised <= now:
                return now  # its slot came: it was counted when promised
            self._promised[job_id] = promised
            return promised
        interval = 60.0 / rate_per_min
        tolerance = (self.burst - 1) * interval
        tat = max(self._tat.get(model, now), now)
        start = max(now, tat - tolerance)
        self._tat[model] = tat + interval
        if start > now:
            self._promised[job_id] = start
        return start

    def forget(self, job_id: str) -> None:
        """The job will not come back (cancelled elsewhere, or claimed by another worker)."""
        self._promised.pop(job_id, None)
