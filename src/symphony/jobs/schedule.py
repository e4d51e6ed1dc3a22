"""When a job runs (pure: every function takes `now`).

- `asap`: now.
- `at`: the given instant.
- `cron`: the next start of a cron expression in an IANA zone, DST-correct: croniter walks
  local wall-clock times and each is localized like the power-window schedules (a 02:30
  run on a spring-forward day runs at 03:30 local; on a fall-back day it runs once).
- `next_window`: the planned model's power window (now if it is open, else its next
  start); when the model's window is exhausted or inside its reserve, the window's reset;
  when no model is eligible now, the earliest reset or cooldown end among the tenant's
  models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from croniter import croniter

from symphony.windows.calendar import localize, zone
from symphony.windows.state import WindowState

RunMode = Literal["asap", "next_window", "at", "cron"]
MAX_BACKOFF_S = 3600.0


@dataclass(frozen=True, slots=True)
class RunSpec:
    mode: RunMode
    at: datetime | None = None
    cron: str | None = None
    tz: str = "UTC"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "at": None if self.at is None else self.at.isoformat(),
            "cron": self.cron,
            "tz": self.tz,
        }

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> RunSpec:
        at = body.get("at")
        return cls(
            mode=body["mode"],
            at=None if at is None else datetime.fromisoformat(at),
            cron=body.get("cron"),
            tz=body.get("tz") or "UTC",
        )


def check_cron(expr: str) -> str | None:
    """Why `expr` is not a usable 5-field cron expression, or None."""
    if len(expr.split()) != 5:
        n = len(expr.split())
        return f"'{expr}' has {n} fields; expected 5 (minute hour day month weekday)"
    if not croniter.is_valid(expr):
        return f"'{expr}' is not a valid cron expression"
    return None


def check_zone(name: str) -> str | None:
    """Why `name` is not an IANA zone, or None."""
    try:
        zone(name)
    except Exception:
        return f"unknown time zone '{name}' (expected an IANA name such as Europe/Paris)"
    return None


def next_cron(expr: str, tz: str, after: datetime) -> datetime:
    """The first start of `expr` (local wall-clock in `tz`) strictly after `after` (UTC)."""
    local = after.astimezone(zone(tz)).replace(tzinfo=None)
    walker = croniter(expr, local)
    for _ in range(4):  # a start inside a DST gap can localize to before `after`
        naive: datetime = walker.get_next(datetime)
        start = localize(naive.date(), naive.time(), tz)
        if start > after:
            return start
    return start


def window_time(
    primary: WindowState | None, states: Iterable[WindowState], now: datetime
) -> tuple[datetime | None, str]:
    """`next_window`: when to run, and why (None: no window will ever free up)."""
    if primary is not None:
        if primary.exhausted or primary.reserve_hold:
            at = primary.cooldown_until or primary.resets_at
            if at is not None and at > now:
                why = "exhausted" if primary.exhausted else "inside its reserve"
                return at, f"{primary.model}: window {why}; runs at its reset"
        if primary.power_window_open:
            return now, f"{primary.model}: power window open"
        if primary.next_power_window is not None and primary.next_power_window.start > now:
            return primary.next_power_window.start, f"{primary.model}: next power window"
        return now, f"{primary.model}: no power window scheduled; capacity is free now"
    frees = [
        (t, s.model)
        for s in states
        for t in (s.cooldown_until, s.resets_at)
        if t is not None and t > now
    ]
    if not frees:
        return None, "no model is eligible and no window resets"
    at, model = min(frees)
    return at, f"no model eligible now; {model} frees up first"


def backoff(attempt: int, base_s: float) -> timedelta:
    """Delay before retry number `attempt` (1-based): base, 2x, 4x… capped at one hour."""
    return timedelta(seconds=min(base_s * 2 ** max(attempt - 1, 0), MAX_BACKOFF_S))
