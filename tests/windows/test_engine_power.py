"""Power windows: schedule slots and tenant cron across DST, and learned schedule shifts."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from symphony.clock import parse_instant
from symphony.policy.model import (
    DynamicQuota,
    ModelSchedule,
    ModelSpec,
    PowerWindow,
    ScheduleSlot,
)
from symphony.windows.engine import compute_state
from symphony.windows.power import upcoming
from symphony.windows.state import Interval, Learned, WindowState
from symphony.windows.usage import UsageIndex

MODEL = "anthropic/claude-pro"
DENVER = "America/Denver"
PACIFIC = "America/Los_Angeles"
SPEC = ModelSpec(name=MODEL, provider="anthropic", model_class="hosted", quota=DynamicQuota())
EVERY_DAY = frozenset(range(7))
_EMPTY = UsageIndex()


def t(text: str) -> datetime:
    return parse_instant(text)


def schedule(
    *slots: tuple[str, str],
    tz: str = DENVER,
    days: frozenset[int] = EVERY_DAY,
    action: str | None = None,
) -> ModelSchedule:
    parsed = []
    for at, minutes in slots:
        hour, minute = (int(x) for x in at.split(":"))
        parsed.append(ScheduleSlot(days, time(hour, minute), timedelta(minutes=int(minutes))))
    return ModelSchedule(key="k", model=MODEL, tz=tz, slots=tuple(parsed), action=action)  # type: ignore[arg-type]


def state(
    now: str,
    sched: ModelSchedule | None = None,
    cron: tuple[PowerWindow, ...] = (),
    learned: Learned | None = None,
    tz: str = DENVER,
) -> WindowState:
    return compute_state(
        SPEC, _EMPTY, t(now), schedule=sched, tenant_windows=cron, learned=learned, tz=tz
    )


def window(s: WindowState) -> Interval:
    assert s.next_power_window is not None
    return s.next_power_window


@pytest.mark.parametrize(
    ("tz", "start", "end", "start_local", "end_local"),
    [
        # 02:30 does not exist on 2026-03-08: the slot starts at 03:30 local, lasts 1 hour.
        (
            DENVER,
            "2026-03-08T09:30:00Z",
            "2026-03-08T10:30:00Z",
            "2026-03-08T03:30:00-06:00",
            "2026-03-08T04:30:00-06:00",
        ),
        (
            PACIFIC,
            "2026-03-08T10:30:00Z",
            "2026-03-08T11:30:00Z",
            "2026-03-08T03:30:00-07:00",
            "2026-03-08T04:30:00-07:00",
        ),
    ],
)
def test_schedule_slot_in_the_spring_gap_starts_after_the_gap(
    tz: str, start: str, end: str, start_local: str, end_local: str
) -> None:
    sched = schedule(("02:30", "60"), tz=tz)
    s = state("2026-03-08T08:00:00Z", sched, tz=tz)
    assert not s.power_window_open
    w = window(s)
    assert (w.start, w.end) == (t(start), t(end))
    assert (w.start_local, w.end_local) == (start_local, end_local)
    inside = state(end.replace(":30:00Z", ":15:00Z"), sched, tz=tz)
    assert inside.power_window_open
    assert window(inside).end == t(end)


@pytest.mark.parametrize(
    ("tz", "start", "end_local"),
    [
        # 01:30 happens twice on 2026-11-01: the first (daylight) occurrence starts the slot,
        # and the hour is elapsed time, so it ends at the second 01:30 (standard time).
        (DENVER, "2026-11-01T07:30:00Z", "2026-11-01T01:30:00-07:00"),
        (PACIFIC, "2026-11-01T08:30:00Z", "2026-11-01T01:30:00-08:00"),
    ],
)
def test_schedule_slot_on_an_ambiguous_time_uses_the_first_occurrence(
    tz: str, start: str, end_local: str
) -> None:
    s = state("2026-11-01T05:00:00Z", schedule(("01:30", "60"), tz=tz), tz=tz)
    w = window(s)
    assert w.start == t(start)
    assert w.end - w.start == timedelta(hours=1)
    assert w.start_local.startswith("2026-11-01T01:30:00")
    assert w.end_local == end_local


def test_slot_durations_are_elapsed_time_across_the_change() -> None:
    # 01:00 + 3h on the fall-back day ends at 03:00 MST: four wall-clock hours later.
    s = state("2026-11-01T06:00:00Z", schedule(("01:00", "180")))
    w = window(s)
    assert (w.start, w.end) == (t("2026-11-01T07:00:00Z"), t("2026-11-01T10:00:00Z"))
    assert w.end_local == "2026-11-01T03:00:00-07:00"
    s = state("2026-03-08T06:00:00Z", schedule(("01:00", "180")))
    assert window(s).end_local == "2026-03-08T05:00:00-06:00"


def test_schedule_days_and_overnight_slots() -> None:
    weekdays = schedule(("08:30", "20"), days=frozenset(range(5)))
    s = state("2026-05-09T12:00:00Z", weekdays)  # Saturday
    assert window(s).start == t("2026-05-11T14:30:00Z")  # Monday 08:30 MDT
    overnight = schedule(("23:30", "60"))
    s = state("2026-05-05T06:15:00Z", overnight)  # 00:15 local: yesterday's slot is open
    assert s.power_window_open
    assert window(s).start == t("2026-05-05T05:30:00Z")


def test_slots_in_their_own_zone_display_in_the_policy_zone() -> None:
    s = state("2026-05-04T12:00:00Z", schedule(("13:00", "30"), tz=PACIFIC))
    w = window(s)
    assert w.start == t("2026-05-04T20:00:00Z")
    assert w.start_local == "2026-05-04T14:00:00-06:00"


def test_tenant_cron_uses_its_tz_else_the_policy_timezone() -> None:
    utc = PowerWindow(model=MODEL, when_cron="0 18 * * 1-5", duration=timedelta(hours=1), tz="UTC")
    s = state("2026-05-04T12:00:00Z", cron=(utc,))
    assert (window(s).start, window(s).end) == (
        t("2026-05-04T18:00:00Z"),
        t("2026-05-04T19:00:00Z"),
    )
    assert window(s).start_local == "2026-05-04T12:00:00-06:00"
    assert state("2026-05-04T18:30:00Z", cron=(utc,)).power_window_open
    local = PowerWindow(model=MODEL, when_cron="0 18 * * 1-5", duration=timedelta(hours=1))
    assert window(state("2026-05-04T12:00:00Z", cron=(local,))).start == t("2026-05-05T00:00:00Z")
    pacific = state("2026-05-04T12:00:00Z", cron=(local,), tz=PACIFIC)
    assert window(pacific).start == t("2026-05-05T01:00:00Z")


def test_tenant_cron_across_dst() -> None:
    cron = PowerWindow(
        model=MODEL, when_cron="30 2 * * *", duration=timedelta(minutes=30), tz=DENVER
    )
    s = state("2026-03-08T08:00:00Z", cron=(cron,))
    assert window(s).start == t("2026-03-08T09:30:00Z")  # 03:30 MDT: moved by the gap
    s = state("2026-03-08T10:00:00Z", cron=(cron,))
    assert window(s).start == t("2026-03-09T08:30:00Z")  # 02:30 MDT the next day
    fall = PowerWindow(model=MODEL, when_cron="30 1 * * *", duration=timedelta(hours=1), tz=DENVER)
    s = state("2026-11-01T06:00:00Z", cron=(fall,))
    assert window(s).start == t("2026-11-01T07:30:00Z")  # the first 01:30
    s = state("2026-11-01T08:15:00Z", cron=(fall,))  # 01:15 MST: the slot is still open
    assert s.power_window_open
    assert window(s).end == t("2026-11-01T08:30:00Z")


def test_no_schedule_means_no_power_window() -> None:
    s = state("2026-05-04T12:00:00Z")
    assert (s.power_window_open, s.next_power_window) == (False, None)
    assert upcoming(None, (), None, t("2026-05-04T12:00:00Z"), DENVER) == []
    empty = ModelSchedule(key="k", model=MODEL, tz=DENVER)
    assert state("2026-05-04T12:00:00Z", empty).next_power_window is None


def test_upcoming_lists_the_current_and_next_windows() -> None:
    sched = schedule(("05:00", "55"), ("10:00", "55"), ("15:00", "55"), ("20:00", "55"))
    spans = upcoming(sched, (), None, t("2026-05-04T16:30:00Z"), DENVER)
    assert [s.start_local[11:16] for s in spans] == ["10:00", "15:00", "20:00"]
    assert spans[0].to_dict() == {
        "start": "2026-05-04T16:00:00Z",
        "end": "2026-05-04T16:55:00Z",
        "start_local": "2026-05-04T10:00:00-06:00",
        "end_local": "2026-05-04T10:55:00-06:00",
    }
    assert len(upcoming(sched, (), None, t("2026-05-04T16:30:00Z"), DENVER, limit=5)) == 5


def test_phase_lock_shifts_every_slot() -> None:
    sched = schedule(("05:00", "55"), ("10:00", "55"), action="phase_lock")
    learned = Learned(model=MODEL, schedule_shift_s=600.0)
    s = state("2026-05-04T12:00:00Z", sched, learned=learned)  # 06:00 MDT
    assert s.power_window_open  # 05:10-06:05 instead of 05:00-05:55
    s = state("2026-05-04T12:30:00Z", sched, learned=learned)
    assert window(s).start == t("2026-05-04T16:10:00Z")  # 10:10 MDT
    s = state("2026-05-04T17:30:00Z", sched, learned=learned)
    assert window(s).start == t("2026-05-05T11:10:00Z")  # tomorrow 05:10 MDT


def test_shift_to_next_reset_moves_only_that_occurrence() -> None:
    sched = schedule(("06:05", "25"), ("09:05", "25"), action="shift_to_next_reset")
    learned = Learned(
        model=MODEL,
        schedule_shift_s=900.0,
        shift_next_only=True,
        shift_origin=t("2026-05-04T15:05:00Z"),
    )
    s = state("2026-05-04T15:00:00Z", sched, learned=learned)
    assert (window(s).start, window(s).end) == (
        t("2026-05-04T15:20:00Z"),
        t("2026-05-04T15:45:00Z"),
    )
    assert not state("2026-05-04T15:10:00Z", sched, learned=learned).power_window_open
    # Tomorrow's slots are where the schedule puts them.
    s = state("2026-05-04T16:00:00Z", sched, learned=learned)
    assert window(s).start == t("2026-05-05T12:05:00Z")
    s = state("2026-05-05T13:00:00Z", sched, learned=learned)
    assert window(s).start == t("2026-05-05T15:05:00Z")
    no_origin = Learned(model=MODEL, schedule_shift_s=900.0, shift_next_only=True)
    s = state("2026-05-04T15:00:00Z", sched, learned=no_origin)
    assert window(s).start == t("2026-05-04T15:05:00Z")
