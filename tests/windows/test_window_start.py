"""WindowState.window_start: where each kind of window starts at `now` (shared counters
count their own charges from there, execute/admission.py), computed by the pure engine."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal

from symphony.clock import parse_instant
from symphony.policy.model import (
    FixedEveryQuota,
    FixedQuota,
    HeaderDrivenQuota,
    ModelSpec,
    Quota,
    RollingQuota,
)
from symphony.windows.engine import compute_state
from symphony.windows.state import Learned
from symphony.windows.usage import UsageEvent, UsageIndex

MODEL = "m/model"


def t(text: str) -> datetime:
    return parse_instant(f"2026-05-04T{text}Z" if "T" not in text else text)


def model(quota: Quota) -> ModelSpec:
    return ModelSpec(name=MODEL, provider="p", model_class="hosted", quota=quota)


def rolling(
    hours: int,
    *,
    anchor: Literal["sliding", "first_use"] = "sliding",
    weekly: int | None = None,
    cap: int = 5,
) -> ModelSpec:
    return model(
        RollingQuota(
            window=timedelta(hours=hours),
            anchor=anchor,
            align="hour",
            unit="requests",
            cap=cap,
            weekly_cap=weekly,
        )
    )


def usage(*times: str) -> UsageIndex:
    index = UsageIndex()
    for when in times:
        index.add(UsageEvent(at=t(when), model=MODEL))
    return index


def start(spec: ModelSpec, index: UsageIndex, now: str, learned: Learned | None = None) -> object:
    return compute_state(spec, index, t(now), learned=learned, tz="America/Denver").window_start


def test_a_rolling_window_starts_one_length_before_now() -> None:
    assert start(rolling(3), usage("10:00"), "12:30") == t("09:30")
    assert start(rolling(3), usage(), "12:30") == t("09:30")  # no usage: same start


def test_a_session_starts_at_its_first_use_floored_to_the_hour() -> None:
    spec = rolling(5, anchor="first_use")
    assert start(spec, usage("09:17", "10:00"), "12:00") == t("09:00")


def test_without_a_session_running_the_call_would_start_one_now() -> None:
    spec = rolling(5, anchor="first_use")
    assert start(spec, usage("03:10"), "12:00") == t("12:00")  # the 03:00 session ended
    assert start(spec, usage(), "12:00") == t("12:00")


def test_a_phase_locked_session_starts_one_length_before_its_observed_end() -> None:
    spec = rolling(5, anchor="first_use")
    learned = Learned(model=MODEL, observed_at=t("11:00"), resets_at=t("14:30"), remaining=3.0)
    assert start(spec, usage("09:40"), "12:00", learned) == t("09:30")


def test_a_binding_weekly_cap_starts_seven_days_before_now() -> None:
    spec = rolling(5, anchor="first_use", weekly=2)
    s = compute_state(spec, usage("10:00", "10:10"), t("11:00"))
    assert s.binding == "weekly"
    assert s.window_start == t("11:00") - timedelta(days=7)


def test_fixed_windows_start_at_the_period_start_in_their_zone() -> None:
    daily = model(FixedQuota(period="daily", tz="America/Los_Angeles", at=time(0, 0), rpd=10))
    # 2026-05-04 15:00 UTC is 08:00 PDT: the day started at 07:00 UTC.
    assert start(daily, usage(), "15:00") == t("07:00")
    tokens = model(
        FixedQuota(period="daily", tz="America/Los_Angeles", at=time(0, 0), rpd=None, tpd=100)
    )
    s = compute_state(tokens, usage(), t("15:00"))
    assert (s.binding, s.window_start) == ("tokens", t("07:00"))
    monthly = model(FixedQuota(period="monthly", tz="UTC", at=time(0, 0), rpd=10))
    assert start(monthly, usage(), "15:00") == t("2026-05-01T00:00:00Z")


def test_fixed_every_starts_at_its_epoch_aligned_bucket() -> None:
    spec = model(FixedEveryQuota(period=timedelta(seconds=60), cap=5))
    assert start(spec, usage(), "2026-05-04T12:00:30Z") == t("12:00")


def test_header_driven_windows_start_at_the_observation_or_its_reset() -> None:
    spec = model(HeaderDrivenQuota(unit="requests"))
    seen = Learned(
        model=MODEL,
        observed_at=t("12:00"),
        resets_at=t("12:05"),
        remaining=10.0,
        cap=100.0,
        source="headers",
    )
    assert start(spec, usage(), "12:01", seen) == t("12:00")
    assert start(spec, usage(), "12:06", seen) == t("12:05")  # reset: counting restarts
    assert start(spec, usage(), "12:01") is None  # nothing observed: no cap, no start
