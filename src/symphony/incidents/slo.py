"""In-process SLO evaluation: multi-window, multi-burn-rate alerting over execute events.

Pure: every method takes the instant it is about. Per SLO it keeps two bounded bucket
rings (fine buckets for the burn windows, coarse ones for the error-budget period), so
memory does not grow with traffic. Burn rate over a window = error ratio / (1 - objective);
a window with no events has no burn rate and never fires (an idle service does not page).
A burn-rate row fires when both its long and its short window burn faster than its factor;
the SLO's status is the most severe firing row (page > ticket > ok).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from symphony.incidents.slo_series import BucketRing, LatencySample
from symphony.policy.model import SloSeverity, SloSpec
from symphony.windows.specs import format_duration

Status = Literal["ok", "ticket", "page"]
AlertState = Literal["firing", "resolved"]
RANK: dict[str, int] = {"ok": 0, "ticket": 1, "page": 2}
# Fine buckets: a tenth of the shortest window, but never more than this many per ring.
FINE_DIVISOR = 10
MAX_FINE_SLOTS = 20_000
MAX_COARSE_SLOTS = 1_440


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class WindowBurn:
    """One burn-rate row evaluated at an instant."""

    severity: SloSeverity
    long: timedelta
    short: timedelta
    factor: float
    long_rate: float | None
    short_rate: float | None

    @property
    def firing(self) -> bool:
        return (
            self.long_rate is not None
            and self.short_rate is not None
            and self.long_rate > self.factor
            and self.short_rate > self.factor
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "long": format_duration(self.long),
            "short": format_duration(self.short),
            "factor": self.factor,
            "long_burn_rate": self.long_rate,
            "short_burn_rate": self.short_rate,
            "firing": self.firing,
        }


@dataclass(frozen=True, slots=True)
class SloStatus:
    """What `GET /slo` shows for one SLO."""

    name: str
    kind: str
    objective: float
    threshold_ms: int | None
    period: timedelta
    at: datetime
    status: Status
    windows: tuple[WindowBurn, ...]
    burn_rates: dict[str, float | None]  # by window label ("5m", "1h", ...)
    good: int  # events over the period
    bad: int
    budget_remaining: float  # 1 = untouched, 0 = spent, below 0 = overspent
    p95_ms: float | None
    alert_since: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "objective": self.objective,
            "threshold_ms": self.threshold_ms,
            "period": format_duration(self.period),
            "at": _iso(self.at),
            "status": self.status,
            "burn_rates": dict(self.burn_rates),
            "windows": [w.to_dict() for w in self.windows],
            "events": {"good": self.good, "bad": self.bad},
            "error_budget_remaining": round(self.budget_remaining, 6),
            "p95_ms": None if self.p95_ms is None else round(self.p95_ms, 1),
            "alert_since": None if self.alert_since is None else _iso(self.alert_since),
        }


@dataclass(frozen=True, slots=True)
class SloAlert:
    """A change of an SLO's alert: it started firing, changed severity, or resolved."""

    slo: str
    severity: SloSeverity
    state: AlertState
    at: datetime
    status: SloStatus
    previous: SloSeverity | None = None  # the severity before an escalation


@dataclass(slots=True)
class _Tracked:
    spec: SloSpec
    fine: BucketRing
    coarse: BucketRing
    latencies: LatencySample = field(default_factory=LatencySample)
    alert: SloSeverity | None = None
    alert_since: datetime | None = None


def _label(delta: timedelta) -> str:
    return format_duration(delta)


def _rings(spec: SloSpec) -> tuple[BucketRing, BucketRing]:
    shortest = min(w.short for w in spec.windows).total_seconds()
    longest = max(w.long for w in spec.windows).total_seconds()
    period = spec.period.total_seconds()
    fine_width = max(shortest / FINE_DIVISOR, longest / MAX_FINE_SLOTS)
    coarse_width = max(fine_width, period / MAX_COARSE_SLOTS)
    return BucketRing(fine_width, longest), BucketRing(coarse_width, period)


def _same_shape(a: SloSpec, b: SloSpec) -> bool:
    return (a.windows, a.period, a.kind, a.threshold_ms, a.scope) == (
        b.windows,
        b.period,
        b.kind,
        b.threshold_ms,
        b.scope,
    )


def _rate(good: int, bad: int, budget: float) -> float | None:
    total = good + bad
    if total == 0:
        return None
    return (bad / total) / budget


class SloEvaluator:
    """Records execute outcomes per SLO and turns them into statuses and alert changes."""

    def __init__(self, slos: Iterable[SloSpec] = ()) -> None:
        self._slos: dict[str, _Tracked] = {}
        self._retired: dict[str, _Tracked] = {}
        self.configure(slos)

    @property
    def specs(self) -> tuple[SloSpec, ...]:
        return tuple(t.spec for t in self._slos.values())

    def configure(self, slos: Iterable[SloSpec]) -> None:
        """Apply a (re)loaded policy: keep the data of SLOs whose shape did not change."""
        fresh: dict[str, _Tracked] = {}
        for spec in slos:
            old = self._slos.get(spec.name)
            if old is not None and _same_shape(old.spec, spec):
                old.spec = spec
                fresh[spec.name] = old
                continue
            fine, coarse = _rings(spec)
            fresh[spec.name] = _Tracked(spec, fine, coarse)
            if old is not None and old.alert is not None:
                fresh[spec.name].alert = old.alert
                fresh[spec.name].alert_since = old.alert_since
        for name, old in self._slos.items():
            if name not in fresh and old.alert is not None:
                self._retired[name] = old
        self._slos = fresh

    def record(
        self, model: str | None, rule: str | None, latency_ms: float, ok: bool, at: datetime
    ) -> list[tuple[str, bool]]:
        """Count one execute in every SLO whose scope matches; return (slo, good) pairs."""
        t = at.timestamp()
        counted: list[tuple[str, bool]] = []
        for tracked in self._slos.values():
            spec = tracked.spec
            if not spec.scope.matches(model, rule):
                continue
            good = spec.is_good(latency_ms, ok)
            if good is None:
                continue
            tracked.fine.add(t, good)
            tracked.coarse.add(t, good)
            if spec.kind == "latency":
                tracked.latencies.add(t, latency_ms)
            counted.append((spec.name, good))
        return counted

    def status(self, now: datetime) -> list[SloStatus]:
        """Every SLO's burn rates, budget and status at `now`."""
        return [self._status(t, now) for t in self._slos.values()]

    def status_of(self, name: str, now: datetime) -> SloStatus | None:
        tracked = self._slos.get(name)
        return None if tracked is None else self._status(tracked, now)

    def evaluate(self, now: datetime) -> list[SloAlert]:
        """Alert changes since the last call: firing, escalation/de-escalation, resolved."""
        changes: list[SloAlert] = []
        for name, gone in self._retired.items():
            assert gone.alert is not None
            changes.append(SloAlert(name, gone.alert, "resolved", now, self._status(gone, now)))
        self._retired.clear()
        for tracked in self._slos.values():
            status = self._status(tracked, now)
            current: SloSeverity | None = None if status.status == "ok" else status.status
            if current == tracked.alert:
                continue
            if current is None:
                assert tracked.alert is not None
                changes.append(SloAlert(tracked.spec.name, tracked.alert, "resolved", now, status))
                tracked.alert, tracked.alert_since = None, None
                continue
            previous = tracked.alert
            if previous is None:
                tracked.alert_since = now
            tracked.alert = current
            status = self._status(tracked, now)
            changes.append(SloAlert(tracked.spec.name, current, "firing", now, status, previous))
        return changes

    def _status(self, tracked: _Tracked, now: datetime) -> SloStatus:
        spec = tracked.spec
        t = now.timestamp()
        budget = spec.error_budget
        lengths: list[float] = []
        for w in spec.windows:
            lengths.extend((w.long.total_seconds(), w.short.total_seconds()))
        totals = tracked.fine.totals(t, lengths)
        rows: list[WindowBurn] = []
        rates: dict[str, float | None] = {}
        for i, w in enumerate(spec.windows):
            long_rate = _rate(*totals[2 * i], budget)
            short_rate = _rate(*totals[2 * i + 1], budget)
            rates[_label(w.long)] = long_rate
            rates[_label(w.short)] = short_rate
            rows.append(WindowBurn(w.severity, w.long, w.short, w.factor, long_rate, short_rate))
        firing = [r.severity for r in rows if r.firing]
        state: Status = "page" if "page" in firing else "ticket" if firing else "ok"
        good, bad = tracked.coarse.totals(t, [spec.period.total_seconds()])[0]
        total = good + bad
        remaining = 1.0 if total == 0 else 1.0 - (bad / total) / budget
        p95 = None
        if spec.kind == "latency":
            since = t - min(w.long for w in spec.windows).total_seconds()
            p95 = tracked.latencies.quantile(0.95, since)
        return SloStatus(
            name=spec.name,
            kind=spec.kind,
            objective=spec.objective,
            threshold_ms=spec.threshold_ms,
            period=spec.period,
            at=now,
            status=state,
            windows=tuple(rows),
            burn_rates=rates,
            good=good,
            bad=bad,
            budget_remaining=remaining,
            p95_ms=p95,
            alert_since=tracked.alert_since,
        )


def window_lengths(slos: Sequence[SloSpec]) -> list[timedelta]:
    """Every distinct window length the SLOs use, shortest first."""
    found = {d for s in slos for w in s.windows for d in (w.long, w.short)}
    return sorted(found)
