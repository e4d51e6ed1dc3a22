"""Rolling windows: sliding usage, Claude-style sessions, weekly caps, learned phase lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from symphony.clock import parse_instant
from symphony.policy.model import ModelSpec, QuotaUnit, RollingQuota
from symphony.windows.engine import compute_state
from symphony.windows.state import Learned, WindowState
from symphony.windows.usage import UsageEvent, UsageIndex

MODEL = "anthropic/claude-pro"


def at(text: str) -> datetime:
    return parse_instant(f"2026-05-04T{text}Z" if "T" not in text else text)


def rolling(
    window: str = "3h",
    cap: int | None = 3,
    *,
    anchor: Literal["sliding", "first_use"] = "sliding",
    align: Literal["none", "hour"] = "none",
    unit: QuotaUnit = "messages",
    weekly: int | None = None,
) -> ModelSpec:
    hours, minutes = (int(window[:-1]), 0) if window.endswith("h") else (0, int(window[:-1]))
    quota = RollingQuota(
        window=timedelta(hours=hours, minutes=minutes),
        anchor=anchor,
        align=align,
        unit=unit,
        cap=cap,
        weekly_cap=weekly,
        cap_source="configured" if cap is not None else "from_console",
    )
    return ModelSpec(name=MODEL, provider="anthropic", model_class="hosted", quota=quota)


def usage(*events: str | tuple[str, int]) -> UsageIndex:
    """Events as 'HH:MM' (one request) or ('HH:MM', tokens)."""
    index = UsageIndex()
    for item in events:
        when, tokens = (item, 0) if isinstance(item, str) else item
        index.add(UsageEvent(at=at(when), model=MODEL, prompt_tokens=tokens))
    return index


def state(
    spec: ModelSpec, index: UsageIndex, now: str, learned: Learned | None = None
) -> WindowState:
    return compute_state(spec, index, at(now), learned=learned, tz="America/Denver")


# --- sliding ------------------------------------------------------------------------------
def test_sliding_counts_usage_in_the_half_open_window() -> None:
    spec, index = rolling(cap=5), usage("10:00", "10:30", "11:00")
    s = state(spec, index, "11:30")
    assert (s.used, s.cap, s.remaining, s.remaining_fraction) == (3, 5, 2, 0.4)
    assert s.kind == "rolling_3h"
    assert s.label == "rolling 3h"
    assert s.unit == "messages"
    assert s.source == "configured"
    assert s.open
    # Not exhausted: resets_at is when the oldest usage in the window ages out.
    assert s.resets_at == at("13:00")
    assert s.resets_at_local == "2026-05-04T07:00:00-06:00"
    assert s.eta_seconds == 5400
    assert state(spec, index, "11:00").used == 3  # usage at `now` counts
    at_edge = state(spec, index, "13:00")  # usage at exactly now - window does not
    assert at_edge.used == 2
    assert at_edge.resets_at == at("13:30")
    assert state(spec, index, "09:59").used == 0  # later usage is not visible yet


def test_sliding_exhausted_resets_when_one_unit_frees() -> None:
    spec, index = rolling(cap=3), usage("10:00", "10:30", "11:00")
    s = state(spec, index, "11:30")
    assert (s.used, s.remaining, s.remaining_fraction) == (3, 0, 0.0)
    assert not s.open
    assert s.closed_reason == "quota_exhausted"
    assert s.exhausted
    assert s.resets_at == at("13:00")
    after = state(spec, index, "13:00")
    assert after.open
    assert after.remaining == 1


def test_sliding_token_window_frees_enough_of_the_oldest_usage() -> None:
    spec = rolling(cap=100, unit="tokens")
    # 105 tokens used, cap 100: 6 must age out to leave one free; the 5 at 10:00 are not enough.
    s = state(spec, usage(("10:00", 5), ("10:30", 50), ("11:00", 50)), "11:30")
    assert (s.used, s.remaining) == (105, 0)
    assert s.resets_at == at("13:30")
    s = state(spec, usage(("10:00", 60), ("10:30", 30), ("11:00", 20)), "11:30")
    assert s.resets_at == at("13:00")


def test_sliding_with_a_cap_below_one_unit_resets_when_everything_ages_out() -> None:
    spec = rolling(cap=0)
    s = state(spec, usage("10:00", "10:30"), "11:00")
    assert (s.used, s.remaining, s.remaining_fraction) == (2, 0, 0.0)
    assert s.resets_at == at("13:30")


def test_sliding_with_no_usage_is_full_and_never_resets() -> None:
    s = state(rolling(cap=5), usage(), "11:30")
    assert (s.used, s.remaining, s.remaining_fraction) == (0, 5, 1.0)
    assert s.resets_at is None
    assert s.resets_at_local is None
    assert s.eta_seconds is None
    assert s.projected_depletion_at is None


def test_sliding_without_a_known_cap_is_heuristic() -> None:
    s = state(rolling(cap=None), usage("10:00"), "11:00")
    assert (s.used, s.cap, s.remaining, s.remaining_fraction) == (1, None, None, None)
    assert s.source == "heuristic"
    assert s.open
    assert not s.reserve_hold
    assert s.resets_at == at("13:00")


def test_sliding_learned_cap_and_observation() -> None:
    spec, index = rolling(cap=None), usage("10:00", "11:10", "11:20")
    learned = Learned(model=MODEL, observed_at=at("11:00"), cap=40.0, source="learned")
    s = state(spec, index, "11:30", learned)
    assert (s.cap, s.used, s.remaining) == (40, 3, 37)
    # An operator report: 10 left, resets 12:15. Usage since the report is subtracted.
    learned = Learned(
        model=MODEL, observed_at=at("11:00"), resets_at=at("12:15"), remaining=10.0, cap=40.0
    )
    s = state(spec, index, "11:30", learned)
    assert (s.cap, s.used, s.remaining) == (40, 32, 8)
    assert s.resets_at == at("12:15")
    assert s.source == "learned"
    # Once the reported reset has passed, the window is computed from usage again.
    after = state(spec, index, "12:30", learned)
    assert (after.cap, after.used, after.source) == (40, 3, "heuristic")
    # An observation from the future (relative to `now`) is not known yet.
    assert state(spec, index, "10:30", learned).cap is None


def test_sliding_ignores_api_header_readings() -> None:
    # Headers describe an API's own rate limit, not the subscription window.
    learned = Learned(
        model=MODEL,
        observed_at=at("11:00"),
        resets_at=at("11:01"),
        remaining=1.0,
        cap=50.0,
        source="headers",
    )
    s = state(rolling(cap=5), usage("10:00"), "11:00", learned)
    assert (s.cap, s.used, s.source) == (5, 1, "configured")


# --- first_use sessions -------------------------------------------------------------------
def test_session_starts_at_first_use_floored_to_the_hour() -> None:
    spec = rolling("5h", cap=45, anchor="first_use", align="hour")
    index = usage("09:17", "10:00", "13:59")
    s = state(spec, index, "12:00")
    assert s.kind == "session_5h"
    assert s.label == "5h session"
    assert (s.used, s.remaining) == (2, 43)
    assert s.resets_at == at("14:00")
    assert state(spec, index, "13:59").used == 3


def test_session_without_alignment_starts_at_the_first_use() -> None:
    spec = rolling("5h", cap=45, anchor="first_use")
    s = state(spec, usage("09:17", "10:00"), "12:00")
    assert s.resets_at == at("14:17")


def test_no_session_means_full_capacity_and_no_reset() -> None:
    spec = rolling("5h", cap=45, anchor="first_use", align="hour")
    index = usage("09:17", "13:59")
    for now in ("08:00", "09:05", "14:30"):  # before any use, before the first use, after
        s = state(spec, index, now)
        assert (s.used, s.remaining, s.resets_at, s.eta_seconds) == (0, 45, None, None), now


def test_a_new_session_starts_only_after_the_previous_one_ended() -> None:
    spec = rolling("5h", cap=45, anchor="first_use", align="hour")
    index = usage("09:17", "13:30", "14:00", "14:40")
    s = state(spec, index, "13:45")
    assert (s.used, s.resets_at) == (2, at("14:00"))
    s = state(spec, index, "14:45")
    assert (s.used, s.resets_at) == (2, at("19:00"))
    # A use well after the end floors to its own hour, not to the previous end.
    index = usage("09:17", "16:40")
    assert state(spec, index, "17:00").resets_at == at("21:00")


def test_sessions_tolerate_out_of_order_recording() -> None:
    spec = rolling("5h", cap=45, anchor="first_use", align="hour")
    index = usage("14:10")
    assert state(spec, index, "14:20").resets_at == at("19:00")
    index.add(UsageEvent(at=at("09:30"), model=MODEL))  # a late write for an earlier request
    s = state(spec, index, "14:20")
    assert (s.used, s.resets_at) == (1, at("19:00"))
    assert state(spec, index, "10:00").resets_at == at("14:00")


def test_session_phase_locks_to_an_observed_reset() -> None:
    spec = rolling("5h", cap=45, anchor="first_use", align="hour")
    index = usage("09:17", "10:05")
    learned = Learned(model=MODEL, observed_at=at("11:00"), resets_at=at("14:30"))
    s = state(spec, index, "12:00", learned)
    assert s.source == "learned"
    assert s.resets_at == at("14:30")  # not the 14:00 that usage alone implies
    assert s.used == 1  # the session runs 09:30-14:30, so 09:17 is outside it
    # After the learned session ends, sessions restart at the first use after it.
    index = usage("09:17", "10:05", "14:40", "15:10")
    s = state(spec, index, "15:30", learned)
    assert (s.used, s.resets_at, s.source) == (2, at("19:30"), "configured")
    assert state(spec, index, "14:35", learned).resets_at is None  # between sessions
    # Sessions later the lock still sets the phase: 14:30-19:30, then 19:30-00:30.
    later = usage("14:40", "19:45", "23:55")
    assert state(spec, later, "2026-05-05T00:10:00Z", learned).resets_at == at(
        "2026-05-05T00:30:00Z"
    )
    assert state(spec, later, "2026-05-05T05:00:00Z", learned).resets_at is None


def test_session_observation_with_remaining_subtracts_later_usage() -> None:
    spec = rolling("5h", cap=45, anchor="first_use", align="hour")
    learned = Learned(model=MODEL, observed_at=at("11:00"), resets_at=at("14:30"), remaining=5.0)
    s = state(spec, usage("09:40", "11:30"), "12:00", learned)
    assert (s.cap, s.remaining, s.used) == (45, 4, 41)
    assert s.resets_at == at("14:30")


# --- weekly caps --------------------------------------------------------------------------
def test_weekly_cap_wins_when_it_is_tighter_and_is_reported() -> None:
    spec = rolling("5h", cap=5, anchor="first_use", align="hour", weekly=8)
    index = usage(*[f"2026-05-02T{h:02d}:00:00Z" for h in range(10, 16)], "10:20")
    s = state(spec, index, "11:00")
    assert s.binding == "weekly"
    assert s.label == "5h session (weekly cap)"
    assert (s.used, s.cap, s.remaining) == (7, 8, 1)
    # Not exhausted: the oldest use in the last 7 days ages out first.
    assert s.resets_at == at("2026-05-09T10:00:00Z")
    index.add(UsageEvent(at=at("10:40"), model=MODEL))
    s = state(spec, index, "11:00")
    assert (s.remaining, s.open, s.closed_reason) == (0, False, "quota_exhausted")
    assert s.resets_at == at("2026-05-09T10:00:00Z")


def test_window_cap_wins_when_it_is_tighter() -> None:
    spec = rolling("5h", cap=5, anchor="first_use", align="hour", weekly=900)
    s = state(spec, usage("10:00", "10:10", "10:20", "10:30"), "11:00")
    assert s.binding == "window"
    assert (s.used, s.cap, s.remaining) == (4, 5, 1)
    assert s.resets_at == at("15:00")


def test_weekly_cap_with_an_unknown_window_cap() -> None:
    spec = rolling("3h", cap=None, weekly=50)
    s = state(spec, usage("10:00"), "11:00")
    assert (s.binding, s.used, s.cap, s.remaining) == ("weekly", 1, 50, 49)
    assert s.resets_at == at("2026-05-11T10:00:00Z")
