"""Power windows: schedule slots from model.windows.yml and tenant cron windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from symphony.windows.calendar import cron_occurrences, local_iso, slot_occurrences
from symphony.windows.specs import ModelSchedule, PowerWindow
from symphony.windows.state import Interval, Learned


def occurrences(
    schedule: ModelSchedule | None,
    tenant_windows: Sequence[PowerWindow],
    learned: Learned | None,
    now: datetime,
    tz: str,
) -> list[tuple[datetime, datetime]]:
    """Every power-window interval near `now`, sorted, with any learned shift applied."""
    spans: list[tuple[datetime, datetime]] = []
    if schedule is not None:
        shift = timedelta(seconds=learned.schedule_shift_s) if learned else timedelta(0)
        next_only = bool(learned and learned.shift_next_only)
        slots: list[tuple[datetime, datetime]] = []
        for slot in schedule.slots:
            slots.extend(slot_occurrences(slot.days, slot.at, slot.duration, schedule.tz, now))
        slots.sort()
        if shift and next_only:
            # shift_to_next_reset: only the occurrence next to the learned reset moves.
            origin = learned.shift_origin if learned else None
            slots = [
                (start + shift, end + shift)
                if origin is not None and abs((start - origin).total_seconds()) < 1
                else (start, end)
                for start, end in slots
            ]
        elif shift:
            slots = [(s + shift, e + shift) for s, e in slots]
        spans.extend(slots)
    for window in tenant_windows:
        spans.extend(cron_occurrences(window.when_cron, window.duration, window.tz or tz, now))
    spans.sort()
    return spans


def power_windows(
    schedule: ModelSchedule | None,
    tenant_windows: Sequence[PowerWindow],
    learned: Learned | None,
    now: datetime,
    tz: str,
) -> tuple[bool, Interval | None]:
    """Whether a power window is open at `now`, and the current-or-next one."""
    if schedule is None and not tenant_windows:
        return False, None
    spans = occurrences(schedule, tenant_windows, learned, now, tz)
    for start, end in spans:
        if end > now:
            return start <= now, Interval(
                start, end, local_iso(start, tz) or "", local_iso(end, tz) or ""
            )
    return False, None


def upcoming(
    schedule: ModelSchedule | None,
    tenant_windows: Sequence[PowerWindow],
    learned: Learned | None,
    now: datetime,
    tz: str,
    limit: int = 3,
) -> list[Interval]:
    """The current and next few power windows (for the Model Matrix schedule column)."""
    if schedule is None and not tenant_windows:
        return []
    spans = [s for s in occurrences(schedule, tenant_windows, learned, now, tz) if s[1] > now]
    return [
        Interval(s, e, local_iso(s, tz) or "", local_iso(e, tz) or "") for s, e in spans[:limit]
    ]
