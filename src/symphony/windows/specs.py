"""What the window engine needs to know about a model: quota, schedule, power windows.

These specs live here, below `policy`, so the pure engine depends on nothing above it;
`symphony.policy.model` re-exports them as part of the snapshot it builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Literal, Protocol

QuotaUnit = Literal["messages", "requests", "tokens", "usd"]
CapSource = Literal["configured", "from_console", "from_headers", "unknown"]
DriftAction = Literal["shift_to_next_reset", "phase_lock"]


@dataclass(frozen=True, slots=True)
class RollingQuota:
    window: timedelta
    anchor: Literal["sliding", "first_use"] = "sliding"
    align: Literal["none", "hour"] = "none"
    unit: QuotaUnit = "messages"
    cap: int | None = None
    cap_source: CapSource = "configured"
    weekly_cap: int | None = None
    weekly_tracked: bool = False
    type: Literal["rolling"] = "rolling"


@dataclass(frozen=True, slots=True)
class FixedQuota:
    period: Literal["daily", "weekly", "monthly"] = "daily"
    tz: str = "UTC"
    at: time = time(0, 0)
    rpd: int | None = None
    tpd: int | None = None
    cap_source: CapSource = "configured"
    unit: QuotaUnit = "requests"
    type: Literal["fixed"] = "fixed"


@dataclass(frozen=True, slots=True)
class FixedEveryQuota:
    period: timedelta
    unit: QuotaUnit = "requests"
    cap: int | None = None
    type: Literal["fixed_every"] = "fixed_every"


@dataclass(frozen=True, slots=True)
class HeaderDrivenQuota:
    unit: QuotaUnit = "requests"
    type: Literal["header_driven"] = "header_driven"


@dataclass(frozen=True, slots=True)
class DynamicQuota:
    unit: QuotaUnit = "requests"
    type: Literal["dynamic"] = "dynamic"


Quota = RollingQuota | FixedQuota | FixedEveryQuota | HeaderDrivenQuota | DynamicQuota


@dataclass(frozen=True, slots=True)
class PowerWindow:
    model: str
    when_cron: str
    duration: timedelta
    tz: str | None = None
    max_usd_per_window: float | None = None
    rpm_cap: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSlot:
    days: frozenset[int]  # 0 = Monday
    at: time
    duration: timedelta


@dataclass(frozen=True, slots=True)
class ModelSchedule:
    key: str  # the windows-file key (e.g. "claude_pro")
    model: str  # the policy model it belongs to
    tz: str
    slots: tuple[ScheduleSlot, ...] = ()
    detector: str | None = None
    action: DriftAction | None = None


class Metered(Protocol):
    """A model as the window engine sees it (policy's ModelSpec satisfies this)."""

    @property
    def name(self) -> str: ...

    @property
    def quota(self) -> Quota: ...


@dataclass(frozen=True, slots=True)
class WindowInputs:
    spec: Metered
    schedule: ModelSchedule | None
    tenant_windows: tuple[PowerWindow, ...]
    reserve_fraction: float
    tz: str


class WindowPolicy(Protocol):
    """The part of a policy snapshot the window service reads."""

    @property
    def models(self) -> Sequence[Metered]: ...

    def window_inputs(self, model: str, tenant: str = "default") -> WindowInputs | None: ...


def format_duration(delta: timedelta) -> str:
    """'3h', '5h', '1m', '1h30m' (whole seconds)."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
