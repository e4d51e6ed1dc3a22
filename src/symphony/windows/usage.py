"""Usage events and an in-memory index answering "how much between A and B" in O(log n)."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
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


def _column(values: tuple[float, ...] = ()) -> array[float]:
    return array("d", values)


@dataclass
class Series:
    """One key's events in time order with running totals (prefix sums).

    Stored as four `array('d')` columns (8 bytes an event each) rather than lists of float
    objects and row tuples: a busy instance keeps weeks of usage in memory. An event's own
    amount is the difference of two neighbouring prefix sums.
    """

    times: array[float] = field(default_factory=_column)
    cum_requests: array[float] = field(default_factory=lambda: _column((0.0,)))
    cum_tokens: array[float] = field(default_factory=lambda: _column((0.0,)))
    cum_usd: array[float] = field(default_factory=lambda: _column((0.0,)))

    def add(self, ts: float, requests: float, tokens: float, usd: float) -> bool:
        """Append; return False when the event was out of order (prefix sums rebuilt)."""
        if not self.times or ts >= self.times[-1]:
            self.times.append(ts)
            self.cum_requests.append(self.cum_requests[-1] + requests)
            self.cum_tokens.append(self.cum_tokens[-1] + tokens)
            self.cum_usd.append(self.cum_usd[-1] + usd)
            return True
        index = bisect.bisect_right(self.times, ts)
        for cum, amount in (
            (self.cum_requests, requests),
            (self.cum_tokens, tokens),
            (self.cum_usd, usd),
        ):
            amounts = [cum[i + 1] - cum[i] for i in range(len(cum) - 1)]
            amounts.insert(index, amount)
            rebuilt = _column((cum[0],))
            for value in amounts:
                rebuilt.append(rebuilt[-1] + value)
            cum[:] = rebuilt
        self.times.insert(index, ts)
        return False

    def drop_before(self, cutoff: float) -> int:
        """Forget events before `cutoff` (older than any window asks about); return how many."""
        count = bisect.bisect_left(self.times, cutoff)
        if count:
            del self.times[:count]
            for cum in (self.cum_requests, self.cum_tokens, self.cum_usd):
                del cum[:count]  # cum[0] becomes the base the remaining sums start from
        return count

    def _cum(self, measure: Measure) -> array[float]:
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
        cum = self._cum(measure)
        return cum[index + 1] - cum[index]


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

    def rebuild(self, times: Sequence[float]) -> None:
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
    times: Sequence[float], anchor: float, length: float, align_hour: bool, now: float
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
        # (tenant, model): a tenant's spend on one provider is the sum over its models.
        self.by_tenant_model: dict[tuple[str, str], Series] = {}
        self.sessions: dict[str, Sessions] = {}
        self.count = 0

    def add(self, event: UsageEvent) -> None:
        at = ts(event.at)
        values = (float(event.requests), float(event.tokens), event.cost_usd)
        series = self.by_model.setdefault(event.model, Series())
        in_order = series.add(at, *values)
        self.by_tenant.setdefault(event.tenant, Series()).add(at, *values)
        self.by_tenant_model.setdefault((event.tenant, event.model), Series()).add(at, *values)
        sessions = self.sessions.get(event.model)
        if sessions is not None:
            if in_order:
                sessions.add(at)
            else:
                sessions.rebuild(series.times)
        self.count += 1

    def prune(self, cutoff: float) -> int:
        """Drop usage before `cutoff` from every series (bounded memory); return the count."""
        dropped = sum(series.drop_before(cutoff) for series in self.by_model.values())
        for series in (*self.by_tenant.values(), *self.by_tenant_model.values()):
            series.drop_before(cutoff)
        for sessions in self.sessions.values():
            keep = bisect.bisect_left(sessions.starts, cutoff)
            del sessions.starts[:keep]
            del sessions.firsts[:keep]
        return dropped

    def model(self, name: str) -> Series:
        return self.by_model.get(name) or _EMPTY

    def tenant(self, name: str) -> Series:
        return self.by_tenant.get(name) or _EMPTY

    def tenant_model(self, tenant: str, model: str) -> Series:
        return self.by_tenant_model.get((tenant, model)) or _EMPTY

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
