"""Usage events and an in-memory index answering "how much between A and B" in O(log n)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

Measure = Literal["requests", "tokens", "usd"]


@dataclass(frozen=True, slots=True)
class UsageEvent:
    at: datetime
    model: str
    tenant: str = "default"
    requests: int = 1
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    audit_id: str | None = None

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def measure_of(unit: str) -> Measure:
    """Map a quota unit to the quantity it counts (a message is one request)."""
    if unit == "tokens":
        return "tokens"
    if unit == "usd":
        return "usd"
    return "requests"


@dataclass
class Series:
    """One key's events in time order with running totals (prefix sums)."""

    times: list[float] = field(default_factory=list)
    cum_requests: list[float] = field(default_factory=lambda: [0.0])
    cum_tokens: list[float] = field(default_factory=lambda: [0.0])
    cum_usd: list[float] = field(default_factory=lambda: [0.0])
    rows: list[tuple[float, float, float]] = field(default_factory=list)

    def add(self, ts: float, requests: float, tokens: float, usd: float) -> bool:
        """Append; return False when the event was out of order (prefix sums rebuilt)."""
        if not self.times or ts >= self.times[-1]:
            self.times.append(ts)
            self.rows.append((requests, tokens, usd))
            self.cum_requests.append(self.cum_requests[-1] + requests)
            self.cum_tokens.append(self.cum_tokens[-1] + tokens)
            self.cum_usd.append(self.cum_usd[-1] + usd)
            return True
        index = bisect.bisect_right(self.times, ts)
        self.times.insert(index, ts)
        self.rows.insert(index, (requests, tokens, usd))
        self._rebuild()
        return False

    def _rebuild(self) -> None:
        self.cum_requests, self.cum_tokens, self.cum_usd = [0.0], [0.0], [0.0]
        for requests, tokens, usd in self.rows:
            self.cum_requests.append(self.cum_requests[-1] + requests)
            self.cum_tokens.append(self.cum_tokens[-1] + tokens)
            self.cum_usd.append(self.cum_usd[-1] + usd)

    def _cum(self, measure: Measure) -> list[float]:
        if measure == "tokens":
            return self.cum_tokens
        if measure == "usd":
            return self.cum_usd
        return self.cum_requests

    def total(
        self, start: float, end: float, measure: Measure, *, include_start: bool = False
    ) -> float:
        """Sum over (start, end], or [start, end] when include_start."""
        cum = self._cum(measure)
        lo = (bisect.bisect_left if include_start else bisect.bisect_right)(self.times, start)
        hi = bisect.bisect_right(self.times, end)
        return cum[hi] - cum[lo] if hi > lo else 0.0

    def first_after(self, start: float, *, include_start: bool = False) -> int:
        return (bisect.bisect_left if include_start else bisect.bisect_right)(self.times, start)

    def amount(self, index: int, measure: Measure) -> float:
        requests, tokens, usd = self.rows[index]
        return tokens if measure == "tokens" else usd if measure == "usd" else requests


def ts(instant: datetime) -> float:
    return instant.timestamp()


def from_ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass
class Sessions:
    """Claude-style sessions: a session starts at the first use after the previous ended."""

    length: float
    align_hour: bool
    starts: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)  # the use that opened each session

    def add(self, at: float) -> None:
        if self.starts and at < self.starts[-1] + self.length:
            return
        start = at - (at % 3600) if self.align_hour else at
        if self.starts:
            start = max(start, self.starts[-1] + self.length)
        self.starts.append(start)
        self.firsts.append(at)

    def rebuild(self, times: list[float]) -> None:
        self.starts = []
        self.firsts = []
        for at in times:
            self.add(at)

    def current(self, now: float) -> float | None:
        """The start of the session running at `now` (opened by a use at or before `now`)."""
        index = bisect.bisect_right(self.starts, now) - 1
        if index >= 0 and now < self.starts[index] + self.length and self.firsts[index] <= now:
            return self.starts[index]
        return None


def session_after(
    times: list[float], anchor: float, length: float, align_hour: bool, now: float
) -> float | None:
    """The session running at `now` when sessions restart at the first use at/after `anchor`."""
    bound = anchor
    while True:
        index = bisect.bisect_left(times, bound)
        if index >= len(times) or times[index] > now:
            return None
        at = times[index]
        start = max(at - (at % 3600) if align_hour else at, bound)
        if now < start + length:
            return start
        bound = start + length


class UsageIndex:
    """Usage by model and by tenant, plus session tracking for first_use windows."""

    def __init__(self) -> None:
        self.by_model: dict[str, Series] = {}
        self.by_tenant: dict[str, Series] = {}
        self.sessions: dict[str, Sessions] = {}
        self.count = 0

    def add(self, event: UsageEvent) -> None:
        at = ts(event.at)
        values = (float(event.requests), float(event.tokens), event.cost_usd)
        series = self.by_model.setdefault(event.model, Series())
        in_order = series.add(at, *values)
        self.by_tenant.setdefault(event.tenant, Series()).add(at, *values)
        sessions = self.sessions.get(event.model)
        if sessions is not None:
            if in_order:
                sessions.add(at)
            else:
                sessions.rebuild(series.times)
        self.count += 1

    def model(self, name: str) -> Series:
        return self.by_model.get(name) or _EMPTY

    def tenant(self, name: str) -> Series:
        return self.by_tenant.get(name) or _EMPTY

    def track_sessions(self, model: str, length: timedelta, align_hour: bool) -> Sessions:
        """Session tracking for a first_use model (rebuilt if its shape changed)."""
        seconds = length.total_seconds()
        current = self.sessions.get(model)
        if current is None or current.length != seconds or current.align_hour != align_hour:
            current = Sessions(seconds, align_hour)
            current.rebuild(self.model(model).times)
            self.sessions[model] = current
        return current


_EMPTY = Series()
