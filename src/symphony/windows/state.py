"""What the window engine reports for one model at one instant, and what it has learned."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

Source = Literal["configured", "heuristic", "learned", "headers"]


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime
    start_local: str
    end_local: str

    def to_dict(self) -> dict[str, str]:
        return {
            "start": iso(self.start) or "",
            "end": iso(self.end) or "",
            "start_local": self.start_local,
            "end_local": self.end_local,
        }


@dataclass(frozen=True, slots=True)
class WindowState:
    model: str
    kind: str  # rolling_3h, session_5h, daily, weekly, monthly, every_60s, header_driven, dynamic
    label: str  # human text: "rolling 3h", "5h session", "daily 00:00 America/Los_Angeles"
    unit: str
    open: bool
    used: float
    cap: float | None
    remaining: float | None
    remaining_fraction: float | None
    resets_at: datetime | None
    resets_at_local: str | None
    eta_seconds: float | None
    source: Source
    reserve_hold: bool
    burn_rate_per_hour: float
    projected_depletion_at: datetime | None
    power_window_open: bool
    next_power_window: Interval | None
    cooldown_until: datetime | None
    binding: str = "window"  # "window" or "weekly" (which limit is reported)
    closed_reason: str | None = None  # quota_exhausted | cooldown | None
    reserved: float = 0.0  # units held by calls in flight (windows/admission.py)
    # Where the reported window starts (rolling: now - length; session: the session's start,
    # or now when none is running; fixed: the period's start; header-driven: the
    # observation), so shared counters can count their own charges since then.
    window_start: datetime | None = None

    @property
    def available(self) -> float | None:
        """What a new call may still take: remaining minus what calls in flight hold."""
        return None if self.remaining is None else max(self.remaining - self.reserved, 0.0)

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "kind": self.kind,
            "label": self.label,
            "unit": self.unit,
            "open": self.open,
            "used": _num(self.used),
            "cap": _num(self.cap),
            "remaining": _num(self.remaining),
            "remaining_fraction": None
            if self.remaining_fraction is None
            else round(self.remaining_fraction, 4),
            "resets_at": iso(self.resets_at),
            "resets_at_local": self.resets_at_local,
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
            "source": self.source,
            "reserve_hold": self.reserve_hold,
            "burn_rate_per_hour": round(self.burn_rate_per_hour, 4),
            "projected_depletion_at": iso(self.projected_depletion_at),
            "power_window_open": self.power_window_open,
            "next_power_window": None
            if self.next_power_window is None
            else self.next_power_window.to_dict(),
            "cooldown_until": iso(self.cooldown_until),
            "binding": self.binding,
            "closed_reason": self.closed_reason,
            "reserved": _num(self.reserved),
        }


@dataclass(slots=True)
class Learned:
    """Durable knowledge about one model's window, from headers, sentinels or operators."""

    model: str
    observed_at: datetime | None = None
    resets_at: datetime | None = None
    remaining: float | None = None
    cap: float | None = None
    source: Source = "learned"
    note: str = ""
    cooldown_until: datetime | None = None
    strikes: int = 0
    schedule_shift_s: float = 0.0
    shift_next_only: bool = False
    shift_origin: datetime | None = None  # the slot start that moves (shift_to_next_reset)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in _INSTANTS:
            data[key] = iso(getattr(self, key))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Learned:
        values = dict(data)
        for key in _INSTANTS:
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


_INSTANTS = ("observed_at", "resets_at", "cooldown_until", "shift_origin")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)
