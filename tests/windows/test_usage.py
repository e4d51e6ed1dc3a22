"""The usage index: prefix sums over time, per model and tenant, and session tracking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from symphony.windows.usage import (
    Series,
    Sessions,
    UsageEvent,
    UsageIndex,
    from_ts,
    measure_of,
    session_after,
    ts,
)

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def test_usage_event_tokens_and_measures() -> None:
    event = UsageEvent(at=T0, model="a/b", prompt_tokens=30, completion_tokens=12)
    assert event.tokens == 42
    assert (event.tenant, event.requests, event.cost_usd, event.audit_id) == (
        "default",
        1,
        0.0,
        None,
    )
    assert [measure_of(u) for u in ("messages", "requests", "tokens", "usd")] == [
        "requests",
        "requests",
        "tokens",
        "usd",
    ]
    assert from_ts(ts(T0)) == T0


def test_series_totals_are_half_open_unless_asked() -> None:
    series = Series()
    for offset, tokens, usd in ((0, 10, 0.5), (60, 20, 0.25), (120, 30, 0.125)):
        assert series.add(ts(T0) + offset, 1, tokens, usd)
    start = ts(T0)
    assert series.total(start, start + 120, "requests") == 2  # (start, end]
    assert series.total(start, start + 120, "requests", include_start=True) == 3
    assert series.total(start - 1, start + 120, "tokens") == 60
    assert series.total(start - 1, start + 60, "usd") == 0.75
    assert series.total(start + 500, start + 600, "requests") == 0
    assert series.total(start + 60, start, "requests") == 0  # an empty interval
    assert series.first_after(start) == 1
    assert series.first_after(start, include_start=True) == 0
    assert [series.amount(1, m) for m in ("requests", "tokens", "usd")] == [1, 20, 0.25]


def test_series_accepts_late_events_and_rebuilds_its_sums() -> None:
    series = Series()
    series.add(100.0, 1, 10, 0.0)
    series.add(300.0, 1, 30, 0.0)
    assert not series.add(200.0, 1, 20, 0.0)  # out of order
    assert list(series.times) == [100.0, 200.0, 300.0]
    assert list(series.cum_tokens) == [0.0, 10.0, 30.0, 60.0]
    assert series.total(150, 250, "tokens") == 20
    assert series.add(300.0, 1, 5, 0.0)  # equal times keep order


def test_index_by_model_and_tenant() -> None:
    index = UsageIndex()
    index.add(UsageEvent(at=T0, model="a/one", tenant="team", prompt_tokens=5))
    index.add(UsageEvent(at=T0 + timedelta(minutes=1), model="a/two", cost_usd=0.5))
    assert index.count == 2
    assert index.model("a/one").total(0, ts(T0), "tokens") == 5
    assert index.tenant("default").total(0, ts(T0) + 60, "usd") == 0.5
    assert index.tenant("team").total(0, ts(T0) + 60, "requests") == 1
    assert list(index.model("a/none").times) == []
    assert index.tenant("nobody").total(0, 1e12, "requests") == 0


def test_sessions_start_at_first_use_after_the_previous_end() -> None:
    sessions = Sessions(length=5 * 3600, align_hour=True)
    base = ts(T0)
    for minutes in (17, 60, 299, 300, 340):
        sessions.add(base + minutes * 60)
    # 10:17 -> [10:00, 15:00); 15:00 is not before the end -> [15:00, 20:00)
    assert sessions.starts == [base, base + 5 * 3600]
    assert sessions.current(base + 16 * 60) is None  # before the first use
    assert sessions.current(base + 17 * 60) == base
    assert sessions.current(base + 5 * 3600) == base + 5 * 3600
    assert sessions.current(base + 10 * 3600) is None  # after the last session
    sessions.rebuild([base + 600])
    assert sessions.starts == [base]


def test_track_sessions_follows_new_usage_and_shape_changes() -> None:
    index = UsageIndex()
    index.add(UsageEvent(at=T0 + timedelta(minutes=17), model="m/x"))
    hourly = index.track_sessions("m/x", timedelta(hours=5), True)
    assert hourly.starts == [ts(T0)]
    index.add(UsageEvent(at=T0 + timedelta(hours=6), model="m/x"))
    assert hourly.starts == [ts(T0), ts(T0) + 6 * 3600]
    assert index.track_sessions("m/x", timedelta(hours=5), True) is hourly
    exact = index.track_sessions("m/x", timedelta(hours=5), False)
    assert exact is not hourly
    assert exact.starts == [ts(T0) + 17 * 60, ts(T0) + 6 * 3600]


def test_session_after_an_anchor() -> None:
    base = ts(T0)
    times = [base + 600, base + 3 * 3600, base + 6 * 3600]
    hour = 3600.0
    # Anchor at 10:30: first use 13:00 opens [13:00, 18:00).
    assert session_after(times, base + 1800, 5 * hour, True, base + 4 * hour) == base + 3 * hour
    assert session_after(times, base + 1800, 5 * hour, True, base + 2 * hour) is None
    assert session_after(times, base + 1800, 5 * hour, True, base + 9 * hour) is None
    # Flooring never reaches back before the anchor: 10:10 floors to 10:05, not 10:00.
    assert session_after(times, base + 300, 5 * hour, True, base + 700) == base + 300
    assert session_after(times, base + 2.5 * hour, 1 * hour, True, base + 3 * hour) == (
        base + 3 * hour
    )
    assert session_after(times, base + 2.5 * hour, 2 * hour, True, base + 6.5 * hour) == (
        base + 6 * hour
    )
    assert session_after(times, base + 2.9 * hour, 2 * hour, True, base + 3.5 * hour) == (
        base + 3 * hour
    )
    assert session_after(times, base + 3.1 * hour, 2 * hour, False, base + 6.5 * hour) == (
        base + 6 * hour
    )
    assert session_after([], base, hour, True, base) is None


def test_pruning_forgets_old_usage_but_keeps_recent_sums() -> None:
    series = Series()
    for t in range(10):
        series.add(float(t), 1.0, 10.0, 0.5)
    assert series.drop_before(4.0) == 4
    assert list(series.times) == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert series.total(3.0, 9.0, "tokens") == 60.0
    assert series.total(5.0, 9.0, "requests") == 4.0
    assert series.amount(0, "usd") == 0.5
