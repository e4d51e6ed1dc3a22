"""Fixed wall-clock windows across DST, and epoch-aligned fixed_every buckets."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal

import pytest

from symphony.clock import parse_instant
from symphony.policy.model import FixedEveryQuota, FixedQuota, ModelSpec
from symphony.windows.engine import compute_state
from symphony.windows.state import Learned, WindowState
from symphony.windows.usage import UsageEvent, UsageIndex

MODEL = "google/gemini-pro"
DENVER = "America/Denver"
PACIFIC = "America/Los_Angeles"


def t(text: str) -> datetime:
    return parse_instant(text)


def fixed(
    tz: str = PACIFIC,
    at: str = "00:00",
    period: Literal["daily", "weekly", "monthly"] = "daily",
    rpd: int | None = 1000,
    tpd: int | None = None,
) -> ModelSpec:
    hour, minute = (int(x) for x in at.split(":"))
    quota = FixedQuota(
        period=period,
        tz=tz,
        at=time(hour, minute),
        rpd=rpd,
        tpd=tpd,
        cap_source="configured" if rpd is not None or tpd is not None else "from_console",
    )
    return ModelSpec(name=MODEL, provider="google", model_class="hosted", quota=quota)


def every(seconds: int, cap: int | None = 50) -> ModelSpec:
    quota = FixedEveryQuota(period=timedelta(seconds=seconds), cap=cap)
    return ModelSpec(name=MODEL, provider="perplexity", model_class="hosted", quota=quota)


def usage(*events: str | tuple[str, int]) -> UsageIndex:
    index = UsageIndex()
    for item in events:
        when, tokens = (item, 0) if isinstance(item, str) else item
        index.add(UsageEvent(at=t(when), model=MODEL, prompt_tokens=tokens))
    return index


def state(
    spec: ModelSpec,
    index: UsageIndex,
    now: str,
    *,
    tz: str = DENVER,
    learned: Learned | None = None,
) -> WindowState:
    return compute_state(spec, index, t(now), learned=learned, tz=tz)


@pytest.mark.parametrize(
    ("now", "resets_at", "local"),
    [
        # Spring forward, 2026-03-08: Pacific midnight is 01:00 in Denver on both sides.
        ("2026-03-07T20:00:00Z", "2026-03-08T08:00:00Z", "2026-03-08T01:00:00-07:00"),
        ("2026-03-08T09:30:00Z", "2026-03-09T07:00:00Z", "2026-03-09T01:00:00-06:00"),
        ("2026-03-08T20:00:00Z", "2026-03-09T07:00:00Z", "2026-03-09T01:00:00-06:00"),
        # Fall back, 2026-11-01.
        ("2026-10-31T20:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T01:00:00-06:00"),
        ("2026-11-01T08:30:00Z", "2026-11-02T08:00:00Z", "2026-11-02T01:00:00-07:00"),
        ("2026-11-01T20:00:00Z", "2026-11-02T08:00:00Z", "2026-11-02T01:00:00-07:00"),
    ],
)
def test_gemini_pacific_midnight_shows_as_one_am_denver_across_dst(
    now: str, resets_at: str, local: str
) -> None:
    s = state(fixed(), usage(), now)
    assert s.kind == "daily"
    assert s.label == "daily 00:00 America/Los_Angeles"
    assert s.resets_at == t(resets_at)
    assert s.resets_at_local == local
    assert s.eta_seconds == (t(resets_at) - t(now)).total_seconds()


def test_fixed_daily_periods_are_23_and_25_hours_on_dst_days() -> None:
    index = usage("2026-03-08T07:59:00Z", "2026-03-08T08:00:00Z", "2026-03-09T06:59:00Z")
    s = state(fixed(), index, "2026-03-09T06:59:00Z")
    assert s.used == 2  # the reset instant itself belongs to the new day
    assert (s.cap, s.remaining) == (1000, 998)
    assert s.resets_at == t("2026-03-09T07:00:00Z")
    s = state(
        fixed(), usage("2026-11-01T07:00:00Z", "2026-11-02T07:59:00Z"), "2026-11-02T07:59:30Z"
    )
    assert s.used == 2  # 25 hours in the day
    assert s.resets_at == t("2026-11-02T08:00:00Z")


@pytest.mark.parametrize(
    ("tz", "now", "resets_at", "local"),
    [
        (DENVER, "2026-03-08T08:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T00:00:00-06:00"),
        (DENVER, "2026-03-08T12:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T00:00:00-06:00"),
        (DENVER, "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T00:00:00-06:00"),
        (DENVER, "2026-11-01T12:00:00Z", "2026-11-02T07:00:00Z", "2026-11-02T00:00:00-07:00"),
        (PACIFIC, "2026-03-08T12:00:00Z", "2026-03-09T07:00:00Z", "2026-03-09T00:00:00-07:00"),
        (PACIFIC, "2026-11-01T12:00:00Z", "2026-11-02T08:00:00Z", "2026-11-02T00:00:00-08:00"),
    ],
)
def test_fixed_daily_in_local_zones_both_ways(
    tz: str, now: str, resets_at: str, local: str
) -> None:
    s = state(fixed(tz=tz), usage(), now, tz=tz)
    assert s.resets_at == t(resets_at)
    assert s.resets_at_local == local


def test_fixed_reset_inside_the_spring_gap_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist in Denver on 2026-03-08: that day's reset is at 03:30 MDT.
    s = state(fixed(tz=DENVER, at="02:30"), usage(), "2026-03-08T08:00:00Z")
    assert s.resets_at == t("2026-03-08T09:30:00Z")
    assert s.resets_at_local == "2026-03-08T03:30:00-06:00"
    s = state(fixed(tz=DENVER, at="02:30"), usage(), "2026-03-08T10:00:00Z")
    assert s.resets_at == t("2026-03-09T08:30:00Z")  # 02:30 MDT the next day (23 h later)


def test_fixed_reset_on_an_ambiguous_time_uses_the_first_occurrence() -> None:
    spec = fixed(tz=DENVER, at="01:30")
    s = state(spec, usage(), "2026-11-01T07:00:00Z")
    assert s.resets_at == t("2026-11-01T07:30:00Z")
    assert s.resets_at_local == "2026-11-01T01:30:00-06:00"
    # The second 01:30 (MST) is not a reset: the next one is tomorrow, 25 hours later.
    index = usage("2026-11-01T07:40:00Z", "2026-11-01T08:40:00Z")
    s = state(spec, index, "2026-11-01T08:45:00Z")
    assert s.used == 2
    assert s.resets_at == t("2026-11-02T08:30:00Z")
    assert s.resets_at_local == "2026-11-02T01:30:00-07:00"


def test_fixed_weekly_starts_on_monday() -> None:
    spec = fixed(tz=DENVER, period="weekly", rpd=100)
    index = usage("2026-03-02T06:59:00Z", "2026-03-02T07:00:00Z", "2026-03-06T12:00:00Z")
    s = state(spec, index, "2026-03-08T12:00:00Z")
    assert s.kind == "weekly"
    assert s.label == "weekly 00:00 America/Denver"
    assert s.used == 2
    assert s.resets_at == t("2026-03-09T06:00:00Z")  # Monday 00:00 MDT
    monday = fixed(tz="UTC", period="weekly", at="06:00")
    s = state(monday, usage(), "2026-03-09T05:00:00Z")  # Monday, before the reset time
    assert s.resets_at == t("2026-03-09T06:00:00Z")


def test_fixed_monthly_starts_on_the_first() -> None:
    spec = fixed(tz="UTC", period="monthly", rpd=10)
    index = usage("2026-02-28T23:59:00Z", "2026-03-01T00:00:00Z", "2026-03-14T10:00:00Z")
    s = state(spec, index, "2026-03-15T00:00:00Z")
    assert s.kind == "monthly"
    assert (s.used, s.remaining) == (2, 8)
    assert s.resets_at == t("2026-04-01T00:00:00Z")
    december = state(spec, usage(), "2026-12-31T23:00:00Z")
    assert december.resets_at == t("2027-01-01T00:00:00Z")
    local = fixed(tz=DENVER, period="monthly", at="06:00")
    # 03:00 local on the 1st is still in February's period.
    s = state(local, usage(), "2026-03-01T10:00:00Z")
    assert s.resets_at == t("2026-03-01T13:00:00Z")


def test_fixed_token_cap_binds_when_tighter() -> None:
    spec = fixed(rpd=1000, tpd=10_000)
    index = usage(("2026-05-04T10:00:00Z", 4000), ("2026-05-04T11:00:00Z", 5000))
    s = state(spec, index, "2026-05-04T11:30:00Z")
    assert s.binding == "tokens"
    assert s.label == "daily 00:00 America/Los_Angeles (tokens)"
    assert (s.used, s.cap, s.remaining) == (9000, 10_000, 1000)
    assert s.burn_rate_per_hour == 5000  # measured in the binding unit
    only_tokens = state(fixed(rpd=None, tpd=10_000), index, "2026-05-04T11:30:00Z")
    assert (only_tokens.binding, only_tokens.used) == ("tokens", 9000)
    requests_bind = state(spec, usage("2026-05-04T10:00:00Z"), "2026-05-04T11:30:00Z")
    assert (requests_bind.binding, requests_bind.used, requests_bind.cap) == ("window", 1, 1000)


def test_fixed_cap_from_console_is_heuristic_until_learned() -> None:
    spec = fixed(rpd=None, tpd=None)
    index = usage("2026-05-04T10:00:00Z", "2026-05-04T10:30:00Z")
    s = state(spec, index, "2026-05-04T11:00:00Z")
    assert (s.cap, s.remaining, s.source, s.used) == (None, None, "heuristic", 2)
    learned = Learned(model=MODEL, observed_at=t("2026-05-04T10:15:00Z"), cap=500.0)
    s = state(spec, index, "2026-05-04T11:00:00Z", learned=learned)
    assert (s.cap, s.used, s.remaining, s.source) == (500, 2, 498, "learned")
    assert s.resets_at == t("2026-05-05T07:00:00Z")  # the period end is kept


def test_fixed_observation_counts_within_its_period_only() -> None:
    spec = fixed(rpd=1000)
    index = usage("2026-05-04T10:00:00Z", "2026-05-04T12:00:00Z")
    learned = Learned(
        model=MODEL, observed_at=t("2026-05-04T11:00:00Z"), remaining=100.0, source="learned"
    )
    s = state(spec, index, "2026-05-04T13:00:00Z", learned=learned)
    assert (s.cap, s.remaining, s.used) == (1000, 99, 901)
    # Tomorrow (a new period) the observation no longer applies.
    s = state(spec, index, "2026-05-05T13:00:00Z", learned=learned)
    assert (s.remaining, s.used, s.source) == (1000, 0, "configured")
    headers = Learned(
        model=MODEL, observed_at=t("2026-05-04T11:00:00Z"), remaining=1.0, source="headers"
    )
    assert state(spec, index, "2026-05-04T13:00:00Z", learned=headers).remaining == 998


def test_fixed_every_uses_epoch_aligned_buckets() -> None:
    spec = every(60)
    index = usage("2026-05-04T11:59:59Z", "2026-05-04T12:00:00Z", "2026-05-04T12:00:29Z")
    s = state(spec, index, "2026-05-04T12:00:30Z")
    assert s.kind == "every_1m"
    assert s.label == "every 1m"
    assert (s.used, s.cap, s.remaining, s.source) == (2, 50, 48, "configured")
    assert s.resets_at == t("2026-05-04T12:01:00Z")
    assert s.eta_seconds == 30
    # A 7-minute period does not divide the hour: buckets are aligned to the Unix epoch.
    now = t("2026-05-04T12:00:30Z")
    start = now.timestamp() - now.timestamp() % 420
    assert t("2026-05-04T11:55:00Z").timestamp() == start == 4233085 * 420
    s = compute_state(every(420), index, now)
    assert s.resets_at == t("2026-05-04T12:02:00Z")
    assert s.used == 3


def test_fixed_every_without_a_cap_is_heuristic() -> None:
    s = state(every(60, cap=None), usage("2026-05-04T12:00:10Z"), "2026-05-04T12:00:30Z")
    assert (s.used, s.cap, s.remaining, s.source, s.open) == (1, None, None, "heuristic", True)
