"""Value parsers (durations, reset instants) and the binding-reading choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from symphony.windows.durations import parse_number
from symphony.windows.headers import (
    LimitReading,
    RateLimitObservation,
    parse_duration,
    parse_reset_value,
)

NOW = datetime(2025, 10, 9, 8, 30, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


# --- durations and reset values ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("2m59.56s", 179.56),
        ("7.66s", 7.66),
        ("20ms", 0.02),
        ("12ms", 0.012),
        ("1h2m3s", 3723.0),
        ("45.837906927s", 45.837906927),
        ("1.5h", 5400.0),
        ("300us", 0.0003),
        ("2µs", 0.000002),
        ("500ns", 0.0000005),
        ("0", 0.0),
        (" 38s ", 38.0),
        ("+1m", 60.0),
    ],
)
def test_parse_duration_reads_go_and_protobuf_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "abc", "-1s", "60", "1d", "1.2.3s", "s", "1e3s", "99999999h", "1s garbage"]
)
def test_parse_duration_rejects_garbled_negative_and_absurd(text: str) -> None:
    assert parse_duration(text) is None


def test_parse_duration_rejects_non_strings() -> None:
    assert parse_duration(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6m0s", at(360)),
        ("2m59.56s", at(179.56)),
        ("30", at(30)),
        ("0", NOW),
        ("1760000400", datetime(2025, 10, 9, 9, 0, tzinfo=UTC)),  # claude-code#9046
        ("1760000400000", datetime(2025, 10, 9, 9, 0, tzinfo=UTC)),  # OpenRouter epoch ms
        ("1760000400.5", datetime(2025, 10, 9, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2025-10-09T09:13:32Z", datetime(2025, 10, 9, 9, 13, 32, tzinfo=UTC)),
        ("2025-10-09T11:13:32+02:00", datetime(2025, 10, 9, 9, 13, 32, tzinfo=UTC)),
        ("2025-10-09T09:13:32.123456789Z", datetime(2025, 10, 9, 9, 13, 32, 123456, tzinfo=UTC)),
        ("2025-10-09 09:13:32", datetime(2025, 10, 9, 9, 13, 32, tzinfo=UTC)),
        ("2025-10-09T04:13:32-0500", datetime(2025, 10, 9, 9, 13, 32, tzinfo=UTC)),
        ("Thu, 09 Oct 2025 09:00:00 GMT", datetime(2025, 10, 9, 9, 0, tzinfo=UTC)),
    ],
)
def test_parse_reset_value_applies_the_defensive_rule(text: str, expected: datetime) -> None:
    result = parse_reset_value(text, NOW)
    assert result == expected
    assert result is not None
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "soon",
        "-5",
        "nan",
        "2025-13-40T00:00:00Z",
        "1000000001",  # epoch seconds in 2001: far outside any window
        "Thu, 09 Oct 2099 09:00:00 GMT",
        "999999999",  # ~31 years of delta-seconds
    ],
)
def test_parse_reset_value_rejects_nonsense(text: str) -> None:
    assert parse_reset_value(text, NOW) is None


def test_parse_reset_value_treats_naive_now_as_utc() -> None:
    assert parse_reset_value("1s", NOW.replace(tzinfo=None)) == at(1)


# --- binding() -------------------------------------------------------------------------


def _reading(
    name: str,
    limit: int | None,
    remaining: int | None,
    reset_s: float | None = None,
    utilization: float | None = None,
) -> LimitReading:
    return LimitReading(
        name, limit, remaining, at(reset_s) if reset_s is not None else None, utilization
    )


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([], None),
        ([_reading("a", 100, 50), _reading("b", 10, 2)], "b"),  # 20 % beats 50 %
        ([_reading("a", 100, 1), _reading("b", None, 0)], "b"),  # exhausted, even without limit
        ([_reading("a", 100, 0, 10), _reading("b", 5, 0, 300)], "b"),  # tie: latest reset
        ([_reading("a", 100, 10, 10), _reading("b", 10, 1, None)], "a"),  # tie: known reset
        ([_reading("a", 100, 30), _reading("u", None, None, 5, 0.9)], "u"),  # 1 - utilization
        ([_reading("u", None, None, 5, 1.0), _reading("a", 100, 0, 60)], "a"),
        ([_reading("x", None, 5), _reading("a", 100, 99)], "a"),  # unknown headroom last
        ([_reading("x", None, 5, 10), _reading("y", None, None, 20)], "y"),
        ([_reading("a", 10, 50)], "a"),  # remaining above limit is clamped, still chosen
    ],
)
def test_binding_picks_the_most_constraining_reading(
    candidates: list[LimitReading], expected: str | None
) -> None:
    binding = RateLimitObservation(tuple(candidates), None).binding()
    assert (binding.dimension if binding else None) == expected


def test_resets_past_the_end_of_the_calendar_are_dropped() -> None:
    end = datetime.max.replace(tzinfo=UTC)
    assert parse_reset_value("1h", end) is None
    assert parse_reset_value(None, NOW) is None  # type: ignore[arg-type]
    assert parse_number(None) is None  # type: ignore[arg-type]
