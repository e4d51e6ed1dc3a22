"""The Model Matrix (execute/planning.py `matrix_item`, windows/state.py) and observations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from symphony.api.contracts.base import Instant, Wire
from symphony.api.contracts.plan import ModelClass, WindowSource


class Interval(Wire):
    """A power window: UTC instants and the same instants in the policy's zone."""

    start: Instant
    end: Instant
    start_local: str
    end_local: str


class WindowStatus(Wire):
    """One model's usage window at this instant, as the window engine computes it."""

    model: str
    kind: str = Field(examples=["rolling_3h", "session_5h", "daily", "header_driven"])
    label: str = Field(examples=["daily 00:00 America/Los_Angeles"])
    unit: str = Field(examples=["requests", "tokens", "usd"])
    open: bool
    used: float
    cap: float | None
    remaining: float | None
    remaining_fraction: float | None
    resets_at: Instant | None
    resets_at_local: str | None
    eta_seconds: float | None
    source: WindowSource
    reserve_hold: bool
    burn_rate_per_hour: float
    projected_depletion_at: Instant | None
    power_window_open: bool
    next_power_window: Interval | None
    cooldown_until: Instant | None
    binding: Literal["window", "weekly"] = Field(description="which limit is reported")
    closed_reason: str | None
    reserved: float = Field(
        0, description="units held by calls in flight (admitted, not yet answered)"
    )


class Schedule(Wire):
    power_window_open: bool
    next: list[Interval]


class LearnedSummary(Wire):
    source: WindowSource
    note: str
    observed_at: Instant | None


class Price(Wire):
    prompt: float
    completion: float
    unit: Literal["USD per 1M tokens"]


class MatrixRow(Wire):
    """One model: can it run, its window, schedule, price, limits and kill state."""

    model: str
    provider: str
    model_class: ModelClass = Field(alias="class")
    configured: bool
    executable: bool = Field(description="has an endpoint and its credentials are set")
    has_endpoint: bool
    simulated: bool = Field(description="served by the demo's provider simulator")
    window: WindowStatus
    schedule: Schedule
    learned: LearnedSummary | None
    latency_p95_ms: float | None
    price: Price | None
    loa_max: int
    allow_tasks: list[str]
    context_window: int | None
    killed: str | None = Field(description="the kill switch's reason when this model is killed")


class ModelMatrix(Wire):
    items: list[MatrixRow]
    policy_version: str


class LearnedWindow(Wire):
    """What Symphony has learned about a model's window (headers, sentinels, operators)."""

    model: str
    observed_at: Instant | None
    resets_at: Instant | None
    remaining: float | None
    cap: float | None
    source: WindowSource
    note: str
    cooldown_until: Instant | None
    strikes: int
    schedule_shift_s: float
    shift_next_only: bool
    shift_origin: Instant | None
    extra: dict[str, Any]


class Observed(Wire):
    """POST /windows/{name}/observe: what was learned and the window it gives now."""

    model: str
    learned: LearnedWindow
    window: WindowStatus


WINDOW_EXAMPLE: dict[str, Any] = {
    "model": "anthropic/claude-pro", "kind": "session_5h", "label": "5h session",
    "unit": "messages", "open": True, "used": 33, "cap": 45, "remaining": 12,
    "remaining_fraction": 0.2667, "resets_at": "2026-11-22T20:00:00Z",
    "resets_at_local": "2026-11-22T13:00:00-07:00", "eta_seconds": 10800.0,
    "source": "learned", "reserve_hold": False, "burn_rate_per_hour": 6.6,
    "projected_depletion_at": None, "power_window_open": False, "next_power_window": None,
    "cooldown_until": None, "binding": "window", "closed_reason": None, "reserved": 2,
}  # fmt: skip
OBSERVED_EXAMPLE: dict[str, Any] = {
    "model": "anthropic/claude-pro",
    "learned": {
        "model": "anthropic/claude-pro", "observed_at": "2026-11-22T17:00:00Z",
        "resets_at": "2026-11-22T20:00:00Z", "remaining": 12, "cap": 45, "source": "learned",
        "note": "operator: Claude UI says: resets at 1 PM", "cooldown_until": None,
        "strikes": 0, "schedule_shift_s": 0.0, "shift_next_only": False, "shift_origin": None,
        "extra": {},
    },
    "window": WINDOW_EXAMPLE,
}  # fmt: skip
