"""The pure window engine: a model's quota state at instant `now`.

Semantics pinned by tests/windows:
- rolling + sliding: usage in (now - window, now]; when exhausted, resets_at is when enough
  of the oldest usage ages out to free one unit; otherwise when the oldest unit frees.
- rolling + first_use: a session starts at the first use after the previous session ended
  (floored to the hour with align: hour) and lasts `window`; no session -> full, resets_at null.
- fixed: resets at local wall-clock `at` in `tz` (daily, weekly from Monday, monthly day 1).
- fixed_every: epoch-aligned buckets [k*period, (k+1)*period).
- weekly_cap: an extra sliding 7-day cap; the tighter limit is the one reported.
- header_driven / dynamic: from observations; usage since the observation is subtracted;
  once the observed reset has passed, full capacity.
- learned (operator or sentinel reports, never API headers, never taken after `now`): on a
  rolling window an unexpired reported reset overlays the reported remaining; on a session
  it is the current session's end (source "learned"), and after it sessions restart at the
  first use after it. On a fixed window a report from the current period overlays it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from symphony.windows.calendar import local_iso, period_bounds
from symphony.windows.power import power_windows
from symphony.windows.specs import (
    FixedEveryQuota,
    FixedQuota,
    Metered,
    ModelSchedule,
    PowerWindow,
    RollingQuota,
    format_duration,
)
from symphony.windows.state import Interval, Learned, Source, WindowState
from symphony.windows.usage import (
    Measure,
    Series,
    UsageIndex,
    from_ts,
    measure_of,
    session_after,
    ts,
)

WEEK = timedelta(days=7).total_seconds()


@dataclass(frozen=True, slots=True)
class Reading:
    """One limit's numbers before reserve/power-window decoration."""

    kind: str
    label: str
    used: float
    cap: float | None
    resets_at: datetime | None
    source: Source
    binding: str = "window"
    start: datetime | None = None  # the window's start: usage counts from here (admission)


def _sliding(
    series: Series, now: float, window: float, cap: float | None, measure: Measure
) -> tuple[float, float | None]:
    """Used amount in (now-window, now] and the instant (epoch) the reported reset happens."""
    start = now - window
    used = series.total(start, now, measure)
    first = series.first_after(start)
    if used <= 0 or first >= len(series.times):
        return 0.0, None
    if cap is None or used < cap:
        return used, series.times[first] + window
    # Exhausted: walk oldest-first until enough ages out to free one unit.
    need = used - (cap - 1)
    freed = 0.0
    index = first
    while index < len(series.times) and series.times[index] <= now:
        freed += series.amount(index, measure)
        if freed >= need:
            return used, series.times[index] + window
        index += 1
    # A cap below one unit never frees one: report when everything in the window ages out.
    last = series.first_after(now) - 1
    return used, series.times[last] + window


def _window_learned(learned: Learned | None, now: datetime) -> Learned | None:
    """An observation that may steer a subscription window at `now`.

    Header readings describe an API's own rate limits, not the subscription window, and an
    observation taken after `now` cannot be known at `now`.
    """
    if learned is None or learned.source == "headers":
        return None
    if learned.observed_at is None or learned.observed_at > now:
        return None
    return learned


def _rolling(
    spec: Metered, q: RollingQuota, usage: UsageIndex, learned: Learned | None, now: datetime
) -> Reading:
    measure = measure_of(q.unit)
    series = usage.model(spec.name)
    window = q.window.total_seconds()
    learned = _window_learned(learned, now)
    cap = (
        float(q.cap)
        if q.cap is not None
        else (learned.cap if learned and learned.cap is not None else None)
    )
    source: Source = "configured" if q.cap is not None else "heuristic"
    t = ts(now)
    lock = learned.resets_at if learned else None
    if q.anchor == "first_use":
        kind, label = f"session_{format_duration(q.window)}", f"{format_duration(q.window)} session"
        align = q.align == "hour"
        if lock is not None and lock > now:
            # Phase lock: the observed reset is the current session's end.
            start: float | None = ts(lock) - window
            source = "learned"
        elif lock is not None:
            # The learned session is over: sessions restart at the first use after it.
            start = session_after(series.times, ts(lock), window, align, t)
        else:
            start = usage.track_sessions(spec.name, q.window, align).current(t)
        if start is None:
            # No session in progress: this call would start one, now.
            reading = Reading(kind, label, 0.0, cap, None, source, start=now)
        else:
            used = series.total(start, t, measure, include_start=True)
            reading = Reading(
                kind, label, used, cap, from_ts(start + window), source, start=from_ts(start)
            )
        if learned and lock is not None and lock > now and learned.remaining is not None:
            reading = _apply_observation(reading, learned, series, t, measure)
    else:
        kind, label = f"rolling_{format_duration(q.window)}", f"rolling {format_duration(q.window)}"
        used, reset = _sliding(series, t, window, cap, measure)
        reading = Reading(
            kind,
            label,
            used,
            cap,
            None if reset is None else from_ts(reset),
            source,
            start=now - q.window,
        )
        if learned and lock is not None and lock > now:
            reading = _apply_observation(reading, learned, series, t, measure)
    if q.weekly_cap is not None:
        weekly_used, weekly_reset = _sliding(series, t, WEEK, float(q.weekly_cap), measure)
        weekly_left = q.weekly_cap - weekly_used
        window_left = None if reading.cap is None else reading.cap - reading.used
        if window_left is None or weekly_left < window_left:
            return Reading(
                reading.kind,
                f"{reading.label} (weekly cap)",
                weekly_used,
                float(q.weekly_cap),
                None if weekly_reset is None else from_ts(weekly_reset),
                reading.source,
                "weekly",
                now - timedelta(seconds=WEEK),
            )
    return reading


def _apply_observation(
    reading: Reading, learned: Learned, series: Series, t: float, measure: Measure
) -> Reading:
    """Overlay an observation: its remaining minus usage recorded since it was taken.

    Without a known cap, the observed remaining stands in for it, so `used` is the usage
    recorded since the observation.
    """
    assert learned.observed_at is not None
    cap = learned.cap if learned.cap is not None else reading.cap
    resets_at = learned.resets_at or reading.resets_at
    if learned.remaining is None:
        return Reading(
            reading.kind,
            reading.label,
            reading.used,
            cap,
            resets_at,
            learned.source,
            reading.binding,
            reading.start,
        )
    since = series.total(ts(learned.observed_at), t, measure)
    remaining = max(learned.remaining - since, 0.0)
    if cap is None:
        cap = learned.remaining
    return Reading(
        reading.kind,
        reading.label,
        max(cap - remaining, 0.0),
        cap,
        resets_at,
        learned.source,
        reading.binding,
        reading.start,
    )


def _fixed(
    spec: Metered, q: FixedQuota, usage: UsageIndex, learned: Learned | None, now: datetime
) -> Reading:
    start, end = period_bounds(now, q.period, q.at, q.tz)
    series = usage.model(spec.name)
    learned = _window_learned(learned, now)
    t0, t = ts(start), ts(now)
    label = f"{q.period} {q.at.strftime('%H:%M')} {q.tz}"
    source: Source = "configured" if q.cap_source == "configured" else "heuristic"
    options: list[Reading] = []
    if q.rpd is not None or (q.tpd is None):
        cap = (
            float(q.rpd)
            if q.rpd is not None
            else (learned.cap if learned and learned.cap is not None else None)
        )
        used = series.total(t0, t, "requests", include_start=True)
        options.append(Reading(q.period, label, used, cap, end, source, start=start))
    if q.tpd is not None:
        used = series.total(t0, t, "tokens", include_start=True)
        options.append(
            Reading(q.period, label + " (tokens)", used, float(q.tpd), end, source, "tokens", start)
        )
    reading = min(options, key=_remaining_fraction)
    if learned and learned.observed_at and learned.observed_at >= start:
        reading = _apply_observation(reading, learned, series, t, reading_measure(reading))
    return reading


def reading_measure(reading: Reading) -> Measure:
    return "tokens" if reading.binding == "tokens" else "requests"


def _remaining_fraction(reading: Reading) -> float:
    if reading.cap is None or reading.cap <= 0:
        return 1.0
    return (reading.cap - reading.used) / reading.cap


def _fixed_every(spec: Metered, q: FixedEveryQuota, usage: UsageIndex, now: datetime) -> Reading:
    period = q.period.total_seconds()
    t = ts(now)
    start = t - (t % period)
    used = usage.model(spec.name).total(start, t, measure_of(q.unit), include_start=True)
    label = f"every {format_duration(q.period)}"
    cap = float(q.cap) if q.cap is not None else None
    return Reading(
        f"every_{format_duration(q.period)}",
        label,
        used,
        cap,
        from_ts(start + period),
        "configured" if cap is not None else "heuristic",
        start=from_ts(start),
    )


def _observed(
    spec: Metered, kind: str, usage: UsageIndex, learned: Learned | None, now: datetime
) -> Reading:
    label = "header-driven" if kind == "header_driven" else "dynamic"
    series = usage.model(spec.name)
    t = ts(now)
    measure = measure_of(spec.quota.unit)
    if learned is None or learned.observed_at is None or learned.observed_at > now:
        # Nothing observed yet: no known cap; show the last hour's usage.
        return Reading(kind, label, series.total(t - 3600, t, measure), None, None, "heuristic")
    base = Reading(kind, label, 0.0, learned.cap, None, learned.source, start=learned.observed_at)
    if learned.resets_at is not None and learned.resets_at <= now:
        # The observed window has reset: full capacity again until told otherwise.
        return Reading(kind, label, 0.0, learned.cap, None, learned.source, start=learned.resets_at)
    return _apply_observation(base, learned, series, t, measure)


def compute_state(
    spec: Metered,
    usage: UsageIndex,
    now: datetime,
    *,
    learned: Learned | None = None,
    schedule: ModelSchedule | None = None,
    tenant_windows: Sequence[PowerWindow] = (),
    reserve_fraction: float = 0.0,
    tz: str = "America/Denver",
    power: tuple[bool, Interval | None] | None = None,
) -> WindowState:
    """Everything the Model Matrix shows for one model at `now` (pure).

    `power` lets a caller pass a power-window answer it computed (and cached) for `now`.
    """
    q = spec.quota
    if isinstance(q, RollingQuota):
        reading = _rolling(spec, q, usage, learned, now)
    elif isinstance(q, FixedQuota):
        reading = _fixed(spec, q, usage, learned, now)
    elif isinstance(q, FixedEveryQuota):
        reading = _fixed_every(spec, q, usage, now)
    else:
        reading = _observed(spec, q.type, usage, learned, now)

    cap = reading.cap
    remaining = None if cap is None else max(cap - reading.used, 0.0)
    fraction = None if cap is None or remaining is None else (remaining / cap if cap > 0 else 0.0)
    resets_at = reading.resets_at if reading.resets_at is None or reading.resets_at > now else None
    eta = None if resets_at is None else (resets_at - now).total_seconds()

    measure = "tokens" if reading.binding == "tokens" else measure_of(q.unit)
    t = ts(now)
    burn = usage.model(spec.name).total(t - 3600, t, measure)
    depletion = None
    if remaining is not None and remaining > 0 and burn > 0:
        candidate = now + timedelta(hours=remaining / burn)
        if resets_at is None or candidate < resets_at:
            depletion = candidate

    cooldown = (
        learned.cooldown_until
        if learned and learned.cooldown_until and learned.cooldown_until > now
        else None
    )
    reserve = cap is not None and fraction is not None and fraction <= reserve_fraction
    closed_reason = (
        "cooldown"
        if cooldown
        else ("quota_exhausted" if remaining is not None and remaining <= 0 else None)
    )
    if power is None:
        power = power_windows(schedule, tenant_windows, learned, now, tz)
    power_open, next_window = power
    return WindowState(
        model=spec.name,
        kind=reading.kind,
        label=reading.label,
        unit=q.unit,
        open=closed_reason is None,
        used=reading.used,
        cap=cap,
        remaining=remaining,
        remaining_fraction=fraction,
        resets_at=resets_at,
        resets_at_local=local_iso(resets_at, tz),
        eta_seconds=eta,
        source=reading.source,
        reserve_hold=reserve,
        burn_rate_per_hour=burn,
        projected_depletion_at=depletion,
        power_window_open=power_open,
        next_power_window=next_window,
        cooldown_until=cooldown,
        binding=reading.binding,
        closed_reason=closed_reason,
        window_start=reading.start,
    )
