"""When jobs run: cron in a zone across DST changes, power windows, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from symphony.jobs.schedule import backoff, check_cron, next_cron, window_time

LA = "America/Los_Angeles"


def test_cron_on_the_spring_forward_day_runs_at_the_shifted_time() -> None:
    # 2027-03-14 02:30 does not exist in Los Angeles: it runs at 03:30 PDT (10:30 UTC).
    got = next_cron("30 2 * * *", LA, datetime(2027, 3, 14, 8, 0, tzinfo=UTC))
    assert got == datetime(2027, 3, 14, 10, 30, tzinfo=UTC)
    after = next_cron("30 2 * * *", LA, got)
    assert after == datetime(2027, 3, 15, 9, 30, tzinfo=UTC)  # 02:30 PDT the next day


def test_cron_on_the_fall_back_day_runs_once() -> None:
    # 2026-11-01 01:30 happens twice in Los Angeles; the job runs once (the first).
    first = next_cron("30 1 * * *", LA, datetime(2026, 11, 1, 7, 0, tzinfo=UTC))
    second = next_cron("30 1 * * *", LA, first)
    assert first == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert second == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_cron_validation_names_the_problem() -> None:
    assert check_cron("0 3 * * *") is None
    assert "has 6 fields" in (check_cron("0 0 3 * * *") or "")
    assert "not a valid" in (check_cron("99 3 * * *") or "")


def state(**kw: Any) -> Any:
    base = {"model": "m", "exhausted": False, "reserve_hold": False, "cooldown_until": None,
            "resets_at": None, "power_window_open": False, "next_power_window": None}  # fmt: skip
    return SimpleNamespace(**{**base, **kw})


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_window_time_prefers_the_open_or_next_power_window() -> None:
    assert window_time(state(power_window_open=True), [], NOW)[0] == NOW
    nxt = SimpleNamespace(start=NOW + timedelta(hours=3))
    assert window_time(state(next_power_window=nxt), [], NOW)[0] == NOW + timedelta(hours=3)
    assert window_time(state(), [], NOW) == (
        NOW,
        "m: no power window scheduled; capacity is free now",
    )


def test_window_time_waits_for_an_exhausted_or_reserved_window() -> None:
    reset = NOW + timedelta(minutes=40)
    assert window_time(state(exhausted=True, resets_at=reset), [], NOW)[0] == reset
    held = window_time(state(reserve_hold=True, resets_at=reset, power_window_open=True), [], NOW)
    assert held == (reset, "m: window inside its reserve; runs at its reset")


def test_with_no_eligible_model_the_first_reset_wins() -> None:
    states = [state(model="a", resets_at=NOW + timedelta(hours=2)),
              state(model="b", cooldown_until=NOW + timedelta(minutes=5))]  # fmt: skip
    assert window_time(None, states, NOW) == (
        NOW + timedelta(minutes=5),
        "no model eligible now; b frees up first",
    )
    assert window_time(None, [state()], NOW)[0] is None


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 10).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert backoff(30, 10) == timedelta(hours=1)
