"""Wall-clock arithmetic: DST gaps move forward, folds take the first occurrence."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from symphony.clock import parse_instant
from symphony.windows.calendar import (
    cron_occurrences,
    local_date,
    local_iso,
    localize,
    period_bounds,
    slot_occurrences,
)

DENVER = "America/Denver"
PACIFIC = "America/Los_Angeles"


def t(text: str) -> datetime:
    return parse_instant(text)


@pytest.mark.parametrize(
    ("day", "at", "tz", "expected"),
    [
        (date(2026, 3, 8), time(2, 30), DENVER, "2026-03-08T09:30:00Z"),  # gap: 03:30 MDT
        (date(2026, 3, 8), time(2, 30), PACIFIC, "2026-03-08T10:30:00Z"),  # gap: 03:30 PDT
        (date(2026, 3, 8), time(1, 59), DENVER, "2026-03-08T08:59:00Z"),
        (date(2026, 3, 8), time(3, 0), DENVER, "2026-03-08T09:00:00Z"),
        (date(2026, 11, 1), time(1, 30), DENVER, "2026-11-01T07:30:00Z"),  # fold: first (MDT)
        (date(2026, 11, 1), time(1, 30), PACIFIC, "2026-11-01T08:30:00Z"),  # fold: first (PDT)
        (date(2026, 11, 1), time(2, 0), DENVER, "2026-11-01T09:00:00Z"),
        (date(2026, 7, 1), time(0, 0), "UTC", "2026-07-01T00:00:00Z"),
    ],
)
def test_localize_gap_and_fold_rules(day: date, at: time, tz: str, expected: str) -> None:
    assert localize(day, at, tz) == t(expected)


def test_local_helpers() -> None:
    assert local_iso(None, DENVER) is None
    assert local_iso(t("2026-03-08T09:30:00Z"), DENVER) == "2026-03-08T03:30:00-06:00"
    assert local_date(t("2026-03-08T05:00:00Z"), DENVER) == date(2026, 3, 7)


@pytest.mark.parametrize(
    ("now", "period", "at", "tz", "start", "end"),
    [
        (
            "2026-03-08T12:00:00Z",
            "daily",
            time(0),
            PACIFIC,
            "2026-03-08T08:00:00Z",
            "2026-03-09T07:00:00Z",
        ),  # 23 h
        (
            "2026-11-01T12:00:00Z",
            "daily",
            time(0),
            PACIFIC,
            "2026-11-01T07:00:00Z",
            "2026-11-02T08:00:00Z",
        ),  # 25 h
        (
            "2026-03-08T12:00:00Z",
            "daily",
            time(0),
            DENVER,
            "2026-03-08T07:00:00Z",
            "2026-03-09T06:00:00Z",
        ),
        (
            "2026-05-04T04:00:00Z",
            "daily",
            time(5),
            "UTC",
            "2026-05-03T05:00:00Z",
            "2026-05-04T05:00:00Z",
        ),
        (
            "2026-03-08T12:00:00Z",
            "weekly",
            time(0),
            DENVER,
            "2026-03-02T07:00:00Z",
            "2026-03-09T06:00:00Z",
        ),
        (
            "2026-03-09T05:00:00Z",
            "weekly",
            time(6),
            "UTC",
            "2026-03-02T06:00:00Z",
            "2026-03-09T06:00:00Z",
        ),
        (
            "2026-03-15T00:00:00Z",
            "monthly",
            time(0),
            DENVER,
            "2026-03-01T07:00:00Z",
            "2026-04-01T06:00:00Z",
        ),
        (
            "2026-03-01T10:00:00Z",
            "monthly",
            time(6),
            DENVER,
            "2026-02-01T13:00:00Z",
            "2026-03-01T13:00:00Z",
        ),
        (
            "2026-12-31T23:00:00Z",
            "monthly",
            time(0),
            "UTC",
            "2026-12-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
        ),
    ],
)
def test_period_bounds(now: str, period: str, at: time, tz: str, start: str, end: str) -> None:
    assert period_bounds(t(now), period, at, tz) == (t(start), t(end))


def test_slot_occurrences_cover_yesterday_to_next_week() -> None:
    spans = list(
        slot_occurrences(
            frozenset({6}), time(2, 30), timedelta(hours=1), DENVER, t("2026-03-08T12:00:00Z")
        )
    )
    assert spans == [
        (t("2026-03-08T09:30:00Z"), t("2026-03-08T10:30:00Z")),
        (t("2026-03-15T08:30:00Z"), t("2026-03-15T09:30:00Z")),
    ]
    daily = list(
        slot_occurrences(
            frozenset(range(7)), time(9), timedelta(minutes=5), "UTC", t("2026-05-04T12:00:00Z")
        )
    )
    assert len(daily) == 10
    assert daily[0][0] == t("2026-05-03T09:00:00Z")


def test_cron_occurrences_walk_local_wall_clock() -> None:
    spans = list(
        cron_occurrences("30 2 * * *", timedelta(minutes=30), DENVER, t("2026-03-08T12:00:00Z"))
    )
    assert [s for s, _ in spans] == [
        t("2026-03-07T09:30:00Z"),  # 02:30 MST
        t("2026-03-08T09:30:00Z"),  # 02:30 does not exist: 03:30 MDT
        t("2026-03-09T08:30:00Z"),  # 02:30 MDT
        t("2026-03-10T08:30:00Z"),
        t("2026-03-11T08:30:00Z"),
    ]
    assert all(e - s == timedelta(minutes=30) for s, e in spans)
    # Exactly on an occurrence: it is the latest previous one, not a next one.
    spans = list(
        cron_occurrences(
            "0 18 * * *", timedelta(hours=1), "UTC", t("2026-05-04T18:00:00Z"), ahead=1
        )
    )
    assert [s for s, _ in spans] == [
        t("2026-05-03T18:00:00Z"),
        t("2026-05-04T18:00:00Z"),
        t("2026-05-05T18:00:00Z"),
    ]
