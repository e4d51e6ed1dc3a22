"""Wall-clock arithmetic: local times to instants, with explicit DST gap and fold rules.

A wall-clock start inside a DST gap moves forward by the gap (02:30 on a spring-forward
day is 03:30); an ambiguous one on a fall-back day is the first occurrence (fold=0).
Both come from zoneinfo's fold=0 reading of a local time, which we rely on deliberately.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import croniter


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def localize(day: date, at: time, tz: str) -> datetime:
    """The UTC instant of local wall-clock `at` on `day` in `tz`."""
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def local_iso(instant: datetime | None, tz: str) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(zone(tz)).isoformat()


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone(tz)).date()


_PERIODS: dict[tuple[str, time, str], tuple[datetime, datetime]] = {}


def period_bounds(now: datetime, period: str, at: time, tz: str) -> tuple[datetime, datetime]:
    """The [start, end) of the fixed period containing `now` (resets at `at` local).

    Memoized per (period, at, tz) while `now` stays inside the remembered period: the
    answer depends on nothing else, and the planner asks for it for every model.
    """
    key = (period, at, tz)
    hit = _PERIODS.get(key)
    if hit is not None and hit[0] <= now < hit[1]:
        return hit
    bounds = _period_bounds(now, period, at, tz)
    _PERIODS[key] = bounds
    return bounds


def _period_bounds(now: datetime, period: str, at: time, tz: str) -> tuple[datetime, datetime]:
    today = local_date(now, tz)
    if period == "daily":
        day = today
        if localize(day, at, tz) > now:
            day -= timedelta(days=1)
        return localize(day, at, tz), localize(day + timedelta(days=1), at, tz)
    if period == "weekly":  # weeks start on Monday
        day = today - timedelta(days=today.weekday())
        if localize(day, at, tz) > now:
            day -= timedelta(days=7)
        return localize(day, at, tz), localize(day + timedelta(days=7), at, tz)
    day = today.replace(day=1)
    if localize(day, at, tz) > now:
        day = (day - timedelta(days=1)).replace(day=1)
    following = (day + timedelta(days=32)).replace(day=1)
    return localize(day, at, tz), localize(following, at, tz)


def slot_occurrences(
    days: frozenset[int],
    at: time,
    duration: timedelta,
    tz: str,
    around: datetime,
    back_days: int = 1,
    ahead_days: int = 8,
) -> Iterator[tuple[datetime, datetime]]:
    """Occurrences of a weekly slot from `back_days` before to `ahead_days` after `around`."""
    base = local_date(around, tz)
    for offset in range(-back_days, ahead_days + 1):
        day = base + timedelta(days=offset)
        if day.weekday() in days:
            start = localize(day, at, tz)
            yield start, start + duration


def cron_occurrences(
    expr: str, duration: timedelta, tz: str, around: datetime, ahead: int = 3
) -> Iterator[tuple[datetime, datetime]]:
    """The previous cron start (and a couple before it) and the next `ahead` after `around`.

    croniter walks naive local wall-clock times; each is then localized with the same
    gap/fold rule as schedules, so a 02:30 job on a spring-forward day runs at 03:30.
    """
    local_now = around.astimezone(zone(tz)).replace(tzinfo=None)
    back = croniter(expr, local_now + timedelta(seconds=1))
    prevs = [back.get_prev(datetime) for _ in range(2)]
    fwd = croniter(expr, local_now)
    nexts = [fwd.get_next(datetime) for _ in range(ahead)]
    for naive in [*reversed(prevs), *nexts]:
        start = localize(naive.date(), naive.time(), tz)
        yield start, start + duration
